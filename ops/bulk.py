"""Bulk demo data for benchmarks: many cases and contacts, inserted in batches."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from areas.models import Area
from cases.models import Case
from cases.workitem import Route, Status
from contacts.models import Contact
from people.models import Person
from work.rules import CallRule, case_isolation_ends_on, contact_isolation_ends_on

BATCH = 5000
CONTACTS_PER_CASE = 3


def bulk_seed(*, cases: int, stdout=None, seed: int = 7) -> int:
    """Add `cases` cases (and three contacts each) spread over the last 30 days.

    Most are long finished, as in a real month; a few percent wait, are held or are
    due for escalation. Continues numbering from any earlier bulk run.
    """
    rng = random.Random(seed)
    areas = list(
        Area.objects.exclude(postcode_districts=[]).values_list("id", flat=True)
    )
    start = Case.objects.filter(lab_reference__startswith="BULK").count()
    now = timezone.now()
    case_rule, contact_rule = CallRule.for_kind("case"), CallRule.for_kind("contact")
    made = 0
    while made < cases:
        size = min(BATCH, cases - made)
        with transaction.atomic():
            people = Person.objects.bulk_create(
                [
                    Person(
                        first_name="Bulk",
                        last_name=f"Person{start + made + i}",
                        phone=f"+447500{(start + made + i) % 1000000:06d}",
                        area_id=rng.choice(areas),
                    )
                    for i in range(size * (1 + CONTACTS_PER_CASE))
                ],
                batch_size=BATCH,
            )
            case_rows = []
            for i in range(size):
                n = start + made + i
                created = now - timedelta(minutes=rng.randrange(0, 30 * 24 * 60))
                specimen = timezone.localdate(created) - timedelta(days=1)
                status = rng.choices(
                    [Status.COMPLETED, Status.NEW, Status.ASSIGNED, Status.CLOSED],
                    weights=[90, 4, 3, 3],
                )[0]
                person = people[i * (1 + CONTACTS_PER_CASE)]
                case_rows.append(
                    Case(
                        person=person,
                        lab_reference=f"BULK{n:09d}",
                        specimen_date=specimen,
                        result_date=specimen,
                        area_id=person.area_id,
                        status=status,
                        source=Case.Source.DEMO,
                        created_at=created,
                        isolation_ends_on=case_isolation_ends_on(
                            symptom_onset=None, specimen_date=specimen
                        ),
                        next_attempt_at=created if status == Status.NEW else None,
                        escalate_due_at=case_rule.escalate_due_at(created)
                        if status == Status.NEW
                        else None,
                        reached_at=created + timedelta(hours=3)
                        if status == Status.COMPLETED
                        else None,
                        reached_route=Route.NATIONAL
                        if status == Status.COMPLETED
                        else "",
                        completed_at=created + timedelta(hours=4)
                        if status == Status.COMPLETED
                        else None,
                    )
                )
            # Held items need a holder; the bulk data keeps them in the pool instead.
            for c in case_rows:
                if c.status == Status.ASSIGNED:
                    c.status = Status.NEW
            Case.objects.bulk_create(case_rows, batch_size=BATCH)
            contact_rows = []
            for i, case in enumerate(case_rows):
                for k in range(CONTACTS_PER_CASE):
                    person = people[i * (1 + CONTACTS_PER_CASE) + 1 + k]
                    reached = case.status == Status.COMPLETED and rng.random() < 0.8
                    status = (
                        Status.REACHED
                        if reached
                        else (
                            Status.NEW
                            if case.status != Status.CLOSED
                            else Status.CLOSED
                        )
                    )
                    contact_rows.append(
                        Contact(
                            case=case,
                            person=person,
                            exposure_date=case.specimen_date,
                            exposure=Contact.Exposure.HOUSEHOLD,
                            area_id=person.area_id,
                            status=status,
                            created_at=case.created_at + timedelta(hours=3),
                            isolation_ends_on=contact_isolation_ends_on(
                                last_exposure=case.specimen_date
                            ),
                            next_attempt_at=case.created_at
                            if status == Status.NEW
                            else None,
                            escalate_due_at=contact_rule.escalate_due_at(
                                case.created_at
                            )
                            if status == Status.NEW
                            else None,
                            reached_at=case.created_at + timedelta(hours=6)
                            if reached
                            else None,
                            reached_route=Route.NATIONAL if reached else "",
                        )
                    )
            Contact.objects.bulk_create(contact_rows, batch_size=BATCH)
        made += size
        if stdout is not None:
            stdout.write(f"  {made}/{cases} cases")
    return made
