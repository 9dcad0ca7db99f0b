"""A new starter's first day, as an administrator and a supervisor bring them in.

Before: the account and the staff profile made in the admin wrote no audit event
(only later changes did); an account made with "Password-based authentication:
Disabled" was told the reset email was sent, and none ever came, so the starter
could never choose a password; the starter was told a supervisor "reviews your
first 5 calls and then signs you off" while a supervisor could sign them off after
one, not told how few had been reviewed; and setting up two-factor sign-in asked for
"one of your recovery codes" before any had been given."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from api.services import api_client_create
from audit.models import AuditEvent
from staffing.models import Tier
from tests import factories as f

pytestmark = pytest.mark.django_db

User = get_user_model()
PASSWORD = "Correct horse battery 77"


def text_of(page) -> str:
    """The page's words, as read: tags gone, spaces collapsed."""
    html = re.sub(
        r"<script.*?</script>|<style.*?</style>", "", page.content.decode(), flags=re.S
    )
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def account_added_in_admin(admin_client, username: str, **password) -> User:
    """An account made on the admin's "Add user" page."""
    form = password or {
        "password1": PASSWORD,
        "password2": PASSWORD,
        "usable_password": "true",
    }
    added = admin_client.post(
        reverse("admin:auth_user_add"), {"username": username, **form}
    )
    assert added.status_code == 302, text_of(added)
    return User.objects.get(username=username)


# --- 1. an account and a staff profile made in the admin are audited -------------


def test_an_account_and_a_profile_made_in_the_admin_are_each_audited(
    admin_client, admin_user
):
    team = f.TeamFactory(name="Clinical North", tier=Tier.CLINICAL)
    sam = account_added_in_admin(admin_client, "sam.starter")

    made = admin_client.post(
        reverse("admin:staffing_staffprofile_add"),
        {
            "user": sam.pk,
            "tier": Tier.CLINICAL,
            "is_supervisor": "on",
            "organisation": team.organisation_id,
            "team": team.pk,
            "started_on": timezone.localdate().isoformat(),
            "training-TOTAL_FORMS": 0,
            "training-INITIAL_FORMS": 0,
            "training-MIN_NUM_FORMS": 0,
            "training-MAX_NUM_FORMS": 1000,
            "_save": "Save",
        },
    )
    assert made.status_code == 302, text_of(made)

    account = AuditEvent.objects.get(object_type="auth.user", object_id=str(sam.pk))
    assert (account.action, account.user) == (AuditEvent.Action.CREATE, admin_user)
    assert account.detail["username"] == "sam.starter"
    profile = AuditEvent.objects.get(
        object_type="staffing.staffprofile", object_id=str(sam.staff.pk)
    )
    assert (profile.action, profile.user) == (AuditEvent.Action.CREATE, admin_user)
    assert profile.detail["tier"]["to"] == Tier.CLINICAL
    assert profile.detail["is_supervisor"]["to"] is True
    assert profile.detail["team"]["to_name"] == "Clinical North"
    trail = admin_client.get(
        reverse("staffing:audit_search"),
        {"object_type": "staffing.staffprofile", "object_id": str(sam.staff.pk)},
    )
    assert f"Created staff profile {sam.staff.pk}" in text_of(trail)


# --- 2. an account made without a password chooses its first by the reset email --


def reset_asked(client, email: str) -> list[str]:
    """Ask for a reset on the "Forgotten your password?" page: to whom emails went."""
    mail.outbox.clear()
    asked = client.post(reverse("password_reset"), {"email": email})
    assert asked.status_code == 302
    return [to for message in mail.outbox for to in message.to]


