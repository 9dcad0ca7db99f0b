"""Person matching on intake: a peak day's results against millions of people, with
matching on and off.

Makes its own database (tracing_bench_matching), loads 2,000,000 people with COPY
(households sharing a surname, a postcode and sometimes a phone; names drawn from a
few thousand first names and surnames; dates of birth over 90 years; UK mobiles;
real postcodes; 40% with an NHS number), analyses it and keeps it as a template
database. Then it runs a peak day (60,000 results: 70% new people, 20% people we
hold arriving again, 10% near misses: a typo in a name with the same phone and
date of birth, a twin, a relative on the family phone) through the intake service
(work/intake.py case_intake_many, batches of 1,000) with person matching on, and the
same results on a fresh copy of the loaded database with it off
(settings.TRACING_PERSON_MATCHING), and prints both beside each other with the
ratio.

    .venv/bin/python bench/matching.py               # the full day, 2,000,000 people
    .venv/bin/python bench/matching.py --scale 0.1   # 6,000 results, 200,000 people
    .venv/bin/python bench/matching.py --runs 3      # the median of three runs each

A benchmark, not a test: it prints figures and never fails on a time.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import io
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from importlib import import_module
from itertools import accumulate
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import add_database_url  # noqa: E402
from bench.intake import fresh_database, nhs_number  # noqa: E402

BENCH_DB = "tracing_bench_matching"
PEOPLE = 2_000_000
RESULTS = 60_000
BATCH = 1_000
# About 20 households to a postcode, as in England.
PEOPLE_PER_POSTCODE = 45
NHS_NUMBER_SHARE = 0.4
# Households of one to five; a household of more shares a phone this often.
HOUSEHOLD_SIZES, HOUSEHOLD_WEIGHTS = (1, 2, 3, 4, 5), (30, 34, 16, 14, 6)
FAMILY_PHONE_SHARE = 0.3
# The kinds of results of the day, and their shares.
KINDS = {
    "new person": 0.70,
    "arriving again": 0.20,
    "typo in a name": 0.034,
    "twin": 0.033,
    "family phone": 0.033,
}
# Loaded people take NHS numbers from 0 up; new people from here.
NEW_NHS_FROM = 50_000_000
SEED = 2021
BORN_BY = date(2021, 1, 1)
# Faker's lists of names (a dev dependency, through factory-boy).
NAME_LOCALES = ("en_GB", "en_US", "en_IE", "en_IN", "es_ES", "it_IT", "nl_NL", "pl_PL")
# UK mobile ranges (after +44) whose numbers are all valid.
MOBILE_PREFIXES = ("71", "72", "73", "740", "741", "742", "743", "744", "750", "751")
MOBILE_PREFIXES += ("780", "781", "784", "785", "786", "787", "788", "789", "790")
MOBILE_PREFIXES += ("792", "794", "795", "796", "797", "798", "799")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="Fraction of 2,000,000 people and 60,000 results (default 1).",
    )
    parser.add_argument(
        "--runs",
        type=int,
        default=1,
        help="Runs of the day in each mode; the median is shown (default 1).",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Keep the loaded template database of an earlier run at the same scale "
        "(the code's migrations must not have changed since).",
    )
    add_database_url(parser, BENCH_DB)
    return parser.parse_args()


# --- the databases --------------------------------------------------------------------


def admin_run(url: str, *statements: str) -> list[tuple]:
    """Run statements on the server's `postgres` database; the last one's rows."""
    import psycopg2

    parts = urlsplit(url)
    admin = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    admin.autocommit = True
    rows: list[tuple] = []
    with admin.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
            rows = cursor.fetchall() if cursor.description else []
    admin.close()
    return rows


def database_copy(url: str, *, source: str, target: str) -> None:
    """target made afresh as a file copy of source (no one may be connected to
    source: Django's connection is closed first)."""
    from django.db import connections

    connections.close_all()
    admin_run(
        url,
        f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)',
        f'CREATE DATABASE "{target}" TEMPLATE "{source}" STRATEGY FILE_COPY',
    )


def template_label(url: str, template: str) -> str:
    rows = admin_run(
        url,
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database "
        f"WHERE datname = '{template}'",
    )
    return (rows[0][0] or "") if rows else ""


# --- people -----------------------------------------------------------------------------


@dataclass(slots=True)
class Someone:
    first_name: str
    last_name: str
    date_of_birth: date
    nhs_number: str
    phone: str
    postcode: str


