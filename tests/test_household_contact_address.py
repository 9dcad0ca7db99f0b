"""A household contact named with no address of their own lives at the case's.

Maisie, 6, tests positive at 14 Park Road, Sheffield; her mother names herself and
the baby, Alfie, as household contacts on Maisie's link. Before, Alfie's record got
the postcode and no address: when a safeguarding concern was raised on Maisie's
case and Alfie, not reached, was escalated to the same team, the team's page for
Alfie said "Address: None held", and the warning of a concern at the door
(escalations/household.py: the postcode and the address's first line) could not
link the two. Now a contact named as living with the case, with no address held,
takes the case's address (and postcode, with none held): a new person, and one on
file with no address (never one they have), audited as a change of the person,
whichever door names them (work.casework.contact_add).
"""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audit.models import AuditEvent
from cases.models import Case
from contacts.models import Contact
from escalations.models import Escalation
from pages.online import limits
from people.models import Person
from tests import factories as f
from work.escalation import item_escalate
from work.online import online_case_invite

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SHEFFIELD = "E08000019"
HOME = "14 Park Road\nSheffield"
POSTCODE = "S1 1AA"


@pytest.fixture(autouse=True)
def _fresh_allowance():
    """Every test starts with its address's whole allowance (counted in Redis)."""
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def yesterday() -> str:
    return (timezone.localdate() - dt.timedelta(days=1)).isoformat()


def maisies_case() -> Case:
    maisie = f.PersonFactory(
        first_name="Maisie",
        last_name="Crane",
        date_of_birth=dt.date(2014, 2, 2),
        phone="+447911100301",
        address=HOME,
        postcode=POSTCODE,
        area=f.area(SHEFFIELD),
    )
    return f.CaseFactory(person=maisie, area=maisie.area)


def named_online(client, case: Case, *people: tuple[str, str]) -> None:
    """The mother, on Maisie's link, names `people` (first name, household yes/no),
    each on her mobile, with no postcode typed."""
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    token = link.message.body.split("/o/")[1].split("/")[0]
    data = {"lang": "en"}
    for i, (first_name, household) in enumerate(people):
        data |= {
            f"contact-{i}-first_name": first_name,
            f"contact-{i}-last_name": "Crane",
            f"contact-{i}-phone": "07911 100301",
            f"contact-{i}-email": "",
            f"contact-{i}-last_near": yesterday(),
            f"contact-{i}-household": household,
            f"contact-{i}-postcode": "",
        }
    done = client.post(f"/o/{token}/", data)
    assert "Thank you" in unescape(done.content.decode())


def person_named(case: Case, first_name: str) -> Person:
    return (
        Contact.objects.select_related("person")
        .get(case=case, person__first_name=first_name)
        .person
    )


def test_a_household_contact_named_online_lives_at_the_cases_address(client):
    case = maisies_case()

    named_online(client, case, ("Kerry", "yes"), ("Alfie", "yes"))

    for name in ("Kerry", "Alfie"):
        person = person_named(case, name)
        assert (person.address, person.postcode) == (HOME, POSTCODE), name
        assert person.area == case.person.area


