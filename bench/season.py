"""The winter of 2020-21 replayed through intake, assignment, the calls and the
escalation sweep, for a given staffing: how far behind the service falls.

England's positive cases by specimen date (the season's daily counts, scaled by
`--scale`) arrive hour by hour through the intake service (case_intake_many, batches
of up to 1,000). Every hour an assignment run hands the waiting cases to the
caseworkers and the waiting contacts to the call handlers on shift (08:00-20:00 each
day); each works up to `--per-hour` of the due items they hold (a call: answered with
chance `--reach`, else "no answer", called again by the call rules). A case answered
is assessed, names its contacts (`--contacts-per-case` on average), and is
completed; a contact answered is completed. The escalation sweep sends the items
nobody reached in time to their local team. All through the services the pages and
tasks use, with the simulated time passed as `now`; the days are laid on the
calendar ending yesterday (the staff's training and registration are dated from
today), the counts are the season's.

Prints, per simulated day and for cases and contacts: how many arrived (or were
named), the share assigned within an hour, how many were completed and escalated
that day, and how many were open at midnight (waiting, held or reached); then what
intake, assignment and the calls cost in time. A benchmark, not a test: it prints
figures and never fails on a time.

    .venv/bin/python bench/season.py                         # 3 weeks from 1 Dec 2020, 1%
    .venv/bin/python bench/season.py --call-handlers 40      # the same, short of call handlers
    .venv/bin/python bench/season.py --start 2020-10-01 --days 60 --scale 0.005

The daily counts come from a CSV of `date,cases` (`--data`; by default the project's
shared data folder beside this checkout).
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import add_database_url  # noqa: E402
from bench.intake import fresh_database  # noqa: E402

DB_NAME = "tracing_bench_season"
DATA = ROOT.parent / "shared" / "data" / "england_cases_by_specimen_date.csv"
BATCH = 1_000
SHIFT_HOURS = range(8, 20)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--start", type=date.fromisoformat, default=date(2020, 12, 1))
    parser.add_argument("--days", type=int, default=21)
    parser.add_argument(
        "--scale", type=float, default=0.01, help="Share of England's cases (0.01)."
    )
    parser.add_argument("--caseworkers", type=int, default=60)
    parser.add_argument("--call-handlers", type=int, default=120)
    parser.add_argument(
        "--contacts-per-case",
        type=float,
        default=2.0,
        help="Contacts a case names on average (2).",
    )
    parser.add_argument(
        "--per-hour",
        type=int,
        default=2,
        help="Items a member of staff calls an hour (2).",
    )
    parser.add_argument(
        "--reach", type=float, default=0.7, help="Share of calls answered (0.7)."
    )
    add_database_url(parser, DB_NAME)
    return parser.parse_args()


def daily_counts(path: Path, start: date, days: int, scale: float) -> list[int]:
    with path.open(newline="") as handle:
        by_day = {
            date.fromisoformat(row["date"]): int(row["cases"])
            for row in csv.DictReader(handle)
        }
    missing = [
        start + timedelta(d) for d in range(days) if start + timedelta(d) not in by_day
    ]
    if missing:
        raise SystemExit(f"{path} has no count for {missing[0]}")
    return [round(by_day[start + timedelta(d)] * scale) for d in range(days)]


def book_shifts(first_day: date, days: int) -> None:
    """Every caseworker trained, registered and signed off before the first simulated
    day, and on shift 08:00-20:00 (local) on every simulated day."""
    from bench.assignment import sql
    from clock import local_midnight

    sql(
        """
        UPDATE staffing_staffprofile
           SET started_on = %(day)s::date - 60,
               registration_verified_on = CASE WHEN tier = 2
                                               THEN %(day)s::date - 30 END,
               signed_off_at = CASE WHEN signed_off_at IS NOT NULL
                                    THEN %(signed)s END
        """,
        {"day": first_day, "signed": local_midnight(first_day) - timedelta(days=20)},
    )
    sql(
        "UPDATE staffing_trainingcompletion SET completed_on = %(day)s::date - 50",
        {"day": first_day},
    )
    sql("DELETE FROM staffing_shift")
    for offset in range(days):
        midnight = local_midnight(first_day + timedelta(days=offset))
        sql(
            """
            INSERT INTO staffing_shift (tier, team_id, staff_id, starts_at, ends_at,
                                        status, booked_at, cancel_reason)
            SELECT tier, team_id, id, %(start)s, %(end)s, 'booked', %(booked)s, ''
              FROM staffing_staffprofile
            """,
            {
                "start": midnight + timedelta(hours=SHIFT_HOURS.start),
                "end": midnight + timedelta(hours=SHIFT_HOURS.stop),
                "booked": midnight - timedelta(days=7),
            },
        )


@dataclass
class People:
    """The season's people, each of their own: a landline each (they are phoned, not
    sent a link)."""

    postcodes: list[str]
    made: int = 0
    rng: random.Random = field(default_factory=lambda: random.Random(2021))

    def next(self, *, nhs: bool):
        from bench.intake import nhs_number
        from people.services import PersonDetails

        n = self.made
        self.made += 1
        return n, PersonDetails(
            first_name=self.rng.choice(["Asha", "Tom", "Mei", "Ewa"]),
            last_name=f"Season{n:08d}",
            date_of_birth=date(1940, 1, 1)
            + timedelta(days=self.rng.randrange(0, 29_000)),
            nhs_number=nhs_number(n) if nhs else "",
            phone=f"0114 2{n % 1_000_000:06d}",
            postcode=self.rng.choice(self.postcodes),
        )

    def results(self, count: int, day: date) -> list:
        """A day's positive results, as a lab sends them."""
        from work.intake import TestResult

        results = []
        for _ in range(count):
            n, person = self.next(nhs=True)
            results.append(
                TestResult(
                    lab_reference=f"SEASON-{n:08d}",
                    person=person,
                    specimen_date=day - timedelta(days=self.rng.randrange(1, 3)),
                    result_date=day,
                )
            )
        return results

    def contacts(self, mean: float, exposed: date) -> list:
        """The contacts a case names: 0 to twice `mean` of them, `mean` on average."""
        from contacts.models import Contact
        from work.casework import ContactDetails

        count = self.rng.randint(0, round(2 * mean))
        return [
            ContactDetails(
                person=self.next(nhs=False)[1],
                exposure_date=exposed,
                exposure=Contact.Exposure.HOUSEHOLD,
            )
            for _ in range(count)
        ]


