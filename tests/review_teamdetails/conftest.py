"""Review of "Their details" on a local team's escalation page and PATCH .../person/
on an escalated item (commit c851d8a): tests/local_details' people and teams."""

from tests.local_details.conftest import (  # noqa: F401
    CARDIFF_POSTCODE,
    HELD_PHONE,
    LEEDS,
    LEEDS_POSTCODE,
    SHEFFIELD,
    api_url,
    contact_escalation,
    detail_url,
    details_url,
    escalation,
    form_as_drawn,
    jon,
    leeds_member,
    ons_areas,
    sheffield_colleague,
    sheffield_member,
    signed_in,
)
