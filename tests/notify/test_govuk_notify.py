"""GOV.UK Notify through its official client, against a fake Notify on 127.0.0.1.

The fake speaks Notify's v2 API as far as sending goes: it checks the JSON Web Token
in the Authorization header is signed with the API key's secret and issued by its
service, and answers 201 with a notification as Notify does, or the error it is told.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from notifications_python_client.notifications import NotificationsAPIClient

from notify.backends import GovukNotifyBackend
from notify.errors import PermanentFailure, TemporaryFailure
from notify.services import message_queue
from people.models import Message

pytestmark = pytest.mark.django_db

SERVICE_ID = str(uuid.uuid4())
SECRET = str(uuid.uuid4())
API_KEY = f"tracing_test-{SERVICE_ID}-{SECRET}"
TEMPLATES = {
    "sms:default": "11111111-1111-1111-1111-111111111111",
    "email:default": "22222222-2222-2222-2222-222222222222",
    "isolation_advice": "33333333-3333-3333-3333-333333333333",
}


@dataclass
class FakeNotify:
    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    # Answers to give instead of a 201, in turn: (status, body).
    answers: list[tuple[int, dict]] = field(default_factory=list)
    # Seconds to wait before answering (the message is taken all the same).
    delay: float = 0.0


def _handler(fake: FakeNotify) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def _answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            scheme, _, token = self.headers.get("Authorization", "").partition(" ")
            try:
                claims = jwt.decode(
                    token,
                    key=SECRET,
                    algorithms=["HS256"],
                    issuer=SERVICE_ID,
                    options={"require": ["iss", "iat"]},
                )
            except jwt.PyJWTError as exc:
                self._answer(
                    403,
                    {
                        "status_code": 403,
                        "errors": [
                            {"error": "AuthError", "message": f"Invalid token: {exc}"}
                        ],
                    },
                )
                return
            fake.received.append(
                {"path": self.path, "body": body, "claims": claims, "scheme": scheme}
            )
            if fake.delay:
                time.sleep(fake.delay)
            if fake.answers:
                self._answer(*fake.answers.pop(0))
                return
            kind = self.path.rsplit("/", 1)[-1]
            if kind not in ("sms", "email"):
                self._answer(404, {"status_code": 404, "errors": []})
                return
            notification_id = str(uuid.uuid4())
            content: dict[str, Any] = {"body": body["personalisation"]["body"]}
            if kind == "sms":
                content["from_number"] = "NHStrace"
            else:
                content["subject"] = "NHS contact tracing"
                content["from_email"] = "tracing@notifications.service.gov.uk"
                content["one_click_unsubscribe_url"] = None
            self._answer(
                201,
                {
                    "id": notification_id,
                    "reference": body.get("reference"),
                    "content": content,
                    "uri": f"{fake.url}/v2/notifications/{notification_id}",
                    "template": {
                        "id": body["template_id"],
                        "version": 1,
                        "uri": f"{fake.url}/services/{SERVICE_ID}/templates/"
                        f"{body['template_id']}",
                    },
                    "scheduled_for": None,
                },
            )

    return Handler


@pytest.fixture
def fake_notify(settings, monkeypatch):
    # Straight to 127.0.0.1, whatever proxy the machine has.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    fake = FakeNotify()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.GOVUK_NOTIFY_API_KEY = API_KEY
    settings.GOVUK_NOTIFY_BASE_URL = fake.url
    settings.GOVUK_NOTIFY_TEMPLATES = TEMPLATES
    settings.NOTIFY_SMS_BACKEND = "notify.backends.GovukNotifyBackend"
    settings.NOTIFY_EMAIL_BACKEND = "notify.backends.GovukNotifyBackend"
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def a_message(person, *, channel=Message.Channel.SMS, **fields):
    return message_queue(
        person=person,
        kind=fields.pop("kind", Message.Kind.ISOLATION_ADVICE),
        channel=channel,
        to=person.email if channel == Message.Channel.EMAIL else str(person.phone),
        body="Please self-isolate until Friday 22 January 2021.",
        key=fields.pop("key", f"test:{channel}"),
        **fields,
    )


def test_a_text_goes_to_notify_signed_with_the_key_and_its_id_is_kept(
    person, fake_notify, run_tasks_here
):
    with run_tasks_here():
        message = a_message(person, personalisation={"name": "Ada"})

    (request,) = fake_notify.received
    assert request["path"] == "/v2/notifications/sms"
    assert request["scheme"] == "Bearer"
    assert request["claims"]["iss"] == SERVICE_ID
    assert request["body"] == {
        "phone_number": "+447700900123",
        "template_id": TEMPLATES["isolation_advice"],
        "personalisation": {
            "body": "Please self-isolate until Friday 22 January 2021.",
            "name": "Ada",
        },
        "reference": "test:sms",
    }
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert uuid.UUID(message.provider_reference)
    assert message.attempts == 1


def test_an_email_goes_to_notify_with_the_channel_s_template(person, fake_notify):
    message = a_message(person, channel=Message.Channel.EMAIL, kind=Message.Kind.OTHER)

    provider_id = GovukNotifyBackend().send(message)
    GovukNotifyBackend().send(a_message(person, key="kind", template=""))

    request = fake_notify.received[0]
    assert request["path"] == "/v2/notifications/email"
    assert request["body"]["email_address"] == "ada@example.org"
    assert request["body"]["template_id"] == TEMPLATES["email:default"]
    assert request["body"]["reference"] == "test:email"
    assert uuid.UUID(provider_id)
    # A template for the kind (given as Message.Kind) before the channel's default.
    assert (
        fake_notify.received[1]["body"]["template_id"]
        == (TEMPLATES["isolation_advice"])
    )


def test_a_key_signed_with_another_secret_is_refused_permanently(
    person, fake_notify, settings
):
    settings.GOVUK_NOTIFY_API_KEY = f"tracing_test-{SERVICE_ID}-{uuid.uuid4()}"
    with pytest.raises(PermanentFailure, match=r"403.*AuthError"):
        GovukNotifyBackend().send(a_message(person))
    assert fake_notify.received == []


def test_a_server_error_is_a_temporary_failure(person, fake_notify):
    fake_notify.answers.append(
        (
            500,
            {
                "status_code": 500,
                "errors": [{"error": "Exception", "message": "Internal server error"}],
            },
        )
    )
    with pytest.raises(TemporaryFailure, match="500"):
        GovukNotifyBackend().send(a_message(person))


def test_too_many_requests_is_a_temporary_failure(person, fake_notify):
    fake_notify.answers.append(
        (
            429,
            {
                "status_code": 429,
                "errors": [
                    {
                        "error": "RateLimitError",
                        "message": "Exceeded rate limit for key type LIVE of 3000 "
                        "requests per 60 seconds",
                    }
                ],
            },
        )
    )
    with pytest.raises(TemporaryFailure, match="429"):
        GovukNotifyBackend().send(a_message(person))


def test_a_number_notify_will_not_text_is_a_permanent_failure(
    person, fake_notify, run_tasks_here
):
    fake_notify.answers.append(
        (
            400,
            {
                "status_code": 400,
                "errors": [
                    {
                        "error": "ValidationError",
                        "message": "phone_number Not a UK mobile number",
                    }
                ],
            },
        )
    )
    with run_tasks_here():
        message = a_message(person)

    assert len(fake_notify.received) == 1  # never retried
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.failure_reason == (
        "GOV.UK Notify answered 400: ValidationError: phone_number Not a UK mobile "
        "number"
    )


def test_notify_not_reached_is_a_temporary_failure(person, fake_notify, settings):
    fake_notify_port_closed = "http://127.0.0.1:9"  # discard: nothing listens
    settings.GOVUK_NOTIFY_BASE_URL = fake_notify_port_closed
    with pytest.raises(TemporaryFailure, match="could not be reached"):
        GovukNotifyBackend().send(a_message(person))


def test_a_text_sent_and_not_answered_in_time_is_not_sent_again(person, fake_notify):
    """Notify took the text and answered after the client stopped waiting. Before,
    that was "GOV.UK Notify answered 503" (it never did), retried, and the person was
    texted twice."""
    fake_notify.delay = 1.0
    client = NotificationsAPIClient(API_KEY, base_url=fake_notify.url, timeout=0.3)
    message = a_message(person)

    with pytest.raises(
        PermanentFailure, match=r"unknown: GOV\.UK Notify did not answer"
    ):
        GovukNotifyBackend(client=client).send(message)

    assert len(fake_notify.received) == 1


def test_without_a_key_or_a_template_nothing_is_sent(person, fake_notify, settings):
    settings.GOVUK_NOTIFY_TEMPLATES = {}
    with pytest.raises(PermanentFailure, match=r"No GOV\.UK Notify template"):
        GovukNotifyBackend().send(a_message(person))
    settings.GOVUK_NOTIFY_TEMPLATES = TEMPLATES
    settings.GOVUK_NOTIFY_API_KEY = ""
    with pytest.raises(PermanentFailure, match="GOVUK_NOTIFY_API_KEY"):
        GovukNotifyBackend().send(a_message(person, key="another"))
    settings.GOVUK_NOTIFY_API_KEY = "too-short"
    with pytest.raises(PermanentFailure, match="not a Notify API key"):
        GovukNotifyBackend().send(a_message(person, key="a third"))
    assert fake_notify.received == []
