"""Parity between the doors: the page, the API and the admin doing one operation.

Every operation here runs through each door on the SAME item: the door runs inside a
savepoint that is rolled back afterwards, so the next door starts from exactly the same
rows (same primary keys, same clock). What a door did is a snapshot of every row it
could touch, normalised so that two doors can be compared with `==`:

* rows the door created are named by kind and order ("new audit.auditevent #1"), and
  references to them (foreign keys, the ids inside audit details and task arguments)
  follow that name;
* the member of staff or integration who acted through the door can be named too
  (`actors`), for doors where a different account acts by design (an API client's
  service account, the administrator in the admin);
* the door-specific `via` of a read is dropped.

The after-commit effects are captured, not sent: each queued Celery task is recorded by
name with its (normalised) arguments, and emails are read from the outbox when a test
runs the tasks for real (`run_tasks_here`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

import pytest
from celery.app.task import Task
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core import mail
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from audit.models import AuditEvent
from calls.models import CallAttempt
from cases.models import Case, ExposureSetting, RiskAssessment, SettingVisit
from cases.workitem import Status
from contacts.models import Contact, IsolationChange
from escalations.models import Escalation, EscalationAction
from people.models import Message, Person
from staffing.models import CallReview, HoursCapChange, Shift, StaffProfile, Tier
from tests import factories as f
from tests.conftest import clear_own_cache_keys
from work.escalation import item_escalate

SHEFFIELD = "E08000019"
LEEDS = "E08000035"
POSTCODES = {SHEFFIELD: "S1 1AA", LEEDS: "LS1 1UR"}

# Every table an operation of the work core writes.
WATCHED: tuple[type[models.Model], ...] = (
    Person,
    Case,
    Contact,
    CallAttempt,
    CallReview,
    Message,
    Escalation,
    EscalationAction,
    AuditEvent,
    RiskAssessment,
    ExposureSetting,
    SettingVisit,
    IsolationChange,
    HoursCapChange,
    Shift,
    StaffProfile,
)
# Ids of other rows that audit details carry, by key.
DETAIL_ROWS = {
    "call": "calls.callattempt",
    "escalation": "escalations.escalation",
    "assessment": "cases.riskassessment",
    "visit": "cases.settingvisit",
    "setting": "cases.exposuresetting",
    "case": "cases.case",
    "isolation_change": "contacts.isolationchange",
}
# Users that audit details carry, by key (top level only).
DETAIL_USERS = ("caller", "from", "to", "clinician")


# --- the clock, the cache ----------------------------------------------------------------


@pytest.fixture(autouse=True)
def _frozen(clock):
    """Every parity test runs at the one frozen moment: two doors stamp the same times."""
    return clock


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    clear_own_cache_keys()
    yield
    clear_own_cache_keys()


# --- snapshots ---------------------------------------------------------------------------


def _label(model: type[models.Model]) -> str:
    return model._meta.label_lower


@dataclass
class Names:
    """How a snapshot names new rows and acting users."""

    new: dict[tuple[str, int], str]
    actors: dict[int, str]

    def row(self, label: str, pk: Any) -> Any:
        try:
            key = (label, int(pk))
        except (TypeError, ValueError):
            return pk
        return self.new.get(key, pk)

    def user(self, pk: Any) -> Any:
        return self.actors.get(pk, pk) if pk is not None else None

    def by_model_name(self, name: str, pk: Any) -> Any:
        for label in {lab for lab, _ in self.new}:
            if label.split(".")[1] == name:
                return self.row(label, pk)
        return pk

    def detail(self, detail: dict, *, drop_via: bool) -> dict:
        out = {}
        for key, value in detail.items():
            if key == "via" and drop_via:
                continue
            if key in DETAIL_ROWS:
                value = self.row(DETAIL_ROWS[key], value)
            elif key in DETAIL_USERS:
                value = self.user(value)
            out[key] = value
        return out

    def task_kwargs(self, kwargs: dict) -> dict:
        out = {}
        for key, value in kwargs.items():
            if key == "caller_id":
                value = self.user(value)
            elif key.endswith("_id"):
                value = self.by_model_name(key[:-3], value)
            out[key] = value
        return out


def _names(marks: dict[str, int], actors: dict[int, str]) -> Names:
    new: dict[tuple[str, int], str] = {}
    for model in WATCHED:
        label = _label(model)
        pks = model.objects.filter(pk__gt=marks[label]).order_by("pk")
        for n, pk in enumerate(pks.values_list("pk", flat=True), start=1):
            new[(label, pk)] = f"new {label} #{n}"
    return Names(new=new, actors=actors)


def _raw() -> dict[str, dict[Any, dict]]:
    """Every watched row as stored, by table and primary key."""
    return {
        _label(m): {
            row["pk"]: row
            for row in m.objects.values(
                "pk", *[fld.attname for fld in m._meta.concrete_fields]
            )
        }
        for m in WATCHED
    }


def _rows(
    names: Names, before: dict[str, dict[Any, dict]], *, drop_via: bool
) -> dict[str, list[dict]]:
    """The watched rows, normalised. Who acted is renamed only where the door wrote
    it: in new rows, and in the columns of old rows that the door changed."""
    user_model = get_user_model()
    snapshot = {}
    for model in WATCHED:
        label = _label(model)
        fields = model._meta.concrete_fields
        rows = []
        for values in model.objects.order_by("pk").values(
            "pk", *[fld.attname for fld in fields]
        ):
            old = before[label].get(values["pk"])
            row = {}
            for fld in fields:
                value = values[fld.attname]
                if fld.primary_key:
                    value = names.row(label, value)
                elif fld.is_relation and fld.related_model is user_model:
                    if old is None or old[fld.attname] != value:
                        value = names.user(value)
                elif fld.is_relation:
                    value = names.row(_label(fld.related_model), value)
                row[fld.attname] = value
            if model is AuditEvent:
                row["object_id"] = names.row(row["object_type"], row["object_id"])
                row["detail"] = names.detail(row["detail"], drop_via=drop_via)
            rows.append(row)
        snapshot[label] = rows
    return snapshot


@dataclass(repr=False)
class Run:
    """What one door did: its answer, the rows after it, the tasks it queued after
    commit, the emails sent (when the tasks ran) and the page's flash messages."""

    response: Any
    rows: dict[str, list[dict]]
    queued: list[tuple[str, dict]] = field(default_factory=list)
    mails: list[dict] = field(default_factory=list)
    flashes: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        status = getattr(self.response, "status_code", None)
        return f"<Run answered {status}, queued {self.queued}>"

    def new(self, label: str) -> list[dict]:
        """The rows of one table this door created."""
        return [r for r in self.rows[label] if str(r["id"]).startswith("new ")]

    def diff(self, other: Run) -> dict[str, dict[str, list[dict]]]:
        """The rows, table by table, that only one of two runs has (empty: the two
        doors left the same rows)."""
        out = {}
        for label, rows in self.rows.items():
            theirs = other.rows[label]
            if rows != theirs:
                out[label] = {
                    "only here": [r for r in rows if r not in theirs],
                    "only there": [r for r in theirs if r not in rows],
                }
        return out

    def changes(self, baseline: Run) -> dict[str, list[dict]]:
        """Rows that differ from the baseline's (new or changed), by table."""
        out = {}
        for label, rows in self.rows.items():
            before = baseline.rows[label]
            changed = [r for r in rows if r not in before]
            if changed:
                out[label] = changed
        return out