class Names:
    """First names and surnames from Faker's lists, drawn with a long tail: the
    commonest (Smith, Oliver) far more often than the rarest, as in a real
    population."""

    def __init__(self) -> None:
        first: set[str] = set()
        last: set[str] = set()
        for locale in NAME_LOCALES:
            provider = import_module(f"faker.providers.person.{locale}").Provider
            for attribute in ("first_names_male", "first_names_female"):
                first |= set(getattr(provider, attribute, ()))
            surnames = getattr(provider, "last_names", ())
            last |= set(surnames.keys() if isinstance(surnames, dict) else surnames)
        shuffle = random.Random(SEED)
        self.first = [n for n in sorted(first) if n.replace("-", "").isalpha()]
        self.last = [n for n in sorted(last) if n.replace("-", "").isalpha()]
        shuffle.shuffle(self.first)
        shuffle.shuffle(self.last)
        self._first_weights = list(
            accumulate(1 / (i + 10) for i in range(len(self.first)))
        )
        self._last_weights = list(
            accumulate(1 / (i + 10) for i in range(len(self.last)))
        )

    def first_name(self, rng: random.Random) -> str:
        return self.first[
            bisect.bisect(self._first_weights, rng.random() * self._first_weights[-1])
        ]

    def last_name(self, rng: random.Random) -> str:
        return self.last[
            bisect.bisect(self._last_weights, rng.random() * self._last_weights[-1])
        ]


def mobile(rng: random.Random) -> str:
    prefix = rng.choice(MOBILE_PREFIXES)
    return f"+44{prefix}{rng.randrange(10 ** (10 - len(prefix))):0{10 - len(prefix)}d}"


def birthday(rng: random.Random) -> date:
    """Over 90 years, the youngest a year old (before a fixed day, so that the same
    seed makes the same people on any day: see --reuse)."""
    return BORN_BY - timedelta(days=rng.randrange(365, 91 * 365))


