"""The contacts a case names to its local team (at the door, on the team's call),
added on the case's escalation page: "Contacts they name".

The same rows the caseworker adds on the case page (pages.desk.contact_forms), saved
by the same operation (work.casework.contacts_add_many): all of them or none, each
bad row marked with its reason. The contacts made are ordinary contacts, phoned by
the national call handlers. Rows sent once the case is no longer the team's (its
escalation closed or sent back meanwhile) are drawn again as typed, not added, to be
passed on, as the case page draws rows sent to a case closed meanwhile.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_POST

from audit.services import audit_list_view
from cases.errors import IllegalTransition
from cases.models import Case
from contacts.models import Contact, Exposure
from escalations.models import Escalation
from work.access.cases import contacts_refusal
from work.access.escalations import get_escalation_for, require_local_workspace
from work.casework import ContactRowsRefused, contacts_add_many
from work.escalation import ClosedAlready, reopen_refusal

from ..desk.cases import NotAdded
from ..desk.contact_forms import (
    BaseContactFormSet,
    contact_rows_formset,
    contacts_added_text,
    contacts_sent_twice_text,
    row_is_filled,
    rows_just_added,
    rows_left_to_add,
    typed_rows,
)
from ..desk.taken import day_typed

# Where the page opens after the rows are saved or refused: the section itself.
SECTION = "#contacts"


class NamedContact:
    """One person the case named, as the section lists them: the contact, and this
    case's naming of them (its own contact's, or a later naming of another case's
    contact: an Exposure row)."""

    def __init__(self, contact: Contact, *, exposure: Exposure | None = None) -> None:
        self.contact = contact
        naming = exposure if exposure is not None else contact
        self.exposure_date = naming.exposure_date
        self.exposure_label = naming.get_exposure_display()
        self.elsewhere = exposure is not None


def contacts_named(case: Case) -> list[NamedContact]:
    """The people the case named, in the order they were named: its own contacts,
    then those already another case's contact, whom its naming joined (two queries)."""
    own = Contact.objects.filter(case=case).select_related("person").order_by("pk")
    joined = (
        Exposure.objects.filter(case=case)
        .select_related("contact__person")
        .order_by("pk")
    )
    return [NamedContact(c) for c in own] + [
        NamedContact(e.contact, exposure=e) for e in joined
    ]


def escalation_contacts(
    request: HttpRequest,
    escalation: Escalation,
    *,
    formset: BaseContactFormSet | None = None,
    not_added: NotAdded | None = None,
) -> dict[str, Any]:
    """The escalation page's "Contacts they name", for a case: the people it named
    (each a read, audited as a list shown), and the rows to add more while the
    escalation is open and the viewer may (work.access.cases.contacts_refusal), or
    else, while it is open, why not (a concern on a case completed before it takes
    no contacts); rows that failed, or were refused, drawn again whatever the state.
    Nothing for a contact's escalation: contacts don't name contacts."""
    case = escalation.case
    if case is None:
        return {"names_contacts": False}
    named = contacts_named(case)
    audit_list_view(
        user=request.user,
        items=[n.contact for n in named],
        via="page",
        list_name="escalation contacts",
        detail={"escalation": escalation.pk},
    )
    is_open = escalation.status != Escalation.Status.CLOSED
    refusal = contacts_refusal(request.user, case) if is_open else None
    may_add = is_open and refusal is None
    return {
        "names_contacts": True,
        "contacts_named": named,
        "show_contacts_form": may_add or formset is not None,
        "contacts_formset": formset or contact_rows_formset(case),
        "contacts_not_added": not_added,
        # Open, and the case takes none (completed before its concern was raised):
        # said, rather than the form left out unexplained.
        "contacts_refused": (
            str(refusal) if isinstance(refusal, IllegalTransition) else ""
        ),
    }


def _case_of(escalation: Escalation) -> Case:
    if escalation.case is None:
        raise Http404("A contact's escalation names no contacts.")
    return escalation.case


