"""An admin action the rules refuse is drawn again with its error and what was typed,
for the same rows: it went back to the list with a message, the reason typed and the
rows chosen lost."""

from __future__ import annotations

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from staffing.models import StaffProfile
from tests import factories as f

pytestmark = pytest.mark.django_db

URL = reverse("admin:staffing_staffprofile_changelist")


def test_a_refused_hours_cap_keeps_the_reason_and_the_rows(admin_client):
    member = f.StaffProfileFactory(weekly_hours_cap=42)

    answer = admin_client.post(
        URL,
        {
            "action": "change_hours_cap",
            ACTION_CHECKBOX_NAME: [member.pk],
            "apply": "1",
            "new_cap": "-3",
            "reason": "Agreed with the union rep",
        },
    )

    assert answer.status_code == 200
    html = answer.content.decode()
    assert "A weekly cap must be at least 1 hour" in html
    assert 'value="Agreed with the union rep"' in html
    assert 'value="-3"' in html
    assert f'name="{ACTION_CHECKBOX_NAME}" value="{member.pk}"' in html
    assert StaffProfile.objects.get(pk=member.pk).weekly_hours_cap == 42


def test_an_accepted_one_goes_back_to_the_list(admin_client):
    member = f.StaffProfileFactory(weekly_hours_cap=42)

    answer = admin_client.post(
        URL,
        {
            "action": "change_hours_cap",
            ACTION_CHECKBOX_NAME: [member.pk],
            "apply": "1",
            "new_cap": "30",
            "reason": "Part-time",
        },
    )

    assert answer.status_code == 302
    assert StaffProfile.objects.get(pk=member.pk).weekly_hours_cap == 30
