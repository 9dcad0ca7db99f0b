"""A contact named by several cases (one person is one contact to call: each later
naming is an Exposure row) is given by the API with its latest exposure, the day and
the kind, as the call handler's page shows it and as the schema says ("the last day
they were exposed"); `case` stays the case that named them first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contacts.models import Contact, Exposure
from pages.desk.contacts import contact_exposures
from tests import factories as f

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def named_again(contact: Contact, *, days: int, exposure: str, by=None) -> Exposure:
    """A later naming of the contact by another case, as work.casework.contact_add
    records it."""
    return Exposure.objects.create(
        contact=contact,
        case=by or f.CaseFactory(),
        exposure_date=days_ago(days),
        exposure=exposure,
        created_at=timezone.now(),
    )


def shown(body: dict) -> dict:
    return {key: body[key] for key in ("case", "exposure_date", "exposure")}


def test_a_contact_named_again_later_gives_the_later_exposure(api):
    first_case = f.CaseFactory()
    pat = f.ContactFactory(
        case=first_case, exposure_date=days_ago(6), exposure=Contact.Exposure.HOUSEHOLD
    )
    named_again(pat, days=1, exposure=Contact.Exposure.FACE_TO_FACE)
    named_again(pat, days=3, exposure=Contact.Exposure.TRAVEL)

    one = api.get(f"/api/v1/contacts/{pat.pk}/").json()
    (listed,) = api.get("/api/v1/contacts/").json()["results"]

    latest = {
        "case": first_case.pk,
        "exposure_date": days_ago(1).isoformat(),
        "exposure": "face_to_face",
    }
    assert shown(one) == latest
    assert shown(listed) == latest


def test_an_earlier_later_naming_leaves_the_first_exposure(api):
    pat = f.ContactFactory(exposure_date=days_ago(2), exposure=Contact.Exposure.TRAVEL)
    named_again(pat, days=5, exposure=Contact.Exposure.HOUSEHOLD)

    body = api.get(f"/api/v1/contacts/{pat.pk}/").json()

    assert body["exposure_date"] == days_ago(2).isoformat()
    assert body["exposure"] == "travel"


def test_each_contact_of_a_list_has_its_own_latest_exposure(api):
    once = f.ContactFactory(exposure_date=days_ago(4))
    twice = f.ContactFactory(exposure_date=days_ago(6))
    named_again(twice, days=2, exposure=Contact.Exposure.PROXIMITY)

    results = api.get("/api/v1/contacts/").json()["results"]

    got = {c["id"]: (c["exposure_date"], c["exposure"]) for c in results}
    assert got == {
        once.pk: (days_ago(4).isoformat(), "household"),
        twice.pk: (days_ago(2).isoformat(), "proximity"),
    }


def test_a_joined_contact_answered_to_the_case_naming_them_gives_the_latest(api):
    payload = {
        "person": {
            "first_name": "Pat",
            "last_name": "Thrice",
            "phone": "0114 496 0777",
            "postcode": "S1 2HE",
        },
        "exposure": "household",
    }
    days = (6, 1, 3)
    # Each case infectious on the day it names them.
    cases = [
        f.CaseFactory(specimen_date=days_ago(d), result_date=days_ago(d)) for d in days
    ]
    answers = [
        api.post(
            f"/api/v1/cases/{case.pk}/contacts/",
            {**payload, "exposure_date": days_ago(d).isoformat()},
            format="json",
        )
        for case, d in zip(cases, days, strict=True)
    ]

    assert [a.status_code for a in answers] == [201, 200, 200]
    # The third naming (three days ago) is not the latest: yesterday's still is.
    assert answers[2].json()["exposure_date"] == days_ago(1).isoformat()
    assert answers[2].json()["case"] == cases[0].pk
    for case in cases:
        (listed,) = api.get(f"/api/v1/contacts/?case={case.pk}").json()["results"]
        assert listed["exposure_date"] == days_ago(1).isoformat()


def test_the_schema_says_the_exposure_is_the_latest_and_case_the_first(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    fields = schema["components"]["schemas"]["Contact"]["properties"]
    assert "latest" in fields["exposure_date"]["description"]
    assert "latest" in fields["exposure"]["description"]
    assert "first" in fields["case"]["description"]
    assert fields["exposure_date"]["format"] == "date"
    (kinds,) = fields["exposure"]["allOf"]
    assert kinds == {"$ref": "#/components/schemas/ExposureEnum"}


@pytest.mark.parametrize("later_reference", ["LAB-A", "LAB-Z"])
def test_two_namings_the_same_day_give_the_one_the_call_handler_sees(
    api, later_reference
):
    pat = f.ContactFactory(
        case=f.CaseFactory(lab_reference="LAB-M"),
        exposure_date=days_ago(2),
        exposure=Contact.Exposure.HOUSEHOLD,
    )
    named_again(
        pat,
        days=2,
        exposure=Contact.Exposure.TRAVEL,
        by=f.CaseFactory(lab_reference=later_reference),
    )
    exposures = contact_exposures(pat)
    desk = max(exposures, key=lambda n: n.exposure_date)  # as its page picks it

    body = api.get(f"/api/v1/contacts/{pat.pk}/").json()

    assert (body["exposure_date"], body["exposure"]) == (
        desk.exposure_date.isoformat(),
        desk.exposure,
    )
