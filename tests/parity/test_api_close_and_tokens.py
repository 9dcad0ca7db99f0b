"""The API answering as the pages and the admin say it does: an escalation's close
sent again, a client's expiry brought forward after a rotation, and OPTIONS on the
write actions describing the body each one takes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.services import api_client_rotate_token
from api.urls import root
from escalations.models import Escalation
from tests import factories as f

from .conftest import SHEFFIELD, escalated_contact

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return http


# --- an escalation's close, sent again -------------------------------------------------


def _claimed(http: APIClient) -> Escalation:
    escalation = escalated_contact()
    claimed = http.post(f"/api/v1/escalations/{escalation.pk}/claim/")
    assert claimed.status_code == 200
    return escalation


def test_a_close_sent_again_after_a_timeout_is_answered_as_the_first(
    sheffield_integration,
):
    _, http = sheffield_integration
    escalation = _claimed(http)
    url = f"/api/v1/escalations/{escalation.pk}/close/"
    body = {"outcome": "reached", "note": "done"}

    first = http.post(url, body, format="json")
    again = http.post(url, body, format="json")

    assert first.status_code == 200
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.json()["status"] == "closed"
    assert again.json()["outcome"] == "reached"


@pytest.mark.parametrize(
    "second",
    [
        {"outcome": "not_found", "note": "done"},
        {"outcome": "reached", "note": "done, and a letter left"},
    ],
    ids=["another outcome", "another note"],
)
def test_a_different_close_of_a_closed_escalation_is_still_409(
    sheffield_integration, second
):
    _, http = sheffield_integration
    escalation = _claimed(http)
    url = f"/api/v1/escalations/{escalation.pk}/close/"
    http.post(url, {"outcome": "reached", "note": "done"}, format="json")

    response = http.post(url, second, format="json")

    assert response.status_code == 409
    assert response.json()["detail"].startswith(
        "This escalation is already closed: You closed it at"
    )
    escalation.refresh_from_db()
    assert (escalation.outcome, escalation.outcome_note) == ("reached", "done")


def test_the_same_close_by_another_client_is_still_409(
    sheffield_integration, make_client
):
    _, http = sheffield_integration
    _, other = make_client(
        "Sheffield second feed",
        scopes=["casework"],
        local_team=f.area(SHEFFIELD).local_team,
    )
    escalation = _claimed(http)
    url = f"/api/v1/escalations/{escalation.pk}/close/"
    body = {"outcome": "reached", "note": "done"}
    http.post(url, body, format="json")

    response = other.post(url, body, format="json")

    assert response.status_code == 409
    assert "already closed" in response.json()["detail"]


# --- the client's expiry brought forward after a rotation ------------------------------


def test_bringing_the_expiry_forward_stops_the_rotated_out_token_too(
    clock, make_client
):
    client, old = make_client()
    new = bearer(api_client_rotate_token(client=client))
    assert old.get("/api/v1/figures/weekly/").status_code == 200
    # The administrator brings "Expires at" forward, to a moment already past.
    client.expires_at = timezone.now() - dt.timedelta(minutes=5)
    client.save(update_fields=["expires_at"])

    refused_new = new.get("/api/v1/figures/weekly/")
    refused_old = old.get("/api/v1/figures/weekly/")

    assert refused_new.status_code == 401
    assert refused_old.status_code == 401
    assert refused_old.json()["detail"] == (
        "This token expired on 2021-01-12 09:55 GMT; ask for a new one."
    )


def test_the_rotated_out_token_works_until_an_expiry_brought_inside_its_grace(
    clock, make_client
):
    client, old = make_client()
    api_client_rotate_token(client=client)
    client.expires_at = timezone.now() + dt.timedelta(hours=2)
    client.save(update_fields=["expires_at"])

    assert old.get("/api/v1/figures/weekly/").status_code == 200
    clock.shift(dt.timedelta(hours=2))
    assert old.get("/api/v1/figures/weekly/").status_code == 401


def test_a_rotation_after_the_expiry_was_brought_forward_revives_no_old_token(
    clock, make_client
):
    client, old = make_client()
    api_client_rotate_token(client=client)
    client.expires_at = timezone.now() - dt.timedelta(minutes=5)
    client.save(update_fields=["expires_at"])

    newest = bearer(
        api_client_rotate_token(
            client=client, expires_at=timezone.now() + dt.timedelta(days=30)
        )
    )

    assert newest.get("/api/v1/figures/weekly/").status_code == 200
    assert old.get("/api/v1/figures/weekly/").status_code == 401


# --- OPTIONS on the write actions ------------------------------------------------------


def _post_actions() -> list[tuple[str, str]]:
    """(name, url) of every @action taking POST, from the API's router."""
    found = []
    for prefix, viewset, _ in root.registry:
        for extra in viewset.get_extra_actions():
            if "post" not in extra.mapping:
                continue
            middle = "1/" if extra.detail else ""
            found.append(
                (
                    f"{prefix}.{extra.url_path}",
                    f"/api/v1/{prefix}/{middle}{extra.url_path}/",
                )
            )
    return found


def _schema_body_fields(schema: dict, url: str) -> set[str]:
    """The fields of the request body /api/schema/ gives for POST on `url`."""
    for path, operations in schema["paths"].items():
        template = path.split("/")
        parts = url.split("/")
        if len(template) != len(parts) or "post" not in operations:
            continue
        if all(
            t.startswith("{") or t == p for t, p in zip(template, parts, strict=True)
        ):
            body = operations["post"].get("requestBody")
            if body is None:
                return set()
            ref = body["content"]["application/json"]["schema"]["$ref"]
            component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
            return set(component["properties"])
    raise AssertionError(f"{url} is not in the schema")


def test_every_post_action_is_covered():
    names = {name for name, _ in _post_actions()}
    assert {
        "cases.calls",
        "cases.contacts",
        "contacts.calls",
        "escalations.close",
        "escalations.claim",
    } <= names


@pytest.mark.parametrize(("name", "url"), _post_actions())
def test_options_describes_the_body_the_action_takes(national_integration, name, url):
    _, http = national_integration
    schema = http.get("/api/schema/", {"format": "json"}).json()

    response = http.options(url)

    assert response.status_code == 200
    described = set(response.json()["actions"]["POST"])
    assert described == _schema_body_fields(schema, url), name


@pytest.mark.parametrize(
    ("url", "fields"),
    [
        ("/api/v1/escalations/2/close/", {"outcome", "note"}),
        ("/api/v1/cases/27/calls/", {"caller", "outcome"}),
        ("/api/v1/contacts/27/calls/", {"caller", "outcome"}),
        ("/api/v1/cases/27/contacts/", {"person", "exposure_date", "exposure"}),
    ],
)
def test_options_names_the_fields_a_user_fills_in(national_integration, url, fields):
    _, http = national_integration

    post = http.options(url).json()["actions"]["POST"]

    assert fields <= set(post)
    assert not any(field.get("read_only") for field in post.values())
