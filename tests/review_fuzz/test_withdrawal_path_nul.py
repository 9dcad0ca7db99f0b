"""A lab reference holding a NUL byte in the withdrawal's path."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_withdrawal_of_a_lab_reference_with_a_nul_byte_is_a_404_not_a_500(api):
    """A lab's integration posts POST /api/v1/test-results/LAB%00-1/withdrawal/
    (a NUL in its reference, as a badly joined string sends it). The lookup
    `Case.objects.filter(lab_reference=...)` hands PostgreSQL's driver a NUL and it
    raises ValueError: the lab is answered 500. No case can hold such a reference,
    so the answer should be the JSON 404 "No case has this lab reference." (or a
    400 naming the lab reference)."""
    response = api.post(
        "/api/v1/test-results/LAB%00-1/withdrawal/",
        {"reason": "Sample mix-up"},
        format="json",
    )
    assert response.status_code in (400, 404)
    assert "lab reference" in response.json()["detail"].lower()
