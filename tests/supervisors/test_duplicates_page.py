"""The possible-duplicates pages (pages/staff/duplicates.py): the list, a pair side by
side, merge with its confirm step, "not the same person" remembered, who may use
them, the survivor's audit page, and an administrator's undo in the admin."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from audit.services import audit_view
from cases.models import Case
from figures.weekly import Period, Scope, weekly_figures
from people.models import Person, PersonMerge, PossibleDuplicate
from people.services import PersonDetails, person_find_or_create
from tests import factories as f
from work.merge import person_merge

pytestmark = pytest.mark.django_db

BORN = dt.date(1985, 6, 14)
LIST = reverse("staffing:duplicates")


def pair_of(one: Person, other: Person, score: float = 0.7, **kwargs):
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=score,
        reasons=kwargs.pop("reasons", ["same date of birth", "similar name (0.62)"]),
        created_at=kwargs.pop("created_at", timezone.now()),
        **kwargs,
    )


def side_of(pair: PossibleDuplicate, person: Person) -> str:
    return "a" if pair.person_a_id == person.pk else "b"


@pytest.fixture
def admin(db):
    return f.UserFactory(username="admin", is_superuser=True, is_staff=True)


@pytest.fixture
def older(db) -> Person:
    """Sarah Jones as first recorded, with a case."""
    person = f.PersonFactory(
        first_name="Sarah",
        last_name="Jones",
        date_of_birth=BORN,
        phone="+447911100111",
        email="",
        created_at=timezone.now() - dt.timedelta(days=3),
    )
    Person.objects.filter(pk=person.pk).update(
        created_at=timezone.now() - dt.timedelta(days=3)
    )
    person.refresh_from_db()
    f.CaseFactory(person=person, lab_reference="LABOLDER01")
    return person


@pytest.fixture
def newer(db) -> Person:
    """The same woman typed again: another phone, an email, a contact of a case."""
    person = f.PersonFactory(
        first_name="Sara",
        last_name="Jones",
        date_of_birth=BORN,
        phone="+447911100222",
        email="sarah@example.org",
    )
    f.ContactFactory(person=person)
    return person


@pytest.fixture
def pair(older, newer) -> PossibleDuplicate:
    return pair_of(older, newer, score=0.81)


# --- the list -------------------------------------------------------------------------


def test_the_list_shows_open_pairs_likeliest_first_with_score_and_reasons(
    client, supervisor, pair
):
    low = pair_of(f.PersonFactory(), f.PersonFactory(), score=0.4)
    decided = pair_of(f.PersonFactory(), f.PersonFactory(), score=0.9)
    PossibleDuplicate.objects.filter(pk=decided.pk).update(status="not_same")
    client.force_login(supervisor)

    response = client.get(LIST)

    assert response.status_code == 200
    assert [p.pk for p in response.context["pairs"]] == [pair.pk, low.pk]
    html = response.content.decode()
    assert "0.81" in html
    assert "same date of birth, similar name (0.62)" in html
    assert reverse("staffing:duplicate", args=[pair.pk]) in html
    # Showing the names is a read of each person shown.
    shown = AuditEvent.objects.filter(
        user=supervisor, action="view", detail__list="possible duplicates"
    )
    assert set(shown.values_list("person_id", flat=True)) == {
        pair.person_a_id,
        pair.person_b_id,
        low.person_a_id,
        low.person_b_id,
    }


def test_the_list_pages_on_without_repeating_or_missing_a_pair(
    client, supervisor, django_assert_max_num_queries
):
    now = timezone.now()
    # Ties on score and time (one intake batch) are cut by id.
    pairs = [
        pair_of(f.PersonFactory(), f.PersonFactory(), score=0.5, created_at=now)
        for _ in range(27)
    ]
    pairs.append(pair_of(f.PersonFactory(), f.PersonFactory(), score=0.9))
    client.force_login(supervisor)

    with django_assert_max_num_queries(12):
        first = client.get(LIST)
    assert first.context["next_url"]
    second = client.get(LIST + first.context["next_url"])
    assert second.status_code == 200
    assert not second.context["next_url"]

    seen = [p.pk for p in first.context["pairs"]] + [
        p.pk for p in second.context["pairs"]
    ]
    assert len(first.context["pairs"]) == 25
    assert seen[0] == pairs[-1].pk
    assert sorted(seen) == sorted(p.pk for p in pairs)
    assert len(seen) == len(set(seen))


def test_a_mangled_page_cursor_shows_the_first_page(client, supervisor, pair):
    client.force_login(supervisor)
    response = client.get(LIST, {"after": "nan,yesterday,1"})
    assert response.status_code == 200
    assert [p.pk for p in response.context["pairs"]] == [pair.pk]


# --- a pair ---------------------------------------------------------------------------


def test_the_pair_page_marks_each_field_and_defaults_to_the_newer_value(
    client, supervisor, pair, older, newer
):
    client.force_login(supervisor)

    response = client.get(reverse("staffing:duplicate", args=[pair.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-field="last_name" data-agree="yes"' in html
    assert 'data-field="first_name" data-agree="no"' in html
    assert 'data-field="phone" data-agree="no"' in html
    form = response.context["form"]
    newer_side, older_side = side_of(pair, newer), side_of(pair, older)
    assert form["first_name"].initial == newer_side  # the newer record's
    assert form["email"].initial == newer_side  # the older has none
    assert "last_name" not in form.fields  # they agree: nothing to choose
    assert form["survivor"].initial == older_side
    # Their cases and contacts, counted, with the case linked.
    assert response.context["found_" + older_side].cases[0].obj.person == older
    assert len(response.context["found_" + newer_side].contacts) == 1
    assert reverse("cases:detail", args=[older.cases.get().pk]) in html
    # Viewing the pair is a read of both people.
    assert set(
        AuditEvent.objects.filter(
            user=supervisor, action="view", detail__list="possible duplicate"
        ).values_list("person_id", flat=True)
    ) == {older.pk, newer.pk}


def test_merge_asks_to_confirm_then_merges_and_names_the_survivor(
    client, supervisor, pair, older, newer
):
    client.force_login(supervisor)
    url = reverse("staffing:duplicate_merge", args=[pair.pk])
    theirs = side_of(pair, newer)
    choices = {
        "survivor": side_of(pair, older),
        "first_name": side_of(pair, older),
        "phone": theirs,
        "email": theirs,
    }

    confirm = client.post(url, choices)

    assert confirm.status_code == 200
    assert confirm.context["confirm"] is True
    assert ("Phone", "+447911100222") in confirm.context["kept"]
    assert ("First name", "Sarah") in confirm.context["kept"]
    assert Person.objects.get(pk=newer.pk).merged_into is None  # nothing yet

    done = client.post(url, {**choices, "confirm": "1"})

    assert done.status_code == 302
    assert done["Location"] == LIST
    (message,) = [str(m) for m in get_messages(done.wsgi_request)]
    assert "Merged: Sarah Jones" in message
    older.refresh_from_db()
    assert str(older.phone) == "+447911100222"
    assert older.email == "sarah@example.org"
    assert older.first_name == "Sarah"
    assert Person.objects.get(pk=newer.pk).merged_into_id == older.pk
    assert older.contacts.count() == 1
    assert PossibleDuplicate.objects.get(pk=pair.pk).status == "merged"
    assert pair.pk not in [p.pk for p in client.get(LIST).context["pairs"]]


def test_a_merge_on_the_page_is_seen_at_once_in_cached_figures(
    client, supervisor, pair, older, newer
):
    """The week's figures, cached while they counted two records as two people,
    count one person as soon as the page has merged them."""
    Person.objects.filter(pk__in=[older.pk, newer.pk]).update(nhs_number="")
    one, other = f.ContactFactory(person=older), f.ContactFactory(person=newer)
    week = Period.containing(timezone.localdate(one.created_at))
    assert week == Period.containing(timezone.localdate(other.created_at))

    def identified() -> int:
        return weekly_figures(period=week, scope=Scope.england()).contacts.identified

    assert identified() == 2  # and now cached
    client.force_login(supervisor)
    url = reverse("staffing:duplicate_merge", args=[pair.pk])
    kept = side_of(pair, older)
    choices = {"survivor": kept, "first_name": kept, "phone": kept, "email": kept}
    done = client.post(url, {**choices, "confirm": "1"})

    assert done.status_code == 302
    assert identified() == 1


def test_a_bad_choice_is_shown_against_its_field_and_nothing_changes(
    client, supervisor, pair, newer
):
    client.force_login(supervisor)
    response = client.post(
        reverse("staffing:duplicate_merge", args=[pair.pk]),
        {"survivor": "c", "phone": "a", "confirm": "1"},
    )
    assert response.status_code == 400
    assert "survivor" in response.context["form"].errors
    assert "Choose which first name to keep." in response.content.decode()
    assert Person.objects.get(pk=newer.pk).merged_into is None
    assert not PersonMerge.objects.exists()


def test_a_pair_decided_meanwhile_is_not_merged(client, supervisor, pair, newer):
    client.force_login(supervisor)
    PossibleDuplicate.objects.filter(pk=pair.pk).update(status="not_same")
    response = client.post(
        reverse("staffing:duplicate_merge", args=[pair.pk]),
        {"survivor": "a", "confirm": "1"},
    )
    assert response.status_code == 302
    assert Person.objects.get(pk=newer.pk).merged_into is None


def test_not_the_same_person_is_remembered_when_they_arrive_again(client, supervisor):
    """Twins: same date of birth and surname, other phones. Kept apart on the page,
    the next arrival of either leaves the pair decided and off the list."""

    def arrives(first_name: str, phone: str) -> Person:
        person, _ = person_find_or_create(
            details=PersonDetails(
                first_name=first_name,
                last_name="Okafor",
                date_of_birth=BORN,
                phone=phone,
                postcode="",
            )
        )
        return person

    grace = arrives("Grace", "07911 100333")
    gracie = arrives("Gracie", "07911 100444")
    pair = PossibleDuplicate.objects.get()
    assert {pair.person_a_id, pair.person_b_id} == {grace.pk, gracie.pk}
    client.force_login(supervisor)

    response = client.post(reverse("staffing:duplicate_not_same", args=[pair.pk]))

    assert response.status_code == 302
    assert PossibleDuplicate.objects.get(pk=pair.pk).status == "not_same"
    assert arrives("Gracie", "07911 100444") == gracie
    assert arrives("Grace", "07911 100333") == grace
    pair.refresh_from_db()
    assert pair.status == "not_same"
    assert PossibleDuplicate.objects.count() == 1
    assert client.get(LIST).context["pairs"] == []


def test_not_the_same_person_is_in_both_peoples_trails(client, supervisor, pair):
    """Before, only the first person's trail had the decision."""
    client.force_login(supervisor)

    client.post(reverse("staffing:duplicate_not_same", args=[pair.pk]))

    for person, other in (
        (pair.person_a_id, pair.person_b_id),
        (pair.person_b_id, pair.person_a_id),
    ):
        event = AuditEvent.objects.get(
            person_id=person, object_type="people.possibleduplicate"
        )
        assert event.detail == {
            "decision": "not the same person",
            "other_person": other,
        }
        assert event.user == supervisor


