"""The API's answers a tester found telling callers more, or less, than the rules say
(docs/access.md): contacts joined, intake for clients without casework, token
rotation, boolean filters, Idempotency-Keys reused, names sent in other forms."""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import Scope
from api.services import (
    TokenExpiryNeeded,
    api_client_create,
    api_client_reissue_token,
    api_client_rotate_token,
)
from audit.models import AuditEvent
from calls.models import CallAttempt
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact, Exposure
from tests import factories as f
from work.intake import results_differing

from .conftest import result_payload

pytestmark = pytest.mark.django_db

MANCHESTER = "E08000003"


def bearer(token: str) -> APIClient:
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return http


def contact_payload(*, postcode: str = "M1 1AE", days_ago: int = 1) -> dict:
    return {
        "person": {
            "first_name": "Sam",
            "last_name": "Okafor",
            "phone": "0114 496 0777",
            "postcode": postcode,
        },
        "exposure_date": (
            timezone.localdate() - dt.timedelta(days=days_ago)
        ).isoformat(),
        "exposure": "household",
    }


# --- 1. A contact joined that the caller may not see ------------------------------------


def test_a_bound_client_joining_another_teams_contact_gets_a_receipt_not_the_contact(
    api, sheffield_api
):
    manchester_case = f.CaseFactory(person__area=f.area(MANCHESTER))
    sheffield_case = f.CaseFactory()
    made = api.post(
        f"/api/v1/cases/{manchester_case.pk}/contacts/",
        {
            **contact_payload(days_ago=3),
            "person": {
                **contact_payload()["person"],
                "date_of_birth": "1990-05-06",
            },
        },
        format="json",
    )
    contact = Contact.objects.get(pk=made.json()["id"])
    assert sheffield_api.get(f"/api/v1/contacts/{contact.pk}/").status_code == 404

    joined = sheffield_api.post(
        f"/api/v1/cases/{sheffield_case.pk}/contacts/",
        contact_payload(days_ago=1),
        format="json",
    )

    assert joined.status_code == 200
    latest_end = timezone.localdate() - dt.timedelta(days=1) + dt.timedelta(days=10)
    assert joined.json() == {
        "id": contact.pk,
        "joined": True,
        "isolation_ends_on": latest_end.isoformat(),
        "detail": "This person is already a contact of another case: this exposure "
        "was added to their record (isolating until "
        f"{latest_end:%d %B %Y}). That contact is not yours to see, so nothing "
        "else of it is shown.",
    }
    body = joined.content.decode()
    assert "1990-05-06" not in body
    assert manchester_case.lab_reference not in body
    assert Exposure.objects.get().case == sheffield_case


def test_a_caseworker_joining_a_colleagues_contact_gets_a_receipt(
    client, caseworker, api
):
    theirs = f.CaseFactory(status=Status.ASSIGNED, assignee=f.UserFactory())
    mine = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    made = api.post(
        f"/api/v1/cases/{theirs.pk}/contacts/",
        contact_payload(postcode="S1 2HE", days_ago=3),
        format="json",
    )
    client.force_login(caseworker)
    assert client.get(f"/api/v1/contacts/{made.json()['id']}/").status_code == 404

    joined = client.post(
        f"/api/v1/cases/{mine.pk}/contacts/",
        contact_payload(postcode="S1 2HE", days_ago=1),
        content_type="application/json",
    )

    assert joined.status_code == 200
    assert set(joined.json()) == {"id", "joined", "isolation_ends_on", "detail"}
    assert joined.json()["id"] == made.json()["id"]
    assert "person" not in joined.json()


def test_a_joined_contact_the_caller_may_see_is_still_answered_in_full(api):
    first, second = f.CaseFactory(), f.CaseFactory()
    api.post(
        f"/api/v1/cases/{first.pk}/contacts/",
        contact_payload(days_ago=3),
        format="json",
    )

    joined = api.post(
        f"/api/v1/cases/{second.pk}/contacts/", contact_payload(), format="json"
    )

    assert joined.status_code == 200
    assert joined.json()["case"] == first.pk
    assert joined.json()["person"]["first_name"] == "Sam"


# --- 2. Intake for a client without the casework scope -----------------------------------


@pytest.fixture
def lab_feed(make_client):
    """A lab's feed: intake only, national."""
    return make_client("Lab feed", scopes=[Scope.INTAKE])[1]


def someone_else(ref: str) -> dict:
    """The lab reference of an Asha Patel on file, sent for someone else."""
    payload = result_payload(ref)
    payload["person"] = {
        **payload["person"],
        "first_name": "Zara",
        "date_of_birth": "1990-01-01",
    }
    return payload


def test_an_intake_only_client_gets_receipts_not_the_case(lab_feed):
    created = lab_feed.post(
        "/api/v1/test-results/", result_payload("LAB-1"), format="json"
    )
    again = lab_feed.post(
        "/api/v1/test-results/", result_payload("LAB-1"), format="json"
    )

    case = Case.objects.get(lab_reference="LAB-1")
    assert (created.status_code, again.status_code) == (201, 200)
    assert created.json()["status"] == "created"
    assert again.json() == {
        "id": case.pk,
        "lab_reference": "LAB-1",
        "status": "existing",
        "detail": "Received. Cases are shown only to clients with the casework scope.",
    }
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.VIEW).exists()


