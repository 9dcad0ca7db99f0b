"""POST /api/v1/test-results/: one result or a batch, idempotent, every field checked."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from cases.models import Case
from cases.workitem import Status
from escalations.models import Escalation
from people.models import Person
from tests import factories as f

from .conftest import result_payload

pytestmark = pytest.mark.django_db
URL = "/api/v1/test-results/"


def post(api, body):
    return api.post(URL, body, format="json")


def person_errors(response) -> dict:
    return response.json()["person"]


# --- one result -----------------------------------------------------------------------


def test_new_result_makes_a_case_routed_to_its_area_and_answers_201(api):
    response = post(api, result_payload("LAB-1"))
    assert response.status_code == 201
    body = response.json()
    assert body["lab_reference"] == "LAB-1"
    assert body["area"] == "E08000019"
    case = Case.objects.get(lab_reference="LAB-1")
    assert case.status == Status.NEW
    assert case.source == Case.Source.API
    assert case.person.postcode == "S1 2HE"
    assert str(case.person.phone) == "+447911123456"


def test_same_result_twice_answers_200_with_the_same_case(api):
    first = post(api, result_payload("LAB-1"))
    second = post(api, result_payload("LAB-1"))
    assert second.status_code == 200
    assert second.json()["id"] == first.json()["id"]
    assert Case.objects.count() == 1


def test_same_reference_with_other_details_changes_nothing(api):
    post(api, result_payload("LAB-1"))
    moved = result_payload("LAB-1")
    moved["person"]["postcode"] = "S70 2TA"
    assert post(api, moved).status_code == 200  # contact details may change
    changed = result_payload("LAB-1")
    changed["specimen_date"] = changed["result_date"]
    response = post(api, changed)
    assert response.status_code == 409  # another test: a conflict
    assert response.json()["differing_fields"] == ["specimen_date"]
    case = Case.objects.get(lab_reference="LAB-1")
    assert case.area.code == "E08000019"
    assert case.specimen_date == timezone.localdate() - dt.timedelta(days=2)
    assert Person.objects.count() == 1


def test_complex_setting_sends_the_case_to_the_local_team(api):
    response = post(api, result_payload("LAB-1", complex_setting="care_home"))
    assert response.status_code == 201
    assert response.json()["status"] == Status.ESCALATED
    escalation = Escalation.objects.get(case__lab_reference="LAB-1")
    assert escalation.reason == Escalation.Reason.COMPLEX
    assert escalation.local_team.code == "E08000019"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12345"),
        ("postcode", "NOT A POSTCODE"),
        ("nhs_number", "9434765918"),
        ("date_of_birth", "2999-01-01"),
        ("email", "not-an-email"),
    ],
)
def test_bad_person_field_is_400_naming_the_field(api, field, value):
    payload = result_payload()
    payload["person"][field] = value
    response = post(api, payload)
    assert response.status_code == 400
    assert field in person_errors(response)
    assert not Case.objects.exists()


def test_specimen_after_result_is_400(api):
    today = timezone.localdate()
    payload = result_payload(
        specimen_date=(today - dt.timedelta(days=1)).isoformat(),
        result_date=(today - dt.timedelta(days=3)).isoformat(),
    )
    response = post(api, payload)
    assert response.status_code == 400
    assert "on or before the result date" in response.json()["specimen_date"][0]


def test_result_in_the_future_is_400(api):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    response = post(api, result_payload(result_date=tomorrow.isoformat()))
    assert response.status_code == 400
    assert "future" in response.json()["result_date"][0]


def test_specimen_in_the_future_is_400(api):
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    payload = result_payload(
        specimen_date=tomorrow.isoformat(), result_date=tomorrow.isoformat()
    )
    response = post(api, payload)
    assert response.status_code == 400
    assert "future" in response.json()["specimen_date"][0]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("specimen_date", "0001-01-01", "2020 or later"),
        ("symptom_onset", "0001-01-01", "at most 28 days before the test"),
        ("symptom_onset", 29, "at most 28 days before the test"),
    ],
)
def test_a_date_of_another_era_is_400_naming_the_field(api, field, value, reason):
    payload = result_payload()
    if isinstance(value, int):  # days before the specimen was taken
        specimen = dt.date.fromisoformat(payload["specimen_date"])
        value = (specimen - dt.timedelta(days=value)).isoformat()
    payload[field] = value

    response = post(api, payload)

    assert response.status_code == 400
    assert reason in response.json()[field][0]
    assert not Case.objects.exists()


def test_a_specimen_and_onset_both_in_year_one_are_400_not_an_error(api):
    # 28 days before the first days of year 1 is no date at all: it overflowed.
    payload = result_payload(specimen_date="0001-01-01", symptom_onset="0001-01-01")

    response = post(api, payload)

    assert response.status_code == 400
    assert "2020 or later" in response.json()["specimen_date"][0]


def test_a_language_is_held_by_its_code_and_an_unknown_one_is_400(api):
    f.LanguageFactory(code="pl", name="Polish")
    upper = result_payload("LAB-1")
    upper["person"]["language"] = " PL "
    unknown = result_payload("LAB-2")
    unknown["person"]["language"] = "xx"

    taken = post(api, upper)
    refused = post(api, unknown)

    assert taken.status_code == 201
    assert Person.objects.get().language.code == "pl"
    assert refused.status_code == 400
    assert "No language has the code 'xx'" in refused.json()["person"]["language"][0]
    assert not Case.objects.filter(lab_reference="LAB-2").exists()


def test_symptom_onset_after_result_is_400(api):
    payload = result_payload(symptom_onset=timezone.localdate().isoformat())
    response = post(api, payload)
    assert response.status_code == 400
    assert "symptom_onset" in response.json()


def test_unknown_complex_setting_is_400(api):
    response = post(api, result_payload(complex_setting="moon_base"))
    assert response.status_code == 400
    assert "complex_setting" in response.json()


def test_missing_fields_are_each_named(api):
    response = post(api, {"lab_reference": "LAB-1"})
    assert response.status_code == 400
    assert set(response.json()) == {"person", "specimen_date", "result_date"}


def test_malformed_json_is_400(api):
    response = api.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["detail"]


def test_body_that_is_neither_object_nor_list_is_400(api):
    response = post(api, "just a string")
    assert response.status_code == 400


# --- batches --------------------------------------------------------------------------


def test_batch_saves_good_items_and_reports_bad_ones_item_by_item(api):
    bad = result_payload("LAB-2")
    bad["person"]["phone"] = "12345"
    response = post(api, [result_payload("LAB-1"), bad, 42, result_payload("LAB-3")])
    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["existing"], body["invalid"]) == (2, 0, 2)
    statuses = [(r["index"], r["status"]) for r in body["results"]]
    assert statuses == [(0, "created"), (1, "invalid"), (2, "invalid"), (3, "created")]
    assert "phone" in body["results"][1]["errors"]["person"]
    assert body["results"][1]["lab_reference"] == "LAB-2"
    assert set(Case.objects.values_list("lab_reference", flat=True)) == {
        "LAB-1",
        "LAB-3",
    }


def test_same_batch_twice_makes_each_case_once(api):
    batch = [result_payload(f"LAB-{n}") for n in range(5)]
    first = post(api, batch).json()
    second = post(api, batch).json()
    assert first["created"] == 5
    assert (second["created"], second["existing"]) == (0, 5)
    assert [r["case"] for r in second["results"]] == [
        r["case"] for r in first["results"]
    ]
    assert Case.objects.count() == 5


def test_one_reference_twice_in_a_batch_is_created_then_existing(api):
    body = post(api, [result_payload("LAB-1"), result_payload("LAB-1")]).json()
    assert [r["status"] for r in body["results"]] == ["created", "existing"]


def test_item_failing_midway_leaves_nothing_half_written(api, monkeypatch):
    """The person is saved before the case: a failure on the case undoes both."""
    from django.db import IntegrityError

    real_save = Case.save

    def failing_save(self, *args, **kwargs):
        if self.lab_reference == "LAB-2":
            raise IntegrityError("simulated failure after the person was written")
        return real_save(self, *args, **kwargs)

    monkeypatch.setattr(Case, "save", failing_save)
    body = post(api, [result_payload("LAB-1"), result_payload("LAB-2")]).json()
    assert [r["status"] for r in body["results"]] == ["created", "invalid"]
    assert not Person.objects.filter(last_name="Patel-LAB-2").exists()
    assert Person.objects.filter(last_name="Patel-LAB-1").exists()


def test_batch_of_1000_is_accepted(api):
    batch = [{"lab_reference": f"BAD-{n}"} for n in range(1000)]
    response = post(api, batch)
    assert response.status_code == 200
    assert response.json()["invalid"] == 1000


def test_batch_over_1000_is_413_with_a_clear_message(api):
    batch = [result_payload(f"LAB-{n}") for n in range(1001)]
    response = post(api, batch)
    assert response.status_code == 413
    assert "at most 1000" in response.json()["detail"]
    assert not Case.objects.exists()


def test_empty_batch_is_400(api):
    response = post(api, [])
    assert response.status_code == 400
