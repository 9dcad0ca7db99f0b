"""A setting (a place cases named) is shown read only in the admin, like the rest of
the cases' records: its name, kind and area are what its clusters were found and
placed by, and changes go through the services, audited.

Before, the admin's setting page was a plain form: an administrator could rename a
setting, change its kind or move it to another area (its cluster stayed in the old
team's list), add or delete settings, and no audit event was written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import ExposureSetting
from tests import factories as f

pytestmark = pytest.mark.django_db

SHEFFIELD, LEEDS = "E08000019", "E08000035"


@pytest.fixture
def admin_client(client, django_user_model):
    client.force_login(
        django_user_model.objects.create_superuser("admin", "a@example.org", "x")
    )
    return client


@pytest.fixture
def works():
    setting = f.ExposureSettingFactory(
        area=f.area(SHEFFIELD), name="Hunt Works", kind="workplace", postcode="S10 2TN"
    )
    f.ClusterFactory(setting=setting)
    return setting


def test_a_change_posted_to_a_setting_changes_nothing(admin_client, works):
    response = admin_client.post(
        reverse("admin:cases_exposuresetting_change", args=[works.pk]),
        {
            "name": "Renamed by admin",
            "kind": "venue",
            "address": "",
            "postcode": works.postcode,
            "area": f.area(LEEDS).pk,
            "_save": "Save",
        },
    )

    assert response.status_code == 403
    works.refresh_from_db()
    assert (works.name, works.kind, works.area_id) == (
        "Hunt Works",
        "workplace",
        f.area(SHEFFIELD).pk,
    )


def test_a_setting_is_shown_without_a_save_button_and_its_opening_audited(
    admin_client, works
):
    response = admin_client.get(
        reverse("admin:cases_exposuresetting_change", args=[works.pk])
    )

    assert response.status_code == 200
    assert "Hunt Works" in response.content.decode()
    assert 'name="_save"' not in response.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW,
        object_type="cases.exposuresetting",
        object_id=str(works.pk),
    ).exists()


def test_settings_are_neither_added_nor_deleted_in_the_admin(admin_client, works):
    added = admin_client.post(
        reverse("admin:cases_exposuresetting_add"),
        {"name": "New place", "kind": "venue", "postcode": "", "address": ""},
    )
    deleted = admin_client.post(
        reverse("admin:cases_exposuresetting_delete", args=[works.pk]),
        {"post": "yes"},
    )

    assert added.status_code == 403
    assert deleted.status_code == 403
    assert list(ExposureSetting.objects.values_list("name", flat=True)) == [
        "Hunt Works"
    ]


def test_the_settings_list_still_shows_them(admin_client, works):
    response = admin_client.get(reverse("admin:cases_exposuresetting_changelist"))

    assert response.status_code == 200
    assert "Hunt Works" in response.content.decode()
