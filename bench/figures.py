"""One week's figures in a month at England's peak, beside one hand-written SQL query.

Makes a fresh database (tracing_bench_figures: dropped, created, migrated) and loads
a month at England's January 2021 peak with PostgreSQL COPY from CSV generated in
memory as it streams: 2,000,000 cases and 6,000,000 contacts over the four weeks of
4 to 31 January (each day's arrivals spread over its hours, the days shaped like the
real peak), each with its own person; about 3% of contacts are the same person as
another contact of the week or share their phone, so the de-duplication matters.
About 85% of the work is reached, hours after it arrived (some after 72 hours):
online ~40%, by the national call centres ~50% (with the call that reached them,
made by a tier 2 caseworker for cases and mostly a tier 3 call handler for
contacts, on shift), by the local teams ~10%; unreached work has its unanswered
calls, and a few thousand staff their shifts. Indexes and foreign keys are dropped
for the load and made again after it (the load time printed includes that and
ANALYZE).

Then it times `figures.weekly.weekly_figures` for the busiest Thursday week, for
England and for the local team with most areas: cold (cache cleared, first call)
and the median of 3 (cache cleared before each; per block, each of its queries
timed), with a cached call beside; and one hand-written SQL statement (CTEs)
computing the same figures for the same week and scope, by the definitions of
figures/weekly.py, median of 3 (and each block's part alone, median of 3). It
prints a table (block, app seconds, SQL seconds, ratio app / SQL) and whether every
number agrees: any difference is printed and the exit status is 1. It also prints
how many contacts would be merged by the rule "the same person, phone or NHS
number" beside the app's key (the person row, as matching and merges decided).

    .venv/bin/python bench/figures.py                # the month: ~5 min to load,
                                                     # ~11 min in all on 2 cores
    .venv/bin/python bench/figures.py --scale 0.05   # 100,000 cases, a quick look
    .venv/bin/python bench/figures.py --reuse        # keep the data loaded before

A benchmark, not a test: it prints figures and never fails on a time.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import time
from array import array
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import add_database_url  # noqa: E402

BENCH_DB = "tracing_bench_figures"
PEAK = {"cases": 2_000_000, "contacts": 6_000_000, "tier2": 3_000, "tier3": 6_000}
RUNS = 3

# England's daily positive results, 4 to 31 January 2021 (thousands, approximately):
# only the shape is used, scaled to the month's number of cases.
DAY_SHAPE = [58, 60, 62, 52, 68, 59, 54, 46, 45, 47, 48, 55, 41, 38]
DAY_SHAPE += [37, 33, 38, 37, 40, 33, 30, 22, 20, 25, 28, 29, 23, 21]
FIRST_DAY = date(2021, 1, 4)
# Arrivals over the hours of a day: few at night, most in working hours.
HOUR_SHAPE = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 8, 8, 7, 7, 6, 6, 5, 5, 4, 3, 2, 1]
# Staff shifts: 08:00-16:00 (even staff numbers) and 12:00-20:00 (odd), five days
# in seven; the national service calls between 08:00 and 20:00.
SHIFT_STARTS = (8, 12)
SHIFT_HOURS = 8
CALLS_FROM, CALLS_UNTIL = 8, 20
TIER2_TEAMS = 4
TIER3_TEAMS = 6

ROUTE_NONE, ROUTE_ONLINE, ROUTE_NATIONAL, ROUTE_LOCAL = 0, 1, 2, 3
ROUTE_NAMES = ("", "online", "national", "local")
OUTCOMES = ("reached", "no_answer", "voicemail")
HOUR = 3600
DAY = 86_400
# Times are whole seconds from this UTC midnight (January: London is on UTC).
EPOCH = date(2021, 1, 1)
DATE_BASE = 40  # DATES[d + DATE_BASE] is the date d days from EPOCH (d may be < 0)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the month (default 1)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the data a run at the same scale loaded before",
    )
    add_database_url(parser, BENCH_DB)
    args = parser.parse_args()
    name = urlsplit(args.database_url).path.lstrip("/")
    if name == "tracing" or name.startswith("test_tracing"):
        parser.error(f"{name} is not a bench database: it would be dropped")
    return args


# --- the bench database ---------------------------------------------------------------


def admin_connection(url: str):
    import psycopg2

    parts = urlsplit(url)
    conn = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    conn.autocommit = True
    return conn


def loaded_marker(url: str) -> str | None:
    """The comment a finished load left on the database (None: no database)."""
    name = urlsplit(url).path.lstrip("/")
    conn = admin_connection(url)
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database"
            " WHERE datname = %s",
            [name],
        )
        row = cursor.fetchone()
    conn.close()
    return None if row is None else (row[0] or "")


def fresh_database(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    conn = admin_connection(url)
    with conn.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def mark_loaded(url: str, marker: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    conn = admin_connection(url)
    with conn.cursor() as cursor:
        cursor.execute(f"COMMENT ON DATABASE \"{name}\" IS '{marker}'")
    conn.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "tracing.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The cache is this process's memory (locmem): the bench clears it itself and
    # never touches a shared Redis.
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()


def sql(statement: str, params=None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def rows(statement: str, params=None) -> list[tuple]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


class Step:
    """Print how long one step of the load took."""

    def __init__(self, label: str):
        self.label = label

    def __enter__(self):
        self.start = time.perf_counter()
        print(f"  {self.label}...", end="", flush=True)
        return self

    def __exit__(self, *exc):
        print(f" {time.perf_counter() - self.start:.1f}s", flush=True)


# --- the month, generated -------------------------------------------------------------

# Strings made once: a time stamp is DAYS[t // DAY] + CLOCK[t % DAY].
DATES = [(EPOCH + timedelta(days=d - DATE_BASE)).isoformat() for d in range(120)]
DAYS = [d + " " for d in DATES[DATE_BASE:]]
CLOCK = [f"{s // HOUR:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(DAY)]
FIRST_NAMES = ["Asha", "Tom", "Mei", "Oluwaseun", "Ewa", "Jack", "Priya", "Sam"]
EXPOSURES = ["household", "household", "face_to_face", "proximity", "travel"]
BIRTHS = [(date(1935, 1, 1) + timedelta(days=37 * n)).isoformat() for n in range(850)]


def ts(t: int) -> str:
    return DAYS[t // DAY] + CLOCK[t % DAY]


def _nhs_tables() -> tuple[list[int], list[int]]:
    """Weighted digit sums of the first four and the last five of nine digits."""

    def weighted(n: int, width: int, first_weight: int) -> int:
        digits = f"{n:0{width}d}"
        return sum(int(d) * (first_weight - i) for i, d in enumerate(digits))

    return [weighted(n, 4, 10) for n in range(10_000)], [
        weighted(n, 5, 6) for n in range(100_000)
    ]


NHS_HIGH, NHS_LOW = _nhs_tables()


def nhs_number(person_id: int) -> str:
    """A valid NHS number (modulus 11) made from the person's id, or '' for the one
    id in eleven whose nine digits have no valid check digit."""
    n = 400_000_000 + person_id
    check = 11 - (NHS_HIGH[n // 100_000] + NHS_LOW[n % 100_000]) % 11
    if check == 10:
        return ""
    return f"{n}{0 if check == 11 else check}"


def phone(person_id: int) -> str:
    """A UK mobile number of the person's own (7919 is prime: no two ids share one)."""
    return f"+447{person_id * 7919 % 1_000_000_000:09d}"