def test_an_intake_only_client_is_told_which_fields_differ_not_the_values_on_file(
    api, lab_feed
):
    api.post("/api/v1/test-results/", result_payload("LAB-1"), format="json")
    case = Case.objects.get(lab_reference="LAB-1")

    alone = lab_feed.post("/api/v1/test-results/", someone_else("LAB-1"), format="json")
    batch = lab_feed.post(
        "/api/v1/test-results/",
        [someone_else("LAB-1"), result_payload("LAB-2")],
        format="json",
    )

    assert alone.status_code == 409
    assert alone.json()["case"] == case.pk
    assert alone.json()["on_file"] is None
    assert alone.json()["differing_fields"] == ["first_name", "date_of_birth"]
    conflict = batch.json()["results"][0]
    assert (conflict["status"], conflict["on_file"]) == ("conflict", None)
    assert conflict["differing_fields"] == ["first_name", "date_of_birth"]
    for answer in (alone, batch):
        assert "Asha" not in answer.content.decode()
        assert "1984-03-02" not in answer.content.decode()


def test_a_case_or_person_on_file_shown_through_intake_is_audited(api):
    created = api.post("/api/v1/test-results/", result_payload("LAB-1"), format="json")
    case = Case.objects.get(lab_reference="LAB-1")
    views = AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, person_id=case.person_id
    )
    assert created.json()["person"]["first_name"] == "Asha"
    assert views.count() == 1

    again = api.post("/api/v1/test-results/", result_payload("LAB-1"), format="json")
    assert again.json()["person"]["first_name"] == "Asha"
    assert views.count() == 2

    alone = api.post("/api/v1/test-results/", someone_else("LAB-1"), format="json")
    assert alone.json()["on_file"]["first_name"] == "Asha"
    assert views.count() == 3

    api.post(
        "/api/v1/test-results/",
        [someone_else("LAB-1"), result_payload("LAB-2")],
        format="json",
    )
    assert views.count() == 4
    assert views.order_by("-at", "-pk").first().detail == {
        "via": "api",
        "list": "intake conflicts",
    }


# --- 3. A token's expiry through a rotation or a new token --------------------------------


def test_rotating_an_expired_clients_token_in_the_admin_is_refused_with_the_reason(
    clock, admin_client
):
    client, _ = api_client_create(
        name="Lab", scopes=["intake"], expires_at=timezone.now() - dt.timedelta(days=1)
    )
    hash_before = client.token_hash

    for action in ("rotate_token", "issue_new_token"):
        response = admin_client.post(
            "/admin/integrations/apiclient/",
            {"action": action, "_selected_action": [client.pk]},
            follow=True,
        )
        [shown] = [str(m) for m in response.context["messages"]]
        assert shown == (
            "No new token for Lab. The token of Lab expired on 2021-01-11 10:00 GMT, "
            "so a new token keeping that expiry would not work: give the new token "
            "an expiry in the future. Set a new expiry (“Expires at”) on the "
            "client's page and save it, then try again."
        )
    client.refresh_from_db()
    assert client.token_hash == hash_before
    assert not AuditEvent.objects.filter(object_type="integrations.apiclient").exists()


def test_issuing_a_new_token_keeps_the_clients_expiry(clock, admin_client):
    expires = timezone.now() + dt.timedelta(days=30)
    client, _ = api_client_create(name="Lab", scopes=["intake"], expires_at=expires)

    admin_client.post(
        "/admin/integrations/apiclient/",
        {"action": "issue_new_token", "_selected_action": [client.pk]},
    )

    client.refresh_from_db()
    assert client.expires_at == expires


def test_the_rotate_command_keeps_the_expiry_and_asks_for_one_once_it_has_passed(
    clock,
):
    expires = timezone.now() + dt.timedelta(days=30)
    client, _ = api_client_create(name="Feed", scopes=["intake"], expires_at=expires)

    call_command("rotate_api_token", "Feed", stdout=io.StringIO(), stderr=io.StringIO())
    client.refresh_from_db()
    assert client.expires_at == expires

    clock.shift(dt.timedelta(days=31))
    with pytest.raises(CommandError, match="Give one with --expires-in-days N"):
        call_command("rotate_api_token", "Feed", stdout=io.StringIO())
    out = io.StringIO()
    call_command(
        "rotate_api_token",
        "Feed",
        "--expires-in-days",
        "90",
        stdout=out,
        stderr=io.StringIO(),
    )
    client.refresh_from_db()
    assert client.expires_at == timezone.now() + dt.timedelta(days=90)
    assert (
        bearer(out.getvalue().strip()).get("/api/v1/test-results/").status_code == 405
    )  # authenticated: the token works


