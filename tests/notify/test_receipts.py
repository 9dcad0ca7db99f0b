"""POST /api/v1/notify/receipts/: Notify's delivery receipts, with its own token."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from notify.services import message_queue
from people.models import Message

pytestmark = pytest.mark.django_db

TOKEN = "a-long-random-callback-token"
URL = "/api/v1/notify/receipts/"


@pytest.fixture
def token(settings):
    settings.NOTIFY_CALLBACK_TOKEN = TOKEN
    return TOKEN


@pytest.fixture
def sent(person):
    message = message_queue(
        person=person,
        kind=Message.Kind.ISOLATION_ADVICE,
        channel=Message.Channel.SMS,
        to=str(person.phone),
        body="Please self-isolate.",
        key="isolation_advice:contact:7",
    )
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENT,
        provider_reference="740e5834-3a29-46b4-9a6f-16142fde533a",
    )
    message.refresh_from_db()
    return message


def receipt(sent, **overrides):
    """A receipt as Notify sends it."""
    return {
        "id": sent.provider_reference,
        "reference": sent.key,
        "to": sent.to,
        "status": "delivered",
        "created_at": "2021-01-12T10:00:00.000000Z",
        "completed_at": "2021-01-12T10:00:05.000000Z",
        "sent_at": "2021-01-12T10:00:01.000000Z",
        "notification_type": "sms",
        "template_id": "11111111-1111-1111-1111-111111111111",
        "template_version": 1,
        **overrides,
    }


def post(client, body, *, token=TOKEN, raw=None):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return client.post(
        URL,
        data=raw if raw is not None else json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def test_the_url_is_named_in_the_api(client):
    assert reverse("api-notify-receipt") == URL


def test_a_delivered_receipt_marks_the_message_delivered(client, token, sent):
    response = post(client, receipt(sent))

    assert response.status_code == 204
    sent.refresh_from_db()
    assert sent.status == Message.Status.DELIVERED
    assert sent.delivered_at == dt.datetime(2021, 1, 12, 10, 0, 5, tzinfo=dt.UTC)
    # Notify may send it again: the same answer, nothing changed.
    assert post(client, receipt(sent)).status_code == 204
    sent.refresh_from_db()
    assert sent.status == Message.Status.DELIVERED


def test_a_failure_receipt_fails_the_message(client, token, sent):
    response = post(client, receipt(sent, status="permanent-failure"))
    assert response.status_code == 204
    sent.refresh_from_db()
    assert sent.status == Message.Status.FAILED
    assert "permanent-failure" in sent.failure_reason


@pytest.mark.parametrize("given", [None, "", "wrong-token", TOKEN + "x", "Token"])
def test_without_the_right_token_it_is_a_401_and_nothing_changes(
    client, token, sent, given
):
    response = post(client, receipt(sent), token=given)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "detail" in response.json()
    sent.refresh_from_db()
    assert sent.status == Message.Status.SENT


def test_a_session_or_an_api_token_does_not_open_it(client, token, sent, supervisor):
    client.force_login(supervisor)
    response = client.post(URL, receipt(sent), content_type="application/json")
    assert response.status_code == 401


def test_with_no_token_configured_every_receipt_is_refused_503(client, settings, sent):
    settings.NOTIFY_CALLBACK_TOKEN = ""
    response = post(client, receipt(sent), token="")
    assert response.status_code == 503
    assert "NOTIFY_CALLBACK_TOKEN" in response.json()["detail"]


def test_an_unknown_notification_is_a_404(client, token, sent):
    response = post(client, receipt(sent, id="00000000-0000-0000-0000-000000000000"))
    assert response.status_code == 404
    assert response.json() == {"detail": "No message was sent with that id."}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ("{not json", "non_field_errors"),
        ("[1, 2]", "non_field_errors"),
        ('"delivered"', "non_field_errors"),
        ("[" * 100 + "]" * 100, "non_field_errors"),
        (json.dumps({"status": "delivered"}), "id"),
        (json.dumps({"id": 7, "status": "delivered"}), "id"),
        (json.dumps({"id": "abc", "status": ""}), "status"),
        (
            json.dumps({"id": "abc", "status": "delivered", "completed_at": "soon"}),
            "completed_at",
        ),
        (
            json.dumps(
                {
                    "id": "abc",
                    "status": "delivered",
                    "completed_at": "2021-01-12T10:00:05",
                }
            ),
            "completed_at",
        ),
        # Past the last year Python holds once in UTC, and before the first.
        (
            json.dumps(
                {
                    "id": "abc",
                    "status": "delivered",
                    "completed_at": "9999-12-31T23:59:59-12:00",
                }
            ),
            "completed_at",
        ),
        (
            json.dumps(
                {
                    "id": "abc",
                    "status": "delivered",
                    "completed_at": "0001-01-01T00:00:00+01:00",
                }
            ),
            "completed_at",
        ),
        (
            json.dumps(
                {
                    "id": "abc",
                    "status": "delivered",
                    "completed_at": "2999-01-01T00:00Z",
                }
            ),
            "completed_at",
        ),
        (json.dumps({"id": "abc\u0000", "status": "delivered"}), "id"),
        (json.dumps({"id": "abc", "status": "deliv\u0000ered"}), "status"),
    ],
)
def test_a_bad_body_is_a_400_saying_which_field(client, token, raw, field):
    response = post(client, None, raw=raw)
    assert response.status_code == 400
    assert field in response.json()


def test_only_post(client, token):
    response = client.get(URL, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 405
    assert response["Allow"] == "POST"
