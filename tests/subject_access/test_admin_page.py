"""The subject access export in the admin: from the person's record, a page to print
and a JSON download of the same content, for administrators only."""

from __future__ import annotations

import datetime as dt
import json
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from people.models import Person, PossibleDuplicate
from tests import factories as f
from work.merge import person_merge

from .test_export import held_about, values_of

pytestmark = pytest.mark.django_db


def page_url(person) -> str:
    return reverse("admin:people_person_subject_access", args=[person.pk])


def json_url(person) -> str:
    return reverse("admin:people_person_subject_access_json", args=[person.pk])


def rows_on_page(html: str) -> dict[str, set[int]]:
    shown: dict[str, set[int]] = {}
    for key, pk in re.findall(r'data-row="([\w-]+):(\d+)"', html):
        shown.setdefault(key, set()).add(int(pk))
    return shown


def test_the_person_page_offers_the_export_to_an_administrator(
    client, household, administrator
):
    client.force_login(administrator)

    response = client.get(
        reverse("admin:people_person_change", args=[household.alice.pk])
    )

    assert response.status_code == 200
    assert f'href="{page_url(household.alice)}"' in response.text


def test_the_page_shows_every_row_of_the_person_and_nothing_of_the_other(
    client, household, administrator
):
    expected = held_about(household.alice)
    client.force_login(administrator)

    response = client.get(page_url(household.alice))

    assert response.status_code == 200
    html = response.text
    shown = rows_on_page(html)
    for key, pks in expected.items():
        assert shown.get(key) == pks, key
    found = [v for v in values_of(household.barnaby) if v.lower() in html.lower()]
    assert found == []
    assert "Everything held about Alice Quarrington" in html
    assert f'href="{json_url(household.alice)}"' in html


def test_the_page_shows_times_and_dates_in_local_time(client, household, administrator):
    summer = dt.datetime(2020, 10, 1, 9, 30, tzinfo=ZoneInfo("Europe/London"))
    f.CallAttemptFactory(case=household.case_a1, contact=None, started_at=summer)
    client.force_login(administrator)

    html = client.get(page_url(household.alice)).text

    assert "1 Oct 2020 09:30" in html
    assert "9 Feb 1988" in html  # Alice's date of birth


def test_the_page_links_a_stylesheet_for_print_and_no_inline_style(
    client, household, administrator
):
    client.force_login(administrator)

    response = client.get(page_url(household.alice))

    assert "css/subject_access.css" in response.text
    assert "unsafe-inline" not in response["Content-Security-Policy"]


def test_the_json_download_is_an_attachment_of_the_same_rows(
    client, household, administrator
):
    client.force_login(administrator)
    page = rows_on_page(client.get(page_url(household.alice)).text)

    response = client.get(json_url(household.alice))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="subject-access-person-{household.alice.pk}-'
    )
    export = json.loads(response.content)
    downloaded = {
        key: {row["id"] for row in section["rows"]}
        for key, section in export["sections"].items()
        if section["rows"]
    }
    # The page's own export is in the trail by the time of the download.
    page_export = AuditEvent.objects.filter(action="export").earliest("pk").pk
    assert downloaded.pop("audit_events") == page["audit_events"] | {page_export}
    page.pop("audit_events")
    assert downloaded == page


def test_each_export_is_audited_against_the_person(client, household, administrator):
    client.force_login(administrator)

    client.get(page_url(household.alice))
    client.get(json_url(household.alice))

    events = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)
    assert [(e.user, e.person_id) for e in events] == [
        (administrator, household.alice.pk)
    ] * 2


@pytest.mark.parametrize("url_of", [page_url, json_url])
def test_a_staff_user_who_is_not_an_administrator_is_refused(client, household, url_of):
    client.force_login(f.UserFactory(is_staff=True))

    response = client.get(url_of(household.alice))

    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


@pytest.mark.parametrize("url_of", [page_url, json_url])
def test_a_supervisor_is_sent_to_the_admin_sign_in(
    client, household, supervisor, url_of
):
    client.force_login(supervisor)

    response = client.get(url_of(household.alice))

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_a_person_not_held_is_not_found(client, administrator):
    client.force_login(administrator)

    response = client.get(
        reverse("admin:people_person_subject_access", args=[987654321])
    )

    assert response.status_code == 404


def test_a_record_merged_into_another_points_to_that_records_export(
    client, household, administrator, supervisor
):
    old = f.PersonFactory(first_name="Alice", last_name="Quarrington")
    a, b = sorted((household.alice, old), key=lambda p: p.pk)
    pair = PossibleDuplicate.objects.create(
        person_a=a, person_b=b, score=0.9, created_at=timezone.now()
    )
    person_merge(pair=pair, survivor=household.alice, fields={}, by=supervisor)
    client.force_login(administrator)

    html = client.get(page_url(old)).text

    assert f'href="{page_url(household.alice)}"' in html


def test_the_page_leads_to_erasure_showing_first_what_would_go(
    client, household, administrator
):
    client.force_login(administrator)
    html = client.get(page_url(household.alice)).text
    form = re.search(r'<form method="post" action="([^"]+)" id="erase-person">', html)
    assert form is not None

    response = client.post(
        form.group(1),
        {"action": "erase_person", "_selected_action": household.alice.pk},
    )

    assert response.status_code == 200
    assert response.context_data["title"] == "Erase one person's records"
    assert Person.objects.filter(pk=household.alice.pk).exists()
