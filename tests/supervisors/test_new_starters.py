"""A new starter's first calls go to review; sign-off lifts the lower cap."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from calls.models import Outcome
from cases.workitem import Status
from staffing.models import CallReview
from tests import factories as f
from work.calls import call_record

from .conftest import NOW, member

pytestmark = pytest.mark.django_db


def a_call(profile, minutes: int = 0):
    contact = f.ContactFactory(
        case__status=Status.COMPLETED,
        status=Status.ASSIGNED,
        assignee=profile.user,
        assigned_at=NOW,
    )
    return call_record(
        item=contact,
        caller=profile.user,
        outcome=Outcome.NO_ANSWER,
        duration_seconds=60,
        now=NOW + dt.timedelta(minutes=minutes),
    ).call


def test_a_new_starters_call_is_queued_for_review(clock, calls_team):
    starter = member(calls_team, new_starter=True)
    call = a_call(starter)
    assert CallReview.objects.get().call == call


def test_only_the_first_n_calls_are_queued(clock, settings, calls_team):
    settings.TRACING_NEW_STARTER_REVIEW_CALLS = 2
    starter = member(calls_team, new_starter=True)
    calls = [a_call(starter, minutes=i) for i in range(3)]
    assert [r.call for r in CallReview.objects.order_by("created_at")] == calls[:2]


def test_signed_off_staff_calls_are_not_queued(clock, calls_team):
    a_call(member(calls_team))
    assert not CallReview.objects.exists()


def test_supervisor_reviews_a_call(clock, client, calls_lead, calls_team):
    starter = member(calls_team, new_starter=True)
    a_call(starter)
    review = CallReview.objects.get()
    client.force_login(calls_lead.user)
    client.post(
        reverse("staffing:review", args=[review.pk]),
        {f"r{review.pk}-verdict": "good", f"r{review.pk}-note": "Clear and kind"},
    )
    review.refresh_from_db()
    assert (review.verdict, review.note, review.reviewer) == (
        "good",
        "Clear and kind",
        calls_lead.user,
    )
    assert review.reviewed_at == NOW


def test_needs_support_without_a_note_is_refused(clock, client, calls_lead, calls_team):
    a_call(member(calls_team, new_starter=True))
    review = CallReview.objects.get()
    client.force_login(calls_lead.user)
    response = client.post(
        reverse("staffing:review", args=[review.pk]),
        {f"r{review.pk}-verdict": "needs_support", f"r{review.pk}-note": ""},
    )
    assert "Say what support they need." in response.text
    review.refresh_from_db()
    assert review.reviewed_at is None


def test_htmx_review_replaces_the_row(clock, client, calls_lead, calls_team):
    a_call(member(calls_team, new_starter=True))
    review = CallReview.objects.get()
    client.force_login(calls_lead.user)
    response = client.post(
        reverse("staffing:review", args=[review.pk]),
        {f"r{review.pk}-verdict": "good"},
        headers={"HX-Request": "true"},
    )
    assert response.text.lstrip().startswith(
        f'<div class="nhsuk-card app-review" id="review-{review.pk}"'
    )
    assert "<strong>Good</strong>" in response.text


def test_sign_off_is_refused_while_calls_wait(clock, client, calls_lead, calls_team):
    starter = member(calls_team, new_starter=True)
    a_call(starter)
    client.force_login(calls_lead.user)
    response = client.post(reverse("staffing:sign_off", args=[starter.pk]), follow=True)
    assert "Review their waiting calls before signing them off." in response.text
    starter.refresh_from_db()
    assert starter.is_new_starter


def test_sign_off_lifts_the_new_starter_cap(
    clock, client, calls_lead, calls_team, settings
):
    starter = member(calls_team, new_starter=True)
    assert starter.open_work_cap == settings.TRACING_OPEN_WORK_CAP["tier3_new_starter"]
    a_call(starter)
    CallReview.objects.update(reviewed_at=NOW, verdict="good", reviewer=calls_lead.user)
    client.force_login(calls_lead.user)
    client.post(reverse("staffing:sign_off", args=[starter.pk]))
    starter.refresh_from_db()
    assert (starter.signed_off_at, starter.signed_off_by) == (NOW, calls_lead.user)
    assert starter.open_work_cap == settings.TRACING_OPEN_WORK_CAP["tier3"]


def test_review_queue_shows_only_the_teams_starters(
    clock, client, calls_lead, calls_team
):
    a_call(member(calls_team, new_starter=True, user__last_name="Ours"))
    a_call(f.StaffProfileFactory(new_starter=True, user__last_name="Theirs"))
    client.force_login(calls_lead.user)
    queue = client.get(reverse("staffing:reviews")).context["queue"]
    assert [r.call.caller.last_name for r in queue] == ["Ours"]


def test_reviewing_another_teams_call_is_not_found(clock, client, calls_lead):
    a_call(f.StaffProfileFactory(new_starter=True))
    review = CallReview.objects.get()
    client.force_login(calls_lead.user)
    response = client.post(
        reverse("staffing:review", args=[review.pk]), {f"r{review.pk}-verdict": "good"}
    )
    assert response.status_code == 404
