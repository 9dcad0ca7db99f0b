"""Signing in as an attacker would try it: lockout, the second factor, passwords."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import sign_in_unlock, two_factor_reset
from audit.models import AuditEvent
from tests import factories as f
from tests.conftest import current_code, enrolled_device

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def try_password(client, user, password, url=LOGIN):
    return client.post(url, {"username": user.username, "password": password})


def change_password(client, new: str):
    """The password change form, sent from a session signed in with f.PASSWORD."""
    return client.post(
        reverse("password_change"),
        {"old_password": f.PASSWORD, "new_password1": new, "new_password2": new},
    )


# --- lockout ------------------------------------------------------------------------


def test_an_account_is_locked_after_the_set_number_of_wrong_passwords(
    client, caseworker, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert try_password(client, caseworker, "wrong-password").status_code == 200

    locked = try_password(client, caseworker, "wrong-password")
    right = try_password(client, caseworker, f.PASSWORD)

    assert locked.status_code == 429
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session
    text = right.content.decode()
    assert "Wait 15 minutes and try again" in text
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.LOCKED_OUT, object_id=caseworker.username
    ).exists()
    assert (
        AuditEvent.objects.filter(
            action=AuditEvent.Action.SIGN_IN_FAILED, object_id=caseworker.username
        ).count()
        >= settings.AXES_FAILURE_LIMIT
    )


@pytest.mark.parametrize("url", [LOGIN, ADMIN_LOGIN])
def test_a_username_longer_than_any_account_is_refused_with_the_fields_message(
    client, url
):
    # Longer than the record of a failed sign-in holds (255): it was an error of
    # the server.
    response = client.post(url, {"username": "a" * 300, "password": "wrong-password"})

    assert response.status_code == 200
    assert "at most 150 characters (it has 300)" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_signing_in_to_ones_own_account_does_not_forgive_guesses_at_another(
    client, caseworker, call_handler, settings
):
    # From one address: guesses at the call handler's password, the guesser signing
    # in to their own account (the caseworker's) before the last allowed one. That
    # sign-in wiped the address's failures, and the guesses went on for ever.
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert try_password(client, call_handler, "wrong-password").status_code == 200
    assert try_password(client, caseworker, f.PASSWORD).status_code == 302
    client.logout()

    try_password(client, call_handler, "wrong-password")  # the limit's guess

    assert try_password(client, call_handler, f.PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_sign_in_forgets_its_own_mistyped_passwords(client, caseworker, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        try_password(client, caseworker, "wrong-password")
    assert try_password(client, caseworker, f.PASSWORD).status_code == 302
    client.logout()

    # A full allowance again: one more mistake does not lock them out.
    assert try_password(client, caseworker, "wrong-password").status_code == 200
    assert try_password(client, caseworker, f.PASSWORD).status_code == 302


def test_the_admin_sign_in_locks_out_the_same_way(client, admin_user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        try_password(client, admin_user, "wrong-password", url=ADMIN_LOGIN)

    response = try_password(client, admin_user, "password", url=ADMIN_LOGIN)

    assert response.status_code == 429


def test_guessing_many_accounts_from_one_address_locks_that_address(client, settings):
    people = [f.StaffProfileFactory().user for _ in range(settings.AXES_FAILURE_LIMIT)]
    for person in people:
        try_password(client, person, "wrong-password")
    fresh = f.StaffProfileFactory().user

    response = try_password(client, fresh, f.PASSWORD)

    assert response.status_code == 429


def test_a_lockout_ends_after_the_cool_off(client, caseworker, settings, clock):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        try_password(client, caseworker, "wrong-password")
    clock.shift(settings.AXES_COOLOFF_TIME + dt.timedelta(minutes=1))

    response = try_password(client, caseworker, f.PASSWORD)

    assert response.status_code == 302


def test_an_administrator_unlocks_an_account_and_it_is_audited(
    client, caseworker, admin_user, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        try_password(client, caseworker, "wrong-password")
    assert AccessAttempt.objects.filter(username=caseworker.username).exists()

    sign_in_unlock(username=caseworker.username, by=admin_user)

    assert try_password(client, caseworker, f.PASSWORD).status_code == 302
    unlock = AuditEvent.objects.get(action=AuditEvent.Action.UNLOCKED)
    assert unlock.user == admin_user
    assert unlock.object_id == caseworker.username


def test_the_unlock_action_in_the_admin_lifts_the_lockout(
    client, caseworker, admin_client, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        try_password(client, caseworker, "wrong-password")

    response = admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [caseworker.pk]},
    )

    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username=caseworker.username).exists()
    assert try_password(client, caseworker, f.PASSWORD).status_code == 302


# --- the second factor ----------------------------------------------------------------


def test_a_supervisor_must_give_a_second_factor_before_any_page(client, supervisor):
    enrolled_device(supervisor)
    try_password(client, supervisor, f.PASSWORD)

    for path in ("/staff/", "/work/", "/admin/", "/cases/1/"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("two_factor"))
    assert client.get("/api/v1/cases/").status_code == 403


def test_a_password_alone_does_not_change_the_password_of_a_second_factor_account(
    client, supervisor
):
    enrolled_device(supervisor)
    try_password(client, supervisor, f.PASSWORD)

    response = change_password(client, "kettle orbit meadow")

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("two_factor"))
    supervisor.refresh_from_db()
    assert supervisor.check_password(f.PASSWORD)  # unchanged
    # Signing in, the second factor and a forgotten password stay open to them.
    assert client.get(reverse("two_factor")).status_code == 200
    assert client.get(reverse("password_reset")).status_code == 200


def test_a_local_team_member_without_an_authenticator_is_sent_to_set_one_up(
    client, local_team_member
):
    try_password(client, local_team_member, f.PASSWORD)

    response = client.get("/local/")

    assert response["Location"].startswith(reverse("two_factor_setup"))


def test_a_caseworker_is_not_asked_for_a_second_factor_by_default(client, caseworker):
    try_password(client, caseworker, f.PASSWORD)

    assert client.get("/work/").status_code == 200


def test_every_role_gives_a_second_factor_when_the_setting_says_all(
    client, caseworker, settings
):
    settings.TRACING_TWO_FACTOR_REQUIRED_FOR = ["all"]
    try_password(client, caseworker, f.PASSWORD)

    assert client.get("/work/").status_code == 302


def test_a_right_code_lets_the_supervisor_in_and_a_wrong_one_does_not(
    client, supervisor
):
    device = enrolled_device(supervisor)
    try_password(client, supervisor, f.PASSWORD)

    wrong = client.post(reverse("two_factor"), {"code": "000000"})
    assert wrong.status_code == 400
    assert client.get("/staff/").status_code == 302
    device.refresh_from_db()  # django-otp throttles after a failure: wait it out
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)

    right = client.post(
        reverse("two_factor"), {"code": current_code(device), "next": "/staff/"}
    )

    assert right.status_code == 302
    assert right["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    events = list(
        AuditEvent.objects.filter(action=AuditEvent.Action.TWO_FACTOR)
        .order_by("at", "pk")
        .values_list("detail__event", flat=True)
    )
    assert events == ["code wrong", "verified"]


def test_enrolment_shows_a_qr_code_then_gives_recovery_codes_once(
    client, local_team_member
):
    try_password(client, local_team_member, f.PASSWORD)
    page = client.get(reverse("two_factor_setup"))
    assert page.status_code == 200
    assert "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=local_team_member, confirmed=False)

    done = client.post(reverse("two_factor_setup"), {"code": current_code(device)})

    codes = re.findall(r"<code>([0-9a-f]{6}-[0-9a-f]{6})</code>", done.content.decode())
    assert len(codes) == 10
    assert StaticToken.objects.filter(device__user=local_team_member).count() == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/local/").status_code == 200


def test_a_recovery_code_works_once(client, supervisor):
    enrolled_device(supervisor)
    try_password(client, supervisor, f.PASSWORD)
    device = TOTPDevice.objects.get(user=supervisor)
    client.post(reverse("two_factor_setup"))  # already enrolled: sent to the code page
    from accounts.services import _new_recovery_codes

    code = _new_recovery_codes(supervisor)[0]

    assert client.post(reverse("two_factor"), {"code": code}).status_code == 302
    client.post(reverse("logout"))
    try_password(client, supervisor, f.PASSWORD)
    again = client.post(reverse("two_factor"), {"code": code})

    assert again.status_code == 400
    assert device.pk  # the authenticator itself is untouched


def test_an_administrator_resets_someones_second_factor_and_it_is_audited(
    client, supervisor, admin_user
):
    enrolled_device(supervisor)

    assert two_factor_reset(user=supervisor, by=admin_user) == 1

    try_password(client, supervisor, f.PASSWORD)
    response = client.get("/staff/")
    assert response["Location"].startswith(reverse("two_factor_setup"))
    event = AuditEvent.objects.get(
        action=AuditEvent.Action.TWO_FACTOR, detail__event="reset by an administrator"
    )
    assert event.user == admin_user
    assert event.object_id == str(supervisor.pk)


# --- passwords --------------------------------------------------------------------------


def reset_link(email_body: str) -> str:
    return re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", email_body)[1]


def test_asking_for_a_reset_answers_the_same_whether_or_not_the_account_exists(
    client, caseworker
):
    known = client.post(reverse("password_reset"), {"email": caseworker.email})
    unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [caseworker.email]


def test_a_reset_link_works_once(client, caseworker):
    client.post(reverse("password_reset"), {"email": caseworker.email})
    link = reset_link(mail.outbox[0].body)
    form = client.get(link, follow=True)
    new = {
        "new_password1": "kettle orbit meadow",
        "new_password2": "kettle orbit meadow",
    }

    done = client.post(form.redirect_chain[-1][0], new)
    again = client.get(link, follow=True)

    assert done.status_code == 302
    assert "That link has expired or been used" in again.content.decode()
    caseworker.refresh_from_db()
    assert caseworker.check_password("kettle orbit meadow")


def test_a_reset_link_expires_after_an_hour(client, caseworker, clock):
    client.post(reverse("password_reset"), {"email": caseworker.email})
    link = reset_link(mail.outbox[0].body)
    clock.shift(dt.timedelta(hours=1, minutes=1))

    response = client.get(link, follow=True)

    assert "That link has expired or been used" in response.content.decode()


def test_a_changed_password_signs_the_other_sessions_out(client, caseworker):
    from django.test import Client

    elsewhere = Client()
    try_password(elsewhere, caseworker, f.PASSWORD)
    try_password(client, caseworker, f.PASSWORD)
    assert elsewhere.get("/work/").status_code == 200

    response = change_password(client, "kettle orbit meadow")

    assert response.status_code == 302
    assert client.get("/work/").status_code == 200  # this session stays
    assert elsewhere.get("/work/").status_code == 302  # the other is signed out
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.PASSWORD, detail__event="changed"
    ).exists()


@pytest.mark.parametrize(
    ("password", "reason"),
    [("short1", "at least 12"), ("password1234", "too common")],
)
def test_weak_passwords_are_refused(client, caseworker, password, reason):
    try_password(client, caseworker, f.PASSWORD)

    response = client.post(
        reverse("password_change"),
        {
            "old_password": f.PASSWORD,
            "new_password1": password,
            "new_password2": password,
        },
    )

    assert response.status_code == 200
    assert reason in response.content.decode()


def test_a_long_password_of_plain_words_is_accepted(client, caseworker):
    try_password(client, caseworker, f.PASSWORD)

    response = change_password(client, "purple tractor singing")

    assert response.status_code == 302


# --- headers -------------------------------------------------------------------------------


def test_pages_carry_a_content_security_policy_of_their_own_files_only(
    client, caseworker
):
    client.force_login(caseworker)

    policy = client.get("/work/")["Content-Security-Policy"]

    directives = dict(
        part.strip().split(" ", 1) for part in policy.split(";") if part.strip()
    )
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in policy


def test_no_page_template_holds_inline_script_or_style():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[2] / "templates"
    offenders = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if re.search(
            r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", path.read_text()
        )
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("url", "data"),
    [
        (
            "password_change",
            {
                "old_password": f.PASSWORD,
                "new_password1": "kettle orbit meadow",
                "new_password2": "kettle orbit meadow",
            },
        ),
        ("two_factor", {"code": "c12ead-7811ed"}),
    ],
)
def test_an_account_form_sent_after_the_session_ended_keeps_no_secret(
    client, caseworker, url, data
):
    client.force_login(caseworker)
    client.session.flush()
    client.cookies["sessionid"] = "expired-session-key"

    client.post(reverse(url), data)

    kept = client.session.get("typed_forms", {})
    assert kept == {}
    for secret in data.values():
        assert secret not in str(dict(client.session))


def test_signing_out_says_nothing_of_a_session_that_ended(client, caseworker):
    try_password(client, caseworker, f.PASSWORD)

    response = client.post(reverse("logout"), follow=True)

    html = response.content.decode()
    assert response.request["PATH_INFO"] == reverse("login")
    assert "after a while without activity" not in html


def test_enrolment_without_a_next_continues_to_the_home_page(client, local_team_member):
    try_password(client, local_team_member, f.PASSWORD)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=local_team_member, confirmed=False)

    done = client.post(reverse("two_factor_setup"), {"code": current_code(device)})

    # The "continue" link was href="home" (the URL's name): a 404 under setup/.
    assert 'href="/"' in done.content.decode()
    assert 'href="home"' not in done.content.decode()


def test_a_next_with_a_query_of_its_own_keeps_all_of_it(client, local_team_member):
    try_password(client, local_team_member, f.PASSWORD)

    response = client.get(reverse("two_factor"), {"next": "/staff/?a=1&b=2"})

    assert response.status_code == 302
    assert response["Location"] == (
        reverse("two_factor_setup") + "?next=%2Fstaff%2F%3Fa%3D1%26b%3D2"
    )


def test_the_admin_never_shows_an_authenticators_key(client, supervisor, admin_user):
    device = enrolled_device(supervisor)
    admin_device = enrolled_device(admin_user)
    client.force_login(admin_user)
    client.post(reverse("two_factor"), {"code": current_code(admin_device)})
    change = f"/admin/otp_totp/totpdevice/{device.pk}/change/"

    page = client.get(change)

    assert page.status_code == 200  # signed in, past the second factor
    assert device.key not in page.content.decode()
    assert (
        client.get(f"/admin/otp_totp/totpdevice/{device.pk}/config/").status_code == 403
    )
    assert (
        client.get(f"/admin/otp_totp/totpdevice/{device.pk}/qrcode/").status_code == 403
    )


def test_a_right_code_straight_after_a_wrong_one_is_told_to_wait(client, supervisor):
    device = enrolled_device(supervisor)
    try_password(client, supervisor, f.PASSWORD)
    client.post(reverse("two_factor"), {"code": "000000"})

    right_too_soon = client.post(reverse("two_factor"), {"code": current_code(device)})

    # django-otp checks no code within seconds of a wrong one: it said "not right".
    assert right_too_soon.status_code == 400
    assert "wait a few seconds" in right_too_soon.content.decode()
