"""A case or contact page sent from after its item left the caseworker: reassigned by a
supervisor, escalated by the sweep at its deadline, merged into another record.

The page was drawn while the item was theirs, and what they send now is refused (the
item is not theirs to work). Before, that was a 403: with htmx nothing on the page
changed (htmx swaps no error), so a call logged "reached" was lost without a word; and
without it, a page saying the item "is not yours to work", the typing gone. Now they
are told plainly that nothing was saved and where the item is, with what they typed
of the form, so it can be passed on: with htmx at the top of the page they are on
(the form keeps its typing), without it on their queue.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django_htmx.http import HttpResponseClientRedirect

from audit.models import AuditEvent
from calls.models import CallAttempt, Outcome
from cases.models import Case, CaseDraft, SettingKind
from cases.workitem import Status, WorkItem
from contacts.models import Contact
from work.calls import support_said
from work.merge import item_merged_into

from ..typed import typed_form
from .case_forms import AssessmentForm, typed_assessment, typed_visit
from .contact_forms import row_is_filled, typed_rows

MODELS: dict[str, type[Case] | type[Contact]] = {"cases": Case, "contacts": Contact}


def whereabouts(item: WorkItem | None, kind: str) -> str:
    """Where the item is now, as the caseworker may be told it."""
    if item is None:
        return f"This {kind} is no longer held (it was merged into another record)."
    if item.status == Status.ESCALATED and item.local_team is not None:
        return f"This {kind} is now with {item.local_team.name}."
    if item.assignee is not None:
        name = item.assignee.get_full_name() or item.assignee.username
        return f"This {kind} is now held by {name}."
    if item.status == Status.NEW:
        return f"This {kind} went back to the pool for someone else to take."
    return f"This {kind} is {item.get_status_display().lower()}."


def _named(item: WorkItem) -> str:
    """The item as its holder knows it: a case by its lab reference, a contact by
    its number."""
    if isinstance(item, Case):
        return f"case {item.lab_reference}"
    return f"contact {item.pk}"


def gone_whereabouts(model: type[Case] | type[Contact], pk: int) -> str:
    """Where an item that is no more went: the case or contact of the same person
    a merge of their two records made it part of, and where that one is now."""
    kind = str(model._meta.verbose_name)
    into = item_merged_into(model, pk)
    if into is None:
        return whereabouts(None, kind)
    where = whereabouts(into, kind).removeprefix(f"This {kind} ")
    return (
        f"This {kind} was merged into {_named(into)} (two records of one person "
        f"made one): that {kind} {where}"
    )


# How long after a page was drawn its sending is told where the item went.
SHOWN_WITHIN = timedelta(hours=12)


def had_it_shown(
    request: HttpRequest, model: type[Case] | type[Contact], pk: int
) -> bool:
    """The item was shown to them, on its page or their queue, lately (the audit
    trail's record of it): only someone who held it is told where it is now."""
    return AuditEvent.objects.filter(
        user_id=request.user.pk,
        action=AuditEvent.Action.VIEW,
        object_type=model._meta.label_lower,
        object_id=str(pk),
        at__gte=timezone.now() - SHOWN_WITHIN,
    ).exists()


SENT_AGAIN = "Your call is logged (it was sent twice, and logged once)."


def sent_again(request: HttpRequest, *, namespace: str, pk: int) -> bool:
    """The call form was sent again after its first sending was logged (and the
    call moved the item on: escalated, back to the pool)."""
    try:
        submission = uuid.UUID(request.POST.get("submission", ""))
    except ValueError:
        return False
    kind = MODELS[namespace]._meta.model_name
    return CallAttempt.objects.filter(
        **{f"{kind}_id": pk}, caller_id=request.user.pk, submission=submission
    ).exists()


def day_typed(value: str) -> str:
    """A date as typed, as the page writes one ("3 Dec 2026"); else as typed."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day} {day:%b %Y}"


def _typed_list(data: Any, name: str = "support") -> list[str]:
    """A field sent several times (ticked boxes): the form's list, or the list kept
    with a typing to put back after signing in again."""
    values = data.getlist(name) if hasattr(data, "getlist") else data.get(name)
    if not values:
        return []
    return [values] if isinstance(values, str) else list(values)


def _call_typed(data: Any) -> str:
    """The call form's typing, as the caseworker is told it ("" if none)."""
    outcome = data.get("outcome", "")
    said = dict(Outcome.choices).get(outcome, outcome).lower()
    notes = data.get("notes", "").strip()
    typed = [f"outcome “{said}”"] if outcome else []
    if outcome == Outcome.CALL_BACK and (back := data.get("call_back_at")):
        # The time they asked for: the one thing to pass on.
        typed += [f"call back at “{back.replace('T', ' ')}”"]
    if outcome == Outcome.NEEDS_INTERPRETER and (spoken := data.get("language", "")):
        # Whoever takes it is to speak it.
        typed += [f"language “{spoken.strip()}”"]
    if outcome == Outcome.REACHED and (asked := support_said(_typed_list(data))):
        # Help to stay at home they asked for: whoever holds them now passes it on.
        typed += [f"help asked for “{asked}”"]
    typed += [f"notes “{notes}”"] if notes else []
    if not typed:
        return ""
    return f"The call you typed ({' '.join(typed)}) was not logged: pass it on to"


def _contact_rows_typed(data: Any) -> str:
    """The contact rows' typing (each row's name, phone, postcode, date and kind)."""
    if data.get("discard"):
        return ""  # they cleared the rows
    kinds = dict(Contact.Exposure.choices)
    rows = []
    for row in typed_rows(data):
        if not row_is_filled(row):
            continue
        name = f"{row['first_name'].strip()} {row['last_name'].strip()}".strip()
        said = [name] if name else []
        if phone := row["phone"].strip():
            said.append(f"phone “{phone}”")
        if postcode := row["postcode"].strip():
            said.append(f"postcode “{postcode}”")
        if day := row["exposure_date"].strip():
            said.append(f"last in contact “{day_typed(day)}”")
        if kind := row["exposure"]:
            said.append(str(kinds.get(kind, kind)).lower())
        rows.append(", ".join(said))
    if not rows:
        return ""
    if len(rows) == 1:
        return f"The contact you typed ({rows[0]}) was not added: pass it on to"
    return f"The contacts you typed ({'; '.join(rows)}) were not added: pass them on to"


def _visit_typed(data: Any) -> str:
    """The setting visited as typed: its name, kind, postcode and date."""
    typed = typed_visit(data)
    if not typed:
        return ""
    kind = typed.get("kind", "")
    said = [typed.get("name", "").strip()]
    said += [str(dict(SettingKind.choices).get(kind, kind)).lower()]
    if postcode := typed.get("postcode", "").strip():
        said.append(f"postcode “{postcode}”")
    if day := typed.get("visited_on", "").strip():
        said.append(f"on “{day_typed(day)}”")
    shown = ", ".join(part for part in said if part)
    return f"The visit you typed ({shown}) was not recorded: pass it on to"


def _assessment_typed(data: Any) -> str:
    """The risk assessment's fields typed, by their labels ("" if none)."""
    fields = AssessmentForm.base_fields
    said = []
    for name, value in typed_assessment(data).items():
        field = fields.get(name)
        value = value.strip()
        if field is None or not value:
            continue  # the form's hidden field, or left empty
        label = str(field.label).lower()
        if isinstance(field, forms.BooleanField):
            said.append(label)
            continue
        if name == "symptom_onset":
            value = day_typed(value)
        value = str(dict(getattr(field, "choices", None) or ()).get(value, value))
        said.append(f"{label} “{value}”")
    if not said:
        return ""
    return (
        f"The risk assessment you typed ({'; '.join(said)}) was not saved: pass it "
        "on to"
    )


def _typing(form: str, data: Any) -> str:
    """What they typed into the page's form named `form` (its address's name: "call",
    "contacts"), to pass on; "" for a form with nothing to pass on (complete the
    case, send the link again)."""
    if form == "contacts":
        return _contact_rows_typed(data)
    if form == "visit":
        return _visit_typed(data)
    if form == "assessment":
        return _assessment_typed(data)
    if form == "call":
        return _call_typed(data)
    return ""


def refused_after_taken(
    request: HttpRequest,
    *,
    namespace: str,
    pk: int,
    typed: Sequence[tuple[str, Any]] | None = None,
) -> str:
    """What the caseworker is told: nothing saved, where the item is, and what they
    typed (the form sent, or `typed`: the forms kept through signing in, each as the
    name of its address and its typing), to pass on. Before, only a call was listed:
    contact rows, a visit or an assessment sent without JavaScript were lost without
    a word."""
    model = MODELS[namespace]
    item = model.objects.select_related("assignee", "local_team").filter(pk=pk).first()
    if item is None:
        # Merged into another: its holder is who the typing goes to.
        text = f"Not saved. {gone_whereabouts(model, pk)}"
        item = item_merged_into(model, pk)
    else:
        text = f"Not saved. {whereabouts(item, model._meta.verbose_name)}"
    if typed is None:
        match = request.resolver_match
        typed = [((match.url_name if match is not None else ""), request.POST)]
    whom = "them"  # its holder, or the record it was merged into
    if item is not None and item.assignee is None:
        whom = (
            "the team"
            if item.local_team is not None
            else "a supervisor, for whoever takes it next"
        )
    for form, data in typed:
        if said := _typing(form, data):
            text += f" {said} {whom}."
    return text


def _shown_to_them(request: HttpRequest, pk: int) -> str:
    """The page's kind ("cases", "contacts") when its item was shown to them lately
    (had_it_shown), else "": only then are they told where it went."""
    match = request.resolver_match
    namespace = match.namespace if match is not None else ""
    if namespace in MODELS and had_it_shown(request, MODELS[namespace], pk):
        return namespace
    return ""


def taken_away_is_told(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """For the POST views of the case and contact pages: an item no longer the
    caseworker's is a message (module docstring), not an error page."""

    @wraps(view)
    def wrapped(request: HttpRequest, pk: int, *args: Any, **kwargs: Any):
        try:
            return view(request, pk, *args, **kwargs)
        except (PermissionDenied, Http404, ObjectDoesNotExist) as exc:
            # (ObjectDoesNotExist: the item went, merged away, while this waited.)
            if request.method != "POST" or not (
                namespace := _shown_to_them(request, pk)
            ):
                # Never theirs: refused as before, and told nothing of it.
                if isinstance(exc, ObjectDoesNotExist):
                    raise Http404("No such item.") from exc
                raise
            if sent_again(request, namespace=namespace, pk=pk):
                # The first sending logged the call and took the item away.
                messages.success(request, SENT_AGAIN)
                if getattr(request, "htmx", False):
                    return HttpResponseClientRedirect(reverse("cases:queue"))
                return redirect("cases:queue")
            text = refused_after_taken(request, namespace=namespace, pk=pk)
        if getattr(request, "htmx", False):
            # At the top of the page they are on; its forms keep their typing.
            response = HttpResponse(
                format_html(
                    '<div class="nhsuk-error-summary" data-module="nhsuk-error-summary"'
                    ' tabindex="-1"><div role="alert"><h2 class="nhsuk-error-summary'
                    '__heading">There is a problem</h2><div class="nhsuk-error-summary'
                    '__body"><p>{}</p><p><a href="{}">Go to My work</a></p></div></div>'
                    "</div>",
                    text,
                    reverse("cases:queue"),
                )
            )
            response["HX-Retarget"] = "#maincontent"
            response["HX-Reswap"] = "afterbegin"
            return response
        messages.error(request, text)
        return redirect("cases:queue")

    return wrapped


# The forms of an item's page whose typing, sent after the session ended, is kept
# through signing in again and put back into the page it comes back to (the case
# page's: pages.desk.cases._typing_back; the contact page's: its call), by the names
# of their addresses; a draft is the assessment or contact rows as they were typed.
KEPT_FORMS = {
    "cases": ("call", "assessment", "contacts", "visit", "draft"),
    "contacts": ("call",),
}
DRAFTED = (CaseDraft.Section.ASSESSMENT, CaseDraft.Section.CONTACTS)


def kept_typing(
    request: HttpRequest, *, namespace: str, pk: int
) -> list[tuple[str, QueryDict]]:
    """The item's page's forms kept through signing in again, each as the name of its
    address and its typing, in the page's order; taken out of the session (told
    once). A draft stands for its section's form, as the page reads it, unless that
    form was kept too (sent after the draft, it is the later typing)."""
    kept: dict[str, QueryDict] = {}
    for form in KEPT_FORMS[namespace]:
        action = reverse(f"{namespace}:{form}", args=[pk])
        if (data := typed_form(request, action=action)) is not None:
            kept[form] = data
    if (draft := kept.pop("draft", None)) is not None:
        section = draft.get("section", "")
        if section in DRAFTED:
            kept.setdefault(section, draft)
    return [(form, kept[form]) for form in KEPT_FORMS[namespace] if form in kept]


def typed_forms_taken_is_told(
    view: Callable[..., HttpResponse],
) -> Callable[..., HttpResponse]:
    """For the case and contact pages themselves: what was typed into the page after
    the session ended (a call, an assessment, contact rows, a visit, or their draft)
    is kept through signing in again (pages.typed), and the page it comes back to puts
    it into its forms. When the item has left them meanwhile (released at the end of
    their shift, given to someone else), they are told what was not saved, as on
    sending it, and the typing is taken out of the session. Before, a plain 403, and
    the typing kept in the session unseen; only a call was told.

    An item a merge of two records of one person made part of another (a contact
    folded or joined into the other record's, a case made a further result of its
    other case) is no more: someone who held it, opening its page again (perhaps
    mid-call), is told on their queue where it went and who holds it now; before, a
    bare "not found", the item gone from their queue without a word."""

    @wraps(view)
    def wrapped(request: HttpRequest, pk: int, *args: Any, **kwargs: Any):
        try:
            return view(request, pk, *args, **kwargs)
        except (PermissionDenied, Http404):
            namespace = _shown_to_them(request, pk)
            if not namespace:
                raise
            typed = kept_typing(request, namespace=namespace, pk=pk)
            if not typed:
                model = MODELS[namespace]
                if model.objects.filter(pk=pk).exists() or (
                    item_merged_into(model, pk) is None
                ):
                    raise
                messages.warning(request, gone_whereabouts(model, pk))
                return redirect("cases:queue")
            messages.error(
                request,
                refused_after_taken(request, namespace=namespace, pk=pk, typed=typed),
            )
            return redirect("cases:queue")

    return wrapped
