"""Every URL of the site and the API, asked by every role, held against docs/access.md.

The URL list comes from the URL configuration, so a new page cannot be forgotten:
`test_every_url_pattern_is_in_the_matrix` fails, naming it, until it has a row in
tests/security/access_matrix.py (where the cells are explained).

One world is built for the module (two of everything: what each role may see and what
it may not) inside a transaction rolled back at the end; each test runs in a savepoint
of it, so whatever a POST changes is undone before the next test.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from .access_matrix import (
    ADMIN,
    F401,
    F403,
    F403_404,
    F404,
    LOGIN,
    MATRIX,
    NAMESPACE_RULES,
    NONE,
    OK,
    OK_MSG,
    OWN,
    OWN_403,
    ROLES,
    Row,
)

# --- the URL configuration, walked ------------------------------------------------------


def url_patterns() -> list[tuple[str, str]]:
    """Every URL pattern as (its full name "namespace:name", its route)."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = namespace
                if pattern.namespace:
                    inner = f"{namespace}{pattern.namespace}:"
                walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
            elif isinstance(pattern, URLPattern):
                found.append(
                    (f"{namespace}{pattern.name or ''}", prefix + str(pattern.pattern))
                )

    walk(get_resolver().url_patterns, "", "")
    return found


def _covered(name: str) -> bool:
    return name in MATRIX or any(name.startswith(rule) for rule in NAMESPACE_RULES)


def _slashed(route: str) -> str:
    """The route a path without its final slash stands in for (api.urls
    slash_optional: the same view, unnamed): `x` for `x/`, `^x$` for `^x/$`."""
    return route[:-1] + "/$" if route.endswith("$") else route + "/"


def test_every_url_pattern_is_in_the_matrix():
    patterns = url_patterns()
    # An API path without its final slash is its slashed route's view, under that
    # route's row.
    named_by_route = {route: name for name, route in patterns if name}
    missing = [
        f"{name or '(no name)'} -> /{route}"
        for name, route in patterns
        if not _covered(name or named_by_route.get(_slashed(route), ""))
    ]
    assert not missing, (
        "URL patterns the access matrix (tests/security/access_matrix.py) does not "
        "cover; add a row saying who may reach each:\n  " + "\n  ".join(missing)
    )


def test_every_row_of_the_matrix_is_a_url_pattern():
    names = {name for name, _ in url_patterns()}
    stale = sorted(set(MATRIX) - names)
    assert not stale, f"Rows for URL names that no longer exist: {stale}"


# --- the world: the roles, and two of every kind of object --------------------------------

SHEFFIELD = "E08000019"
LEEDS = "E08000035"
MISSING_PK = 999_999_999

# Roles that sign in to the web pages, and the API clients' tokens.
API_ROLES = ("api_local_team", "api_national")


