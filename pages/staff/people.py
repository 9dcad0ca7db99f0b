"""Find a person across the service: staff of every tier and administrators, each
shown only the people (and the cases and contacts of theirs) they may see
(work/access/people.py). Every search is audited as a list view of the people shown.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from audit.services import audit_list_view
from figures.replica import read_on_replica
from work.access.people import (
    SEARCH_LIMIT,
    PersonFound,
    may_search_people,
    parse_person_query,
    people_found,
    people_search,
)

from .forms import DateInput


class PeopleSearchForm(forms.Form):
    q = forms.CharField(
        required=False,
        max_length=200,
        label="Name, date of birth, phone, NHS number or postcode",
        help_text="For example, Jonathan Smith, 14/06/1985, 07911 123456, "
        "943 476 5919 or S1 1AA.",
    )
    date_of_birth = forms.DateField(
        required=False, label="Date of birth (optional)", widget=DateInput
    )

    def clean(self):
        data = super().clean()
        if (
            not self.errors
            and not (data.get("q") or "").strip()
            and data.get("date_of_birth") is None
        ):
            self.add_error(
                "q", "Enter a name, date of birth, phone, NHS number or postcode."
            )
        return data


@login_required
@require_GET
def people_search_view(request: HttpRequest) -> HttpResponse:
    if not may_search_people(request.user):
        raise PermissionDenied("Only members of staff and administrators.")
    form = PeopleSearchForm(request.GET or None)
    results = None
    query = None
    more = False
    if form.is_bound and form.is_valid():
        query = parse_person_query(form.cleaned_data["q"])

        # Read from the replica when there is one (figures/replica.py): people are
        # found by records made minutes or days ago, and a record opened from the
        # results is read afresh from the primary. A replica that fails the search
        # under it is passed by: the search is made again on the primary.
        def search() -> tuple[list[PersonFound], bool]:
            # One more than are shown says whether more matched, without counting
            # every match (a date of birth matches thousands nationally).
            people = list(
                people_search(
                    request.user,
                    query,
                    date_of_birth=form.cleaned_data["date_of_birth"],
                    limit=SEARCH_LIMIT + 1,
                )
            )
            shown = people[:SEARCH_LIMIT]
            return people_found(request.user, shown), len(people) > SEARCH_LIMIT

        results, more = read_on_replica(search)
        people = [row.person for row in results]
        audit_list_view(
            user=request.user, items=people, via="page", list_name="people search"
        )
    return TemplateResponse(
        request,
        "staffing/people_search.html",
        {
            "form": form,
            "results": results,
            "query": query,
            "limit": SEARCH_LIMIT,
            "more": more,
        },
    )
