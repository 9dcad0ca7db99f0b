"""Benchmark: a peak day's assignment, and the escalation sweep over a million contacts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracing_bench \\
        .venv/bin/python bench/assignment.py [--scale 0.1]

Builds its own data in a dedicated PostgreSQL database (created if missing, emptied
at the start of each run) with set-based INSERT ... SELECT statements, then:

1. Assignment of a peak day: 60,000 cases over 3,000 tier 2 caseworkers on shift,
   then 200,000 contacts over 18,000 tier 3 call handlers. Nobody may hold more than
   their cap, so the day runs in rounds: assign until nothing more fits, then the
   staff finish what they hold (untimed), and again, until the pool is empty.
   Beside it, one raw SQL statement makes the same selection for each round (which
   item goes to whom: eligible staff, their room, least loaded first, most urgent and
   oldest work first), without writing; the figures are items per second, and the
   ratio.
2. The sweep over 1,000,000 unreached contacts of which about 2% are due, timed to
   the end (every due contact escalated, exactly once), beside one raw SELECT of the
   same due rows.

A benchmark, not a test: it prints figures and never fails on a time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tracing_bench"

PEAK = {
    "caseworkers": 3_000,
    "call_handlers": 18_000,
    "cases": 60_000,
    "contacts": 200_000,
    "sweep_contacts": 1_000_000,
}
DUE_SHARE = 0.02
LANGUAGES = [("ur", "Urdu"), ("pl", "Polish"), ("pa", "Punjabi"), ("bn", "Bengali")]


def ensure_database(url: str) -> None:
    """Create the benchmark database if it does not exist yet."""
    import psycopg2

    parts = urlparse(url)
    name = parts.path.lstrip("/")
    admin = urlunparse(parts._replace(path="/postgres"))
    conn = psycopg2.connect(admin)
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
            print(f"created database {name}")
    conn.close()


def setup_django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracing.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def sql(statement: str, params=None) -> int:
    """Run one statement; a literal % is written %% only when params are given."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def timed(label: str):
    """Print how long a setup step took (setup time is not a figure)."""

    class Step:
        def __enter__(self):
            self.start = time.perf_counter()
            print(f"  {label}...", end="", flush=True)

        def __exit__(self, *exc):
            print(f" {time.perf_counter() - self.start:.1f}s", flush=True)

    return Step()


# --- data ---------------------------------------------------------------------------


def reset() -> None:
    sql(
        """
        TRUNCATE escalations_escalationaction, escalations_escalation,
                 calls_callattempt, contacts_contact, cases_case, people_person,
                 staffing_shift, staffing_trainingcompletion,
                 staffing_staffprofile_languages, staffing_staffprofile,
                 staffing_trainingmodule, staffing_team, staffing_organisation,
                 audit_auditevent, auth_user
        RESTART IDENTITY CASCADE
        """
    )


