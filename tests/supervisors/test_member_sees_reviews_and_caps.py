"""A member of staff sees on their own training page what supervisors recorded about
them: the reviews of their calls (verdict and note) and the changes to their weekly
hours cap (with the reason), and nobody else's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from calls.models import Outcome
from staffing.models import CallReview
from tests import factories as f

from .conftest import NOW, member

pytestmark = pytest.mark.django_db


def a_reviewed_call(starter, supervisor, *, minutes: int, verdict: str, note: str):
    """One of the starter's calls, reviewed by the supervisor on the review page."""
    call = f.CallAttemptFactory(
        caller=starter.user,
        started_at=NOW - dt.timedelta(minutes=minutes),
        outcome=Outcome.REACHED,
    )
    review = CallReview.objects.create(call=call, created_at=call.started_at)
    client = _client_of(supervisor)
    client.post(
        reverse("staffing:review", args=[review.pk]),
        {f"r{review.pk}-verdict": verdict, f"r{review.pk}-note": note},
    )
    review.refresh_from_db()
    assert review.reviewed_at is not None
    return review


def _client_of(profile):
    client = Client()
    client.force_login(profile.user)
    return client


def my_training_page(client, profile) -> str:
    client.force_login(profile.user)
    response = client.get(reverse("staffing:my_training"))
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def fay(calls_team):
    return member(
        calls_team,
        new_starter=True,
        user__username="handler.fay",
        user__first_name="Fay",
        user__last_name="Fenn",
    )


@pytest.fixture
def hal(calls_team):
    return member(
        calls_team,
        weekly_hours_cap=60,
        user__username="handler.hal",
        user__first_name="Hal",
        user__last_name="Hart",
    )


def test_a_new_starter_sees_the_verdict_and_note_of_a_reviewed_call(
    clock, client, calls_lead, fay
):
    a_reviewed_call(
        fay,
        calls_lead,
        minutes=30,
        verdict="needs_support",
        note="Read the isolation date out twice.",
    )
    page = my_training_page(client, fay)
    assert "Reviews of your calls" in page
    assert "Needs support" in page
    assert "Read the isolation date out twice." in page
    assert "Reached" in page
    assert "You are a new starter" in page


def test_reviews_are_newest_first_and_a_waiting_call_says_so(
    clock, client, calls_lead, fay
):
    a_reviewed_call(fay, calls_lead, minutes=90, verdict="good", note="Older call.")
    a_reviewed_call(fay, calls_lead, minutes=30, verdict="good", note="Newer call.")
    waiting = f.CallAttemptFactory(caller=fay.user, started_at=NOW)
    CallReview.objects.create(call=waiting, created_at=waiting.started_at)
    page = my_training_page(client, fay)
    assert page.index("Waiting for review") < page.index("Newer call.")
    assert page.index("Newer call.") < page.index("Older call.")


def test_a_signed_off_member_sees_that_they_are_signed_off(
    clock, client, calls_lead, fay
):
    a_reviewed_call(fay, calls_lead, minutes=30, verdict="good", note="Well done.")
    _client_of(calls_lead).post(reverse("staffing:sign_off", args=[fay.pk]))
    page = my_training_page(client, fay)
    assert "You were signed off on 14 Jan 2026 by" in page
    assert calls_lead.user.get_full_name() in page
    assert "Well done." in page
    assert "You are a new starter" not in page


def test_a_member_sees_the_change_to_their_cap_and_why(clock, client, calls_lead, hal):
    response = _client_of(calls_lead).post(
        reverse("staffing:hours_cap", args=[hal.pk]),
        {"new_cap": "30", "reason": "back to part time", "shown_version": "0"},
    )
    assert response.status_code == 302
    page = my_training_page(client, hal)
    assert "Your cap is 30 hours a week." in page
    assert "back to part time" in page
    assert "60 hours" in page
    assert calls_lead.user.get_full_name() in page


def test_nobody_sees_another_members_reviews_or_cap_changes(
    clock, client, calls_lead, calls_team, fay, hal
):
    a_reviewed_call(
        fay, calls_lead, minutes=30, verdict="needs_support", note="Note for Fay only."
    )
    _client_of(calls_lead).post(
        reverse("staffing:hours_cap", args=[hal.pk]),
        {"new_cap": "30", "reason": "back to part time", "shown_version": "0"},
    )
    other = member(calls_team, new_starter=True)
    a_reviewed_call(
        other,
        calls_lead,
        minutes=20,
        verdict="needs_support",
        note="Note for another starter.",
    )
    fays_page = my_training_page(client, fay)
    hals_page = my_training_page(client, hal)
    assert "Note for Fay only." in fays_page
    assert "Note for another starter." not in fays_page
    assert "back to part time" not in fays_page
    assert "No one has changed your cap." in fays_page
    assert "back to part time" in hals_page
    assert "Note for Fay only." not in hals_page
    assert "None of your calls has been reviewed." in hals_page


@pytest.mark.parametrize("reviews", [1, 5])
def test_the_page_reads_the_same_few_queries_however_many_reviews(
    clock, client, calls_lead, fay, reviews, django_assert_max_num_queries
):
    for i in range(reviews):
        a_reviewed_call(
            fay, calls_lead, minutes=10 * (i + 1), verdict="good", note=f"Note {i}."
        )
        f.HoursCapChangeFactory(
            profile=fay, old_cap=40 + i, new_cap=41 + i, changed_by=calls_lead.user
        )
    client.force_login(fay.user)
    # Ten: the page also reads what holds them up from work (their readiness).
    with django_assert_max_num_queries(10):
        response = client.get(reverse("staffing:my_training"))
    page = response.content.decode()
    assert all(f"Note {i}." in page for i in range(reviews))