def _build_world() -> SimpleNamespace:
    from api.models import Scope
    from api.services import api_client_create
    from cases.workitem import Status
    from staffing.models import Shift, Tier
    from tests import factories as f
    from tests.local_teams.builders import (
        CaseFactory,
        ContactFactory,
        escalated_case,
        escalated_contact,
        person_in,
    )

    now = timezone.now()
    w = SimpleNamespace()

    def hold(item, user):
        type(item).objects.filter(pk=item.pk).update(
            status=Status.ASSIGNED, assignee=user, assigned_at=now
        )
        item.refresh_from_db()
        return item

    # The roles, as tests/conftest.py's fixtures make them, and the other people.
    cw = f.StaffProfileFactory(clinical=True, user__username="caseworker")
    f.ShiftFactory(staff=cw)
    ch = f.StaffProfileFactory(user__username="call_handler")
    f.ShiftFactory(staff=ch)
    sup = f.StaffProfileFactory(
        clinical=True, is_supervisor=True, user__username="supervisor"
    )
    csup = f.StaffProfileFactory(is_supervisor=True, user__username="calls_supervisor")
    lt = f.StaffProfileFactory(local=True, user__username="local_member")
    lts = f.StaffProfileFactory(
        local=True, is_supervisor=True, user__username="local_supervisor"
    )
    admin = get_user_model().objects.create_superuser(
        username="admin", email="admin@example.com", password="password"
    )
    outsider = f.UserFactory(username="outsider")
    cw2 = f.StaffProfileFactory(clinical=True, user__username="other_caseworker")
    ch2 = f.StaffProfileFactory(user__username="other_call_handler")
    w.profiles = {
        "caseworker": cw,
        "call_handler": ch,
        "supervisor": sup,
        "calls_supervisor": csup,
        "local_team_member": lt,
        "local_team_supervisor": lts,
    }
    w.users = {role: p.user for role, p in w.profiles.items()}
    w.users["admin"] = admin
    w.users["outsider"] = outsider
    _, w.token_local = api_client_create(
        name="Sheffield dashboard",
        scopes=[Scope.CASEWORK],
        local_team=f.area(SHEFFIELD).local_team,
        rate_limit_per_minute=1_000_000,
    )
    _, w.token_national = api_client_create(
        name="National integration",
        scopes=list(Scope.values),
        rate_limit_per_minute=1_000_000,
    )

    # Work: a Sheffield case held by the caseworker with a contact held by the call
    # handler; a Leeds case and contact held by two others. A call to each contact.
    w.case = hold(CaseFactory(person=person_in(SHEFFIELD)), cw.user)
    w.case_other = hold(CaseFactory(person=person_in(LEEDS)), cw2.user)
    w.contact = hold(ContactFactory(case=w.case, person=person_in(SHEFFIELD)), ch.user)
    w.contact_other = hold(
        ContactFactory(case=w.case_other, person=person_in(LEEDS)), ch2.user
    )
    w.call = f.CallAttemptFactory(contact=w.contact, caller=ch.user)
    w.call_other = f.CallAttemptFactory(contact=w.contact_other, caller=ch2.user)
    w.case_call = f.CallAttemptFactory(case=w.case, contact=None, caller=cw.user)
    w.case_call_other = f.CallAttemptFactory(
        case=w.case_other, contact=None, caller=cw2.user
    )

    # Possible duplicates: each case's person and a look-alike in the same area.
    def pair(one, other):
        from people.models import PossibleDuplicate

        a, b = sorted((one.pk, other.pk))
        return PossibleDuplicate.objects.create(
            person_a_id=a, person_b_id=b, score=0.7, reasons=[], created_at=now
        )

    w.pair = pair(w.case.person, person_in(SHEFFIELD))
    w.pair_other = pair(w.case_other.person, person_in(LEEDS))

    # The local teams' work: an escalation and a cluster in each of Sheffield and Leeds.
    w.escalation = escalated_contact(SHEFFIELD)
    w.escalation_other = escalated_contact(
        LEEDS, case=CaseFactory(person=person_in(LEEDS))
    )
    # A case's escalation in each (a complex case): the team adds the contacts it names.
    w.case_escalation = escalated_case(SHEFFIELD)
    w.case_escalation_other = escalated_case(LEEDS)
    w.cluster = f.ClusterFactory(
        setting=f.ExposureSettingFactory(area=f.area(SHEFFIELD), postcode="S1 1AA")
    )
    w.cluster_other = f.ClusterFactory(
        setting=f.ExposureSettingFactory(area=f.area(LEEDS), postcode="LS1 1UR")
    )

    # Staffing: a new starter in each national supervisor's team, with a shift now
    # and a call waiting for review.
    def starter(team, username: str, **kwargs):
        profile = f.StaffProfileFactory(
            team=team,
            organisation=team.organisation,
            tier=team.tier,
            new_starter=True,
            user__username=username,
            **kwargs,
        )
        shift = f.ShiftFactory(staff=profile)
        review = f.CallReviewFactory(
            call=f.CallAttemptFactory(
                contact=ContactFactory(person=person_in(SHEFFIELD)),
                caller=profile.user,
            )
        )
        return profile, shift, review

    w.starter, w.team_shift, w.review = starter(
        sup.team, "clinical_starter", clinical=True
    )
    w.starter_other, w.team_shift_other, w.review_other = starter(
        csup.team, "calls_starter"
    )

    # The rota: an open slot in each role's own team the day after tomorrow, one in
    # a team nobody here is in; each role's own booked shift in three days' time.
    day = timezone.localdate(now) + dt.timedelta(days=2)
    nine = dt.datetime.combine(day, dt.time(9), tzinfo=timezone.get_current_timezone())

    def slot(tier, team):
        return f.ShiftFactory(
            staff=None,
            tier=tier,
            team=team,
            status=Shift.Status.OPEN,
            starts_at=nine,
            ends_at=nine + dt.timedelta(hours=6),
            booked_at=None,
        )

    w.slots = {role: slot(p.tier, p.team) for role, p in w.profiles.items()}
    w.slot_foreign = slot(Tier.CALL_HANDLER, f.TeamFactory(tier=Tier.CALL_HANDLER))
    later = nine + dt.timedelta(days=1)
    w.own_shifts = {
        role: f.ShiftFactory(
            staff=p, starts_at=later, ends_at=later + dt.timedelta(hours=6)
        )
        for role, p in w.profiles.items()
    }
    w.other_shift = f.ShiftFactory(
        staff=cw2, starts_at=later, ends_at=later + dt.timedelta(hours=6)
    )
    w.modules = {
        tier: f.TrainingModuleFactory(tier=tier, required=False)
        for tier in (Tier.CLINICAL, Tier.CALL_HANDLER, Tier.LOCAL)
    }

    w.audit_event = f.AuditEventFactory(
        user=cw.user, object_type="cases.case", object_id=str(w.case.pk)
    )
    return w