def seed_staff(n: dict[str, int]) -> None:
    """Caseworkers and call handlers, trained, on shift now; some speak a language,
    one in ten is a new starter."""
    from django.utils import timezone

    now = timezone.now()
    params = {"now": now, "today": timezone.localdate(now)}
    for code, name in LANGUAGES:
        sql(
            "INSERT INTO people_language (code, name) VALUES (%(c)s, %(n)s)"
            " ON CONFLICT (code) DO NOTHING",
            {"c": code, "n": name},
        )
    sql(
        "INSERT INTO staffing_organisation (name, kind) VALUES"
        " ('Bench Clinical Agency', 'clinical_agency'),"
        " ('Bench Call Centre', 'call_centre')"
    )
    sql(
        "INSERT INTO staffing_team (name, tier, organisation_id) VALUES"
        " ('Bench caseworkers', 2, 1), ('Bench call handlers', 3, 2)"
    )
    sql(
        "INSERT INTO staffing_trainingmodule (name, tier, required) VALUES"
        " ('Clinical induction', 2, true), ('Call handling induction', 3, true)"
    )
    total = n["caseworkers"] + n["call_handlers"]
    sql(
        """
        INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
                               email, is_staff, is_active, date_joined)
        SELECT '!', false, 'bench' || g, 'Bench', 'Staff ' || g, '', false, true,
               %(now)s
          FROM generate_series(1, %(total)s) g
        """,
        {**params, "total": total},
    )
    sql(
        """
        INSERT INTO staffing_staffprofile (
            user_id, tier, is_supervisor, organisation_id, team_id, registration_body,
            registration_number, registration_verified_on, registration_expires_on,
            started_on, signed_off_at, weekly_hours_cap)
        SELECT u.id, t.tier, false, t.tier - 1, t.tier - 1,
               CASE WHEN t.tier = 2 THEN 'NMC' ELSE '' END,
               CASE WHEN t.tier = 2 THEN 'R' || u.id ELSE '' END,
               CASE WHEN t.tier = 2 THEN %(today)s::date - 30 END,
               CASE WHEN t.tier = 2 THEN %(today)s::date + 365 END,
               %(today)s::date - 60,
               CASE WHEN u.id %% 10 = 0 THEN NULL ELSE %(now)s END,
               42
          FROM auth_user u
         CROSS JOIN LATERAL (
               SELECT CASE WHEN u.id <= %(caseworkers)s THEN 2 ELSE 3 END AS tier) t
        """,
        {**params, "caseworkers": n["caseworkers"]},
    )
    sql(
        """
        INSERT INTO staffing_shift (tier, team_id, staff_id, starts_at, ends_at, status,
                                    booked_at, cancel_reason)
        SELECT tier, team_id, id, %(now)s - interval '2 hours',
               %(now)s + interval '6 hours', 'booked', %(now)s - interval '2 days', ''
          FROM staffing_staffprofile
        """,
        params,
    )
    sql(
        """
        INSERT INTO staffing_trainingcompletion (profile_id, module_id, completed_on)
        SELECT p.id, m.id, %(today)s::date - 50
          FROM staffing_staffprofile p JOIN staffing_trainingmodule m ON m.tier = p.tier
        """,
        params,
    )
    sql(
        """
        INSERT INTO staffing_staffprofile_languages (staffprofile_id, language_id)
        SELECT p.id, l.ids[1 + p.id % array_length(l.ids, 1)]
          FROM staffing_staffprofile p,
               (SELECT array_agg(id ORDER BY id) ids FROM people_language) l
         WHERE p.id % 20 = 0
        """
    )


def seed_people(count: int) -> tuple[int, int]:
    """People in real areas; one in a hundred needs an interpreter. Returns id range."""
    from django.utils import timezone

    sql(
        """
        INSERT INTO people_person (first_name, last_name, nhs_number, phone, phone_alt,
                                   email, address, postcode, needs_interpreter,
                                   language_id, area_id, created_at, updated_at)
        SELECT 'Bench', 'Person ' || g, '', '+4479' || lpad((g %% 100000000)::text, 8,
               '0'), '', '', '', '', g %% 100 = 0,
               CASE WHEN g %% 100 = 0 THEN l.ids[1 + g %% array_length(l.ids, 1)] END,
               a.ids[1 + g %% array_length(a.ids, 1)], %(now)s, %(now)s
          FROM generate_series(1, %(count)s) g,
               (SELECT array_agg(id ORDER BY id) ids FROM people_language) l,
               (SELECT array_agg(id ORDER BY id) ids FROM areas_area) a
        """,
        {"count": count, "now": timezone.now()},
    )
    # One statement in one session takes consecutive ids from the sequence.
    last = _scalar("SELECT currval(pg_get_serial_sequence('people_person', 'id'))")
    return last - count + 1, last


def _scalar(statement: str):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchone()[0]


WORK_COLUMNS = """status, area_unknown, priority, isolation_ends_on, attempts,
    next_attempt_at, escalate_due_at, created_at, reached_route, area_id, person_id,
    assignee_id, assigned_at"""


