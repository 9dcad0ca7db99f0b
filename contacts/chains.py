"""The link between a contact and the case they became: a chain of transmission.

A case C is linked to a contact K (K "became" C) when they are the same person
(K.person == C.person) and K's exposure lies within the TRACING_CHAIN_DAYS days
before C's symptom onset or, without one, its specimen date, up to that date
inclusive: `chain_on - days <= K.exposure_date <= chain_on`. The link is derived,
never stored: merging two people moves their cases and contacts, and the link
follows. The rule is written once here, in Python (for the graph around one item)
and in SQL (for the weekly figures and the graph's queries), and both layers above
(work, figures) read it from here.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import DateField, Exists, F, OuterRef, QuerySet
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import GreaterThanOrEqual, LessThanOrEqual

from cases.models import Case

from .models import Contact


def chain_days() -> int:
    return settings.TRACING_CHAIN_DAYS


def chain_on(case: Case) -> date:
    """The date a case's infection is reckoned back from: symptom onset, or the
    specimen date without one."""
    return case.symptom_onset or case.specimen_date


def contact_became_case(contact: Contact, case: Case) -> bool:
    """The rule, for one contact and one case already loaded."""
    if contact.person_id != case.person_id or contact.case_id == case.pk:
        return False
    on = chain_on(case)
    return on - timedelta(days=chain_days()) <= contact.exposure_date <= on


def _window(on: Any) -> tuple[Any, Any]:
    """The first and the last day a contact's exposure links it to a case whose
    onset (or specimen date) is `on`: (on less the chain's days, on)."""
    return Cast(on - timedelta(days=chain_days()), DateField()), on


def contacts_becoming() -> QuerySet[Contact]:
    """The contacts that became the outer case, for an EXISTS or a subquery on a
    case queryset. (The window is written out on the outer columns, not read from
    annotations: an aggregate over the cases does not select those.)"""
    since, on = _window(
        Coalesce(
            OuterRef("symptom_onset"),
            OuterRef("specimen_date"),
            output_field=DateField(),
        )
    )
    return Contact.objects.filter(
        person=OuterRef("person"), exposure_date__gte=since, exposure_date__lte=on
    ).exclude(case=OuterRef("pk"))


def became_a_case() -> Exists:
    """EXISTS a case the outer contact became (an annotation or filter on a contact
    queryset)."""
    since, on = _window(
        Coalesce(F("symptom_onset"), F("specimen_date"), output_field=DateField())
    )
    exposed = OuterRef("exposure_date")
    cases = (
        Case.objects.filter(person=OuterRef("person"))
        .exclude(pk=OuterRef("case_id"))
        .filter(LessThanOrEqual(since, exposed), GreaterThanOrEqual(on, exposed))
    )
    return Exists(cases)
