"""Changes to who someone is, made in the admin's change forms, go through the
staffing services: each is an audit event (who, old and new) on /staff/audit/, and
an account turned off ends its person's shifts, so no figure counts a leaver's
hours."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from audit.models import AuditEvent
from figures.utilisation import utilisation
from figures.weekly import Period, Scope, compute_weekly_figures
from staffing.models import Shift, StaffProfile, Tier
from tests import factories as f

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
TUE = dt.date(2021, 1, 12)
WED, THU = TUE + dt.timedelta(days=1), TUE + dt.timedelta(days=2)
# The admin turns the account off on Tuesday at 13:09, mid-shift.
LEAVING = dt.datetime(2021, 1, 12, 13, 9, tzinfo=LONDON)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=LONDON)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("admin", "a@example.org", "x")


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


class _FormAsSent(HTMLParser):
    """The fields a browser sends for the form of the id given, as drawn."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = defaultdict(list)
        self.select: str | None = None
        self.first_option: str | None = None
        self.chosen = False
        self.textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.data[name].append(
                a.get("value") or ("on" if kind == "checkbox" else "")
            )
        elif tag == "select" and name:
            self.select, self.first_option, self.chosen = name, None, False
            self.multiple = "multiple" in a
        elif tag == "option" and self.select:
            value = a.get("value") or ""
            if self.first_option is None:
                self.first_option = value
            if "selected" in a:
                self.data[self.select].append(value)
                self.chosen = True
        elif tag == "textarea" and name:
            self.textarea = name
            self.data[name].append("")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select" and self.select:
            if not self.chosen and not self.multiple and self.first_option is not None:
                self.data[self.select].append(self.first_option)
            self.select = None
        elif tag == "textarea" and self.textarea:
            text = self.data[self.textarea][-1]
            self.data[self.textarea][-1] = text.removeprefix("\r\n").removeprefix("\n")
            self.textarea = None

    def handle_data(self, data):
        if self.textarea:
            self.data[self.textarea][-1] += data


def save_in_admin(client, obj, **changes) -> list[str]:
    """Open the object's change form in the admin, change the fields given (None:
    a checkbox unticked) and save it as a browser would send it; the messages the
    admin shows."""
    opts = obj._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = _FormAsSent(f"{opts.model_name}_form")
    form.feed(page.content.decode())
    data = dict(form.data)
    assert data, "the change form was not found"
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = [str(value)]
    data["_save"] = ["Save"]
    answer = client.post(url, data)
    assert answer.status_code == 302, answer.content.decode()[:3000]
    return [str(m) for m in get_messages(answer.wsgi_request)]


def changes_to(obj) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            action=AuditEvent.Action.UPDATE,
        )
    )


def shown_on_staff_audit(client, obj) -> list[tuple[str, str]]:
    """(who, what) of the rows /staff/audit/ shows for the object."""
    page = client.get(
        reverse("staffing:audit_search"),
        {"object_type": obj._meta.label_lower, "object_id": str(obj.pk)},
    )
    assert page.status_code == 200
    return [(row.who, row.what) for row in page.context["rows"]]


# --- an account turned off: the person has left ---------------------------------


@pytest.fixture
def dan(db):
    """A call handler with a shift today 11:00-19:00 and the next two days."""
    team = f.TeamFactory(name="Calls North", tier=Tier.CALL_HANDLER)
    dan = f.StaffProfileFactory(user__username="handler.dan", team=team)
    for day in (TUE, WED, THU):
        f.ShiftFactory(staff=dan, starts_at=at(day, 11), ends_at=at(day, 19))
    return dan


@pytest.mark.now(LEAVING)
def test_turning_an_account_off_ends_the_shift_now_and_cancels_those_to_come(
    clock, admin_client, admin, dan
):
    said = save_in_admin(admin_client, dan.user, is_active=None)

    assert (
        "The shift handler.dan was on ended now (the hours worked stay booked) and "
        "2 shifts to come cancelled, with the reason “Left the service”."
    ) in said
    dan.user.refresh_from_db()
    assert dan.user.is_active is False
    shifts = list(Shift.objects.filter(staff=dan).order_by("starts_at", "status"))
    booked = [(s.starts_at, s.ends_at) for s in shifts if s.status == "booked"]
    assert booked == [(at(TUE, 11), LEAVING)]  # the 2 hours 9 minutes worked
    cancelled = [s for s in shifts if s.status == Shift.Status.CANCELLED]
    assert [(s.starts_at, s.ends_at) for s in cancelled] == [
        (LEAVING, at(TUE, 19)),
        (at(WED, 11), at(WED, 19)),
        (at(THU, 11), at(THU, 19)),
    ]
    assert {(s.cancel_reason, s.cancelled_by_id) for s in cancelled} == {
        ("Left the service", admin.pk)
    }
    # Each shift's end is audited as the supervisor's cancel page audits it.
    shift_events = AuditEvent.objects.filter(object_type="staffing.shift", user=admin)
    assert shift_events.count() == 4  # cut short, its rest, and the two to come
    [event] = changes_to(dan.user)
    assert event.user == admin
    assert event.at == LEAVING
    assert event.detail["is_active"] == {"from": True, "to": False}
    assert event.detail["reason"] == "Left the service"
    said = (
        f"Turned off {dan.user.get_full_name()}'s account (Left the service): "
        "1 shift ended early, 2 to come cancelled"
    )
    assert ("admin", said) in shown_on_staff_audit(admin_client, dan.user)