def seed_cases(count: int) -> None:
    """A peak day's cases arriving over the last 24 hours, 5% more urgent."""
    from django.utils import timezone

    first, _ = seed_people(count)
    sql(
        f"""
        INSERT INTO cases_case ({WORK_COLUMNS}, lab_reference, specimen_date,
            result_date, source, complexity, complex_setting, safeguarding_flag,
            safeguarding_note)
        SELECT 'new', false, CASE WHEN g %% 20 = 0 THEN 1 ELSE 0 END,
               %(today)s::date + 8, 0, t.at, t.at + interval '24 hours', t.at, '',
               p.area_id, p.id, NULL, NULL,
               'BENCH' || g, %(today)s::date - 2, %(today)s::date - 1, 'demo',
               'routine', '', false, ''
          FROM generate_series(0, %(count)s - 1) g
          JOIN people_person p ON p.id = %(first)s + g
         CROSS JOIN LATERAL (
               SELECT %(now)s - interval '24 hours' * ((g::bigint * 7919) %% %(count)s)
                      / %(count)s AS at) t
        """,
        {
            "count": count,
            "first": first,
            "now": timezone.now(),
            "today": timezone.localdate(),
        },
    )


def seed_contacts(count: int, *, status_sql: str, created_sql: str) -> None:
    """Contacts of the bench cases; status and arrival time are SQL over g."""
    from django.utils import timezone

    first, _ = seed_people(count)
    sql(
        f"""
        INSERT INTO contacts_contact ({WORK_COLUMNS}, exposure_date, exposure, case_id)
        SELECT s.status, p.area_id IS NULL, CASE WHEN g %% 20 = 0 THEN 1 ELSE 0 END,
               %(today)s::date + 9, s.attempts, t.at, t.at + interval '24 hours', t.at,
               '', p.area_id, p.id,
               CASE WHEN s.status = 'assigned' THEN
                    %(first_handler)s + g %% %(handlers)s END,
               CASE WHEN s.status = 'assigned' THEN t.at END,
               %(today)s::date - 1, 'household', %(first_case)s + g %% %(cases)s
          FROM generate_series(0, %(count)s - 1) g
          JOIN people_person p ON p.id = %(first)s + g
         CROSS JOIN LATERAL ({created_sql}) t
         CROSS JOIN LATERAL ({status_sql}) s
        """,
        {
            "count": count,
            "first": first,
            "now": timezone.now(),
            "today": timezone.localdate(),
            **_id_ranges(),
        },
    )


def _id_ranges() -> dict[str, int]:
    """Bench ids are consecutive (RESTART IDENTITY): pick by arithmetic, since
    indexing a large array per row would copy it per row."""
    first_case, last_case = _row("SELECT min(id), max(id) FROM cases_case")
    first_handler, last_handler = _row(
        "SELECT min(user_id), max(user_id) FROM staffing_staffprofile WHERE tier = 3"
    )
    return {
        "first_case": first_case,
        "cases": last_case - first_case + 1,
        "first_handler": first_handler,
        "handlers": last_handler - first_handler + 1,
    }


def _row(statement: str) -> tuple:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement)
        return cursor.fetchone()


# --- the raw SQL yardsticks -----------------------------------------------------------

# MATERIALIZED: each part is computed once, whatever the planner guesses.
RAW_ASSIGNMENT = """
WITH held AS MATERIALIZED (
    SELECT assignee_id, count(*) AS n FROM {table}
     WHERE assignee_id IS NOT NULL AND status IN %(held)s
     GROUP BY assignee_id
), staff AS MATERIALIZED (
    SELECT p.user_id,
           COALESCE(held.n, 0) AS load,
           CASE WHEN p.signed_off_at IS NULL THEN %(cap_new)s ELSE %(cap)s END
               - COALESCE(held.n, 0) AS room
      FROM staffing_staffprofile p
      JOIN auth_user u ON u.id = p.user_id AND u.is_active
      LEFT JOIN held ON held.assignee_id = p.user_id
     WHERE p.tier = %(tier)s
       AND EXISTS (SELECT 1 FROM staffing_shift s
                    WHERE s.staff_id = p.id AND s.status = 'booked'
                      AND s.starts_at <= %(now)s AND s.ends_at > %(now)s)
       AND NOT EXISTS (SELECT 1 FROM staffing_trainingmodule m
                        WHERE m.tier = p.tier AND m.required
                          AND NOT EXISTS (SELECT 1 FROM staffing_trainingcompletion c
                                           WHERE c.module_id = m.id
                                             AND c.profile_id = p.id))
       {registration}
), slots AS MATERIALIZED (
    SELECT staff.user_id,
           row_number() OVER (ORDER BY staff.load + k, staff.user_id) AS rn
      FROM staff CROSS JOIN LATERAL generate_series(0, staff.room - 1) AS k
), items AS MATERIALIZED (
    SELECT id, row_number() OVER (ORDER BY priority DESC, created_at, id) AS rn
      FROM {table}
     WHERE {pool}
       AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
)
SELECT items.id, slots.user_id FROM items JOIN slots USING (rn)
"""

