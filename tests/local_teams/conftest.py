"""Fixtures for the local team tests: a clock, and people in two teams."""

from __future__ import annotations

import pytest

from tests.conftest import ensure_ons_areas

from .builders import LEEDS, SHEFFIELD, local_member


@pytest.fixture(autouse=True)
def ons_areas(db):
    """The areas and teams the data migration loads.

    A transactional test flushes every table when it ends (here, in another folder,
    or in an earlier run with --reuse-db), so load them again when they are gone.
    """
    ensure_ons_areas()


@pytest.fixture(autouse=True)
def sessions_outlast_the_clock(settings):
    """Tests move the clock by hours; an idle session would expire meanwhile."""
    settings.SESSION_COOKIE_AGE = 7 * 24 * 3600


@pytest.fixture
def sheffield_member(db):
    return local_member(SHEFFIELD, "sheffield_member")


@pytest.fixture
def sheffield_colleague(db):
    return local_member(SHEFFIELD, "sheffield_colleague")


@pytest.fixture
def sheffield_supervisor(db):
    return local_member(SHEFFIELD, "sheffield_supervisor", is_supervisor=True)


@pytest.fixture
def leeds_member(db):
    return local_member(LEEDS, "leeds_member")


@pytest.fixture
def sheffield_client(client, sheffield_member):
    client.force_login(sheffield_member)
    return client
