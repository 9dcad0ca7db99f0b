"""Possible duplicates: the list for supervisors, a pair side by side, merge (with a
confirm step) and "not the same person".

National supervisors and administrators only (the same people who may read a
person's audit trail). The list reads the open pairs likeliest first by keyset
(`?after=<score>,<iso time>,<id>`) on the partial index possible_duplicate_open:
never OFFSET, never COUNT(*). Every page showing people is audited as a view of
each person shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from audit.services import audit_list_view
from clock import moment_of
from figures.weekly import forget_cached_figures
from people.models import Language, Person, PossibleDuplicate
from people.selectors import possible_duplicates
from people.services import duplicate_not_same as pair_not_same
from rows.ids import row_id
from staffing.access import is_national_supervisor
from work.access.people import people_found
from work.errors import WorkRefused
from work.merge import (
    MERGE_FIELDS,
    MergeCases,
    merge_value,
    person_merge,
    person_merge_cases,
    person_merge_defaults,
)

from ..typed import put_typing_back

PAGE_SIZE = 25
BLANK = "\N{EN DASH}"
LABELS = {
    "first_name": "First name",
    "last_name": "Last name",
    "date_of_birth": "Date of birth",
    "nhs_number": "NHS number",
    "phone": "Phone",
    "phone_alt": "Other phone",
    "email": "Email",
    "address": "Address",
    "postcode": "Postcode",
    "language": "Language",
    "needs_interpreter": "Needs an interpreter",
}


def _may_decide(user) -> None:
    """National supervisors and administrators; everyone else 403."""
    if not is_national_supervisor(user):
        raise PermissionDenied("Only supervisors and administrators.")


# --- the list -------------------------------------------------------------------------


@dataclass(frozen=True)
class After:
    """Where a page of the list ends: its last pair's (score, created_at, id)."""

    score: float
    created_at: datetime
    id: int

    def __str__(self) -> str:
        return f"{self.score!r},{self.created_at.isoformat()},{self.id}"

    @classmethod
    def parse(cls, value: str | None) -> After | None:
        """As __str__ writes it (a "+" the query string made a space put back);
        anything else is None: the first page."""
        parts = (value or "").strip().replace(" ", "+").split(",")
        if len(parts) != 3:
            return None
        try:
            score = float(parts[0])
        except ValueError:
            return None
        created_at, row = moment_of(parts[1]), row_id(parts[2])
        if created_at is None or row is None or score != score:  # NaN
            return None
        return cls(score=score, created_at=created_at, id=row)


def pairs_page(
    after: After | None, size: int = PAGE_SIZE
) -> tuple[list[PossibleDuplicate], After | None]:
    """One page of the open pairs, likeliest first, after `after`; and where the next
    page starts (None: this is the last)."""
    pairs = possible_duplicates()
    if after is not None:
        s, c, i = after.score, after.created_at, after.id
        # score <= s bounds the index scan; the rest cuts the ties.
        pairs = pairs.filter(score__lte=s).filter(
            Q(score__lt=s)
            | Q(score=s, created_at__lt=c)
            | Q(score=s, created_at=c, id__lt=i)
        )
    rows = list(pairs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    last = rows[-1] if more else None
    return rows, (
        After(last.score, last.created_at, last.pk) if last is not None else None
    )


@login_required
@require_GET
def duplicates(request: HttpRequest) -> HttpResponse:
    _may_decide(request.user)
    after = After.parse(request.GET.get("after"))
    pairs, next_after = pairs_page(after)
    audit_list_view(
        user=request.user,
        items=[person for pair in pairs for person in (pair.person_a, pair.person_b)],
        via="page",
        list_name="possible duplicates",
    )
    return TemplateResponse(
        request,
        "staffing/duplicates.html",
        {
            "pairs": pairs,
            "after": after,
            "next_url": f"?after={next_after}" if next_after else "",
        },
    )


# --- a pair ---------------------------------------------------------------------------


def _shown(person: Person, name: str, languages: dict[int, str]) -> str:
    """A field's value as the page shows it (a dash for blank)."""
    value = merge_value(person, name)
    if name == "date_of_birth":
        return value.strftime("%-d %b %Y") if value else BLANK
    if name == "language":
        return languages.get(value, "") if value else BLANK
    if name == "needs_interpreter":
        return "Yes" if value else "No"
    if name == "postcode" and value and person.area_id is not None:
        return f"{value} ({person.area})"
    return str(value) if value else BLANK


@dataclass
class FieldRow:
    name: str
    label: str
    a: str
    b: str
    agree: bool


def _comparison(pair: PossibleDuplicate) -> list[FieldRow]:
    a, b = pair.person_a, pair.person_b
    ids = {a.language_id, b.language_id} - {None}
    languages = dict(Language.objects.filter(pk__in=ids).values_list("pk", "name"))
    return [
        FieldRow(
            name=name,
            label=LABELS[name],
            a=_shown(a, name, languages),
            b=_shown(b, name, languages),
            agree=merge_value(a, name) == merge_value(b, name),
        )
        for name in MERGE_FIELDS
    ]


class MergeForm(forms.Form):
    """Which record is kept, and for each field the two disagree on, whose value."""

    survivor = forms.ChoiceField(
        label="Which record is kept",
        widget=forms.RadioSelect,
        help_text="The other record's cases, contacts, calls and messages move to it.",
        error_messages={"required": "Choose which record is kept."},
    )

    def __init__(self, *args, pair: PossibleDuplicate, rows: list[FieldRow], **kwargs):
        super().__init__(*args, **kwargs)
        a, b = pair.person_a, pair.person_b
        self.fields["survivor"].choices = [
            ("a", f"Record {a.pk}, made {timezone.localtime(a.created_at):%-d %b %Y}"),
            ("b", f"Record {b.pk}, made {timezone.localtime(b.created_at):%-d %b %Y}"),
        ]
        # The older record by default: it has been worked longest.
        self.fields["survivor"].initial = (
            "a"
            if (a.created_at, a.pk)
            <= (
                b.created_at,
                b.pk,
            )
            else "b"
        )
        defaults = person_merge_defaults(person_a=a, person_b=b)
        for row in rows:
            if row.agree:
                continue
            self.fields[row.name] = forms.ChoiceField(
                label=f"{row.label} to keep",
                widget=forms.RadioSelect,
                choices=[
                    ("a", f"{row.a} (record {a.pk})"),
                    ("b", f"{row.b} (record {b.pk})"),
                ],
                initial=defaults.get(row.name),
                error_messages={
                    "required": f"Choose which {row.label.lower()} to keep."
                },
            )

    def choices(self) -> dict[str, str]:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name in MERGE_FIELDS
        }