@dataclass
class Month:
    """The generated month, in compact arrays (index i is id i + 1)."""

    areas: list[tuple[int, int]]  # (area id, local team id)
    fallback_team: int
    tier2: int  # staff numbers: tier 2 are users 1..tier2, tier 3 the next tier3
    tier3: int
    # Cases: person i + 1 is case i + 1's.
    case_created: array = field(default_factory=lambda: array("q"))
    case_reached: array = field(default_factory=lambda: array("q"))  # -1: not
    case_route: array = field(default_factory=lambda: array("b"))
    case_area: array = field(default_factory=lambda: array("h"))  # -1: unknown
    case_flags: array = field(default_factory=lambda: array("b"))  # PHONE, EMAIL
    case_dates: array = field(default_factory=lambda: array("b"))  # see make_cases
    # Contacts.
    contact_case: array = field(default_factory=lambda: array("q"))
    contact_person: array = field(default_factory=lambda: array("q"))
    contact_created: array = field(default_factory=lambda: array("q"))
    contact_reached: array = field(default_factory=lambda: array("q"))
    contact_route: array = field(default_factory=lambda: array("b"))
    contact_area: array = field(default_factory=lambda: array("h"))
    # The contacts' own people, ids after the cases' people.
    person_phone_of: array = field(default_factory=lambda: array("q"))  # 0 own, -1
    person_flags: array = field(default_factory=lambda: array("b"))
    person_created: array = field(default_factory=lambda: array("q"))
    person_area: array = field(default_factory=lambda: array("h"))
    # Calls: item > 0 a case id, < 0 minus a contact id.
    call_item: array = field(default_factory=lambda: array("q"))
    call_caller: array = field(default_factory=lambda: array("i"))
    call_started: array = field(default_factory=lambda: array("q"))
    call_seconds: array = field(default_factory=lambda: array("i"))
    call_outcome: array = field(default_factory=lambda: array("b"))
    duplicates: dict[str, int] = field(default_factory=dict)


PHONE, EMAIL = 1, 2


class Caller:
    """Who of a tier is on shift at a moment, to make a call then."""

    def __init__(self, first_user: int, count: int, rng: random.Random):
        self.first = first_user
        self.half = count // 2
        self.random = rng.random

    def at(self, t: int) -> int:
        day, hour = t // DAY, t % DAY // HOUR
        group = 0 if hour < 12 else 1 if hour >= 16 else int(self.random() * 2)
        while True:
            n = 2 * int(self.random() * self.half) + group
            if works_on(n, day):
                return self.first + n


def works_on(n: int, day: int) -> bool:
    """Staff member n (of their tier) works five days in seven."""
    return (n + day) % 7 > 1


def in_call_hours(t: int) -> bool:
    return CALLS_FROM * HOUR <= t % DAY < CALLS_UNTIL * HOUR


def into_hours(t: int, start: int, end: int, rnd) -> int:
    """The moment, or the start of the next working hours [start, end) after it."""
    s = t % DAY
    if s < start * HOUR:
        return t - s + start * HOUR + int(rnd() * 2 * HOUR)
    if s >= end * HOUR:
        return t - s + DAY + start * HOUR + int(rnd() * 2 * HOUR)
    return t


def reach_delay(route: int, kind: str, rnd, lognormal) -> int:
    """Seconds from arrival to being reached, by route."""
    if route == ROUTE_ONLINE:  # answered a text or email: mostly within hours
        return 600 + int(-math.log(1 - rnd()) * (5 if kind == "case" else 3) * HOUR)
    if route == ROUTE_NATIONAL:
        return int(lognormal(math.log((7 if kind == "case" else 5) * HOUR), 0.85))
    return int((30 + rnd() * 100) * HOUR)  # escalated, then reached locally


def make_month(n: dict[str, int], areas, fallback_team: int) -> Month:
    rng = random.Random(2021)
    month = Month(
        areas=areas,
        fallback_team=fallback_team,
        tier2=n["tier2"],
        tier3=n["tier3"],
    )
    tier2 = Caller(1, n["tier2"], rng)
    tier3 = Caller(1 + n["tier2"], n["tier3"], rng)
    make_cases(month, n["cases"], rng, tier2)
    make_contacts(month, n["contacts"], rng, tier2, tier3)
    return month


def add_call(month: Month, item: int, caller: int, t: int, seconds: int, outcome: int):
    month.call_item.append(item)
    month.call_caller.append(caller)
    month.call_started.append(t)
    month.call_seconds.append(seconds)
    month.call_outcome.append(outcome)


def unanswered_calls(month, item, created, caller, rnd) -> None:
    """Half the unreached with a phone had a call an hour or more after arriving,
    then a voicemail the next day."""
    if rnd() < 0.5:
        t = into_hours(created + HOUR + int(rnd() * 2 * HOUR), 8, 19, rnd)
        add_call(month, item, caller.at(t), t, 30 + int(rnd() * 30), 1)
        add_call(month, item, caller.at(t + DAY), t + DAY, 40, 2)


def national_calls(month, item, created, reached, caller, rnd, seconds) -> None:
    """The call that reached them (2% have none recorded), after an unanswered one
    for a quarter of them."""
    if rnd() < 0.25:
        t = reached - HOUR - int(rnd() * 3 * HOUR)
        if t > created and in_call_hours(t):
            add_call(month, item, caller.at(t), t, 30 + int(rnd() * 30), 1)
    if rnd() >= 0.02:
        add_call(month, item, caller.at(reached), reached, seconds, 0)


def make_cases(month: Month, count: int, rng: random.Random, tier2: Caller) -> None:
    rnd, lognormal = rng.random, rng.lognormvariate
    weights = [w / sum(DAY_SHAPE) for w in DAY_SHAPE]
    per_day = [round(count * w) for w in weights]
    per_day[-1] += count - sum(per_day)
    hours = list(range(24))
    n_areas = len(month.areas)
    first_day = (FIRST_DAY - EPOCH).days
    case_id = 0
    for offset, arrivals in enumerate(per_day):
        day = first_day + offset
        for hour in rng.choices(hours, weights=HOUR_SHAPE, k=arrivals):
            case_id += 1
            created = day * DAY + hour * HOUR + int(rnd() * HOUR)
            u = rnd()
            # 4% with neither phone nor email; 30% have an email.
            flags = (
                0
                if u < 0.04
                else (EMAIL if u < 0.07 else PHONE) | (EMAIL if rnd() < 0.3 else 0)
            )
            if flags == 0:
                route = ROUTE_LOCAL if rnd() < 0.10 else ROUTE_NONE
            elif rnd() < 0.88125:  # 85% of all reached
                v = rnd()
                route = (
                    ROUTE_ONLINE
                    if v < 0.4
                    else ROUTE_NATIONAL
                    if v < 0.9
                    else ROUTE_LOCAL
                )
            else:
                route = ROUTE_NONE
            reached = -1
            if route != ROUTE_NONE:
                reached = created + reach_delay(route, "case", rnd, lognormal)
                if route == ROUTE_NATIONAL:
                    reached = into_hours(reached, CALLS_FROM, CALLS_UNTIL - 1, rnd)
                    # On the edges of the spread: exactly 24, 48 and 72 hours, and a
                    # second either side of 24.
                    edge = case_id % 500
                    if edge < 5:
                        reached = (
                            created + (DAY, DAY + 1, DAY - 1, 2 * DAY, 3 * DAY)[edge]
                        )
                elif route == ROUTE_LOCAL:
                    reached = into_hours(reached, 9, 17, rnd)
            area = int(rnd() * n_areas) if rnd() >= 0.005 else -1
            # Result the day it arrived (70%) or the day before; specimen 1-3 days
            # before the result.
            dates = (0 if rnd() < 0.7 else 1) | (1 + int(rnd() * 3)) << 1
            month.case_created.append(created)
            month.case_reached.append(reached)
            month.case_route.append(route)
            month.case_area.append(area)
            month.case_flags.append(flags)
            month.case_dates.append(dates)
            if route == ROUTE_NATIONAL:
                national_calls(
                    month,
                    case_id,
                    created,
                    reached,
                    tier2,
                    rnd,
                    900 + int(rnd() * 1800),
                )
                if rnd() < 0.01:  # a second call that reached them, to finish
                    t = reached + 1800
                    add_call(month, case_id, tier2.at(t), t, 600, 0)
            elif route == ROUTE_NONE and flags & PHONE:
                unanswered_calls(month, case_id, created, tier2, rnd)