@dataclass(frozen=True)
class Tally:
    """One kind's day: arrived (or named), the share assigned within an hour, and
    how many were completed, escalated, and open at the day's end."""

    arrived: int
    within_hour: float
    completed: int
    escalated: int
    open: int

    def words(self) -> str:
        return (
            f"{self.arrived:,} arrived, {self.within_hour:.0%} assigned within an "
            f"hour, {self.completed:,} completed, {self.escalated:,} escalated, "
            f"{self.open:,} open"
        )

    def cells(self) -> str:
        return (
            f"{self.arrived:,} | {self.within_hour:.0%} | {self.completed:,} | "
            f"{self.escalated:,} | {self.open:,}"
        )


@dataclass
class Costs:
    intake_seconds: float = 0.0
    intake_results: int = 0
    assignment_seconds: float = 0.0
    assignment_runs: int = 0
    work_seconds: float = 0.0
    calls: int = 0


def work_an_hour(
    model, now, args: argparse.Namespace, people: People, rng: random.Random, costs
) -> None:
    """Each member of staff on shift calls up to --per-hour of the due items (cases,
    or contacts) they hold. A case answered is assessed, names its contacts, and is
    completed; a contact answered is told to isolate and completed."""
    from django.contrib.auth import get_user_model

    from calls.models import Outcome
    from cases.models import Case
    from cases.workitem import Status
    from work.calls import call_record
    from work.casework import (
        AssessmentDetails,
        case_assessment_record,
        contacts_add_many,
        item_complete,
    )

    started = time.perf_counter()
    held = (
        model.objects.filter(
            status__in=[Status.ASSIGNED, Status.REACHED],
            assignee__isnull=False,
            next_attempt_at__lte=now,
        )
        .order_by("assignee_id", "next_attempt_at", "pk")
        .values_list("pk", "assignee_id")
    )
    taken: dict[int, list[int]] = {}
    for pk, assignee in held:
        mine = taken.setdefault(assignee, [])
        if len(mine) < args.per_hour:
            mine.append(pk)
    users = get_user_model().objects.in_bulk(list(taken))
    for assignee, pks in taken.items():
        user = users[assignee]
        for pk in pks:
            item = model.objects.get(pk=pk)
            costs.calls += 1
            if rng.random() >= args.reach:
                call_record(item=item, caller=user, outcome=Outcome.NO_ANSWER, now=now)
                continue
            if item.status != Status.REACHED:
                call_record(
                    item=item, caller=user, outcome=Outcome.REACHED,
                    duration_seconds=600, now=now,
                )  # fmt: skip
                item.refresh_from_db()
            if isinstance(item, Case):
                case_assessment_record(
                    case=item,
                    details=AssessmentDetails(symptomatic=False, symptom_onset=None),
                    by=user,
                    now=now,
                )
                named = people.contacts(
                    args.contacts_per_case, item.specimen_date - timedelta(days=1)
                )
                if named:
                    contacts_add_many(case=item, rows=named, by=user, now=now)
            item_complete(item=item, by=user, now=now)
    costs.work_seconds += time.perf_counter() - started


