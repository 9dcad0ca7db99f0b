"""Fixtures for the review of 67b702a: tests/safeguarding_completed's and
tests/advice_resent's own."""

from tests.advice_resent.conftest import jo  # noqa: F401 (fixture)
from tests.safeguarding_completed.conftest import (  # noqa: F401 (fixtures)
    completed_case,
    concern,
    ons_areas,
    sheffield_member,
)