def make_contacts(
    month: Month, count: int, rng: random.Random, tier2: Caller, tier3: Caller
) -> None:
    """Contacts of the reached cases (about 3.5 each, at random), in the order of
    their cases; each with a person of their own, except 1.5% who are the person of
    a contact identified shortly before (by another case) and 1.5% who share that
    person's phone."""
    rnd, lognormal = rng.random, rng.lognormvariate
    reached_cases = [i for i, r in enumerate(month.case_reached) if r >= 0]
    per_case = [0] * len(reached_cases)
    for _ in range(count):
        per_case[int(rnd() * len(reached_cases))] += 1
    n_cases = len(month.case_created)
    n_areas = len(month.areas)
    recent: list[tuple[int, int, bool]] = []  # (person id, case index, has phone)
    same_person = shared_phone = 0
    contact_id = 0
    for case_index, k in zip(reached_cases, per_case, strict=True):
        case_reached = month.case_reached[case_index]
        case_route = month.case_route[case_index]
        case_area = month.case_area[case_index]
        used: set[int] = set()
        for _ in range(k):
            contact_id += 1
            # Identified while the case is reached (online, on the call, or by the
            # local team), minutes to hours after.
            created = (
                case_reached
                + int(
                    rnd()
                    * (3 * HOUR if case_route == ROUTE_ONLINE else 2 * HOUR)
                    * (3 if case_route == ROUTE_LOCAL else 1)
                )
                + 300
            )
            area = case_area if rnd() < 0.7 else int(rnd() * n_areas)
            u = rnd()
            person = 0
            if u < 0.03 and len(recent) > 100:
                other, other_case, other_phone = recent[int(rnd() * len(recent))]
                if u < 0.015 and other_case != case_index and other not in used:
                    person = other
                    same_person += 1
                elif u >= 0.015 and other_phone:
                    person = -other  # a new person with the other's phone
                    shared_phone += 1
            if person <= 0:
                month.person_phone_of.append(
                    -person if person < 0 else (0 if rnd() < 0.9 else -1)
                )
                month.person_flags.append(EMAIL if rnd() < 0.4 else 0)
                month.person_created.append(created)
                month.person_area.append(area)
                person = n_cases + len(month.person_phone_of)
                if len(recent) < 4096:
                    recent.append((person, case_index, month.person_phone_of[-1] >= 0))
                else:
                    recent[int(rnd() * 4096)] = (
                        person,
                        case_index,
                        month.person_phone_of[-1] >= 0,
                    )
            used.add(person)
            if rnd() < 0.85:
                v = rnd()
                route = (
                    ROUTE_ONLINE
                    if v < 0.4
                    else ROUTE_NATIONAL
                    if v < 0.9
                    else ROUTE_LOCAL
                )
                reached = created + reach_delay(route, "contact", rnd, lognormal)
                if route == ROUTE_NATIONAL:
                    reached = into_hours(reached, CALLS_FROM, CALLS_UNTIL - 1, rnd)
                    edge = contact_id % 500
                    if edge < 3:
                        reached = created + (DAY, DAY + 1, DAY - 1)[edge]
                elif route == ROUTE_LOCAL:
                    reached = into_hours(reached, 9, 17, rnd)
            else:
                route, reached = ROUTE_NONE, -1
            month.contact_case.append(case_index + 1)
            month.contact_person.append(person)
            month.contact_created.append(created)
            month.contact_reached.append(reached)
            month.contact_route.append(route)
            month.contact_area.append(area)
            if route == ROUTE_NATIONAL:
                # Contacts are called by tier 3, one in ten by a tier 2 caseworker.
                caller = tier2 if rnd() < 0.1 else tier3
                seconds = 240 + int(rnd() * 600)
                national_calls(
                    month, -contact_id, created, reached, caller, rnd, seconds
                )
            elif route == ROUTE_NONE:
                unanswered_calls(month, -contact_id, created, tier3, rnd)
    month.duplicates = {"same person": same_person, "shared phone": shared_phone}


# --- the month, as CSV streams ------------------------------------------------------


class Stream:
    """A file to COPY from, whose text a generator writes as PostgreSQL reads it."""

    def __init__(self, chunks):
        self.chunks = iter(chunks)

    def read(self, size: int = -1) -> str:
        return next(self.chunks, "")


def batched(lines, size: int = 20_000):
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) == size:
            yield "".join(batch)
            batch = []
    if batch:
        yield "".join(batch)


N = r"\N"


def people_lines(month: Month):
    n_cases = len(month.case_created)
    areas = month.areas
    for i in range(n_cases):
        pid = i + 1
        flags = month.case_flags[i]
        area = month.case_area[i]
        at = ts(month.case_created[i])
        yield (
            f"{pid},{FIRST_NAMES[pid % 8]},Case{pid},{BIRTHS[pid % 850]},"
            # 95% of cases' people have an NHS number on record.
            f"{nhs_number(pid) if pid % 20 else ''},"
            f"{phone(pid) if flags & PHONE else ''},,"
            f"{f'p{pid}@example.org' if flags & EMAIL else ''},,,{N},{N},f,{at},{at},"
            f"{areas[area][0] if area >= 0 else N},{N}\n"
        )
    for m in range(len(month.person_phone_of)):
        pid = n_cases + m + 1
        phone_of = month.person_phone_of[m]
        area = month.person_area[m]
        at = ts(month.person_created[m])
        number = "" if phone_of < 0 else phone(phone_of or pid)
        yield (
            f"{pid},{FIRST_NAMES[pid % 8]},Contact{pid},{BIRTHS[pid % 850]},"
            # 70% of contacts' people have an NHS number on record.
            f"{nhs_number(pid) if pid % 10 > 2 else ''},{number},,"
            f"{f'p{pid}@example.org' if month.person_flags[m] & EMAIL else ''},,,"
            f"{N},{N},f,{at},{at},{areas[area][0] if area >= 0 else N},{N}\n"
        )


