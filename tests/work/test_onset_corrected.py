"""A case's symptom onset typed wrong in the risk assessment, saved, then corrected.

Sam was named as a contact (exposed Saturday 5 December: until Tuesday the 15th)
and then tested positive (tested Thursday 3 December: until Sunday the 13th); the
contact row follows the case's date. The caseworker types 24 November for 4 December:
24 + 10 = Friday 4 December, in the past; then corrects it: 4 + 10 = Monday 14
December.

Before, the contact row stayed on 4 December when the case came back (only contacts
isolating now were moved), so the call handler would read out a past date and the
sweep closed it at its deadline as "isolation over, not traced". And Sam, texted
"until the end of Sunday 13 December", was told nothing of either change, so still
held the 13th while the record said the 14th; the audit row did not say what changed.

The clock stands at Monday 7 December 2026, 10:00 GMT.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Case, RiskAssessment
from cases.workitem import Status
from contacts.models import Contact, IsolationChange
from notify.errors import TemporaryFailure
from notify.services import message_send
from online.models import OnlineLink
from online.texts import long_date
from people.models import Language, Message
from tests import factories as f
from tests.isolation.conftest import LONDON, SAM, D, a_naming_case, hold
from tests.notify.fakes import RecordingBackend
from work.casework import (
    AssessmentDetails,
    ContactDetails,
    DrawnFrom,
    case_assessment_record,
    contact_add,
)
from work.escalation import contacts_close_isolation_over
from work.intake import TestResult as LabResult
from work.intake import case_intake
from work.isolation import isolation_override
from work.online import online_contact_tell

DECEMBER_7 = dt.datetime(2026, 12, 7, 10, 0, tzinfo=LONDON)
pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]

EXPOSED = D(2026, 12, 5)
TESTED = D(2026, 12, 3)
TESTED_ENDS = D(2026, 12, 13)  # Sunday
MISTYPED = D(2026, 11, 24)
MISTYPED_ENDS = D(2026, 12, 4)  # Friday, in the past
CORRECTED = D(2026, 12, 4)
CORRECTED_ENDS = D(2026, 12, 14)  # Monday
REPLACES = "This replaces the date we gave you before."


@pytest.fixture(autouse=True)
def recording(settings):
    settings.NOTIFY_SMS_BACKEND = "tests.notify.fakes.RecordingBackend"
    settings.NOTIFY_EMAIL_BACKEND = "tests.notify.fakes.RecordingBackend"
    RecordingBackend.reset()
    yield RecordingBackend
    RecordingBackend.reset()


def named(caseworker, call_handler, *, texted: bool = False) -> Contact:
    """Sam, named on the caseworker's case page as exposed on 5 December (until the
    15th: to be phoned, no text; `texted`: told by a text with a link, which went),
    held by the call handler."""
    naming = hold(a_naming_case(EXPOSED), caseworker)
    contact = contact_add(
        case=naming,
        details=ContactDetails(
            person=SAM, exposure_date=EXPOSED, exposure=Contact.Exposure.HOUSEHOLD
        ),
    )
    assert contact.isolation_ends_on == D(2026, 12, 15)
    if texted:
        online_contact_tell(contact=contact, now=DECEMBER_7)
        link_sent(contact)
    return hold(contact, call_handler)


def positive(caseworker) -> Case:
    """Sam's positive result, tested 3 December: until the 13th, the caseworker's."""
    case, created = case_intake(
        result=LabResult(
            lab_reference="LAB-SAM-TYPO",
            person=SAM,
            specimen_date=TESTED,
            result_date=D(2026, 12, 7),
        )
    )
    assert created
    assert case.isolation_ends_on == TESTED_ENDS
    return hold(case, caseworker)


def link_sent(item) -> Message:
    """The text carrying the item's link goes, giving its date."""
    [link_text] = Message.objects.filter(
        **{item.kind: item},
        kind__in=(Message.Kind.CASE_LINK, Message.Kind.CONTACT_LINK),
    )
    message_send(link_text.pk)
    link_text.refresh_from_db()
    assert link_text.status == Message.Status.SENT
    return link_text


