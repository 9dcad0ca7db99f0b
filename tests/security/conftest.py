"""The security tests' own fixtures."""

from __future__ import annotations

import pytest

from accounts.services import password_reset_limits_forget


@pytest.fixture(autouse=True)
def _a_fresh_allowance_of_password_resets():
    """Requests for a password reset are counted per address in the shared cache,
    which outlives a test (and a run): each test starts with the test client's
    address's full allowance."""
    password_reset_limits_forget("127.0.0.1")
    yield
    password_reset_limits_forget("127.0.0.1")
