"""Where a message goes: one small interface, a backend per channel chosen in settings.

    class Backend:
        def send(self, message: Message) -> str   # the provider's id for it

A backend raises TemporaryFailure when trying again later may work (no connection, a
timeout, 429, a 5xx) and PermanentFailure when it never will (400, 403, a bad number).
It is called outside any transaction, once per attempt (notify.services.message_send).

FileBackend (the default for both channels) appends one JSON line per message to a
file per local day under NOTIFY_FILE_DIR; `read_sent()` reads them back.
"""

from __future__ import annotations

import json
import logging
import smtplib
import sys
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any, TextIO

import requests
import urllib3
from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.core.mail.utils import DNS_NAME
from django.utils import timezone
from notifications_python_client.errors import HTTPError, InvalidResponse
from notifications_python_client.notifications import NotificationsAPIClient

from people.models import Message
from rows.lease import mail_may_have_gone

from .errors import PermanentFailure, SendFailure, TemporaryFailure

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Linux
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)


class Backend:
    """Hands one message to a provider; returns the provider's id for it."""

    def send(self, message: Message) -> str:
        raise NotImplementedError


def sent_record(message: Message, *, provider_id: str) -> dict[str, Any]:
    """What the file and console backends write for a message."""
    return {
        "id": provider_id,
        "message_id": message.pk,
        "key": message.key,
        "channel": message.channel,
        "kind": message.kind,
        "to": message.to,
        "body": message.body,
        "language": message.language,
        "template": message.template,
        "personalisation": message.personalisation,
        "sent_at": timezone.now().isoformat(),
    }


class ConsoleBackend(Backend):
    """Writes each message to standard output (and the log): for a developer."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stdout

    def send(self, message: Message) -> str:
        provider_id = f"console-{uuid.uuid4()}"
        log.info(
            "%s (%s) to %s: %s", message.channel, message.kind, message.to, message.key
        )
        record = sent_record(message, provider_id=provider_id)
        self.stream.write(
            f"--- {message.get_channel_display()} to {message.to} "
            f"({message.get_kind_display()}, {message.key}) ---\n{message.body}\n"
            f"--- {json.dumps(record, default=str, sort_keys=True)}\n"
        )
        self.stream.flush()
        return provider_id


def _file_dir(directory: str | Path | None) -> Path:
    return Path(directory if directory is not None else settings.NOTIFY_FILE_DIR)


class FileBackend(Backend):
    """Appends one JSON object per line to `<NOTIFY_FILE_DIR>/<local day>.jsonl`."""

    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = _file_dir(directory)

    def send(self, message: Message) -> str:
        provider_id = f"file-{uuid.uuid4()}"
        line = json.dumps(
            sent_record(message, provider_id=provider_id),
            default=str,
            ensure_ascii=False,
        )
        path = self.directory / f"{timezone.localdate().isoformat()}.jsonl"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as out:
                # Workers append to one file: whole lines, one writer at a time.
                if fcntl is not None:
                    fcntl.flock(out.fileno(), fcntl.LOCK_EX)
                out.write(line + "\n")
                out.flush()
        except OSError as exc:
            raise TemporaryFailure(f"could not write {path}: {exc}") from exc
        return provider_id


def read_sent(directory: str | Path | None = None) -> list[dict[str, Any]]:
    """Every message the file backend wrote to the folder (default NOTIFY_FILE_DIR),
    oldest day first, in the order written."""
    folder = _file_dir(directory)
    if not folder.is_dir():
        return []
    sent: list[dict[str, Any]] = []
    for path in sorted(folder.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            sent.extend(json.loads(line) for line in lines if line.strip())
    return sent


def _refused(exc: smtplib.SMTPDataError) -> SendFailure:
    """The mail server's answer to the mail (or to DATA) as a failure: a 5xx refuses
    it for good (554 rejected), a 4xx puts it off (451 try again later)."""
    reason = f"the mail server answered {exc.smtp_code}: {exc.smtp_error!r}"
    if exc.smtp_code >= 500:
        return PermanentFailure(reason)
    return TemporaryFailure(reason)


class DjangoEmailBackend(Backend):
    """Email through Django's configured EMAIL_BACKEND (EMAIL_URL). Failing before
    the mail was handed over (no connection, the login, MAIL FROM or RCPT TO) is
    worth trying again, as is a 4xx answer to the mail; a 5xx answer refuses it for
    good. The connection dropping or timing out once the whole mail had gone (its
    closing ".") may have left it with the server, so it is never sent twice."""

    def send(self, message: Message) -> str:
        if message.channel != Message.Channel.EMAIL:
            raise PermanentFailure(
                f"{message.get_channel_display()}s are not sent by email."
            )
        message_id = make_msgid(domain=DNS_NAME)
        subject = message.personalisation.get("subject") or (
            f"NHS contact tracing: {message.get_kind_display()}"
        )
        email = EmailMessage(
            subject=str(subject),
            body=message.body,
            to=[message.to],
            headers={"Message-ID": message_id},
        )
        try:
            sent = email.send()
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            reason = f"the mail server refused {message.to}: {exc.recipients}"
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(reason) from exc
            raise TemporaryFailure(reason) from exc
        except smtplib.SMTPDataError as exc:
            raise _refused(exc) from exc
        except (smtplib.SMTPException, OSError) as exc:
            if mail_may_have_gone(exc):
                # As a text whose reply is lost (notify_failure): not sent again.
                raise PermanentFailure(
                    "unknown: the mail server took the email, then did not answer "
                    f"({type(exc).__name__}): it may have taken it, so it is not "
                    "sent again"
                ) from exc
            raise TemporaryFailure(f"the mail server: {exc!r}") from exc
        if not sent:
            raise TemporaryFailure("the mail backend sent nothing")
        return message_id


def _notify_errors(detail: Any) -> str:
    """Notify's `errors` ([{"error": ..., "message": ...}]) or message, as text."""
    if isinstance(detail, list):
        return "; ".join(
            f"{e.get('error', '')}: {e.get('message', '')}"
            if isinstance(e, dict)
            else str(e)
            for e in detail
        )
    return str(detail)


