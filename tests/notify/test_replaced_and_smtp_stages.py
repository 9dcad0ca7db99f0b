"""A message replaced while it was being sent, and how far an email got before the
mail server dropped the connection: what the person, and the supervisor, are sent."""

from __future__ import annotations

import datetime as dt
import socket
import threading

import pytest
from celery.exceptions import Retry
from django.utils import timezone

from notify.backends import DjangoEmailBackend
from notify.errors import PermanentFailure, TemporaryFailure
from notify.services import message_send
from online.models import OnlineLink
from people.models import Message
from tests import factories as f
from tests.isolation.conftest import hold
from tests.notify.fakes import RecordingBackend
from work.isolation import isolation_override

pytestmark = pytest.mark.django_db

REASON = "Immunosuppressed: a longer infectious period is likely."
OUTAGE = TemporaryFailure("503 the provider is down")
HERE = "tests.notify.test_replaced_and_smtp_stages"


@pytest.fixture
def recording(settings):
    settings.NOTIFY_SMS_BACKEND = "tests.notify.fakes.RecordingBackend"
    settings.NOTIFY_EMAIL_BACKEND = "tests.notify.fakes.RecordingBackend"
    RecordingBackend.reset()
    yield RecordingBackend
    RecordingBackend.reset()


@pytest.fixture
def contact(clock, caseworker, call_handler):
    case = hold(f.CaseFactory(), caseworker)
    return hold(
        f.ContactFactory(
            case=case,
            exposure_date=timezone.localdate() - dt.timedelta(days=2),
            person=f.PersonFactory(phone="+447400123679"),
        ),
        call_handler,
    )


def _override(contact, caseworker, days):
    contact.refresh_from_db()
    done = isolation_override(
        item=contact,
        ends_on=contact.isolation_ends_on + dt.timedelta(days=days),
        reason=REASON,
        clinician=caseworker,
    )
    contact.refresh_from_db()
    return done.message


class OverrideWhileSending(RecordingBackend):
    """While the provider is asked for the first message (status sending), a newer
    message commits; then the provider answers 503."""

    hook = None

    def send(self, message):
        if OverrideWhileSending.hook is not None:
            hook, OverrideWhileSending.hook = OverrideWhileSending.hook, None
            hook()
            raise OUTAGE
        return super().send(message)


# -- The mail server -----------------------------------------------------------