class _Undo(Exception):
    def __init__(self, run: Run):
        self.run = run


def _flashes(response) -> list[str]:
    request = getattr(response, "wsgi_request", None)
    if request is None or not hasattr(request, "_messages"):
        return []
    return [str(m) for m in get_messages(request)]


class Doors:
    """Run an operation through one door on the shared rows, then undo it."""

    def __init__(self, capture_on_commit):
        self._capture = capture_on_commit

    def run(
        self,
        door: Callable[[], Any],
        *,
        actors: dict | None = None,
        run_tasks: Callable[[], Any] | None = None,
        drop_via: bool = True,
    ) -> Run:
        """`actors` maps a user (or id) to the name it gets in the rows; `run_tasks`
        (the run_tasks_here fixture) runs the after-commit tasks for real."""
        named = {getattr(u, "pk", u): name for u, name in (actors or {}).items()}
        before = _raw()
        # The highest primary key of each table: rows above it are the door's.
        marks = {label: max(rows, default=0) for label, rows in before.items()}
        outbox = len(mail.outbox)
        queued: list[tuple[str, dict]] = []
        original_delay = Task.delay

        def recording_delay(task, *args, **kwargs):
            queued.append((task.name, kwargs))
            if run_tasks is not None:
                return original_delay(task, *args, **kwargs)
            return None

        try:
            with transaction.atomic():
                with mock.patch.object(Task, "delay", recording_delay):
                    capture = run_tasks() if run_tasks else self._capture()
                    with capture as callbacks:
                        response = door()
                    if run_tasks is None:
                        for callback in callbacks:
                            callback()
                names = _names(marks, named)
                result = Run(
                    response=response,
                    rows=_rows(names, before, drop_via=drop_via),
                    queued=[(n, names.task_kwargs(kw)) for n, kw in queued],
                    mails=[
                        {
                            "subject": m.subject,
                            "body": m.body,
                            "to": sorted(m.to),
                            "from": m.from_email,
                        }
                        for m in mail.outbox[outbox:]
                    ],
                    flashes=_flashes(response),
                )
                raise _Undo(result)
        except _Undo as undo:
            del mail.outbox[outbox:]
            return undo.run

    def baseline(self, *, actors: dict | None = None) -> Run:
        """The rows as they are: what a door that changes nothing leaves."""
        return self.run(lambda: None, actors=actors)


