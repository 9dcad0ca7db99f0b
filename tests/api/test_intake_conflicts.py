"""A lab reference already a case for another person or test is a conflict: said,
never swallowed, and nothing of it written."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.utils import timezone

from api.models import Scope
from cases.models import Case
from people.models import Person
from people.services import PersonDetails
from tests import factories as f
from work.intake import IntakeConflict, case_intake, case_intake_many
from work.intake import TestResult as LabResult

from .conftest import result_payload

pytestmark = pytest.mark.django_db
URL = "/api/v1/test-results/"


def post(api, body):
    return api.post(URL, body, format="json")


def own_person(ref: str, n: int) -> dict:
    """A result for a person of their own: no name, birthday or phone shared."""
    payload = result_payload(ref)
    payload["person"].update(
        first_name=f"Person{n}",
        date_of_birth=f"19{50 + n}-03-02",
        phone=f"07911 {123400 + n}",
    )
    return payload


def someone_else(ref: str = "LAB-1") -> dict:
    """The same lab reference, another person (another name and date of birth)."""
    payload = result_payload(ref)
    payload["person"].update(first_name="Bilal", date_of_birth="1990-07-15")
    return payload


# --- through the API ------------------------------------------------------------------


def test_same_reference_for_another_person_in_one_batch_is_a_conflict(api):
    response = post(api, [result_payload("LAB-1"), someone_else("LAB-1")])

    assert response.status_code == 200
    body = response.json()
    assert (body["created"], body["existing"], body["invalid"], body["conflict"]) == (
        1,
        0,
        0,
        1,
    )
    first, second = body["results"]
    assert first["status"] == "created"
    assert second["status"] == "conflict"
    assert second["code"] == 409
    assert second["index"] == 1
    assert second["lab_reference"] == "LAB-1"
    assert second["case"] == first["case"]
    assert second["errors"] is None
    assert second["differing_fields"] == ["first_name", "date_of_birth"]
    assert second["detail"] == (
        "Lab reference LAB-1 is already a case for different person or test "
        "details: first_name, date_of_birth differ."
    )
    assert second["on_file"]["first_name"] == "Asha"
    assert second["on_file"]["date_of_birth"] == "1984-03-02"
    assert second["received"]["first_name"] == "Bilal"
    assert second["received"]["date_of_birth"] == "1990-07-15"
    # Only the compared fields: no contact details.
    assert (
        set(second["on_file"])
        == set(second["received"])
        == {
            "first_name",
            "last_name",
            "date_of_birth",
            "nhs_number",
            "specimen_date",
            "result_date",
        }
    )
    # Nothing of the conflicting item written.
    assert Case.objects.count() == 1
    assert Person.objects.count() == 1
    assert not Person.objects.filter(first_name="Bilal").exists()


def test_same_reference_for_another_person_across_batches_is_a_conflict(api):
    first = post(api, [result_payload("LAB-1"), own_person("LAB-2", 2)]).json()
    people = Person.objects.count()

    response = post(api, [someone_else("LAB-1"), own_person("LAB-3", 3)])

    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["conflict", "created"]
    conflict = body["results"][0]
    assert conflict["case"] == first["results"][0]["case"]
    assert conflict["differing_fields"] == ["first_name", "date_of_birth"]
    assert (conflict["on_file"]["first_name"], conflict["received"]["first_name"]) == (
        "Asha",
        "Bilal",
    )
    # The batch's other item is saved; nothing of the conflicting one.
    assert Case.objects.filter(lab_reference="LAB-3").exists()
    assert Person.objects.count() == people + 1
    assert not Person.objects.filter(first_name="Bilal").exists()


def test_another_test_date_is_a_conflict(api):
    post(api, result_payload("LAB-1"))
    changed = result_payload("LAB-1")
    changed["specimen_date"] = changed["result_date"]

    body = post(api, [changed, result_payload("LAB-2")]).json()

    conflict = body["results"][0]
    assert conflict["status"] == "conflict"
    assert conflict["differing_fields"] == ["specimen_date"]
    assert Case.objects.get(lab_reference="LAB-1").specimen_date == (
        timezone.localdate() - dt.timedelta(days=2)
    )


def test_new_contact_details_only_are_existing_not_a_conflict(api):
    first = post(api, [result_payload("LAB-1")]).json()
    moved = result_payload("LAB-1")
    moved["person"].update(
        phone="07911 123457",
        postcode="S70 2TA",
        email="asha@example.org",
        address="1 New Street",
    )

    response = post(api, [moved])

    assert response.status_code == 200
    body = response.json()
    assert body["existing"] == 1
    assert body["conflict"] == 0
    assert body["results"][0]["case"] == first["results"][0]["case"]
    assert "on_file" not in body["results"][0]
    assert Person.objects.count() == 1


def test_names_differing_only_in_case_and_spaces_are_existing(api):
    post(api, [result_payload("LAB-1")])
    shouted = result_payload("LAB-1")
    shouted["person"]["first_name"] = "  ASHA "
    shouted["person"]["last_name"] = " patel-lab-1  "

    body = post(api, [shouted]).json()

    assert body["results"][0]["status"] == "existing"


def test_a_name_resent_without_its_accents_is_existing(api):
    """A lab whose other system strips accents sends the result again: the same
    result, not a conflict (matching weighs names accents aside). Before, a 409."""
    first = result_payload("LAB-1")
    first["person"]["last_name"] = "Ápmorgan"
    post(api, [first])
    plain = result_payload("LAB-1")
    plain["person"]["last_name"] = "Apmorgan"

    body = post(api, [plain]).json()

    assert body["results"][0]["status"] == "existing"


def test_a_blank_on_either_side_does_not_conflict(api):
    post(api, [result_payload("LAB-1")])  # no NHS number on file
    with_more = result_payload("LAB-1")
    with_more["person"]["nhs_number"] = "9434765919"
    without_birth = result_payload("LAB-1")
    without_birth["person"]["date_of_birth"] = None

    body = post(api, [with_more, without_birth]).json()

    assert [r["status"] for r in body["results"]] == ["existing", "existing"]


def test_a_batch_of_only_conflicts_is_409(api):
    post(api, [result_payload("LAB-1"), result_payload("LAB-2")])
    people = Person.objects.count()

    response = post(api, [someone_else("LAB-1"), someone_else("LAB-2")])

    assert response.status_code == 409
    body = response.json()
    assert body["detail"] == (
        "Every result of the batch is a conflict: nothing was written."
    )
    assert body["conflict"] == 2
    assert [r["status"] for r in body["results"]] == ["conflict", "conflict"]
    assert Person.objects.count() == people
    assert Case.objects.count() == 2


def test_a_batch_of_conflicts_and_invalid_items_keeps_todays_200(api):
    post(api, [result_payload("LAB-1")])

    response = post(api, [someone_else("LAB-1"), {"lab_reference": "BAD"}])

    assert response.status_code == 200
    assert (response.json()["conflict"], response.json()["invalid"]) == (1, 1)


def test_one_conflicting_result_alone_is_409_with_both_versions(api):
    created = post(api, result_payload("LAB-1")).json()

    response = post(api, someone_else("LAB-1"))

    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "conflict"
    assert body["code"] == 409
    assert body["case"] == created["id"]
    assert body["differing_fields"] == ["first_name", "date_of_birth"]
    assert body["received"]["first_name"] == "Bilal"
    assert Person.objects.count() == 1


def test_the_same_batch_twice_is_existing_each_time(api):
    batch = [own_person(f"LAB-{n}", n) for n in range(3)] + [own_person("LAB-0", 0)]
    first = post(api, batch).json()
    second = post(api, batch)
    third = post(api, batch).json()

    assert [r["status"] for r in first["results"]] == [
        "created",
        "created",
        "created",
        "existing",
    ]
    assert second.status_code == 200
    for body in (second.json(), third):
        assert (body["created"], body["existing"], body["conflict"]) == (0, 4, 0)
    assert Case.objects.count() == 3
    assert Person.objects.count() == 3


def test_a_result_sent_again_is_existing_though_its_person_is_written_otherwise(api):
    """The person a case was matched to (or corrected since) may be written
    otherwise than the result was: sending that result again is no conflict."""
    batch = [result_payload("LAB-1"), own_person("LAB-2", 2)]
    first = post(api, batch).json()
    Person.objects.filter(pk=Case.objects.get(lab_reference="LAB-1").person_id).update(
        first_name="Aasha", last_name="Patel"
    )

    again = post(api, batch)
    other = post(api, [someone_else("LAB-1"), own_person("LAB-2", 2)]).json()

    assert again.status_code == 200
    assert [r["status"] for r in again.json()["results"]] == ["existing", "existing"]
    assert [r["case"] for r in again.json()["results"]] == [
        r["case"] for r in first["results"]
    ]
    assert [r["status"] for r in other["results"]] == ["conflict", "existing"]
    assert other["results"][0]["on_file"]["first_name"] == "Aasha"
    assert other["results"][0]["differing_fields"] == [
        "first_name",
        "last_name",
        "date_of_birth",
    ]


def test_the_schema_describes_conflicts(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"][URL]["post"]
    assert "conflict" in operation["responses"]["409"]["description"]
    assert "conflict" in operation["description"]
    components = schema["components"]["schemas"]
    status = components["IntakeItem"]["properties"]["status"]["$ref"].split("/")[-1]
    assert "conflict" in components[status]["enum"]
    assert "conflict" in components["IntakeBatch"]["properties"]
    assert "on_file" in components["IntakeItem"]["properties"]
    assert {"on_file", "received", "differing_fields", "code"} <= set(
        components["IntakeConflict"]["properties"]
    )


# --- the service ----------------------------------------------------------------------


def lab_result(ref: str = "LAB-1", **person) -> LabResult:
    details = {
        "first_name": "Amira",
        "last_name": "Khan",
        "date_of_birth": dt.date(1980, 5, 1),
        "nhs_number": "9434765919",
        "phone": "07911 123456",
        "postcode": "S1 1AA",
    }
    return LabResult(
        lab_reference=ref,
        person=PersonDetails(**(details | person)),
        specimen_date=dt.date(2021, 1, 10),
        result_date=dt.date(2021, 1, 11),
    )


@pytest.mark.usefixtures("clock")
def test_case_intake_many_says_the_conflict_field_by_field(caplog):
    with caplog.at_level(logging.WARNING, logger="work.intake"):
        first, same, other = case_intake_many(
            results=[
                lab_result(),
                lab_result(first_name=" amira ", phone="07911 123457"),
                lab_result(last_name="Shah", nhs_number="4010232137"),
            ]
        )

    assert (first.created, first.conflict) == (True, None)
    assert (same.created, same.conflict, same.case.pk) == (False, None, first.case.pk)
    assert other.created is False
    assert other.error is None
    assert other.case.pk == first.case.pk
    assert other.conflict == {
        "fields": ["last_name", "nhs_number"],
        "on_file": {
            "first_name": "Amira",
            "last_name": "Khan",
            "date_of_birth": dt.date(1980, 5, 1),
            "nhs_number": "9434765919",
            "specimen_date": dt.date(2021, 1, 10),
            "result_date": dt.date(2021, 1, 11),
        },
        "received": {
            "first_name": "Amira",
            "last_name": "Shah",
            "date_of_birth": dt.date(1980, 5, 1),
            "nhs_number": "4010232137",
            "specimen_date": dt.date(2021, 1, 10),
            "result_date": dt.date(2021, 1, 11),
        },
    }
    assert Person.objects.count() == 1
    # Logged with the reference and field names only, never the personal data.
    [record] = [r for r in caplog.records if r.name == "work.intake"]
    assert record.levelno == logging.WARNING
    assert "LAB-1" in record.getMessage()
    assert "Shah" not in record.getMessage()
    assert "4010232137" not in record.getMessage()


@pytest.mark.usefixtures("clock")
def test_case_intake_raises_the_conflict_and_writes_nothing():
    case, _ = case_intake(result=lab_result())

    with pytest.raises(IntakeConflict) as raised:
        case_intake(result=lab_result(date_of_birth=dt.date(1981, 5, 1)))

    assert raised.value.case.pk == case.pk
    assert raised.value.conflict["fields"] == ["date_of_birth"]
    assert Person.objects.count() == 1
    assert Case.objects.get().person.date_of_birth == dt.date(1980, 5, 1)


@pytest.mark.usefixtures("clock")
def test_a_concurrent_intake_of_the_reference_is_compared_too(monkeypatch):
    """The IntegrityError path: another transaction made the case meanwhile."""
    case_intake(result=lab_result())
    # As if the reference were not yet known when the batch looked it up: the
    # insert then fails on the unique lab reference, and the case is looked up.
    real_select_related = Case.objects.select_related
    lookups = []

    def first_lookup_misses(*fields):
        lookups.append(fields)
        found = real_select_related(*fields)
        return found.none() if len(lookups) == 1 else found

    monkeypatch.setattr(Case.objects, "select_related", first_lookup_misses)
    [other] = case_intake_many(results=[lab_result(first_name="Zara")])
    monkeypatch.undo()
    [same] = case_intake_many(results=[lab_result(phone="07911 123457")])

    assert len(lookups) == 2  # the batch's lookup, then the IntegrityError path's
    assert other.conflict is not None
    assert other.conflict["fields"] == ["first_name"]
    assert same.conflict is None
    assert Person.objects.count() == 1
    assert Case.objects.count() == 1


# --- a client bound to a local team -----------------------------------------------------


@pytest.fixture
def leeds_lab(make_client):
    """A Leeds testing site's integration: intake (and casework, to be shown the
    cases of its own areas), bound to Leeds' local team."""
    return make_client(
        "Leeds testing site",
        scopes=[Scope.INTAKE, Scope.CASEWORK],
        local_team=f.area("E08000035").local_team,
    )[1]