@pytest.mark.now(LEAVING)
def test_a_leaver_is_counted_only_for_the_time_worked(clock, admin_client, dan):
    lead = f.StaffProfileFactory(is_supervisor=True, team=dan.team)
    save_in_admin(admin_client, dan.user, is_active=None)

    clock.move_to(at(THU, 15))  # his shifts of Tuesday to Thursday would be over
    week = utilisation(lead, monday=dt.date(2021, 1, 11))
    [his] = [row for row in week.people if row.profile.pk == dan.pk]
    assert his.hours_on_shift == pytest.approx(2.15)  # 11:00 to 13:09 on Tuesday
    # The weekly figures' week runs Thursday 7 to Wednesday 13 January.
    figures = compute_weekly_figures(
        period=Period(dt.date(2021, 1, 7)), scope=Scope.england()
    )
    [row] = figures.staff
    assert (row.team, row.hours_on_shift, row.idle_share) == ("Calls North", 2.15, 1)


@pytest.mark.now(LEAVING)
def test_turning_an_account_back_on_is_audited_and_books_nothing(
    clock, admin_client, admin, dan
):
    dan.user.is_active = False
    dan.user.save(update_fields=["is_active"])
    Shift.objects.filter(staff=dan, starts_at__gt=LEAVING).update(
        status=Shift.Status.CANCELLED, cancel_reason="Left the service"
    )

    save_in_admin(admin_client, dan.user, is_active="on")

    [event] = changes_to(dan.user)
    assert (event.user, event.detail["is_active"]) == (
        admin,
        {"from": False, "to": True},
    )
    assert Shift.objects.filter(staff=dan, status=Shift.Status.BOOKED).count() == 1


# --- who someone works for, and which team works an area ---------------------------


def test_a_profile_moved_to_the_local_tier_is_audited(admin_client, admin):
    member = f.StaffProfileFactory(team__name="Calls North")
    council = f.OrganisationFactory(name="Sheffield City Council")
    sheffield = f.area().local_team

    save_in_admin(
        admin_client,
        member,
        tier=Tier.LOCAL,
        team="",
        local_team=sheffield.pk,
        organisation=council.pk,
    )

    member.refresh_from_db()
    assert (member.tier, member.team_id, member.local_team_id) == (
        Tier.LOCAL,
        None,
        sheffield.pk,
    )
    [event] = changes_to(member)
    assert event.user == admin
    detail = event.detail
    assert detail["tier"]["from"] == Tier.CALL_HANDLER
    assert detail["tier"]["to"] == Tier.LOCAL
    assert detail["team"]["from_name"] == "Calls North"
    assert detail["team"]["to"] is None
    assert detail["local_team"]["from"] is None
    assert detail["local_team"]["to"] == sheffield.pk
    assert detail["organisation"]["to_name"] == "Sheffield City Council"
    moved = (
        f"Moved {member.user.get_full_name()} from tier 3 (call handler) to tier 1 "
        f"(local public health team), out of team Calls North, into local team "
        f"{sheffield.name}"
    )
    assert any(
        who == "admin" and what.startswith(moved)
        for who, what in shown_on_staff_audit(admin_client, member)
    )


def test_a_profile_moved_to_another_team_is_audited(admin_client, admin):
    member = f.StaffProfileFactory(team__name="Calls North")
    south = f.TeamFactory(name="Calls South", organisation=member.organisation)

    save_in_admin(admin_client, member, team=south.pk)

    [event] = changes_to(member)
    assert set(event.detail) == {"team"}
    assert event.detail["team"] == {
        "from": member.team_id,
        "to": south.pk,
        "from_name": "Calls North",
        "to_name": "Calls South",
    }


def test_an_area_given_to_another_local_team_is_audited(admin_client, admin):
    area = f.AreaFactory(local_team__name="Old Public Health")
    new_team = f.LocalTeamFactory(name="New Public Health")

    save_in_admin(admin_client, area, local_team=new_team.pk)

    area.refresh_from_db()
    assert area.local_team_id == new_team.pk
    [event] = changes_to(area)
    assert event.user == admin
    assert event.detail["local_team"]["from_name"] == "Old Public Health"
    assert event.detail["local_team"]["to_name"] == "New Public Health"
    said = f"Moved area {area.name} from Old Public Health to New Public Health"
    assert ("admin", said) in shown_on_staff_audit(admin_client, area)


@pytest.mark.now(LEAVING)
def test_saving_without_a_change_writes_no_audit_event(clock, admin_client, dan):
    area = f.AreaFactory()

    for obj in (dan.user, dan, area):
        save_in_admin(admin_client, obj)

    assert not AuditEvent.objects.exclude(action=AuditEvent.Action.VIEW).exists()
    assert Shift.objects.filter(staff=dan, status=Shift.Status.BOOKED).count() == 3
    assert StaffProfile.objects.get(pk=dan.pk).team_id == dan.team_id
