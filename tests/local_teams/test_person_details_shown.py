"""What the local team is shown of the person it is asked to reach: their email (the
one way held to reach someone named online with no phone), an interpreter flagged
without a language, and a contact's latest exposure when several cases named them,
on the escalation's page and in the team's CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from contacts.models import Contact, Exposure
from people.models import Language

from .builders import (
    SHEFFIELD,
    CaseFactory,
    escalated_case,
    escalated_contact,
    person_in,
)

pytestmark = pytest.mark.django_db

EXPORT = reverse("escalations:export")


def page_of(client, escalation) -> str:
    response = client.get(reverse("escalations:detail", args=[escalation.pk]))
    assert response.status_code == 200
    return response.content.decode()


def text(html: str) -> str:
    """The page as a reader sees it: words, one space between."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def exported(client) -> dict[str, dict[str, str]]:
    body = b"".join(client.get(EXPORT).streaming_content).decode("utf-8-sig")
    return {row["last name"]: row for row in csv.DictReader(io.StringIO(body))}


def test_a_contact_with_only_an_email_shows_it_as_a_link_to_write_to(
    clock, sheffield_client
):
    person = person_in(
        SHEFFIELD, last_name="Mailonly", phone="", email="em@example.org"
    )
    escalation = escalated_contact(person=person)

    html = page_of(sheffield_client, escalation)

    assert 'href="mailto:em@example.org"' in html
    assert "Email em@example.org" in text(html)
    assert "Phone None held" in text(html)


def test_no_email_row_for_someone_without_one(clock, sheffield_client):
    escalation = escalated_contact(person=person_in(SHEFFIELD, email=""))

    html = page_of(sheffield_client, escalation)

    assert "mailto:" not in html
    assert "Email" not in text(html).split("The contact", 1)[1].split("Escalation")[0]


def test_the_export_has_each_persons_email_and_quotes_one_like_a_formula(
    clock, sheffield_client
):
    escalated_contact(
        person=person_in(
            SHEFFIELD, last_name="Mailonly", phone="", email="em@example.org"
        )
    )
    escalated_contact(person=person_in(SHEFFIELD, last_name="Nomail", email=""))
    escalated_contact(
        person=person_in(SHEFFIELD, last_name="Formula", email="=cmd@example.org")
    )

    rows = exported(sheffield_client)

    assert rows["Mailonly"]["email"] == "em@example.org"
    assert rows["Nomail"]["email"] == ""
    # A spreadsheet would run it: csv_cell's apostrophe makes it text.
    assert rows["Formula"]["email"] == "'=cmd@example.org"
    assert rows["Mailonly"]["phone"] == ""


def test_an_interpreter_needed_with_no_language_recorded_is_shown(
    clock, sheffield_client
):
    person = person_in(SHEFFIELD, language=None, needs_interpreter=True)
    escalation = escalated_case(person=person)

    shown = text(page_of(sheffield_client, escalation))

    # The tag beside the status, and the Language row saying none is recorded.
    assert shown.count("Needs an interpreter") == 2
    assert "Language Not recorded Needs an interpreter" in shown


def test_an_interpreter_needed_with_a_language_shows_both(clock, sheffield_client):
    welsh = Language.objects.get(code="cy")
    person = person_in(SHEFFIELD, language=welsh, needs_interpreter=True)
    escalation = escalated_contact(person=person)

    shown = text(page_of(sheffield_client, escalation))

    assert "Language Welsh Needs an interpreter" in shown


def test_no_interpreter_tag_for_someone_who_needs_none(clock, sheffield_client):
    welsh = Language.objects.get(code="cy")
    person = person_in(SHEFFIELD, language=welsh, needs_interpreter=False)
    escalation = escalated_contact(person=person)

    shown = text(page_of(sheffield_client, escalation))

    assert "interpreter" not in shown.lower()
    assert "Language Welsh" in shown


def test_a_contact_named_by_two_cases_shows_the_latest_exposure_and_both_namings(
    clock, sheffield_client
):
    today = timezone.localdate()
    first, second = today - dt.timedelta(days=6), today - dt.timedelta(days=1)
    person = person_in(SHEFFIELD)
    contact_case = CaseFactory()
    escalation = escalated_contact(
        person=person,
        case=contact_case,
        exposure_date=first,
        exposure=Contact.Exposure.HOUSEHOLD,
    )
    Exposure.objects.create(
        contact=escalation.contact,
        case=CaseFactory(),
        exposure_date=second,
        exposure=Contact.Exposure.FACE_TO_FACE,
        created_at=timezone.now(),
    )

    shown = text(page_of(sheffield_client, escalation))

    assert f"Exposure Face to face, last on {second:%-d %B %Y}" in shown
    assert "Named by 2 cases" in shown
    assert f"{first:%-d %B %Y}: household" in shown
    assert f"{second:%-d %B %Y}: face to face" in shown
    # The private case behind the contact is not named to the team.
    assert contact_case.lab_reference not in shown


def test_a_contact_named_once_shows_its_one_exposure(clock, sheffield_client):
    day = timezone.localdate() - dt.timedelta(days=3)
    escalation = escalated_contact(
        exposure_date=day, exposure=Contact.Exposure.PROXIMITY
    )

    shown = text(page_of(sheffield_client, escalation))

    assert f"Exposure Within 2 metres for 15 minutes, last on {day:%-d %B %Y}" in shown
    assert "Named by" not in shown
