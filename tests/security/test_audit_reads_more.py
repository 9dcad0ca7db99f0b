"""Reads the audit trail missed: the admin's lists and records of calls, messages,
settings visited, call reviews and merges; the supervisors' new starters' reviews.
And what "who has seen this person" says of a local team's escalation to those who
may not see it; and the training page's answer to a form naming no module."""

from __future__ import annotations

from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from calls.models import Outcome
from escalations.models import Escalation, EscalationAction
from people.models import PersonMerge
from staffing.models import TrainingCompletion
from tests import factories as f
from tests.local_teams.builders import escalated_contact, local_member
from work.escalation import (
    escalation_claim,
    escalation_close,
    escalation_record_action,
)

pytestmark = pytest.mark.django_db

VIEW = AuditEvent.Action.VIEW
AUDIT_INSERT = 'INSERT INTO "audit_auditevent"'


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="administrator", is_superuser=True, is_staff=True)


def views_by(user) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(user=user, action=VIEW).order_by("id"))


def merge_of(survivor, merged, by) -> PersonMerge:
    return PersonMerge.objects.create(
        survivor=survivor,
        merged=merged,
        by=by,
        at=timezone.now(),
        snapshot={"first_name": merged.first_name, "last_name": merged.last_name},
    )


# --- the admin: each row's person, one INSERT a page ----------------------------------
#
# Each builder makes rows naming three people and returns (model name, the people).


def calls(superuser):
    case = f.CaseFactory()
    contacts = [f.ContactFactory(), f.ContactFactory()]
    f.CallAttemptFactory(case=case, contact=None, notes="Said she lives alone.")
    for contact in [*contacts, contacts[0]]:  # two calls to one: one row for them
        f.CallAttemptFactory(contact=contact, phone="+447700900123")
    return "callattempt", [case.person_id, *(c.person_id for c in contacts)]


def messages(superuser):
    people = [f.PersonFactory() for _ in range(3)]
    for person in people:
        f.MessageFactory(person=person)
    return "message", [p.pk for p in people]


def setting_visits(superuser):
    cases = [f.CaseFactory() for _ in range(3)]
    setting = f.ExposureSettingFactory()
    for case in cases:
        f.SettingVisitFactory(case=case, setting=setting)
    return "settingvisit", [c.person_id for c in cases]


def call_reviews(superuser):
    case = f.CaseFactory()
    contacts = [f.ContactFactory(), f.ContactFactory()]
    f.CallReviewFactory(call__case=case, call__contact=None)
    for contact in contacts:
        f.CallReviewFactory(call__contact=contact)
    return "callreview", [case.person_id, *(c.person_id for c in contacts)]


def merges(superuser):
    people = [f.PersonFactory() for _ in range(4)]
    merge_of(people[0], people[1], superuser)
    merge_of(people[2], people[3], superuser)
    return "personmerge", [p.pk for p in people]


ADMIN_LISTS = {
    "call attempts": ("calls", calls),
    "messages": ("people", messages),
    "setting visits": ("cases", setting_visits),
    "call reviews": ("staffing", call_reviews),
    "person merges": ("people", merges),
}


@pytest.mark.parametrize("name", ADMIN_LISTS)
def test_an_admin_list_of_peoples_records_writes_a_view_of_each_person_shown(
    client, superuser, monkeypatch, name
):
    app, build = ADMIN_LISTS[name]
    model, people = build(superuser)
    client.force_login(superuser)
    url = reverse(f"admin:{app}_{model}_changelist")
    assert client.get(url).status_code == 200  # the session settles
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    with CaptureQueriesContext(connection) as audited:
        assert client.get(url).status_code == 200
    written = list(AuditEvent.objects.filter(pk__gt=mark or 0))
    monkeypatch.setattr("pages.admin.base.audit_list_view", lambda **kwargs: 0)
    with CaptureQueriesContext(connection) as unaudited:
        assert client.get(url).status_code == 200

    assert sorted(e.person_id for e in written) == sorted(people)
    assert {(e.user_id, e.action) for e in written} == {(superuser.pk, VIEW)}
    assert {e.detail["list"] for e in written} == {f"admin {name}"}
    assert {e.detail["via"] for e in written} == {"admin"}
    inserts = [q for q in audited.captured_queries if q["sql"].startswith(AUDIT_INSERT)]
    assert len(inserts) == 1
    # No query for each row's person: only the INSERT is added.
    assert len(audited) == len(unaudited) + 1


def test_opening_a_call_in_the_admin_is_a_read_of_the_person_called(client, superuser):
    call = f.CallAttemptFactory(phone="+447700900123", notes="Lives alone.")
    client.force_login(superuser)

    response = client.get(reverse("admin:calls_callattempt_change", args=[call.pk]))

    assert response.status_code == 200
    assert "Lives alone." in response.text
    (event,) = views_by(superuser)
    assert event.person_id == call.contact.person_id
    assert (event.object_type, event.object_id) == ("calls.callattempt", str(call.pk))
    assert event.detail == {"via": "admin"}


@pytest.mark.parametrize("kind", ["message", "settingvisit", "callreview"])
def test_opening_a_message_visit_or_review_in_the_admin_is_a_read_of_its_person(
    client, superuser, kind
):
    if kind == "message":
        record = f.MessageFactory()
        person_id, app = record.person_id, "people"
    elif kind == "settingvisit":
        record = f.SettingVisitFactory()
        person_id, app = record.case.person_id, "cases"
    else:
        record = f.CallReviewFactory()
        person_id, app = record.call.contact.person_id, "staffing"
    client.force_login(superuser)

    response = client.get(reverse(f"admin:{app}_{kind}_change", args=[record.pk]))

    assert response.status_code == 200
    (event,) = views_by(superuser)
    assert event.person_id == person_id
    assert event.object_id == str(record.pk)