def case_texted(caseworker) -> Case:
    """Sam's case, its link texted: "isolate until the end of Sunday 13 December"."""
    case = positive(caseworker)
    assert f"until the end of {long_date(TESTED_ENDS)}" in link_sent(case).body
    return case


def assess(case: Case, caseworker, onset: dt.date | None, **more) -> None:
    """Saved as the case page saves it: from the assessment it was drawn from."""
    case.refresh_from_db()
    saved = RiskAssessment.objects.filter(case=case).first()
    case_assessment_record(
        case=case,
        details=AssessmentDetails(
            symptomatic=onset is not None, symptom_onset=onset, **more
        ),
        by=caseworker,
        drawn_from=DrawnFrom(saved_at=saved.assessed_at if saved else None),
    )


def page_fields(client: Client, case: Case) -> dict[str, str]:
    """The hidden fields of the case page's assessment form, as the browser sends
    them back."""
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    action = reverse("cases:assessment", args=[case.pk])
    form = re.search(rf'<form[^>]*action="{action}[^"]*"(.*?)</form>', html, re.S)
    assert form is not None
    return dict(
        re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form[1])
    )


def save_on_page(client: Client, case: Case, onset: dt.date, fields=None) -> None:
    """Saved on the case page; an onset that ends their isolation before today
    saved with the box saying the date is right (tests/workspace/
    test_onset_ending_isolation_asked.py: asked first)."""
    fields = dict(fields if fields is not None else page_fields(client, case))
    fields.update(
        {
            "symptomatic": "on",
            "symptom_onset": onset.isoformat(),
            "household_size": "2",
            "onset_ends_past": "on",
        }
    )
    response = client.post(reverse("cases:assessment", args=[case.pk]), fields)
    assert response.status_code == 302, response.content.decode()[:2000]


def read_out(client: Client, call_handler, contact: Contact) -> str:
    """The date the call handler reads out on the contact page."""
    client.force_login(call_handler)
    response = client.get(reverse("contacts:detail", args=[contact.pk]))
    assert response.status_code == 200
    text = response.content.decode()
    start = text.index('data-testid="isolation"')
    return text[start : text.index("</p>", start)]


def told_since(person_id: int, before: set[int]) -> list[Message]:
    return list(
        Message.objects.filter(person_id=person_id)
        .exclude(pk__in=before)
        .order_by("pk")
    )


def all_messages() -> set[int]:
    return set(Message.objects.values_list("pk", flat=True))


# --- the contact row follows its case back ------------------------------------------


def test_a_contact_sent_into_the_past_by_a_mistyped_onset_comes_back(
    client, caseworker, call_handler
):
    contact = named(caseworker, call_handler)
    case = positive(caseworker)
    contact.refresh_from_db()
    assert contact.isolation_ends_on == TESTED_ENDS

    assess(case, caseworker, MISTYPED)
    contact.refresh_from_db()
    assert contact.isolation_ends_on == MISTYPED_ENDS

    assess(case, caseworker, CORRECTED)

    case.refresh_from_db()
    contact.refresh_from_db()
    assert case.isolation_ends_on == CORRECTED_ENDS
    assert contact.isolation_ends_on == CORRECTED_ENDS
    said = read_out(client, call_handler, contact)
    assert "Monday 14 December 2026" in said
    assert long_date(MISTYPED_ENDS) not in said
    last = IsolationChange.objects.filter(contact=contact).order_by("pk").last()
    assert (last.became_case_id, last.replaced, last.ends_on) == (
        case.pk,
        MISTYPED_ENDS,
        CORRECTED_ENDS,
    )


def test_the_sweep_at_its_deadline_leaves_the_corrected_contact_to_be_traced(
    clock, caseworker, call_handler
):
    contact = named(caseworker, call_handler)
    case = positive(caseworker)
    assess(case, caseworker, MISTYPED)
    assess(case, caseworker, CORRECTED)
    contact.refresh_from_db()
    assert contact.escalate_due_at is not None

    clock.move_to(contact.escalate_due_at + dt.timedelta(minutes=1))
    closed, _ = contacts_close_isolation_over(
        contact.escalate_due_at + dt.timedelta(minutes=1), batch=100
    )

    contact.refresh_from_db()
    assert closed == 0
    assert contact.status != Status.CLOSED
    assert contact.closed_at is None