def _signed_in(user) -> str:
    """A session for the user, with the second factor given where their role needs
    it (as tests/conftest.py's force_login gives it); returns the session key.

    Signing in once per role, not per test, keeps the module inside its time: each
    test's savepoint undoes whatever a request does to the session."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from accounts.policy import two_factor_required
    from tests.conftest import enrolled_device

    client = Client()
    client.force_login(user)
    if two_factor_required(user):
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = enrolled_device(user).persistent_id
        session.save()
    return client.cookies[settings.SESSION_COOKIE_NAME].value


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once, in a transaction rolled back after the module's last test."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        # A receipt token is set, so the Notify webhook answers 401 to every role
        # (unset, it answers 503 to all).
        override_settings(PASSWORD_HASHERS=fast, NOTIFY_CALLBACK_TOKEN="not-a-role"),
        transaction.atomic(),
    ):
        w = _build_world()
        w.sessions = {role: _signed_in(user) for role, user in w.users.items()}
        yield w
        transaction.set_rollback(True)


# --- the objects each role is shown, per kind ------------------------------------------


def objects_for(w, kind: str, role: str) -> tuple[Any, Any]:
    """(the role's object, the other one) for a row's kind of object."""
    mirrored = {
        "member": (w.starter, w.starter_other),
        "review": (w.review, w.review_other),
        "team_shift": (w.team_shift, w.team_shift_other),
    }
    if kind in mirrored:
        mine, other = mirrored[kind]
        return (other, mine) if role == "calls_supervisor" else (mine, other)
    if kind == "slot":
        return w.slots.get(role, w.slots["caseworker"]), w.slot_foreign
    if kind == "own_shift":
        return w.own_shifts.get(role, w.own_shifts["caseworker"]), w.other_shift
    pairs = {
        "case": (w.case, w.case_other),
        # A case named by its lab reference (the lab's withdrawal of its result).
        "case_ref": (w.case, w.case_other),
        "contact": (w.contact, w.contact_other),
        "call": (w.call, w.call_other),
        "contact_call": (w.call, w.call_other),
        "case_call": (w.case_call, w.case_call_other),
        "escalation": (w.escalation, w.escalation_other),
        "case_escalation": (w.case_escalation, w.case_escalation_other),
        "cluster": (w.cluster, w.cluster_other),
        "person": (w.case.person, w.case_other.person),
        "pair": (w.pair, w.pair_other),
        "admin_case": (w.case, None),
        "admin_contact": (w.contact, None),
        "admin_person": (w.case.person, None),
        "admin_escalation": (w.escalation, None),
        "admin_auditevent": (w.audit_event, None),
        "reset_link": (None, None),
    }
    return pairs[kind]


# Kinds whose missing id must be a 404 to those who may reach the page.
MISSING_IS_404 = {
    "case",
    "case_ref",
    "contact",
    "call",
    "contact_call",
    "case_call",
    "escalation",
    "case_escalation",
    "cluster",
    "person",
    "pair",
    "member",
    "review",
    "team_shift",
    "own_shift",
}


def url_of(row: Row, obj: Any = None, *, pk: int | None = None) -> str:
    if row.kind is None or row.listing:
        return reverse(row.name)
    if row.kind == "reset_link":
        return reverse(row.name, kwargs={"uidb64": "MQ", "token": "not-a-token"})
    if row.kind == "case_ref":
        # A lab reference no case has, for a missing one.
        ref = obj.lab_reference if obj is not None else "LAB-NO-SUCH-RESULT"
        return reverse(row.name, kwargs={"lab_reference": ref})
    key = pk if pk is not None else obj.pk
    if row.kind.startswith("admin_"):
        return reverse(row.name, kwargs={"object_id": key})
    if row.kind in ("case_call", "contact_call"):
        # A call on its item: /<item>/<pk>/calls/<call_id>/...; a missing id both.
        item = key if obj is None else (obj.case_id or obj.contact_id)
        return reverse(row.name, kwargs={"pk": item, "call_id": key})
    return reverse(row.name, kwargs={"pk": key})


# POSTed with a valid body (body_for): one allowed to act must not get a 400.
VALID_BODIES = {
    "api-case-add-contact",
    "api-case-record-call",
    "api-contact-record-call",
    "api-escalation-claim",
    "api-escalation-actions",
    "api-escalation-close",
    "api-escalation-send-back",
    "api-case-person",
    "api-contact-person",
    "staffing:my_training",
    "staffing:member_training",
}


def body_for(w, row: Row, role: str, obj: Any) -> dict:
    """An empty body, or the least a request needs to reach the access check that
    comes after validation (the API's case work checks who may work the item in the
    service, once the body is valid)."""
    from calls.models import Outcome

    today = timezone.localdate()
    name = row.name
    if name == "api-case-add-contact":
        return {
            "person": {
                "first_name": "Nia",
                "last_name": "Matrix",
                "phone": "07911 123456",
                "postcode": "S1 2HE",
            },
            "exposure_date": (today - dt.timedelta(days=1)).isoformat(),
            "exposure": "household",
        }
    if name in ("api-case-record-call", "api-contact-record-call"):
        # An integration names who made the call: the item's holder, who may work it.
        holder = getattr(obj, "assignee_id", None) if obj is not None else None
        return {"outcome": Outcome.NO_ANSWER, "caller": holder or w.users["admin"].pk}
    if name == "api-escalation-actions":
        return {"kind": "doorstep", "note": "Knocked; nobody in."}
    if name == "api-escalation-close":
        return {"outcome": "not_found", "note": ""}
    if name == "api-escalation-send-back":
        return {"note": "A neighbour gave a new number."}
    if name in ("api-case-person", "api-contact-person"):
        return {"email": "matrix.person@example.com"}
    if name == "staffing:my_training":
        profile = w.profiles.get(role)
        return {"module": w.modules[profile.tier].pk} if profile else {}
    if name == "staffing:member_training" and obj is not None:
        return {"module": w.modules[obj.tier].pk}
    return {}


# --- asking, and reading the answer ------------------------------------------------------

WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)
# Written on every request whatever the answer: the session's expiry (saved on every
# request) and an API client's last-used time. Neither is the record asked about.
BOOKKEEPING = {"django_session", "integrations_apiclient"}


@dataclass
class Answer:
    method: str
    url: str
    status: int
    location: str
    writes: list[str]
    body: Any = None

    def __str__(self) -> str:
        to = f" -> {self.location}" if self.location else ""
        return f"{self.method} {self.url}: {self.status}{to}"


def ask(http: APIClient, method: str, url: str, body: dict, *, api: bool) -> Answer:
    with CaptureQueriesContext(connection) as queries:
        if method == "GET":
            response = http.get(url)
        elif method == "PATCH":
            response = http.patch(url, body, format="json")
        elif api:
            response = http.post(url, body, format="json")
        else:
            response = http.post(url, body)
    writes = sorted(
        {
            m.group(1)
            for q in queries.captured_queries
            if (m := WRITE.match(q["sql"])) and m.group(1) not in BOOKKEEPING
        }
    )
    data = None
    if response.get("Content-Type", "").startswith("application/json"):
        data = response.json()
    return Answer(
        method, url, response.status_code, response.get("Location", ""), writes, data
    )


def _is_redirect_to(answer: Answer, path: str) -> bool:
    return answer.status in (301, 302, 303) and answer.location.startswith(path)


def problem(answer: Answer, expected: str) -> str | None:
    """What is wrong with the answer, for one expectation; None when it is right.

    expected: "allowed"; "done" (allowed, and not a 400: the body was valid);
    "login", "admin", "400", "401", "403", "404"; "msg" (refused with a message: a
    redirect back); "refused" (any refusal). A refusal must have written nothing.
    """
    login = _is_redirect_to(answer, "/accounts/login/")
    if login and answer.method == "POST" and answer.url == reverse("logout"):
        login = False  # signing out ends on the sign-in page: that is its success
    admin_login = _is_redirect_to(answer, "/admin/login/")
    if expected == "done" and answer.status == 400:
        return f"{answer}: 400 {answer.body} (the test's body should be valid)"
    if expected in ("allowed", "done"):
        if login or admin_login:
            return f"{answer}: sent to sign in, expected allowed"
        if _is_redirect_to(answer, "/accounts/two-factor/") and "/accounts/" not in (
            answer.url
        ):
            return f"{answer}: asked for the second factor (the test's sign-in)"
        if answer.status in (401, 403, 404, 405) or answer.status >= 500:
            return f"{answer}: expected allowed"
        return None
    if expected == "login":
        ok = login
    elif expected == "admin":
        ok = admin_login or answer.status == 403
    elif expected == "msg":
        ok = answer.status == 302 and not login and not admin_login
    elif expected == "refused":
        ok = login or admin_login or answer.status in (401, 403, 404, 405)
    else:
        ok = answer.status == int(expected)
    if not ok:
        return f"{answer}: expected {expected}"
    if answer.writes:
        return f"{answer}: refused ({expected}) but wrote to {answer.writes}"
    return None


def split(cell: str) -> tuple[str, str]:
    """A cell as (expectation for the role's object, for the other object)."""
    return {
        OK: ("allowed", "allowed"),
        OWN: ("allowed", "404"),
        OWN_403: ("allowed", "403"),
        F403_404: ("403", "404"),
        OK_MSG: ("allowed", "msg"),
        F403: ("403", "403"),
        F404: ("404", "404"),
        LOGIN: ("login", "login"),
        ADMIN: ("admin", "admin"),
        F401: ("401", "401"),
    }[cell]


def listed_ids(answer: Answer) -> set[int]:
    data = answer.body or {}
    results = data.get("results", data) if isinstance(data, dict) else data
    return {r["id"] for r in results}


_HTTP: dict[str, APIClient] = {}


def http_for(w, role: str) -> APIClient:
    """The role's HTTP client: one per role for the module (loading the middleware
    once), its cookies reset to just the role's session for each test."""
    http = _HTTP.get(role)
    if http is None:
        http = _HTTP[role] = APIClient()
    http.cookies = SimpleCookie()
    http.credentials()
    if role == "api_local_team":
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {w.token_local}")
    elif role == "api_national":
        http.credentials(HTTP_AUTHORIZATION=f"Bearer {w.token_national}")
    elif role != "anonymous":
        http.cookies[settings.SESSION_COOKIE_NAME] = w.sessions[role]
    return http


# --- the matrix, asked --------------------------------------------------------------------

# Answers that contradict docs/access.md, found by this test and not fixed here:
# (URL name, role) -> why. Each is an xfail(strict=True): fixing it fails the test
# until the entry is removed.
KNOWN_MISMATCHES: dict[tuple[str, str], str] = {}


def _cases():
    for name in MATRIX:
        for role in ROLES:
            marks = []
            if (name, role) in KNOWN_MISMATCHES:
                marks.append(
                    pytest.mark.xfail(strict=True, reason=KNOWN_MISMATCHES[name, role])
                )
            yield pytest.param(name, role, id=f"{name}|{role}", marks=marks)


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)

    def add(self, found: str | None) -> None:
        if found:
            self.problems.append(found)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), list(_cases()))
