"""`{% nhsuk_field %}` draws each kind of field as the NHS.UK design system's form
group, as its template (templates/nhsuk/field.html, until it was written in Python for
speed) drew it: the expected HTML below is that template's output."""

from __future__ import annotations

import pytest
from django import forms
from django.template import Context, Template
from django.test.html import parse_html


class Person(forms.Form):
    postcode = forms.CharField(max_length=8, help_text="For example, LS1 4AP")
    language = forms.ChoiceField(
        choices=[("", "Choose"), ("en", "English"), ("cy", "Cymraeg & more")]
    )
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    consent = forms.BooleanField(help_text="They said yes", required=True)
    outcome = forms.ChoiceField(
        widget=forms.RadioSelect,
        choices=[("reached", "Reached"), ("no_answer", "No answer <none>")],
        help_text="What happened",
    )
    days = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple,
        choices=[(1, "Mon"), (1000, "Thousand")],
        required=False,
    )
    token = forms.CharField(widget=forms.HiddenInput)


def forms_for_test() -> dict[str, forms.Form]:
    bound = Person(
        data={
            "postcode": "XX<1",
            "language": "cy",
            "outcome": "",
            "days": ["1000"],
            "token": "t&1",
        }
    )
    bound.add_error("postcode", "Enter a real postcode")
    bound.add_error("note", "Too long")
    return {"bound": bound, "unbound": Person(initial={"outcome": "reached"})}


CASES = {
    "text, hint and error, width": ("bound", 'form.postcode width="10"'),
    "text, unbound": (
        "unbound",
        'form.postcode label="Postcode" hint="Where they live"',
    ),
    "select, chosen": ("bound", 'form.language label="Language"'),
    "textarea, label hidden, error": (
        "bound",
        'form.note label="Note" label_hidden=True',
    ),
    "checkbox, hint, error": ("bound", "form.consent"),
    "radios, error, legend": ("bound", 'form.outcome legend_size="s"'),
    "radios, initial": ("unbound", 'form.outcome label="Outcome"'),
    "checkboxes, one chosen": ("bound", 'form.days label="Days"'),
    "hidden": ("bound", "form.token"),
}

