"""The API tests' fixtures, reused."""

from tests.api.conftest import (  # noqa: F401 (fixtures, used by name)
    _fresh_rate_counts,
    api,
    make_client,
)
