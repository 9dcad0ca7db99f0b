"""The admin: state and ownership are read only, and its actions are the services the
supervisor's pages call, writing the same rows and refusing with the same words."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from staffing.models import Shift, StaffProfile
from tests import factories as f

from .conftest import (
    ASSIGN_RUN,
    admin_action,
    case_in,
    contact_in,
    hold,
    team_member,
    web_session,
)

pytestmark = pytest.mark.django_db


def change_url(obj) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])


# --- read only ---------------------------------------------------------------------------


@pytest.fixture
def held_items(caseworker, call_handler):
    return {
        "case": hold(case_in(), caseworker),
        "contact": hold(contact_in(), call_handler),
    }


@pytest.mark.parametrize("kind", ["case", "contact"])
def test_the_admin_shows_who_holds_an_item_and_its_local_team_read_only(
    client, superuser, held_items, kind
):
    item = held_items[kind]
    web_session(client, superuser)

    response = client.get(change_url(item))

    assert response.status_code == 200
    editable = response.context["adminform"].form.fields
    assert not {"assignee", "local_team", "status"} & set(editable)
    assert item.assignee.username in response.text


@pytest.mark.parametrize("kind", ["case", "contact"])
def test_posting_a_new_holder_or_local_team_to_the_admin_changes_nothing(
    doors, client, superuser, held_items, kind
):
    item = held_items[kind]
    other = f.StaffProfileFactory(clinical=True, user__username="someone_else").user
    web_session(client, superuser)
    before = doors.baseline()

    run = doors.run(
        lambda: client.post(
            change_url(item),
            {
                "assignee": other.pk,
                "local_team": f.area().local_team.pk,
                "status": Status.CLOSED,
            },
        )
    )

    assert run.response.status_code == 403
    assert run.changes(before) == {}


def _form_data(form) -> dict:
    """What a browser would post back for a form left as it is."""
    data = {}
    for bound in form:
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
            continue
        if isinstance(value, list | tuple):
            data[bound.html_name] = [getattr(v, "pk", v) for v in value]
            continue
        data[bound.html_name] = "" if value is None else getattr(value, "pk", value)
    return data


def test_the_staff_form_in_the_admin_cannot_change_an_hours_cap_registration_or_sign_off(
    doors, client, superuser, caseworker
):
    profile = caseworker.staff
    web_session(client, superuser)
    page = client.get(change_url(profile))
    assert page.status_code == 200
    data = _form_data(page.context["adminform"].form)
    for inline in page.context["inline_admin_formsets"]:
        data.update(_form_data(inline.formset.management_form))
    data.update(
        {
            "weekly_hours_cap": "60",
            "registration_body": StaffProfile.RegistrationBody.GMC,
            "registration_number": "FORGED-1",
            "registration_verified_on": "2021-01-12",
            "registration_expires_on": "2031-01-01",
            "signed_off_at": "",
        }
    )
    before = doors.baseline()

    run = doors.run(lambda: client.post(change_url(profile), data))

    assert run.response.status_code == 302, run.response.context["adminform"].errors
    assert run.changes(before) == {}


def test_the_admin_cannot_edit_a_shift(doors, client, superuser, caseworker):
    shift = Shift.objects.get(staff=caseworker.staff)
    web_session(client, superuser)
    before = doors.baseline()

    run = doors.run(
        lambda: client.post(
            change_url(shift),
            {
                "status": Shift.Status.CANCELLED,
                "ends_at_0": "2021-01-12",
                "ends_at_1": "23:00",
                "cancel_reason": "edited",
            },
        )
    )

    assert client.get(change_url(shift)).status_code == 200  # shown, read only
    assert run.response.status_code == 403
    assert run.changes(before) == {}


def test_the_admin_cannot_add_an_hours_cap_change_by_hand(
    doors, client, superuser, caseworker
):
    web_session(client, superuser)
    before = doors.baseline()

    run = doors.run(
        lambda: client.post(
            reverse("admin:staffing_hourscapchange_add"),
            {
                "profile": caseworker.staff.pk,
                "old_cap": 42,
                "new_cap": 60,
                "reason": "by hand",
                "changed_by": superuser.pk,
            },
        )
    )

    assert run.response.status_code == 403
    assert run.changes(before) == {}


# --- moving work -------------------------------------------------------------------------


def page_move(client, items, to, reason="Cover for sickness"):
    return client.post(
        reverse("staffing:work"),
        {
            "items": [item.pk for item in items],
            "to": "pool" if to is None else str(to.pk),
            "reason": reason,
        },
    )


def admin_move(client, items, to, reason="Cover for sickness"):
    if to is None:
        return admin_action(client, Case, "return_to_pool", items, reason=reason)
    return admin_action(client, Case, "move_to", items, to=to.pk, reason=reason)


def test_moving_cases_to_someone_over_their_cap_is_refused_in_the_admin_with_the_pages_words(
    doors, client, superuser, lead, clinical_team
):
    taker = team_member(clinical_team, user__first_name="Tara", user__last_name="Taker")
    for _ in range(taker.open_work_cap):
        f.CaseFactory(status=Status.ASSIGNED, assignee=taker.user)
    waiting = [f.CaseFactory()]
    before = doors.baseline()

    web_session(client, lead)
    page = doors.run(lambda: page_move(client, waiting, taker))
    web_session(client, superuser)
    admin = doors.run(lambda: admin_move(client, waiting, taker))

    words = (
        f"Tara Taker holds {taker.open_work_cap} and may hold at most "
        f"{taker.open_work_cap}: 1 more would put them over their cap."
    )
    assert page.response.status_code == 200
    assert page.response.context["form"].non_field_errors() == [words]
    # The admin's action form is drawn again with the refusal, as the page's is.
    assert admin.response.status_code == 200
    assert admin.response.context["form"].non_field_errors() == [words]
    assert page.changes(before) == admin.changes(before) == {}


def test_moving_cases_in_the_admin_writes_the_same_rows_as_the_supervisors_page(
    doors, client, superuser, lead, clinical_team
):
    giver, taker = team_member(clinical_team), team_member(clinical_team)
    items = [
        f.CaseFactory(status=Status.ASSIGNED, assignee=giver.user),
        f.CaseFactory(),
    ]

    web_session(client, lead)
    page = doors.run(lambda: page_move(client, items, taker), actors={lead: "ACTOR"})
    web_session(client, superuser)
    admin = doors.run(
        lambda: admin_move(client, items, taker), actors={superuser: "ACTOR"}
    )

    assert page.response.status_code == admin.response.status_code == 302
    events = page.new("audit.auditevent")
    assert sorted(e["action"] for e in events) == ["assign", "reassign"]
    assert {e["user_id"] for e in events} == {"ACTOR"}
    assert page.diff(admin) == {}
    assert page.queued == admin.queued == []


def test_returning_cases_to_the_pool_in_the_admin_writes_the_same_rows_as_the_supervisors_page(
    doors, client, superuser, lead, clinical_team
):
    giver = team_member(clinical_team)
    items = [f.CaseFactory(status=Status.ASSIGNED, assignee=giver.user)]

    web_session(client, lead)
    page = doors.run(lambda: page_move(client, items, None), actors={lead: "ACTOR"})
    web_session(client, superuser)
    admin = doors.run(
        lambda: admin_move(client, items, None), actors={superuser: "ACTOR"}
    )

    (case,) = [c for c in page.rows["cases.case"] if c["id"] == items[0].pk]
    assert (case["status"], case["assignee_id"]) == (Status.NEW, None)
    assert page.diff(admin) == {}
    assert page.queued == admin.queued == [ASSIGN_RUN]


def test_the_admin_offers_no_caseworker_to_move_contacts_to(
    doors, client, superuser, caseworker
):
    waiting = [contact_in()]
    web_session(client, superuser)
    before = doors.baseline()

    run = doors.run(
        lambda: admin_action(
            client,
            Contact,
            "move_to",
            waiting,
            to=caseworker.staff.pk,
            reason="Cover",
        )
    )

    # The form offers only call handlers: a caseworker is not a choice.
    assert run.response.status_code == 200
    assert "to" in run.response.context["form"].errors
    assert run.changes(before) == {}


# --- staffing ------------------------------------------------------------------------------


def test_changing_an_hours_cap_in_the_admin_writes_the_same_rows_as_the_supervisors_page(
    doors, client, superuser, lead, clinical_team
):
    member = team_member(clinical_team)
    data = {"new_cap": 50, "reason": "Surge cover"}

    web_session(client, lead)
    page = doors.run(
        lambda: client.post(
            reverse("staffing:hours_cap", args=[member.pk]),
            {**data, "shown_version": 0},  # the page showed the cap never changed
        ),
        actors={lead: "ACTOR"},
    )
    web_session(client, superuser)
    admin = doors.run(
        lambda: admin_action(
            client, StaffProfile, "change_hours_cap", [member], **data
        ),
        actors={superuser: "ACTOR"},
    )

    assert page.response.status_code == admin.response.status_code == 302
    (change,) = page.new("staffing.hourscapchange")
    assert (change["old_cap"], change["new_cap"], change["changed_by_id"]) == (
        42,
        50,
        "ACTOR",
    )
    (event,) = page.new("audit.auditevent")
    assert (event["action"], event["object_id"]) == ("update", str(member.pk))
    assert page.diff(admin) == {}


def test_an_hours_cap_change_refused_by_the_service_is_refused_alike_in_the_admin(
    doors, client, superuser, lead, clinical_team
):
    member = team_member(clinical_team)
    data = {"new_cap": member.weekly_hours_cap, "reason": "No change"}
    before = doors.baseline()

    web_session(client, lead)
    page = doors.run(
        lambda: client.post(reverse("staffing:hours_cap", args=[member.pk]), data)
    )
    web_session(client, superuser)
    admin = doors.run(
        lambda: admin_action(client, StaffProfile, "change_hours_cap", [member], **data)
    )

    words = f"The cap is already {member.weekly_hours_cap} hours."
    assert page.response.context["form"].errors["new_cap"] == [words]
    assert admin.response.context["form"].non_field_errors() == [words]
    assert page.changes(before) == admin.changes(before) == {}


def test_cancelling_a_shift_in_the_admin_writes_the_same_rows_as_the_supervisors_page(
    doors, client, superuser, lead, clinical_team
):
    member = team_member(clinical_team, on_shift=False)
    shift = f.ShiftFactory(
        staff=member, starts_at=timezone.now() + dt.timedelta(days=1)
    )
    reason = "Training day"

    web_session(client, lead)
    page = doors.run(
        lambda: client.post(
            reverse("staffing:shift_cancel", args=[shift.pk]), {"reason": reason}
        ),
        actors={lead: "ACTOR"},
    )
    web_session(client, superuser)
    admin = doors.run(
        lambda: admin_action(client, Shift, "cancel_shifts", [shift], reason=reason),
        actors={superuser: "ACTOR"},
    )

    assert page.response.status_code == admin.response.status_code == 302
    (row,) = [s for s in page.rows["staffing.shift"] if s["id"] == shift.pk]
    assert (row["status"], row["cancelled_by_id"], row["cancel_reason"]) == (
        Shift.Status.CANCELLED,
        "ACTOR",
        reason,
    )
    assert [e["action"] for e in page.new("audit.auditevent")] == ["update"]
    assert page.diff(admin) == {}


def test_verifying_a_registration_in_the_admin_writes_the_same_rows_as_the_supervisors_page(
    doors, client, superuser, lead, clinical_team
):
    member = team_member(
        clinical_team,
        registration_verified_on=None,
        registration_number="",
        registration_expires_on=None,
    )
    expires = (timezone.localdate() + dt.timedelta(days=400)).isoformat()
    body = StaffProfile.RegistrationBody.HCPC

    web_session(client, lead)
    page = doors.run(
        lambda: client.post(
            reverse("staffing:registration_verify", args=[member.pk]),
            {
                "registration_body": body,
                "registration_number": "PA123456",
                "registration_expires_on": expires,
            },
        ),
        actors={lead: "ACTOR"},
    )
    web_session(client, superuser)
    admin = doors.run(
        lambda: admin_action(
            client,
            StaffProfile,
            "verify_registration",
            [member],
            body=body,
            number="PA123456",
            expires_on=expires,
        ),
        actors={superuser: "ACTOR"},
    )

    assert page.response.status_code == admin.response.status_code == 302
    (row,) = [p for p in page.rows["staffing.staffprofile"] if p["id"] == member.pk]
    assert (row["registration_number"], row["registration_verified_by_id"]) == (
        "PA123456",
        "ACTOR",
    )
    assert page.diff(admin) == {}