def _never_reached(cause: BaseException | None) -> bool:
    """The request failed before it reached Notify: no connection was made (refused,
    no such host, timed out connecting), so nothing can have been sent."""
    if isinstance(cause, requests.ConnectTimeout):
        return True
    if isinstance(cause, requests.ConnectionError) and cause.args:
        reason = getattr(cause.args[0], "reason", cause.args[0])
        return isinstance(reason, urllib3.exceptions.NewConnectionError)
    return False


def notify_failure(exc: HTTPError) -> SendFailure:
    """A Notify error as a failure: 429 and 5xx are temporary, as is a request that
    never reached Notify. A request sent and not answered (timed out reading, the
    connection dropped) may have been taken: it is not sent again, as a 2xx that
    cannot be read is not (the client calls either a "503")."""
    if exc.response is None:
        if _never_reached(exc.__cause__):
            return TemporaryFailure(
                f"GOV.UK Notify could not be reached: {exc.__cause__!r}"
            )
        return PermanentFailure(
            "unknown: GOV.UK Notify did not answer "
            f"({type(exc.__cause__).__name__}): it may have taken the message, so it "
            "is not sent again"
        )
    code = exc.status_code
    reason = f"GOV.UK Notify answered {code}: {_notify_errors(exc.message)}"
    if code == 429 or code >= 500:
        return TemporaryFailure(reason)
    return PermanentFailure(reason)


class GovukNotifyBackend(Backend):
    """Texts and emails through GOV.UK Notify (notifications-python-client).

    The template is GOVUK_NOTIFY_TEMPLATES' entry for the message's template name
    (blank: its kind), looked for as "<channel>:<name>", "<name>",
    "<channel>:default", then "default". The message's body is the `body`
    personalisation, beside its own; its key is the reference.
    """

    def __init__(self, client: NotificationsAPIClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> NotificationsAPIClient:
        if self._client is None:
            key = settings.GOVUK_NOTIFY_API_KEY
            if not key:
                raise PermanentFailure(
                    "GOV.UK Notify is not configured: set GOVUK_NOTIFY_API_KEY."
                )
            try:
                self._client = NotificationsAPIClient(
                    key, base_url=settings.GOVUK_NOTIFY_BASE_URL
                )
            except AssertionError as exc:
                raise PermanentFailure(
                    "GOVUK_NOTIFY_API_KEY is not a Notify API key "
                    "({name}-{service id}-{secret})."
                ) from exc
        return self._client

    @staticmethod
    def template_for(message: Message) -> str:
        templates: dict[str, str] = settings.GOVUK_NOTIFY_TEMPLATES or {}
        # str(): a kind given as Message.Kind hashes by its name, not its value.
        name = str(message.template or message.kind)
        for candidate in (
            f"{message.channel}:{name}",
            name,
            f"{message.channel}:default",
            "default",
        ):
            if templates.get(candidate):
                return str(templates[candidate])
        raise PermanentFailure(
            f"No GOV.UK Notify template for '{name}' (GOVUK_NOTIFY_TEMPLATES)."
        )

    def send(self, message: Message) -> str:
        if message.channel not in (Message.Channel.SMS, Message.Channel.EMAIL):
            raise PermanentFailure("letters are not sent by this service")
        fields: dict[str, Any] = {
            "template_id": self.template_for(message),
            "personalisation": {"body": message.body, **message.personalisation},
            "reference": message.key,
        }
        client = self.client
        try:
            if message.channel == Message.Channel.SMS:
                answer = client.send_sms_notification(phone_number=message.to, **fields)
            else:
                answer = client.send_email_notification(
                    email_address=message.to, **fields
                )
        except HTTPError as exc:
            raise notify_failure(exc) from exc
        except InvalidResponse as exc:
            # Notify answered 2xx but not in JSON: it may have taken the message, so
            # it is not sent again.
            raise PermanentFailure(
                f"unknown: GOV.UK Notify's answer could not be read ({exc})"
            ) from exc
        notification_id = None
        with suppress(TypeError, KeyError, AttributeError):
            notification_id = answer["id"]
        if not notification_id:
            raise PermanentFailure(
                "unknown: GOV.UK Notify's answer had no notification id"
            )
        return str(notification_id)
