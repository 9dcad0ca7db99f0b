"""An administrator undoes a merge after the case the contact followed at it was
revised: the contact goes back to its own person on its own date, every "became a
case" switch to the other record's case removed, the merge's and the revision's
alike; a clinician's override of the contact made since still stands."""

from __future__ import annotations

import pytest

from contacts.models import IsolationChange
from tests.isolation.conftest import hold
from tests.work import test_merge_became_case as became
from work.casework import AssessmentDetails, case_assessment_record
from work.isolation import isolation_override
from work.merge import person_merge, person_merge_undo

D, DECEMBER_6, pair_of = became.D, became.DECEMBER_6, became.pair_of
# The people, their case and contact, and the administrator, as the merge tests
# have them.
admin, as_case, as_contact = became.admin, became.as_case, became.as_contact
case, contact = became.case, became.contact

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_6)]


def merged_then_revised(supervisor, as_case, as_contact, case, contact, caseworker):
    """Merged (the contact takes the case's 14 December), then the case's onset
    revised to 5 December: the contact follows it to the 15th."""
    merge = person_merge(
        pair=pair_of(as_case, as_contact), survivor=as_case, fields={}, by=supervisor
    )
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 14)
    case = hold(case, caseworker)
    case_assessment_record(
        case=case,
        details=AssessmentDetails(symptomatic=True, symptom_onset=D(2026, 12, 5)),
        by=caseworker,
    )
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 15)
    return merge


def test_an_undo_after_the_case_was_revised_puts_the_contacts_own_date_back(
    supervisor, admin, as_case, as_contact, case, contact, caseworker
):
    merge = merged_then_revised(
        supervisor, as_case, as_contact, case, contact, caseworker
    )

    person_merge_undo(merge=merge, by=admin)

    contact.refresh_from_db()
    assert contact.person_id == as_contact.pk
    assert contact.isolation_ends_on == D(2026, 12, 13)
    assert not IsolationChange.objects.filter(contact=contact).exists()


def test_an_undo_after_a_revision_keeps_a_clinicians_override_made_since(
    supervisor, admin, as_case, as_contact, case, contact, caseworker
):
    merge = merged_then_revised(
        supervisor, as_case, as_contact, case, contact, caseworker
    )
    hold(contact.case, caseworker)  # the case that named him is hers to work
    override = isolation_override(
        item=contact,
        ends_on=D(2026, 12, 18),
        reason="Lives with a clinically extremely vulnerable person.",
        clinician=caseworker,
    ).change

    person_merge_undo(merge=merge, by=admin)

    contact.refresh_from_db()
    assert contact.person_id == as_contact.pk
    assert contact.isolation_ends_on == D(2026, 12, 18)
    assert list(IsolationChange.objects.filter(contact=contact)) == [override]


def test_an_undo_puts_back_a_clinicians_override_the_case_went_beyond_since(
    supervisor, admin, as_case, as_contact, case, contact, caseworker
):
    merge = person_merge(
        pair=pair_of(as_case, as_contact), survivor=as_case, fields={}, by=supervisor
    )
    hold(contact.case, caseworker)
    override = isolation_override(
        item=contact,
        ends_on=D(2026, 12, 16),
        reason="Lives with a clinically extremely vulnerable person.",
        clinician=caseworker,
    ).change
    # The case's date taken beyond the override: the contact follows it.
    isolation_override(
        item=hold(case, caseworker),
        ends_on=D(2026, 12, 18),
        reason="Still febrile on day 9.",
        clinician=caseworker,
    )
    contact.refresh_from_db()
    assert contact.isolation_ends_on == D(2026, 12, 18)

    person_merge_undo(merge=merge, by=admin)

    contact.refresh_from_db()
    assert contact.person_id == as_contact.pk
    assert contact.isolation_ends_on == D(2026, 12, 16)
    assert list(IsolationChange.objects.filter(contact=contact)) == [override]
