"""A weekly hours cap saved from a page showing an older cap than the one in force:
refused, saying what the cap is now and who changed it when, rather than silently
undoing that change (a surge raise cut back by a tab opened before it)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from staffing.models import HoursCapChange

from .conftest import member, supervisor_of

pytestmark = pytest.mark.django_db


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of the cap form as the page drew them (csrf aside)."""
    form = html[html.index('<form method="post"') :]
    return {
        name: value
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form
        )
        if name != "csrfmiddlewaretoken"
    }


def send(client, url: str, page: str, **typed: str):
    """Submit the form of `page` (a drawn page's HTML) with this typing."""
    return client.post(url, {**hidden_fields(page), **typed}, follow=True)


def cap_shown(html: str) -> str | None:
    found = re.search(r'name="new_cap"[^>]*value="(\d+)"', html)
    return found and found.group(1)


def test_a_cap_saved_from_a_tab_opened_before_a_raise_is_refused_not_undone(
    clock, client, lead, clinical_team
):
    """The hunter's two tabs: the surge raise to 55 stands, the second tab is told."""
    worker = member(clinical_team, on_shift=False)
    client.force_login(lead.user)
    url = reverse("staffing:hours_cap", args=[worker.pk])
    tab1, tab2 = client.get(url).text, client.get(url).text
    assert cap_shown(tab1) == cap_shown(tab2) == "42"

    clock.shift(dt.timedelta(minutes=5))
    first = send(client, url, tab1, new_cap="55", reason="Surge: raised for this week")
    assert "weekly cap is now 55 hours." in first.text
    clock.shift(dt.timedelta(minutes=3))
    second = send(client, url, tab2, new_cap="45", reason="Asked for a few more hours")

    assert second.status_code == 200
    assert "weekly cap is now" not in second.text
    assert (
        "You changed the cap to 55 hours at 10:05 in another tab or window, since "
        "this page was opened. This change is not saved: check it and save again."
    ) in second.text
    assert "55 hours a week" in second.text  # the cap now, on the page
    assert cap_shown(second.text) == "45"  # what was typed, kept
    assert 'value="Asked for a few more hours"' in second.text
    worker.refresh_from_db()
    assert worker.weekly_hours_cap == 55
    assert HoursCapChange.objects.filter(profile=worker).count() == 1


def test_a_cap_changed_by_another_supervisor_since_the_page_was_opened_names_them(
    clock, client, lead, clinical_team
):
    worker = member(clinical_team, on_shift=False)
    other = supervisor_of(
        clinical_team, user__first_name="Omar", user__last_name="Osei"
    )
    url = reverse("staffing:hours_cap", args=[worker.pk])
    client.force_login(lead.user)
    opened = client.get(url).text
    clock.shift(dt.timedelta(minutes=7))
    client.force_login(other.user)
    client.post(
        url,
        {
            **hidden_fields(client.get(url).text),
            "new_cap": "55",
            "reason": "Surge: raised for this week",
        },
    )
    client.force_login(lead.user)

    response = send(client, url, opened, new_cap="45", reason="A few more hours")

    assert (
        "The cap was changed to 55 hours by Omar Osei at 10:07 since you opened this "
        "page. Your change is not saved: check it and save again."
    ) in response.text
    worker.refresh_from_db()
    assert worker.weekly_hours_cap == 55


def test_the_refused_page_saved_again_is_taken(clock, client, lead, clinical_team):
    """Once the supervisor has seen the cap now, the same page saved again saves."""
    worker = member(clinical_team, on_shift=False)
    client.force_login(lead.user)
    url = reverse("staffing:hours_cap", args=[worker.pk])
    tab1, tab2 = client.get(url).text, client.get(url).text
    send(client, url, tab1, new_cap="55", reason="Surge: raised for this week")
    refused = send(client, url, tab2, new_cap="45", reason="Asked for a few more hours")

    saved = send(
        client, url, refused.text, new_cap="58", reason="Asked for a few more hours"
    )

    assert "weekly cap is now 58 hours." in saved.text
    worker.refresh_from_db()
    assert worker.weekly_hours_cap == 58
    assert list(
        HoursCapChange.objects.filter(profile=worker)
        .order_by("changed_at", "pk")
        .values_list("old_cap", "new_cap")
    ) == [(42, 55), (55, 58)]


def test_a_cap_saved_from_a_page_drawn_fresh_is_saved(
    clock, client, lead, clinical_team
):
    worker = member(clinical_team, on_shift=False)
    client.force_login(lead.user)
    url = reverse("staffing:hours_cap", args=[worker.pk])

    saved = send(client, url, client.get(url).text, new_cap="50", reason="Surge")

    assert "weekly cap is now 50 hours." in saved.text
    worker.refresh_from_db()
    assert worker.weekly_hours_cap == 50


def test_a_cap_sent_from_a_page_drawn_before_it_carried_the_cap_shown_is_refused(
    clock, client, lead, clinical_team
):
    """A tab opened before the page said which cap it showed cannot say whether the
    cap changed since: refused, with the cap now, and the page redrawn to save."""
    worker = member(clinical_team, on_shift=False)
    client.force_login(lead.user)
    url = reverse("staffing:hours_cap", args=[worker.pk])

    old_tab = client.post(url, {"new_cap": "45", "reason": "A few more hours"})

    assert old_tab.status_code == 200
    assert (
        "This page was opened before it showed which cap it was changing: the cap is "
        "now 42 hours. This change is not saved: check it and save again."
    ) in old_tab.text
    worker.refresh_from_db()
    assert worker.weekly_hours_cap == 42
    saved = send(client, url, old_tab.text, new_cap="45", reason="A few more hours")
    assert "weekly cap is now 45 hours." in saved.text


