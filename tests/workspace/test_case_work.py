"""The case page as one piece of work: each section saved in place, drafts of what is
typed, completing only when nothing typed is left behind, and messages that say what
to do."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.models import Outcome
from cases.models import Case, CaseDraft, RiskAssessment
from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from tests.workspace.conftest import ContactFactory
from tests.workspace.test_case_page import ASSESSMENT, contact_rows, row
from work.calls import call_record
from work.casework import case_draft_clear, case_draft_save

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def url(name: str, case) -> str:
    return reverse(f"cases:{name}", args=[case.pk])


def draft_of(case, user, section: str) -> CaseDraft | None:
    return CaseDraft.objects.filter(case=case, user=user, section=section).first()


def reached(case, by):
    call_record(item=case, caller=by, outcome=Outcome.REACHED)
    case.refresh_from_db()
    return case


def assessed(case, by):
    f.RiskAssessmentFactory(case=case, assessed_by=by)
    return case


def typed_row(first: str = "Grace", **extra) -> dict:
    """One contact row as typed so far: a name, nothing else yet."""
    return {"first_name": first, **extra}


# --- drafts: saved ----------------------------------------------------------------------


def test_typing_in_the_assessment_is_kept_as_a_draft(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(
        url("draft", held_case),
        {"section": "assessment", **ASSESSMENT, "symptom_onset": ""},
        headers=HTMX,
    )
    assert response.status_code == 204
    draft = draft_of(held_case, caseworker, "assessment")
    assert draft.data["occupation"] == "Bus driver"
    assert draft.data["clinical_notes"] == "Mild cough"
    assert draft.data["symptomatic"] == "on"
    assert not RiskAssessment.objects.exists()  # a draft is not the record


def test_typing_in_the_contact_rows_is_kept_in_its_places(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    data = contact_rows({}, typed_row("Grace", phone="07911"))
    data["section"] = "contacts"
    client.post(url("draft", held_case), data, headers=HTMX)
    rows = draft_of(held_case, caseworker, "contacts").data["rows"]
    assert len(rows) == 2  # the empty first row keeps its place; the spare one goes
    assert rows[0]["first_name"] == ""
    assert rows[1]["first_name"] == "Grace"
    assert rows[1]["phone"] == "07911"


def test_a_nul_character_typed_is_left_out_of_the_draft(client, caseworker, held_case):
    # A NUL (sent by a script, or pasted) cannot be kept in a draft (jsonb): the rest
    # of the typing is, in both sections.
    client.force_login(caseworker)
    assessment = client.post(
        url("draft", held_case),
        {"section": "assessment", **ASSESSMENT, "occupation": "Bus\x00 driver"},
        headers=HTMX,
    )
    rows = client.post(
        url("draft", held_case),
        {"section": "contacts", **contact_rows(typed_row("Gr\x00ace"))},
        headers=HTMX,
    )

    assert (assessment.status_code, rows.status_code) == (204, 204)
    assert draft_of(held_case, caseworker, "assessment").data["occupation"] == (
        "Bus driver"
    )
    row = draft_of(held_case, caseworker, "contacts").data["rows"][0]
    assert row["first_name"] == "Grace"


def test_long_clinical_notes_are_kept_whole_in_the_draft_and_drawn_again(
    client, caseworker, held_case
):
    notes = "Cough since Monday; " * 400  # 8,000 characters, longer than any cut
    client.force_login(caseworker)
    client.post(
        url("draft", held_case),
        {"section": "assessment", **ASSESSMENT, "clinical_notes": notes},
        headers=HTMX,
    )

    assert draft_of(held_case, caseworker, "assessment").data["clinical_notes"] == (
        notes
    )
    html = client.get(url("detail", held_case)).content.decode()
    assert notes.strip() in html


def test_the_latest_typing_replaces_the_last(client, caseworker, held_case):
    client.force_login(caseworker)
    for occupation in ("Bus", "Bus driver"):
        client.post(
            url("draft", held_case),
            {"section": "assessment", **ASSESSMENT, "occupation": occupation},
        )
    assert CaseDraft.objects.count() == 1
    assert draft_of(held_case, caseworker, "assessment").data["occupation"] == (
        "Bus driver"
    )


def test_typing_that_matches_what_is_saved_is_no_draft(client, caseworker, held_case):
    assessment = f.RiskAssessmentFactory(
        case=held_case, assessed_by=caseworker, occupation="Teacher"
    )
    client.force_login(caseworker)
    same = {
        "section": "assessment",
        "symptomatic": "on",
        "occupation": assessment.occupation,
        "works_in": assessment.works_in,
        "household_size": str(assessment.household_size),
    }
    client.post(url("draft", held_case), same)
    assert not CaseDraft.objects.exists()
    client.post(url("draft", held_case), {**same, "occupation": "Head teacher"})
    assert draft_of(held_case, caseworker, "assessment") is not None
    client.post(url("draft", held_case), same)  # typed back as it was
    assert not CaseDraft.objects.exists()


def test_emptied_contact_rows_leave_no_draft(client, caseworker, held_case):
    client.force_login(caseworker)
    client.post(
        url("draft", held_case), {"section": "contacts", **contact_rows(row("Ann"))}
    )
    assert CaseDraft.objects.exists()
    client.post(url("draft", held_case), {"section": "contacts", **contact_rows()})
    assert not CaseDraft.objects.exists()


def test_a_draft_of_no_known_section_is_refused(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(url("draft", held_case), {"section": "notes", "x": "y"})
    assert response.status_code == 400
    assert not CaseDraft.objects.exists()


def test_a_case_no_longer_open_keeps_no_draft(client, caseworker, held_case):
    Case.objects.filter(pk=held_case.pk).update(
        status=Status.COMPLETED, reached_at=timezone.now(), completed_at=timezone.now()
    )
    client.force_login(caseworker)
    response = client.post(
        url("draft", held_case), {"section": "assessment", **ASSESSMENT}
    )
    assert response.status_code == 409
    assert not CaseDraft.objects.exists()


# --- drafts: the caseworker's own -------------------------------------------------------


@pytest.mark.parametrize(
    "who", ["other_caseworker", "call_handler", "local_team_member"]
)
def test_no_one_else_may_save_a_draft_on_my_case(request, client, held_case, who):
    client.force_login(request.getfixturevalue(who))
    response = client.post(
        url("draft", held_case), {"section": "assessment", **ASSESSMENT}
    )
    assert response.status_code == 403
    assert not CaseDraft.objects.exists()


def test_drafts_need_sign_in(client, held_case):
    response = client.post(url("draft", held_case), {"section": "assessment"})
    assert response.status_code == 302
    assert not CaseDraft.objects.exists()


def test_a_supervisor_opening_my_case_does_not_see_my_draft(
    client, caseworker, supervisor, held_case
):
    case_draft_save(
        case=held_case,
        by=caseworker,
        section="assessment",
        data={**ASSESSMENT, "occupation": "Secret draft"},
    )
    client.force_login(supervisor)
    html = client.get(url("detail", held_case)).content.decode()
    assert "Secret draft" not in html
    client.force_login(caseworker)
    assert "Secret draft" in client.get(url("detail", held_case)).content.decode()


def test_the_draft_services_refuse_someone_who_may_not_work_the_case(
    other_caseworker, held_case
):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        case_draft_save(
            case=held_case, by=other_caseworker, section="assessment", data={}
        )
    with pytest.raises(PermissionDenied):
        case_draft_clear(case=held_case, by=other_caseworker)


# --- drafts: restored, and cleared ----------------------------------------------------


def test_a_draft_is_drawn_into_the_forms_when_the_page_is_drawn_again(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    client.post(url("draft", held_case), {"section": "assessment", **ASSESSMENT})
    client.post(
        url("draft", held_case),
        {
            "section": "contacts",
            **contact_rows({}, typed_row("Grace", postcode="S1 2HE")),
        },
    )
    html = client.get(url("detail", held_case)).content.decode()
    assert 'value="Bus driver"' in html
    assert "Partner and a child" in html
    assert 'name="contacts-1-first_name" value="Grace"' in re.sub(
        r'\s(class|type|maxlength|id|aria-describedby)="[^"]*"', "", html
    )
    assert html.count("It is not saved yet.") == 2  # said, for both sections


def test_saving_the_assessment_clears_its_draft(client, caseworker, held_case):
    client.force_login(caseworker)
    onset = held_case.specimen_date.isoformat()
    client.post(
        url("draft", held_case),
        {"section": "assessment", **ASSESSMENT, "symptom_onset": onset},
    )
    client.post(url("assessment", held_case), {**ASSESSMENT, "symptom_onset": onset})
    assert RiskAssessment.objects.filter(case=held_case).exists()
    assert not CaseDraft.objects.exists()


def test_adding_the_contacts_clears_their_draft(client, caseworker, held_case):
    client.force_login(caseworker)
    data = contact_rows(row("Ann", "07911 123451"))
    client.post(url("draft", held_case), {"section": "contacts", **data})
    client.post(url("contacts", held_case), data)
    assert Contact.objects.filter(case=held_case).count() == 1
    assert not CaseDraft.objects.exists()


def test_a_late_draft_of_rows_already_added_is_not_drawn_again(
    client, caseworker, held_case
):
    """A draft sent just as the rows were added (it arrives after them) is not
    typing left to add: the page draws empty rows and completing is not refused."""
    client.force_login(caseworker)
    data = contact_rows(row("Ann", "07911 123451"))
    client.post(url("contacts", held_case), data)
    case_draft_save(
        case=held_case,
        by=caseworker,
        section="contacts",
        data={"rows": [row("Ann", "07911 123451")]},
    )
    html = client.get(url("detail", held_case)).content.decode()
    assert 'value="Ann"' not in html


def test_clear_the_rows_forgets_the_contacts_draft(client, caseworker, held_case):
    client.force_login(caseworker)
    client.post(
        url("draft", held_case), {"section": "contacts", **contact_rows(row("Ann"))}
    )
    response = client.post(
        url("contacts", held_case), {**contact_rows(row("Ann")), "discard": "1"}
    )
    assert response.status_code == 302
    assert response["Location"] == url("detail", held_case) + "#contacts"
    assert not CaseDraft.objects.exists()
    assert not Contact.objects.exists()


def test_undo_changes_forgets_the_assessment_draft(client, caseworker, held_case):
    client.force_login(caseworker)
    client.post(url("draft", held_case), {"section": "assessment", **ASSESSMENT})
    response = client.post(
        url("assessment", held_case), {**ASSESSMENT, "discard": "1"}, headers=HTMX
    )
    assert "undone" in response.content.decode()
    assert not CaseDraft.objects.exists()
    assert not RiskAssessment.objects.exists()


# --- each section in place ---------------------------------------------------------------


def test_the_assessment_saved_by_htmx_is_its_section_with_a_confirmation_that_takes_focus(
    client, caseworker, held_case
):
    onset = held_case.specimen_date - dt.timedelta(days=1)
    client.force_login(caseworker)
    response = client.post(
        url("assessment", held_case),
        {**ASSESSMENT, "symptom_onset": onset.isoformat()},
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    (notice,) = re.findall(r'<div [^>]*id="assessment-notice"[^>]*>', html)
    assert "data-focus-on-load" in notice
    assert "Risk assessment saved" in html
    # The case's dates elsewhere on the page change with it, out of band.
    ends = onset + dt.timedelta(days=10)
    assert 'id="case-facts" hx-swap-oob="true"' in html
    assert f"{ends:%A} {ends.day} {ends:%B %Y}" in html
    assert 'id="case-progress" hx-swap-oob="true"' in html
    assert "Add the contacts" not in html  # not the other sections


def test_a_bad_contact_row_by_htmx_answers_with_the_section_and_its_error_summary(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    response = client.post(
        url("contacts", held_case),
        contact_rows(
            row("Ann", "07911 123451"), row("Bob", "07911 123452", postcode="")
        ),
        headers=HTMX,
    )
    html = response.content.decode()
    assert "<html" not in html
    assert 'class="nhsuk-error-summary"' in html
    # The summary links to the very field, in its row.
    assert (
        '<a href="#id_contacts-1-postcode">Contact 2: Enter their postcode, such as '
        "S1 2HE.</a>" in html
    )
    assert 'value="Ann"' in html  # what was typed is kept
    assert not Contact.objects.exists()


def test_contacts_added_without_javascript_return_to_the_contacts(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    response = client.post(url("contacts", held_case), contact_rows(row("Ann")))
    assert response["Location"] == url("detail", held_case) + "#contacts"


def test_a_failed_form_without_javascript_is_the_whole_page_at_its_section(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    response = client.post(
        url("contacts", held_case), contact_rows(row("Ann", postcode=""))
    )
    html = response.content.decode()
    assert "<html" in html
    # The form is sent to its section's address: the answer opens at the section.
    assert f'action="{url("contacts", held_case)}#contacts"' in html


def test_a_section_of_a_case_closed_meanwhile_refreshes_the_page_with_why(
    client, caseworker, held_case
):
    Case.objects.filter(pk=held_case.pk).update(
        status=Status.COMPLETED, reached_at=timezone.now(), completed_at=timezone.now()
    )
    client.force_login(caseworker)
    # (Contact rows are drawn again instead: test_completed_while_typing.py.)
    response = client.post(
        url("visit", held_case),
        {
            "visit-name": "The Crown",
            "visit-kind": "venue",
            "visit-visited_on": (
                timezone.localdate() - dt.timedelta(days=1)
            ).isoformat(),
        },
        headers=HTMX,
    )
    assert response["HX-Refresh"] == "true"
    html = client.get(url("detail", held_case)).content.decode()
    assert "This case is completed: it can no longer be changed." in html


def test_a_setting_visit_by_htmx_is_its_section_with_a_confirmation(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    response = client.post(
        url("visit", held_case),
        {
            "visit-name": "The Crown",
            "visit-kind": "venue",
            "visit-visited_on": (
                timezone.localdate() - dt.timedelta(days=1)
            ).isoformat(),
        },
        headers=HTMX,
    )
    html = response.content.decode()
    assert "Visit to The Crown recorded." in html
    assert 'id="settings-notice"' in html


# --- completing -----------------------------------------------------------------------


def test_completing_with_a_contact_typed_but_not_added_is_refused_with_what_to_do(
    client, caseworker, held_case
):
    assessed(reached(held_case, caseworker), caseworker)
    client.force_login(caseworker)
    client.post(
        url("draft", held_case),
        {"section": "contacts", **contact_rows(typed_row("Grace", phone="07911"))},
    )
    response = client.post(
        url("complete", held_case), {"no_contacts": "on"}, headers=HTMX
    )
    html = response.content.decode()
    assert (
        "You have 1 contact typed but not added: add it, or clear the rows, before "
        "completing." in html
    )
    assert 'href="#id_contacts-0-first_name"' in html  # to the row itself
    held_case.refresh_from_db()
    assert held_case.status == Status.REACHED


def test_two_rows_typed_are_counted_in_the_message(client, caseworker, held_case):
    assessed(reached(held_case, caseworker), caseworker)
    client.force_login(caseworker)
    client.post(
        url("draft", held_case),
        {
            "section": "contacts",
            **contact_rows({}, typed_row("Grace"), typed_row("Ben")),
        },
    )
    response = client.post(url("complete", held_case), follow=True)
    html = response.content.decode()
    assert (
        "You have 2 contacts typed but not added: add them, or clear the rows" in html
    )
    assert 'href="#id_contacts-1-first_name"' in html  # the first filled row


def test_completing_with_assessment_changes_not_saved_is_refused(
    client, caseworker, held_case
):
    assessed(reached(held_case, caseworker), caseworker)
    ContactFactory(case=held_case)
    client.force_login(caseworker)
    client.post(
        url("draft", held_case),
        {
            "section": "assessment",
            **ASSESSMENT,
            "symptom_onset": held_case.specimen_date,
        },
    )
    response = client.post(url("complete", held_case), headers=HTMX)
    assert "You have changed the risk assessment but not saved it" in (
        response.content.decode()
    )
    held_case.refresh_from_db()
    assert held_case.status == Status.REACHED


def test_completing_a_case_with_no_contacts_asks_for_it_to_be_said(
    client, caseworker, held_case
):
    assessed(reached(held_case, caseworker), caseworker)
    client.force_login(caseworker)
    html = client.get(url("detail", held_case)).content.decode()
    assert "This case had no contacts" in html  # the box is offered
    response = client.post(url("complete", held_case), headers=HTMX)
    html = response.content.decode()
    assert "No contacts are recorded for" in html
    assert "or tick the box to say this case had no contacts." in html
    assert 'href="#id_no_contacts"' in html
    held_case.refresh_from_db()
    assert held_case.status == Status.REACHED

    response = client.post(
        url("complete", held_case), {"no_contacts": "on"}, headers=HTMX
    )
    assert response["HX-Redirect"] == reverse("cases:queue")
    held_case.refresh_from_db()
    assert held_case.status == Status.COMPLETED


def test_a_case_with_contacts_completes_without_the_box(client, caseworker, held_case):
    assessed(reached(held_case, caseworker), caseworker)
    ContactFactory(case=held_case)
    client.force_login(caseworker)
    assert (
        "This case had no contacts"
        not in client.get(url("detail", held_case)).content.decode()
    )
    response = client.post(url("complete", held_case), follow=True)
    assert response.redirect_chain[-1][0] == reverse("cases:queue")
    held_case.refresh_from_db()
    assert held_case.status == Status.COMPLETED


def test_completing_clears_what_drafts_are_left(client, caseworker, held_case):
    assessed(reached(held_case, caseworker), caseworker)
    ContactFactory(case=held_case)
    case_draft_save(
        case=held_case,
        by=caseworker,
        section="assessment",
        data={
            "occupation": "Teacher",
            "symptomatic": "on",
            "works_in": "school",
            "household_size": "3",
        },
    )
    client.force_login(caseworker)
    client.post(url("complete", held_case))
    held_case.refresh_from_db()
    assert held_case.status == Status.COMPLETED
    assert not CaseDraft.objects.exists()


def test_completing_an_unreached_case_says_what_to_do_and_links_to_the_call(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    response = client.post(url("complete", held_case), headers=HTMX)
    html = response.content.decode()
    assert "You have not reached" in html
    assert "Complete the case once you have reached them and recorded the risk" in html
    assert "it cannot be completed" not in html  # no jargon
    assert 'href="#id_outcome_0"' in html


# --- messages that say what to do -------------------------------------------------------


@pytest.mark.parametrize("total", ["abc", "1.5", ""])
def test_rows_sent_with_a_broken_count_say_so_and_save_nothing(
    client, caseworker, held_case, total
):
    client.force_login(caseworker)
    data = contact_rows(row("Ann"))
    data["contacts-TOTAL_FORMS"] = total

    response = client.post(url("contacts", held_case), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert "The contact rows were not sent whole" in html
    assert "Enter at least one contact." not in html
    assert not held_case.contacts.exists()


def test_a_visit_weeks_before_the_test_is_refused_by_its_field(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    too_early = held_case.specimen_date - dt.timedelta(days=15)
    earliest = held_case.specimen_date - dt.timedelta(days=14)

    refused = client.post(
        url("visit", held_case),
        {
            "visit-name": "Crown Inn",
            "visit-kind": "venue",
            "visit-visited_on": too_early.isoformat(),
        },
    )
    taken = client.post(
        url("visit", held_case),
        {
            "visit-name": "Crown Inn",
            "visit-kind": "venue",
            "visit-visited_on": earliest.isoformat(),
        },
    )

    html = refused.content.decode()
    field_start = html.index('id="id_visit-visited_on-group"')
    assert (
        "count from 14 days before their test" in html[field_start : field_start + 900]
    )
    assert taken.status_code == 302
    assert [v.visited_on for v in held_case.visits.all()] == [earliest]


def test_a_missing_postcode_says_what_to_enter(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(
        url("contacts", held_case), contact_rows(row("Ann", postcode=""))
    )
    html = response.content.decode()
    assert "Enter their postcode, such as S1 2HE." in html
    assert "This field is required." not in html


def test_each_missing_field_of_a_row_says_what_to_enter(client, caseworker, held_case):
    client.force_login(caseworker)
    response = client.post(url("contacts", held_case), contact_rows(typed_row("Ann")))
    html = response.content.decode()
    for field, message in (
        ("last_name", "Enter their last name."),
        ("phone", "Enter their phone number, such as 07911 123456."),
        ("postcode", "Enter their postcode, such as S1 2HE."),
        ("exposure_date", "Enter the date they were last in contact."),
        ("exposure", "Choose the kind of contact."),
    ):
        assert f'<a href="#id_contacts-0-{field}">Contact 1: {message}</a>' in html
    assert "This field is required." not in html


def test_an_exposure_before_the_infectious_period_is_refused_with_the_reason(
    client, caseworker, held_case
):
    onset = held_case.specimen_date
    Case.objects.filter(pk=held_case.pk).update(symptom_onset=onset)
    held_case.person.first_name, held_case.person.last_name = "Priya", "Shah"
    held_case.person.save()
    client.force_login(caseworker)
    too_early = onset - dt.timedelta(days=3)
    response = client.post(
        url("contacts", held_case),
        contact_rows(row("Ann", exposure_date=too_early.isoformat())),
    )
    start = onset - dt.timedelta(days=2)
    assert (
        f"That is before Priya Shah could have passed it on (from {start:%A} "
        f"{start.day} {start:%B %Y}, 2 days before their symptoms started): "
        "check the date."
    ) in response.content.decode()
    assert not Contact.objects.exists()

    response = client.post(
        url("contacts", held_case),
        contact_rows(row("Ann", exposure_date=start.isoformat())),
    )
    assert response.status_code == 302  # two days before the symptoms: in time
    assert Contact.objects.count() == 1


def test_with_no_symptoms_an_exposure_over_two_days_before_the_test_is_refused(
    client, caseworker, held_case
):
    # NHS Test and Trace's rule: with no symptoms, infectious from two days before
    # the test was taken.
    client.force_login(caseworker)
    before = held_case.specimen_date - dt.timedelta(days=3)
    response = client.post(
        url("contacts", held_case),
        contact_rows(row("Ann", exposure_date=before.isoformat())),
    )
    assert "could have passed it on" in response.content.decode()
    first_day = held_case.specimen_date - dt.timedelta(days=2)
    response = client.post(
        url("contacts", held_case),
        contact_rows(row("Ann", exposure_date=first_day.isoformat())),
    )
    assert response.status_code == 302


# --- the page on a phone ----------------------------------------------------------------


def test_the_call_script_is_linked_from_the_top_and_comes_before_the_forms(
    client, caseworker, held_case, scripts
):
    client.force_login(caseworker)
    html = client.get(url("detail", held_case)).content.decode()
    main = html[html.index('id="maincontent"') :]
    jump = main.index('href="#call-script"')
    assert jump < main.index('id="person-h"')  # near the top
    # In the page's order (a phone's): the person, the script, then the forms.
    assert main.index('id="person-h"') < main.index('id="call-script"')
    assert main.index('id="call-script"') < main.index('id="call-panel"')
    assert main.index('id="call-script"') < main.index('id="assessment"')


def test_every_form_of_the_case_page_warns_before_leaving_unsaved_typing(
    client, caseworker, held_case
):
    client.force_login(caseworker)
    html = client.get(url("detail", held_case)).content.decode()
    for name in ("call", "assessment", "contacts", "visit"):
        form = html[html.index(f'action="{url(name, held_case)}') :]
        assert "data-warn-unsaved" in form[: form.index(">")]
    complete = html[html.index(f'action="{url("complete", held_case)}') :]
    assert (
        'data-confirm-unsaved="You have typed contacts or notes that are not saved. '
        'Complete the case anyway?"' in complete[: complete.index(">")]
    )


def test_typing_sent_with_complete_counts_even_before_its_draft(
    client, caseworker, held_case
):
    """htmx sends the assessment and the contact rows with "Complete": typing of the
    last moment, whose draft has not gone yet, still stops it."""
    assessed(reached(held_case, caseworker), caseworker)
    client.force_login(caseworker)
    response = client.post(
        url("complete", held_case),
        {"no_contacts": "on", **contact_rows({}, {}, typed_row("Ben"))},
        headers=HTMX,
    )
    html = response.content.decode()
    assert "You have 1 contact typed but not added" in html
    assert 'href="#id_contacts-2-first_name"' in html
    held_case.refresh_from_db()
    assert held_case.status == Status.REACHED


def test_rows_sent_empty_with_complete_outweigh_an_older_draft(
    client, caseworker, held_case
):
    assessed(reached(held_case, caseworker), caseworker)
    case_draft_save(
        case=held_case, by=caseworker, section="contacts", data={"rows": [typed_row()]}
    )
    client.force_login(caseworker)
    response = client.post(
        url("complete", held_case),
        {"no_contacts": "on", **contact_rows()},
        headers=HTMX,
    )
    assert response["HX-Redirect"] == reverse("cases:queue")
