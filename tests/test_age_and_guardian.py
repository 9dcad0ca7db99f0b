"""The caller sees how old the person is, and a child is a child.

A caseworker phoning Lily, 6, about her positive test saw her date of birth and had
to work out her age; nothing said to ask for her parent. Now the person's rows on the
case and contact pages (and the local team's escalation page) say the age beside the date of birth ("6 years old", a baby's
in months), and for anyone under 16: "Ask to speak to their parent or guardian, and
give the advice to them". Someone of 16 or more, or whose date of birth is not known,
has no such row.
"""

from __future__ import annotations

import datetime as dt
import re
from html import unescape

import pytest
from django.urls import reverse

from tests import factories as f
from tests.local_teams.builders import SHEFFIELD, escalated_contact, person_in
from tests.workspace.conftest import CaseFactory, ContactFactory, hold

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

GUARDIAN = "Ask to speak to their parent or guardian"


def text(response) -> str:
    assert response.status_code == 200
    return re.sub(
        r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    )


def case_page(client, caseworker, born):
    case = hold(CaseFactory(person=f.PersonFactory(date_of_birth=born)), caseworker)
    client.force_login(caseworker)
    return text(client.get(reverse("cases:detail", args=[case.pk])))


def contact_page(client, call_handler, born):
    contact = hold(
        ContactFactory(person=f.PersonFactory(date_of_birth=born)), call_handler
    )
    client.force_login(call_handler)
    return text(client.get(reverse("contacts:detail", args=[contact.pk])))


def test_a_childs_case_page_says_her_age_and_to_ask_for_a_parent(client, caseworker):
    page = case_page(client, caseworker, dt.date(2014, 6, 1))

    assert "1 Jun 2014 (6 years old)" in page
    assert GUARDIAN in page


def test_a_childs_contact_page_says_so_too(client, call_handler):
    page = contact_page(client, call_handler, dt.date(2005, 1, 13))  # 16 tomorrow

    assert "13 Jan 2005 (15 years old)" in page
    assert GUARDIAN in page


def test_a_baby_is_months_old(client, call_handler):
    page = contact_page(client, call_handler, dt.date(2020, 7, 20))

    assert "20 Jul 2020 (5 months old)" in page
    assert GUARDIAN in page


def test_sixteen_today_is_spoken_to_themselves(client, caseworker):
    page = case_page(client, caseworker, dt.date(2005, 1, 12))

    assert "12 Jan 2005 (16 years old)" in page
    assert GUARDIAN not in page


def test_an_adult_has_an_age_and_no_guardian_row(client, caseworker):
    page = case_page(client, caseworker, dt.date(1980, 1, 13))

    assert "13 Jan 1980 (40 years old)" in page
    assert GUARDIAN not in page


def test_no_date_of_birth_no_age_and_no_guardian_row(client, call_handler):
    page = contact_page(client, call_handler, None)

    assert "Date of birth Not known Phone" in page
    assert GUARDIAN not in page


def test_the_local_team_visiting_a_child_sees_her_age_and_to_ask_for_a_parent(
    client, local_team_member
):
    person = person_in(SHEFFIELD, date_of_birth=dt.date(2014, 6, 1))
    escalation = escalated_contact(person=person)
    client.force_login(local_team_member)

    page = text(client.get(reverse("escalations:detail", args=[escalation.pk])))

    assert "1 June 2014 (6 years old)" in page
    assert GUARDIAN in page
