"""A NUL (%00) in an admin list filter's value: the list, never a 500 (PostgreSQL
refuses NUL in any text, and Django's filters hand the value on as typed)."""

from __future__ import annotations

import pytest

from tests import factories as f

pytestmark = pytest.mark.django_db

ADMIN_FILTERS = [
    "/admin/cases/case/?status__exact=%00",
    "/admin/contacts/contact/?exposure__exact=%00",
    "/admin/escalations/escalation/?reason__exact=%00",
    "/admin/people/message/?channel__exact=%00",
    "/admin/staffing/shift/?status__exact=new%00",
    "/admin/audit/auditevent/?action__exact=view%00",
    "/admin/calls/callattempt/?outcome__exact=%00",
    "/admin/retention/retentionrun/?trigger=x%00",
]


@pytest.mark.parametrize("address", ADMIN_FILTERS)
def test_an_admin_list_filter_with_a_nul_shows_the_list_with_its_error_mark(
    admin_client, address
):
    f.EscalationFactory()
    response = admin_client.get(address, follow=True)

    assert response.status_code == 200
    assert response.redirect_chain[-1][0].endswith("?e=1")


def test_a_good_filter_value_still_filters(admin_client):
    new = f.CaseFactory(status="new")
    f.CaseFactory(status="closed")

    response = admin_client.get("/admin/cases/case/?status__exact=new")

    assert [row.pk for row in response.context["cl"].result_list] == [new.pk]
