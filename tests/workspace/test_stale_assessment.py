"""A risk assessment saved from a page opened before someone else's save is refused,
not saved over theirs: the typing kept, who saved and when said, what is saved now
shown beside it. Before, the later save wrote every field from the older page: the
symptom onset (and so the isolation end date) and the clinical notes went back to what
they were, and nobody was told."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Case, RiskAssessment
from tests import factories as f
from tests.workspace.conftest import CaseFactory, hold

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def ada(db):
    profile = f.StaffProfileFactory(
        clinical=True,
        user__username="nurse.ada",
        user__first_name="Ada",
        user__last_name="Hughes",
    )
    f.ShiftFactory(staff=profile)
    return profile.user


@pytest.fixture
def supervisor(db):
    # A national supervisor, who may also work the case.
    profile = f.StaffProfileFactory(
        clinical=True,
        is_supervisor=True,
        user__username="sup.clinical",
        user__first_name="Sam",
        user__last_name="Clinical",
    )
    return profile.user


@pytest.fixture
def case(ada):
    return hold(CaseFactory(), ada)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def opened(client: Client, case) -> dict[str, str]:
    """Open the case page: the assessment form as drawn (its hidden field with it)."""
    html = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    return form_in(html)


def form_in(html: str) -> dict[str, str]:
    """The assessment form's hidden fields as drawn in this page (what it was
    drawn from), sent back with it as a browser would."""
    return dict(
        re.findall(r'<input type="hidden" name="(drawn_from)" value="([^"]*)"', html)
    )


def assessment(case, **typed) -> dict[str, str]:
    onset = case.specimen_date - dt.timedelta(days=2)
    return {
        "symptomatic": "on",
        "symptom_onset": onset.isoformat(),
        "occupation": "",
        "works_in": "",
        "vulnerabilities": "",
        "household_size": "",
        "household_notes": "",
        "clinical_notes": "",
        **typed,
    }


def save(client: Client, case, data: dict[str, str], **headers):
    return client.post(
        reverse("cases:assessment", args=[case.pk]), data, headers=headers or None
    )


def saves_of(case) -> int:
    return AuditEvent.objects.filter(
        object_type=Case._meta.label_lower,
        object_id=str(case.pk),
        detail__has_key="assessment",
    ).count()


@pytest.fixture
def assessed(case, ada):
    """The case as the bug's demo had it: assessed once, onset two days before the
    test."""
    response = save(
        signed_in(ada), case, {**assessment(case), **opened(signed_in(ada), case)}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    return case


def test_a_save_from_a_page_opened_before_anothers_is_refused_and_keeps_the_typing(
    assessed, ada, supervisor
):
    case = assessed
    nurse, sup = signed_in(ada), signed_in(supervisor)
    ada_page, sup_page = opened(nurse, case), opened(sup, case)
    later_onset = case.specimen_date - dt.timedelta(days=1)

    # Ada changes the onset and writes clinical notes, and saves.
    saved = save(
        nurse,
        case,
        {
            **assessment(case, symptom_onset=later_onset.isoformat()),
            "clinical_notes": "Breathless; advised 111",
            **ada_page,
        },
    )
    assert saved.status_code == 302
    case.refresh_from_db()
    ends_on = case.isolation_ends_on
    assert case.symptom_onset == later_onset

    # The supervisor, on the page opened earlier, changes only the household.
    refused = save(sup, case, {**assessment(case, household_size="3"), **sup_page})

    html = refused.content.decode()
    assert refused.status_code == 200
    assert "Ada Hughes saved this assessment at" in html
    assert "Your changes are not saved" in html
    # Their typing is still in the form; what Ada saved is shown beside it.
    assert re.search(r'name="household_size" value="3"', html)
    table = html[html.index('id="assessment-saved-since"') :]
    table = table[: table.index("</table>")]
    assert "Breathless; advised 111" in table
    assert f"{later_onset.day} {later_onset:%b %Y}" in table
    # And Ada's save stands.
    case.refresh_from_db()
    kept = RiskAssessment.objects.get(case=case)
    assert (case.symptom_onset, case.isolation_ends_on) == (later_onset, ends_on)
    assert kept.clinical_notes == "Breathless; advised 111"
    assert kept.household_size is None
    assert kept.assessed_by == ada

    # Having seen Ada's, the form (now drawn from hers) saves once they send it.
    again = save(
        sup,
        case,
        {
            **assessment(
                case,
                symptom_onset=later_onset.isoformat(),
                household_size="3",
                clinical_notes="Breathless; advised 111",
            ),
            **form_in(html),
        },
    )
    assert again.status_code == 302
    kept.refresh_from_db()
    assert (kept.household_size, kept.clinical_notes) == (3, "Breathless; advised 111")


def test_the_second_tab_is_refused_in_place_with_htmx(assessed, ada):
    case = assessed
    tab_a, tab_b = signed_in(ada), signed_in(ada)
    page_a, page_b = opened(tab_a, case), opened(tab_b, case)
    typed_a = {"occupation": "Nurse", "clinical_notes": "Asthma, well controlled"}
    assert save(tab_a, case, {**assessment(case, **typed_a), **page_a}).status_code
    tab_b_typed = {**assessment(case, household_notes="Lives with a brother")}

    refused = save(tab_b, case, {**tab_b_typed, **page_b}, **HTMX)

    html = refused.content.decode()
    assert "<html" not in html  # the section, in place
    assert "You saved this assessment at" in html
    assert "in another tab or window" in html
    assert "Lives with a brother" in html
    kept = RiskAssessment.objects.get(case=case)
    assert (kept.occupation, kept.clinical_notes) == (
        "Nurse",
        typed_a["clinical_notes"],
    )
    assert kept.household_notes == ""


def test_typing_kept_as_a_draft_is_checked_against_the_assessment_it_was_made_from(
    assessed, ada, supervisor
):
    # The supervisor types (kept as a draft), Ada saves, the supervisor's page is
    # drawn again (their draft in it) and saved: still made from the older one.
    case = assessed
    nurse, sup = signed_in(ada), signed_in(supervisor)
    ada_page, sup_page = opened(nurse, case), opened(sup, case)
    sup_typed = {**assessment(case, household_size="3"), **sup_page}
    sup.post(
        reverse("cases:draft", args=[case.pk]),
        {"section": "assessment", **sup_typed},
        headers=HTMX,
    )
    save(nurse, case, {**assessment(case, clinical_notes="Breathless"), **ada_page})

    redrawn = opened(sup, case)
    refused = save(sup, case, {**assessment(case, household_size="3"), **redrawn})

    assert "Ada Hughes saved this assessment at" in refused.content.decode()
    kept = RiskAssessment.objects.get(case=case)
    assert (kept.clinical_notes, kept.household_size) == ("Breathless", None)


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["no JavaScript", "htmx"])
@pytest.mark.parametrize("before", ["none yet", "one saved"])
def test_a_save_sent_twice_from_one_page_is_saved_once(
    case, ada, headers, before, request
):
    if before == "one saved":
        case = request.getfixturevalue("assessed")
    client = signed_in(ada)
    sent = {
        **assessment(case, occupation="Bus driver", clinical_notes="Mild cough"),
        **opened(client, case),
    }
    saves_before = saves_of(case)

    first = save(client, case, sent, **headers)
    again = save(client, case, sent, **headers)

    for response in (first, again):
        assert response.status_code in (200, 302)
        assert "saved this assessment at" not in response.content.decode()
    if headers:
        assert "Risk assessment saved" in again.content.decode()
    kept = RiskAssessment.objects.get(case=case)
    assert (kept.occupation, kept.clinical_notes) == ("Bus driver", "Mild cough")
    assert saves_of(case) == saves_before + 1


def test_the_first_assessment_saves_and_a_second_first_is_refused(
    case, ada, supervisor
):
    nurse, sup = signed_in(ada), signed_in(supervisor)
    ada_page, sup_page = opened(nurse, case), opened(sup, case)

    first = save(nurse, case, {**assessment(case, occupation="Chef"), **ada_page})
    second = save(sup, case, {**assessment(case, occupation="Cook"), **sup_page})

    assert first.status_code == 302
    assert ada_page == {"drawn_from": ""}  # drawn from no assessment
    assert "Ada Hughes saved this assessment at" in second.content.decode()
    assert RiskAssessment.objects.get(case=case).occupation == "Chef"


def test_the_error_summary_links_to_what_was_saved_since(assessed, ada):
    # The summary says "check what is saved now, below": its link goes to that
    # table, not past it to the form's first box.
    case = assessed
    tab_a, tab_b = signed_in(ada), signed_in(ada)
    page_a, page_b = opened(tab_a, case), opened(tab_b, case)
    save(tab_a, case, {**assessment(case, occupation="Nurse"), **page_a})

    refused = save(tab_b, case, {**assessment(case), **page_b}, **HTMX)

    html = refused.content.decode()
    assert 'href="#assessment-saved-since"' in html
    assert 'id="assessment-saved-since"' in html
