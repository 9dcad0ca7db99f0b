"""The call handler's contact page: only what a call to a contact needs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET, require_POST

from audit.services import audit_view
from calls.models import Script
from calls.selectors import articles_matching
from cases.workitem import UNREACHED
from contacts.models import Contact, Exposure
from work.access.contacts import get_contact_to_work, may_work_contact
from work.access.isolation import may_override_isolation
from work.online import link_not_resent_why
from work.queues import CALLED_AS_CASE, contact_called_as_case, with_due_state
from work.rules import isolation_over

from ..typed import TYPING_BACK, typed_form
from .call_forms import CallLogForm, typed_call
from .calls import log_call, may_read_clinical, search_text
from .cases import OnlineSummary, failed_messages, link_resend, online_summary
from .chain_svg import chain_for_page
from .details_form import PersonDetailsForm, details_context, details_url
from .isolation import changes_of
from .page_reads import calls_of, steps_of
from .taken import taken_away_is_told, typed_forms_taken_is_told

PAGE = "contacts/contact_detail.html"


@dataclass(frozen=True)
class Naming:
    """One exposure of a contact: the case that named them, the day and how."""

    case_reference: str
    exposure_date: date
    exposure: str

    @property
    def exposure_label(self) -> str:
        return Contact.Exposure(self.exposure).label


def contact_exposures(contact: Contact) -> list[Naming]:
    """Every exposure of a contact, oldest first: its own case's naming and each
    further one (Exposure rows), in one query. Only the cases' lab references are
    read: the case behind a contact is private."""
    columns = ("exposure_date", "exposure")
    reference = F("case__lab_reference")
    own = Contact.objects.filter(pk=contact.pk).values(*columns, ref=reference)
    further = Exposure.objects.filter(contact=contact).values(*columns, ref=reference)
    rows = own.union(further, all=True).order_by("exposure_date", "ref")
    return [
        Naming(
            case_reference=row["ref"],
            exposure_date=row["exposure_date"],
            exposure=row["exposure"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class OtherContact:
    """Another contact of the same person, with another date to stay at home: its
    page is linked only for a viewer who may open it."""

    contact: Contact
    opens: bool


@dataclass(frozen=True)
class OtherContacts:
    """The person's contacts either side of this one with another date
    (Contact.objects.other_dates, as their link page reads them): the one told an
    earlier date before this, and the one named again since for a later date, whose
    date is theirs now (while it lasts: an ended one says nothing more)."""

    told_earlier: OtherContact | None
    named_again_later: OtherContact | None


def other_dates_for(user: Any, contact: Contact, *, today: date) -> OtherContacts:
    """The page's other dates of the person, each linked if the viewer may open it."""
    found = Contact.objects.other_dates(contact)
    later = found.named_again_later
    if later is not None and isolation_over(later.isolation_ends_on, today=today):
        later = None
    return OtherContacts(
        told_earlier=_other_contact(user, found.told_earlier),
        named_again_later=_other_contact(user, later),
    )


def _other_contact(user: Any, other: Contact | None) -> OtherContact | None:
    if other is None:
        return None
    return OtherContact(contact=other, opens=may_work_contact(user, other))


def _online_of(contact: Contact, *, now: datetime) -> tuple[OnlineSummary, str]:
    """The contact's online section, and why it offers no new link when the
    service would refuse one (work.online.link_not_resent_why): the button is not
    drawn, the reason is, so that the page and the service agree."""
    online = online_summary(
        contact,
        now=now,
        resend_url=reverse("contacts:online_resend", args=[contact.pk]),
    )
    why = link_not_resent_why(contact, now=now) if online.may_resend else ""
    return (replace(online, may_resend=False) if why else online), why


