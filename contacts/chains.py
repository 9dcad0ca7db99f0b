"""The link between a contact and the case they became: a chain of transmission.

A case C is linked to a contact K (K "became" C) when they are the same person
(K.person == C.person) and any of K's exposures lies within the TRACING_CHAIN_DAYS
days before C's symptom onset or, without one, its specimen date, up to that date
inclusive: `chain_on - days <= exposure_date <= chain_on`. K's exposures are its own
(K.exposure_date, from the case that first named K) and its further ones (a
FurtherExposure row for each other case that named the same person while K was
still theirs to call, work.casework.contact_add); an exposure from C itself never
counts. A case whose positive result was withdrawn (sent in error, work.withdraw) is
no evidence of transmission: no contact became it, and its namings are no exposures
(a contact only it named links to nothing; one another case named too, by that
case's exposures alone). The link is derived, never stored: merging two people moves
their cases and contacts, and the link follows. The rule is written once here, in
Python (for the graph around one item) and in SQL (for the weekly figures and the
graph's queries), and both layers above (work, figures) read it from here.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import DateField, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import Exact, GreaterThanOrEqual, LessThanOrEqual

from cases.models import Case
from cases.workitem import Status

from .models import Contact, FurtherExposure

# The status of a case sent in error, and of a contact only such cases named.
WITHDRAWN = Status.WITHDRAWN


def chain_days() -> int:
    return settings.TRACING_CHAIN_DAYS


def chain_on(case: Case) -> date:
    """The date a case's infection is reckoned back from: symptom onset, or the
    specimen date without one."""
    return case.symptom_onset or case.specimen_date


def case_stands(case: Case) -> bool:
    """The case's positive result was not withdrawn: it may be in a chain."""
    return case.status != WITHDRAWN


def contact_exposure_dates(
    contact: Contact, *, but_from: Case | None = None
) -> list[date]:
    """The days the contact was exposed: its own exposure, then its further ones
    (those not by `but_from`), each by a case that stands (a withdrawn case's naming
    is no exposure). Reads `contact.case` and `contact.further_exposures` with their
    cases: select and prefetch them for many contacts."""
    but = but_from.pk if but_from is not None else None
    dates = []
    if contact.case_id != but and case_stands(contact.case):
        dates.append(contact.exposure_date)
    dates += [
        e.exposure_date
        for e in contact.further_exposures.all()
        if e.case_id != but and case_stands(e.case)
    ]
    return dates


def contact_became_case(contact: Contact, case: Case) -> bool:
    """The rule, for one contact and one case already loaded (with the contact's
    cases and further exposures loaded, or read here)."""
    if contact.person_id != case.person_id or contact.case_id == case.pk:
        return False
    if not case_stands(case):
        return False
    on = chain_on(case)
    since = on - timedelta(days=chain_days())
    return any(
        since <= day <= on for day in contact_exposure_dates(contact, but_from=case)
    )


def _window(on: Any) -> tuple[Any, Any]:
    """The first and the last day a contact's exposure links it to a case whose
    onset (or specimen date) is `on`: (on less the chain's days, on)."""
    return Cast(on - timedelta(days=chain_days()), DateField()), on


def _outer_window(ref: Any = OuterRef) -> tuple[Any, Any]:
    """The window of the case `ref` points to (an OuterRef, or one nested)."""
    return _window(
        Coalesce(ref("symptom_onset"), ref("specimen_date"), output_field=DateField())
    )


def _outer_outer(name: str) -> OuterRef:
    return OuterRef(OuterRef(name))


def contacts_becoming(*, known: bool = False) -> QuerySet[Contact]:
    """The contacts that became the outer case, for an EXISTS or a subquery on a
    case queryset: by their own exposure or a further one, each by a case that
    stands (none for a withdrawn outer case). `known`: counting only
    the exposures recorded before the case arrived (the contact's own by the
    contact's created_at, a further one by its own). (The window is written out on
    the outer columns, not read from annotations: an aggregate over the cases does
    not select those.)"""
    since, on = _outer_window()
    # The contact's own exposure, by the case that first named it, if that stands.
    own = Q(exposure_date__gte=since, exposure_date__lte=on) & ~Q(
        case__status=WITHDRAWN
    )
    # Nested one deeper: the outer case is the outer query's outer query here.
    further_since, further_on = _outer_window(_outer_outer)
    further = (
        FurtherExposure.objects.filter(
            contact=OuterRef("pk"),
            exposure_date__gte=further_since,
            exposure_date__lte=further_on,
        )
        .exclude(case=_outer_outer("pk"))
        .exclude(case__status=WITHDRAWN)
    )
    if known:
        own &= Q(created_at__lt=OuterRef("created_at"))
        further = further.filter(created_at__lt=_outer_outer("created_at"))
    return (
        Contact.objects.filter(person=OuterRef("person"))
        .exclude(case=OuterRef("pk"))
        # A withdrawn outer case became from nobody.
        .exclude(Exact(OuterRef("status"), WITHDRAWN))
        .filter(own | Exists(further))
    )


def became_a_case() -> Exists:
    """EXISTS a case the outer contact became (one that stands), by its own exposure
    or a further one, each by a case that stands (an annotation or filter on a
    contact queryset)."""
    since, on = _window(
        Coalesce(F("symptom_onset"), F("specimen_date"), output_field=DateField())
    )
    exposed = OuterRef("exposure_date")
    # The outer contact's own exposure counts if the case that first named it
    # stands (nested one deeper: the contact is the outer query's outer query).
    named_by_one_that_stands = Exists(
        Case.objects.filter(pk=_outer_outer("case_id")).exclude(status=WITHDRAWN)
    )
    further_since, further_on = _outer_window()
    further = (
        FurtherExposure.objects.filter(
            contact=_outer_outer("pk"),
            exposure_date__gte=further_since,
            exposure_date__lte=further_on,
        )
        .exclude(case=OuterRef("pk"))
        .exclude(case__status=WITHDRAWN)
    )
    cases = (
        Case.objects.filter(person=OuterRef("person"))
        .exclude(pk=OuterRef("case_id"))
        .exclude(status=WITHDRAWN)
        .filter(
            Q(
                LessThanOrEqual(since, exposed),
                GreaterThanOrEqual(on, exposed),
                named_by_one_that_stands,
            )
            | Exists(further)
        )
    )
    return Exists(cases)