def test_a_contact_named_since_on_its_own_date_is_still_left_alone(
    caseworker, call_handler
):
    """Only the contacts following the corrected case follow it back: one in the
    past following nothing (or another case) stays as it is."""
    contact = named(caseworker, call_handler)
    case = positive(caseworker)
    assess(case, caseworker, MISTYPED)
    # The contact row, past, now follows nothing the correction concerns: another
    # case of theirs became the one it follows.
    other = f.CaseFactory(person=contact.person, specimen_date=D(2026, 11, 20))
    IsolationChange.objects.create(
        contact=contact,
        kind=IsolationChange.Kind.BECAME_CASE,
        became_case=other,
        ends_on=MISTYPED_ENDS,
        replaced=MISTYPED_ENDS,
        at=DECEMBER_7,
    )

    assess(case, caseworker, CORRECTED)

    contact.refresh_from_db()
    assert contact.isolation_ends_on == MISTYPED_ENDS


# --- the person is told the date in force -------------------------------------------


def test_the_case_page_tells_the_texted_case_each_changed_date(client, caseworker):
    case = case_texted(caseworker)
    client.force_login(caseworker)
    before = all_messages()

    save_on_page(client, case, MISTYPED)
    [mistyped] = told_since(case.person_id, before)
    assert mistyped.case_id == case.pk
    assert mistyped.to == "+447911123457"
    assert long_date(MISTYPED_ENDS) in mistyped.body
    assert "until the end of" not in mistyped.body
    assert "clinician" not in mistyped.body

    save_on_page(client, case, CORRECTED)

    [_, corrected] = told_since(case.person_id, before)
    assert f"until the end of {long_date(CORRECTED_ENDS)}" in corrected.body
    assert REPLACES in corrected.body
    assert "clinician" not in corrected.body
    # The mistyped date, not sent yet, never goes: their last text is the date in
    # force.
    mistyped.refresh_from_db()
    assert mistyped.status == Message.Status.SUPERSEDED


def test_a_mistyped_date_that_went_is_followed_by_the_corrected_one(caseworker):
    case = case_texted(caseworker)
    before = all_messages()
    assess(case, caseworker, MISTYPED)
    [mistyped] = told_since(case.person_id, before)
    message_send(mistyped.pk)

    assess(case, caseworker, CORRECTED)

    mistyped.refresh_from_db()
    assert mistyped.status == Message.Status.SENT
    [_, corrected] = told_since(case.person_id, before)
    assert corrected.status == Message.Status.QUEUED
    assert f"until the end of {long_date(CORRECTED_ENDS)}" in corrected.body


def test_the_same_save_sent_twice_texts_once(client, caseworker):
    case = case_texted(caseworker)
    client.force_login(caseworker)
    fields = page_fields(client, case)
    before = all_messages()

    save_on_page(client, case, CORRECTED, fields)
    save_on_page(client, case, CORRECTED, fields)

    [told] = told_since(case.person_id, before)
    assert f"until the end of {long_date(CORRECTED_ENDS)}" in told.body


def test_an_onset_that_leaves_the_end_date_as_it_was_texts_nothing(caseworker):
    """Symptoms from the day of the test: the same end date, nothing to tell."""
    case = case_texted(caseworker)
    before = all_messages()

    assess(case, caseworker, TESTED)

    case.refresh_from_db()
    assert case.isolation_ends_on == TESTED_ENDS
    assert told_since(case.person_id, before) == []


def test_a_case_told_nothing_by_message_is_sent_nothing(caseworker):
    """No text gave them a date: the caseworker on the phone gives the one in force."""
    case = positive(caseworker)
    Message.objects.filter(case=case).update(status=Message.Status.FAILED)
    before = all_messages()

    assess(case, caseworker, CORRECTED)

    assert told_since(case.person_id, before) == []