RAW_DUE = """
SELECT id FROM contacts_contact
 WHERE status IN ('new', 'assigned') AND escalate_due_at <= %(now)s
 ORDER BY escalate_due_at, id
"""


def raw_assignment(kind: str, now) -> tuple[int, float]:
    from django.conf import settings
    from django.db import connection

    caps = settings.TRACING_OPEN_WORK_CAP
    tier_key = "tier2" if kind == "case" else "tier3"
    statement = RAW_ASSIGNMENT.format(
        table="cases_case" if kind == "case" else "contacts_contact",
        pool="(status = 'new' OR (status = 'reached' AND assignee_id IS NULL))"
        if kind == "case"
        else "status = 'new'",
        registration=(
            "AND p.registration_verified_on IS NOT NULL AND p.registration_number <> ''"
            " AND p.registration_expires_on >= %(today)s"
        )
        if kind == "case"
        else "",
    )
    params = {
        "cap": caps[tier_key],
        "cap_new": caps[f"{tier_key}_new_starter"],
        "held": ("assigned", "reached") if kind == "case" else ("assigned",),
        "tier": 2 if kind == "case" else 3,
        "now": now,
        "today": now.date(),
    }
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        rows = len(cursor.fetchall())
    return rows, time.perf_counter() - start


# --- the runs ---------------------------------------------------------------------------


def finish_held_work(kind: str) -> None:
    """The staff work what they hold (untimed): it leaves their queue."""
    table = "cases_case" if kind == "case" else "contacts_contact"
    sql(
        f"""
        UPDATE {table} SET status = 'completed', reached_at = now(),
               reached_route = 'national', completed_at = now(),
               next_attempt_at = NULL, escalate_due_at = NULL
         WHERE status = 'assigned'
        """
    )


def run_day(kind: str, total: int) -> dict:
    from django.utils import timezone

    from work.assignment import assign_work

    assigned = runs = raw_rows = rounds = 0
    service_seconds = raw_seconds = 0.0
    while True:
        now = timezone.now()
        rows, seconds = raw_assignment(kind, now)
        raw_rows += rows
        raw_seconds += seconds
        before = assigned
        while True:
            start = time.perf_counter()
            report = assign_work(now=now)
            service_seconds += time.perf_counter() - start
            runs += 1
            assigned += report.assigned[kind]
            if not report.more:
                break
        rounds += 1
        print(
            f"    round {rounds}: {assigned - before:,} {kind}s assigned"
            f" ({assigned:,} of {total:,})",
            flush=True,
        )
        if assigned == before or assigned >= total:
            break
        finish_held_work(kind)
        sql(f"ANALYZE {'cases_case' if kind == 'case' else 'contacts_contact'}")
    return {
        "assigned": assigned,
        "runs": runs,
        "rounds": rounds,
        "service_seconds": service_seconds,
        "raw_rows": raw_rows,
        "raw_seconds": raw_seconds,
    }