@pytest.fixture
def doors(django_capture_on_commit_callbacks) -> Doors:
    return Doors(lambda: django_capture_on_commit_callbacks(execute=False))


ASSIGN_RUN = ("work.tasks.assign_work_task", {})


def safeguarding_email(escalation="new escalations.escalation #1", caller="ACTOR"):
    return (
        "work.tasks.safeguarding_email_task",
        {"escalation_id": escalation, "caller_id": caller},
    )


# --- people --------------------------------------------------------------------------------


def local_member(code: str, username: str, **kwargs):
    return f.StaffProfileFactory(
        local=True,
        local_team=f.area(code).local_team,
        user__username=username,
        **kwargs,
    ).user


@pytest.fixture
def sheffield_member(db):
    return local_member(SHEFFIELD, "sheffield_member")


@pytest.fixture
def leeds_member(db):
    return local_member(LEEDS, "leeds_member")


@pytest.fixture
def superuser(db):
    """An administrator: may use the admin, and sees and works everything."""
    return f.UserFactory(username="administrator", is_superuser=True, is_staff=True)


def supervisor_of_team(user, **kwargs):
    """A supervisor (with an email address) of the team `user` belongs to."""
    profile = user.staff
    return f.StaffProfileFactory(
        tier=profile.tier,
        team=profile.team,
        organisation=profile.organisation,
        is_supervisor=True,
        **kwargs,
    ).user


# --- HTTP clients ---------------------------------------------------------------------------


@pytest.fixture
def make_client(db):
    """An integration client: returns (client, APIClient carrying its token)."""

    def make(name: str = "Integration", scopes=None, local_team=None):
        client, token = api_client_create(
            name=name,
            scopes=list(Scope.values) if scopes is None else scopes,
            local_team=local_team,
            rate_limit_per_minute=1000,
        )
        http = APIClient()
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client, http

    return make


@pytest.fixture
def sheffield_integration(make_client):
    """Sheffield's own integration: (client, http)."""
    return make_client(
        "Sheffield dashboard",
        scopes=[Scope.CASEWORK],
        local_team=f.area(SHEFFIELD).local_team,
    )


@pytest.fixture
def national_integration(make_client):
    """A national integration (telephony) with every scope: (client, http)."""
    return make_client("National telephony")


def api_session(user) -> APIClient:
    """The API as a signed-in member of staff (their web session)."""
    http = APIClient()
    http.force_login(user)
    return http


def web_session(client, user):
    client.force_login(user)
    return client


# --- work ---------------------------------------------------------------------------------


def person_in(code: str = SHEFFIELD, **kwargs) -> Person:
    kwargs.setdefault("postcode", POSTCODES[code])
    return f.PersonFactory(area=f.area(code), **kwargs)


def hold(item, user):
    """Put an item in someone's queue, already assigned."""
    type(item).objects.filter(pk=item.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    item.refresh_from_db()
    return item


def contact_in(code: str = SHEFFIELD, **kwargs) -> Contact:
    person = kwargs.pop("person", None) or person_in(code)
    return f.ContactFactory(person=person, area=person.area, **kwargs)


def case_in(code: str = SHEFFIELD, **kwargs) -> Case:
    person = kwargs.pop("person", None) or person_in(code)
    return f.CaseFactory(person=person, area=person.area, **kwargs)


def escalated_contact(code: str = SHEFFIELD) -> Escalation:
    """A contact of the area, escalated to its local team by the service."""
    return item_escalate(
        item=contact_in(code),
        reason=Escalation.Reason.UNREACHED,
        detail="3 call attempts",
    )


# --- a supervisor's team --------------------------------------------------------------------


@pytest.fixture
def clinical_team(db):
    return f.TeamFactory(name="Clinical North", tier=Tier.CLINICAL)


@pytest.fixture
def lead(clinical_team):
    """The clinical team's supervisor, on the supervisor's pages."""
    return f.StaffProfileFactory(
        clinical=True,
        is_supervisor=True,
        team=clinical_team,
        organisation=clinical_team.organisation,
        user__username="lead",
    ).user


def team_member(team, *, on_shift: bool = True, **kwargs) -> StaffProfile:
    """A verified caseworker of a clinical team, on shift now unless told."""
    profile = f.StaffProfileFactory(
        clinical=True,
        team=team,
        organisation=team.organisation,
        tier=team.tier,
        **kwargs,
    )
    if on_shift:
        f.ShiftFactory(staff=profile)
    return profile


def admin_action(client, model: type[models.Model], action: str, rows, **fields):
    """Submit an admin action's intermediate form ("apply") for the chosen rows."""
    opts = model._meta
    return client.post(
        reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        {
            "action": action,
            "_selected_action": [str(row.pk) for row in rows],
            "apply": "Apply",
            **fields,
        },
    )