def test_the_teams_page_for_the_baby_shows_the_home_and_the_concern_at_it(client):
    case = maisies_case()
    named_online(client, case, ("Kerry", "yes"), ("Alfie", "yes"))
    alfie = Contact.objects.get(case=case, person__first_name="Alfie")
    concern = item_escalate(
        item=case,
        reason=Escalation.Reason.SAFEGUARDING,
        detail="Mother says partner hits the children. Do not visit alone.",
    )
    baby = item_escalate(
        item=alfie, reason=Escalation.Reason.UNREACHED, detail="3 call attempts"
    )
    member = f.StaffProfileFactory(
        local=True,
        local_team=f.area(SHEFFIELD).local_team,
        user__username="local.sheffield",
    ).user
    client.force_login(member)

    page = client.get(reverse("escalations:detail", args=[baby.pk]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "14 Park Road<br>Sheffield" in html
    assert "A safeguarding concern was raised at this address (escalation " in html
    assert f'href="{reverse("escalations:detail", args=[concern.pk])}"' in html
    assert 'id="at-address"' in html


def test_someone_named_who_does_not_live_with_the_case_gets_no_address(client):
    case = maisies_case()

    named_online(client, case, ("Gran", "no"))

    assert person_named(case, "Gran").address == ""


def _page_rows(*rows: dict) -> dict:
    data = {
        "contacts-TOTAL_FORMS": "3",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "20",
    }
    for i, row in enumerate(rows):
        data |= {f"contacts-{i}-{key}": value for key, value in row.items()}
    return data


def _row(first_name: str, phone: str, postcode: str, exposure: str) -> dict:
    return {
        "first_name": first_name,
        "last_name": "Crane",
        "phone": phone,
        "postcode": postcode,
        "exposure_date": yesterday(),
        "exposure": exposure,
    }


def test_the_case_page_gives_a_household_contact_the_home_and_no_one_else(
    client, caseworker
):
    case = maisies_case()
    Case.objects.filter(pk=case.pk).update(
        status="assigned", assignee=caseworker, assigned_at=timezone.now()
    )
    client.force_login(caseworker)

    client.post(
        reverse("cases:contacts", args=[case.pk]),
        _page_rows(
            _row("Kerry", "07911 100302", "s1 1aa", Contact.Exposure.HOUSEHOLD),
            # Lives with the case but gave another postcode: another home.
            _row("Dad", "07911 100303", "LS1 1UR", Contact.Exposure.HOUSEHOLD),
            _row("Teacher", "07911 100304", "S1 1AA", Contact.Exposure.FACE_TO_FACE),
        ),
    )

    assert person_named(case, "Kerry").address == HOME
    assert person_named(case, "Dad").address == ""
    assert person_named(case, "Dad").postcode == "LS1 1UR"
    assert person_named(case, "Teacher").address == ""


def test_the_api_gives_a_household_contact_the_home(caseworker):
    case = maisies_case()
    Case.objects.filter(pk=case.pk).update(
        status="assigned", assignee=caseworker, assigned_at=timezone.now()
    )
    http = APIClient()
    http.force_login(caseworker)

    answer = http.post(
        f"/api/v1/cases/{case.pk}/contacts/",
        {
            "person": {
                "first_name": "Alfie",
                "last_name": "Crane",
                "phone": "07911 100301",
                "postcode": "s1 1aa",
            },
            "exposure_date": yesterday(),
            "exposure": Contact.Exposure.HOUSEHOLD,
        },
        format="json",
    )

    assert answer.status_code == 201, answer.content
    alfie = person_named(case, "Alfie")
    assert (alfie.address, alfie.postcode) == (HOME, POSTCODE)
    assert Contact.objects.get(case=case, person=alfie).area == case.area


def test_someone_on_file_with_no_address_is_given_it_and_it_is_audited(client):
    case = maisies_case()
    kerry = f.PersonFactory(
        first_name="Kerry",
        last_name="Crane",
        phone="+447911100301",
        postcode=POSTCODE,
        area=f.area(SHEFFIELD),
    )

    named_online(client, case, ("Kerry", "yes"))

    assert person_named(case, "Kerry").pk == kerry.pk
    kerry.refresh_from_db()
    assert kerry.address == HOME
    event = AuditEvent.objects.get(
        object_type="people.person",
        object_id=str(kerry.pk),
        action=AuditEvent.Action.UPDATE,
    )
    assert event.person_id == kerry.pk
    assert event.detail["address"] == "added"
    assert event.detail["case"] == case.pk
    # The values are the person's history's to hold, never the trail's.
    assert "Park Road" not in str(event.detail)


def test_an_address_held_is_never_replaced_by_the_cases(client):
    case = maisies_case()
    kerry = f.PersonFactory(
        first_name="Kerry",
        last_name="Crane",
        phone="+447911100301",
        address="Flat 3, 2 Mill Lane\nSheffield",
        postcode=POSTCODE,
        area=f.area(SHEFFIELD),
    )

    named_online(client, case, ("Kerry", "yes"))

    kerry.refresh_from_db()
    assert kerry.address == "Flat 3, 2 Mill Lane\nSheffield"
    assert not kerry.changes.exists()