# --- who may ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["caseworker", "call_handler", "local_team_member", "outsider"]
)
def test_only_supervisors_and_administrators_reach_the_pages(
    client, request, who, pair, newer
):
    client.force_login(request.getfixturevalue(who))
    assert client.get(LIST).status_code == 403
    assert client.get(reverse("staffing:duplicate", args=[pair.pk])).status_code == 403
    merge = reverse("staffing:duplicate_merge", args=[pair.pk])
    assert client.post(merge, {"survivor": "a", "confirm": "1"}).status_code == 403
    not_same = reverse("staffing:duplicate_not_same", args=[pair.pk])
    assert client.post(not_same).status_code == 403
    pair.refresh_from_db()
    assert pair.status == "open"
    assert Person.objects.get(pk=newer.pk).merged_into is None


def test_a_local_team_supervisor_is_refused(client, pair):
    local_lead = f.StaffProfileFactory(local=True, is_supervisor=True)
    client.force_login(local_lead.user)
    assert client.get(LIST).status_code == 403


def test_an_administrator_reaches_the_list(client, admin, pair):
    client.force_login(admin)
    assert client.get(LIST).status_code == 200


# --- after: the audit trail, and undo ---------------------------------------------------


def test_the_survivors_audit_page_shows_the_merged_records_trail(
    client, supervisor, caseworker, pair, older, newer
):
    seen = audit_view(user=caseworker, obj=newer, via="page", person=newer)
    person_merge(pair=pair, survivor=older, fields={}, by=supervisor)
    client.force_login(supervisor)

    response = client.get(reverse("staffing:person_audit", args=[older.pk]))

    events = [row.event.pk for row in response.context["rows"]]
    assert seen.pk in events
    html = response.content.decode()
    assert f"record {newer.pk} merged into it" in html


def test_an_administrator_undoes_a_merge_in_the_admin(
    client, supervisor, admin, pair, older, newer
):
    merge = person_merge(pair=pair, survivor=older, fields={}, by=supervisor)
    client.force_login(admin)
    changelist = reverse("admin:people_personmerge_changelist")
    assert client.get(changelist).status_code == 200

    response = client.post(
        changelist, {"action": "undo", "_selected_action": [merge.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "Undone" in response.content.decode()
    merge.refresh_from_db()
    assert merge.undone_by == admin
    assert Person.objects.get(pk=newer.pk).merged_into is None
    assert newer.contacts.count() == 1
    assert Case.objects.filter(person=older).count() == 1
    assert PossibleDuplicate.objects.get(pk=pair.pk).status == "open"
    # Again: refused, with the reason.
    again = client.post(
        changelist, {"action": "undo", "_selected_action": [merge.pk]}, follow=True
    )
    assert "already undone" in again.content.decode()
