"""An item the team sends back to the phones after correcting its person's postcode
(their escalated item kept its area while the team held it) goes back in the area
they live in now, as their other work with the phones did when it was saved: a
known area, or none, flagged, when their postcode is in no area of the service.
The move is in the audit trail: a case's in the send back's event, a contact's in
an event of its own."""

from __future__ import annotations

import pytest

from areas.services import fallback_team
from audit.models import AuditEvent
from cases.models import Case
from contacts.models import Contact
from escalations.models import Escalation
from tests import factories as f
from work.escalation import (
    FOLLOWS_WHEN_SENT_BACK,
    escalation_claim,
    escalation_return,
    item_escalate,
)

from .conftest import (
    CARDIFF_POSTCODE,
    LEEDS,
    LEEDS_POSTCODE,
    SHEFFIELD,
    details_url,
    form_as_drawn,
    signed_in,
)

pytestmark = pytest.mark.django_db


def _corrected_and_sent_back(escalation, member, jon, **details) -> None:
    if details:
        saved = signed_in(member).post(
            details_url(escalation), form_as_drawn(jon, **details)
        )
        assert saved.status_code == 302
    escalation_claim(escalation=escalation, by=member)
    escalation_return(escalation=escalation, note="Moved", by=member)


def _events(item) -> list[dict]:
    return [
        e.detail
        for e in AuditEvent.objects.filter(
            action=AuditEvent.Action.UPDATE,
            object_type=f"{item._meta.app_label}.{item._meta.model_name}",
            object_id=str(item.pk),
        ).order_by("pk")
    ]


def test_a_case_sent_back_takes_leeds_and_its_send_back_says_so(
    escalation, sheffield_member, jon
):
    _corrected_and_sent_back(escalation, sheffield_member, jon, postcode=LEEDS_POSTCODE)

    case = Case.objects.get(pk=escalation.case_id)
    assert (case.area.code, case.area_unknown) == (LEEDS, False)
    (sent_back,) = [d for d in _events(case) if d.get("outcome") == "returned"]
    assert sent_back["follows"] == FOLLOWS_WHEN_SENT_BACK
    assert sent_back["area"] == f.area(LEEDS).pk
    assert sent_back["area_was"] == f.area(SHEFFIELD).pk


def test_a_case_sent_back_after_a_move_to_cardiff_is_of_no_area_and_the_fallbacks(
    escalation, sheffield_member, jon
):
    _corrected_and_sent_back(
        escalation, sheffield_member, jon, postcode=CARDIFF_POSTCODE
    )

    case = Case.objects.get(pk=escalation.case_id)
    again = item_escalate(item=case, reason=Escalation.Reason.UNREACHED)

    assert (case.area, case.area_unknown) == (None, True)
    assert again.local_team == fallback_team()


def test_a_contact_sent_back_takes_leeds_in_an_event_of_its_own(
    contact_escalation, sheffield_member, jon
):
    _corrected_and_sent_back(
        contact_escalation, sheffield_member, jon, postcode=LEEDS_POSTCODE
    )

    contact = Contact.objects.get(pk=contact_escalation.contact_id)
    assert (contact.area.code, contact.area_unknown) == (LEEDS, False)
    events = _events(contact)
    (moved,) = [d for d in events if d.get("follows") == FOLLOWS_WHEN_SENT_BACK]
    assert (moved["area"], moved["area_was"]) == (
        f.area(LEEDS).pk,
        f.area(SHEFFIELD).pk,
    )
    (sent_back,) = [d for d in events if d.get("outcome") == "returned"]
    assert "follows" not in sent_back


@pytest.mark.parametrize("kind", ["case", "contact"])
def test_an_item_sent_back_with_its_person_unmoved_keeps_its_area(
    request, kind, sheffield_member, jon
):
    escalation = request.getfixturevalue(
        "escalation" if kind == "case" else "contact_escalation"
    )
    _corrected_and_sent_back(escalation, sheffield_member, jon, email="j@example.org")

    item = escalation.item
    item.refresh_from_db()
    assert (item.area.code, item.area_unknown) == (SHEFFIELD, False)
    assert not [d for d in _events(item) if "follows" in d]


def test_an_item_of_someone_with_no_postcode_keeps_its_area_when_sent_back(
    escalation, sheffield_member, jon
):
    """As a contact of someone with no postcode stays where it is
    (work.contact_area): nothing says where they live now."""
    jon.__class__.objects.filter(pk=jon.pk).update(postcode="", area=None)

    _corrected_and_sent_back(escalation, sheffield_member, jon)

    case = Case.objects.get(pk=escalation.case_id)
    assert (case.area.code, case.area_unknown) == (SHEFFIELD, False)