EXPECTED = {
    "text, hint and error, width": '\n<div class="nhsuk-form-group nhsuk-form-group--error" id="id_postcode-group">\n  <label class="nhsuk-label" for="id_postcode">Postcode</label>\n  <div class="nhsuk-hint" id="id_postcode-hint">For example, LS1 4AP</div>\n  <span class="nhsuk-error-message" id="id_postcode-error"><span class="nhsuk-u-visually-hidden">Error: </span>Enter a real postcode</span>\n  <input type="text" name="postcode" value="XX&lt;1" maxlength="8" class="nhsuk-input nhsuk-input--error nhsuk-input--width-10" aria-describedby="id_postcode-hint id_postcode-error" required aria-invalid="true" id="id_postcode">\n</div>\n\n',
    "text, unbound": '\n<div class="nhsuk-form-group" id="id_postcode-group">\n  <label class="nhsuk-label" for="id_postcode">Postcode</label>\n  <div class="nhsuk-hint" id="id_postcode-hint">Where they live</div>\n  \n  <input type="text" name="postcode" maxlength="8" class="nhsuk-input" aria-describedby="id_postcode-hint" required id="id_postcode">\n</div>\n\n',
    "select, chosen": '\n<div class="nhsuk-form-group" id="id_language-group">\n  <label class="nhsuk-label" for="id_language">Language</label>\n  \n  \n  <select name="language" class="nhsuk-select" required id="id_language">\n  <option value="">Choose</option>\n  <option value="en">English</option>\n  <option value="cy" selected>Cymraeg &amp; more</option>\n</select>\n</div>\n\n',
    "textarea, label hidden, error": '\n<div class="nhsuk-form-group nhsuk-form-group--error" id="id_note-group">\n  <label class="nhsuk-label nhsuk-u-visually-hidden" for="id_note">Note</label>\n  \n  <span class="nhsuk-error-message" id="id_note-error"><span class="nhsuk-u-visually-hidden">Error: </span>Too long</span>\n  <textarea name="note" cols="40" rows="3" class="nhsuk-textarea nhsuk-textarea--error" aria-describedby="id_note-error" aria-invalid="true" id="id_note">\n</textarea>\n</div>\n\n',
    "checkbox, hint, error": '\n<div class="nhsuk-form-group nhsuk-form-group--error" id="id_consent-group">\n  <span class="nhsuk-error-message" id="id_consent-error"><span class="nhsuk-u-visually-hidden">Error: </span>This field is required.</span>\n  <div class="nhsuk-checkboxes" data-module="nhsuk-checkboxes">\n    <div class="nhsuk-checkboxes__item">\n      <input type="checkbox" name="consent" class="nhsuk-checkboxes__input" aria-describedby="id_consent-hint id_consent-error" required aria-invalid="true" id="id_consent">\n      <label class="nhsuk-label nhsuk-checkboxes__label" for="id_consent">Consent</label>\n      <div class="nhsuk-hint nhsuk-checkboxes__hint" id="id_consent-hint">They said yes</div>\n    </div>\n  </div>\n</div>\n\n',
    "radios, error, legend": '\n<div class="nhsuk-form-group nhsuk-form-group--error" id="id_outcome-group">\n  <fieldset class="nhsuk-fieldset" aria-describedby="id_outcome-hint id_outcome-error">\n    <legend class="nhsuk-fieldset__legend nhsuk-fieldset__legend--s">Outcome</legend>\n    <div class="nhsuk-hint" id="id_outcome-hint">What happened</div>\n    <span class="nhsuk-error-message" id="id_outcome-error"><span class="nhsuk-u-visually-hidden">Error: </span>This field is required.</span>\n    <div class="nhsuk-radios" data-module="nhsuk-radios">\n      \n      <div class="nhsuk-radios__item">\n        <input class="nhsuk-radios__input" id="id_outcome_0" name="outcome" type="radio" value="reached">\n        <label class="nhsuk-label nhsuk-radios__label" for="id_outcome_0">Reached</label>\n      </div>\n      \n      <div class="nhsuk-radios__item">\n        <input class="nhsuk-radios__input" id="id_outcome_1" name="outcome" type="radio" value="no_answer">\n        <label class="nhsuk-label nhsuk-radios__label" for="id_outcome_1">No answer &lt;none&gt;</label>\n      </div>\n      \n    </div>\n  </fieldset>\n</div>\n\n',
    "radios, initial": '\n<div class="nhsuk-form-group" id="id_outcome-group">\n  <fieldset class="nhsuk-fieldset" aria-describedby="id_outcome-hint">\n    <legend class="nhsuk-fieldset__legend">Outcome</legend>\n    <div class="nhsuk-hint" id="id_outcome-hint">What happened</div>\n    \n    <div class="nhsuk-radios" data-module="nhsuk-radios">\n      \n      <div class="nhsuk-radios__item">\n        <input class="nhsuk-radios__input" id="id_outcome_0" name="outcome" type="radio" value="reached" checked>\n        <label class="nhsuk-label nhsuk-radios__label" for="id_outcome_0">Reached</label>\n      </div>\n      \n      <div class="nhsuk-radios__item">\n        <input class="nhsuk-radios__input" id="id_outcome_1" name="outcome" type="radio" value="no_answer">\n        <label class="nhsuk-label nhsuk-radios__label" for="id_outcome_1">No answer &lt;none&gt;</label>\n      </div>\n      \n    </div>\n  </fieldset>\n</div>\n\n',
    "checkboxes, one chosen": '\n<div class="nhsuk-form-group" id="id_days-group">\n  <fieldset class="nhsuk-fieldset">\n    <legend class="nhsuk-fieldset__legend">Days</legend>\n    \n    \n    <div class="nhsuk-checkboxes" data-module="nhsuk-checkboxes">\n      \n      <div class="nhsuk-checkboxes__item">\n        <input class="nhsuk-checkboxes__input" id="id_days_0" name="days" type="checkbox" value="1">\n        <label class="nhsuk-label nhsuk-checkboxes__label" for="id_days_0">Mon</label>\n      </div>\n      \n      <div class="nhsuk-checkboxes__item">\n        <input class="nhsuk-checkboxes__input" id="id_days_1" name="days" type="checkbox" value="1000" checked>\n        <label class="nhsuk-label nhsuk-checkboxes__label" for="id_days_1">Thousand</label>\n      </div>\n      \n    </div>\n  </fieldset>\n</div>\n\n',
    "hidden": '<input type="hidden" name="token" value="t&amp;1" class="nhsuk-input" id="id_token">\n\n',
}


@pytest.mark.parametrize("name", CASES)
def test_a_field_is_drawn_as_the_design_systems_form_group(name):
    which, args = CASES[name]
    form = forms_for_test()[which]
    drawn = Template("{% load nhsuk %}{% nhsuk_field " + args + " %}").render(
        Context({"form": form})
    )
    assert parse_html(drawn) == parse_html(EXPECTED[name]), drawn


def test_a_field_with_two_errors_says_both_under_one_id():
    """Two spans with one id: invalid, and `aria-describedby` read only the first."""
    form = Person(data={"postcode": "XX<1", "outcome": "reached", "token": "t"})
    form.is_valid()
    form.add_error("postcode", "Enter a real postcode")
    form.add_error("postcode", "Use <capitals>")
    html = Template("{% load nhsuk %}{% nhsuk_field form.postcode %}").render(
        Context({"form": form})
    )
    assert html.count('id="id_postcode-error"') == 1
    assert "Enter a real postcode<br>Use &lt;capitals&gt;</span>" in html