def test_opening_a_merge_in_the_admin_is_a_read_of_both_people(client, superuser):
    survivor, merged = f.PersonFactory(), f.PersonFactory()
    merge = merge_of(survivor, merged, superuser)
    client.force_login(superuser)

    response = client.get(reverse("admin:people_personmerge_change", args=[merge.pk]))

    assert response.status_code == 200
    events = views_by(superuser)
    assert sorted(e.person_id for e in events) == sorted([survivor.pk, merged.pk])
    assert {(e.object_type, e.object_id) for e in events} == {
        ("people.personmerge", str(merge.pk))
    }


# --- the supervisors' new starters' reviews -------------------------------------------


def _starter_call(supervisor, *, item):
    """A call by a new starter of the supervisor's team, waiting for review."""
    team = supervisor.staff.team
    starter = f.StaffProfileFactory(
        clinical=True, team=team, organisation=team.organisation, signed_off_at=None
    )
    field = "case" if item._meta.model_name == "case" else "contact"
    return f.CallReviewFactory(
        call__caller=starter.user,
        call__case=item if field == "case" else None,
        call__contact=item if field == "contact" else None,
        call__outcome=Outcome.REACHED,
        call__notes="Worried about her rent.",
    ).call


def test_the_reviews_page_is_a_read_of_each_person_called(client, supervisor):
    case, contact = f.CaseFactory(), f.ContactFactory()
    calls = [
        _starter_call(supervisor, item=case),
        _starter_call(supervisor, item=contact),
    ]
    client.force_login(supervisor)

    response = client.get(reverse("staffing:reviews"))

    assert response.status_code == 200
    assert "Worried about her rent." in response.text
    events = views_by(supervisor)
    assert sorted(e.person_id for e in events) == sorted(
        [case.person_id, contact.person_id]
    )
    assert {(e.object_type, e.object_id) for e in events} == {
        ("calls.callattempt", str(call.pk)) for call in calls
    }
    assert {tuple(sorted(e.detail.items())) for e in events} == {
        (("list", "calls for review"), ("via", "page"))
    }
    # And the person's "who has seen" says so.
    trail = client.get(reverse("staffing:person_audit", args=[case.person_id]))
    assert "in the list “calls for review”" in unescape(trail.text)


def test_a_refused_review_shows_the_page_again_without_a_second_read(
    client, supervisor
):
    call = _starter_call(supervisor, item=f.ContactFactory())
    client.force_login(supervisor)
    client.get(reverse("staffing:reviews"))
    assert len(views_by(supervisor)) == 1

    refused = client.post(
        reverse("staffing:review", args=[call.review.pk]),
        {f"r{call.review.pk}-verdict": "needs_support", f"r{call.review.pk}-note": ""},
    )

    assert refused.status_code == 200
    assert len(views_by(supervisor)) == 1


# --- who has seen: a local team's escalation is the team's ----------------------------

ESCALATION_DETAILS = ["picked up", "recorded a door-step visit", "outcome refused"]


@pytest.fixture
def worked_escalation():
    """A contact escalated to Sheffield's team, picked up, visited at the door and
    closed as refused by a member of the team; the queue read by them too."""
    escalation = escalated_contact()
    member = local_member("E08000019", "sheffield.worker", user__first_name="Raj")
    escalation_claim(escalation=escalation, by=member)
    escalation_record_action(
        escalation=escalation,
        kind=EscalationAction.Kind.DOORSTEP,
        note="Nobody in.",
        by=member,
    )
    escalation_close(
        escalation=escalation, outcome=Escalation.Outcome.REFUSED, by=member
    )
    AuditEvent.objects.create(
        at=timezone.now(),
        user=member,
        action=VIEW,
        person_id=escalation.item.person_id,
        object_type="escalations.escalation",
        object_id=str(escalation.pk),
        detail={"via": "page", "list": "escalations export", "export": 1},
    )
    return escalation, member


def test_who_has_seen_shows_a_national_supervisor_that_the_local_team_worked_it_only(
    client, supervisor, worked_escalation
):
    escalation, member = worked_escalation
    client.force_login(supervisor)

    response = client.get(
        reverse("staffing:person_audit", args=[escalation.item.person_id])
    )

    text = unescape(response.text)
    assert response.status_code == 200
    for words in ESCALATION_DETAILS:
        assert words not in text
    assert "escalations export" not in text
    assert text.count("Escalation worked by the local team") == 4
    assert member.get_full_name() in text  # who, and when, stay
    # That it was escalated, and to which team, is theirs to see.
    assert "Escalated contact" in text


def test_who_has_seen_shows_an_administrator_what_the_local_team_did(
    client, superuser, worked_escalation
):
    escalation, _ = worked_escalation
    client.force_login(superuser)

    response = client.get(
        reverse("staffing:person_audit", args=[escalation.item.person_id])
    )

    text = unescape(response.text)
    for words in ESCALATION_DETAILS:
        assert words in text
    assert "escalations export" in text
    assert "Escalation worked by the local team" not in text


# --- training: a form naming no module -------------------------------------------------


@pytest.mark.parametrize("module", ["abc", "", "-1", "1.5", "٣", "9" * 30])
def test_completing_training_with_a_bad_module_is_refused_with_a_message(
    client, call_handler, module
):
    f.TrainingModuleFactory(tier=call_handler.staff.tier)
    done = TrainingCompletion.objects.filter(profile=call_handler.staff).count()
    client.force_login(call_handler)

    response = client.post(reverse("staffing:my_training"), {"module": module})

    assert response.status_code == 400
    assert "Nothing was recorded" in unescape(response.text)
    assert TrainingCompletion.objects.filter(profile=call_handler.staff).count() == done