def test_access_matrix(world, name, role):
    row = MATRIX[name]
    cell = row.cells[role]
    api = name.startswith("api-")
    http = http_for(world, role)
    findings = Findings()
    methods = {
        "GET": ["GET"],
        "POST": ["POST"],
        "GET+POST": ["GET", "POST"],
        "PATCH": ["PATCH"],
    }[row.method]

    if row.listing:
        answer = ask(http, "GET", url_of(row), {}, api=True)
        mine, other = objects_for(world, row.kind, role)
        if cell in (OK, OWN, NONE):
            if answer.status != 200:
                findings.add(f"{answer}: expected 200 with the list")
            else:
                ids = listed_ids(answer)
                want = {OK: (True, True), OWN: (True, False), NONE: (False, False)}
                for obj, shown in zip((mine, other), want[cell], strict=True):
                    if (obj.pk in ids) != shown:
                        findings.add(
                            f"{answer}: {type(obj).__name__} {obj.pk} "
                            f"{'missing from' if shown else 'shown in'} the list"
                        )
        else:
            findings.add(problem(answer, split(cell)[0]))
    elif row.kind is None or row.kind == "reset_link":
        for method in methods:
            body = body_for(world, row, role, None)
            answer = ask(http, method, url_of(row), body, api=api)
            findings.add(problem(answer, split(cell)[0]))
    else:
        mine, other = objects_for(world, row.kind, role)
        want_mine, want_other = split(cell)
        for method in methods:
            for obj, want in ((mine, want_mine), (other, want_other)):
                if obj is None:
                    continue
                body = body_for(world, row, role, obj)
                answer = ask(http, method, url_of(row, obj), body, api=api)
                if (
                    want == "allowed"
                    and method in ("POST", "PATCH")
                    and name in VALID_BODIES
                ):
                    want = "done"
                findings.add(problem(answer, want))
            if cell in (OK, OWN, OWN_403) and row.kind in MISSING_IS_404:
                body = body_for(world, row, role, None)
                answer = ask(http, method, url_of(row, pk=MISSING_PK), body, api=api)
                findings.add(problem(answer, "404"))

    if row.method in ("POST", "PATCH") and cell in (OK, OWN, OWN_403, OK_MSG):
        # A state-changing URL takes no GET, even from one who may POST to it:
        # refused, nothing written. (Those refused the POST are refused before.)
        obj = None
        if row.kind and not row.listing and row.kind != "reset_link":
            obj = objects_for(world, row.kind, role)[0]
        answer = ask(http, "GET", url_of(row, obj), {}, api=api)
        findings.add(problem(answer, "refused"))

    assert not findings.problems, (
        f"{name} as {role} (expected {cell!r}):\n  " + "\n  ".join(findings.problems)
    )


