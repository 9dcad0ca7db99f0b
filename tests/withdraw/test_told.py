"""Who is told what when a result is withdrawn (work.withdraw.case_withdraw).

Before, no result could be withdrawn: Asha and everyone she named went on being told
to stay at home, phoned and escalated. Now the case and the contacts only it named
are closed as withdrawn, and each person who had been told to stay at home is told
that they no longer need to, or the date that is right for them now, or nothing.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from audit.models import AuditEvent
from cases.workitem import Status
from escalations.models import Escalation
from online.models import OnlineLink
from online.texts import long_date
from people.models import Message
from tests import factories as f
from tests.isolation.conftest import D
from work.online import online_contact_tell
from work.withdraw import case_withdraw

from .conftest import (
    BEN,
    CARYS,
    DECEMBER_7,
    EXPOSED_ENDS,
    FREE,
    SAM,
    YESTERDAY,
    all_messages,
    named,
    positive,
    told_since,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(DECEMBER_7)]
REASON = "Sample mix-up at the lab"


def test_the_case_and_a_contact_only_it_named_are_withdrawn_and_told(supervisor):
    case = positive()
    ben = named(case, BEN)
    before = all_messages()

    done = case_withdraw(case=case, reason=REASON, by=supervisor)

    case.refresh_from_db()
    ben.refresh_from_db()
    assert (case.status, ben.status) == (Status.WITHDRAWN, Status.WITHDRAWN)
    assert case.withdrawn_reason == REASON
    assert case.withdrawn_by == supervisor
    assert case.assignee_id is None
    assert case.next_attempt_at is None
    assert (case.isolation_ends_on, ben.isolation_ends_on) == (YESTERDAY, YESTERDAY)
    [to_asha] = told_since(case.person_id, before)
    assert "positive coronavirus test result we told you about has been withdrawn" in (
        to_asha.body
    )
    assert FREE in to_asha.body
    [to_ben] = told_since(ben.person_id, before)
    assert "The test result behind that advice has been withdrawn" in to_ben.body
    assert FREE in to_ben.body
    assert "Asha" not in to_ben.body  # the case is never named to a contact
    assert len(done.messages) == 2
    assert not OnlineLink.objects.filter(case=case, revoked_at__isnull=True).exists()
    said = AuditEvent.objects.filter(object_type="cases.case", object_id=str(case.pk))
    assert said.filter(detail__withdrawn=True).exists()
    assert AuditEvent.objects.filter(
        object_type="contacts.contact",
        object_id=str(ben.pk),
        detail__withdrawn_case=case.pk,
        detail__status="withdrawn",
    ).exists()


def test_someone_never_told_to_stay_at_home_is_sent_nothing(supervisor):
    """Ben's text never went (queued, not tried): it is not sent now, and he is sent
    no withdrawal of advice he never had."""
    case = positive()
    ben = named(case, BEN, texted=False)
    online_contact_tell(contact=ben, now=DECEMBER_7)
    [queued] = Message.objects.filter(contact=ben)
    before = all_messages()

    case_withdraw(case=case, reason=REASON, by=supervisor)

    queued.refresh_from_db()
    assert queued.status == Message.Status.SUPERSEDED
    assert told_since(ben.person_id, before) == []


def test_a_contact_named_by_another_case_too_stays_open_with_the_date_left(supervisor):
    """Sam was named by Carys's case (exposed 1 December: until the 11th) and again
    by Asha's (the 5th: until the 15th). Asha's withdrawn, Sam's contact stays open
    until the 11th, and Sam is told that date."""
    carys = positive("LAB-CARYS", CARYS)
    sam = named(carys, SAM, exposed=D(2026, 12, 1))
    assert sam.isolation_ends_on == D(2026, 12, 11)
    asha = positive()
    joined = named(asha, SAM)
    assert joined.pk == sam.pk
    sam.refresh_from_db()
    assert sam.isolation_ends_on == EXPOSED_ENDS
    before = all_messages()

    done = case_withdraw(case=asha, reason=REASON, by=supervisor)

    sam.refresh_from_db()
    assert sam.status != Status.WITHDRAWN
    assert sam.isolation_ends_on == D(2026, 12, 11)
    assert done.contacts_kept == [sam.pk]
    [to_sam] = told_since(sam.person_id, before)
    assert f"until the end of {long_date(D(2026, 12, 11))}" in to_sam.body
    assert "near someone else who has coronavirus" in to_sam.body
    assert FREE not in to_sam.body


def test_a_contact_whose_date_stands_for_another_reason_is_sent_nothing(supervisor):
    """Ben is a contact of Carys's case too (a row of its own, exposed later: until
    the 16th): his date in force does not change, so he is told nothing."""
    carys = positive("LAB-CARYS", CARYS)
    asha = positive()
    ben_of_asha = named(asha, BEN)
    # Reached and told the 15th, then named by Carys for a later day: a row of its
    # own (work.casework._contact_to_join).
    type(ben_of_asha).objects.filter(pk=ben_of_asha.pk).update(
        status=Status.REACHED, reached_at=DECEMBER_7
    )
    ben_of_carys = named(carys, BEN, exposed=D(2026, 12, 6))
    assert ben_of_carys.isolation_ends_on == D(2026, 12, 16)
    before = all_messages()

    case_withdraw(case=asha, reason=REASON, by=supervisor)

    ben_of_asha.refresh_from_db()
    ben_of_carys.refresh_from_db()
    assert ben_of_asha.status == Status.WITHDRAWN
    assert ben_of_carys.status != Status.WITHDRAWN
    assert told_since(ben_of_asha.person_id, before) == []


def test_open_escalations_are_closed_with_a_note(supervisor):
    case = positive()
    ben = named(case, BEN)
    team = f.area().local_team
    for item in (case, ben):
        type(item).objects.filter(pk=item.pk).update(
            status=Status.ESCALATED, local_team=team
        )
    f.EscalationFactory(case=case, contact=None, local_team=team)
    f.EscalationFactory(contact=ben, local_team=team)

    case_withdraw(case=case, reason=REASON, by=supervisor)

    for escalation in Escalation.objects.all():
        assert escalation.status == Escalation.Status.CLOSED
        assert escalation.closed_at is not None
        assert REASON in escalation.outcome_note
        assert "withdrawn" in escalation.outcome_note


def test_only_a_tier_2_supervisor_may_and_a_reason_is_required(
    supervisor, caseworker, call_handler
):
    case = positive()
    for who in (caseworker, call_handler):
        with pytest.raises(PermissionDenied):
            case_withdraw(case=case, reason=REASON, by=who)
    with pytest.raises(ValidationError) as refused:
        case_withdraw(case=case, reason="  ", by=supervisor)
    assert "reason" in refused.value.message_dict
    case.refresh_from_db()
    assert case.status != Status.WITHDRAWN


def test_withdrawn_twice_does_nothing_the_second_time(supervisor):
    case = positive()
    named(case, BEN)
    case_withdraw(case=case, reason=REASON, by=supervisor)
    before = all_messages()
    events = AuditEvent.objects.count()

    again = case_withdraw(case=case, reason="another reason", by=supervisor)

    assert again.already
    assert all_messages() == before
    assert AuditEvent.objects.count() == events
    case.refresh_from_db()
    assert case.withdrawn_reason == REASON


def test_a_new_positive_after_a_withdrawn_one_is_a_case_of_its_own(supervisor):
    """Within 90 days of a withdrawn result, a new positive is not 'attached' to it:
    the withdrawn test was no episode of infection."""
    case = positive()
    case_withdraw(case=case, reason=REASON, by=supervisor)

    again = positive("LAB-REAL", texted=False)

    assert again.pk != case.pk
    assert again.person_id == case.person_id
    assert again.status == Status.NEW


def test_a_case_who_was_a_contact_first_goes_back_to_their_contact_date(supervisor):
    """Sam was named by Carys's case (until the 15th), then tested positive (until
    the 13th, which his contact row followed). His result withdrawn, the contact row
    goes back to the 15th, and Sam is told that date, not that he is free."""
    carys = positive("LAB-CARYS", CARYS)
    sam_contact = named(carys, SAM)
    own = positive("LAB-SAM", SAM)
    sam_contact.refresh_from_db()
    assert sam_contact.isolation_ends_on == D(2026, 12, 13)
    before = all_messages()

    case_withdraw(case=own, reason=REASON, by=supervisor)

    sam_contact.refresh_from_db()
    assert sam_contact.status != Status.WITHDRAWN
    assert sam_contact.isolation_ends_on == EXPOSED_ENDS
    [to_sam] = told_since(own.person_id, before)
    assert "positive coronavirus test result we told you about" in to_sam.body
    assert f"until the end of {long_date(EXPOSED_ENDS)}" in to_sam.body
    assert FREE not in to_sam.body


def test_the_audit_trail_says_what_the_withdrawal_did(admin_client, supervisor):
    case = positive()
    ben = named(case, BEN)
    case_withdraw(case=case, reason=REASON, by=supervisor)

    def shown(obj) -> list[str]:
        page = admin_client.get(
            reverse("staffing:audit_search"),
            {"object_type": obj._meta.label_lower, "object_id": str(obj.pk)},
        )
        assert page.status_code == 200
        return [row.what for row in page.context["rows"]]

    [on_case] = [what for what in shown(case) if "Withdrew" in what]
    assert "Withdrew the positive result of" in on_case
    assert "1 contact only it named closed" in on_case
    assert "isolation end moved from 13 Dec to 6 Dec" in on_case
    [on_ben] = [what for what in shown(ben) if "withdrawn" in what]
    assert f"the result of case {case.pk} was withdrawn" in on_ben


def test_a_welsh_speaker_is_told_in_welsh(supervisor):
    """Before, the withdrawal was written in English alone: a contact written to in
    Welsh all along was told in English that they were free."""
    welsh, _ = f.LanguageFactory._meta.model.objects.get_or_create(
        code="cy", defaults={"name": "Welsh"}
    )
    case = positive()
    ben = named(case, BEN)
    ben.person.language = welsh
    ben.person.save(update_fields=["language"])
    before = all_messages()

    case_withdraw(case=case, reason=REASON, by=supervisor)

    [to_ben] = told_since(ben.person_id, before)
    assert to_ben.language == "cy"
    assert "wedi'i dynnu'n ôl" in to_ben.body
    assert "Nid oes angen i chi aros gartref mwyach" in to_ben.body
    assert "withdrawn" not in to_ben.body
