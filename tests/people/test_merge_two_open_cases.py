"""Two records of one person, each with a case of the same episode of infection,
merged (work/merge.py, the supervisor's pages/staff/duplicates.py).

Intake keeps a second positive within EPISODE_DAYS of a person's case as a further
result of that case. Before, a merge left both cases open, held by two caseworkers,
neither mentioning the other, both counted in the week's figures. Now the merge does
what intake would have done: the case not worked yet becomes a further result of
the other (its holder loses it); two cases both being worked refuse the merge,
naming them, until one is finished; two worked cases one of which is finished are
both kept, and the confirm step and both cases' audit trails say so."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

import work.merge
from audit.models import AuditEvent
from cases.models import Case, FurtherResult
from cases.workitem import Status
from figures.weekly import Period, Scope, forget_cached_figures, weekly_figures
from online.models import OnlineLink
from people.models import Message, Person, PossibleDuplicate
from tests import factories as f
from work.errors import WorkRefused
from work.merge import person_merge, person_merge_defaults, person_merge_undo

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

BORN = dt.date(1970, 5, 5)


def caseworker(name: str):
    profile = f.StaffProfileFactory(clinical=True, user__username=name)
    f.ShiftFactory(staff=profile)
    return profile.user


@pytest.fixture
def ada(db):
    return caseworker("nurse.ada")


@pytest.fixture
def bilal(db):
    return caseworker("nurse.bilal")


@pytest.fixture
def admin(db):
    return f.UserFactory(username="admin", is_superuser=True, is_staff=True)


def person(first_name: str, phone: str) -> Person:
    return f.PersonFactory(
        first_name=first_name,
        last_name="Ivanova",
        date_of_birth=BORN,
        phone=phone,
        email="",
        postcode="S1 2HE",
    )


def case_of(who: Person, *, days_ago: int, holder=None, created=None) -> Case:
    today = timezone.localdate()
    case = f.CaseFactory(
        person=who,
        specimen_date=today - dt.timedelta(days=days_ago),
        result_date=today - dt.timedelta(days=days_ago - 1),
        created_at=created or timezone.now(),
    )
    # The "your test was positive" text, and the link to enter their contacts.
    f.MessageFactory(person=who, case=case, kind=Message.Kind.CASE_LINK)
    OnlineLink.objects.create(
        token_hash=f"{case.pk:064d}",
        purpose="case",
        person=who,
        case=case,
        expires_at=timezone.now() + dt.timedelta(days=7),
    )
    if holder is not None:
        Case.objects.filter(pk=case.pk).update(
            status=Status.ASSIGNED, assignee=holder, assigned_at=timezone.now()
        )
        case.refresh_from_db()
    return case


def call_logged(case: Case, by) -> None:
    f.CallAttemptFactory(case=case, contact=None, caller=by)
    Case.objects.filter(pk=case.pk).update(
        first_attempt_at=timezone.now(), last_attempt_at=timezone.now(), attempts=1
    )


def pair_of(one: Person, other: Person) -> PossibleDuplicate:
    a, b = sorted((one.pk, other.pk))
    return PossibleDuplicate.objects.create(
        person_a_id=a,
        person_b_id=b,
        score=0.8,
        reasons=["same date of birth", "similar name (0.78)", "same postcode"],
        created_at=timezone.now(),
    )


def choices(pair: PossibleDuplicate, survivor: Person) -> dict[str, str]:
    """The values kept: the merge's defaults (the survivor's own where they agree)."""
    return person_merge_defaults(person_a=pair.person_a, person_b=pair.person_b)


def side_of(pair: PossibleDuplicate, who: Person) -> str:
    return "a" if pair.person_a_id == who.pk else "b"


def merge_form(pair, survivor, **more) -> dict[str, str]:
    return {"survivor": side_of(pair, survivor), **choices(pair, survivor), **more}


def week_cases() -> int:
    forget_cached_figures()
    figures = weekly_figures(
        period=Period.containing(timezone.localdate()), scope=Scope.england()
    )
    return figures.cases.transferred


def events(case_pk: int, action=AuditEvent.Action.UPDATE):
    return AuditEvent.objects.filter(
        object_type="cases.case", object_id=str(case_pk), action=action
    )


@pytest.fixture
def records(db):
    maria = person("Maria", "+447400111111")
    mariya = person("Mariya", "+447400222222")
    return maria, mariya


def test_the_newer_case_not_worked_becomes_a_further_result_of_the_older(
    client, supervisor, ada, bilal, records
):
    maria, mariya = records
    older = case_of(
        maria, days_ago=3, holder=ada, created=timezone.now() - dt.timedelta(hours=20)
    )
    newer = case_of(mariya, days_ago=2, holder=bilal)
    pair = pair_of(maria, mariya)
    assert week_cases() == 2
    url = reverse("staffing:duplicate_merge", args=[pair.pk])
    client.force_login(supervisor)

    # The confirm step says what happens to the newer case.
    check = client.post(url, merge_form(pair, maria))
    assert check.status_code == 200
    page = check.content.decode()
    assert "Confirm merge" in page
    assert f"Case {newer.lab_reference}" in page
    assert f"further result of case {older.lab_reference}" in page

    done = client.post(url, merge_form(pair, maria, confirm="1"))
    assert done.status_code == 302
    pair.refresh_from_db()
    assert pair.status == PossibleDuplicate.Status.MERGED

    # One case of the episode, held by one caseworker; the newer result is kept with
    # it as a further result, as intake would have kept it.
    cases = list(Case.objects.filter(person=maria))
    assert [(c.pk, c.status, c.assignee_id) for c in cases] == [
        (older.pk, Status.ASSIGNED, ada.pk)
    ]
    further = FurtherResult.objects.get(lab_reference=newer.lab_reference)
    assert further.case_id == older.pk
    assert further.specimen_date == newer.specimen_date
    assert not Case.objects.filter(pk=newer.pk).exists()
    assert not Case.objects.filter(assignee=bilal).exists()
    assert week_cases() == 1

    # Its text and link are kept, with the case kept.
    assert Message.objects.filter(case=older).count() == 2
    assert OnlineLink.objects.filter(case=older).count() == 2

    # Its holder lost it, audited; and its trail says what became of it.
    released = events(newer.pk, AuditEvent.Action.REASSIGN).get()
    assert released.detail["from"] == bilal.pk
    assert released.detail["to"] is None
    became = events(newer.pk).get()
    assert became.detail["further_result_of"] == older.pk
    assert events(older.pk).get().detail["further_result"] == further.pk

    # The case page shows the further result.
    client.force_login(ada)
    case_page = client.get(reverse("cases:detail", args=[older.pk]))
    assert f'data-further="{newer.lab_reference}"' in case_page.content.decode()


def test_the_older_case_not_worked_becomes_a_further_result_of_the_newer_worked(
    supervisor, ada, bilal, records
):
    maria, mariya = records
    older = case_of(
        maria, days_ago=3, holder=ada, created=timezone.now() - dt.timedelta(hours=20)
    )
    newer = case_of(mariya, days_ago=2, holder=bilal)
    call_logged(newer, bilal)
    pair = pair_of(maria, mariya)

    person_merge(pair=pair, survivor=maria, fields=choices(pair, maria), by=supervisor)

    # The caseworker who has called keeps the person; nothing of their work moves.
    assert list(Case.objects.filter(person=maria).values_list("pk", "assignee")) == [
        (newer.pk, bilal.pk)
    ]
    assert FurtherResult.objects.get(lab_reference=older.lab_reference).case == newer
    assert not Case.objects.filter(assignee=ada).exists()


def test_two_cases_both_being_worked_are_refused_naming_them(
    client, supervisor, ada, bilal, records
):
    maria, mariya = records
    older = case_of(
        maria, days_ago=3, holder=ada, created=timezone.now() - dt.timedelta(hours=20)
    )
    newer = case_of(mariya, days_ago=2, holder=bilal)
    call_logged(older, ada)
    call_logged(newer, bilal)
    pair = pair_of(maria, mariya)
    url = reverse("staffing:duplicate_merge", args=[pair.pk])
    client.force_login(supervisor)

    check = client.post(url, merge_form(pair, maria))
    assert check.status_code == 409
    page = check.content.decode()
    assert "Confirm merge" not in page
    assert older.lab_reference in page
    assert newer.lab_reference in page
    assert "finish or close one of them first" in page.lower()

    with pytest.raises(WorkRefused, match="Finish or close one of them first"):
        person_merge(
            pair=pair, survivor=maria, fields=choices(pair, maria), by=supervisor
        )
    client.post(url, merge_form(pair, maria, confirm="1"))
    pair.refresh_from_db()
    assert pair.status == PossibleDuplicate.Status.OPEN
    assert set(Case.objects.values_list("pk", "person", "status", "assignee")) == {
        (older.pk, maria.pk, Status.ASSIGNED, ada.pk),
        (newer.pk, mariya.pk, Status.ASSIGNED, bilal.pk),
    }
    assert not FurtherResult.objects.exists()


def test_two_worked_cases_one_finished_are_both_kept_and_said_so(
    client, supervisor, ada, bilal, records
):
    maria, mariya = records
    older = case_of(maria, days_ago=10, created=timezone.now() - dt.timedelta(days=8))
    Case.objects.filter(pk=older.pk).update(
        status=Status.COMPLETED, completed_at=timezone.now() - dt.timedelta(days=6)
    )
    newer = case_of(mariya, days_ago=2, holder=bilal)
    call_logged(newer, bilal)
    pair = pair_of(maria, mariya)
    url = reverse("staffing:duplicate_merge", args=[pair.pk])
    client.force_login(supervisor)

    check = client.post(url, merge_form(pair, maria))
    assert check.status_code == 200
    page = check.content.decode()
    assert "Confirm merge" in page
    assert "both are kept" in page

    client.post(url, merge_form(pair, maria, confirm="1"))
    assert set(Case.objects.filter(person=maria).values_list("pk", flat=True)) == {
        older.pk,
        newer.pk,
    }
    assert events(older.pk).get().detail["same_episode_as"] == newer.pk
    assert events(newer.pk).get().detail["same_episode_as"] == older.pk


def test_cases_of_two_episodes_are_both_kept(supervisor, ada, bilal, records):
    maria, mariya = records
    older = case_of(
        maria, days_ago=120, created=timezone.now() - dt.timedelta(days=118)
    )
    newer = case_of(mariya, days_ago=2, holder=bilal)
    pair = pair_of(maria, mariya)
    person_merge(pair=pair, survivor=maria, fields=choices(pair, maria), by=supervisor)
    assert set(Case.objects.filter(person=maria).values_list("pk", flat=True)) == {
        older.pk,
        newer.pk,
    }
    assert not FurtherResult.objects.exists()
    assert Case.objects.get(pk=newer.pk).assignee == bilal


def test_undo_puts_the_case_back(supervisor, admin, ada, bilal, records):
    maria, mariya = records
    older = case_of(
        maria, days_ago=3, holder=ada, created=timezone.now() - dt.timedelta(hours=20)
    )
    newer = case_of(mariya, days_ago=2, holder=bilal)
    pair = pair_of(maria, mariya)
    merge = person_merge(
        pair=pair, survivor=maria, fields=choices(pair, maria), by=supervisor
    )

    person_merge_undo(merge=merge, by=admin)

    back = Case.objects.get(pk=newer.pk)
    # Its own again, waiting in the pool (its caseworker lost it at the merge).
    assert (back.person_id, back.status, back.assignee_id) == (
        mariya.pk,
        Status.NEW,
        None,
    )
    assert back.lab_reference == newer.lab_reference
    assert not FurtherResult.objects.exists()
    assert Message.objects.filter(case=back, person=mariya).count() == 1
    assert OnlineLink.objects.filter(case=back, person=mariya).count() == 1
    assert Case.objects.get(pk=older.pk).person_id == maria.pk
    assert events(newer.pk).count() == 2  # became a further result, and back


def test_a_merge_that_fails_late_leaves_the_case_as_it_was(
    monkeypatch, supervisor, ada, bilal, records
):
    """The case made a further result, its release and the rest are one transaction
    with the merge: a failure at its last step leaves nothing half-done."""
    maria, mariya = records
    older = case_of(
        maria, days_ago=3, holder=ada, created=timezone.now() - dt.timedelta(hours=20)
    )
    newer = case_of(mariya, days_ago=2, holder=bilal)
    pair = pair_of(maria, mariya)

    written = work.merge.audit_record

    def failing(**kwargs):
        if "further_result_of" in kwargs.get("detail", {}):
            raise RuntimeError("the audit trail did not answer")
        return written(**kwargs)

    monkeypatch.setattr(work.merge, "audit_record", failing)
    with pytest.raises(RuntimeError):
        person_merge(
            pair=pair, survivor=maria, fields=choices(pair, maria), by=supervisor
        )

    assert set(Case.objects.values_list("pk", "person", "status", "assignee")) == {
        (older.pk, maria.pk, Status.ASSIGNED, ada.pk),
        (newer.pk, mariya.pk, Status.ASSIGNED, bilal.pk),
    }
    assert not FurtherResult.objects.exists()
    assert not events(newer.pk, AuditEvent.Action.REASSIGN).exists()
    assert Message.objects.filter(case=newer).count() == 1
    pair.refresh_from_db()
    assert pair.status == PossibleDuplicate.Status.OPEN