def test_a_held_up_link_text_is_sent_again_with_the_new_date_not_twice(
    clock, caseworker
):
    case = positive(caseworker)
    [link_text] = Message.objects.filter(case=case)
    RecordingBackend.reset(TemporaryFailure("503 the provider is down"))
    with pytest.raises(TemporaryFailure):
        message_send(link_text.pk)
    clock.shift(dt.timedelta(minutes=2))
    before = all_messages()

    assess(case, caseworker, CORRECTED)

    link_text.refresh_from_db()
    assert link_text.status == Message.Status.SUPERSEDED
    [again] = told_since(case.person_id, before)
    assert again.kind == Message.Kind.CASE_LINK
    assert f"until the end of {long_date(CORRECTED_ENDS)}" in again.body
    assert OnlineLink.objects.get(case=case).message_id == again.pk


def test_a_welsh_speaker_is_told_in_welsh(caseworker):
    case = case_texted(caseworker)
    person = case.person
    person.language = Language.objects.get_or_create(
        code="cy", defaults={"name": "Welsh"}
    )[0]
    person.save(update_fields=["language"])
    before = all_messages()

    assess(case, caseworker, MISTYPED)
    assess(case, caseworker, CORRECTED)

    mistyped, corrected = told_since(case.person_id, before)
    assert mistyped.language == corrected.language == "cy"
    assert long_date(MISTYPED_ENDS, "cy") in mistyped.body
    assert f"tan ddiwedd {long_date(CORRECTED_ENDS, 'cy')}" in corrected.body
    assert "Mae hyn yn disodli'r dyddiad a roesom i chi o'r blaen." in corrected.body


def test_a_clinicians_override_standing_against_the_onset_texts_nothing(caseworker):
    """The onset changes, the override's later date stands: nothing new to tell."""
    case = case_texted(caseworker)
    isolation_override(
        item=case,
        ends_on=D(2026, 12, 20),
        reason="Still febrile on day 9.",
        clinician=caseworker,
    )
    before = all_messages()

    assess(case, caseworker, CORRECTED)

    case.refresh_from_db()
    assert case.isolation_ends_on == D(2026, 12, 20)
    assert told_since(case.person_id, before) == []


def test_a_contact_texted_its_date_following_the_case_is_told_once(
    caseworker, call_handler
):
    """Sam's contact row was texted its link; their case was not (intake's text
    failed): the person is told the new date once, for the contact row."""
    contact = named(caseworker, call_handler, texted=True)
    case = positive(caseworker)
    Message.objects.filter(case=case).update(status=Message.Status.FAILED)
    before = all_messages()

    assess(case, caseworker, CORRECTED)

    contact.refresh_from_db()
    assert contact.isolation_ends_on == CORRECTED_ENDS
    [told] = told_since(contact.person_id, before)
    assert told.contact_id == contact.pk
    assert f"until the end of {long_date(CORRECTED_ENDS)}" in told.body
    assert REPLACES in told.body
    assert "coronavirus test was positive" not in told.body


def test_a_person_texted_as_case_and_contact_is_told_once(caseworker, call_handler):
    named(caseworker, call_handler, texted=True)
    case = case_texted(caseworker)
    before = all_messages()

    assess(case, caseworker, CORRECTED)

    [told] = told_since(case.person_id, before)
    assert f"until the end of {long_date(CORRECTED_ENDS)}" in told.body


# --- the audit trail ----------------------------------------------------------------


def test_the_assessment_audit_says_what_changed(caseworker):
    case = case_texted(caseworker)
    before = all_messages()

    assess(case, caseworker, MISTYPED)
    assess(case, caseworker, CORRECTED)

    event = (
        AuditEvent.objects.filter(
            object_type="cases.case",
            object_id=str(case.pk),
            detail__has_key="assessment",
        )
        .order_by("-pk")
        .first()
    )
    assert event is not None
    assert event.user == caseworker
    assert event.detail["symptom_onset"] == CORRECTED.isoformat()
    assert event.detail["replaced_onset"] == MISTYPED.isoformat()
    assert event.detail["replaced"] == MISTYPED_ENDS.isoformat()
    assert event.detail["isolation_ends_on"] == CORRECTED_ENDS.isoformat()
    [_, told] = told_since(case.person_id, before)
    assert event.detail["message"] == told.pk
