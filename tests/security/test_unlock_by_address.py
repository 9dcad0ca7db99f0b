"""Unlocking someone's sign-in in the admin lifts what refuses them: their own failed
passwords, and the lockout of the addresses they have used lately, locked by other
people's wrong passwords (an office behind one address); what it cannot lift, the
message says."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
OFFICE = "203.0.113.5"
ELSEWHERE = "198.51.100.7"


def sign_in(client, user, password, address=OFFICE):
    return client.post(
        LOGIN,
        {"username": user.username, "password": password},
        REMOTE_ADDR=address,
    )


def lock_the_address(settings, address=OFFICE):
    """Wrong passwords from one address for as many other people as the limit."""
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), f.StaffProfileFactory().user, "wrong-password", address)


def unlock_in_the_admin(admin_client, user):
    return admin_client.post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [user.pk]},
        follow=True,
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_unlocking_someone_lifts_the_lockout_of_the_address_they_were_refused_from(
    admin_client, settings
):
    hal = f.StaffProfileFactory(user__username="handler.hal").user
    assert sign_in(Client(), hal, f.PASSWORD).status_code == 302  # yesterday, say
    lock_the_address(settings)
    refused = sign_in(Client(), hal, f.PASSWORD)
    assert refused.status_code == 429

    response = unlock_in_the_admin(admin_client, hal)

    assert sign_in(Client(), hal, f.PASSWORD).status_code == 302
    (message,) = messages_of(response)
    assert "Unlocked 1 account" in message
    assert OFFICE in message


def test_unlocking_someone_before_they_try_lifts_the_address_they_last_signed_in_from(
    admin_client, settings
):
    hal = f.StaffProfileFactory().user
    assert sign_in(Client(), hal, f.PASSWORD).status_code == 302  # earlier today
    lock_the_address(settings)

    unlock_in_the_admin(admin_client, hal)

    assert sign_in(Client(), hal, f.PASSWORD).status_code == 302


def test_unlocking_someone_leaves_other_addresses_locked_and_says_so(
    admin_client, settings
):
    hal = f.StaffProfileFactory().user
    sign_in(Client(), hal, f.PASSWORD)
    lock_the_address(settings, ELSEWHERE)  # an address hal has never used

    response = unlock_in_the_admin(admin_client, hal)

    # Not a success claimed for what still refuses them: the message says so.
    assert sign_in(Client(), hal, f.PASSWORD, ELSEWHERE).status_code == 429
    text = " ".join(messages_of(response))
    assert "1 other address is still locked out" in text
    assert sign_in(Client(), hal, f.PASSWORD, OFFICE).status_code == 302


def test_unlocking_a_lockout_row_lifts_its_address_too(admin_client, settings):
    lock_the_address(settings)
    hal = f.StaffProfileFactory().user
    assert sign_in(Client(), hal, f.PASSWORD).status_code == 429
    row = AccessAttempt.objects.filter(ip_address=OFFICE).first()

    response = admin_client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "unlock", "_selected_action": [row.pk]},
        follow=True,
    )

    assert sign_in(Client(), hal, f.PASSWORD).status_code == 302
    assert OFFICE in " ".join(messages_of(response))


def test_unlocking_someone_leaves_locked_an_address_that_only_guessed_at_them(
    admin_client, settings
):
    """A password sprayer tried a wrong password at everyone, this person among them,
    from an address they have never signed in from: unlocking the person (who also
    mistyped their own password at the office) must not free the sprayer."""
    hal = f.StaffProfileFactory().user
    assert sign_in(Client(), hal, f.PASSWORD).status_code == 302
    sprayer = ELSEWHERE
    sign_in(Client(), hal, "guess-1", sprayer)
    lock_the_address(settings, sprayer)
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), hal, "typo", OFFICE)

    response = unlock_in_the_admin(admin_client, hal)

    assert sign_in(Client(), hal, f.PASSWORD).status_code == 302
    someone = f.StaffProfileFactory().user
    assert sign_in(Client(), someone, "guess-2", sprayer).status_code == 429
    assert "1 other address is still locked out" in " ".join(messages_of(response))
