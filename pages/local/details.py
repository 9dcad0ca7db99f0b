"""The person's details corrected on an escalation's page ("Their details"), by
whoever may work that escalation while it is open (any member of its team, a client
bound to it, an administrator: work.person_details.details_correct_refusal), with
the case and contact pages' form and rules, through the same operation
(work.person_details.person_details_correct), from "local team page".

The team that knocks on the door is who learns the right phone number or address.
What it saves changes the person, not where their escalated item is: the item stays
with the team (sent back only by the team's "Send back"), and the person's other
work follows as it follows a caseworker's correction; the page says so.

A plain POST and a redirect to the page with what was saved said; typing that is
refused drawn again as typed, each problem beside its field. A form sent once the
escalation was closed or sent back (or closed meanwhile) is not saved: the page says
why, and shows what was typed, to pass on.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from cases.errors import IllegalTransition
from cases.workitem import Status, WorkItem
from escalations.models import Escalation
from work.access.escalations import get_escalation_for, require_local_workspace
from work.person_details import (
    DETAILS,
    LOCAL_TEAM_PAGE,
    details_correct_refusal,
)

from ..desk.details import details_sent
from ..desk.details_form import PersonDetailsForm
from ..typed import typed_value

# Where the page opens after the form: the section itself.
SECTION = "#details"
NOT_SAVED = "Nothing was saved. What you typed is below, to pass on."
INTRO = (
    "Change what they tell you is wrong, or has changed, and save: the old details "
    "are kept in their history, and their texts and emails go to the details saved "
    "here."
)
FOLLOWS = "Their other work still with the phones follows a new postcode to its area."


def escalation_details(
    request: HttpRequest,
    escalation: Escalation,
    *,
    form: PersonDetailsForm | None = None,
    not_saved: dict[str, Any] | None = None,
    keep_back: str = "",
    typed_back: bool = False,
) -> dict[str, Any]:
    """What templates/escalations/_details.html draws: the form (as held, unless
    one with typing or errors is given; open with errors, or with the typing put
    back after the session ended, `typed_back`) while the viewer may correct the
    details from this escalation, else why not; and a form refused (`not_saved`).
    The form posts with the page's way back (`keep_back`), as its other forms do.
    No query for a member of the team: the person is the page's own."""
    item = escalation.item
    refused = details_correct_refusal(request.user, item, escalation=escalation)
    return {
        "details_form": form or PersonDetailsForm.of(item.person),
        "details_url": reverse("escalations:details", args=[escalation.pk]) + keep_back,
        "details_refusal": "" if refused is None else str(refused),
        "details_notice": "",
        "details_plain": True,
        "details_summary": "Correct their details",
        "details_intro": f"{INTRO} {_stays(item)} {FOLLOWS}",
        "details_not_saved": not_saved,
        # Typing put back after the session ended (views._typed_back): shown, not
        # folded away to be left unsaved.
        "details_open": typed_back,
    }


def _stays(item: WorkItem) -> str:
    """Where the item stays whatever is saved: with the team when it is escalated;
    else as it is (a case completed before a concern was raised on it: only the
    concern is the team's, WorkItem.mark_escalated)."""
    if item.status == Status.ESCALATED:
        return f"This {item.kind} stays with your team whatever you save."
    status = item.get_status_display().lower()
    holder = " and its caseworker's" if item.kind == "case" else ""
    return (
        f"This {item.kind} is {status}, and stays {status}{holder} whatever you "
        "save: only the concern raised on it is your team's. The details you "
        "correct are the person's."
    )


@login_required
@require_POST
def escalation_details_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct the person's details from the escalation. 403 for anyone outside the
    local teams, 404 for another team's escalation (never told to exist)."""
    # Here, not above: the escalation's page (views) draws this section from here.
    from .views import _detail_response, _to_detail  # noqa: PLC0415

    require_local_workspace(request.user)
    escalation = get_escalation_for(request.user, pk)
    refused = details_correct_refusal(
        request.user, escalation.item, escalation=escalation
    )
    if isinstance(refused, PermissionDenied):
        raise refused
    if refused is not None:
        return _not_saved(request, escalation, refused)
    sent = details_sent(request, escalation.item, source=LOCAL_TEAM_PAGE)
    if sent.refused is not None:
        # Closed or sent back between the read above and the operation's lock.
        return _not_saved(request, get_escalation_for(request.user, pk), sent.refused)
    if sent.done is not None:
        if sent.done.changed:
            messages.success(request, sent.done.said)
        else:
            messages.info(request, sent.done.said)
        return _to_section(_to_detail(request, pk))
    return _detail_response(request, escalation, status=400, details_form=sent.form)


def _to_section(response: HttpResponse) -> HttpResponse:
    response["Location"] += SECTION
    return response


def _not_saved(
    request: HttpRequest, escalation: Escalation, refused: IllegalTransition
) -> HttpResponse:
    """A form sent once the escalation no longer takes it: the page with why, and
    the details its user changed as typed (409); with none changed, the reason on
    the page."""
    from .views import _detail_response, _to_detail  # noqa: PLC0415

    why = str(refused)
    rows = _typed_changes(request)
    if not rows:
        messages.error(request, why)
        return _to_section(_to_detail(request, escalation.pk))
    return _detail_response(
        request,
        escalation,
        status=409,
        details_not_saved={"text": f"{why} {NOT_SAVED}", "rows": rows},
    )


def _typed_changes(request: HttpRequest) -> list[tuple[str, str]]:
    """The details the form sent changed from what it was drawn with, as typed,
    each with its field's label."""
    form = PersonDetailsForm(request.POST)
    drawn = form.drawn()
    rows = []
    for name in DETAILS:
        key = form.add_prefix(name)
        if key not in request.POST:
            continue
        typed = typed_value(request.POST, key).strip()
        if typed != drawn.get(name, "").strip():
            label = str(form.fields[name].label).removesuffix(" (optional)")
            rows.append((label, typed))
    return rows