def test_an_account_made_without_a_password_chooses_one_by_the_reset_email(
    admin_client, client
):
    nell = account_added_in_admin(admin_client, "nell.new", usable_password="false")
    nell.email = "nell@example.org"
    nell.save(update_fields=["email"])
    assert not nell.has_usable_password()

    assert reset_asked(client, "nell@example.org") == ["nell@example.org"]

    link = re.search(
        r"https?://[^/]+(/accounts/password/reset/\S+/)", mail.outbox[0].body
    )[1]
    form = client.get(link, follow=True)
    chosen = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert chosen.status_code == 302
    signed_in = client.post(
        reverse("login"), {"username": "nell.new", "password": PASSWORD}
    )
    assert signed_in.status_code == 302


def test_an_account_whose_password_was_turned_off_after_signing_in_gets_no_email(
    client,
):
    """An administrator who turns off someone's password once they have used the
    service means it: the reset page does not hand them a new one."""
    kept_out = f.UserFactory(email="kept.out@example.org")
    kept_out.last_login = timezone.now()
    kept_out.set_unusable_password()
    kept_out.save()

    assert reset_asked(client, "kept.out@example.org") == []


def test_an_integrations_service_account_gets_no_password_by_email(client):
    """The service accounts of the API have no password on purpose."""
    integration, _ = api_client_create(name="Lab feed", scopes=[])
    integration.user.email = "lab@example.org"
    integration.user.save(update_fields=["email"])

    assert reset_asked(client, "lab@example.org") == []


# --- 3. the starter and the supervisor read what sign-off means ------------------


def test_the_starter_is_told_their_supervisor_signs_them_off_when_satisfied(client):
    starter = f.StaffProfileFactory(new_starter=True)
    client.force_login(starter.user)

    page = text_of(client.get(reverse("staffing:my_training")))

    assert "then signs you off" not in page
    assert (
        "A supervisor reviews your first calls (usually 5) and signs you off when "
        "they are satisfied with them."
    ) in page


def test_signing_off_says_how_many_of_the_starters_calls_were_reviewed(client):
    team = f.TeamFactory(name="Calls North", tier=Tier.CALL_HANDLER)
    lead = f.StaffProfileFactory(
        team=team, organisation=team.organisation, is_supervisor=True
    )
    sam = f.StaffProfileFactory(
        team=team,
        organisation=team.organisation,
        new_starter=True,
        user__first_name="Sam",
        user__last_name="Starter",
    )
    f.CallReviewFactory(
        call__caller=sam.user,
        verdict="good",
        reviewer=lead.user,
        reviewed_at=timezone.now(),
    )
    client.force_login(lead.user)

    page = client.get(reverse("staffing:reviews")).content.decode()

    [row] = [r for r in re.findall(r"<tr .*?</tr>", page, re.S) if "Sam Starter" in r]
    button = re.search(r"<button .*?</button>", row, re.S)[0]
    assert "Sign off Sam Starter, 1 of the usual 5 of their calls reviewed" in (
        text_of_html(button)
    )


def text_of_html(html: str) -> str:
    """A piece of a page's words as a screen reader reads them, tags gone."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", html))).strip()


# --- 4. setting up two-factor sign-in does not ask for recovery codes yet ---------


def test_setting_up_two_factor_asks_only_for_the_apps_code(client, settings):
    settings.TRACING_TWO_FACTOR_REQUIRED_FOR = ["all"]
    starter = f.StaffProfileFactory(new_starter=True)
    client.post(
        reverse("login"), {"username": starter.user.username, "password": f.PASSWORD}
    )

    setup = client.get(reverse("two_factor_setup"), follow=True)

    assert setup.redirect_chain == []
    assert "Set up two-factor sign-in" in text_of(setup)
    assert "recovery code" not in text_of(setup)


def test_the_code_asked_at_sign_in_may_still_be_a_recovery_code(client, settings):
    from tests.conftest import enrolled_device

    settings.TRACING_TWO_FACTOR_REQUIRED_FOR = ["all"]
    starter = f.StaffProfileFactory(new_starter=True)
    enrolled_device(starter.user)
    client.post(
        reverse("login"), {"username": starter.user.username, "password": f.PASSWORD}
    )

    code_page = text_of(client.get(reverse("two_factor")))

    assert "or one of your recovery codes" in code_page
