"""A contact added through the API on an Idempotency-Key, remembered for its retry.

A call keeps its key in its own row (CallAttempt.submission); a contact has no such
column, so the key's contact is kept in the shared cache (Redis in production) for a
day: the contact's id, the exposure joined (for a person already another case's
contact), and a digest of the body sent. A retry with the same body is answered with
that contact; another body on the key is refused (422). The person is never added
twice either way: the service refuses a person the case named already (a 409
duplicate_contact), which is what a retry meets when the cache cannot be reached or
has forgotten the key (the cache fails open, as the rate limits do).
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError
from rest_framework.request import Request

from areas.postcodes import normalise_postcode
from cases.models import Case
from clock.windows import CacheOutage
from contacts.models import Contact, Exposure
from people.phones import uk_phone_e164

logger = logging.getLogger(__name__)

# How long a key's contact is remembered: a retry after a timeout comes within
# minutes; a day covers a client retrying the next morning.
KEPT_SECONDS = 24 * 60 * 60

outage = CacheOutage(
    retry_after=5.0,
    log_interval=60.0,
    logger=logger,
    message="Idempotency-Keys of contacts added are not remembered",
)


@dataclass(frozen=True)
class AddedOnKey:
    """What a key added: the body's digest, the contact, the exposure it joined."""

    body: str
    contact: int
    joined: int | None

    def same_body(self, request: Request) -> bool:
        return self.body == body_digest(request)


# The person's fields read as the service stores them, so that a retry writing the
# same number or postcode another way ("+44 114 ...", "s12he") is the same contact.
_AS_STORED = {
    "phone": uk_phone_e164,
    "phone_alt": uk_phone_e164,
    "postcode": normalise_postcode,
}


def _as_read(value: Any, name: str = "") -> Any:
    """The body's value as the service reads it: text trimmed, a phone or postcode
    in its stored form when it is one (as typed when it is not: then refused, on
    the first send as on this one)."""
    if isinstance(value, dict):
        return {key: _as_read(inner, str(key)) for key, inner in value.items()}
    if isinstance(value, list):
        return [_as_read(inner, name) for inner in value]
    if not isinstance(value, str):
        return value
    text = value.strip()
    if name in _AS_STORED and text:
        try:
            return _AS_STORED[name](text)
        except ValidationError:
            return text
    return text


def body_digest(request: Request) -> str:
    """The body sent, as data (its keys in any order, its spacing any; a phone or
    postcode however written: _as_read)."""
    data = request.data
    if hasattr(data, "lists"):  # a form's QueryDict: each field's values
        data = dict(data.lists())
    text = json.dumps(_as_read(data), sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _cache_key(submission: uuid.UUID) -> str:
    return f"api:contact_added_on_key:{submission}"


def contact_added_on_key(submission: uuid.UUID) -> AddedOnKey | None:
    """The contact this key added, as remembered; None when none is (or the cache
    cannot be reached)."""
    if outage.skip_cache():
        return None
    try:
        kept = cache.get(_cache_key(submission))
    except Exception as exc:  # any cache failure fails open
        outage.failed(exc)
        return None
    if not isinstance(kept, dict):
        return None
    try:
        return AddedOnKey(
            body=str(kept["body"]), contact=int(kept["contact"]), joined=kept["joined"]
        )
    except (KeyError, TypeError, ValueError):
        return None


def contact_added_on_key_keep(
    submission: uuid.UUID, *, request: Request, contact: Contact
) -> None:
    """Remember the contact (and the exposure joined) this key added."""
    if outage.skip_cache():
        return
    joined = contact.joined.pk if contact.joined is not None else None
    kept = {"body": body_digest(request), "contact": contact.pk, "joined": joined}
    try:
        cache.set(_cache_key(submission), kept, KEPT_SECONDS)
    except Exception as exc:  # the contact is added all the same
        outage.failed(exc)


def contact_of_key(added: AddedOnKey, *, case: Case, by: Any) -> Contact | None:
    """The contact the key added to `case`, as contact_add returned it (a joined one
    carrying its naming, `joined`); None when it is no longer held (erased, merged
    away) or is not one this member of staff or client named on this case."""
    contact = Contact.objects.with_person().filter(pk=added.contact).first()
    if contact is None:
        return None
    if added.joined is None:
        contact.joined = None
        named = contact.case_id == case.pk and contact.identified_by_id == by.pk
        return contact if named else None
    exposure = Exposure.objects.filter(
        pk=added.joined, contact=contact, case=case, identified_by_id=by.pk
    ).first()
    if exposure is None:
        return None
    contact.joined = exposure
    return contact
