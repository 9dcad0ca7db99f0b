"""The file, console and Django email backends."""

from __future__ import annotations

import io
import json
import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from notify.backends import (
    ConsoleBackend,
    DjangoEmailBackend,
    FileBackend,
    read_sent,
)
from notify.errors import PermanentFailure, TemporaryFailure
from notify.services import message_queue
from people.models import Message

pytestmark = pytest.mark.django_db


def a_message(person, *, channel=Message.Channel.SMS, key="test:1", **fields):
    return message_queue(
        person=person,
        kind=fields.pop("kind", Message.Kind.ISOLATION_ADVICE),
        channel=channel,
        to=fields.pop(
            "to",
            person.email if channel == Message.Channel.EMAIL else str(person.phone),
        ),
        body=fields.pop("body", "Please self-isolate until Friday 22 January 2021."),
        key=key,
        **fields,
    )


def test_the_file_backend_writes_a_line_a_message_and_read_sent_reads_them(
    person, sent_dir, clock
):
    """(The clock stands at 10:00 on Tuesday 12 January 2021.)"""
    text = a_message(person, language="cy", personalisation={"name": "Ada"})
    email = a_message(
        person, channel=Message.Channel.EMAIL, key="test:2", template="welsh_advice"
    )
    assert not sent_dir.exists()  # made when first needed

    text_id = FileBackend().send(text)
    email_id = FileBackend().send(email)

    assert text_id != email_id
    assert text_id.startswith("file-")
    # One file for the (local) day, one JSON object per line.
    (day_file,) = sent_dir.iterdir()
    assert day_file.name == "2021-01-12.jsonl"
    lines = day_file.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [text_id, email_id]

    sent = read_sent()
    assert sent == read_sent(sent_dir)
    assert sent[0] == {
        "id": text_id,
        "message_id": text.pk,
        "key": "test:1",
        "channel": "sms",
        "kind": "isolation_advice",
        "to": "+447700900123",
        "body": "Please self-isolate until Friday 22 January 2021.",
        "language": "cy",
        "template": "",
        "personalisation": {"name": "Ada"},
        "sent_at": "2021-01-12T10:00:00+00:00",
    }
    assert sent[1]["channel"] == "email"
    assert sent[1]["to"] == "ada@example.org"
    assert sent[1]["template"] == "welsh_advice"


def test_read_sent_of_a_folder_never_written_is_empty(tmp_path):
    assert read_sent(tmp_path / "nothing-here") == []


def test_a_folder_that_cannot_be_written_is_a_temporary_failure(person, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(TemporaryFailure, match="could not write"):
        FileBackend(blocker / "messages").send(a_message(person))


def test_the_console_backend_prints_the_message(person):
    out = io.StringIO()
    provider_id = ConsoleBackend(stream=out).send(a_message(person))
    printed = out.getvalue()
    assert provider_id.startswith("console-")
    assert "Text message to +447700900123" in printed
    assert "Please self-isolate until Friday 22 January 2021." in printed
    assert provider_id in printed


# --- email through Django's mail backend ------------------------------------------------


def test_the_email_backend_sends_through_django(person, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    message = a_message(
        person,
        channel=Message.Channel.EMAIL,
        personalisation={"subject": "You need to self-isolate"},
    )

    provider_id = DjangoEmailBackend().send(message)

    (email,) = mail.outbox
    assert email.to == ["ada@example.org"]
    assert email.subject == "You need to self-isolate"
    assert email.body == message.body
    assert email.extra_headers["Message-ID"] == provider_id


def test_the_email_backend_sends_no_texts(person):
    with pytest.raises(PermanentFailure):
        DjangoEmailBackend().send(a_message(person))


class RefusingMailBackend(BaseEmailBackend):
    """A mail server that answers as `error` says."""

    error: Exception = smtplib.SMTPServerDisconnected("Connection unexpectedly closed")

    def send_messages(self, email_messages):
        raise self.error


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (smtplib.SMTPServerDisconnected("closed"), TemporaryFailure),
        (ConnectionRefusedError(111, "Connection refused"), TemporaryFailure),
        (TimeoutError("timed out"), TemporaryFailure),
        (smtplib.SMTPDataError(451, b"try later"), TemporaryFailure),
        (
            smtplib.SMTPRecipientsRefused({"ada@example.org": (550, b"no such user")}),
            PermanentFailure,
        ),
        (
            smtplib.SMTPRecipientsRefused({"ada@example.org": (452, b"mailbox full")}),
            TemporaryFailure,
        ),
    ],
)
def test_mail_server_errors_are_temporary_unless_the_address_is_refused(
    person, settings, monkeypatch, error, failure
):
    settings.EMAIL_BACKEND = f"{__name__}.RefusingMailBackend"
    monkeypatch.setattr(RefusingMailBackend, "error", error)
    with pytest.raises(failure):
        DjangoEmailBackend().send(a_message(person, channel=Message.Channel.EMAIL))