def _smtp_server(drop_after_data_cmd, data_reply=b"250 ok\r\n"):
    """A mail server on a free port for one connection: it drops the connection on
    DATA, or takes the content and answers `data_reply`."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]
    got = {"content": False}

    def run():
        conn, _ = srv.accept()
        fh = conn.makefile("rb")
        conn.sendall(b"220 hi\r\n")
        while line := fh.readline():
            cmd = line.strip().upper()
            if cmd.startswith(b"EHLO"):
                conn.sendall(b"250 hi\r\n")
            elif cmd.startswith((b"MAIL", b"RCPT")):
                conn.sendall(b"250 ok\r\n")
            elif cmd == b"DATA":
                if drop_after_data_cmd:
                    conn.close()
                    break
                conn.sendall(b"354 go\r\n")
                while fh.readline().strip() != b".":
                    got["content"] = True
                conn.sendall(data_reply)
            elif cmd.startswith(b"QUIT"):
                conn.sendall(b"221 bye\r\n")
                break
            else:
                conn.sendall(b"250 ok\r\n")
        conn.close()
        srv.close()

    threading.Thread(target=run, daemon=True).start()
    return port, got


def _email_settings(settings, port):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 5


def _email(key):
    return Message.objects.create(
        person=f.PersonFactory(email="ada@example.org"),
        kind="isolation_advice",
        channel="email",
        to="ada@example.org",
        body="x",
        key=key,
    )


def test_an_email_dropped_before_the_go_ahead_is_tried_again(settings):
    port, got = _smtp_server(drop_after_data_cmd=True)
    _email_settings(settings, port)
    with pytest.raises(TemporaryFailure):
        DjangoEmailBackend().send(_email("k:1"))
    assert got["content"] is False


def test_a_safeguarding_alert_dropped_at_the_data_command_is_sent_again(
    clock, caseworker, settings
):
    from calls.models import Outcome
    from escalations.models import Escalation
    from tests.workspace.conftest import CaseFactory
    from tests.workspace.conftest import hold as hold_ws
    from work.calls import call_record
    from work.tasks import safeguarding_email_task

    f.StaffProfileFactory(
        clinical=True,
        is_supervisor=True,
        team=caseworker.staff.team,
        user__email="boss@example.org",
    )
    case = hold_ws(CaseFactory(), caseworker)
    port, got = _smtp_server(drop_after_data_cmd=True)
    _email_settings(settings, port)
    call_record(
        item=case,
        caller=caseworker,
        outcome=Outcome.SAFEGUARDING,
        notes="Child left alone at home",
    )
    esc = Escalation.objects.get(case=case)
    with pytest.raises((Retry, OSError)):
        safeguarding_email_task.run(escalation_id=esc.pk, caller_id=caseworker.pk)
    esc.refresh_from_db()
    assert got["content"] is False
    assert esc.alert_sent_at is None


def test_an_email_refused_after_its_content_is_not_tried_again(settings):
    port, got = _smtp_server(False, b"554 5.7.1 message rejected\r\n")
    _email_settings(settings, port)
    with pytest.raises(PermanentFailure, match="554"):
        DjangoEmailBackend().send(_email("k:2"))
    assert got["content"] is True


def test_an_email_put_off_after_its_content_is_tried_again(settings):
    port, _ = _smtp_server(False, b"451 4.3.0 try again later\r\n")
    _email_settings(settings, port)
    with pytest.raises(TemporaryFailure, match="451"):
        DjangoEmailBackend().send(_email("k:3"))


def test_an_email_taken_then_unanswered_is_not_sent_again(settings):
    """The content and its closing "." went; the server closed without answering."""
    port, got = _smtp_server(False, b"")
    _email_settings(settings, port)
    with pytest.raises(PermanentFailure, match="may have taken it"):
        DjangoEmailBackend().send(_email("k:4"))
    assert got["content"] is True


# -- Replaced while being sent -------------------------------------------------


def test_an_old_end_date_being_sent_when_replaced_is_never_sent(
    contact, caseworker, recording, clock, settings
):
    settings.NOTIFY_SMS_BACKEND = f"{HERE}.OverrideWhileSending"
    first = _override(contact, caseworker, days=6)
    holder = {}
    OverrideWhileSending.hook = lambda: holder.setdefault(
        "second", _override(contact, caseworker, days=-3)
    )
    with pytest.raises(TemporaryFailure):
        message_send(first.pk)
    second = holder["second"]
    first.refresh_from_db()
    assert first.status == Message.Status.SUPERSEDED
    assert first.failure_reason.startswith("Not sent: replaced by the message of")
    message_send(second.pk)
    message_send(first.pk)
    assert [pk for pk, _ in RecordingBackend.calls] == [second.pk]


def test_a_message_replaced_while_being_sent_that_goes_is_sent(
    contact, caseworker, recording, clock, settings
):
    first = _override(contact, caseworker, days=6)
    holder = {}

    class SentWhileReplaced(RecordingBackend):
        def send(self, message):
            holder.setdefault("second", _override(contact, caseworker, days=-3))
            return super().send(message)

    settings.NOTIFY_SMS_BACKEND = f"{HERE}.SentWhileReplaced"
    globals()["SentWhileReplaced"] = SentWhileReplaced
    try:
        message_send(first.pk)
    finally:
        del globals()["SentWhileReplaced"]
    first.refresh_from_db()
    assert first.status == Message.Status.SENT
    assert first.failure_reason == ""


def test_a_link_text_being_sent_when_a_new_link_goes_is_never_sent(
    clock, supervisor, recording, settings
):
    from work.online import online_case_wait, online_cases_invite, online_link_resend

    case = f.CaseFactory(person=f.PersonFactory(phone="+447400123678"))
    now = timezone.now()
    assert online_case_wait(case, now)
    case.save(update_fields=["next_attempt_at"])
    online_cases_invite(cases=[case], now=now)
    old = OnlineLink.objects.get(case=case).message
    settings.NOTIFY_SMS_BACKEND = f"{HERE}.OverrideWhileSending"
    holder = {}

    def resend():
        clock.shift(dt.timedelta(minutes=5))
        holder["new"] = online_link_resend(item=case, by=supervisor).message

    OverrideWhileSending.hook = resend
    with pytest.raises(TemporaryFailure):
        message_send(old.pk)
    new = holder["new"]
    old.refresh_from_db()
    assert old.status == Message.Status.SUPERSEDED
    message_send(new.pk)
    message_send(old.pk)
    assert [pk for pk, _ in RecordingBackend.calls] == [new.pk]


# -- A replaced message told nobody anything -------------------------------------


def test_an_override_replacing_one_never_sent_gives_the_advice(
    contact, caseworker, recording, clock
):
    assert not Message.objects.filter(contact=contact).exists()
    recording.reset(OUTAGE)
    first = _override(contact, caseworker, days=6)
    with pytest.raises(TemporaryFailure):
        message_send(first.pk)
    clock.shift(dt.timedelta(minutes=2))
    second = _override(contact, caseworker, days=-3)
    first.refresh_from_db()
    assert first.status == Message.Status.SUPERSEDED
    assert "You have been near someone who has coronavirus." in second.body
    assert "replaces the date we gave you before" not in second.body


def test_an_override_after_a_date_sent_says_it_replaces_it(
    contact, caseworker, recording, clock
):
    first = _override(contact, caseworker, days=6)
    message_send(first.pk)
    second = _override(contact, caseworker, days=-3)
    assert "replaces the date we gave you before" in second.body


def test_a_message_replaced_while_being_sent_that_may_have_gone_says_so(
    contact, caseworker, recording, clock, settings
):
    first = _override(contact, caseworker, days=6)
    unanswered = PermanentFailure("unknown: GOV.UK Notify did not answer")

    def replace_then_no_answer():
        _override(contact, caseworker, days=-3)
        raise unanswered

    settings.NOTIFY_SMS_BACKEND = f"{HERE}.OverrideWhileSending"
    OverrideWhileSending.hook = replace_then_no_answer
    message_send(first.pk)
    first.refresh_from_db()
    assert first.status == Message.Status.SUPERSEDED
    assert first.failure_reason == (
        "Replaced while being sent; unknown: GOV.UK Notify did not answer"
    )


# -- A link text waiting to go gives the date an override changed ----------------


def _contact_told_online(clock, caseworker):
    from work.online import online_contact_tell

    case = hold(f.CaseFactory(), caseworker)
    contact = f.ContactFactory(
        case=case,
        exposure_date=timezone.localdate() - dt.timedelta(days=2),
        person=f.PersonFactory(phone="+447400123677"),
    )
    link = online_contact_tell(contact=contact, now=timezone.now())
    contact.refresh_from_db()
    return contact, link


def test_a_link_text_held_up_by_an_outage_gives_the_overridden_date(
    clock, caseworker, recording
):
    from online.texts import long_date

    contact, link = _contact_told_online(clock, caseworker)
    old = link.message
    recording.reset(OUTAGE)
    with pytest.raises(TemporaryFailure):
        message_send(old.pk)
    clock.shift(dt.timedelta(minutes=2))
    told = _override(contact, caseworker, days=6)
    old.refresh_from_db()
    link.refresh_from_db()
    assert old.status == Message.Status.SUPERSEDED
    assert link.revoked_at is None
    new_text = link.message
    assert new_text.pk != old.pk
    assert long_date(contact.isolation_ends_on) in new_text.body
    # The same link: it still works.
    assert old.body.split()[-1] == new_text.body.split()[-1]
    for message in (told, new_text, old):
        message_send(message.pk)
    assert [pk for pk, _ in RecordingBackend.calls[1:]] == [told.pk, new_text.pk]


def test_a_link_text_sent_is_not_sent_again_for_an_override(
    clock, caseworker, recording
):
    contact, link = _contact_told_online(clock, caseworker)
    message_send(link.message.pk)
    _override(contact, caseworker, days=6)
    link.refresh_from_db()
    assert link.message.status == Message.Status.SENT
    assert Message.objects.filter(kind="contact_link", contact=contact).count() == 1