def tally(model, bounds) -> Tally:
    """A kind's day (cases or contacts), between the day's local midnights."""
    from django.db.models import Count, F, Q

    from cases.workitem import Status

    start, end = bounds
    arrived = model.objects.filter(created_at__gte=start, created_at__lt=end).aggregate(
        n=Count("pk"),
        quick=Count(
            "pk",
            filter=Q(assigned_at__isnull=False)
            & Q(assigned_at__lte=F("created_at") + timedelta(hours=1)),
        ),
    )
    return Tally(
        arrived=arrived["n"],
        within_hour=arrived["quick"] / arrived["n"] if arrived["n"] else 1.0,
        completed=model.objects.filter(
            completed_at__gte=start, completed_at__lt=end
        ).count(),
        escalated=model.objects.filter(
            escalated_at__gte=start, escalated_at__lt=end
        ).count(),
        open=model.objects.filter(
            status__in=[Status.NEW, Status.ASSIGNED, Status.REACHED]
        ).count(),
    )


def main() -> None:
    args = parse_args()
    counts = daily_counts(args.data, args.start, args.days, args.scale)
    print(f"Bench database {urlsplit(args.database_url).path.lstrip('/')}: migrating")
    fresh_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.pop("REDIS_URL", None)
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracing.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.db import transaction
    from django.utils import timezone

    from bench.assignment import seed_staff
    from bench.intake import real_postcodes
    from cases.models import Case
    from clock import local_day_bounds, local_midnight
    from contacts.models import Contact
    from work.assignment import assign_work
    from work.escalation import escalate_unreached
    from work.intake import case_intake_many

    first_day = timezone.localdate() - timedelta(days=args.days + 1)
    seed_staff({"caseworkers": args.caseworkers, "call_handlers": args.call_handlers})
    book_shifts(first_day, args.days)
    people = People(postcodes=real_postcodes(400, random.Random(2020)))
    rng = random.Random(7)
    costs = Costs()
    days: list[tuple[date, Tally, Tally]] = []
    print(
        f"{args.days} days from {args.start} at {args.scale:.2%} of England's cases "
        f"({sum(counts):,} in all); {args.caseworkers} caseworkers and "
        f"{args.call_handlers} call handlers on shift 08:00-20:00, each calling "
        f"{args.per_hour} an hour, {args.reach:.0%} answering; "
        f"{args.contacts_per_case:g} contacts a case on average",
        flush=True,
    )
    for offset, count in enumerate(counts):
        day = first_day + timedelta(days=offset)
        midnight = local_midnight(day)
        # Spread over the day's hours, the remainder in the first hours.
        per_hour = [count // 24 + (1 if h < count % 24 else 0) for h in range(24)]
        for hour, arriving in enumerate(per_hour):
            now = midnight + timedelta(hours=hour, minutes=5)
            for start in range(0, arriving, BATCH):
                batch = people.results(min(BATCH, arriving - start), day)
                started = time.perf_counter()
                with transaction.atomic():
                    case_intake_many(results=batch, now=now)
                costs.intake_seconds += time.perf_counter() - started
                costs.intake_results += len(batch)
            more = True
            while more:
                started = time.perf_counter()
                more = assign_work(now=now + timedelta(minutes=5)).more
                costs.assignment_seconds += time.perf_counter() - started
                costs.assignment_runs += 1
            if hour in SHIFT_HOURS:
                for model in (Case, Contact):
                    work_an_hour(
                        model, now + timedelta(minutes=30), args, people, rng, costs
                    )
            swept = True
            while swept:
                swept = escalate_unreached(now=now + timedelta(minutes=55))[1]
        bounds = local_day_bounds(day)
        on = args.start + timedelta(days=offset)
        cases, contacts = tally(Case, bounds), tally(Contact, bounds)
        days.append((on, cases, contacts))
        print(f"  {on}: cases {cases.words()}; contacts {contacts.words()}", flush=True)
    print(
        "\n| day | cases | assigned within an hour | completed | escalated | open at "
        "midnight | contacts | assigned within an hour | completed | to local teams "
        "| open at midnight |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for on, cases, contacts in days:
        print(f"| {on} | {cases.cells()} | {contacts.cells()} |")
    print(
        f"\nIntake: {costs.intake_results:,} results in {costs.intake_seconds:.1f} s "
        f"({costs.intake_results / max(costs.intake_seconds, 1e-9):,.0f} a second). "
        f"Assignment: {costs.assignment_runs:,} runs, "
        f"{costs.assignment_seconds / max(costs.assignment_runs, 1) * 1000:.0f} ms "
        f"each on average. Calls: {costs.calls:,} worked in "
        f"{costs.work_seconds:.1f} s."
    )


if __name__ == "__main__":
    main()