PEOPLE_COLUMNS = (
    "id, first_name, last_name, date_of_birth, nhs_number, phone, phone_alt, email,"
    " address, postcode, easting, northing, needs_interpreter, created_at,"
    " updated_at, area_id, language_id"
)
WORK_COLUMNS = (
    "id, status, area_unknown, priority, isolation_ends_on, attempts,"
    " next_attempt_at, escalate_due_at, created_at, assigned_at, first_attempt_at,"
    " last_attempt_at, reached_at, reached_route, completed_at, escalated_at,"
    " closed_at, area_id, assignee_id, local_team_id, person_id"
)


def work_fields(
    kind: str,
    item_id: int,
    created: int,
    reached: int,
    route: int,
    area: int,
    isolation: str,
    month: Month,
) -> str:
    """The columns of WORK_COLUMNS up to local_team_id, as CSV.

    Reached online or by phone: completed (a case) or reached (a contact); reached
    by the local team: escalated a day or two after arriving, closed when reached;
    not reached: escalated, and (four in five) closed after six days."""
    area_id, team_id = month.areas[area] if area >= 0 else (N, month.fallback_team)
    unknown = "t" if area < 0 else "f"
    spread = item_id * 7919 % (12 * HOUR)
    if route in (ROUTE_ONLINE, ROUTE_NATIONAL):
        done = ts(reached)
        call = done if route == ROUTE_NATIONAL else N
        status, completed = ("completed", done) if kind == "case" else ("reached", N)
        return (
            f"{item_id},{status},{unknown},0,{isolation},"
            f"{1 if route == ROUTE_NATIONAL else 0},{N},{N},{ts(created)},{N},"
            f"{call},{call},{done},{ROUTE_NAMES[route]},{completed},{N},{N},"
            f"{area_id},{N},{N}"
        )
    if route == ROUTE_LOCAL:
        escalated = ts(min(reached - HOUR, created + DAY + spread))
        return (
            f"{item_id},closed,{unknown},0,{isolation},3,{N},{N},{ts(created)},{N},"
            f"{N},{N},{ts(reached)},local,{N},{escalated},{ts(reached)},{area_id},"
            f"{N},{team_id}"
        )
    closed = item_id % 5 != 0
    return (
        f"{item_id},{'closed' if closed else 'escalated'},{unknown},0,{isolation},3,"
        f"{N},{N},{ts(created)},{N},{N},{N},{N},,{N},{ts(created + DAY + spread)},"
        f"{ts(created + 6 * DAY) if closed else N},{area_id},{N},{team_id}"
    )


CASE_COLUMNS = (
    f"{WORK_COLUMNS}, lab_reference, specimen_date, result_date, symptom_onset,"
    " source, complexity, complex_setting, safeguarding_flag, safeguarding_note"
)
CONTACT_COLUMNS = f"{WORK_COLUMNS}, exposure_date, exposure, case_id, identified_by_id"


def case_dates(month: Month, i: int) -> tuple[int, int]:
    """(specimen day, result day) of case index i, in days from EPOCH."""
    dates = month.case_dates[i]
    result = month.case_created[i] // DAY - (dates & 1)
    return result - (dates >> 1), result


def case_lines(month: Month):
    for i in range(len(month.case_created)):
        specimen, result = case_dates(month, i)
        yield (
            work_fields(
                "case",
                i + 1,
                month.case_created[i],
                month.case_reached[i],
                month.case_route[i],
                month.case_area[i],
                DATES[specimen + 10 + DATE_BASE],
                month,
            )
            + f",{i + 1},L{i + 1:08d},{DATES[specimen + DATE_BASE]},"
            f"{DATES[result + DATE_BASE]},{N},demo,routine,,f,\n"
        )


def contact_lines(month: Month):
    for i in range(len(month.contact_created)):
        case = month.contact_case[i]
        exposed = case_dates(month, case - 1)[0] + i % 3 - 1
        yield (
            work_fields(
                "contact",
                i + 1,
                month.contact_created[i],
                month.contact_reached[i],
                month.contact_route[i],
                month.contact_area[i],
                DATES[exposed + 10 + DATE_BASE],
                month,
            )
            + f",{month.contact_person[i]},{DATES[exposed + DATE_BASE]},"
            f"{EXPOSURES[i % 5]},{case},{N}\n"
        )


CALL_COLUMNS = (
    "id, phone, started_at, duration_seconds, outcome, call_back_at, notes,"
    " caller_id, case_id, contact_id"
)


def call_lines(month: Month):
    for i in range(len(month.call_item)):
        item = month.call_item[i]
        case, contact = (item, N) if item > 0 else (N, -item)
        yield (
            f"{i + 1},,{ts(month.call_started[i])},{month.call_seconds[i]},"
            f"{OUTCOMES[month.call_outcome[i]]},{N},,{month.call_caller[i]},{case},"
            f"{contact}\n"
        )


# --- staff ------------------------------------------------------------------------------


def staff_tables(month: Month) -> list[tuple[str, str, list[str]]]:
    """Organisations, national teams, users, staff profiles and shifts, as CSV lines:
    (table, columns, lines). Shifts cover every day from the month's first to a week
    after its last (work arriving late in the month is reached then)."""
    joined = "2020-10-01 09:00:00+00"
    organisations = [
        "1,Bench Clinical Agency,clinical_agency",
        "2,Bench Call Centre,call_centre",
    ]
    teams = [f"{t + 1},Clinical team {t + 1},2,1" for t in range(TIER2_TEAMS)]
    teams += [
        f"{TIER2_TEAMS + t + 1},Call handling team {t + 1},3,2"
        for t in range(TIER3_TEAMS)
    ]
    users, profiles, shifts = [], [], []
    first_day = (FIRST_DAY - EPOCH).days
    last_day = first_day + len(DAY_SHAPE) + 7
    shift_id = 0
    for tier, first, count, n_teams, team_base in (
        (2, 1, month.tier2, TIER2_TEAMS, 0),
        (3, 1 + month.tier2, month.tier3, TIER3_TEAMS, TIER2_TEAMS),
    ):
        for n in range(count):
            uid = first + n
            team = team_base + 1 + n // 2 % n_teams
            users.append(f"{uid},!,{N},f,staff{uid},Bench,Staff {uid},,f,t,{joined}")
            registration = (
                f"NMC,R{uid},2020-10-01,2022-10-01" if tier == 2 else f",,{N},{N}"
            )
            profiles.append(
                f"{uid},{tier},f,{registration},2020-10-01,{joined},42,{N},"
                f"{tier - 1},{N},{N},{uid},{team}"
            )
            start = SHIFT_STARTS[n % 2] * HOUR
            for day in range(first_day, last_day):
                t = day * DAY + start
                if works_on(n, day):
                    shift_id += 1
                    shifts.append(
                        f"{shift_id},{tier},{ts(t)},{ts(t + SHIFT_HOURS * HOUR)},"
                        f"booked,{ts(t - 7 * DAY)},{N},,{N},{N},{N},{uid},{team}"
                    )
                elif (n + day) % 20 == 0:  # a shift booked, then cancelled
                    shift_id += 1
                    shifts.append(
                        f"{shift_id},{tier},{ts(t)},{ts(t + SHIFT_HOURS * HOUR)},"
                        f"cancelled,{ts(t - 7 * DAY)},{ts(t - DAY)},Unwell,{N},"
                        f"{N},{N},{uid},{team}"
                    )
    return [
        ("staffing_organisation", "id, name, kind", organisations),
        ("staffing_team", "id, name, tier, organisation_id", teams),
        (
            "auth_user",
            "id, password, last_login, is_superuser, username, first_name,"
            " last_name, email, is_staff, is_active, date_joined",
            users,
        ),
        (
            "staffing_staffprofile",
            "id, tier, is_supervisor, registration_body, registration_number,"
            " registration_verified_on, registration_expires_on, started_on,"
            " signed_off_at, weekly_hours_cap, local_team_id, organisation_id,"
            " registration_verified_by_id, signed_off_by_id, user_id, team_id",
            profiles,
        ),
        (
            "staffing_shift",
            "id, tier, starts_at, ends_at, status, booked_at, cancelled_at,"
            " cancel_reason, attended_at, cancelled_by_id, published_by_id,"
            " staff_id, team_id",
            shifts,
        ),
    ]


