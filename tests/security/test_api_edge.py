"""The API's edge: body limits, JSON errors, an atomic rate limit that fails open
when Redis is down, token expiry and rotation, and the health check.

Each test checks the response, then what the database holds.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import logging
import os
import threading
import uuid
from collections import Counter

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError
from django.utils import timezone
from drf_spectacular.generators import EndpointEnumerator
from rest_framework.test import APIClient

from api import throttling
from api.authentication import ApiClientAuthentication
from api.cases.views import LabResultIntakeView
from api.models import ApiClient, Scope
from api.services import api_client_create, api_client_rotate_token
from audit.models import AuditEvent
from calls.models import CallAttempt
from cases.models import Case
from contacts.models import Contact
from escalations.models import Escalation, EscalationAction
from tests import factories as f
from tests.conftest import clear_own_cache_keys
from tracing import views as tracing_views
from work.escalation import item_escalate

pytestmark = pytest.mark.django_db

INTAKE = "/api/v1/test-results/"
REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"
# Nothing listens here: a Redis that is down.
DEAD_REDIS = "redis://127.0.0.1:6399/0"
ALL_SCOPES = list(Scope.values)

# Every POST endpoint of the API; test_the_deep_json_check_covers_every_post_endpoint
# keeps this list equal to what the URL configuration serves.
MISSING_CALL = 999_999_999
POST_ENDPOINTS = [
    "/api/v1/test-results/",
    "/api/v1/test-results/{lab_reference}/withdrawal/",
    "/api/v1/cases/{pk}/contacts/",
    "/api/v1/cases/{pk}/calls/",
    "/api/v1/cases/{pk}/isolation/",
    "/api/v1/contacts/{pk}/calls/",
    "/api/v1/contacts/{pk}/isolation/",
    "/api/v1/cases/{pk}/calls/{call_id}/correction/",
    "/api/v1/contacts/{pk}/calls/{call_id}/correction/",
    "/api/v1/escalations/{pk}/claim/",
    "/api/v1/escalations/{pk}/actions/",
    "/api/v1/escalations/{pk}/close/",
    "/api/v1/escalations/{pk}/return/",
    "/api/v1/escalations/{pk}/reopen/",
]
# Every PATCH endpoint likewise (a person's details corrected by their case or contact).
PATCH_ENDPOINTS = [
    "/api/v1/cases/{pk}/person/",
    "/api/v1/contacts/{pk}/person/",
]


# --- Fixtures (copied from tests/api/conftest.py, not imported across folders) -----


@pytest.fixture(autouse=True)
def _fresh_rate_counts():
    """Rate counts live in the shared cache, and the throttle remembers an outage:
    start each test from neither."""
    throttling.outage.reset()
    clear_own_cache_keys()
    yield
    throttling.outage.reset()
    clear_own_cache_keys()


@pytest.fixture
def make_client(db):
    """Make an integration client; returns (client, APIClient carrying its token)."""

    def make(name: str = "Lab", scopes=None, rate: int = 1000, expires_at=None):
        client, token = api_client_create(
            name=name,
            scopes=ALL_SCOPES if scopes is None else scopes,
            rate_limit_per_minute=rate,
            expires_at=expires_at,
        )
        return client, bearer(token)

    return make


@pytest.fixture
def api(make_client):
    """An HTTP client for a national integration with every scope."""
    return make_client("National integration")[1]


@pytest.fixture
def real_redis(redis_url, settings):
    """The default cache on the real Redis (whatever the run's settings), with keys
    of this test's own."""
    settings.CACHES = {
        "default": {
            "BACKEND": REDIS_CACHE,
            "LOCATION": redis_url,
            "KEY_PREFIX": f"edge-test-{os.getpid()}-{uuid.uuid4().hex[:8]}",
        }
    }
    yield redis_url
    clear_own_cache_keys()


@pytest.fixture
def redis_down(settings):
    """The cache, and the health check, pointed at a Redis that does not answer."""
    caches, redis_url = django_settings.CACHES, django_settings.REDIS_URL
    settings.REDIS_URL = DEAD_REDIS
    settings.CACHES = {
        "default": {"BACKEND": REDIS_CACHE, "LOCATION": DEAD_REDIS, "KEY_PREFIX": "x"}
    }
    yield DEAD_REDIS
    # Back before the other fixtures clear their keys (the settings fixture itself
    # is undone last).
    settings.CACHES, settings.REDIS_URL = caches, redis_url


def bearer(token: str) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return http


def result_payload(ref: str = "LAB-1", **overrides) -> dict:
    """A valid positive result as a lab posts it (a Sheffield postcode)."""
    today = timezone.localdate()
    payload = {
        "lab_reference": ref,
        "person": {
            "first_name": "Asha",
            "last_name": f"Patel-{ref}",
            "date_of_birth": "1984-03-02",
            "phone": "07911 123456",
            "postcode": "s1 2he",
        },
        "specimen_date": (today - dt.timedelta(days=2)).isoformat(),
        "result_date": (today - dt.timedelta(days=1)).isoformat(),
    }
    payload.update(overrides)
    return payload


def is_json(response) -> bool:
    return response["Content-Type"].startswith("application/json")


def escalated_contact() -> Escalation:
    """A Sheffield contact escalated to its local team (with its case)."""
    person = f.PersonFactory(area=f.area())
    contact = f.ContactFactory(person=person, area=person.area)
    return item_escalate(item=contact, reason=Escalation.Reason.UNREACHED)


def work_held() -> dict:
    """What the endpoints could change: counts, and the escalations' state."""
    return {
        "cases": Case.objects.count(),
        "contacts": Contact.objects.count(),
        "calls": CallAttempt.objects.count(),
        "escalation_actions": EscalationAction.objects.count(),
        "escalations": list(
            Escalation.objects.order_by("pk").values_list("status", "picked_up_at")
        ),
    }


# --- Bodies: depth and size ---------------------------------------------------------


def test_the_deep_json_check_covers_every_post_endpoint():
    served = {
        (method, path)
        for path, _regex, method, _view in EndpointEnumerator().get_api_endpoints()
        if method in ("POST", "PUT", "PATCH") and path.startswith("/api/")
    }
    assert served == {("POST", path) for path in POST_ENDPOINTS} | {
        ("PATCH", path) for path in PATCH_ENDPOINTS
    }


@pytest.mark.parametrize(
    ("method", "endpoint"),
    [("post", path) for path in POST_ENDPOINTS]
    + [("patch", path) for path in PATCH_ENDPOINTS],
)
def test_json_nested_1000_levels_deep_is_a_400_saying_how_deep_is_allowed(
    api, method, endpoint
):
    escalation = escalated_contact()
    contact = escalation.contact
    pk = {"cases": contact.case_id, "contacts": contact.pk}.get(
        endpoint.split("/")[3], escalation.pk
    )
    deep = b"[" * 1000 + b"]" * 1000  # about 2 KB
    before = work_held()

    # A call's correction names no call here: the body is refused before the call
    # is looked for.
    url = endpoint.format(
        pk=pk, call_id=MISSING_CALL, lab_reference=contact.case.lab_reference
    )
    response = getattr(api, method)(url, deep, content_type="application/json")

    assert response.status_code == 400, response.content[:300]
    assert is_json(response)
    limit = django_settings.API_MAX_JSON_DEPTH
    assert response.json()["detail"] == (
        f"The JSON is nested more than {limit} levels deep."
    )
    assert work_held() == before


# Real text, not look-alike letters (ruff's RUF001 warns of those).
UKRAINIAN = (
    "Квартира п'ятнадцята, будинок дванадцятий, вулиця Тараса Шевченка, Шеффілд, "  # noqa: RUF001
    "Південний Йоркшир, Англія. "
)
CHINESE = "英国英格兰南约克郡谢菲尔德市中心区西街十二号十五室，近谢菲尔德大学与火车站，"  # noqa: RUF001


def long_address(n: int) -> str:
    """An address at the intake's longest (500 characters), in Ukrainian or in
    Chinese, as a lab's records might hold it."""
    return ((UKRAINIAN if n % 2 else CHINESE) * 40)[:500]


def test_intake_accepts_a_1000_item_batch_over_3_mb_with_escaped_addresses(api):
    batch = []
    for n in range(1000):
        item = result_payload(f"LAB-BIG-{n:04d}")
        # A thousand people, as in a lab's batch (one person a thousand times
        # would be matched one result at a time).
        item["person"].update(
            first_name="Олександра",
            address=long_address(n),
            phone=f"07911 1{n:05d}",
            date_of_birth=(dt.date(1950, 1, 1) + dt.timedelta(days=n)).isoformat(),
        )
        batch.append(item)
    # Pretty-printed, everything past ASCII written as \uXXXX: about 3.2 MB.
    body = json.dumps(batch, ensure_ascii=True, indent=2).encode()
    assert len(body) > 3 * 1024 * 1024
    assert b"\\u041a" in body  # Cyrillic capital Ka
    assert b"\\u82f1" in body  # the first character of the Chinese

    response = api.post(INTAKE, body, content_type="application/json")

    assert response.status_code == 200, response.content[:300]
    assert (response.json()["created"], response.json()["invalid"]) == (1000, 0)
    cases = Case.objects.filter(lab_reference__startswith="LAB-BIG-")
    assert cases.count() == 1000
    for n in (6, 7):
        person = cases.select_related("person").get(lab_reference=f"LAB-BIG-{n:04d}")
        assert person.person.address == long_address(n)
        assert person.person.first_name == "Олександра"


def test_body_over_the_intake_limit_is_a_json_413(api):
    limit = django_settings.API_INTAKE_MAX_BODY_BYTES
    padding = "x" * (limit + 1)
    body = json.dumps(result_payload("LAB-HUGE", notes=padding)).encode()

    response = api.post(INTAKE, body, content_type="application/json")

    assert response.status_code == 413
    assert is_json(response)
    assert f"{limit // 1024} KB" in response.json()["detail"]
    assert not Case.objects.filter(lab_reference="LAB-HUGE").exists()


def test_2_mb_body_to_another_endpoint_is_a_json_413(api):
    contact = f.ContactFactory()
    body = json.dumps({"first_name": "Sam", "notes": "x" * (2 * 1024 * 1024)})
    before = work_held()

    response = api.post(
        f"/api/v1/cases/{contact.case_id}/contacts/",
        body,
        content_type="application/json",
    )

    assert response.status_code == 413
    assert is_json(response)
    assert "1024 KB" in response.json()["detail"]
    assert work_held() == before


# --- Every API error is JSON ---------------------------------------------------------


def test_unknown_api_url_is_a_json_404(api):
    response = api.get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert is_json(response)
    assert response.json()["detail"]


def test_wrong_method_is_a_json_405(api):
    response = api.delete(INTAKE)
    assert response.status_code == 405
    assert is_json(response)
    assert "DELETE" in response.json()["detail"]
    assert not Case.objects.exists()


def test_bad_json_is_a_json_400(api):
    response = api.post(INTAKE, b'{"lab_reference": ', content_type="application/json")
    assert response.status_code == 400
    assert is_json(response)
    assert "not valid JSON" in response.json()["detail"]
    assert not Case.objects.exists()


def test_no_token_is_a_json_401():
    response = APIClient().post(INTAKE, result_payload(), format="json")
    assert response.status_code == 401
    assert is_json(response)
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert not Case.objects.exists()


def test_unexpected_exception_in_a_view_is_a_json_500(api, monkeypatch):
    def explode(self, request):
        raise RuntimeError("a bug")

    monkeypatch.setattr(LabResultIntakeView, "post", explode)
    api.raise_request_exception = False

    response = api.post(INTAKE, result_payload(), format="json")

    assert response.status_code == 500
    assert is_json(response)
    assert response.json() == {
        "detail": "Something went wrong on our side; it has been logged."
    }
    assert "a bug" not in response.content.decode()
    assert not Case.objects.exists()


# --- The rate limit -----------------------------------------------------------------


def test_300_concurrent_requests_from_a_60_a_minute_client_let_at_most_60_through(
    real_redis, make_client, monkeypatch
):
    client, http = make_client(rate=60)
    token = http._credentials["HTTP_AUTHORIZATION"]
    # The threads cannot see this test's uncommitted rows (and 300 threads would
    # need 300 of the database's connections), so authentication answers from
    # memory: what runs for real, concurrently, is the throttle on the real Redis.
    # An empty batch ("[]") is a 400 from the view without a query: a 400 is a
    # request the throttle let through.
    monkeypatch.setattr(
        ApiClientAuthentication,
        "authenticate",
        lambda self, request: (
            (client.user, client)
            if request.META.get("HTTP_AUTHORIZATION") == token
            else None
        ),
    )
    n = 300
    start = threading.Barrier(n)
    responses: list = [None] * n

    def one(i: int) -> None:
        mine = APIClient()
        mine.credentials(HTTP_AUTHORIZATION=token)
        start.wait()
        responses[i] = mine.post(INTAKE, b"[]", content_type="application/json")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    codes = Counter(r.status_code for r in responses)
    assert set(codes) <= {400, 429}, codes
    assert codes[400] <= 60
    assert codes[400] == 60  # all in one window, and none lost
    refused = [r for r in responses if r.status_code == 429]
    assert all(is_json(r) and 1 <= int(r["Retry-After"]) <= 60 for r in refused)
    # The count in Redis saw every request.
    assert cache.get(throttling._count_key(client.pk)) == n
    assert not Case.objects.exists()


def test_429_retry_after_is_the_seconds_left_in_the_window(clock, make_client):
    _, http = make_client(rate=2)
    assert [http.get("/api/v1/figures/weekly/").status_code for _ in range(2)] == [
        200,
        200,
    ]
    clock.shift(dt.timedelta(seconds=45))

    response = http.get("/api/v1/figures/weekly/")

    assert response.status_code == 429
    assert is_json(response)
    assert response["Retry-After"] == "15"


def test_a_count_made_afresh_by_a_late_incr_still_expires(real_redis, monkeypatch):
    """Django's Redis incr is EXISTS then INCR: a window that ends between the two
    leaves INCR to make the key afresh, with no expiry. The window's first request
    gives it one, so a client can never be locked out for good."""
    real_incr = RedisCache.incr
    raced: list[str] = []

    def incr_as_the_window_ends(self, key, delta=1, version=None):
        if raced:
            return real_incr(self, key, delta, version)
        full = self.make_and_validate_key(key, version=version)
        raced.append(full)
        raw = self._cache.get_client(full, write=True)
        raw.delete(full)  # the window ended just after EXISTS...
        return raw.incr(full, delta)  # ...and INCR made the key afresh, no expiry

    monkeypatch.setattr(RedisCache, "incr", incr_as_the_window_ends)

    assert throttling.count_request(4242) == 1

    raw = cache._cache.get_client(write=True)
    assert 0 < raw.ttl(raced[0]) <= throttling.WINDOW_SECONDS
    assert 0 < throttling.seconds_left(4242) <= throttling.WINDOW_SECONDS


def test_with_redis_down_the_api_still_answers_and_health_says_degraded(
    redis_down, make_client, caplog
):
    _, http = make_client(rate=1)  # only failing open lets more than one through
    caplog.set_level(logging.WARNING, logger="api.throttling")
    batch = [result_payload("LAB-DOWN-2"), result_payload("LAB-DOWN-3")]

    created = http.post(INTAKE, result_payload("LAB-DOWN-1"), format="json")
    again = http.post(INTAKE, result_payload("LAB-DOWN-1"), format="json")
    invalid = http.post(INTAKE, {"lab_reference": "LAB-DOWN-X"}, format="json")
    batched = http.post(INTAKE, batch, format="json")
    health = APIClient().get("/health/")

    assert (created.status_code, again.status_code) == (201, 200)
    assert invalid.status_code == 400
    assert batched.status_code == 200
    assert batched.json()["created"] == 2
    assert health.status_code == 200
    assert health.json() == {
        "status": "degraded",
        "database": "ok",
        "cache": "unreachable",
    }
    warnings = [r for r in caplog.records if r.name == "api.throttling"]
    assert len(warnings) == 1
    assert "rate limits are off" in warnings[0].getMessage()
    assert set(
        Case.objects.filter(lab_reference__startswith="LAB-DOWN").values_list(
            "lab_reference", flat=True
        )
    ) == {"LAB-DOWN-1", "LAB-DOWN-2", "LAB-DOWN-3"}


def test_a_redis_outage_is_logged_once_a_minute_not_once_a_request(
    redis_down, make_client, caplog, monkeypatch
):
    # Try Redis on every request (no pause after a failure), to count the log lines.
    monkeypatch.setattr(throttling.outage, "retry_after", 0.0)
    _, http = make_client(rate=1)
    caplog.set_level(logging.WARNING, logger="api.throttling")

    codes = [http.get("/api/v1/figures/weekly/").status_code for _ in range(5)]

    assert codes == [200] * 5
    assert len([r for r in caplog.records if r.name == "api.throttling"]) == 1


# --- Tokens: expiry, rotation, last use ------------------------------------------------


def test_expired_token_is_401_saying_when_it_expired(clock, make_client):
    client, http = make_client(expires_at=timezone.now() - dt.timedelta(minutes=1))

    response = http.get("/api/v1/figures/weekly/")

    assert response.status_code == 401
    assert is_json(response)
    assert response.json()["detail"] == (
        "This token expired on 2021-01-12 09:59 GMT; ask for a new one."
    )
    client.refresh_from_db()
    assert client.last_used_at is None


def test_token_works_until_its_expiry(clock, make_client):
    client, http = make_client(expires_at=timezone.now() + dt.timedelta(hours=1))

    assert http.get("/api/v1/figures/weekly/").status_code == 200
    clock.shift(dt.timedelta(hours=1))
    assert http.get("/api/v1/figures/weekly/").status_code == 401

    client.refresh_from_db()
    assert client.expires_at == timezone.now()


def test_rotated_token_works_inside_the_grace_and_is_refused_after(clock, make_client):
    client, old = make_client()
    started = timezone.now()

    new = bearer(api_client_rotate_token(client=client))

    assert new.get("/api/v1/figures/weekly/").status_code == 200
    assert old.get("/api/v1/figures/weekly/").status_code == 200
    clock.shift(dt.timedelta(hours=23, minutes=59))
    assert old.get("/api/v1/figures/weekly/").status_code == 200
    clock.shift(dt.timedelta(minutes=1))
    refused = old.get("/api/v1/figures/weekly/")
    assert refused.status_code == 401
    assert is_json(refused)
    assert refused.json()["detail"] == (
        "This token was replaced and expired on 2021-01-13 10:00 GMT; use the new "
        "one, or ask for a new one."
    )
    assert new.get("/api/v1/figures/weekly/").status_code == 200
    client.refresh_from_db()
    assert client.previous_token_expires_at == started + dt.timedelta(hours=24)
    assert client.expires_at is None


def test_rotation_keeps_the_old_token_no_longer_than_its_own_expiry(clock, make_client):
    client, old = make_client(expires_at=timezone.now() + dt.timedelta(hours=2))

    api_client_rotate_token(client=client)
    clock.shift(dt.timedelta(hours=2))

    assert old.get("/api/v1/figures/weekly/").status_code == 401
    client.refresh_from_db()
    assert client.previous_token_expires_at == timezone.now()


def test_a_second_rotation_within_the_grace_drops_the_unused_middle_token(
    clock, make_client
):
    # The token in use keeps its grace; the one the first rotation issued (shown
    # once, not yet handed over) stops (api_client_rotate_token).
    client, first = make_client()
    second = bearer(api_client_rotate_token(client=client))
    third = bearer(api_client_rotate_token(client=client))

    assert first.get("/api/v1/figures/weekly/").status_code == 200
    assert second.get("/api/v1/figures/weekly/").status_code == 401
    assert third.get("/api/v1/figures/weekly/").status_code == 200


def test_rotation_is_audited(clock, make_client, supervisor):
    client, _ = make_client()

    api_client_rotate_token(client=client, by=supervisor)

    event = AuditEvent.objects.get(object_type="integrations.apiclient")
    assert event.action == AuditEvent.Action.UPDATE
    assert event.object_id == str(client.pk)
    assert event.user == supervisor
    assert event.detail == {"token": "rotated"}
    assert event.at == timezone.now()


def test_admin_rotates_a_token_showing_the_new_one_once(admin_client, make_client):
    client, old = make_client("Lab feed")

    response = admin_client.post(
        "/admin/integrations/apiclient/",
        {"action": "rotate_token", "_selected_action": [client.pk]},
        follow=True,
    )

    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert "keeps working until" in shown[0]
    token = shown[0].split("<code>")[1].split("</code>")[0]
    assert bearer(token).get("/api/v1/figures/weekly/").status_code == 200
    assert old.get("/api/v1/figures/weekly/").status_code == 200
    page = admin_client.get(f"/admin/integrations/apiclient/{client.pk}/change/")
    assert token.encode() not in page.content
    event = AuditEvent.objects.get(object_type="integrations.apiclient")
    assert event.detail == {"token": "rotated"}
    assert event.user.is_superuser


def test_admin_action_is_named_for_the_grace():
    from api.admin import ApiClientAdmin

    assert ApiClientAdmin.rotate_token.short_description == (
        "Rotate the token (the old one works for 24 hours)"
    )


def test_admin_sets_a_tokens_expiry(admin_client, make_client):
    client, http = make_client("Dashboard", scopes=[Scope.READ_FIGURES], rate=60)

    response = admin_client.post(
        f"/admin/integrations/apiclient/{client.pk}/change/",
        {
            "name": "Dashboard",
            "scopes": ["read_figures"],
            "local_team": "",
            "rate_limit_per_minute": 60,
            "expires_at_0": "2000-01-01",
            "expires_at_1": "00:00:00",
            "is_active": "on",
        },
    )

    assert response.status_code == 302
    client.refresh_from_db()
    assert client.expires_at is not None
    assert client.expires_at.year == 2000
    assert http.get("/api/v1/figures/weekly/").status_code == 401


def test_rotate_api_token_command_prints_a_working_token(make_client):
    client, old = make_client("Telephony")
    out = io.StringIO()

    call_command("rotate_api_token", "Telephony", stdout=out, stderr=io.StringIO())

    token = out.getvalue().strip()
    assert token.startswith("trc_")
    assert bearer(token).get("/api/v1/figures/weekly/").status_code == 200
    assert old.get("/api/v1/figures/weekly/").status_code == 200
    assert ApiClient.objects.for_token(token) == client
    event = AuditEvent.objects.get(object_type="integrations.apiclient")
    assert (event.user, event.detail) == (None, {"token": "rotated"})


def test_rotate_api_token_command_can_give_the_new_token_an_expiry(clock, make_client):
    client, _ = make_client("Telephony")

    call_command(
        "rotate_api_token",
        "Telephony",
        "--expires-in-days",
        "90",
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )

    client.refresh_from_db()
    assert client.expires_at == timezone.now() + dt.timedelta(days=90)


def test_rotate_api_token_command_refuses_an_unknown_client(db):
    with pytest.raises(CommandError, match="No API client named 'Nobody'"):
        call_command("rotate_api_token", "Nobody", stdout=io.StringIO())
    assert not AuditEvent.objects.exists()


def test_use_of_a_token_sets_last_used_at_at_most_once_a_minute(clock, make_client):
    client, http = make_client()
    first = timezone.now()

    http.get("/api/v1/figures/weekly/")
    client.refresh_from_db()
    assert client.last_used_at == first

    clock.shift(dt.timedelta(seconds=30))
    http.get("/api/v1/figures/weekly/")
    client.refresh_from_db()
    assert client.last_used_at == first

    clock.shift(dt.timedelta(seconds=31))
    http.get("/api/v1/figures/weekly/")
    client.refresh_from_db()
    assert client.last_used_at == timezone.now()


# --- Health -------------------------------------------------------------------------------


def test_health_is_ok_when_the_database_and_redis_answer(real_redis, settings):
    settings.REDIS_URL = real_redis
    response = APIClient().get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_health_reports_the_local_cache_without_redis(settings):
    settings.REDIS_URL = ""
    response = APIClient().get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "local"}


def test_health_is_503_when_the_database_does_not_answer(settings, monkeypatch):
    settings.REDIS_URL = ""

    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(tracing_views, "connection", Unreachable())

    response = APIClient().get("/health/")

    assert response.status_code == 503
    assert response.json() == {
        "status": "down",
        "database": "unreachable",
        "cache": "local",
    }
