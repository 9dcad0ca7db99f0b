"""The tier 2 case page: who may open it, and everything worked from it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from calls.models import CallAttempt, Outcome
from cases.models import Case, RiskAssessment, SettingVisit
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from tests import factories as f
from tests.workspace.conftest import ContactFactory, hold
from work.calls import call_record
from work.tasks import safeguarding_email_task

pytestmark = pytest.mark.django_db


def page(case) -> str:
    return reverse("cases:detail", args=[case.pk])


# --- access ----------------------------------------------------------------------------


def test_assignee_opens_their_case(client, caseworker, held_case, scripts):
    client.force_login(caseworker)
    response = client.get(page(held_case))
    assert response.status_code == 200
    assert held_case.person.full_name.encode() in response.content


def test_call_handler_gets_403_on_a_case_page(client, call_handler, held_case):
    client.force_login(call_handler)
    assert client.get(page(held_case)).status_code == 403


def test_another_caseworker_gets_403_on_my_case(client, other_caseworker, held_case):
    client.force_login(other_caseworker)
    assert client.get(page(held_case)).status_code == 403


def test_another_caseworker_cannot_log_a_call_on_my_case(
    client, other_caseworker, held_case
):
    client.force_login(other_caseworker)
    response = client.post(
        reverse("cases:call", args=[held_case.pk]), {"outcome": Outcome.NO_ANSWER}
    )
    assert response.status_code == 403
    assert not CallAttempt.objects.exists()


def test_supervisor_opens_anyones_case(client, supervisor, held_case):
    client.force_login(supervisor)
    assert client.get(page(held_case)).status_code == 200


def test_local_team_member_gets_403_on_a_case_page(
    client, local_team_member, held_case
):
    client.force_login(local_team_member)
    assert client.get(page(held_case)).status_code == 403


def test_missing_case_is_404(client, caseworker):
    client.force_login(caseworker)
    assert client.get(reverse("cases:detail", args=[999999])).status_code == 404


def test_viewing_a_case_is_audited(client, caseworker, held_case):
    client.force_login(caseworker)
    client.get(page(held_case))
    event = AuditEvent.objects.get(action=AuditEvent.Action.VIEW)
    assert event.user == caseworker
    assert event.person == held_case.person
    assert event.object_id == str(held_case.pk)


# --- what the page shows -----------------------------------------------------------------


def test_page_shows_the_case_script_beside_the_form(
    client, caseworker, held_case, scripts
):
    client.force_login(caseworker)
    html = client.get(page(held_case)).content.decode()
    assert "Ask about symptoms" in html
    assert "Read out the date" not in html  # the contact script is not this one


def test_page_shows_the_computed_isolation_end_date(client, caseworker, held_case):
    client.force_login(caseworker)
    html = client.get(page(held_case)).content.decode()
    ends = held_case.specimen_date + dt.timedelta(days=10)
    assert f"{ends:%A} {ends.day} {ends:%B %Y}" in html


def test_knowledge_search_returns_matching_articles_as_a_partial(
    client, caseworker, scripts
):
    client.force_login(caseworker)
    response = client.get(
        reverse("calls:knowledge"), {"q": "isolation"}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert "Support payments" in html
    assert "Infectious period" in html  # clinical, and tier 2 may read it
    assert "<html" not in html


def test_knowledge_search_hides_clinical_articles_from_call_handlers(
    client, call_handler, scripts
):
    client.force_login(call_handler)
    html = client.get(reverse("calls:knowledge"), {"q": "isolation"}).content.decode()
    assert "Support payments" in html
    assert "Infectious period" not in html


def test_knowledge_search_works_without_javascript_on_the_case_page(
    client, caseworker, held_case, scripts
):
    client.force_login(caseworker)
    html = client.get(page(held_case), {"q": "money"}).content.decode()
    assert "Support payments" in html


def test_a_knowledge_search_with_a_nul_character_searches_for_the_rest(
    client, caseworker, call_handler, held_case, scripts
):
    # A NUL (%00 in the address) is refused by PostgreSQL in a query: the search
    # reads what is around it, on the search box's partial and on both pages.
    client.force_login(caseworker)
    partial = client.get(reverse("calls:knowledge"), {"q": "mon\x00ey"})
    case_page = client.get(page(held_case), {"q": "\x00money"})
    contact = hold(ContactFactory(), call_handler)
    client.force_login(call_handler)
    contact_page = client.get(
        reverse("contacts:detail", args=[contact.pk]), {"q": "money\x00"}
    )

    for response in (partial, case_page, contact_page):
        assert response.status_code == 200
        assert "Support payments" in response.content.decode()


# --- logging calls ---------------------------------------------------------------------


def test_logging_a_call_without_javascript_redirects_back_with_a_message(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:call", args=[held_case.pk]),
        {"outcome": Outcome.NO_ANSWER},
        follow=True,
    )
    # Back to the calls on the page, with the message.
    assert response.redirect_chain[-1][0] == page(held_case) + "#call-panel"
    assert b"Logged: no answer." in response.content
    call = CallAttempt.objects.get()
    assert call.case == held_case
    assert call.caller == caseworker


def test_logging_a_call_with_htmx_returns_the_call_panel_only(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:call", args=[held_case.pk]),
        {"outcome": Outcome.REACHED},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    # The inside of the page's call panel (swapped into it), not the page.
    assert html.lstrip().startswith('<div class="nhsuk-card__content">')
    assert 'id="calls-h">Calls<' in html
    assert 'data-testid="status">Reached<' in html
    assert "<html" not in html
    assert "Save the assessment" not in html  # not the other sections
    held_case.refresh_from_db()
    assert held_case.status == Status.REACHED


def test_call_back_without_a_time_is_refused_next_to_the_field(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:call", args=[held_case.pk]),
        {"outcome": Outcome.CALL_BACK, "notes": "Driving"},
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert "Enter the date and time they asked to be called." in html
    assert "Driving" in html  # what was typed is kept
    assert not CallAttempt.objects.exists()


def test_call_back_in_the_past_is_refused(client, caseworker, held_case):
    client.force_login(caseworker)
    past = timezone.localtime() - dt.timedelta(hours=1)
    response = client.post(
        reverse("cases:call", args=[held_case.pk]),
        {"outcome": Outcome.CALL_BACK, "call_back_at": f"{past:%Y-%m-%dT%H:%M}"},
    )
    assert b"The call back time must be in the future." in response.content
    assert not CallAttempt.objects.exists()


def test_call_back_in_the_future_schedules_the_next_attempt(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    later = (timezone.localtime() + dt.timedelta(hours=3)).replace(
        second=0, microsecond=0
    )
    client.post(
        reverse("cases:call", args=[held_case.pk]),
        {"outcome": Outcome.CALL_BACK, "call_back_at": f"{later:%Y-%m-%dT%H:%M}"},
    )
    held_case.refresh_from_db()
    assert held_case.next_attempt_at == later


def test_illegal_transition_is_a_message_not_a_500(client, supervisor, held_case):
    Case.objects.filter(pk=held_case.pk).update(status=Status.COMPLETED)
    client.force_login(supervisor)
    response = client.post(
        reverse("cases:call", args=[held_case.pk]), {"outcome": Outcome.NO_ANSWER}
    )
    assert response.status_code == 200
    assert b"it cannot be called" in response.content


def test_safeguarding_concern_escalates_and_emails_the_team_supervisor(
    client, caseworker, held_case, mailoutbox, run_tasks_here
):
    f.StaffProfileFactory(
        clinical=True,
        is_supervisor=True,
        team=caseworker.staff.team,
        user__email="boss@example.org",
    )
    client.force_login(caseworker)
    with run_tasks_here():
        response = client.post(
            reverse("cases:call", args=[held_case.pk]),
            {"outcome": Outcome.SAFEGUARDING, "notes": "Child left alone at home"},
            follow=True,
        )
        assert mailoutbox == []  # nothing is sent inside the request
    escalation = Escalation.objects.get(case=held_case)
    team = escalation.local_team.name
    assert escalation.reason == Escalation.Reason.SAFEGUARDING
    assert f"Escalated to {team}; your supervisor is being emailed.".encode() in (
        response.content
    )
    assert response.redirect_chain[-1][0] == reverse("cases:queue")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["boss@example.org"]
    # Where to read the concern, and none of it: an email is no place for it.
    assert "Child left alone at home" not in mailoutbox[0].body
    path = reverse("cases:detail", args=[held_case.pk])
    page = f"{settings.TRACING_SITE_URL}{path}"
    assert (
        "Sign in to read what they noted, in the call history of the case's page:\n"
        f"{page}\n\nWhat they noted is on that page, not in this email.\n"
    ) in mailoutbox[0].body


def test_the_safeguarding_email_goes_once_however_often_its_task_runs(
    caseworker, held_case, mailoutbox, monkeypatch
):
    """A task redelivered (a worker stopped after sending) or run again emailed the
    supervisors once more each time; a mail server down gives it back to send."""
    f.StaffProfileFactory(
        clinical=True,
        is_supervisor=True,
        team=caseworker.staff.team,
        user__email="boss@example.org",
    )
    call_record(
        item=held_case,
        caller=caseworker,
        outcome=Outcome.SAFEGUARDING,
        notes="Child left alone at home",
    )
    escalation = Escalation.objects.get(case=held_case)
    task = {"escalation_id": escalation.pk, "caller_id": caseworker.pk}

    def server_down(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("work.calls.send_mail", server_down)
    with pytest.raises(OSError, match="mail server down"):
        safeguarding_email_task.run(**task)
    monkeypatch.undo()
    assert mailoutbox == []

    assert safeguarding_email_task.run(**task) == 1
    assert safeguarding_email_task.run(**task) == 0
    assert [m.to for m in mailoutbox] == [["boss@example.org"]]


def test_safeguarding_concern_needs_a_note(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:call", args=[held_case.pk]), {"outcome": Outcome.SAFEGUARDING}
    )
    assert b"Describe the safeguarding concern" in response.content
    assert not Escalation.objects.exists()


def test_safeguarding_with_htmx_redirects_to_my_work(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:call", args=[held_case.pk]),
        {"outcome": Outcome.SAFEGUARDING, "notes": "Concern"},
        headers={"HX-Request": "true"},
    )
    assert response["HX-Redirect"] == reverse("cases:queue")


# --- risk assessment ---------------------------------------------------------------------


ASSESSMENT = {
    "symptomatic": "on",
    "occupation": "Bus driver",
    "works_in": "transport",
    "vulnerabilities": "",
    "household_size": "3",
    "household_notes": "Partner and a child",
    "clinical_notes": "Mild cough",
}


def test_assessment_is_saved_and_onset_recomputes_isolation(
    client, caseworker, held_case
):
    onset = held_case.specimen_date - dt.timedelta(days=2)
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:assessment", args=[held_case.pk]),
        {**ASSESSMENT, "symptom_onset": onset.isoformat()},
        follow=True,
    )
    held_case.refresh_from_db()
    assert held_case.symptom_onset == onset
    assert held_case.isolation_ends_on == onset + dt.timedelta(days=10)
    assert b"Risk assessment saved" in response.content
    assessment = RiskAssessment.objects.get(case=held_case)
    assert assessment.occupation == "Bus driver"
    assert assessment.assessed_by == caseworker


def test_assessment_with_errors_shows_them_by_the_field_and_keeps_what_was_typed(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    future = timezone.localdate() + dt.timedelta(days=3)
    response = client.post(
        reverse("cases:assessment", args=[held_case.pk]),
        {**ASSESSMENT, "symptom_onset": future.isoformat()},
    )
    html = response.content.decode()
    field_start = html.index('id="id_symptom_onset-group"')
    assert "cannot be in the future" in html[field_start : field_start + 800]
    assert 'value="Bus driver"' in html
    assert "Partner and a child" in html
    assert not RiskAssessment.objects.exists()


@pytest.mark.parametrize("onset", ["0001-01-01", "weeks before"])
def test_an_onset_weeks_before_the_test_is_refused_by_the_field(
    client, caseworker, held_case, onset
):
    # Year 1 was saved, and then adding any contact was a 500 (two days before it).
    if onset == "weeks before":
        onset = (held_case.specimen_date - dt.timedelta(days=29)).isoformat()
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:assessment", args=[held_case.pk]),
        {**ASSESSMENT, "symptom_onset": onset},
    )

    html = response.content.decode()
    field_start = html.index('id="id_symptom_onset-group"')
    assert "at most 28 days before the test" in html[field_start : field_start + 800]
    assert not RiskAssessment.objects.exists()
    held_case.refresh_from_db()
    assert held_case.symptom_onset is None


@pytest.mark.parametrize("size", ["0", "-1"])
def test_a_household_of_nobody_is_refused_with_what_a_household_is(
    client, caseworker, held_case, size
):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:assessment", args=[held_case.pk]),
        {**ASSESSMENT, "symptomatic": "", "household_size": size},
    )

    html = response.content.decode()
    assert "A household has at least one person: them." in html
    assert "greater than or equal to" not in html
    assert not RiskAssessment.objects.exists()


def test_symptomatic_without_onset_is_refused(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(reverse("cases:assessment", args=[held_case.pk]), ASSESSMENT)
    assert b"Enter the date symptoms started" in response.content


# --- contacts ----------------------------------------------------------------------------


def contact_rows(*rows: dict) -> dict:
    data = {
        "contacts-TOTAL_FORMS": str(max(3, len(rows))),
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "20",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"contacts-{i}-{key}"] = value
    return data


def row(first: str, phone: str = "07911 123456", **extra) -> dict:
    return {
        "first_name": first,
        "last_name": "Tester",
        "phone": phone,
        "postcode": "s1 2hh",
        "exposure_date": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "exposure": Contact.Exposure.HOUSEHOLD,
        **extra,
    }


def test_several_contacts_are_added_at_once(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:contacts", args=[held_case.pk]),
        contact_rows(row("Ann", "07911 123451"), row("Bob", "07911 123452")),
        follow=True,
    )
    assert b"2 contacts added" in response.content
    contacts = Contact.objects.filter(case=held_case).select_related("person")
    assert sorted(c.person.first_name for c in contacts) == ["Ann", "Bob"]
    ann = contacts.get(person__first_name="Ann")
    assert str(ann.person.phone) == "+447911123451"
    assert ann.person.postcode == "S1 2HH"
    assert ann.isolation_ends_on == ann.exposure_date + dt.timedelta(days=10)


def test_a_bad_phone_is_flagged_on_its_row_and_nothing_is_saved(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:contacts", args=[held_case.pk]),
        contact_rows(row("Ann", "07911 123451"), row("Bob", "12345")),
    )
    html = response.content.decode()
    bob_row = html[html.index('data-row="1"') : html.index('data-row="2"')]
    assert "This number is not in use in the UK: check it with them." in bob_row
    assert 'value="12345"' in bob_row
    assert 'value="Ann"' in html  # the good row is kept as typed
    assert not Contact.objects.exists()


def test_a_bad_postcode_is_flagged_on_its_row(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:contacts", args=[held_case.pk]),
        contact_rows(row("Ann", postcode="NOT A CODE")),
    )
    assert b"Enter a full UK postcode" in response.content
    assert not Contact.objects.exists()


def test_a_contact_already_on_the_case_is_flagged_on_its_row(
    client, caseworker, held_case
):
    existing = ContactFactory(
        case=held_case,
        person__first_name="Ann",
        person__last_name="Tester",
        person__phone="+447911123451",
    )
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:contacts", args=[held_case.pk]),
        contact_rows(row("Cat", "07911 123453"), row("Ann", "07911 123451")),
    )
    html = response.content.decode()
    ann_row = html[html.index('data-row="1"') : html.index('data-row="2"')]
    assert "Ann Tester is already a contact of this case." in ann_row
    assert list(Contact.objects.filter(case=held_case)) == [existing]


def test_the_same_person_twice_in_one_batch_is_flagged(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:contacts", args=[held_case.pk]),
        contact_rows(row("Ann", "07911 123451"), row("Ann", "07911 123451")),
    )
    assert b"same person as contact 1" in response.content
    assert not Contact.objects.exists()


def test_an_empty_batch_asks_for_a_contact(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:contacts", args=[held_case.pk]), contact_rows()
    )
    assert b"Enter at least one contact." in response.content


# --- settings visited --------------------------------------------------------------------


def test_a_setting_visit_is_recorded(client, caseworker, held_case):
    client.force_login(caseworker)
    day = timezone.localdate() - dt.timedelta(days=2)
    response = client.post(
        reverse("cases:visit", args=[held_case.pk]),
        {
            "visit-name": "The Crown",
            "visit-kind": "venue",
            "visit-postcode": "s1 2hh",
            "visit-visited_on": day.isoformat(),
        },
        follow=True,
    )
    visit = SettingVisit.objects.select_related("setting").get(case=held_case)
    assert visit.setting.name == "The Crown"
    assert visit.setting.postcode == "S1 2HH"
    assert b"The Crown" in response.content


def test_a_visit_without_a_date_is_refused_by_the_field(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:visit", args=[held_case.pk]),
        {"visit-name": "The Crown", "visit-kind": "venue"},
    )
    html = response.content.decode()
    field_start = html.index('id="id_visit-visited_on-group"')
    assert "Enter the date they were there." in html[field_start : field_start + 600]
    assert 'value="The Crown"' in html


# --- completing ---------------------------------------------------------------------------


def test_completing_without_an_assessment_is_refused_with_a_message(
    client, caseworker, held_case
):
    call_record(item=held_case, caller=caseworker, outcome=Outcome.REACHED)
    client.force_login(caseworker)
    response = client.post(reverse("cases:complete", args=[held_case.pk]), follow=True)
    assert b"Record the risk assessment before completing the case." in response.content
    held_case.refresh_from_db()
    assert held_case.status == Status.REACHED


def test_completing_a_reached_and_assessed_case(client, caseworker, held_case):
    call_record(item=held_case, caller=caseworker, outcome=Outcome.REACHED)
    f.RiskAssessmentFactory(case=held_case, assessed_by=caseworker)
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:complete", args=[held_case.pk]),
        {"no_contacts": "on"},  # none were named, and that is said in words
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("cases:queue")
    held_case.refresh_from_db()
    assert held_case.status == Status.COMPLETED


def test_completing_an_unreached_case_is_refused_with_a_message(
    client, caseworker, held_case
):
    f.RiskAssessmentFactory(case=held_case, assessed_by=caseworker)
    client.force_login(caseworker)
    response = client.post(reverse("cases:complete", args=[held_case.pk]), follow=True)
    assert (
        b"Complete the case once you have reached them and recorded the risk "
        b"assessment." in response.content
    )
    held_case.refresh_from_db()
    assert held_case.status == Status.ASSIGNED


# --- queries -------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [3, 30])
def test_case_page_query_count_does_not_grow_with_contacts_calls_and_visits(
    client, caseworker, held_case, scripts, django_assert_num_queries, length
):
    for _ in range(length):
        ContactFactory(case=held_case)
        f.CallAttemptFactory(contact=None, case=held_case, caller=caseworker)
        f.SettingVisitFactory(case=held_case)
    client.force_login(caseworker)
    # session, user, profile, case (with person, area, assessment), audit insert,
    # contacts, people named who are contacts of another case, the contacts' audit
    # insert (one for them all), drafts, calls, visits,
    # script steps, the case's isolation changes, whether a chain of transmission runs
    # through the case, the messages to them that failed, the further results of the
    # same episode kept with the case (drawn only if any: read to know); then the
    # session save (3 in a test)
    with django_assert_num_queries(20):
        response = client.get(page(held_case))
    assert response.status_code == 200


def test_a_phone_number_from_another_country_is_refused(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(
        reverse("cases:contacts", args=[held_case.pk]),
        contact_rows(row("Ann", "+33 6 12 34 56 78")),
    )
    assert b"This is not a UK number (it starts +33)" in response.content
    assert not Contact.objects.exists()


def test_knowledge_search_is_refused_to_someone_without_a_staff_profile(
    client, outsider, scripts
):
    client.force_login(outsider)
    response = client.get(reverse("calls:knowledge"), {"q": "isolation"})
    assert response.status_code == 403


def test_a_contact_given_with_an_email_only_shows_it_on_the_case_page(
    client, caseworker, held_case
):
    """A case giving their contacts online may give an email and no phone: the
    caseworker sees how that contact is reached, not a dash."""
    ContactFactory(
        case=held_case,
        person=f.PersonFactory(
            first_name="Grace", phone="", email="grace.okafor@example.org"
        ),
    )
    client.force_login(caseworker)

    text = client.get(page(held_case)).content.decode()

    assert "Phone or email" in text
    assert "grace.okafor@example.org" in text