# --- the caller an integration names (docs/access.md, "Working a case or contact") ----


@pytest.mark.django_db
@pytest.mark.parametrize("role", API_ROLES)
@pytest.mark.parametrize("name", ["api-case-record-call", "api-contact-record-call"])
def test_an_integration_names_a_caller_who_may_work_the_item(world, name, role):
    """The caller named must be someone who may work the item (its holder, or a
    national supervisor), or the answer is 403 and nothing is written."""
    from calls.models import Outcome

    row = MATRIX[name]
    item = world.case if name == "api-case-record-call" else world.contact
    http = http_for(world, role)
    url = url_of(row, item)

    def call_by(user) -> Answer:
        body = {"outcome": Outcome.NO_ANSWER, "caller": user.pk}
        return ask(http, "POST", url, body, api=True)

    findings = Findings()
    holder = "caseworker" if item is world.case else "call_handler"
    for who in ("local_team_member", "call_handler", "caseworker"):
        if who != holder:
            findings.add(problem(call_by(world.users[who]), "403"))
    # No member of staff at all: the id itself is refused (400), nothing written.
    findings.add(problem(call_by(world.users["outsider"]), "400"))
    answer = call_by(world.users["supervisor"])
    if answer.status != 201:
        findings.add(f"{answer}: a national supervisor named as the caller, not 201")
    assert not findings.problems, "\n".join(findings.problems)