def run_sweep() -> dict:
    from django.db import connection
    from django.utils import timezone

    from escalations.models import Escalation
    from work.escalation import escalate_unreached

    now = timezone.now()
    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(RAW_DUE, {"now": now})
        due = len(cursor.fetchall())
    raw_seconds = time.perf_counter() - start
    escalated = batches = 0
    start = time.perf_counter()
    while True:
        done, more = escalate_unreached(now=now)
        escalated += done
        batches += 1
        if not more:
            break
    sweep_seconds = time.perf_counter() - start
    again, _ = escalate_unreached(now=now)  # a second sweep finds nothing
    doubles = sql(
        "SELECT contact_id FROM escalations_escalation GROUP BY contact_id"
        " HAVING count(*) > 1"
    )
    return {
        "due": due,
        "escalated": escalated,
        "escalations": Escalation.objects.count(),
        "doubles": doubles,
        "second_sweep": again,
        "batches": batches,
        "sweep_seconds": sweep_seconds,
        "raw_seconds": raw_seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the peak (0.1 is quick)"
    )
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("bench/assignment.py needs PostgreSQL: set DATABASE_URL")
    ensure_database(url)
    setup_django(url)
    n = {key: max(1, round(value * args.scale)) for key, value in PEAK.items()}
    print(f"scale {args.scale}: " + ", ".join(f"{k} {v:,}" for k, v in n.items()))

    print("setting up")
    with timed("emptying the bench tables"):
        reset()
    with timed(f"{n['caseworkers']:,} caseworkers and {n['call_handlers']:,} handlers"):
        seed_staff(n)
    with timed(f"{n['cases']:,} cases"):
        seed_cases(n["cases"])
        sql("ANALYZE")

    print("assigning a peak day's cases")
    cases = run_day("case", n["cases"])

    with timed(f"{n['contacts']:,} contacts"):
        finish_held_work("case")
        seed_contacts(
            n["contacts"],
            status_sql="SELECT 'new' AS status, 0 AS attempts",
            created_sql="SELECT %(now)s - interval '24 hours' * ((g::bigint * 7919) %% "
            "%(count)s) / %(count)s AS at",
        )
        sql("ANALYZE")
    print("assigning a peak day's contacts")
    contacts = run_day("contact", n["contacts"])
    finish_held_work("contact")

    with timed(f"{n['sweep_contacts']:,} unreached contacts for the sweep"):
        # Half waiting, half held; about 2% arrived more than 24 hours ago.
        seed_contacts(
            n["sweep_contacts"],
            status_sql="SELECT CASE WHEN g %% 2 = 0 THEN 'new' ELSE 'assigned' END"
            " AS status, CASE WHEN g %% 50 = 0 THEN 2 ELSE 1 END AS attempts",
            created_sql="SELECT CASE WHEN g %% 50 = 0"
            " THEN %(now)s - interval '25 hours' - interval '1 second' * (g %% 3600)"
            " ELSE %(now)s - interval '23 hours' * ((g::bigint * 7919) %% %(count)s)"
            " / %(count)s END AS at",
        )
        sql(
            """
            INSERT INTO calls_callattempt (contact_id, caller_id, phone, started_at,
                duration_seconds, outcome, notes)
            SELECT c.id, %(first_handler)s + c.id %% %(handlers)s, '',
                   c.created_at + interval '4 hours' * k, 30,
                   CASE WHEN k = 0 THEN 'no_answer' ELSE 'voicemail' END, ''
              FROM contacts_contact c
             CROSS JOIN generate_series(0, 1) k
             WHERE c.status IN ('new', 'assigned') AND c.attempts = 2
            """,
            _id_ranges(),
        )
        sql("VACUUM ANALYZE contacts_contact")
        sql("VACUUM ANALYZE calls_callattempt")
    print("sweeping")
    sweep = run_sweep()

    print()
    print("RESULTS (a benchmark: figures, never a pass or fail)")
    for kind, day in (("cases", cases), ("contacts", contacts)):
        rate = day["assigned"] / day["service_seconds"]
        raw_rate = day["raw_rows"] / day["raw_seconds"]
        print(
            f"  assignment of {kind}: {day['assigned']:,} items in"
            f" {day['service_seconds']:.2f}s over {day['runs']} runs /"
            f" {day['rounds']} rounds = {rate:,.0f} items/s;"
            f" one raw SQL selection {raw_rate:,.0f} items/s"
            f" ({day['raw_rows']:,} in {day['raw_seconds']:.2f}s);"
            f" service takes {raw_rate / rate:.1f}x the raw time per item"
        )
    print(
        f"  sweep: {sweep['escalated']:,} of {sweep['due']:,} due contacts escalated"
        f" (out of {n['sweep_contacts']:,}) in {sweep['sweep_seconds']:.2f}s over"
        f" {sweep['batches']} batches; one raw SQL selection of the due rows"
        f" {sweep['raw_seconds']:.2f}s; ratio {sweep['sweep_seconds'] / sweep['raw_seconds']:.1f}x"
    )
    print(
        f"  exactly once: {sweep['escalations']:,} escalations, {sweep['doubles']}"
        f" items escalated twice, a second sweep escalated {sweep['second_sweep']}"
    )


if __name__ == "__main__":
    main()