# --- the load -----------------------------------------------------------------------

BIG_TABLES = ("people_person", "cases_case", "contacts_contact", "calls_callattempt")
STAFF_TABLES = (
    "staffing_organisation",
    "staffing_team",
    "auth_user",
    "staffing_staffprofile",
    "staffing_shift",
)


def drop_keys_and_indexes() -> list[str]:
    """Drop the foreign keys, unique constraints and indexes (all but the primary
    keys) of the big tables; returns the statements that make them again."""
    tables = list(BIG_TABLES)
    constraints = rows(
        """
        SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
          FROM pg_constraint
         WHERE conrelid = ANY(%s::regclass[]) AND contype IN ('f', 'u')
         ORDER BY contype DESC
        """,
        [tables],
    )
    indexes = rows(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
          FROM pg_index i
         WHERE i.indrelid = ANY(%s::regclass[])
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                            WHERE c.conindid = i.indexrelid
                              AND c.contype IN ('p', 'u', 'x'))
        """,
        [tables],
    )
    for table, name, _, _ in constraints:  # foreign keys first ('f' > 'u')
        sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _ in indexes:
        sql(f"DROP INDEX {name}")
    again = [definition for _, definition in indexes]
    again += [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
        for table, name, kind, definition in sorted(constraints, key=lambda c: c[2])
    ]  # unique constraints before the foreign keys that may lean on them
    return [s for s in again if "UNIQUE" in s.upper()] + [
        s for s in again if "UNIQUE" not in s.upper()
    ]


def copy(table: str, columns: str, chunks) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {table} ({columns}) FROM STDIN WITH (FORMAT csv, NULL '\\N')",
            Stream(chunks),
        )


def load(month: Month) -> dict[str, int]:
    """COPY the month in; returns rows per table."""
    from django.db import connection

    counts = {}
    sql("SET synchronous_commit = off")
    sql("SET maintenance_work_mem = '1GB'")
    with Step("dropping the big tables' indexes and foreign keys"):
        again = drop_keys_and_indexes()
    with Step("staff and shifts"):
        for table, columns, lines in staff_tables(month):
            copy(table, columns, batched(line + "\n" for line in lines))
            counts[table] = len(lines)
    for table, columns, lines, total in (
        (
            "people_person",
            PEOPLE_COLUMNS,
            people_lines(month),
            len(month.case_created) + len(month.person_phone_of),
        ),
        ("cases_case", CASE_COLUMNS, case_lines(month), len(month.case_created)),
        (
            "contacts_contact",
            CONTACT_COLUMNS,
            contact_lines(month),
            len(month.contact_created),
        ),
        ("calls_callattempt", CALL_COLUMNS, call_lines(month), len(month.call_item)),
    ):
        with Step(f"COPY {total:,} rows into {table}"):
            copy(table, columns, batched(lines))
            counts[table] = total
    with Step("stamping the tier of each item's reaching caller"):
        for table, column in (
            ("cases_case", "case_id"),
            ("contacts_contact", "contact_id"),
        ):
            # As call_record stamps it: the tier of the caller of the first reaching call.
            sql(
                f"""
                UPDATE {table} AS item SET reached_tier = first.tier
                  FROM (SELECT DISTINCT ON (k.{column}) k.{column} AS id, p.tier
                          FROM calls_callattempt k
                          JOIN staffing_staffprofile p ON p.user_id = k.caller_id
                         WHERE k.outcome = 'reached' AND k.{column} IS NOT NULL
                         ORDER BY k.{column}, k.started_at, k.id) AS first
                 WHERE item.id = first.id AND item.reached_route = 'national'
                """
            )
    with Step(f"making {len(again)} indexes and constraints again"):
        for statement in again:
            sql(statement)
    with connection.cursor() as cursor:
        for table in (*BIG_TABLES, *STAFF_TABLES):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                f" (SELECT max(id) FROM {table}))"
            )
    with Step("VACUUM ANALYZE"):
        for table in (*BIG_TABLES, "staffing_shift", "staffing_staffprofile"):
            sql(f"VACUUM ANALYZE {table}")
        sql("ANALYZE")
    return counts


def english_areas() -> tuple[list[tuple[int, int]], int]:
    areas = rows(
        "SELECT id, local_team_id FROM areas_area WHERE code LIKE 'E%' ORDER BY id"
    )
    (fallback,) = rows("SELECT id FROM areas_localteam WHERE is_fallback")[0]
    return areas, fallback


def scaled(scale: float) -> dict[str, int]:
    n = {key: max(1, round(value * scale)) for key, value in PEAK.items()}
    n["tier2"] = max(20, n["tier2"])
    n["tier3"] = max(20, n["tier3"])
    return n


def build(url: str, scale: float, reuse: bool) -> None:
    n = scaled(scale)
    marker = f"bench/figures.py scale={scale}"
    if reuse and loaded_marker(url) == marker:
        print(f"Reusing {BENCH_DB}, loaded before at scale {scale}")
        setup_django(url)
        return
    print(f"Bench database {urlsplit(url).path.lstrip('/')}: made fresh, migrating")
    fresh_database(url)
    setup_django(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(
        f"scale {scale}: " + ", ".join(f"{key} {value:,}" for key, value in n.items())
    )
    started = time.perf_counter()
    with Step("generating the month"):
        areas, fallback = english_areas()
        month = make_month(n, areas, fallback)
    print(
        f"    {len(month.case_created):,} cases, {len(month.contact_created):,}"
        f" contacts, {len(month.case_created) + len(month.person_phone_of):,} people"
        f" ({month.duplicates['same person']:,} contacts the same person as"
        f" another, {month.duplicates['shared phone']:,} sharing another's phone),"
        f" {len(month.call_item):,} calls"
    )
    load(month)
    seconds = time.perf_counter() - started
    print(f"Loaded in {seconds:.0f} s ({seconds / 60:.1f} min)")
    mark_loaded(url, marker)


# --- the hand-written SQL ---------------------------------------------------------------

# One statement for the week and the scope. {scope} is "" (England) or a filter on the
# item's area's local team. The definitions are those of figures/weekly.py: a contact
# is a person by their person row (person_id); the route of a national
# reach is the tier of the caller of the item's first reaching call.
HOURS = "CAST(EXTRACT(EPOCH FROM ({0})) AS double precision) / 3600.0"
SQL_BLOCKS = {
    "cases": """
    SELECT json_build_object(
        'transferred', count(*),
        'reached', count(c.reached_at),
        'within_24h', count(*) FILTER (WHERE c.reached_at <= c.created_at + interval '24 hours'),
        'under_24h', count(*) FILTER (WHERE c.reached_at <= c.created_at + interval '24 hours'),
        '24_48h', count(*) FILTER (WHERE c.reached_at > c.created_at + interval '24 hours'
                                     AND c.reached_at <= c.created_at + interval '48 hours'),
        '48_72h', count(*) FILTER (WHERE c.reached_at > c.created_at + interval '48 hours'
                                     AND c.reached_at <= c.created_at + interval '72 hours'),
        'over_72h', count(*) FILTER (WHERE c.reached_at > c.created_at + interval '72 hours'),
        'no_details', (SELECT count(*) FROM week_cases u
                         JOIN people_person p ON p.id = u.person_id
                        WHERE u.reached_at IS NULL AND p.phone = ''
                          AND p.phone_alt = '' AND p.email = ''),
        'unreached', count(*) FILTER (WHERE c.reached_at IS NULL),
        'routes', (SELECT json_object_agg(route, json_build_array(n, n24)) FROM (
            SELECT CASE WHEN r.reached_route <> 'national' THEN r.reached_route
                        WHEN r.tier = 3 THEN 'tier3' ELSE 'tier2' END AS route,
                   count(*) AS n,
                   count(*) FILTER (WHERE r.reached_at <= r.created_at
                                                       + interval '24 hours') AS n24
              FROM case_reach r GROUP BY 1) g))
      FROM week_cases c
    """,
    "contacts": """
    SELECT json_build_object(
        'identified', count(*),
        'rows', coalesce(sum(w.rows), 0),
        'reached', count(w.reached_at),
        'within_24h', count(*) FILTER (WHERE w.reached_at <= w.first_created + interval '24 hours'),
        'under_24h', count(*) FILTER (WHERE w.reached_at <= w.first_created + interval '24 hours'),
        '24_48h', count(*) FILTER (WHERE w.reached_at > w.first_created + interval '24 hours'
                                     AND w.reached_at <= w.first_created + interval '48 hours'),
        '48_72h', count(*) FILTER (WHERE w.reached_at > w.first_created + interval '48 hours'
                                     AND w.reached_at <= w.first_created + interval '72 hours'),
        'over_72h', count(*) FILTER (WHERE w.reached_at > w.first_created + interval '72 hours'),
        'routes', (SELECT json_object_agg(route, json_build_array(n, n24)) FROM (
            SELECT CASE WHEN r.reached_route <> 'national' THEN r.reached_route
                        WHEN r.tier = 2 THEN 'tier2' ELSE 'tier3' END AS route,
                   count(*) AS n,
                   count(*) FILTER (WHERE r.reached_at <= r.first_created
                                                       + interval '24 hours') AS n24
              FROM contact_reach r
             GROUP BY 1) g))
      FROM who w
    """,
    "times": f"""
    SELECT json_build_object(
        'specimen_to_result', (SELECT json_build_array(
            percentile_cont(0.5) WITHIN GROUP (ORDER BY h),
            percentile_cont(0.9) WITHIN GROUP (ORDER BY h), count(h))
            FROM (SELECT greatest(24.0 * (result_date - specimen_date), 0.0) AS h
                    FROM week_cases) x),
        'result_to_case_reached', (SELECT json_build_array(
            percentile_cont(0.5) WITHIN GROUP (ORDER BY h),
            percentile_cont(0.9) WITHIN GROUP (ORDER BY h), count(h))
            FROM (SELECT greatest({HOURS.format("reached_at - created_at")}, 0.0) AS h
                    FROM week_cases WHERE reached_at IS NOT NULL) x),
        'case_reached_to_contacts_reached', (SELECT json_build_array(
            percentile_cont(0.5) WITHIN GROUP (ORDER BY h),
            percentile_cont(0.9) WITHIN GROUP (ORDER BY h), count(h))
            FROM (SELECT greatest({HOURS.format("k.reached_at - c.reached_at")}, 0.0)
                         AS h
                    FROM week_contacts k JOIN cases_case c ON c.id = k.case_id
                   WHERE k.reached_at IS NOT NULL AND c.reached_at IS NOT NULL) x))
    """,
    "staff": """
    SELECT coalesce(json_agg(json_build_array(tier, team, seconds, calls, reached,
                                              busy) ORDER BY tier, team), '[]')
      FROM (
        WITH worked AS (
            -- Shift time worked in the week, by the tier and team each shift was
            -- booked for (a slot open to the tier: the person's own team).
            SELECT s.staff_id, s.tier, coalesce(st.name, pt.name) AS team,
                   sum(EXTRACT(EPOCH FROM least(s.ends_at, %(until)s)
                                        - greatest(s.starts_at, %(start)s))) AS seconds
              FROM staffing_shift s
              JOIN staffing_staffprofile p ON p.id = s.staff_id
              LEFT JOIN staffing_team st ON st.id = s.team_id
              LEFT JOIN staffing_team pt ON pt.id = p.team_id
             WHERE s.status = 'booked' AND s.tier IN (2, 3)
               AND s.starts_at < %(until)s AND s.ends_at > %(start)s
             GROUP BY s.staff_id, s.tier, coalesce(st.name, pt.name)
        ), main AS (
            -- Each person's calls go with their tier and team of the most hours.
            SELECT DISTINCT ON (staff_id) staff_id, tier, team
              FROM worked ORDER BY staff_id, seconds DESC
        ), called AS (
            -- Calls, each case and contact reached once a person, and talk time.
            SELECT p.id AS staff_id, p.tier, t.name AS team, count(*) AS calls,
                   count(DISTINCT k.case_id) FILTER (WHERE k.outcome = 'reached')
                   + count(DISTINCT k.contact_id) FILTER (WHERE k.outcome = 'reached')
                     AS reached,
                   coalesce(sum(k.duration_seconds), 0) AS talk
              FROM calls_callattempt k
              JOIN staffing_staffprofile p ON p.user_id = k.caller_id
              LEFT JOIN staffing_team t ON t.id = p.team_id
             WHERE k.started_at >= %(start)s AND k.started_at < %(until)s
             GROUP BY p.id, p.tier, t.name
        ), filed AS (
            SELECT staff_id, tier, team, seconds, 0 AS calls, 0 AS reached, 0 AS talk
              FROM worked
            UNION ALL
            SELECT c.staff_id, coalesce(m.tier, c.tier),
                   CASE WHEN m.staff_id IS NULL THEN c.team ELSE m.team END,
                   0, c.calls, c.reached, c.talk
              FROM called c LEFT JOIN main m ON m.staff_id = c.staff_id
             WHERE coalesce(m.tier, c.tier) IN (2, 3)
        ), person AS (
            SELECT tier, team, sum(seconds) AS seconds, sum(calls) AS calls,
                   sum(reached) AS reached, sum(talk) AS talk
              FROM filed GROUP BY staff_id, tier, team
        )
        -- Time on calls: talk and the wrap-up of each, up to the person's shift time.
        SELECT tier, team, sum(seconds) AS seconds, sum(calls) AS calls,
               sum(reached) AS reached,
               sum(least(seconds, talk + calls * %(wrap_up)s)) AS busy
          FROM person GROUP BY tier, team) staff
    """,
}
SQL_COMMON = """
WITH week_cases AS MATERIALIZED (
    SELECT c.id, c.created_at, c.reached_at, c.reached_route, c.person_id,
           c.specimen_date, c.result_date
      FROM cases_case c
     WHERE c.created_at >= %(start)s AND c.created_at < %(end)s {scope}
), case_reach AS (
    -- The week's reached cases with the tier of their first reaching call's caller.
    SELECT c.reached_route, c.reached_at, c.created_at, f.tier
      FROM week_cases c
      LEFT JOIN LATERAL (
            SELECT p.tier FROM calls_callattempt k
              LEFT JOIN staffing_staffprofile p ON p.user_id = k.caller_id
             WHERE k.case_id = c.id AND k.outcome = 'reached'
               AND c.reached_route = 'national'
             ORDER BY k.started_at, k.id LIMIT 1) f ON true
     WHERE c.reached_at IS NOT NULL
), week_contacts AS MATERIALIZED (
    SELECT k.id, k.case_id, k.person_id, k.created_at, k.reached_at, k.reached_route
      FROM contacts_contact k
     WHERE k.created_at >= %(start)s AND k.created_at < %(end)s {contact_scope}
), who AS (
    -- One row per person: their first reached row, else their first identified
    -- (one sort serves the window and DISTINCT ON).
    SELECT DISTINCT ON (person_id) id, reached_at, reached_route,
           min(created_at) OVER person AS first_created,
           count(*) OVER person AS rows
      FROM week_contacts k
    WINDOW person AS (PARTITION BY person_id
                      ORDER BY reached_at NULLS LAST, created_at, id
                      ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
     ORDER BY person_id, reached_at NULLS LAST, created_at, id
), contact_reach AS (
    -- The people reached, with the tier of their kept row's first reaching call.
    SELECT w.reached_route, w.reached_at, w.first_created, f.tier
      FROM who w
      LEFT JOIN LATERAL (
            SELECT p.tier FROM calls_callattempt k
              LEFT JOIN staffing_staffprofile p ON p.user_id = k.caller_id
             WHERE k.contact_id = w.id AND k.outcome = 'reached'
               AND w.reached_route = 'national'
             ORDER BY k.started_at, k.id LIMIT 1) f ON true
     WHERE w.reached_at IS NOT NULL
)
"""
# Not timed: the contacts as people by the rule (the same person, phone or NHS
# number). NHS numbers are unique to a person row, so that is one class per phone,
# else per person row.
PEOPLE_BY_RULE = """
SELECT count(DISTINCT coalesce(nullif(p.phone, ''), '#' || k.person_id))
  FROM contacts_contact k JOIN people_person p ON p.id = k.person_id
 WHERE k.created_at >= %(start)s AND k.created_at < %(end)s {contact_scope}
"""
TEAM_SCOPE = (
    "AND {0}.area_id IN (SELECT id FROM areas_area WHERE local_team_id = %(team)s)"
)


def sql_statement(blocks: list[str], team: bool) -> str:
    """The one statement giving these blocks (a JSON column each)."""
    common = SQL_COMMON.format(
        scope=TEAM_SCOPE.format("c") if team else "",
        contact_scope=TEAM_SCOPE.format("k") if team else "",
    )
    return common + "SELECT " + ", ".join(f"({SQL_BLOCKS[b]}) AS {b}" for b in blocks)


def sql_figures(blocks: list[str], params: dict, team: bool) -> tuple[dict, float]:
    from django.db import connection

    statement = sql_statement(blocks, team)
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    return dict(zip(blocks, row, strict=True)), time.perf_counter() - started


# --- both as one flat list of numbers -----------------------------------------------


def pct(n: int, of: int) -> float | None:
    return round(100 * n / of, 1) if of else None


def ratio(n: float, of: float, places: int = 2) -> float | None:
    return round(n / of, places) if of else None


def two(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


ROUTES = ("online", "tier2", "tier3", "local")
SPREAD = ("under_24h", "24_48h", "48_72h", "over_72h")


def app_numbers(figures) -> dict[str, object]:
    cases, contacts, times = figures.cases, figures.contacts, figures.times
    out: dict[str, object] = {}
    for name in (
        "transferred",
        "reached",
        "reached_pct",
        "within_24h",
        "within_24h_pct",
        "not_reached_no_details",
        "not_reached_other",
    ):
        out[f"cases.{name}"] = getattr(cases, name)
    for name in (
        "identified",
        "merged",
        "reached",
        "reached_pct",
        "within_24h",
        "within_24h_pct",
        "per_case",
    ):
        out[f"contacts.{name}"] = getattr(contacts, name)
    for block, values in (("cases", cases), ("contacts", contacts)):
        for key in SPREAD:
            out[f"{block}.spread.{key}"] = values.spread[key]
        for route in ROUTES:
            out[f"{block}.{route}.reached"] = values.by_route[route].reached
            out[f"{block}.{route}.within_24h"] = values.by_route[route].within_24h
    for name in (
        "specimen_to_result",
        "result_to_case_reached",
        "case_reached_to_contacts_reached",
    ):
        spread = getattr(times, name)
        out[f"times.{name}"] = (spread.median, spread.p90, spread.n)
    for row in figures.staff:
        out[f"staff.{row.tier}.{row.team}"] = (
            row.hours_on_shift,
            row.calls,
            row.reached,
            row.calls_per_hour,
            row.reached_per_hour,
            row.idle_share,
        )
    return out


def sql_numbers(result: dict) -> dict[str, object]:
    """The SQL's counts shaped and rounded as figures/weekly.py shapes and rounds."""
    out: dict[str, object] = {}
    cases = result.get("cases")
    if cases is not None:
        n = cases["transferred"]
        out["cases.transferred"] = n
        out["cases.reached"] = cases["reached"]
        out["cases.reached_pct"] = pct(cases["reached"], n)
        out["cases.within_24h"] = cases["within_24h"]
        out["cases.within_24h_pct"] = pct(cases["within_24h"], n)
        out["cases.not_reached_no_details"] = cases["no_details"]
        out["cases.not_reached_other"] = cases["unreached"] - cases["no_details"]
    contacts = result.get("contacts")
    if contacts is not None:
        people = contacts["identified"]
        out["contacts.identified"] = people
        out["contacts.merged"] = contacts["rows"] - people
        out["contacts.reached"] = contacts["reached"]
        out["contacts.reached_pct"] = pct(contacts["reached"], people)
        out["contacts.within_24h"] = contacts["within_24h"]
        out["contacts.within_24h_pct"] = pct(contacts["within_24h"], people)
        if cases is not None:
            out["contacts.per_case"] = ratio(people, cases["transferred"])
    for block in ("cases", "contacts"):
        values = result.get(block)
        if values is None:
            continue
        for key in SPREAD:
            out[f"{block}.spread.{key}"] = values[key]
        routes = values["routes"] or {}
        for route in ROUTES:
            reached, within = routes.get(route, (0, 0))
            out[f"{block}.{route}.reached"] = reached
            out[f"{block}.{route}.within_24h"] = within
    for name, (median, p90, n) in (result.get("times") or {}).items():
        out[f"times.{name}"] = (two(median), two(p90), n)
    for tier, team, seconds, calls, reached, busy in result.get("staff") or []:
        seconds = float(seconds or 0)
        if not seconds and not calls:
            continue
        hours = seconds / 3600
        out[f"staff.{tier}.{team or ''}"] = (
            round(hours, 2),
            calls or 0,
            reached or 0,
            ratio(calls or 0, hours),
            ratio(reached or 0, hours),
            round(1 - float(busy or 0) / seconds, 3) if seconds else None,
        )
    return out


def differences(app: dict, raw: dict) -> list[str]:
    return [
        f"{key}: app {app.get(key, '-')!r}, SQL {raw.get(key, '-')!r}"
        for key in sorted(set(app) | set(raw))
        if app.get(key) != raw.get(key)
    ]


# --- the runs ---------------------------------------------------------------------------


class QueryClock:
    """Times each query the app makes (execute_wrapper), in order."""

    def __init__(self):
        self.queries: list[tuple[str, float]] = []

    def __call__(self, execute, statement, params, many, context):
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            self.queries.append((statement, time.perf_counter() - started))


def run_app(period, scope) -> tuple[object, float, list[float]]:
    """One call with the cache cleared: (figures, seconds, seconds per query)."""
    from django.core.cache import cache
    from django.db import connection

    from figures.weekly import weekly_figures

    cache.clear()
    clock = QueryClock()
    with connection.execute_wrapper(clock):
        started = time.perf_counter()
        figures = weekly_figures(period=period, scope=scope)
        seconds = time.perf_counter() - started
    return figures, seconds, [q[1] for q in clock.queries]


def busiest_week():
    from figures.weekly import Period

    ((thursday, cases),) = rows(
        """
        SELECT local - ((extract(isodow FROM local)::int + 3) % 7), count(*)
          FROM (SELECT (created_at AT TIME ZONE 'Europe/London')::date AS local
                  FROM cases_case) c
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1
        """
    )
    return Period(thursday), cases


def biggest_team():
    from django.db.models import Count

    from areas.models import LocalTeam

    return LocalTeam.objects.annotate(n=Count("areas")).order_by("-n", "name").first()


def measure(label: str, period, scope, team_id: int | None) -> tuple[list, list]:
    """Time the app and the SQL for one scope; (table rows, differences)."""
    from django.core.cache import cache
    from django.db import connection

    from figures.weekly import weekly_figures

    start, end = period.bounds()
    from figures.utilisation import WRAP_UP

    params = {
        "start": start,
        "end": end,
        "until": end,
        "team": team_id,
        "wrap_up": WRAP_UP.total_seconds(),
    }
    blocks = ["cases", "contacts", "times"] + (["staff"] if team_id is None else [])
    figures, cold, cold_queries = run_app(period, scope)
    runs = [run_app(period, scope) for _ in range(RUNS)]
    counts = {len(queries) for _, _, queries in [(figures, cold, cold_queries), *runs]}
    if counts != {len(blocks)}:
        print(f"  note: the app made {sorted(counts)} queries, not {len(blocks)}")
    app_total = statistics.median(seconds for _, seconds, _ in runs)
    app_block = [
        statistics.median(queries[i] for _, _, queries in runs)
        for i in range(len(blocks))
    ]
    # A cached call: the last run left the closed week in the cache.
    clock = QueryClock()
    with connection.execute_wrapper(clock):
        started = time.perf_counter()
        cached = weekly_figures(period=period, scope=scope)
        cached_seconds = time.perf_counter() - started
    cached_ok = cached == runs[-1][0] and not clock.queries
    cache.clear()

    sql_block = []
    for block in blocks:
        sql_block.append(
            statistics.median(
                sql_figures([block], params, team_id is not None)[1]
                for _ in range(RUNS)
            )
        )
    results = [sql_figures(blocks, params, team_id is not None) for _ in range(RUNS)]
    sql_total = statistics.median(seconds for _, seconds in results)
    raw = results[-1][0]

    table = [
        (f"{label}: {block}", a, s)
        for block, a, s in zip(blocks, app_block, sql_block, strict=True)
    ]
    table.append((f"{label}: all (weekly_figures / one SQL)", app_total, sql_total))
    table.append((f"{label}: cold call (cache cleared, first)", cold, None))
    table.append(
        (
            f"{label}: cached call (closed week)"
            + ("" if cached_ok else " NOT FROM THE CACHE"),
            cached_seconds,
            None,
        )
    )
    diffs = differences(app_numbers(figures), sql_numbers(raw))
    contacts = figures.contacts
    ((by_rule,),) = rows(
        PEOPLE_BY_RULE.format(
            contact_scope=TEAM_SCOPE.format("k") if team_id is not None else ""
        ),
        params,
    )
    print(
        f"  {label}: {figures.cases.transferred:,} cases transferred,"
        f" {contacts.rows:,} contact rows -> {contacts.identified:,} people"
        f" ({contacts.merged:,} merged by the app's key; by the rule 'the same"
        f" person, phone or NHS number': {by_rule:,} people,"
        f" {contacts.rows - by_rule:,} merged)"
    )
    return table, diffs


def report(title: str, table: list, all_diffs: list[str]) -> None:
    print()
    print(title)
    print(f"  {'figure block':<52}{'app s':>9}{'SQL s':>9}{'ratio':>8}")
    for label, app_seconds, sql_seconds in table:
        if sql_seconds is None:
            print(f"  {label:<52}{app_seconds:>9.4f}")
        else:
            print(
                f"  {label:<52}{app_seconds:>9.3f}{sql_seconds:>9.3f}"
                f"{app_seconds / sql_seconds:>7.1f}x"
            )
    if all_diffs:
        print(f"\nThe numbers DISAGREE ({len(all_diffs)}):")
        for line in all_diffs:
            print(f"  {line}")
    else:
        print("\nEvery number agrees (app and SQL).")


def main() -> None:
    args = parse_args()
    build(args.database_url, args.scale, args.reuse)
    from django.conf import settings

    from figures.weekly import Scope

    backend = settings.CACHES["default"]["BACKEND"]
    if not backend.endswith("LocMemCache"):
        sys.exit(f"bench/figures.py wants the in-process cache, not {backend}")
    period, cases = busiest_week()
    team = biggest_team()
    print(
        f"\nWeek {period.label} (the busiest Thursday week: {cases:,} cases);"
        f" team {team.name} ({team.areas.count()} areas); {RUNS} runs each"
    )
    table, diffs = measure("England", period, Scope.england(), None)
    team_table, team_diffs = measure("Team", period, Scope.team(team), team.pk)
    diffs = [f"England {d}" for d in diffs] + [f"Team {d}" for d in team_diffs]
    report(
        f"RESULTS at scale {args.scale} (a benchmark: seconds, never a pass or fail;"
        " ratio = app / SQL)",
        table + team_table,
        diffs,
    )
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