def _contact_page(
    request: HttpRequest,
    contact: Contact,
    *,
    call_form: CallLogForm | None = None,
    notice: str = "",
    online_notice: str = "",
    online_errors: list[tuple[str, str]] | None = None,
    details_form: PersonDetailsForm | None = None,
    details_notice: str = "",
    details_open: bool = False,
    template: str = PAGE,
) -> TemplateResponse:
    # The case behind the contact is never loaded here: its name is private.
    query = search_text(request)
    now = timezone.now()
    # Their person is a case being worked: the caseworker calls them, not this page.
    as_case = contact_called_as_case(contact)
    setattr(contact, CALLED_AS_CASE, as_case)
    with_due_state([contact], now=now)
    # Read only if drawn: the whole page draws them, no section does.
    exposures = SimpleLazyObject(lambda: contact_exposures(contact))
    online, not_resent = _online_of(contact, now=now)
    return TemplateResponse(
        request,
        template,
        {
            "contact": contact,
            "person": contact.person,
            "is_open": contact.status in UNREACHED and not as_case,
            "called_as_case": as_case,
            "concern_only": contact.is_done_with,
            "exposures": exposures,
            "last_exposure": SimpleLazyObject(
                lambda: max(exposures, key=lambda n: n.exposure_date)
            ),
            "history": calls_of(contact),
            "steps": steps_of(Script.Audience.CONTACT),
            "query": query,
            "articles": articles_matching(
                query, clinical=may_read_clinical(request.user)
            )
            if query
            else None,
            "call_form": call_form or CallLogForm(),
            "call_url": reverse("contacts:call", args=[contact.pk]),
            "notice": notice,
            "online": online,
            "online_not_resent": not_resent,
            "online_notice": online_notice,
            "online_errors": online_errors or [],
            # Read only if drawn: the whole page draws it, no section does.
            "chain": SimpleLazyObject(
                lambda: chain_for_page(request.user, contact=contact)
            ),
            # No day left to stay at home until: the read-out says it ended.
            "isolation_over": isolation_over(
                contact.isolation_ends_on, today=timezone.localdate(now)
            ),
            "isolation_changes": SimpleLazyObject(lambda: changes_of(contact)),
            # Read only if drawn: the whole page draws it, no section does.
            "other_dates": SimpleLazyObject(
                lambda: other_dates_for(
                    request.user, contact, today=timezone.localdate(now)
                )
            ),
            "may_override": may_override_isolation(request.user, contact),
            "read_clinical": may_read_clinical(request.user),
            # Read only if drawn: the whole page draws it, no section does.
            "failed_messages": SimpleLazyObject(
                lambda: failed_messages(contact, now=now)
            ),
            # Their details, to correct as they give them (pages.desk.details).
            **details_context(contact, form=details_form, notice=details_notice),
            # Typing put back after the session ended: drawn open, not folded away.
            "details_open": details_open,
        },
    )


@typed_forms_taken_is_told
@login_required
@require_GET
def contact_detail(request: HttpRequest, pk: int) -> TemplateResponse:
    contact = get_contact_to_work(request.user, pk)
    audit_view(user=request.user, obj=contact, via="page")
    # A call logged, or their details typed, after the session ended, kept through
    # signing in again.
    typed = typed_form(request, action=reverse("contacts:call", args=[contact.pk]))
    details = typed_form(request, action=details_url(contact))
    page: dict[str, Any] = {}
    if typed is not None and contact.status in UNREACHED:
        page["call_form"] = CallLogForm(initial=typed_call(typed))
    if details is not None:
        page["details_form"] = PersonDetailsForm.of(contact.person, typed=details)
        page["details_open"] = True
    if page:
        messages.warning(request, TYPING_BACK)
    return _contact_page(request, contact, **page)


@login_required
@require_POST
@taken_away_is_told
def contact_call(request: HttpRequest, pk: int) -> HttpResponse:
    contact = get_contact_to_work(request.user, pk)
    return log_call(
        request,
        contact,
        page_url=reverse("contacts:detail", args=[contact.pk]) + "#call-panel",
        still_theirs=lambda: may_work_contact(request.user, contact),
        render_panel=lambda form, notice: _contact_page(
            request,
            contact,
            call_form=form,
            notice=notice,
            template=f"{PAGE}#call_panel",
        ),
        render_page=lambda form: _contact_page(request, contact, call_form=form),
    )


@login_required
@require_POST
@taken_away_is_told
def contact_online_resend(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the contact a new link to confirm they will isolate (the old one stops
    working)."""
    contact = get_contact_to_work(request.user, pk)
    return link_resend(
        request,
        contact,
        page_url=reverse("contacts:detail", args=[contact.pk]) + "#online",
        render_section=lambda notice="", errors=None: _contact_page(
            request,
            contact,
            online_notice=notice,
            online_errors=errors,
            template=f"{PAGE}#online_section",
        ),
    )
