"""Moving work between people and back to the pool, with a reason, audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Case
from cases.workitem import Status
from tests import factories as f

from .conftest import NOW, member

pytestmark = pytest.mark.django_db


def held_case(profile) -> Case:
    return f.CaseFactory(status=Status.ASSIGNED, assignee=profile.user, assigned_at=NOW)


def post(client, **data):
    return client.post(reverse("staffing:work"), data)


def test_bulk_reassignment_moves_every_ticked_item_and_audits_each(
    clock, client, lead, clinical_team
):
    giver, taker = member(clinical_team), member(clinical_team)
    cases = [held_case(giver) for _ in range(2)]
    client.force_login(lead.user)
    response = post(
        client,
        items=[c.pk for c in cases],
        to=str(taker.pk),
        reason="Giver went home ill",
    )
    assert response.status_code == 302
    assert set(
        Case.objects.filter(assignee=taker.user).values_list("pk", flat=True)
    ) == {c.pk for c in cases}
    events = AuditEvent.objects.filter(action=AuditEvent.Action.REASSIGN)
    assert sorted(int(e.object_id) for e in events) == sorted(c.pk for c in cases)
    assert {e.user for e in events} == {lead.user}
    assert all(
        e.detail
        == {"from": giver.user_id, "to": taker.user_id, "reason": "Giver went home ill"}
        for e in events
    )


def test_reassignment_back_to_the_pool_releases_the_items(
    clock, client, lead, clinical_team
):
    giver = member(clinical_team)
    case = held_case(giver)
    client.force_login(lead.user)
    post(client, items=[case.pk], to="pool", reason="Shift ending")
    case.refresh_from_db()
    assert (case.status, case.assignee) == (Status.NEW, None)
    event = AuditEvent.objects.get(object_id=str(case.pk))
    assert event.detail == {"from": giver.user_id, "to": None, "reason": "Shift ending"}


def test_pool_items_can_be_given_to_a_person(clock, client, lead, clinical_team):
    taker = member(clinical_team)
    case = f.CaseFactory()
    client.force_login(lead.user)
    post(client, items=[case.pk], to=str(taker.pk), reason="Urgent")
    case.refresh_from_db()
    assert (case.status, case.assignee) == (Status.ASSIGNED, taker.user)
    assert (
        AuditEvent.objects.get(object_id=str(case.pk)).action
        == AuditEvent.Action.ASSIGN
    )


def test_reassignment_needs_a_reason_and_keeps_the_ticks(
    clock, client, lead, clinical_team
):
    giver, taker = member(clinical_team), member(clinical_team)
    case = held_case(giver)
    client.force_login(lead.user)
    response = post(client, items=[case.pk], to=str(taker.pk), reason="")
    assert "Give a reason for the move." in response.text
    assert f'value="{case.pk}" id="item-{case.pk}" aria-label' in response.text
    assert "checked" in response.text.split(f'id="item-{case.pk}"')[1].split(">")[0]
    case.refresh_from_db()
    assert case.assignee == giver.user


def test_a_person_who_cannot_take_work_is_refused_and_nothing_moves(
    clock, client, lead, clinical_team
):
    giver = member(clinical_team)
    off_shift = member(
        clinical_team, on_shift=False, user__first_name="Otto", user__last_name="Off"
    )
    cases = [held_case(giver) for _ in range(2)]
    client.force_login(lead.user)
    response = post(
        client, items=[c.pk for c in cases], to=str(off_shift.pk), reason="x"
    )
    assert "Otto Off cannot take work now" in response.text
    assert Case.objects.filter(assignee=giver.user).count() == 2
    assert not AuditEvent.objects.exists()


def test_a_move_past_the_takers_cap_is_refused_whole(
    clock, client, lead, clinical_team
):
    giver, taker = member(clinical_team), member(clinical_team)
    for _ in range(3):
        held_case(taker)
    cases = [held_case(giver) for _ in range(2)]  # tier 2 cap is 4
    client.force_login(lead.user)
    response = post(client, items=[c.pk for c in cases], to=str(taker.pk), reason="x")
    assert "2 more would put them over their cap" in response.text
    assert Case.objects.filter(assignee=giver.user).count() == 2


def test_items_held_outside_the_team_cannot_be_moved(
    clock, client, lead, clinical_team
):
    outsider_case = held_case(f.StaffProfileFactory(clinical=True))
    taker = member(clinical_team)
    client.force_login(lead.user)
    response = post(client, items=[outsider_case.pk], to=str(taker.pk), reason="x")
    assert "no longer yours to move" in response.text
    outsider_case.refresh_from_db()
    assert outsider_case.assignee != taker.user


def test_htmx_reassignment_returns_the_updated_list(clock, client, lead, clinical_team):
    giver, taker = member(clinical_team), member(clinical_team)
    case = held_case(giver)
    client.force_login(lead.user)
    response = client.post(
        reverse("staffing:work"),
        {"items": [case.pk], "to": str(taker.pk), "reason": "Balance"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="work-list">')
    assert "Moved 1 case to" in response.text
    row = response.text.split(f'id="item-{case.pk}"')[1].split("</tr>")[0]
    assert taker.user.get_full_name() in row


def test_work_list_filters_by_holder(clock, client, lead, clinical_team):
    a, b = member(clinical_team), member(clinical_team)
    mine, theirs = held_case(a), held_case(b)
    client.force_login(lead.user)
    page = client.get(reverse("staffing:work"), {"holder": str(a.pk)})
    assert [i.pk for i in page.context["page"]] == [mine.pk]
    assert theirs.pk not in [i.pk for i in page.context["page"]]
    # The heading says whose they are (it said "Held by your team").
    assert f'id="list-heading">Held by {a.user.get_full_name()}</h2>' in page.text


def test_work_list_shows_the_pool_on_request(clock, client, lead, clinical_team):
    held = held_case(member(clinical_team))
    waiting = f.CaseFactory()
    client.force_login(lead.user)
    default = client.get(reverse("staffing:work"))
    pool = client.get(reverse("staffing:work"), {"holder": "pool"})
    assert [i.pk for i in default.context["page"]] == [held.pk]
    assert [i.pk for i in pool.context["page"]] == [waiting.pk]


@pytest.mark.parametrize("size", [2, 8])
def test_work_list_query_count_does_not_grow_with_the_list(
    clock, client, lead, clinical_team, django_assert_num_queries, size
):
    people = [member(clinical_team) for _ in range(2)]
    for i in range(size):
        held_case(people[i % 2])
        f.CaseFactory()
    client.force_login(lead.user)
    # Session, user, profile; the people to move work to (one); the count and the
    # page of items (persons, areas, holders joined in); saving the session (3).
    with django_assert_num_queries(11):
        page = client.get(reverse("staffing:work"))
    assert page.context["page"].paginator.count == size


def test_moving_items_to_their_holder_changes_and_audits_nothing(
    clock, client, lead, clinical_team
):
    holder = member(clinical_team)
    case = held_case(holder)
    client.force_login(lead.user)
    response = post(client, items=[case.pk], to=str(holder.pk), reason="Tidy up")
    assert response.status_code == 302
    assert not AuditEvent.objects.exists()


# --- finding the work: search, order, pages ---------------------------------------


def pool_case(first: str, last: str, postcode: str, **kwargs) -> Case:
    return f.CaseFactory(
        person__first_name=first,
        person__last_name=last,
        person__postcode=postcode,
        **kwargs,
    )


def listed(client, **query) -> list[int]:
    page = client.get(reverse("staffing:work"), query)
    assert page.status_code == 200
    return [item.pk for item in page.context["page"]]


def test_the_pool_is_searched_by_name_postcode_or_reference(clock, client, lead):
    priya = pool_case("Priya", "Shah", "S1 2HE", lab_reference="LAB-0001")
    quinn = pool_case("Quinn", "Shaw", "S10 2TN", lab_reference="LAB-0002")
    leah = pool_case("Leah", "Lewis", "LS1 4DY", lab_reference="LAB-0003")
    client.force_login(lead.user)
    assert set(listed(client, holder="pool", q="sha")) == {priya.pk, quinn.pk}
    assert listed(client, holder="pool", q="priya shah") == [priya.pk]
    assert listed(client, holder="pool", q="  Quinn   SHAW ") == [quinn.pk]
    assert listed(client, holder="pool", q="s1 2he") == [priya.pk]
    assert listed(client, holder="pool", q="S12HE") == [priya.pk]
    assert listed(client, holder="pool", q="S1") == [priya.pk]  # not S10
    assert listed(client, holder="pool", q="ls1") == [leah.pk]
    assert listed(client, holder="pool", q="lab-0002") == [quinn.pk]
    assert listed(client, holder="pool", q=str(leah.pk)) == [leah.pk]
    assert listed(client, holder="pool", q="nobody") == []


def test_held_work_is_searched_too(clock, client, lead, clinical_team):
    holder = member(clinical_team)
    mine = f.CaseFactory(
        status=Status.ASSIGNED,
        assignee=holder.user,
        assigned_at=NOW,
        person__last_name="Findme",
    )
    held_case(holder)
    client.force_login(lead.user)
    assert listed(client, q="findme") == [mine.pk]
    page = client.get(reverse("staffing:work"), {"q": "zzz"})
    assert "Nothing matches “zzz”" in page.text


def test_a_contacts_reference_is_its_cases(clock, client, calls_lead, calls_team):
    contact = f.ContactFactory(
        case__status=Status.COMPLETED, case__lab_reference="LAB-7777"
    )
    f.ContactFactory(case__status=Status.COMPLETED)
    client.force_login(calls_lead.user)
    assert listed(client, holder="pool", q="lab-7777") == [contact.pk]


def test_the_pool_keeps_its_order_or_shows_the_newest_first(clock, client, lead):
    old = pool_case("Old", "One", "S1 2HE", created_at=NOW - dt.timedelta(hours=5))
    new = pool_case("New", "One", "S1 2HE", created_at=NOW - dt.timedelta(hours=1))
    urgent = pool_case(
        "Urgent", "One", "S1 2HE", created_at=NOW - dt.timedelta(hours=2), priority=5
    )
    client.force_login(lead.user)
    assert listed(client, holder="pool") == [urgent.pk, old.pk, new.pk]
    assert listed(client, holder="pool", order="newest") == [new.pk, urgent.pk, old.pk]
    assert listed(client, holder="pool", q="one", order="newest") == [
        new.pk,
        urgent.pk,
        old.pk,
    ]


def test_the_pages_keep_the_search(clock, client, lead, monkeypatch):
    from pages.staff import dashboard

    monkeypatch.setattr(dashboard, "WORK_PAGE_SIZE", 2)
    cases = [
        pool_case("Sam", "Pager", "S1 2HE", created_at=NOW - dt.timedelta(hours=n))
        for n in range(5, 0, -1)
    ]
    pool_case("Other", "Person", "S1 2HE")
    client.force_login(lead.user)
    first = client.get(reverse("staffing:work"), {"holder": "pool", "q": "pager"})
    assert [i.pk for i in first.context["page"]] == [c.pk for c in cases[:2]]
    assert "page 1 of 3" in first.text
    assert 'href="?holder=pool&amp;q=pager&amp;page=2"' in first.text
    assert 'class="nhsuk-pagination__next" rel="next"' in first.text
    last = client.get(
        reverse("staffing:work"), {"holder": "pool", "q": "pager", "page": "3"}
    )
    assert [i.pk for i in last.context["page"]] == [cases[4].pk]


def test_an_unknown_holder_shows_the_teams_work(clock, client, lead, clinical_team):
    held = held_case(member(clinical_team))
    client.force_login(lead.user)
    assert listed(client, holder="99999") == [held.pk]


def test_a_search_costs_no_more_queries(clock, client, lead, clinical_team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for n in range(3):
        pool_case("Sam", f"Pager{n}", "S1 2HE")
    client.force_login(lead.user)
    url = reverse("staffing:work")
    client.get(url, {"holder": "pool"})
    with CaptureQueriesContext(connection) as plain:
        client.get(url, {"holder": "pool"})
    with CaptureQueriesContext(connection) as searched:
        page = client.get(url, {"holder": "pool", "q": "s1 2he"})
    assert len(searched) == len(plain)
    assert page.context["page"].paginator.count == 3


def test_htmx_reassignment_after_a_page_drawn_with_a_message_leaves_no_id_twice(
    clock, client, lead, clinical_team
):
    """The page drawn with a message waiting (after signing in again, say) has the
    site's messages box; the list swapped in by htmx brings its own, by another id.
    Before, both were id="messages"."""
    giver, taker = member(clinical_team), member(clinical_team)
    case = held_case(giver)
    client.force_login(lead.user)
    post(client, items=[held_case(giver).pk], to=str(taker.pk), reason="Balance")
    page = client.get(reverse("staffing:work")).text
    swapped = client.post(
        reverse("staffing:work"),
        {"items": [case.pk], "to": str(taker.pk), "reason": "Balance"},
        headers={"HX-Request": "true"},
    ).text

    def ids(html: str) -> set[str]:
        return {part.split('"', 1)[0] for part in html.split(' id="')[1:]}

    assert page.count('id="messages"') == 1
    around_the_list = page.split('<div id="work-list">', 1)[0]
    assert ids(swapped) & ids(around_the_list) == set()
