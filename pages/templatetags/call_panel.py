"""What the call panel (calls/_call_panel.html) offers someone with no number to
call: the panel is drawn for a case and a contact alike, from the item in hand."""

from __future__ import annotations

from django import template
from django.forms.boundfield import BoundField

from work.rules import has_number_to_call, no_number_to_call_said

from ..desk.call_forms import CallLogForm

register = template.Library()


@register.filter
def outcomes_for(form: CallLogForm, item) -> BoundField:
    """The call form's outcome as offered for `item`'s person: without a number to
    ring (none on their record, or only numbers answered by someone else), only the
    outcomes that need no number."""
    return form.outcome_offered(number_to_call=has_number_to_call(item.person))


@register.filter
def no_number_to_call(item) -> str:
    """What the panel says of someone with no number to ring (log "Wrong number" to
    send them to their local team): none on their record, or only numbers answered
    by someone else, which the page beside it still shows; "" for someone with
    one."""
    return no_number_to_call_said(item.person)
