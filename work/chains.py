"""Chains of transmission around one case or contact: who named whom, who became whom.

The graph's nodes are cases and contacts; its edges are a case naming a contact
("named": the contact's own case, and each other case that named the same person
while the contact was still to be called, a FurtherExposure) and a contact becoming a
case ("became": the same person, exposed, by any of those cases, within the chain's
days before the case's onset, contacts/chains.py).

Around a case it reaches two steps up (the contacts this case was and the cases that
named them, then again) and two down (this case's contacts and the cases they became,
then those cases' contacts that became cases, and those cases). Around a contact: the
cases that named it and one step above those; the cases the contact became, their
contacts that became cases and those cases. At most `cap` nodes, the nearest first;
the rest are counted. Two queries a level that reads contacts (the contacts, then
their further exposures with the cases that named them), one a level that reads
cases; never one a node.

A case whose positive result was withdrawn (sent in error) is in no chain: no node,
no link to or from it, and its namings link nobody (the rule, contacts/chains.py). A
withdrawn case's own chain, or a withdrawn contact's (only such cases named them), is
the centre alone, `withdrawn` saying why.

What the viewer is shown of each node follows work/access: the person's name, date and
status of an item they may see (or of the centre's own person, whose page they are
on); "a case in <area>" for any other. `opens` says the viewer may open its page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from areas.models import Area
from cases.models import Case
from cases.workitem import Status, WorkItem
from contacts.chains import (
    became_a_case,
    case_stands,
    chain_days,
    contact_became_case,
    contact_exposure_dates,
    contacts_becoming,
)
from contacts.models import Contact, FurtherExposure

from .access.actor import Actor
from .access.cases import cases_visible_to, may_work_case
from .access.contacts import contacts_visible_to, may_work_contact
from .compiled import exists_compiled_once

CASE, CONTACT = "case", "contact"
NAMED, BECAME = "named", "became"
CHAIN_NODE_CAP = 40
# The most rows read at one level of the walk: a bound on a page's work, whatever
# the data (a case with hundreds of contacts still draws its nearest `cap`).
LEVEL_ROWS = 200


@dataclass(frozen=True)
class ChainNode:
    kind: str  # CASE or CONTACT
    id: int
    column: int  # 0 the centre; negative before it, positive after
    label: str  # the person's name, or "A case in Leeds" when not theirs to see
    named: bool  # the label is the person's name (date and status are shown too)
    date_kind: str  # "symptoms from", "tested on" or "exposed on"
    date: date | None  # None when not shown
    status: str  # as the pages say it; "" when not shown
    opens: bool  # the viewer may open its page
    centre: bool = False

    @property
    def key(self) -> str:
        return f"{self.kind}-{self.id}"


@dataclass(frozen=True)
class ChainEdge:
    source: str  # a node's key
    target: str
    kind: str  # NAMED (case -> contact) or BECAME (contact -> case)


@dataclass(frozen=True)
class Chain:
    centre: ChainNode
    nodes: list[ChainNode]  # the centre among them
    edges: list[ChainEdge]
    more: int = 0  # found and left out by the cap (the walk stops there)
    days: int = field(default_factory=chain_days)
    # The items shown by name, but the centre's own person's: what a page audits as
    # viewed.
    named_items: list[WorkItem] = field(default_factory=list)
    # The centre was withdrawn (a case's result sent in error, or a contact only
    # such cases named): in no chain, whatever lies near it.
    withdrawn: bool = False

    @property
    def linked(self) -> bool:
        """A contact became a case somewhere in the graph."""
        return any(edge.kind == BECAME for edge in self.edges)

    def columns(self) -> list[list[ChainNode]]:
        """The nodes by column, left (earliest) to right, each column in order."""
        by_column: dict[int, list[ChainNode]] = {}
        for node in self.nodes:
            by_column.setdefault(node.column, []).append(node)
        return [by_column[c] for c in sorted(by_column)]

    def node(self, key: str) -> ChainNode:
        """The node of this key (every edge's ends are nodes); KeyError if none."""
        for node in self.nodes:
            if node.key == key:
                return node
        raise KeyError(key)


def _key(item: WorkItem) -> str:
    return f"{item.kind}-{item.pk}"


class _Walk:
    """The items found so far, each at its column, the nearest first; edges between
    them; what the cap left out."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.items: dict[str, tuple[WorkItem, int]] = {}
        self.edges: dict[tuple[str, str], str] = {}
        self.more = 0

    def add(self, item: WorkItem, column: int) -> bool:
        """True when the item is new here (and so to be walked on from)."""
        key = _key(item)
        if key in self.items:
            return False
        if len(self.items) >= self.cap:
            self.more += 1
            return False
        self.items[key] = (item, column)
        return True

    def link(self, source: WorkItem, target: WorkItem, kind: str) -> None:
        self.edges.setdefault((_key(source), _key(target)), kind)

    def kept_edges(self) -> list[ChainEdge]:
        return [
            ChainEdge(source, target, kind)
            for (source, target), kind in self.edges.items()
            if source in self.items and target in self.items
        ]


# --- one level each (one query each, and one for the contacts' further exposures) ----


def _with_exposures(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    """The contacts with their people, the cases that named them (their own and, by
    a further exposure, the others, the earliest exposure first): one more query."""
    further = FurtherExposure.objects.select_related("case__person").order_by(
        "exposure_date", "pk"
    )
    return contacts.select_related("person", "case__person").prefetch_related(
        Prefetch("further_exposures", queryset=further)
    )


def _named_by(contact: Contact) -> list[Case]:
    """The cases that named the contact, but those withdrawn: its own, then by its
    further exposures (prefetched with their cases by _with_exposures)."""
    cases = [contact.case] + [e.case for e in contact.further_exposures.all()]
    return [case for case in cases if case_stands(case)]


def _contacts_that_became(cases: Sequence[Case]) -> list[tuple[Contact, Case]]:
    """The contacts each case was (the same person, exposed in the window by any
    case that named them), with the cases that named them loaded."""
    if not cases:
        return []
    days = chain_days()
    ons = [c.symptom_onset or c.specimen_date for c in cases]
    since, until = min(ons) - timedelta(days=days), max(ons)
    exposed_further = FurtherExposure.objects.filter(
        contact=OuterRef("pk"), exposure_date__gte=since, exposure_date__lte=until
    )
    contacts = _with_exposures(
        Contact.objects.filter(person_id__in={c.person_id for c in cases})
        .filter(
            Q(exposure_date__gte=since, exposure_date__lte=until)
            | Exists(exposed_further)
        )
        .order_by("exposure_date", "pk")[:LEVEL_ROWS]
    )
    return [(k, c) for k in contacts for c in cases if contact_became_case(k, c)]


def _cases_became(contacts: Sequence[Contact]) -> list[tuple[Contact, Case]]:
    """The cases each contact became (their further exposures prefetched)."""
    if not contacts:
        return []
    cases = (
        Case.objects.filter(person_id__in={k.person_id for k in contacts})
        .exclude(status=Status.WITHDRAWN)
        .select_related("person")
        .order_by("specimen_date", "pk")[:LEVEL_ROWS]
    )
    return [(k, c) for k in contacts for c in cases if contact_became_case(k, c)]


def _contacts_named(cases: Sequence[Case], *, only_became: bool) -> list[Contact]:
    """The contacts these cases named, as their own or by a further exposure (only
    those that became a case, if asked)."""
    if not cases:
        return []
    ids = [c.pk for c in cases]
    contacts = Contact.objects.filter(
        Q(case__in=ids)
        | Exists(FurtherExposure.objects.filter(contact=OuterRef("pk"), case__in=ids))
    )
    if only_became:
        contacts = contacts.filter(became_a_case())
    return list(_with_exposures(contacts.order_by("exposure_date", "pk")[:LEVEL_ROWS]))


# --- the walk ------------------------------------------------------------------------


def _up(walk: _Walk, cases: list[Case], column: int) -> list[Case]:
    """One step up from these cases: the contacts they were, and the cases that
    named those contacts. Returns the cases newly found (to walk on from)."""
    found = []
    for contact, case in _contacts_that_became(cases):
        walk.link(contact, case, BECAME)
        if not walk.add(contact, column - 1) and _key(contact) not in walk.items:
            continue  # left out by the cap: so are the cases that named it
        for named_by in _named_by(contact):
            walk.link(named_by, contact, NAMED)
            if walk.add(named_by, column - 2):
                found.append(named_by)
    return found


def _down_to_cases(walk: _Walk, contacts: Iterable[Contact], column: int) -> list[Case]:
    """From contacts at `column`: the cases they became, at the next column."""
    found = []
    for contact, case in _cases_became(list(contacts)):
        walk.link(contact, case, BECAME)
        if walk.add(case, column + 1):
            found.append(case)
    return found


def _down(walk: _Walk, cases: list[Case], column: int, *, only_became: bool):
    """One step down from these cases: the contacts they named (all, or only those
    that became cases), and the cases those became."""
    by_pk = {c.pk: c for c in cases}
    contacts = []
    for contact in _contacts_named(cases, only_became=only_became):
        for named_by in _named_by(contact):
            if named_by.pk in by_pk:
                walk.link(by_pk[named_by.pk], contact, NAMED)
        if walk.add(contact, column + 1):
            contacts.append(contact)
    return _down_to_cases(walk, contacts, column + 1)


# The two "is it linked at all" queries are composed by the ORM once per process (per
# database and chain window) and then run with the item's id (work.compiled): three
# EXISTS nested three deep take the ORM some 13 ms to compile on every case page, ten
# times what the database takes to plan and run them.


def _linked_case_query(pk: int) -> QuerySet[Case]:
    """The case was a contact, or a contact it named (as its own or by a further
    exposure) became a case. Each way is its own EXISTS on its own index (an OR
    inside one subquery would read every contact)."""
    was_a_contact = Exists(contacts_becoming())
    named_a_future_case = Exists(
        Contact.objects.filter(case=OuterRef("pk")).filter(became_a_case())
    )
    named_further_a_future_case = Exists(
        Contact.objects.filter(
            pk__in=FurtherExposure.objects.filter(case=OuterRef(OuterRef("pk"))).values(
                "contact"
            )
        ).filter(became_a_case())
    )
    return (
        Case.objects.filter(pk=pk)
        .exclude(status=Status.WITHDRAWN)
        .filter(was_a_contact | named_a_future_case | named_further_a_future_case)
    )


def _linked_case(case: Case) -> bool:
    """One query: is the case linked (_linked_case_query)?"""
    return exists_compiled_once(
        ("linked case", chain_days()), Case, _linked_case_query, pk=case.pk
    )


def _linked_contact_query(pk: int) -> QuerySet[Contact]:
    """The contact became a case, or a case that named it (its own, or by a further
    exposure) was a contact itself. Each way its own EXISTS on its own index."""
    own_case_was_a_contact = Exists(
        Case.objects.filter(pk=OuterRef("case_id")).filter(Exists(contacts_becoming()))
    )
    further_case_was_a_contact = Exists(
        Case.objects.filter(
            pk__in=FurtherExposure.objects.filter(
                contact=OuterRef(OuterRef("pk"))
            ).values("case")
        ).filter(Exists(contacts_becoming()))
    )
    return Contact.objects.filter(pk=pk).filter(
        became_a_case() | own_case_was_a_contact | further_case_was_a_contact
    )


def _linked_contact(contact: Contact) -> bool:
    """One query: is the contact linked (_linked_contact_query)?"""
    return exists_compiled_once(
        ("linked contact", chain_days()), Contact, _linked_contact_query, pk=contact.pk
    )


def chain_around(
    *,
    viewer: Actor | Any,
    case: Case | None = None,
    contact: Contact | None = None,
    cap: int = CHAIN_NODE_CAP,
) -> Chain:
    """The chain of transmission around one case or one contact (give one), as this
    viewer may see it. Not linked (no contact became a case near it): the centre
    alone, after one query; withdrawn, the centre alone, after none."""
    if (case is None) == (contact is None):
        raise ValueError("Give a case or a contact.")
    walk = _Walk(max(cap, 1))
    centre: WorkItem
    if case is not None:
        centre = case
        walk.add(case, 0)
        # A withdrawn case named no one who counts, and became from no one; yet a
        # contact it named may be linked by another's naming: not from here.
        if case_stands(case) and _linked_case(case):
            ups, downs = [case], [case]
            for step in range(2):
                column = 2 * step
                ups = _up(walk, ups, -column)
                downs = _down(walk, downs, column, only_became=step > 0)
    else:
        assert contact is not None
        linked = _linked_contact(contact)
        if linked:
            # Read again with the cases that named it: its own, and any other by a
            # further exposure.
            contact = _with_exposures(Contact.objects.filter(pk=contact.pk)).get()
        centre = contact
        walk.add(contact, 0)
        if linked:
            named_by = _named_by(contact)
            for naming in named_by:
                walk.link(naming, contact, NAMED)
                walk.add(naming, -1)
            _up(walk, named_by, -1)
            became = _down_to_cases(walk, [contact], 0)
            _down(walk, became, 1, only_became=True)
    chain = _shown(walk, viewer=Actor.of(viewer), centre=centre)
    if centre.status == Status.WITHDRAWN:
        chain = replace(chain, withdrawn=True)
    return chain


# --- what the viewer is shown --------------------------------------------------------------


def _shown(walk: _Walk, *, viewer: Actor, centre: WorkItem) -> Chain:
    items = [item for item, _ in walk.items.values()]
    others = [item for item in items if item is not centre]
    case_ids = [i.pk for i in others if i.kind == CASE]
    contact_ids = [i.pk for i in others if i.kind == CONTACT]
    visible = {(CASE, centre.pk)} if centre.kind == CASE else {(CONTACT, centre.pk)}
    if case_ids:
        visible |= {
            (CASE, pk)
            for pk in cases_visible_to(viewer)
            .filter(pk__in=case_ids)
            .values_list("pk", flat=True)
        }
    if contact_ids:
        visible |= {
            (CONTACT, pk)
            for pk in contacts_visible_to(viewer)
            .filter(pk__in=contact_ids)
            .values_list("pk", flat=True)
        }

    def named(item: WorkItem) -> bool:
        # The centre's own person is on the viewer's page already.
        return (item.kind, item.pk) in visible or item.person_id == centre.person_id

    hidden_areas = {i.area_id for i in items if not named(i) and i.area_id}
    area_names = (
        dict(Area.objects.filter(pk__in=hidden_areas).values_list("pk", "name"))
        if hidden_areas
        else {}
    )
    nodes = []
    for key, (item, column) in walk.items.items():
        shown = named(item)
        seen = (item.kind, item.pk) in visible
        if shown:
            label = item.person.full_name
        elif item.area_id in area_names:
            label = f"A {item.kind} in {area_names[item.area_id]}"
        else:
            label = f"A {item.kind} (area not known)"
        if isinstance(item, Case):
            date_kind = "symptoms from" if item.symptom_onset else "tested on"
            opens = may_work_case(viewer, item)
        else:
            assert isinstance(item, Contact)
            # A contact named by several cases: its latest exposure, the one its
            # isolation runs from (the walk read every contact in it with its
            # further exposures; the centre alone, not linked, shows nothing).
            if walk.edges and len(contact_exposure_dates(item)) > 1:
                date_kind = "last exposed on"
            else:
                date_kind = "exposed on"
            opens = may_work_contact(viewer, item)
        nodes.append(
            ChainNode(
                kind=item.kind,
                id=item.pk,
                column=column,
                label=label,
                named=shown,
                date_kind=date_kind,
                date=_date_of(item, further=bool(walk.edges)) if shown else None,
                status=item.get_status_display() if seen else "",
                opens=opens and key != _key(centre),
                centre=item is centre,
            )
        )
    return Chain(
        centre=nodes[0],
        nodes=nodes,
        edges=walk.kept_edges(),
        more=walk.more,
        named_items=[
            item for item in items if named(item) and item.person_id != centre.person_id
        ],
    )


def _date_of(item: WorkItem, *, further: bool) -> date:
    if isinstance(item, Case):
        return item.symptom_onset or item.specimen_date
    assert isinstance(item, Contact)
    if not further:
        return item.exposure_date
    return max(contact_exposure_dates(item), default=item.exposure_date)
