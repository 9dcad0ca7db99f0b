"""Behind a proxy every request comes from the proxy's own address: the sign-in
lockout must count the client's address, the one the proxy adds to
X-Forwarded-For, or five wrong passwords from anyone lock every member of staff out.
With no proxy trusted, the header is the client's own word and is ignored, so a
guesser cannot dodge the lockout by sending a new one each time."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client

from tests import factories as f

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PROXY = "10.0.0.2"
GUESSER = "203.0.113.66"
NURSE_AT_HOME = "198.51.100.20"


def sign_in(username: str, password: str, *, forwarded: str, proxy: str = PROXY):
    return Client().post(
        LOGIN,
        {"username": username, "password": password},
        REMOTE_ADDR=proxy,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


@pytest.fixture
def one_proxy(settings):
    settings.TRACING_TRUSTED_PROXY_COUNT = 1
    return settings


def test_a_guesser_behind_the_proxy_locks_out_only_their_own_address(one_proxy):
    nurse = f.StaffProfileFactory(user__username="nurse.ada").user
    for _ in range(one_proxy.AXES_FAILURE_LIMIT):
        sign_in("nobody.at.all", "wrong-password", forwarded=GUESSER)

    assert sign_in("someone.else", "wrong-password", forwarded=GUESSER).status_code == (
        429
    )
    signed_in = sign_in(nurse.username, f.PASSWORD, forwarded=NURSE_AT_HOME)

    assert signed_in.status_code == 302
    addresses = set(AccessAttempt.objects.values_list("ip_address", flat=True))
    assert addresses == {GUESSER}


def test_the_address_the_proxy_saw_is_the_one_counted_not_what_the_client_wrote(
    one_proxy,
):
    """A client may send its own X-Forwarded-For; the proxy appends what it saw:
    only the last entry is the proxy's word."""
    for i in range(one_proxy.AXES_FAILURE_LIMIT):
        sign_in("nobody.at.all", "wrong-password", forwarded=f"192.0.2.{i}, {GUESSER}")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {GUESSER}
    assert sign_in(
        "nobody.at.all", "x", forwarded=f"192.0.2.99, {GUESSER}"
    ).status_code == (429)


def test_with_no_trusted_proxy_a_forged_header_does_not_dodge_the_lockout(settings):
    settings.TRACING_TRUSTED_PROXY_COUNT = 0
    for i in range(settings.AXES_FAILURE_LIMIT):
        sign_in(
            "nobody.at.all", "wrong-password", forwarded=f"192.0.2.{i}", proxy=GUESSER
        )

    refused = sign_in(
        "another.name", "wrong-password", forwarded="192.0.2.200", proxy=GUESSER
    )

    assert refused.status_code == 429
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {GUESSER}


def test_a_forwarded_entry_that_is_not_an_address_counts_the_proxy_s_own(one_proxy):
    """A proxy misconfigured to pass something else (or nothing) through: the
    sign-in still works, counted against the address the request came from."""
    nurse = f.StaffProfileFactory(user__username="nurse.ada").user

    assert (
        sign_in(nurse.username, f.PASSWORD, forwarded="not-an-address").status_code
        == 302
    )
    sign_in("nobody.at.all", "wrong-password", forwarded="not-an-address")

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}


@pytest.mark.parametrize(
    ("guesser", "nurse_at"),
    [
        ("203.0.113.66:40001", "198.51.100.20:50002"),
        ("[2001:db8::66]:40001", "[2001:db8::20]:50002"),
        ("[2001:db8::66]", "2001:db8::20"),
    ],
)
def test_a_proxy_writing_the_port_still_counts_each_client_apart(
    one_proxy, guesser, nurse_at
):
    """Some proxies write "address:port" (IPv6 in brackets): read as the proxy's
    own address, everyone was one client again, and one guesser locked all out."""
    nurse = f.StaffProfileFactory(user__username="nurse.ada").user
    for _ in range(one_proxy.AXES_FAILURE_LIMIT):
        sign_in("nobody.at.all", "wrong-password", forwarded=guesser)

    assert sign_in(nurse.username, f.PASSWORD, forwarded=nurse_at).status_code == 302
    assert PROXY not in set(AccessAttempt.objects.values_list("ip_address", flat=True))
