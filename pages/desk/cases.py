"""The caseworker's workspace: the queue ("My work") and the case page.

The case page is one piece of work in sections (the calls, the risk assessment, the
contacts, the settings visited, completing). With htmx each section is sent on its
own and only that section is drawn again, in place, so what is typed in the others
stays on the page; without JavaScript each is a normal POST and redirect. Typing in
the risk assessment and the contact rows is kept as a draft on the server (the
caseworker's own), drawn into the forms again when the page is, and cleared when the
section is saved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

import phonenumbers
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Case as DbCase
from django.db.models import Exists, OuterRef, QuerySet, Subquery, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from audit.services import audit_list_view, audit_view
from calls.models import Script
from calls.selectors import articles_matching
from cases.errors import IllegalTransition
from cases.models import (
    EPISODE_DAYS,
    Case,
    CaseDraft,
    FurtherResult,
    RiskAssessment,
    SettingVisit,
)
from cases.workitem import UNREACHED, Status, WorkItem
from clock import SENT_TWICE_WITHIN
from clock.written import short_time, short_time_today
from contacts.models import Contact, Exposure, IsolationChange
from escalations.models import Escalation
from escalations.selectors import open_escalation_of
from online.models import OnlineLink
from online.texts import long_date
from people.models import Message
from staffing.access import active_profile_of
from staffing.models import Shift, StaffProfile
from staffing.selectors.members import on_shift_until, when_said
from work import casework
from work.access.actor import Actor
from work.access.cases import get_case_to_work, may_work_case
from work.access.contacts import may_work_contact
from work.access.isolation import may_override_isolation
from work.access.withdraw import may_withdraw
from work.assignment import assign_work
from work.casework import (
    AssessmentSavedSince,
    ContactRowsRefused,
    case_assessment_record,
    case_complex_team,
    case_draft_clear,
    case_draft_save,
    case_owes_complex,
    case_visit_add,
    contacts_add_many,
)
from work.compiled import instances_compiled_once
from work.online import (
    SUPPORT_KINDS,
    online_link_resend,
    online_link_withheld,
    online_people_not_saved,
    online_progress,
)
from work.queues import (
    CALLED_AS_CASE,
    current_shift,
    empty_queue_reason,
    next_due_item,
    queue_of,
    with_due_state,
    work_model_for,
    work_queue,
)
from work.rules import isolation_over
from work.sent_twice import case_completed_by, case_completer, visit_just_recorded

from ..typed import TYPING_BACK, typed_form
from .call_forms import CallLogForm, typed_call
from .calls import (
    answered_after_their_date,
    log_call,
    may_read_clinical,
    search_text,
)
from .case_forms import (
    AssessmentForm,
    CompleteForm,
    Difference,
    VisitForm,
    assessment_changed,
    assessment_differences,
    assessment_version,
    typed_assessment,
    typed_visit,
)
from .chain_svg import chain_for_page
from .contact_forms import (
    BaseContactFormSet,
    contact_rows_formset,
    contacts_added_text,
    contacts_sent_twice_text,
    rows_just_added,
    rows_left_to_add,
    typed_rows,
)
from .details_form import PersonDetailsForm, details_context, details_url
from .isolation import changes_of
from .page_reads import calls_of, failed_messages_of, steps_of
from .queue_rows import for_rows, queue_rows_html
from .taken import day_typed, taken_away_is_told, typed_forms_taken_is_told

OPEN = (Status.NEW, Status.ASSIGNED, Status.REACHED)
ASSESSMENT = CaseDraft.Section.ASSESSMENT
CONTACTS = CaseDraft.Section.CONTACTS
PAGE = "cases/case_detail.html"
# What draws the contacts section, the people the case named (docs/access.md: each
# person shown is a read): the whole page, and the section's own htmx answer.
DRAWS_CONTACTS = (PAGE, f"{PAGE}#contacts_response")


def work_url(item) -> str:
    name = "cases:detail" if item.kind == "case" else "contacts:detail"
    return reverse(name, args=[item.pk])


# --- The online route: how a person's link went, and a new one -------------------------


def masked_address(channel: str, to: str) -> str:
    """Where a link went, hidden but for enough to recognise: a number's last 3
    digits (and a UK number's leading "07"), an email's last 3 characters before the
    @ and its domain."""
    if channel == Message.Channel.EMAIL:
        local, at, domain = to.rpartition("@")
        if not at:
            local, domain = to, ""
        keep = min(3, max(len(local) - 1, 0))
        return f"***{local[len(local) - keep :]}{at}{domain}"
    try:
        number = phonenumbers.parse(to, "GB")
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and number.country_code == 44:
        text = phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.NATIONAL
        )
        head = 2  # "07": every UK mobile begins so
    elif number is not None:
        text = phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL
        )
        head = len(str(number.country_code))
    else:
        text, head = to, 0
    digits = sum(ch.isdigit() for ch in text)
    shown, seen = [], 0
    for ch in text:
        if ch.isdigit():
            seen += 1
            if head < seen <= digits - 3:
                ch = "*"
        shown.append(ch)
    return "".join(shown)


def _by(message: Message) -> str:
    return "email" if message.channel == Message.Channel.EMAIL else "text"


def _message_state(message: Message | None, now: datetime) -> str:
    if message is None:
        return "Not sent: there was nowhere to send it"
    status = message.status
    if status == Message.Status.SENT:
        return (
            f"Sent at {short_time_today(message.sent_at, now)}"
            if message.sent_at
            else "Sent"
        )
    if status == Message.Status.DELIVERED:
        at = message.delivered_at or message.sent_at
        return f"Delivered at {short_time_today(at, now)}" if at else "Delivered"
    if status == Message.Status.FAILED:
        reason = message.failure_reason.strip().rstrip(".")
        return f"Failed: {reason}" if reason else "Failed"
    if status == Message.Status.SENDING:
        return "Sending"
    if status == Message.Status.SUPERSEDED:
        return message.failure_reason or "Not sent: replaced by a newer message"
    return "Queued: not sent yet"


@dataclass(frozen=True)
class OnlineSummary:
    """The online progress of a case or contact, as its page says it."""

    link: OnlineLink | None
    kind: str
    sent: str = ""  # "By text to 07*** ***678 at 10:00"
    message: str = ""
    message_failed: bool = False
    opened: str = ""
    answered: str = ""  # a case: contacts entered; a contact: will isolate
    support: str = ""  # a contact: what support they asked for
    note: str = ""  # a contact: what they typed with their answer
    no_call_before: str = ""
    # A contact sent no link: why (too many texts to one number from the case).
    withheld: str = ""
    # A case: the people they entered online that were not saved (asked to call).
    not_saved: str = ""
    may_resend: bool = False
    resend_url: str = ""


@dataclass(frozen=True)
class FailedMessage:
    """A message to the person that never reached them, in words for the page."""

    what: str
    how: str
    reason: str


def _what_was_said(message: Message) -> str:
    if (message.key or "").startswith("isolation_override:"):
        return "Their new isolation end date"  # work.isolation's message
    return message.get_kind_display()


def failed_messages(item: WorkItem, *, now: datetime) -> list[FailedMessage]:
    """What the page warns of: each message about the item that failed for good
    (but its link, which the Online section tells of)."""
    return [
        FailedMessage(
            what=_what_was_said(message),
            how=f"by {_by(message)} to {masked_address(message.channel, message.to)} "
            f"at {short_time_today(message.created_at, now)}",
            reason=message.failure_reason.strip().rstrip("."),
        )
        for message in failed_messages_of(item)
    ]


def online_summary(item: WorkItem, *, now: datetime, resend_url: str) -> OnlineSummary:
    """How the item's latest link went (one query), and whether a new one may be
    sent: only while the item is open."""
    link = online_progress(item)
    is_open = item.status in (OPEN if item.kind == "case" else UNREACHED)
    if link is None:
        # Why no link went, while there is still someone to phone.
        withheld = online_link_withheld(item) if is_open else ""
        return OnlineSummary(link=None, kind=item.kind, withheld=withheld)
    message = link.message
    sent = f"at {short_time_today(link.created_at, now)}"
    if message is not None:
        sent = (
            f"By {_by(message)} to {masked_address(message.channel, message.to)} {sent}"
        )
    else:
        sent = f"Made {sent}"
    if link.created_by is not None:
        by = link.created_by
        sent += f", sent again by {by.get_full_name() or by.username}"
    not_yet = "Not yet"
    if item.kind == "case":
        answered = (
            short_time_today(link.submitted_at, now) if link.submitted_at else not_yet
        )
    elif link.confirmed_at:
        answered = short_time_today(link.confirmed_at, now)
    elif ended := answered_after_their_date(item, link):
        at = short_time_today(link.submitted_at, now)
        answered = f"Not asked: at {at} {ended}"
    elif link.submitted_at:
        at = short_time_today(link.submitted_at, now)
        answered = f"No: at {at} they said they will not or cannot"
    else:
        answered = not_yet
    support = ", ".join(SUPPORT_KINDS.get(k, k) for k in link.support or [])
    no_call_before = ""
    if (
        item.is_unreached
        and link.usable(now)
        and item.next_attempt_at is not None
        and item.next_attempt_at > now
    ):
        at = short_time_today(item.next_attempt_at, now)
        no_call_before = f"No call before {at} unless they answer online."
    return OnlineSummary(
        link=link,
        kind=item.kind,
        sent=sent,
        message=_message_state(message, now),
        message_failed=message is not None and message.status == Message.Status.FAILED,
        opened=short_time_today(link.opened_at, now) if link.opened_at else not_yet,
        answered=answered,
        support=support,
        note=link.note,
        no_call_before=no_call_before,
        not_saved=online_people_not_saved(item) if isinstance(item, Case) else "",
        may_resend=is_open,
        resend_url=resend_url,
    )


def link_resend(
    request: HttpRequest,
    item: WorkItem,
    *,
    page_url: str,
    render_section: Callable[..., TemplateResponse],
) -> HttpResponse:
    """Send the person a new link (the old one stops working). With htmx the online
    section is drawn again, with the confirmation or what stood in the way; without,
    a message and back to the section. PermissionDenied (not theirs): a 403."""
    try:
        link = online_link_resend(item=item, by=request.user)
    except IllegalTransition as exc:
        if request.htmx:
            # No field to link to: the reason, in words (the button may be gone).
            return render_section(errors=[(str(exc), "")])
        messages.error(request, str(exc))
        return redirect(page_url)
    message = link.message
    where = (
        f" by {_by(message)} to {masked_address(message.channel, message.to)}"
        if message is not None
        else ""
    )
    text = f"A new link was sent{where}. The old link no longer works."
    if request.htmx:
        return render_section(notice=text)
    messages.success(request, text)
    return redirect(page_url)


def with_online_state(queue: QuerySet, *, now: datetime) -> QuerySet:
    """The queue with each row's `online_state`: where its latest link stands,
    "sent" (they can still use it), "answered" (they used it), or "". Read in the
    queue's own query (a subquery per row in SQL), so no query is added."""
    latest = (
        OnlineLink.objects.filter(**{queue.model.kind: OuterRef("pk")})
        .order_by("-created_at", "-pk")
        .annotate(
            state=DbCase(
                When(submitted_at__isnull=False, then=Value("answered")),
                When(revoked_at__isnull=True, expires_at__gt=now, then=Value("sent")),
                default=Value(""),
            )
        )
        .values("state")[:1]
    )
    return queue.annotate(online_state=Subquery(latest))


# --- My work ---------------------------------------------------------------------------


def _my_work_queue(now: datetime, user_id: int, *, model: Any) -> QuerySet:
    """My work's queue as its rows draw it: the items held, due first, with where
    their online link stands."""
    return with_online_state(for_rows(queue_of(model, user_id), model.kind), now=now)


def _shift_with_spell_end(user: Any, *, now: datetime) -> Shift | None:
    """The person's shift under way (as work.queues.current_shift reads it), with
    `spell_ends_at`: the end of the spell of back-to-back shifts it is part of, as
    the supervisor's board says it and assignment treats them (on shift
    throughout; staffing's on_shift_until). In the one query of the shift, composed
    once per process (work.compiled): My work reads it on every visit."""
    profile = active_profile_of(user)
    if profile is None:
        return None
    shifts = instances_compiled_once(
        "current shift and its spell", Shift, _shift_and_spell, now, staff_id=profile.pk
    )
    return shifts[0] if shifts else None


def _shift_and_spell(now: datetime, staff_id: int) -> QuerySet[Shift]:
    spell_end = (
        StaffProfile.objects.filter(pk=OuterRef("staff_id"))
        .annotate(spell_end=on_shift_until(now))
        .values("spell_end")[:1]
    )
    return (
        Shift.objects.on_now(now)
        .filter(staff_id=staff_id)
        .annotate(spell_ends_at=Subquery(spell_end))
        .order_by("ends_at")[:1]
    )


def _on_shift_until(shift: Shift | None, *, now: datetime) -> str:
    """When the person's spell on shift ends, in the board's words ("18:00", "06:00
    tomorrow"); "" off shift."""
    if shift is None:
        return ""
    return when_said(getattr(shift, "spell_ends_at", None) or shift.ends_at, now)


@login_required
@require_GET
def my_work(request: HttpRequest) -> TemplateResponse:
    """The signed-in person's queue, due first, overdue marked."""
    now = timezone.now()
    model = work_model_for(request.user)
    kind = model.kind if model else ""
    items = []
    if model is not None:
        # Read on every visit: its query is composed once per process (work.compiled).
        items = instances_compiled_once(
            ("my work", kind),
            model,
            partial(_my_work_queue, model=model),
            now,
            user_id=request.user.pk,
        )
    items = with_due_state(items, now=now)
    audit_list_view(user=request.user, items=items, via="page", list_name="my work")
    shift = _shift_with_spell_end(request.user, now=now)
    return TemplateResponse(
        request,
        "work/queue.html",
        {
            "items": items,
            "rows": queue_rows_html(items, kind=kind),
            "kind": kind,
            "shift": shift,
            "on_shift_until": _on_shift_until(shift, now=now),
            "now": now,
            "empty_reason": None
            if items
            else empty_queue_reason(request.user, now=now, shift=shift),
        },
    )


@login_required
@require_POST
def next_item(request: HttpRequest) -> HttpResponse:
    """Open the next due item. With nothing to call now or later (an empty queue,
    items out of time, or contacts held back because their person is now a case),
    ask for work from the pool first."""
    now = timezone.now()
    item = next_due_item(request.user, now=now)
    if item is not None:
        return redirect(work_url(item))
    queue = work_queue(request.user)
    upcoming = _to_call(queue).filter(next_attempt_at__gt=now).first()
    if upcoming is not None:
        messages.info(
            request,
            f"Nothing in your queue is due yet: the next call is due at "
            f"{short_time(upcoming.next_attempt_at)}.",
        )
        return redirect("cases:queue")
    shift = current_shift(request.user, now=now)
    if shift is not None:
        assign_work(now=now)
        item = next_due_item(request.user, now=now)
        if item is not None:
            return redirect(work_url(item))
    messages.info(request, _nothing_due(request.user, queue, now=now, shift=shift))
    return redirect("cases:queue")


def _to_call(queue: QuerySet) -> QuerySet:
    """The items of a queue that may be called: not a contact held back because
    their person is a case being worked (work.queues.called_as_case), for whom no
    call is due, now or later, while that case is open."""
    if queue.model is Contact:
        return queue.filter(**{CALLED_AS_CASE: False})
    return queue


def _held_back_count(queue: QuerySet) -> int:
    """How many of a queue's contacts are held back as their person is now a case."""
    if queue.model is not Contact:
        return 0
    return queue.filter(**{CALLED_AS_CASE: True}).count()


def _nothing_due(
    user: Any, queue: QuerySet, *, now: datetime, shift: Shift | None
) -> str:
    """Why Next item opened nothing, though it asked the pool when it could: what
    the person holds (out of time, or held back as a case) and why no work came.
    Work out of time leaves for the local team within minutes, making room: "try
    again shortly" follows it only when the queue's reason is that nothing waits;
    any other (off shift, their shift ending, their cap full) is said as it is: it
    decides whether trying again brings work."""
    held_back = _held_back_count(queue)
    out_of_time = _to_call(queue).exists()
    reason = empty_queue_reason(user, now=now, shift=shift)
    if not held_back and not out_of_time:
        return reason.text
    said = ["Nothing in your queue is due."]
    if held_back:
        said.append(_held_back_said(held_back))
    if out_of_time:
        said.append(
            f"{'The rest of what' if held_back else 'What'} you hold is out of time "
            "for calls (they refused, the number was wrong or the attempts are "
            "spent) and goes to the local team within a few minutes."
        )
    if out_of_time and reason.code == "nothing_waiting":
        said.append("Try “Next item” again shortly for new work.")
    else:
        said.append(reason.text)
    return " ".join(said)


def _held_back_said(count: int) -> str:
    """The contacts held back as their person is now a case, in the contact page's
    words (templates/calls/_call_panel.html), and when calls to them start again
    (work.queues: once the case is no longer being worked)."""
    if count == 1:
        return (
            "The contact you hold has tested positive and is now a case: a "
            "caseworker calls them about it, and no call to them is due while their "
            "case is open. Once the caseworker has finished with it, the contact is "
            "due for calls again."
        )
    return (
        f"The {count} contacts you hold have tested positive and are now cases: "
        "caseworkers call them about it, and no call to them is due while their "
        "cases are open. Once the caseworkers have finished with them, the contacts "
        "are due for calls again."
    )


# --- The case page -----------------------------------------------------------------


def _assessment_of(case: Case) -> RiskAssessment | None:
    try:
        return case.assessment
    except RiskAssessment.DoesNotExist:
        return None


def _contacts_of(case: Case) -> list[Contact]:
    # Read on every case page: composed once per process (work.compiled).
    contacts = instances_compiled_once(
        "case's contacts", Contact, _contacts_query, case_id=case.pk
    )
    for contact in contacts:
        contact.case = case  # as case.contacts gives them: their case without a query
    return contacts


def _contacts_query(case_id: int) -> QuerySet[Contact]:
    # Each with whether its end date was changed (an override, becoming a case).
    changed = IsolationChange.objects.filter(contact=OuterRef("pk"))
    return (
        Contact.objects.filter(case_id=case_id)
        .select_related("person", "assignee")
        .annotate(isolation_changed=Exists(changed))
        .order_by("pk")
    )


@dataclass
class NamedElsewhere:
    """Someone this case named who was already another case's contact: the naming
    (an Exposure row) joined that contact. With the pages the user may open."""

    exposure: Exposure
    contact_url: str = ""
    case_url: str = ""


def _named_elsewhere(case: Case, who: Any) -> list[NamedElsewhere]:
    """The people this case named who are contacts of another case (one query)."""
    actor = Actor.of(who)
    # Read on every case page: composed once per process (work.compiled).
    exposures = instances_compiled_once(
        "named elsewhere", Exposure, _exposures_query, case_id=case.pk
    )
    return [
        NamedElsewhere(
            exposure=e,
            contact_url=reverse("contacts:detail", args=[e.contact_id])
            if may_work_contact(actor, e.contact)
            else "",
            case_url=reverse("cases:detail", args=[e.contact.case_id])
            if may_work_case(actor, e.contact.case)
            else "",
        )
        for e in exposures
    ]


def _exposures_query(case_id: int) -> QuerySet[Exposure]:
    return (
        Exposure.objects.filter(case_id=case_id)
        .select_related("contact__person", "contact__case")
        .order_by("pk")
    )


def _drafts_of(case: Case, user: Any) -> list[CaseDraft]:
    """The user's drafts of the case's sections (composed once: work.compiled)."""
    return instances_compiled_once(
        "case drafts", CaseDraft, _drafts_query, case_id=case.pk, user_id=user.pk
    )


def _drafts_query(case_id: int, user_id: int) -> QuerySet[CaseDraft]:
    return CaseDraft.objects.filter(case_id=case_id, user_id=user_id)


def _visits_of(case: Case) -> list[SettingVisit]:
    """The settings the case visited, in order (composed once: work.compiled), each
    with its case as case.visits gives them."""
    visits = instances_compiled_once(
        "case visits", SettingVisit, _visits_query, case_id=case.pk
    )
    for visit in visits:
        visit.case = case
    return visits


def _visits_query(case_id: int) -> QuerySet[SettingVisit]:
    return (
        SettingVisit.objects.filter(case_id=case_id)
        .select_related("setting")
        .order_by("visited_on", "pk")
    )


def _people_named(case: Case) -> list[Contact]:
    """Every contact this case named: its own, and those of other cases it joined
    (what typed contact rows are compared with, to tell what is left to add)."""
    return list(Contact.objects.named_by(case.pk).select_related("person"))


def _further_results_of(case: Case) -> list[FurtherResult]:
    """The further positive results kept with the case (the same episode), oldest
    specimen first; each says how many days before the case's own specimen it was
    taken (`days_earlier`, 0 when not earlier), for the page to point out."""
    # Read on every case page: composed once per process (work.compiled).
    further = instances_compiled_once(
        "case's further results", FurtherResult, _further_results_query, case_id=case.pk
    )
    for result in further:
        result.days_earlier = max((case.specimen_date - result.specimen_date).days, 0)
    return further


def _further_results_query(case_id: int) -> QuerySet[FurtherResult]:
    return FurtherResult.objects.filter(case_id=case_id).order_by(
        "specimen_date", "received_at", "pk"
    )


def _page_url(case: Case, section: str = "") -> str:
    url = reverse("cases:detail", args=[case.pk])
    return f"{url}#{section}" if section else url


def _restored_rows(
    draft: CaseDraft | None, contacts: list[Contact]
) -> list[dict[str, Any]]:
    """A contacts draft's rows still to add, in their places (rows already added,
    or emptied, drawn empty)."""
    if draft is None:
        return []
    rows = draft.data.get("rows") or []
    left = dict(rows_left_to_add(rows, contacts))
    if not left:
        return []
    return [left.get(index, {}) for index in range(max(left) + 1)]


def _contacts_shown(
    user: Any, contacts: list[Contact], named_elsewhere: list[NamedElsewhere]
) -> None:
    """The contacts section shows each person the case named (name, phone or email,
    exposure, isolation): a read of each, audited as a list viewed, in one INSERT."""
    audit_list_view(
        user=user,
        items=[*contacts, *(n.exposure.contact for n in named_elsewhere)],
        via="page",
        list_name="case contacts",
    )


def _case_page(
    request: HttpRequest,
    case: Case,
    *,
    call_form: CallLogForm | None = None,
    assessment_form: AssessmentForm | None = None,
    contact_formset: BaseContactFormSet | None = None,
    visit_form: VisitForm | None = None,
    complete_form: CompleteForm | None = None,
    complete_errors: list[tuple[str, str]] | None = None,
    notices: dict[str, str] | None = None,
    online_errors: list[tuple[str, str]] | None = None,
    saved_since: list[Difference] | None = None,
    not_added: NotAdded | None = None,
    over_typing: OverTyping | None = None,
    details_form: PersonDetailsForm | None = None,
    details_open: bool = False,
    template: str = PAGE,
) -> TemplateResponse:
    query = search_text(request)
    assessment = _assessment_of(case)
    is_open = case.status in OPEN
    now = timezone.now()
    with_due_state([case], now=now)
    contacts = _contacts_of(case)
    named_elsewhere = _named_elsewhere(case, request.user)
    if template in DRAWS_CONTACTS:
        _contacts_shown(request.user, contacts, named_elsewhere)
    drafts = {d.section: d for d in _drafts_of(case, request.user)} if is_open else {}
    # What was typed and not saved is drawn into the forms again, and said to be so.
    assessment_draft_at = contacts_draft_at = None
    if assessment_form is None:
        draft = drafts.get(ASSESSMENT)
        typed = None
        if draft is not None and assessment_changed(
            draft.data, case=case, assessment=assessment
        ):
            typed, assessment_draft_at = draft.data, draft.updated_at
        assessment_form = AssessmentForm(instance=assessment, case=case, initial=typed)
    if contact_formset is None:
        rows = _restored_rows(
            drafts.get(CONTACTS),
            contacts + [n.exposure.contact for n in named_elsewhere],
        )
        if rows:
            contacts_draft_at = drafts[CONTACTS].updated_at
        contact_formset = contact_rows_formset(case, rows=rows)
    return TemplateResponse(
        request,
        template,
        {
            "case": case,
            "person": case.person,
            "assessment": assessment,
            "is_open": is_open,
            "concern_only": case.is_done_with,
            # A concern raised on it once completed, still with the team: said, and
            # no second one offered (work.escalation refuses it).
            "concern_open": open_escalation_of(case) if case.tracing_over else None,
            "reached": case.status == Status.REACHED or case.reached_at is not None,
            "history": calls_of(case),
            "contacts": contacts,
            "named_elsewhere": named_elsewhere,
            "contacts_named": len(contacts) + len(named_elsewhere),
            "visits": _visits_of(case),
            "steps": steps_of(Script.Audience.CASE),
            "query": query,
            "articles": articles_matching(
                query, clinical=may_read_clinical(request.user)
            )
            if query
            else None,
            "call_form": call_form or CallLogForm(),
            "call_url": reverse("cases:call", args=[case.pk]),
            "draft_url": reverse("cases:draft", args=[case.pk]),
            "assessment_form": assessment_form,
            "assessment_draft_at": assessment_draft_at,
            "saved_since": saved_since,
            "contact_formset": contact_formset,
            "contacts_draft_at": contacts_draft_at,
            "not_added": not_added,
            "over_typing": over_typing,
            "visit_form": visit_form or VisitForm(case=case),
            "complete_form": complete_form or CompleteForm(),
            "complete_errors": complete_errors or [],
            "notices": notices or {},
            "notice": (notices or {}).get("calls", ""),
            # Read only if drawn: the whole page and the online section draw it.
            "online": SimpleLazyObject(
                lambda: online_summary(
                    case,
                    now=now,
                    resend_url=reverse("cases:online_resend", args=[case.pk]),
                )
            ),
            "online_notice": (notices or {}).get("online", ""),
            "online_errors": online_errors or [],
            # Read only if drawn: the whole page draws it, no section does.
            "chain": SimpleLazyObject(lambda: chain_for_page(request.user, case=case)),
            "failed_messages": SimpleLazyObject(lambda: failed_messages(case, now=now)),
            # Read only if drawn: the case's facts (the whole page, the assessment).
            "isolation_changes": SimpleLazyObject(lambda: changes_of(case)),
            # No day left to stay at home until: the page says it ended.
            "isolation_over": isolation_over(
                case.isolation_ends_on, today=timezone.localdate(now)
            ),
            # Read only if drawn: the whole page draws it, no section does.
            "further_results": SimpleLazyObject(lambda: _further_results_of(case)),
            "may_override": may_override_isolation(request.user, case)
            and case.status != Status.WITHDRAWN,
            "episode_days": EPISODE_DAYS,
            # The result sent in error: said at the top, and no form is drawn.
            "withdrawn": case.status == Status.WITHDRAWN,
            "may_withdraw": case.status != Status.WITHDRAWN
            and may_withdraw(request.user),
            # Their details, to correct as they give them (pages.desk.details).
            **details_context(
                case, form=details_form, notice=(notices or {}).get("details", "")
            ),
            # Typing put back after the session ended: drawn open, not folded away.
            "details_open": details_open,
        },
    )


def _section(
    request: HttpRequest, case: Case, name: str, **page: Any
) -> TemplateResponse:
    """With htmx, one section of the case page (and the few things elsewhere on the
    page that it changes); without, the whole page, at that section."""
    template = f"{PAGE}#{name}_response" if request.htmx else PAGE
    return _case_page(request, case, template=template, **page)


def _saved(request: HttpRequest, case: Case, name: str, text: str) -> HttpResponse:
    """A section saved: with htmx it is drawn again in place with the confirmation
    (which takes focus); without, a message and back to that section."""
    if request.htmx:
        case = get_case_to_work(request.user, case.pk)  # as saved, assessment and all
        return _section(request, case, name, notices={name: text})
    messages.success(request, text)
    return redirect(_page_url(case, name))


def _typing_back(request: HttpRequest, case: Case) -> dict[str, Any]:
    """Forms posted after the session ended, kept through signing in again: each is
    drawn again with what was typed (not saved: the caseworker checks and sends it),
    and a message says so."""
    page: dict[str, Any] = {}
    typed = {
        name: typed_form(request, action=reverse(f"cases:{name}", args=[case.pk]))
        for name in ("call", "assessment", "contacts", "visit", "draft")
    }
    # A draft sent as they typed, after the session ended: the latest typing of its
    # section, unless that section's form was sent too.
    if (data := typed["draft"]) is not None:
        section = data.get("section")
        if section == ASSESSMENT and typed["assessment"] is None:
            typed["assessment"] = data
        elif section == CONTACTS and typed["contacts"] is None:
            typed["contacts"] = data
    if (data := typed["call"]) is not None:
        page["call_form"] = CallLogForm(initial=typed_call(data))
    if (data := typed["assessment"]) is not None:
        page["assessment_form"] = AssessmentForm(
            instance=_assessment_of(case), case=case, initial=typed_assessment(data)
        )
    if (data := typed["contacts"]) is not None and (rows := typed_rows(data)):
        page["contact_formset"] = contact_rows_formset(case, rows=rows)
    if (data := typed["visit"]) is not None:
        page["visit_form"] = VisitForm(case=case, initial=typed_visit(data))
    if (data := typed_form(request, action=details_url(case))) is not None:
        page["details_form"] = PersonDetailsForm.of(case.person, typed=data)
        page["details_open"] = True
    if page:
        messages.warning(request, TYPING_BACK)
    return page


@typed_forms_taken_is_told
@login_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> TemplateResponse:
    case = get_case_to_work(request.user, pk)
    audit_view(user=request.user, obj=case, via="page")
    page = _typing_back(request, case) if case.status in OPEN else {}
    return _case_page(request, case, **page)


def _refuse_if_closed(request: HttpRequest, case: Case) -> HttpResponse | None:
    """A case no longer open changes no more: the message of the service, and the
    page drawn again to show where the case is now."""
    if case.status in OPEN:
        return None
    messages.error(
        request,
        f"This case is {case.get_status_display().lower()}: it can no longer be changed.",
    )
    if request.htmx:
        return HttpResponseClientRefresh()
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_POST
@taken_away_is_told
def case_call(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_to_work(request.user, pk)
    return log_call(
        request,
        case,
        page_url=_page_url(case, "call-panel"),
        still_theirs=lambda: may_work_case(request.user, case),
        render_panel=lambda form, notice: _case_page(
            request,
            case,
            call_form=form,
            notices={"calls": notice} if notice else None,
            template=f"{PAGE}#calls_response",
        ),
        render_page=lambda form: _case_page(request, case, call_form=form),
    )


@login_required
@require_POST
@taken_away_is_told
def case_assessment(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_to_work(request.user, pk)
    if refused := _refuse_if_closed(request, case):
        return refused
    if request.POST.get("discard"):
        case_draft_clear(case=case, by=request.user, section=ASSESSMENT)
        return _saved(
            request,
            case,
            "assessment",
            "Your unsaved changes to the risk assessment are undone.",
        )
    form = AssessmentForm(request.POST, instance=_assessment_of(case), case=case)
    if form.is_valid():
        try:
            case_assessment_record(
                case=case,
                details=form.details(),
                by=request.user,
                drawn_from=form.drawn_from_version(),
            )
        except AssessmentSavedSince as exc:
            return _assessment_saved_since(request, case, form, exc)
        except IllegalTransition as exc:
            form.add_error(None, str(exc))
        else:
            text = (
                "Risk assessment saved. Isolation ends on "
                f"{long_date(case.isolation_ends_on)}."
            )
            if case_owes_complex(case):
                # Theirs still, to finish the call; completing it sends it.
                text += (
                    f" {case.get_complex_setting_display()} is a complex setting: "
                    "when you complete this case it goes to "
                    f"{case_complex_team(case).name} as a complex case."
                )
            case_draft_clear(case=case, by=request.user, section=ASSESSMENT)
            return _saved(request, case, "assessment", text)
    return _section(request, case, "assessment", assessment_form=form)


def _saved_since_text(exc: AssessmentSavedSince) -> str:
    saved = exc.assessment
    at = short_time(saved.assessed_at)
    if exc.by_them:
        return (
            f"You saved this assessment at {at} in another tab or window, after "
            "this page was opened. These changes are not saved: check what is saved "
            "now, below, and save again."
        )
    return (
        f"{exc.saved_by} saved this assessment at {at}, after you opened this page. "
        "Your changes are not saved: check theirs, below, and save again."
    )


def _assessment_saved_since(
    request: HttpRequest, case: Case, form: AssessmentForm, exc: AssessmentSavedSince
) -> TemplateResponse:
    """A save made from an older assessment than the one saved now: nothing saved,
    the typing drawn again with who saved since and where theirs differs, the form
    now drawn from theirs (so that, once checked, saving again is taken)."""
    case = get_case_to_work(request.user, case.pk)  # as saved since, assessment and all
    saved = _assessment_of(case) or exc.assessment
    form.add_error(None, _saved_since_text(exc))
    form.whole_form_anchor = "assessment-saved-since"  # the summary links to the table
    form.drawn_from = assessment_version(saved)
    return _section(
        request,
        case,
        "assessment",
        assessment_form=form,
        saved_since=assessment_differences(form, case=case, saved=saved),
    )


@login_required
@require_POST
@taken_away_is_told
def case_contacts(request: HttpRequest, pk: int) -> HttpResponse:
    """Several contacts at once: all saved, or none, with each bad row marked. Rows
    sent to a case closed meanwhile are drawn again, not added (_not_added)."""
    case = get_case_to_work(request.user, pk)
    if not_added := _rows_not_added(request, case):
        return not_added
    if refused := _refuse_if_closed(request, case):
        return refused
    if request.POST.get("discard"):
        case_draft_clear(case=case, by=request.user, section=CONTACTS)
        return _saved(request, case, "contacts", "The contact rows are cleared.")
    formset = contact_rows_formset(case, request.POST)
    if formset.is_valid():
        filled = formset.filled_forms()
        rows = [f.details() for f in filled]
        try:
            added = contacts_add_many(case=case, rows=rows, by=request.user)
        except IllegalTransition:
            # Closed between the read above and the operation's lock.
            case.refresh_from_db()
            if not_added := _rows_not_added(request, case):
                return not_added
            raise
        except ContactRowsRefused as exc:
            if (added := rows_just_added(request.user, case, rows)) is not None:
                # The first sending of these rows added them.
                return _saved(
                    request,
                    case,
                    "contacts",
                    contacts_sent_twice_text(added, who=request.user),
                )
            for index, reason in exc.errors.items():
                filled[index].add_error(None, reason)
        else:
            case_draft_clear(case=case, by=request.user, section=CONTACTS)
            return _saved(
                request,
                case,
                "contacts",
                contacts_added_text(added, who=request.user),
            )
    return _section(request, case, "contacts", contact_formset=formset)


def _rows_not_added(request: HttpRequest, case: Case) -> HttpResponse | None:
    """Contact rows sent to a case no longer open, drawn again as typed (_not_added),
    whenever the case closed: before the page was sent, or while it was being
    saved. None when the case is open, the rows are being cleared, or every row is
    on the case already."""
    if case.status in OPEN or request.POST.get("discard"):
        return None
    rows = rows_left_to_add(typed_rows(request.POST), _people_named(case))
    if not rows:
        return None
    return _section(
        request,
        case,
        "contacts",
        not_added=_not_added(request, case, [r for _, r in rows]),
    )


@dataclass(frozen=True)
class NotAdded:
    """Contact rows sent to a case closed meanwhile: what the caseworker is told, and
    the rows as they typed them (`exposure` in words), drawn again to be passed on."""

    text: str
    rows: list[dict[str, str]]


def _not_added(
    request: HttpRequest, case: Case, rows: list[dict[str, Any]]
) -> NotAdded:
    """Rows sent after someone else completed the case (or it closed otherwise):
    nothing is added, for a case no longer open takes no more contacts (nothing in
    the service reopens one), so the rows typed are drawn again with who closed it
    and when, to be passed on rather than lost to a page refreshed. Before, the
    page was refreshed (redirected), the rows thrown away, and the case stood
    recorded as having none."""
    status = case.get_status_display().lower()
    n = len(rows)
    them = "them" if n != 1 else "it"
    whom = "a supervisor"
    lead = f"This case is {status}: it can no longer be changed."
    if case.status == Status.COMPLETED:
        at = (
            short_time_today(case.completed_at, timezone.now())
            if case.completed_at
            else ""
        )
        by = case_completer(case)
        if by is not None and by.pk == request.user.pk:
            lead = f"You completed this case at {at}."
        elif by is not None:
            name = by.get_full_name() or by.username
            lead, whom = f"{name} completed this case at {at}.", name
        elif at:
            lead = f"This case was completed at {at}."
    what = (
        f"The {n} contacts you typed were not added"
        if n != 1
        else "The contact you typed was not added"
    )
    text = (
        f"{lead} {what}: a case that is {status} takes no more contacts. "
        f"{'They are' if n != 1 else 'It is'} below as you typed {them}: pass "
        f"{them} on to {whom}."
    )
    kinds = dict(Contact.Exposure.choices)
    shown = [
        {
            **{k: str(v) for k, v in row.items()},
            "exposure_date": day_typed(str(row.get("exposure_date", ""))),
            "exposure": kinds.get(row.get("exposure", ""), row.get("exposure", "")),
        }
        for row in rows
    ]
    return NotAdded(text=text, rows=shown)


@login_required
@require_POST
@taken_away_is_told
def case_visit(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_to_work(request.user, pk)
    if refused := _refuse_if_closed(request, case):
        return refused
    form = VisitForm(request.POST, case=case)
    if form.is_valid():
        details = form.details()
        try:
            case_visit_add(case=case, details=details, by=request.user)
        except IllegalTransition as exc:
            if visit_just_recorded(request.user, case, details):
                day = details.visited_on
                return _saved(
                    request,
                    case,
                    "settings",
                    f"Visit to {details.name} on {day.day} {day:%b %Y} recorded "
                    "(it was sent twice, and recorded once).",
                )
            form.add_error(None, str(exc))
        else:
            return _saved(
                request,
                case,
                "settings",
                f"Visit to {form.cleaned_data['name']} recorded.",
            )
    return _section(request, case, "settings", visit_form=form)


@login_required
@require_POST
@taken_away_is_told
def case_online_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the case a new link to enter their contacts (the old one stops working)."""
    case = get_case_to_work(request.user, pk)
    return link_resend(
        request,
        case,
        page_url=_page_url(case, "online"),
        render_section=lambda notice="", errors=None: _section(
            request,
            case,
            "online",
            notices={"online": notice} if notice else None,
            online_errors=errors,
        ),
    )


# --- drafts ----------------------------------------------------------------------------


@login_required
@require_POST
def case_draft(request: HttpRequest, pk: int) -> HttpResponse:
    """Keep what has been typed in the risk assessment or the contact rows (sent by
    htmx as it is typed): the caseworker's own draft, drawn into the page again when
    it is drawn again. Typing that matches what is saved is no draft."""
    case = get_case_to_work(request.user, pk)
    section = request.POST.get("section", "")
    if case.status not in OPEN:
        return HttpResponse(
            "This case can no longer be changed.", status=409, content_type="text/plain"
        )
    if section == ASSESSMENT:
        typed = typed_assessment(request.POST)
        unsaved = assessment_changed(typed, case=case, assessment=_assessment_of(case))
        data: dict[str, Any] = typed
    elif section == CONTACTS:
        rows = typed_rows(request.POST)
        unsaved = bool(rows_left_to_add(rows, _people_named(case)))
        data = {"rows": rows}
    else:
        return HttpResponseBadRequest(
            "Say which section the draft is of.", content_type="text/plain"
        )
    if unsaved:
        case_draft_save(case=case, by=request.user, section=section, data=data)
    else:
        case_draft_clear(case=case, by=request.user, section=section)
    return HttpResponse(status=204)


# --- completing ------------------------------------------------------------------------


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _typing_left(
    request: HttpRequest, case: Case
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The assessment and the contact rows as typed: as the page sent them with the
    request (htmx includes those forms: typing of the last moment, before its draft
    went), or else as the caseworker's drafts keep them."""
    post = request.POST
    drafts = {
        d.section: d.data
        for d in CaseDraft.objects.filter(case=case, user=request.user)
    }
    typed = typed_assessment(post) if "occupation" in post else drafts.get(ASSESSMENT)
    if "contacts-TOTAL_FORMS" in post:
        rows = typed_rows(post)
    else:
        rows = (drafts.get(CONTACTS) or {}).get("rows") or []
    return typed, rows


@dataclass(frozen=True)
class OverTyping:
    """Someone else's typing left unsaved on the case, as whoever completes it is
    told of it: the box to complete over it (`told`, its value, marks the drafts
    told of), ticked once sent ticked for those same drafts."""

    label: str
    told: str
    ticked: bool


def _others_typing(
    request: HttpRequest,
    case: Case,
    *,
    assessment: RiskAssessment | None,
    contacts: list[Contact],
) -> tuple[list[tuple[str, str]], OverTyping | None]:
    """Typing left unsaved on the case by anyone but the completer (their drafts:
    its caseworker typing contacts as a supervisor completes it): a problem for
    each, naming them, and the box to complete over it. Before, only the
    completer's own typing was looked at: a supervisor ticking "no contacts"
    completed over the rows its caseworker was typing, unwarned, and the rows were
    lost. Once told, the completer may complete over it (a draft left by someone
    gone home would otherwise hold the case open for good), but not over typing
    done after they were told: each draft is marked by when it was last typed."""
    now = timezone.now()
    drafts = (
        CaseDraft.objects.filter(case=case)
        .exclude(user=request.user)
        .select_related("user")
        .order_by("user_id", "section")
    )
    problems, told, names = [], [], []
    for draft in drafts:
        who = draft.user.get_full_name() or draft.user.username
        at = short_time_today(draft.updated_at, now)
        if draft.section == CONTACTS:
            left = rows_left_to_add(draft.data.get("rows") or [], contacts)
            if not left:
                continue
            n = len(left)
            problems.append(
                (
                    f"{who} has {_plural(n, 'contact')} typed and not yet added "
                    f"(typed at {at}): ask them to add {'it' if n == 1 else 'them'} "
                    "before you complete the case, or tick the box to complete it "
                    f"without {'it' if n == 1 else 'them'}.",
                    "id_over_typing",
                )
            )
        else:
            if not assessment_changed(draft.data, case=case, assessment=assessment):
                continue
            what = (
                "changed the risk assessment" if assessment else "typed an assessment"
            )
            problems.append(
                (
                    f"{who} has {what} and not saved it (typed at {at}): ask them "
                    "to save it before you complete the case, or tick the box to "
                    "complete it without their changes.",
                    "id_over_typing",
                )
            )
        told.append(f"{draft.pk}@{draft.updated_at.isoformat()}")
        if who not in names:
            names.append(who)
    if not problems:
        return [], None
    mark = " ".join(told)
    over = OverTyping(
        label=f"Complete the case without what {' and '.join(names)} typed (it "
        "will not be added)",
        told=mark,
        ticked=request.POST.get("over_typing") == mark,
    )
    return ([] if over.ticked else problems), over


def _complete_problems(
    request: HttpRequest, case: Case, form: CompleteForm
) -> tuple[list[tuple[str, str]], OverTyping | None]:
    """What stands in the way of completing an open case, each with what to do and a
    link to where to do it: typing left unsaved in the assessment or the contact
    rows is one, the completer's own or anyone else's (_others_typing: with the box
    to complete over theirs, once told of it)."""
    name = case.person.full_name
    if case.status != Status.REACHED:
        return [
            (
                f"You have not reached {name} yet. Complete the case once you have "
                "reached them and recorded the risk assessment.",
                "id_outcome_0",
            )
        ], None
    problems = []
    assessment = _assessment_of(case)
    typed, rows = _typing_left(request, case)
    if assessment is None:
        problems.append(
            ("Record the risk assessment before completing the case.", "id_symptomatic")
        )
    elif typed is not None and assessment_changed(
        typed, case=case, assessment=assessment
    ):
        problems.append(
            (
                "You have changed the risk assessment but not saved it: save it, or "
                "undo the changes, before completing.",
                "id_symptomatic",
            )
        )
    contacts = _people_named(case)
    others, over_typing = _others_typing(
        request, case, assessment=assessment, contacts=contacts
    )
    problems.extend(others)
    left = rows_left_to_add(rows, contacts)
    if left:
        n = len(left)
        problems.append(
            (
                f"You have {_plural(n, 'contact')} typed but not added: add "
                f"{'it' if n == 1 else 'them'}, or clear the rows, before completing.",
                f"id_contacts-{left[0][0]}-first_name",
            )
        )
    elif not contacts and not form.cleaned_data.get("no_contacts"):
        problems.append(
            (
                f"No contacts are recorded for {name}. Add the people they were near "
                "while they could have passed it on, or tick the box to say this "
                "case had no contacts.",
                "id_no_contacts",
            )
        )
    return problems, over_typing


@login_required
@require_POST
@taken_away_is_told
def case_complete(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        case = get_case_to_work(request.user, pk)
    except PermissionDenied:
        if gone := _gone_as_complex_by(request.user, pk):
            # Their "Complete the case" sent again: it went, as the first said.
            return _to_my_work(request, _gone_as_complex_text(gone))
        raise
    form = CompleteForm(request.POST)
    form.is_valid()  # one optional box: always valid
    problems, over_typing = (
        _complete_problems(request, case, form) if case.status in OPEN else ([], None)
    )
    if problems:
        for message, anchor in problems:
            if anchor == "id_no_contacts":
                form.add_error("no_contacts", message)
        return _section(
            request,
            case,
            "complete",
            complete_form=form,
            complete_errors=problems,
            over_typing=over_typing,
        )
    if case.status in OPEN and case_owes_complex(case):
        # Its drafts are saved (_complete_problems), and no longer theirs to clear
        # once it has gone to its local team.
        case_draft_clear(case=case, by=request.user)
    try:
        done = casework.item_complete(item=case, by=request.user)
    except IllegalTransition as exc:
        if case_completed_by(request.user, case):
            # Their own "Complete the case" sent again: done, as the first said.
            messages.success(
                request, f"{case} is completed (it was sent twice, and completed once)."
            )
        elif gone := _gone_as_complex_by(request.user, case.pk):
            messages.success(request, _gone_as_complex_text(gone))
        else:
            messages.error(request, str(exc))
            if request.htmx:
                return HttpResponseClientRefresh()
            return redirect(_page_url(case, "complete"))
    else:
        if done.status == Status.ESCALATED:  # complex, from its risk assessment
            messages.success(
                request, f"{case} has gone to {done.local_team} as a complex case."
            )
        else:
            case_draft_clear(case=case, by=request.user)
            messages.success(request, f"{case} completed. Well done.")
    return _to_my_work(request)


def _to_my_work(request: HttpRequest, text: str = "") -> HttpResponse:
    if text:
        messages.success(request, text)
    queue = reverse("cases:queue")
    if request.htmx:
        return HttpResponseClientRedirect(queue)
    return redirect(queue)


def _gone_as_complex_by(user: Any, pk: int) -> Escalation | None:
    """The case went to its local team as a complex case when this user completed
    it, a moment ago (work.casework.item_complete): their "Complete the case" sent
    again (work.sent_twice: a save sent twice is one save)."""
    return (
        Escalation.objects.select_related("case", "local_team")
        .filter(
            case_id=pk,
            reason=Escalation.Reason.COMPLEX,
            created_by_id=user.pk,
            created_at__gte=timezone.now() - SENT_TWICE_WITHIN,
        )
        .order_by("-created_at")
        .first()
    )


def _gone_as_complex_text(gone: Escalation) -> str:
    return (
        f"{gone.case} has gone to {gone.local_team.name} as a complex case (it was "
        "sent twice, and sent once)."
    )
