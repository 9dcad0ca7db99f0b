"""The header leads every member of staff and every administrator to the people
search (it was reachable only by typing its address), and the staffing pages offer
"My shifts" and "My training" only to those who have them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db

FIND = f'href="{reverse("staffing:people_search")}"'


@pytest.mark.parametrize(
    "who",
    [
        lambda: f.StaffProfileFactory(clinical=True).user,
        lambda: f.StaffProfileFactory().user,
        lambda: f.StaffProfileFactory(clinical=True, is_supervisor=True).user,
        lambda: f.StaffProfileFactory(local=True).user,
        lambda: f.UserFactory(is_superuser=True, is_staff=True),
    ],
    ids=["caseworker", "call handler", "supervisor", "local team", "administrator"],
)
def test_every_member_of_staff_is_led_to_the_people_search(client, who):
    client.force_login(who())
    home = client.get(reverse("home"), follow=True).content.decode()
    assert f'{FIND} aria-current="page"' not in home
    assert FIND in home
    search = client.get(reverse("staffing:people_search")).content.decode()
    assert f'{FIND} aria-current="page">Find a person</a>' in search


def test_an_account_without_a_profile_is_not(client):
    client.force_login(f.UserFactory())
    assert FIND not in client.get(reverse("home"), follow=True).content.decode()


def test_an_administrator_is_not_offered_shifts_or_training(client):
    client.force_login(f.UserFactory(is_superuser=True, is_staff=True))
    answer = client.get(reverse("staffing:audit_search"))
    assert answer.status_code == 200
    page = answer.content.decode()
    assert 'class="app-subnav"' in page
    assert reverse("staffing:my_shifts") not in page
    assert reverse("staffing:my_training") not in page


def test_a_member_of_staff_is(client):
    client.force_login(f.StaffProfileFactory().user)
    page = client.get(reverse("staffing:my_training")).content.decode()
    assert reverse("staffing:my_shifts") in page
