"""Asking for a password reset is limited (per address, and emails per account), and
a reset by email gets a locked-out person back in."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.services import password_reset_limits_forget
from tests import factories as f

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
HERE = "127.0.0.1"
OTHER = "198.51.100.9"


@pytest.fixture(autouse=True)
def _fresh_allowance():
    for address in (HERE, OTHER):
        password_reset_limits_forget(address)
    yield
    for address in (HERE, OTHER):
        password_reset_limits_forget(address)


def ask_for_reset(client, email, address=HERE):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def sign_in(client, user, password, address=HERE):
    return client.post(
        LOGIN, {"username": user.username, "password": password}, REMOTE_ADDR=address
    )


def reset_by_the_link(client, new_password: str) -> None:
    body = mail.outbox[-1].body
    path = re.search(r"https?://[^/]+(/accounts/password/reset/\S+/)", body)[1]
    form = client.get(path, follow=True)
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": new_password, "new_password2": new_password},
    )
    assert done.status_code == 302


# --- the limits -------------------------------------------------------------------


def test_eleven_requests_in_a_row_send_three_emails_and_the_eleventh_is_refused(
    client,
):
    nurse = f.StaffProfileFactory(user__email="nurse.bilal@example.org").user
    unknown = ask_for_reset(Client(), "nobody@example.org")
    password_reset_limits_forget(HERE)

    answers = [ask_for_reset(client, nurse.email) for _ in range(11)]

    assert [a.status_code for a in answers] == [302] * 10 + [429]
    # Held back or not, the answer is the one anyone gets ("check your email").
    assert {a["Location"] for a in answers[:10]} == {unknown["Location"]}
    assert len(mail.outbox) == 3
    assert all(message.to == [nurse.email] for message in mail.outbox)
    assert int(answers[-1]["Retry-After"]) > 0
    assert "Too many" in answers[-1].content.decode()


def test_one_address_is_limited_whichever_email_it_asks_for():
    people = [f.StaffProfileFactory().user for _ in range(11)]

    answers = [ask_for_reset(Client(), person.email) for person in people]
    elsewhere = ask_for_reset(Client(), people[-1].email, OTHER)

    assert [a.status_code for a in answers] == [302] * 10 + [429]
    assert len(mail.outbox) == 11  # ten from here, the eleventh from elsewhere
    assert elsewhere.status_code == 302
    assert mail.outbox[-1].to == [people[-1].email]


def test_the_emails_to_one_account_are_limited_from_any_address():
    nurse = f.StaffProfileFactory().user

    for _ in range(3):
        assert ask_for_reset(Client(), nurse.email).status_code == 302
    fourth = ask_for_reset(Client(), nurse.email, OTHER)

    assert fourth.status_code == 302
    assert len(mail.outbox) == 3


# --- a reset lifts the lockout ----------------------------------------------------


def test_a_reset_by_email_gets_someone_locked_out_by_their_own_mistakes_back_in(
    client, settings
):
    nurse = f.StaffProfileFactory().user
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), nurse, "wrong-password", OTHER)
    locked = sign_in(Client(), nurse, f.PASSWORD)
    assert locked.status_code == 429
    assert reverse("password_reset") in locked.content.decode()

    ask_for_reset(client, nurse.email)
    reset_by_the_link(client, "kettle orbit meadow")

    assert sign_in(Client(), nurse, "kettle orbit meadow").status_code == 302


def test_the_lockout_page_says_a_reset_does_not_lift_an_address_lockout(
    client, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(Client(), f.StaffProfileFactory().user, "wrong-password", OTHER)
    nurse = f.StaffProfileFactory().user

    locked = sign_in(Client(), nurse, f.PASSWORD, OTHER)
    ask_for_reset(client, nurse.email)
    reset_by_the_link(client, "kettle orbit meadow")

    # Wrong passwords for other accounts from that address still lock it: the
    # page said so, rather than promising a reset would do.
    assert sign_in(Client(), nurse, "kettle orbit meadow", OTHER).status_code == 429
    assert sign_in(Client(), nurse, "kettle orbit meadow").status_code == 302
    text = " ".join(locked.content.decode().split())
    assert "does not lift a lock on this computer" in text