def real_postcodes(count: int, rng: random.Random) -> list[str]:
    """Real postcodes (the ONS directory) in English areas of several cities."""
    from areas.postcodes import _letter_index, normalise_postcode

    letters = "SLMBN"
    found: list[str] = []
    for letter in letters:
        live = sorted(
            code
            for code, (area, _, _) in _letter_index(letter).items()
            if isinstance(area, str) and area.startswith("E")
        )
        found += [
            normalise_postcode(code)
            for code in rng.sample(live, min(len(live), count // len(letters)))
        ]
    return found


def population(count: int, names: Names, postcodes: list[str]) -> list[Someone]:
    """Households until count people: a surname, a postcode, sometimes one phone."""
    rng = random.Random(SEED)
    people: list[Someone] = []
    while len(people) < count:
        size = rng.choices(HOUSEHOLD_SIZES, HOUSEHOLD_WEIGHTS)[0]
        surname = names.last_name(rng)
        postcode = rng.choice(postcodes)
        shared = mobile(rng) if size > 1 and rng.random() < FAMILY_PHONE_SHARE else ""
        for _ in range(min(size, count - len(people))):
            n = len(people)
            people.append(
                Someone(
                    first_name=names.first_name(rng),
                    last_name=surname,
                    date_of_birth=birthday(rng),
                    nhs_number=nhs_number(n) if rng.random() < NHS_NUMBER_SHARE else "",
                    phone=shared or mobile(rng),
                    postcode=postcode,
                )
            )
    return people


def people_load(people: list[Someone]) -> float:
    """COPY the people into people_person, its indexes dropped before and made again
    after (as a bulk load is done), then VACUUM ANALYZE. Returns the seconds."""
    from django.db import connection
    from django.utils import timezone

    from areas.services import PostcodeLookup
    from people.models import Person

    started = time.perf_counter()
    lookup = PostcodeLookup()
    places = {
        code: lookup(code) for code in sorted({someone.postcode for someone in people})
    }
    now = timezone.now()
    given = [
        "first_name",
        "last_name",
        "date_of_birth",
        "nhs_number",
        "phone",
        "postcode",
        "area",
        "easting",
        "northing",
        "created_at",
        "updated_at",
    ]
    # Every other column (added by later migrations too) takes its field's default.
    others = [
        field
        for field in Person._meta.concrete_fields
        if not field.primary_key and field.name not in given
    ]
    tail = [
        (lambda v: r"\N" if v is None else v)(
            field.get_db_prep_save(field.get_default(), connection)
        )
        for field in others
    ]
    columns = [Person._meta.get_field(name).column for name in given]  # type: ignore[union-attr]
    columns += [field.column for field in others]
    stamp = now.isoformat()

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid "
            "WHERE x.indrelid = 'people_person'::regclass AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)"
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        raw = cursor.cursor  # psycopg2's own, for copy_expert
        chunk = 200_000
        for start in range(0, len(people), chunk):
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            for someone in people[start : start + chunk]:
                place = places[someone.postcode]
                writer.writerow(
                    [
                        someone.first_name,
                        someone.last_name,
                        someone.date_of_birth.isoformat(),
                        someone.nhs_number,
                        someone.phone,
                        place.postcode,
                        place.area.pk if place.area else r"\N",
                        r"\N" if place.easting is None else place.easting,
                        r"\N" if place.northing is None else place.northing,
                        stamp,
                        stamp,
                        *tail,
                    ]
                )
            buffer.seek(0)
            raw.copy_expert(
                f"COPY people_person ({', '.join(columns)}) FROM STDIN "
                r"WITH (FORMAT csv, NULL '\N')",
                buffer,
            )
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute("VACUUM ANALYZE")
    return time.perf_counter() - started


# --- the day's results ----------------------------------------------------------------


def typo(name: str, rng: random.Random) -> str:
    """Two neighbouring letters swapped, or one changed, inside the name (not its
    first or last letter): the slips people/matching.py forgives."""
    i = rng.randrange(1, len(name) - 2)
    if rng.random() < 0.5 and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    letter = rng.choice([c for c in "aeiournst" if c != name[i].lower()])
    return name[:i] + letter + name[i + 1 :]


def day_of_results(
    total: int, people: list[Someone], names: Names, postcodes: list[str]
) -> list[tuple[str, object]]:
    """The day's results, each with its kind (KINDS), in a shuffled order."""
    from django.utils import timezone

    from people.services import PersonDetails
    from work.intake import TestResult

    rng = random.Random(SEED + 1)
    today = timezone.localdate()
    kinds = [
        kind for kind, share in KINDS.items() for _ in range(round(total * share))
    ][:total]
    kinds += ["new person"] * (total - len(kinds))
    rng.shuffle(kinds)
    new_nhs = NEW_NHS_FROM
    day = []
    for n, kind in enumerate(kinds):
        held = rng.choice(people)
        new_number = ""
        if rng.random() < NHS_NUMBER_SHARE:
            new_number, new_nhs = nhs_number(new_nhs), new_nhs + 1
        if kind == "new person":
            details = Someone(
                names.first_name(rng),
                names.last_name(rng),
                birthday(rng),
                new_number,
                mobile(rng),
                rng.choice(postcodes),
            )
        elif kind == "arriving again":
            details = replace(held)
        elif kind == "typo in a name":
            while len(held.first_name) < 5 and len(held.last_name) < 5:
                held = rng.choice(people)
            in_first = len(held.first_name) >= 5 and (
                len(held.last_name) < 5 or rng.random() < 0.5
            )
            # The lab had no NHS number (else it alone would link them).
            details = Someone(
                typo(held.first_name, rng) if in_first else held.first_name,
                held.last_name if in_first else typo(held.last_name, rng),
                held.date_of_birth,
                "",
                held.phone,
                held.postcode,
            )
        elif kind == "twin":
            details = Someone(
                other_first_name(held.first_name, names, rng),
                held.last_name,
                held.date_of_birth,
                new_number,
                held.phone if rng.random() < 0.5 else mobile(rng),
                held.postcode,
            )
        else:  # a parent or child on the family phone
            details = Someone(
                other_first_name(held.first_name, names, rng),
                held.last_name,
                held.date_of_birth - timedelta(days=rng.randrange(20 * 365, 40 * 365)),
                new_number,
                held.phone,
                held.postcode,
            )
        result_date = today - timedelta(days=rng.randrange(0, 2))
        day.append(
            (
                kind,
                TestResult(
                    lab_reference=f"MATCH-{n:07d}",
                    person=PersonDetails(
                        first_name=details.first_name,
                        last_name=details.last_name,
                        date_of_birth=details.date_of_birth,
                        nhs_number=details.nhs_number,
                        phone=details.phone,
                        postcode=details.postcode,
                    ),
                    specimen_date=result_date - timedelta(days=rng.randrange(0, 3)),
                    result_date=result_date,
                ),
            )
        )
    return day


def other_first_name(name: str, names: Names, rng: random.Random) -> str:
    while True:
        other = names.first_name(rng)
        if other[:3].lower() != name[:3].lower():
            return other


# --- a run ----------------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    results: int
    cases: int
    linked: int
    created: int
    duplicates: int
    errors: int
    # Results linked to a person held before the run, by kind.
    linked_by_kind: dict[str, tuple[int, int]]


def day_run(day: list[tuple[str, object]], *, matching: bool, loaded: int) -> Run:
    """The day through case_intake_many in batches, timed; then what it made."""
    from django.conf import settings

    from people.models import Person, PossibleDuplicate
    from work.intake import case_intake_many

    settings.TRACING_PERSON_MATCHING = matching
    last_loaded = Person.objects.order_by("-pk").values_list("pk", flat=True)[0]
    results = [result for _, result in day]
    outcomes = []
    started = time.perf_counter()
    for i in range(0, len(results), BATCH):
        outcomes += case_intake_many(results=results[i : i + BATCH])
    seconds = time.perf_counter() - started

    errors = [outcome.error for outcome in outcomes if outcome.error is not None]
    if errors:
        print(f"  {len(errors):,} results refused, e.g. {errors[0]!r}")
    cases = sum(outcome.created for outcome in outcomes)
    created = Person.objects.count() - loaded
    by_kind: dict[str, tuple[int, int]] = {}
    for (kind, _), outcome in zip(day, outcomes, strict=True):
        linked, seen = by_kind.get(kind, (0, 0))
        found = outcome.case is not None and outcome.case.person_id <= last_loaded
        by_kind[kind] = (linked + found, seen + 1)
    return Run(
        seconds=seconds,
        results=len(results),
        cases=cases,
        linked=cases - created,
        created=created,
        duplicates=PossibleDuplicate.objects.count(),
        errors=len(errors),
        linked_by_kind=by_kind,
    )


def report(runs: dict[str, list[Run]], people: int) -> None:
    on, off = runs["on"], runs["off"]
    count = len(on)
    print()
    print(
        f"Intake of {on[0].results:,} results against {people:,} people "
        f"(case_intake_many, batches of {BATCH:,}, "
        + ("one run" if count == 1 else f"median of {count} runs")
        + " per mode)"
    )
    header = (
        f"{'matching':<9} {'results':>8} {'seconds':>8} {'results/s':>10} "
        f"{'linked':>8} {'created':>8} {'possible duplicates':>20}"
    )
    print(header)
    print("-" * len(header))
    medians = {}
    for mode, mode_runs in runs.items():
        seconds = statistics.median(run.seconds for run in mode_runs)
        medians[mode] = seconds
        run = mode_runs[-1]
        print(
            f"{mode:<9} {run.results:>8,} {seconds:>8.1f} {run.results / seconds:>10,.0f} "
            f"{run.linked:>8,} {run.created:>8,} {run.duplicates:>20,}"
        )
    ratio = medians["on"] / medians["off"]
    print(
        f"Ratio on/off: {ratio:.2f} (matching takes {ratio:.2f}x the time of intake "
        f"without it; {1000 * (medians['on'] - medians['off']) / on[0].results:.2f} ms "
        "more per result)"
    )
    if count > 1:
        for mode, mode_runs in runs.items():
            times = ", ".join(f"{run.seconds:.1f}" for run in mode_runs)
            print(f"  {mode} runs: {times} s")
    print("Linked to a person held, by kind of result (on / off):")
    for kind in KINDS:
        linked_on, seen = on[-1].linked_by_kind.get(kind, (0, 0))
        linked_off, _ = off[-1].linked_by_kind.get(kind, (0, 0))
        print(f"  {kind:<16} {seen:>7,}   {linked_on:>7,} / {linked_off:>7,}")


def main() -> None:
    args = parse_args()
    total_people = max(1_000, round(PEOPLE * args.scale))
    total_results = max(BATCH, round(RESULTS * args.scale))
    bench_db = urlsplit(args.database_url).path.lstrip("/")
    template = f"{bench_db}_loaded"
    label = f"bench/matching.py people={total_people} seed={SEED}"

    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # Intake queues texts and an assignment run: kept in this process's memory.
    os.environ["CELERY_BROKER_URL"] = "memory://localhost/"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracing.settings")
    import django

    django.setup()

    started = time.perf_counter()
    names = Names()
    rng = random.Random(SEED)
    postcodes = real_postcodes(max(100, total_people // PEOPLE_PER_POSTCODE), rng)
    people = population(total_people, names, postcodes)
    print(
        f"{total_people:,} people in {len(postcodes):,} postcodes, names from "
        f"{len(names.first):,} first names and {len(names.last):,} surnames "
        f"({time.perf_counter() - started:.0f} s)"
    )
    if args.reuse and template_label(args.database_url, template) == label:
        print(f"Reusing the loaded database {template}")
    else:
        print(f"Bench database {bench_db}: migrating", flush=True)
        fresh_database(args.database_url)
        seconds = people_load(people)
        print(f"  loaded with COPY, indexed and analysed in {seconds:.0f} s")
        database_copy(args.database_url, source=bench_db, target=template)
        admin_run(args.database_url, f"COMMENT ON DATABASE \"{template}\" IS '{label}'")
    day = day_of_results(total_results, people, names, postcodes)

    runs: dict[str, list[Run]] = {"on": [], "off": []}
    for n in range(args.runs):
        for mode in ("on", "off"):
            database_copy(args.database_url, source=template, target=bench_db)
            run = day_run(day, matching=mode == "on", loaded=total_people)
            runs[mode].append(run)
            print(
                f"  run {n + 1}, matching {mode}: {run.seconds:.1f} s "
                f"({run.results / run.seconds:,.0f} results/s)",
                flush=True,
            )
    report(runs, total_people)


if __name__ == "__main__":
    main()
