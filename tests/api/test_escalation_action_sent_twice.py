"""An action recorded through the API and sent again with the same Idempotency-Key
(a retry after a timeout) is the action recorded the first time, as the page's form
sent twice is. Before, the API recorded it twice while the page recorded it once."""

from __future__ import annotations

import pytest

from escalations.models import EscalationAction

from .test_escalations import escalated_contact

pytestmark = pytest.mark.django_db


def send(api, escalation, *, key: str, note: str = "Nobody home"):
    return api.post(
        f"/api/v1/escalations/{escalation.pk}/actions/",
        {"kind": "doorstep", "note": note},
        format="json",
        headers={"Idempotency-Key": key},
    )


@pytest.fixture
def claimed(sheffield_api):
    escalation = escalated_contact()
    sheffield_api.post(f"/api/v1/escalations/{escalation.pk}/claim/")
    return escalation


def test_an_action_sent_again_with_its_key_is_recorded_once(sheffield_api, claimed):
    first = send(sheffield_api, claimed, key="visit-1")
    again = send(sheffield_api, claimed, key="visit-1")

    assert first.status_code == 201
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert EscalationAction.objects.filter(escalation=claimed).count() == 1


def test_a_new_key_is_a_new_action(sheffield_api, claimed):
    send(sheffield_api, claimed, key="visit-1")
    second = send(sheffield_api, claimed, key="visit-2")

    assert second.status_code == 201
    assert EscalationAction.objects.filter(escalation=claimed).count() == 2


def test_the_same_key_with_another_action_is_422_and_records_nothing(
    sheffield_api, claimed
):
    send(sheffield_api, claimed, key="visit-1")
    other = send(sheffield_api, claimed, key="visit-1", note="Left a card")

    assert other.status_code == 422
    assert "different action" in other.json()["detail"]
    assert list(
        EscalationAction.objects.filter(escalation=claimed).values_list(
            "note", flat=True
        )
    ) == ["Nobody home"]