def _omar_sets(client, url: str, other, cap: str, reason: str) -> None:
    """Omar, another supervisor of the team, saves a cap from a page drawn fresh."""
    client.force_login(other.user)
    page = client.get(url).text
    saved = client.post(
        url, {**hidden_fields(page), "new_cap": cap, "reason": reason}, follow=True
    )
    assert f"weekly cap is now {cap} hours." in saved.text


def test_a_cap_put_back_after_signing_in_again_is_refused_when_changed_since(
    clock, client, lead, clinical_team
):
    """The lead's session ended as they saved 45 from a page showing 42; meanwhile
    Omar raised it to 55. Signed in again, the typing is put back: saving it must not
    undo Omar's raise unseen (before, the page drew 55 as the cap it showed)."""
    worker = member(clinical_team, on_shift=False)
    other = supervisor_of(
        clinical_team, user__first_name="Omar", user__last_name="Osei"
    )
    url = reverse("staffing:hours_cap", args=[worker.pk])
    client.force_login(lead.user)
    opened = client.get(url).text
    clock.shift(dt.timedelta(minutes=7))
    _omar_sets(client, url, other, "55", "Surge: raised for this week")
    client.force_login(lead.user)
    session = client.session
    # What the lead's page sent when their session had ended, kept for them.
    session["typed_forms"] = {
        url: {
            **{name: [value] for name, value in hidden_fields(opened).items()},
            "new_cap": ["45"],
            "reason": ["A few more hours"],
        }
    }
    session.save()
    back = client.get(url).text
    assert "What you typed is back in the form" in back
    assert cap_shown(back) == "45"

    response = send(client, url, back, new_cap="45", reason="A few more hours")

    assert "weekly cap is now" not in response.text
    assert (
        "The cap was changed to 55 hours by Omar Osei at 10:07 since you opened this "
        "page. Your change is not saved: check it and save again."
    ) in response.text
    worker.refresh_from_db()
    assert worker.weekly_hours_cap == 55
    # Seen now: saved again from the refused page, it is taken.
    saved = send(client, url, response.text, new_cap="45", reason="A few more hours")
    assert "weekly cap is now 45 hours." in saved.text


def test_typing_kept_from_a_page_that_showed_the_cap_not_the_change_is_refused(
    clock, client, lead, clinical_team
):
    """The reviewer's case, typing kept from a page of the first fix (which sent the
    cap it showed, not the change): put back, it cannot say what it was made from."""
    worker = member(clinical_team, on_shift=False)
    other = supervisor_of(
        clinical_team, user__first_name="Omar", user__last_name="Osei"
    )
    url = reverse("staffing:hours_cap", args=[worker.pk])
    clock.shift(dt.timedelta(minutes=7))
    _omar_sets(client, url, other, "55", "Surge: raised for this week")
    client.force_login(lead.user)
    session = client.session
    session["typed_forms"] = {
        url: {"shown_cap": ["42"], "new_cap": ["45"], "reason": ["A few more hours"]}
    }
    session.save()
    back = client.get(url).text

    response = client.post(
        url, {**hidden_fields(back), "new_cap": "45", "reason": "A few more hours"}
    )

    assert response.status_code == 200
    assert (
        "This page was opened before it showed which cap it was changing: the cap is "
        "now 55 hours, set by Omar Osei at 10:07. This change is not saved"
    ) in response.text
    worker.refresh_from_db()
    assert worker.weekly_hours_cap == 55


def test_a_raise_cancelled_since_the_page_was_opened_is_not_brought_back(
    clock, client, lead, clinical_team
):
    """A to B to A: Omar raised the cap from 42 to 55, then put it back to 42 (not
    approved). A tab opened before both, still showing 42, saving 55 must not bring
    back the raise Omar had just cancelled (before, the caps matched: saved)."""
    worker = member(clinical_team, on_shift=False)
    other = supervisor_of(
        clinical_team, user__first_name="Omar", user__last_name="Osei"
    )
    url = reverse("staffing:hours_cap", args=[worker.pk])
    client.force_login(lead.user)
    stale = client.get(url).text
    clock.shift(dt.timedelta(minutes=5))
    _omar_sets(client, url, other, "55", "Surge: raised for this week")
    clock.shift(dt.timedelta(minutes=4))
    _omar_sets(client, url, other, "42", "Not approved")
    client.force_login(lead.user)

    response = send(client, url, stale, new_cap="55", reason="Surge for the week")

    assert "weekly cap is now" not in response.text
    assert (
        "The cap was changed to 42 hours by Omar Osei at 10:09 since you opened this "
        "page. Your change is not saved: check it and save again."
    ) in response.text
    worker.refresh_from_db()
    assert worker.weekly_hours_cap == 42
    assert list(
        HoursCapChange.objects.filter(profile=worker)
        .order_by("changed_at", "pk")
        .values_list("old_cap", "new_cap")
    ) == [(42, 55), (55, 42)]