@login_required
@require_POST
def escalation_contacts_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Add the contacts the case names to the team: all saved, or none, with each bad
    row marked. 403 for anyone outside the local teams, 404 for another team's
    escalation (never told to exist) and for a contact's."""
    # Here, not above: the escalation's page (views) draws this section from here.
    from .views import _detail_response, _done, _to_detail  # noqa: PLC0415

    require_local_workspace(request.user)
    escalation = get_escalation_for(request.user, pk)
    case = _case_of(escalation)
    if refused := _rows_not_added(request, escalation, case):
        return refused
    formset = contact_rows_formset(case, request.POST)
    if formset.is_valid():
        filled = formset.filled_forms()
        rows = [form.details() for form in filled]
        try:
            added = contacts_add_many(case=case, rows=rows, by=request.user)
        except IllegalTransition as exc:
            # Closed (or sent back) between the read above and the operation's lock.
            escalation = get_escalation_for(request.user, pk)
            if refused := _rows_not_added(request, escalation, _case_of(escalation)):
                return refused
            messages.error(request, str(exc))
            return _to_section(_to_detail(request, pk))
        except ContactRowsRefused as exc:
            if (sent := rows_just_added(request.user, case, rows)) is not None:
                # The first sending of these rows added them (a double click).
                _done(request, contacts_sent_twice_text(sent, who=request.user))
                return _to_section(_to_detail(request, pk))
            for index, reason in exc.errors.items():
                filled[index].add_error(None, reason)
        else:
            _done(request, contacts_added_text(added, who=request.user))
            return _to_section(_to_detail(request, pk))
    return _detail_response(request, escalation, status=400, contacts_formset=formset)


def _to_section(response: HttpResponse) -> HttpResponse:
    response["Location"] += SECTION
    return response


def _rows_not_added(
    request: HttpRequest, escalation: Escalation, case: Case
) -> HttpResponse | None:
    """Rows sent to a case no longer the team's to add contacts to: drawn again as
    typed, not added (409), with why; or, with nothing typed left to add, the
    reason on the page. None when the rows may be added; PermissionDenied for
    someone the case was never theirs (work.access.cases.contacts_refusal)."""
    from .views import _detail_response, _to_detail  # noqa: PLC0415

    refusal = contacts_refusal(request.user, case)
    if refusal is None:
        return None
    if isinstance(refusal, PermissionDenied):
        raise refusal
    named = list(Contact.objects.named_by(case.pk).select_related("person"))
    typed = [row for row in typed_rows(request.POST) if row_is_filled(row)]
    rows = [row for _, row in rows_left_to_add(typed, named)]
    sent_back = escalation.outcome == Escalation.Outcome.RETURNED
    if escalation.status == Escalation.Status.CLOSED and not sent_back:
        why = str(ClosedAlready(escalation, by=request.user))
    else:
        why = str(refusal)
    if not rows:
        if typed:
            # Every row sent is on the case already: the form sent again (Back, a
            # browser's resend) after its rows were saved, and the escalation
            # closed or sent back since. Nothing was lost: said so, not refused.
            n = len(typed)
            messages.info(
                request,
                f"{'The contacts you sent were' if n != 1 else 'The contact you sent was'}"
                f" added already: {'they are' if n != 1 else 'it is'} on the case, "
                f"and nothing more was added. {why}",
            )
        else:
            messages.error(request, why)
        return _to_section(_to_detail(request, escalation.pk))
    not_added = _not_added(request, escalation, why=why, rows=rows)
    return _detail_response(
        request, escalation, status=409, contacts_not_added=not_added
    )


def _not_added(
    request: HttpRequest,
    escalation: Escalation,
    *,
    why: str,
    rows: list[dict[str, Any]],
) -> NotAdded:
    """What the team member is told of rows not added, and the rows as typed: to
    add once the escalation is reopened, if they may reopen it, else to pass on."""
    n = len(rows)
    what = (
        f"The {n} contacts you typed were not added"
        if n != 1
        else "The contact you typed was not added"
    )
    them = "them" if n != 1 else "it"
    if escalation.outcome == Escalation.Outcome.RETURNED:
        # Back with the phones: its caseworker adds them (contacts_refusal), and a
        # send back is never reopened.
        then = (
            f"pass {them} on to the national service, for the case's caseworker to add"
        )
    elif not reopen_refusal(escalation, by=request.user, now=timezone.now()):
        then = f"reopen the escalation to add {them}"
    else:
        then = f"pass {them} on to your team's supervisor"
    text = (
        f"{why} {what}. {'They are' if n != 1 else 'It is'} below as you typed "
        f"{them}: {then}."
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