def test_a_new_expiry_given_must_be_ahead(clock):
    client, _ = api_client_create(name="Feed", scopes=["intake"])

    with pytest.raises(TokenExpiryNeeded, match="has passed already"):
        api_client_reissue_token(
            client=client, expires_at=timezone.now() - dt.timedelta(seconds=1)
        )


# --- 4. Two rotations within the grace ----------------------------------------------------


def test_a_second_rotation_within_the_grace_keeps_the_token_in_use(clock):
    client, first_token = api_client_create(name="Feed", scopes=["intake"])
    first = bearer(first_token)
    started = timezone.now()
    second = bearer(api_client_rotate_token(client=client))
    clock.shift(dt.timedelta(hours=2))

    third = bearer(api_client_rotate_token(client=client))

    url = "/api/v1/test-results/"  # 405 to GET once the token is accepted
    assert first.get(url).status_code == 405
    assert third.get(url).status_code == 405
    assert second.get(url).status_code == 401
    client.refresh_from_db()
    assert client.previous_token_expires_at == started + dt.timedelta(hours=24)
    clock.shift(dt.timedelta(hours=22))
    assert first.get(url).status_code == 401
    assert third.get(url).status_code == 405


def test_a_rotation_after_the_grace_demotes_the_current_token(clock):
    client, _ = api_client_create(name="Feed", scopes=["intake"])
    second = bearer(api_client_rotate_token(client=client))
    clock.shift(dt.timedelta(hours=25))

    api_client_rotate_token(client=client)

    assert second.get("/api/v1/test-results/").status_code == 405


# --- 5. Boolean filters --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "held"),
    [("1", False), ("TRUE", False), ("yes", False), ("0", True), ("No", True)],
)
def test_unassigned_takes_1_0_yes_no_in_any_case(api, caseworker, value, held):
    mine = f.CaseFactory(status=Status.ASSIGNED, assignee=caseworker)
    pooled = f.CaseFactory()

    response = api.get(f"/api/v1/cases/?unassigned={value}")

    assert response.status_code == 200
    assert [c["id"] for c in response.json()["results"]] == [
        mine.pk if held else pooled.pk
    ]


def test_unassigned_anything_else_is_a_400_naming_it(api):
    f.CaseFactory()

    response = api.get("/api/v1/contacts/?unassigned=maybe")

    assert response.status_code == 400
    assert response.json() == {
        "unassigned": ["Give true or false (or 1/0, yes/no), not “maybe”."]
    }


# --- 6. An Idempotency-Key reused for another call ---------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"caller": "other"},
        {"outcome": "voicemail"},
        {"notes": "Left a message"},
        {"duration_seconds": 60},
    ],
)
def test_an_idempotency_key_reused_for_another_call_is_a_422(
    api, call_handler, supervisor, change
):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    url = f"/api/v1/contacts/{contact.pk}/calls/"
    body = {"outcome": "no_answer", "caller": call_handler.pk}
    other = {**body, **change}
    if other["caller"] == "other":
        other["caller"] = supervisor.pk
    key = {"Idempotency-Key": "r-1"}

    first = api.post(url, body, format="json", headers=key)
    reused = api.post(url, other, format="json", headers=key)
    again = api.post(url, body, format="json", headers=key)

    assert first.status_code == 201
    assert reused.status_code == 422
    assert reused.json()["detail"].startswith(
        "This Idempotency-Key was used for a different call"
    )
    assert again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert CallAttempt.objects.filter(contact=contact).count() == 1


# --- 7. Names in other forms -----------------------------------------------------------------


def test_a_name_sent_again_with_its_accent_decomposed_is_the_same_result(api):
    composed = result_payload("LAB-1")
    composed["person"]["first_name"] = "Siân"
    decomposed = result_payload("LAB-1")
    decomposed["person"]["first_name"] = unicodedata.normalize("NFD", "Siân")
    assert decomposed["person"]["first_name"] != "Siân"

    first = api.post("/api/v1/test-results/", composed, format="json")
    again = api.post("/api/v1/test-results/", decomposed, format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]


def test_results_differing_reads_a_decomposed_accent_as_the_same_letter():
    from api.cases.serializers import LabResultInSerializer

    def result(first_name: str):
        payload = result_payload("LAB-1")
        payload["person"]["first_name"] = first_name
        serializer = LabResultInSerializer(data=payload)
        assert serializer.is_valid(), serializer.errors
        return serializer.to_result()

    one, other = result("Siân"), result("SIAN")
    other.person.first_name = unicodedata.normalize("NFD", "SIÂN")

    assert results_differing(one, other) == []


@pytest.mark.parametrize("name", ["\u200b", "\u200b\u200d ", "\ufeff"])
def test_a_name_of_invisible_characters_only_is_a_400_on_it(api, name):
    payload = result_payload("LAB-1")
    payload["person"]["first_name"] = name

    response = api.post("/api/v1/test-results/", payload, format="json")

    assert response.status_code == 400
    assert "no visible letters" in response.json()["person"]["first_name"][0]
    assert not Case.objects.exists()
