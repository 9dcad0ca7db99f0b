"""A NUL (%00) in a page's address: a 400 that says so, never a 500 (PostgreSQL
refuses NUL in any text, and the admin's list filters handed it on as typed)."""

from __future__ import annotations

import pytest

from pages.errors import NUL_IN_ADDRESS

pytestmark = pytest.mark.django_db

ADMIN_FILTERS = [
    "/admin/cases/case/?status__exact=%00",
    "/admin/contacts/contact/?exposure__exact=%00",
    "/admin/escalations/escalation/?reason__exact=%00",
    "/admin/people/message/?channel__exact=%00",
    "/admin/staffing/shift/?status__exact=new%00",
    "/admin/audit/auditevent/?action%00__exact=view",
]


@pytest.mark.parametrize("address", ADMIN_FILTERS)
def test_an_admin_list_filter_with_a_nul_is_a_400_saying_so(admin_client, address):
    response = admin_client.get(address)

    assert response.status_code == 400
    assert NUL_IN_ADDRESS in response.content.decode()


def test_a_staff_page_with_a_nul_in_its_search_is_a_400_saying_so(client, caseworker):
    client.force_login(caseworker)

    response = client.get("/work/?q=Smith%00")

    assert response.status_code == 400
    assert NUL_IN_ADDRESS in response.content.decode()


def test_the_api_still_names_the_field_holding_a_nul(admin_client):
    response = admin_client.get("/api/v1/cases/?status=%00")

    assert response.status_code == 400
    assert "status" in response.json()
