"""A mail server that takes an email and drops the connection before its "250"
may have it: the email is not sent again, as a text whose reply is lost is not.
Before, every SMTP error was "try again later", and the person (or the supervisors
told of a safeguarding concern) had the same email twice. A server that cannot be
reached, or refuses before the mail is handed over, is still tried again."""

from __future__ import annotations

import contextlib
import socketserver
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest

from calls.models import Outcome
from escalations.models import Escalation
from notify.errors import TemporaryFailure
from notify.services import message_send
from people.models import Message
from tests import factories as f
from tests.workspace.conftest import CaseFactory, hold
from work import calls
from work.calls import ALERT_LATE_AFTER, call_record
from work.tasks import safeguarding_alerts_sweep_task, safeguarding_email_task

pytestmark = pytest.mark.django_db


class MailServer(socketserver.ThreadingTCPServer):
    """Takes each email; after the first one's data, drops the connection instead
    of answering "250 queued"."""

    allow_reuse_address = True
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Conversation)
        self.received: list[bytes] = []

    @property
    def port(self) -> int:
        return self.server_address[1]


class _Conversation(socketserver.StreamRequestHandler):
    server: MailServer

    def say(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        self.say("220 test ESMTP")
        while line := self.rfile.readline():
            command = line.decode(errors="replace").strip().upper()
            if command.startswith("DATA"):
                self.say("354 go ahead")
                body = b""
                while (part := self.rfile.readline()) and part != b".\r\n":
                    body += part
                self.server.received.append(body)
                if len(self.server.received) == 1:
                    return  # taken, then the connection drops before the "250"
                self.say("250 queued")
            elif command.startswith("QUIT"):
                self.say("221 bye")
                return
            else:
                self.say("250 OK")


@pytest.fixture
def mail_server(settings) -> Iterator[MailServer]:
    server = MailServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5
    settings.NOTIFY_EMAIL_BACKEND = "notify.backends.DjangoEmailBackend"
    yield server
    server.shutdown()
    server.server_close()


def _sent_as_the_task_would(message_id: int) -> Message | None:
    """message_send, tried again as its task does while it fails for now."""
    for _ in range(3):
        try:
            return message_send(message_id)
        except TemporaryFailure:
            continue
    return Message.objects.get(pk=message_id)


def test_an_email_the_server_took_before_dropping_is_sent_once(mail_server, person):
    message = f.MessageFactory(
        person=person, channel=Message.Channel.EMAIL, to="ada@example.org"
    )

    _sent_as_the_task_would(message.pk)

    assert len(mail_server.received) == 1
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "may have taken" in message.failure_reason
    assert message.attempts == 1


def test_an_email_to_a_server_not_listening_is_tried_again(settings, person):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.NOTIFY_EMAIL_BACKEND = "notify.backends.DjangoEmailBackend"
    with socketserver.TCPServer(("127.0.0.1", 0), socketserver.BaseRequestHandler) as s:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", s.server_address[1]
    message = f.MessageFactory(
        person=person, channel=Message.Channel.EMAIL, to="ada@example.org"
    )

    with pytest.raises(TemporaryFailure):
        message_send(message.pk)

    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED


def test_a_safeguarding_alert_the_server_took_before_dropping_is_sent_once(
    clock, caseworker, mail_server
):
    f.StaffProfileFactory(
        clinical=True,
        is_supervisor=True,
        team=caseworker.staff.team,
        user__email="boss@example.org",
    )
    case = hold(CaseFactory(), caseworker)
    call_record(
        item=case,
        caller=caseworker,
        outcome=Outcome.SAFEGUARDING,
        notes="Child left alone at home",
    )
    escalation = Escalation.objects.get(case=case)
    task = {"escalation_id": escalation.pk, "caller_id": caseworker.pk}

    for _ in range(2):  # the task, and its retry if it asks for one
        with contextlib.suppress(OSError):
            safeguarding_email_task.run(**task)
    clock.shift(ALERT_LATE_AFTER + calls.ALERT_CLAIM_LEASE + timedelta(minutes=1))
    safeguarding_alerts_sweep_task.run()

    assert len(mail_server.received) == 1
    escalation.refresh_from_db()
    assert escalation.alert_sent_at is not None