def test_a_local_client_is_told_nothing_of_a_conflicting_case_outside_its_areas(
    api, leeds_lab
):
    held = post(api, result_payload("LAB-1")).json()  # a Sheffield case

    alone = post(leeds_lab, someone_else("LAB-1"))
    batch = post(leeds_lab, [someone_else("LAB-1"), own_person("LAB-2", 2)])

    assert alone.status_code == 409
    body = alone.json()
    assert (body["case"], body["on_file"], body["differing_fields"]) == (None, None, [])
    assert "outside your areas" in body["detail"]
    assert "Asha" not in alone.content.decode()  # the person on file
    assert str(held["id"]) not in alone.content.decode()
    conflict = batch.json()["results"][0]
    assert (conflict["status"], conflict["case"], conflict["on_file"]) == (
        "conflict",
        None,
        None,
    )
    assert "Asha" not in batch.content.decode()
    # The national client is still told both versions.
    assert post(api, someone_else("LAB-1")).json()["on_file"]["first_name"] == "Asha"


def test_a_local_client_gets_the_id_not_the_case_of_a_result_outside_its_areas(
    api, leeds_lab
):
    sheffield = post(leeds_lab, result_payload("LAB-1"))  # a Sheffield postcode
    again = post(leeds_lab, result_payload("LAB-1"))
    # Someone else (LAB-1's person's next result would be kept with LAB-1's case).
    in_leeds = own_person("LAB-3", 3)
    in_leeds["person"]["postcode"] = "LS1 4DY"
    leeds = post(leeds_lab, in_leeds)

    assert sheffield.status_code == 201
    case = Case.objects.get(lab_reference="LAB-1")
    assert sheffield.json() == {
        "id": case.pk,
        "lab_reference": "LAB-1",
        "status": "created",
        "detail": "The case is outside your areas: it is not shown.",
    }
    assert again.status_code == 200
    assert again.json()["id"] == case.pk
    assert "person" not in again.json()
    assert leeds.status_code == 201
    assert leeds.json()["person"]["postcode"] == "LS1 4DY"  # its own area: the case
