"""`{% management_form formset %}` draws the four hidden inputs a formset posts back
with exactly as Django's `{{ formset.management_form }}` does, so the contacts rows of
a case page are counted the same when they come back."""

from __future__ import annotations

import pytest
from django import forms
from django.template import Context, Template

from pages.desk.contact_forms import ContactFormSet, contact_rows_formset
from tests.workspace.conftest import CaseFactory

TAG = Template("{% load nhsuk %}{% management_form formset %}")


class Row(forms.Form):
    name = forms.CharField()


def _drawn(formset) -> str:
    return TAG.render(Context({"formset": formset}))


@pytest.mark.parametrize(
    "formset",
    [
        forms.formset_factory(Row, extra=2)(prefix="rows"),
        forms.formset_factory(Row, extra=1, min_num=2, max_num=7)(prefix="p<x>"),
        forms.formset_factory(Row)(initial=[{"name": "a"}, {"name": "b"}]),
        # Ids of another pattern, and none.
        forms.formset_factory(Row)(prefix="rows", auto_id="field_%s_here"),
        forms.formset_factory(Row)(prefix="rows", auto_id=False),
        # Bound, with a count that is not a number: Django's, with its errors.
        forms.formset_factory(Row)({"rows-TOTAL_FORMS": "x"}, prefix="rows"),
        forms.formset_factory(Row)(
            {"rows-TOTAL_FORMS": "3", "rows-INITIAL_FORMS": "0"}, prefix="rows"
        ),
    ],
    ids=["extra", "min-max-prefix", "initial", "ids", "no-ids", "bad", "bound"],
)
def test_drawn_as_django_draws_it(formset):
    assert _drawn(formset) == str(formset.management_form)


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [None, [{"first_name": "Ann"}] * 7])
def test_the_contacts_rows_of_a_case_page(rows):
    formset = contact_rows_formset(CaseFactory(), rows=rows)
    assert isinstance(formset, ContactFormSet)
    drawn = _drawn(formset)
    assert drawn == str(formset.management_form)
    assert f'value="{formset.total_form_count()}" id="id_contacts-TOTAL_FORMS"' in drawn