def _pair_for(user, pk: int) -> PossibleDuplicate:
    _may_decide(user)
    return get_object_or_404(
        PossibleDuplicate.objects.select_related(
            "person_a", "person_b", "person_a__area", "person_b__area", "decided_by"
        ),
        pk=pk,
    )


def _pair_page(
    request: HttpRequest,
    pair: PossibleDuplicate,
    form: MergeForm | None,
    rows: list[FieldRow],
    *,
    confirm: bool = False,
    cases: MergeCases | None = None,
    status: int = 200,
) -> HttpResponse:
    a, b = pair.person_a, pair.person_b
    found = {item.person.pk: item for item in people_found(request.user, [a, b])}
    audit_list_view(
        user=request.user,
        items=[a, b],
        via="page",
        list_name="possible duplicate",
    )
    kept: list[tuple[str, str]] = []
    if confirm and form is not None:
        survivor_side = form.cleaned_data["survivor"]
        chosen = form.choices()
        kept = [
            (row.label, getattr(row, chosen.get(row.name, survivor_side)))
            for row in rows
        ]
    return TemplateResponse(
        request,
        "staffing/duplicate_detail.html",
        {
            "pair": pair,
            "a": a,
            "b": b,
            "found_a": found[a.pk],
            "found_b": found[b.pk],
            "rows": rows,
            "form": form,
            "confirm": confirm,
            "kept": kept,
            # The two records' cases of one episode: what the merge does with them,
            # or why it is refused.
            "cases_refused": cases.refusal if cases is not None else None,
            "case_notes": cases.notes if cases is not None else [],
        },
        status=status,
    )


@login_required
@require_GET
def duplicate(request: HttpRequest, pk: int) -> HttpResponse:
    pair = _pair_for(request.user, pk)
    rows = _comparison(pair)
    form = (
        MergeForm(pair=pair, rows=rows)
        if pair.status == PossibleDuplicate.Status.OPEN
        else None
    )
    if form is not None:
        action = reverse("staffing:duplicate_merge", args=[pair.pk])
        put_typing_back(request, form, action=action)
    return _pair_page(request, pair, form, rows)


@login_required
@require_POST
def duplicate_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """The choices, then a confirm step showing the record kept; merged on confirm."""
    pair = _pair_for(request.user, pk)
    if pair.status != PossibleDuplicate.Status.OPEN:
        messages.error(request, "This pair has already been decided.")
        return redirect("staffing:duplicate", pk=pair.pk)
    rows = _comparison(pair)
    form = MergeForm(request.POST, pair=pair, rows=rows)
    if not form.is_valid():
        return _pair_page(request, pair, form, rows, status=400)
    if "confirm" not in request.POST:
        # The confirm step says what becomes of their cases of one episode, or that
        # the merge is refused until one of two cases being worked is finished.
        cases = person_merge_cases(pair=pair)
        return _pair_page(
            request,
            pair,
            form,
            rows,
            confirm=True,
            cases=cases,
            status=409 if cases.refusal else 200,
        )
    side = {"a": pair.person_a, "b": pair.person_b}
    survivor = side[form.cleaned_data["survivor"]]
    try:
        merge = person_merge(
            pair=pair, survivor=survivor, fields=form.choices(), by=request.user
        )
    except WorkRefused as exc:
        messages.error(request, str(exc))
        return redirect("staffing:duplicate", pk=pair.pk)
    # The cached weekly figures counted the two records as two people.
    forget_cached_figures()
    survivor.refresh_from_db()
    messages.success(
        request,
        f"Merged: {survivor.full_name} (record {survivor.pk}) is now one record, "
        f"holding everything record {merge.merged_id} held.",
    )
    return redirect("staffing:duplicates")


@login_required
@require_POST
def duplicate_not_same(request: HttpRequest, pk: int) -> HttpResponse:
    pair = _pair_for(request.user, pk)
    try:
        pair_not_same(pair=pair, by=request.user)
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("staffing:duplicate", pk=pair.pk)
    messages.success(
        request,
        f"Kept apart: {pair.person_a.full_name} (record {pair.person_a_id}) and "
        f"{pair.person_b.full_name} (record {pair.person_b_id}) are two people. "
        "They will not be listed together again.",
    )
    return redirect("staffing:duplicates")
