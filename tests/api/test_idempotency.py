"""A call sent twice through the API with one Idempotency-Key (an integration's
retry after a timeout) is one call, answered as the first."""

from __future__ import annotations

import pytest

from calls.models import CallAttempt
from cases.workitem import Status
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_api_with_the_same_idempotency_key_answers_the_first_call(
    api, call_handler
):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    url = f"/api/v1/contacts/{contact.pk}/calls/"
    body = {"outcome": "no_answer", "caller": call_handler.pk}

    first = api.post(url, body, format="json", headers={"Idempotency-Key": "r-1"})
    again = api.post(url, body, format="json", headers={"Idempotency-Key": "r-1"})
    other = api.post(url, body, format="json", headers={"Idempotency-Key": "r-2"})

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json()["id"] == first.json()["id"]
    assert again["Idempotent-Replayed"] == "true"
    assert CallAttempt.objects.filter(contact=contact).count() == 2
    contact.refresh_from_db()
    assert contact.attempts == 2


def test_an_idempotency_key_too_long_is_a_400_on_it(api, call_handler):
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    answer = api.post(
        f"/api/v1/contacts/{contact.pk}/calls/",
        {"outcome": "no_answer", "caller": call_handler.pk},
        format="json",
        headers={"Idempotency-Key": "k" * 256},
    )
    assert answer.status_code == 400
    assert "Idempotency-Key" in answer.json()
    assert not CallAttempt.objects.exists()


def test_a_retry_saying_another_language_is_not_told_it_was_saved(api, call_handler):
    """A call "needs an interpreter" sent again on its key with another language: the first
    language is the one their record holds, so the retry is refused (422) rather than
    answered 200 as if Polish had been saved; a language no caller speaks is a 400 on
    it, as without the key; the same language, by code or by name, is the first call."""
    urdu = f.LanguageFactory(code="ur", name="Urdu")
    f.LanguageFactory(code="pl", name="Polish")
    contact = f.ContactFactory(status=Status.ASSIGNED, assignee=call_handler)
    url = f"/api/v1/contacts/{contact.pk}/calls/"
    key = {"Idempotency-Key": "lang-1"}

    def send(language: str):
        body = {
            "outcome": "needs_interpreter",
            "caller": call_handler.pk,
            "language": language,
        }
        return api.post(url, body, format="json", headers=key)

    assert send("ur").status_code == 201
    assert send("pl").status_code == 422
    unknown = send("bogus-lang")
    assert unknown.status_code == 400
    assert "language" in unknown.json()
    assert send("ur").status_code == 200
    assert send("Urdu").status_code == 200
    contact.person.refresh_from_db()
    assert contact.person.language == urdu
    assert CallAttempt.objects.filter(contact=contact).count() == 1
