"""My work's rows drawn in Python (pages/desk/queue_rows.py) are the HTML the page's
template loop drew from the items themselves: Django's own URL reversal, date filters,
escaping and the shared status and due tag partials."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.template import engines
from django.test.html import parse_html
from django.utils import timezone

from cases.models import Case
from contacts.models import Contact
from pages.desk.queue_rows import for_rows, queue_rows_html
from tests.workspace.conftest import CaseFactory, ContactFactory, hold
from work.queues import with_due_state, work_queue

pytestmark = pytest.mark.django_db

# The loop as templates/work/queue.html drew it before its rows were drawn in Python.
REFERENCE = engines["django"].from_string(
    """{% for item in items %}
    <tr class="nhsuk-table__row app-queue__row--{{ item.due_state|default:'later' }}" role="row">
      <td class="nhsuk-table__cell" role="cell"><span class="nhsuk-table__heading" aria-hidden="true">{% if kind == "case" %}Case{% else %}Contact{% endif %} </span><a href="{% if kind == 'case' %}{% url 'cases:detail' item.pk %}{% else %}{% url 'contacts:detail' item.pk %}{% endif %}">{{ item.person.full_name }}</a>
        {% if kind == "case" and item.lab_reference %}<br><span class="nhsuk-body-s nhsuk-u-secondary-text-colour">{{ item.lab_reference }}</span>{% endif %}</td>
      <td class="nhsuk-table__cell" role="cell"><span class="nhsuk-table__heading" aria-hidden="true">Phone </span>{% if item.person.phone %}{{ item.person.phone.as_national }}{% else %}\u2013{% endif %}</td>
      {% if kind == "case" %}<td class="nhsuk-table__cell" role="cell"><span class="nhsuk-table__heading" aria-hidden="true">Result </span>{{ item.result_date|date:"j M" }}</td>{% else %}<td class="nhsuk-table__cell" role="cell"><span class="nhsuk-table__heading" aria-hidden="true">Isolates until </span>{{ item.isolation_ends_on|date:"j M Y" }}</td>{% endif %}
      <td class="nhsuk-table__cell" role="cell"><span class="nhsuk-table__heading" aria-hidden="true">Status </span>{% include "calls/_status_tag.html" with testid="" %}
        {% if item.online_state == "sent" %}<strong class="nhsuk-tag nhsuk-tag--aqua-green" data-testid="online-tag">Online: sent link</strong>{% elif item.online_state == "answered" %}<strong class="nhsuk-tag nhsuk-tag--green" data-testid="online-tag">Online: answered</strong>{% endif %}</td>
      <td class="nhsuk-table__cell" role="cell"><span class="nhsuk-table__heading" aria-hidden="true">Attempts </span>{{ item.attempts }}</td>
      <td class="nhsuk-table__cell" role="cell"><span class="nhsuk-table__heading" aria-hidden="true">Next call </span>{% if item.next_attempt_at %}{{ item.next_attempt_at|date:"H:i, D j M" }}{% else %}\u2013{% endif %}
        {% include "calls/_due_tag.html" %}</td>
    </tr>
  {% endfor %}"""
)

NOW = timezone.now()
# (when the call is due, from now; the online state; the status, for a case)
VARIANTS = [
    (dt.timedelta(hours=-2), "", None),  # overdue
    (dt.timedelta(minutes=-5), "sent", None),  # due now
    (dt.timedelta(hours=3), "answered", None),  # later
    (None, "", "reached"),  # no call set (a reached case, still held)
    (dt.timedelta(days=1), "expired?", None),  # an unknown state: no tag
]


def _queue(user, kind):
    """The queue read as My work reads it: only the columns its rows draw."""
    queue = for_rows(work_queue(user), kind)
    items = with_due_state(list(queue), now=NOW)
    assert len(items) == len(VARIANTS)
    for item, (_, online, _) in zip(items, VARIANTS, strict=True):
        item.online_state = online
    return items


def _spaces(html: str) -> str:
    """Runs of white space as one space, and none before a row or cell starts or
    ends (where the browser shows none)."""
    return re.sub(r" (?=</?t[dr][ >])", "", " ".join(html.split()))


def _assert_same(items, kind):
    ours = str(queue_rows_html(items, kind=kind))
    theirs = REFERENCE.render({"items": items, "kind": kind})
    assert parse_html(ours) == parse_html(theirs)
    # And the same spaces between tags where a space shows: a status tag and the
    # online tag beside it stand apart on the page only if a space is between them.
    assert _spaces(ours) == _spaces(theirs)
    return ours


def _schedule(model, items):
    for n, item in enumerate(items):
        due_in, _, status = VARIANTS[n]
        at = None if due_in is None else NOW + due_in
        if n == len(VARIANTS) - 1:  # the hour after the clocks went back: local time
            at = dt.datetime(2026, 10, 25, 1, 30, tzinfo=dt.UTC)
        changes = {"next_attempt_at": at, "attempts": n}
        if status and model is Case:
            changes["status"] = status
        model.objects.filter(pk=item.pk).update(**changes)


def test_case_rows_are_the_templates_rows(caseworker):
    names = ['O\'Brien <b>&</b> "Jo"', "Ånström", "Plain", "X", "Y"]
    cases = [hold(CaseFactory(person__last_name=name), caseworker) for name in names]
    cases[0].person.phone = "+447911123456"
    cases[0].person.save(update_fields=["phone"])
    cases[1].person.phone = ""
    cases[1].person.save(update_fields=["phone"])
    cases[3].person.phone = "+33612345678"  # a number abroad: its own national format
    cases[3].person.save(update_fields=["phone"])
    Case.objects.filter(pk=cases[2].pk).update(lab_reference="")
    _schedule(Case, cases)
    html = _assert_same(_queue(caseworker, "case"), "case")
    assert "O&#x27;Brien &lt;b&gt;&amp;&lt;/b&gt; &quot;Jo&quot;" in html
    for shown in ("Online: sent link", "Online: answered", "Overdue", "Due now"):
        assert shown in html
    assert "01:30, Sun 25 Oct" in html  # 01:30 UTC: GMT again by then
    assert "07911 123456" in html
    assert "06 12 34 56 78" in html


def test_contact_rows_are_the_templates_rows(call_handler):
    case = CaseFactory()
    contacts = [
        hold(ContactFactory(case=case, person__first_name=f"<i>{n}</i>"), call_handler)
        for n in range(len(VARIANTS))
    ]
    Contact.objects.filter(pk=contacts[0].pk).update(
        isolation_ends_on=dt.date(2026, 1, 9)
    )
    _schedule(Contact, contacts)
    html = _assert_same(_queue(call_handler, "contact"), "contact")
    assert "9 Jan 2026" in html
    assert "&lt;i&gt;0&lt;/i&gt;" in html


def test_an_empty_queue_draws_no_row(caseworker):
    assert str(queue_rows_html([], kind="case")) == ""
