"""'Can take work' says why not, on the dashboard, the team page and the reassignment
form: at their cap, off shift until when, training due, registration expired."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.urls import reverse

from cases.workitem import Status
from staffing.models import TrainingCompletion, TrainingModule
from tests import factories as f

from .conftest import NOW, at, member

pytestmark = pytest.mark.django_db

TODAY = NOW.date()  # Wednesday 14 January 2026


def held_contacts(profile, n: int) -> None:
    for _ in range(n):
        f.ContactFactory(
            case__status=Status.COMPLETED,
            status=Status.ASSIGNED,
            assignee=profile.user,
            assigned_at=NOW,
        )


def row_of(text: str, name: str) -> str:
    return unescape(text.split(name, 1)[1].split("</tr>", 1)[0])


def board_row(client, profile):
    board = client.get(reverse("staffing:dashboard")).context["board"]
    (row,) = [m for m in board.members if m.pk == profile.pk]
    return row


def team_row(client, profile):
    members = client.get(reverse("staffing:team")).context["members"]
    (row,) = [m for m in members if m.pk == profile.pk]
    return row


def test_someone_at_their_cap_cannot_take_work(clock, client, calls_lead, calls_team):
    full = member(calls_team, user__first_name="Cara", user__last_name="Capped")
    held_contacts(full, 10)
    client.force_login(calls_lead.user)
    for page in ("staffing:dashboard", "staffing:team"):
        text = client.get(reverse(page)).text
        assert "No: at their cap (10 of 10)" in row_of(text, "Cara Capped")
    assert board_row(client, full).can_take_work is False
    assert team_row(client, full).blocked_by == ["at their cap (10 of 10)"]


def test_one_below_the_cap_can_take_work(clock, client, calls_lead, calls_team):
    nearly = member(calls_team, user__first_name="Nell", user__last_name="Nearly")
    held_contacts(nearly, 9)
    client.force_login(calls_lead.user)
    assert board_row(client, nearly).can_take_work is True
    assert (
        ">Yes</span>"
        in client.get(reverse("staffing:team"))
        .text.split("Nell Nearly")[1]
        .split("</tr>")[0]
    )


def test_a_new_starters_lower_cap_counts(clock, client, calls_lead, calls_team):
    starter = member(calls_team, new_starter=True)
    held_contacts(starter, 4)
    client.force_login(calls_lead.user)
    assert board_row(client, starter).blocked_by == ["at their cap (4 of 4)"]


@pytest.mark.parametrize(
    ("starts", "words"),
    [
        (at(TODAY, 18), "off shift until 18:00"),
        (at(TODAY + dt.timedelta(days=1), 8), "off shift until 08:00 tomorrow"),
        (at(TODAY + dt.timedelta(days=3), 8), "off shift until 08:00 on Saturday"),
        (at(TODAY + dt.timedelta(days=9), 8), "off shift until 08:00 on 23 January"),
        (None, "off shift, with no shift booked"),
    ],
)
def test_off_shift_says_until_when(
    clock, client, calls_lead, calls_team, starts, words
):
    off = member(calls_team, on_shift=False)
    if starts is not None:
        f.ShiftFactory(
            staff=off, starts_at=starts, ends_at=starts + dt.timedelta(hours=8)
        )
    client.force_login(calls_lead.user)
    assert board_row(client, off).blocked_by == [words]
    assert team_row(client, off).blocked_by == [words]


def test_training_due_names_the_module(clock, client, lead, clinical_team):
    TrainingModule.objects.create(name="Infection prevention basics", tier=2)
    worker = member(clinical_team, user__first_name="Tia", user__last_name="Training")
    module = TrainingModule.objects.create(name="Safeguarding level 2", tier=2)
    client.force_login(lead.user)
    text = client.get(reverse("staffing:dashboard")).text
    assert "No: training due (Safeguarding level 2)" in row_of(text, "Tia Training")
    TrainingModule.objects.create(name="Clinical risk assessment", tier=2)
    assert team_row(client, worker).blocked_by == [
        "training due (Clinical risk assessment and 1 more)"
    ]
    TrainingCompletion.objects.create(profile=worker, module=module, completed_on=TODAY)
    assert team_row(client, worker).blocked_by == [
        "training due (Clinical risk assessment)"
    ]


def test_an_expired_registration_says_when(clock, client, lead, clinical_team):
    lapsed = member(clinical_team, registration_expires_on=dt.date(2026, 1, 3))
    older = member(clinical_team, registration_expires_on=dt.date(2025, 3, 3))
    unverified = member(clinical_team, registration_verified_on=None)
    client.force_login(lead.user)
    assert board_row(client, lapsed).blocked_by == ["registration expired on 3 January"]
    assert board_row(client, older).blocked_by == [
        "registration expired on 3 March 2025"
    ]
    assert board_row(client, unverified).blocked_by == ["registration not verified"]


def test_every_reason_is_given_at_once(clock, client, lead, clinical_team):
    TrainingModule.objects.create(name="Safeguarding level 2", tier=2)
    worker = member(
        clinical_team,
        on_shift=False,
        registration_expires_on=dt.date(2026, 1, 3),
        user__first_name="Manny",
        user__last_name="Reasons",
    )
    TrainingCompletion.objects.filter(profile=worker).delete()
    client.force_login(lead.user)
    text = client.get(reverse("staffing:team")).text
    assert (
        "No: off shift, with no shift booked; training due (Safeguarding level 2); "
        "registration expired on 3 January"
    ) in row_of(text, "Manny Reasons")


def test_the_reassignment_form_says_why_someone_cannot_take_work(
    clock, client, calls_lead, calls_team
):
    full = member(calls_team, user__first_name="Cara", user__last_name="Capped")
    held_contacts(full, 10)
    ready = member(calls_team, user__first_name="Ravi", user__last_name="Ready")
    client.force_login(calls_lead.user)
    page = client.get(reverse("staffing:work"))
    choices = dict(page.context["form"].fields["to"].choices)
    assert choices[str(ready.pk)] == "Ravi Ready: holds 0 of 10"
    assert choices[str(full.pk)] == (
        "Cara Capped: holds 10 of 10 (cannot take work: at their cap (10 of 10))"
    )
    people = page.context["people"]
    assert people.index(ready) < people.index(full)  # those who can, first


def test_the_dashboards_overdue_items_link_to_their_pages(
    clock, client, lead, calls_lead, clinical_team, calls_team
):
    nurse = member(clinical_team)
    case = f.CaseFactory(
        status=Status.ASSIGNED,
        assignee=nurse.user,
        assigned_at=NOW,
        next_attempt_at=NOW - dt.timedelta(hours=1),
    )
    client.force_login(lead.user)
    text = client.get(reverse("staffing:dashboard")).text
    link = reverse("cases:detail", args=[case.pk])
    assert f'<a href="{link}">{case.person}</a>' in text
    assert client.get(link).status_code == 200

    handler = member(calls_team)
    contact = f.ContactFactory(
        case__status=Status.COMPLETED,
        status=Status.ASSIGNED,
        assignee=handler.user,
        assigned_at=NOW,
        next_attempt_at=NOW - dt.timedelta(hours=1),
    )
    client.force_login(calls_lead.user)
    text = client.get(reverse("staffing:dashboard")).text
    link = reverse("contacts:detail", args=[contact.pk])
    assert f'<a href="{link}">{contact.person}</a>' in text
    assert client.get(link).status_code == 200
