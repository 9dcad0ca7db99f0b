"""Benchmark: a peak day's assignment, and the escalation sweep over a million contacts.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracing_bench \\
        .venv/bin/python bench/assignment.py [--scale 0.1]

Builds its own data in a dedicated PostgreSQL database (created if missing, emptied
at the start of each run) with set-based INSERT ... SELECT statements, then:

1. Assignment of a peak day: 60,000 cases over 3,000 tier 2 caseworkers on shift,
   then 200,000 contacts over 18,000 tier 3 call handlers. Nobody may hold more than
   their cap, so the day runs in rounds: assign until nothing more fits, then the
   staff finish what they hold (untimed), and again, until the pool is empty.
   Beside it, each round, a raw claim loop with the same rules (RAW_CLAIM: one
   statement a batch of the service's size locks the staff, claims the items with
   SKIP LOCKED, gives each its person, least loaded first, most urgent and oldest
   work first, and writes the audit rows) writes the same moves, each batch
   committed as the service commits each run, then undone (each side then starts
   from the table vacuumed: the undone writes leave dead rows the other would wade
   through); the figures are items per second, and the ratio. Each round is run
   --repeats times by both, the service's moves undone but for its last, and the
   figures are those of the median day (the ratio of each day is printed too).
2. The sweep over 1,000,000 unreached contacts of which about 2% are due, timed to
   the end (every due contact escalated, exactly once): the app (one statement a
   batch on PostgreSQL), the app row by row (its SQLite path, and what it ran
   everywhere before), and beside them the full SQL, one hand-written statement a
   batch writing the same rows (the digests of what each wrote are compared). Each
   runs --repeats times in a rotating order, from the same rows (rolled back and
   vacuumed between runs); the ratio is to the full SQL of the same round.
   --sweep-only skips the day's assignment (1 and the staff's rounds).

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
sys.path.insert(0, str(ROOT))

from bench.summary import add_summary_option, record, summary_row  # noqa: E402

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tracing_bench"

PEAK = {
    "caseworkers": 3_000,
    "call_handlers": 18_000,
    "cases": 60_000,
    "contacts": 200_000,
    "sweep_contacts": 1_000_000,
}
DUE_SHARE = 0.02
TABLE_FOR = {"case": "cases_case", "contact": "contacts_contact"}
OBJECT_TYPE_FOR = {"case": "cases.case", "contact": "contacts.contact"}  # audit rows'
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

# The yardstick: a raw claim loop with the same rules, one statement a batch of at most
# the service's limit, writing what the service writes. It locks the tier's staff
# (FOR NO KEY UPDATE, as the service does), counts what each holds, lays out their
# room (cap less load, least loaded first), claims the batch's items (FOR UPDATE SKIP
# LOCKED, most urgent and oldest first), gives each its person, and writes an audit
# row for each item moved. It counts the loads in the locking statement (the service
# counts them after the lock, in a statement of its own, which is what is safe) and
# leaves out the interpreter rule and the rule for work a supervisor took from
# someone (the bench's pool has neither): both favour the yardstick. No new work in
# the last NEW_WORK_MARGIN of a spell of shifts, as the service (a shift carried on
# by the next one it touches counts as running on).
# MATERIALIZED: each part is computed once, whatever the planner guesses.
RAW_CLAIM = """
WITH locked AS MATERIALIZED (
    SELECT p.id FROM staffing_staffprofile p
     WHERE p.tier = %(tier)s
     ORDER BY p.id
       FOR NO KEY UPDATE SKIP LOCKED
), held AS MATERIALIZED (
    SELECT assignee_id, count(*) AS n FROM {table}
     WHERE assignee_id IS NOT NULL AND status IN %(held)s
     GROUP BY assignee_id
), staff AS MATERIALIZED (
    SELECT p.user_id,
           COALESCE(held.n, 0) AS load,
           CASE WHEN p.signed_off_at IS NULL THEN %(cap_new)s ELSE %(cap)s END
               - COALESCE(held.n, 0) AS room
      FROM staffing_staffprofile p
      JOIN locked ON locked.id = p.id
      JOIN auth_user u ON u.id = p.user_id AND u.is_active
      LEFT JOIN held ON held.assignee_id = p.user_id
     WHERE EXISTS (SELECT 1 FROM staffing_shift s
                    WHERE s.staff_id = p.id AND s.status = 'booked'
                      AND s.starts_at <= %(now)s AND s.ends_at > %(now)s
                      AND (s.ends_at > %(now)s + %(margin)s
                           OR EXISTS (SELECT 1 FROM staffing_shift n
                                       WHERE n.staff_id = s.staff_id
                                         AND n.status = 'booked'
                                         AND n.starts_at <= s.ends_at
                                         AND n.ends_at > %(now)s + %(margin)s)))
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
), claimed AS MATERIALIZED (
    SELECT id, priority, created_at FROM {table}
     WHERE {pool}
       AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
     ORDER BY priority DESC, created_at, id
     LIMIT %(limit)s
       FOR UPDATE SKIP LOCKED
), items AS MATERIALIZED (
    SELECT id, row_number() OVER (ORDER BY priority DESC, created_at, id) AS rn
      FROM claimed
), moved AS (
    UPDATE {table} AS item
       SET assignee_id = slots.user_id, assigned_at = %(now)s,
           status = CASE WHEN item.status = 'new' THEN 'assigned' ELSE item.status END
      FROM items JOIN slots USING (rn)
     WHERE item.id = items.id
 RETURNING item.id, item.person_id, item.assignee_id
)
INSERT INTO audit_auditevent (at, user_id, action, person_id, object_type, object_id,
                              detail)
SELECT %(now)s, NULL, 'assign', person_id, %(object_type)s, id::text,
       jsonb_build_object('from', NULL, 'to', assignee_id)
  FROM moved
"""

# The sweep's floor: one batch of due contacts escalated by one statement written by
# hand, writing the rows the sweep writes (the item, its escalation with the reason
# and the call history worded as the sweep words them, its audit row).
RAW_SWEEP_BATCH = r"""
WITH claimed AS MATERIALIZED (
    SELECT c.id, c.person_id, c.attempts, c.escalate_due_at, a.local_team_id, t.code
      FROM contacts_contact c
      LEFT JOIN areas_area a ON a.id = c.area_id
      LEFT JOIN areas_localteam t ON t.id = a.local_team_id
     WHERE c.status IN ('new', 'assigned') AND c.escalate_due_at <= %(now)s
     ORDER BY c.escalate_due_at, c.id
     LIMIT %(batch)s
       FOR UPDATE OF c SKIP LOCKED
), routed AS MATERIALIZED (
    SELECT claimed.id, claimed.person_id, claimed.attempts, claimed.escalate_due_at,
           claimed.local_team_id IS NULL AS area_unknown,
           COALESCE(claimed.local_team_id, f.id) AS team_id,
           COALESCE(claimed.code, f.code) AS team_code
      FROM claimed LEFT JOIN areas_localteam f
        ON claimed.local_team_id IS NULL AND f.is_fallback
), updated AS (
    UPDATE contacts_contact c
       SET status = 'escalated', local_team_id = r.team_id, assignee_id = NULL,
           escalated_at = %(now)s, next_attempt_at = NULL, escalate_due_at = NULL
      FROM routed r
     WHERE c.id = r.id
), history AS MATERIALIZED (
    SELECT a.contact_id,
           string_agg(to_char(a.started_at AT TIME ZONE 'Europe/London',
                              'Dy DD Mon HH24:MI') || ': ' ||
                      CASE a.outcome WHEN 'no_answer' THEN 'No answer'
                                     WHEN 'voicemail' THEN 'Voicemail left'
                                     WHEN 'wrong_number' THEN 'Wrong number'
                                     WHEN 'refused' THEN 'Refused to take part'
                                     ELSE a.outcome END,
                      E'\n' ORDER BY a.started_at, a.id) AS lines,
           (array_agg(a.outcome ORDER BY a.started_at DESC, a.id DESC))[1] AS last
      FROM calls_callattempt a
     WHERE a.contact_id IN (SELECT id FROM claimed)
     GROUP BY a.contact_id
), worded AS MATERIALIZED (
    SELECT r.*,
           CASE h.last WHEN 'wrong_number' THEN 'wrong_number'
                       WHEN 'refused' THEN 'refused' ELSE 'unreached' END AS reason,
           CASE WHEN h.lines IS NULL THEN
                    E'Not reached within 24 hours: never called.\nNo calls were made.'
                WHEN r.attempts >= 3 THEN
                    'Not reached after ' || r.attempts || ' call attempts.'
                    || E'\nCall history:\n' || h.lines
                ELSE 'Not reached within 24 hours (' || r.attempts || ' call attempt'
                     || CASE WHEN r.attempts = 1 THEN '' ELSE 's' END || ').'
                     || E'\nCall history:\n' || h.lines
           END AS detail
      FROM routed r LEFT JOIN history h ON h.contact_id = r.id
), escalated AS (
    INSERT INTO escalations_escalation (contact_id, local_team_id, reason, detail,
        area_unknown, status, created_at, due_at, outcome, outcome_note)
    SELECT id, team_id, reason, detail, area_unknown, 'new', %(now)s,
           %(now)s + interval '24 hours', '', ''
      FROM worded ORDER BY escalate_due_at, id
)
INSERT INTO audit_auditevent (at, action, person_id, object_type, object_id, detail)
SELECT %(now)s, 'escalate', person_id, 'contacts.contact', id::text,
       jsonb_build_object('team', team_code, 'reason', reason)
  FROM worded ORDER BY worded.escalate_due_at, worded.id
"""

# What a sweep wrote, as one digest per table (the same rows give the same digests,
# whichever ids they were given).
WRITTEN = """
SELECT (SELECT md5(string_agg(concat_ws('|', id, status, local_team_id, assignee_id,
                                        escalated_at, escalate_due_at), '/' ORDER BY id))
          FROM contacts_contact WHERE status = 'escalated'),
       (SELECT md5(string_agg(concat_ws('|', contact_id, local_team_id, reason, detail,
                                        area_unknown, status, created_at, due_at),
                              '/' ORDER BY id))
          FROM escalations_escalation),
       (SELECT md5(string_agg(concat_ws('|', at, user_id, action, person_id,
                                        object_type, object_id, detail::text),
                              '/' ORDER BY id))
          FROM audit_auditevent WHERE action = 'escalate'),
       (SELECT count(*) FROM escalations_escalation)
"""


def raw_assignment(kind: str, now) -> tuple[int, float]:
    """The raw claim loop (RAW_CLAIM) until a batch moves nothing, timed, each batch
    committed as the service commits each run (a batch's locks are held until its
    commit, and the moves are only made when it is durable: a loop that never
    commits skips the WAL flush of each batch's writes, some 7 ms a batch of 500);
    then undone (untimed), so the service then finds the same pool. The pool's items
    are all new and unassigned (the bench's), so the undo puts back exactly what
    was. Returns (items moved, seconds)."""
    from django.conf import settings
    from django.db import connection

    from staffing.selectors.members import NEW_WORK_MARGIN
    from work.assignment import DEFAULT_LIMIT

    caps = settings.TRACING_OPEN_WORK_CAP
    tier_key = "tier2" if kind == "case" else "tier3"
    statement = RAW_CLAIM.format(
        table=TABLE_FOR[kind],
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
        "margin": NEW_WORK_MARGIN,
        "limit": DEFAULT_LIMIT,
        "object_type": OBJECT_TYPE_FOR[kind],
    }
    table = TABLE_FOR[kind]
    if sql(f"SELECT 1 FROM {table} WHERE assigned_at = %s LIMIT 1", [now]):
        raise RuntimeError(
            "items already assigned at this time: the undo would move them"
        )
    moved = 0
    # Autocommit: each statement its own transaction, committed.
    start = time.perf_counter()
    with connection.cursor() as cursor:
        while True:
            cursor.execute(statement, params)
            if cursor.rowcount <= 0:
                break
            moved += cursor.rowcount
    seconds = time.perf_counter() - start
    undo_assignment(kind, now)
    return moved, seconds


def undo_assignment(kind: str, now) -> int:
    """The moves made at `now` undone (untimed): the items back in the pool as they
    were, their audit rows gone. The pool's items are all new and unassigned (the
    bench's), so this puts back exactly what was. Returns the items put back."""
    from django.db import transaction

    table = TABLE_FOR[kind]
    back = sql(
        f"""
        UPDATE {table}
           SET status = CASE WHEN status = 'assigned' THEN 'new' ELSE status END,
               assignee_id = NULL, assigned_at = NULL
         WHERE assigned_at = %s
        """,
        [now],
    )
    with transaction.atomic():
        # The audit trail is append-only but for the retention job's purge
        # (audit/migrations/0005_append_only.py): these rows are the bench's own.
        sql("SET LOCAL tracing.audit_purge = 'on'")
        sql(
            "DELETE FROM audit_auditevent WHERE action = 'assign' AND at = %s"
            " AND object_type = %s",
            [now, OBJECT_TYPE_FOR[kind]],
        )
    return back


# --- the runs ---------------------------------------------------------------------------


def vacuum(kind: str) -> None:
    """The work's table and the audit table vacuumed and analysed (untimed)."""
    sql(f"VACUUM ANALYZE {TABLE_FOR[kind]}")
    sql("VACUUM ANALYZE audit_auditevent")


def finish_held_work(kind: str) -> None:
    """The staff work what they hold (untimed): it leaves their queue."""
    table = TABLE_FOR[kind]
    sql(
        f"""
        UPDATE {table} SET status = 'completed', reached_at = now(),
               reached_route = 'national', completed_at = now(),
               next_attempt_at = NULL, escalate_due_at = NULL
         WHERE status = 'assigned'
        """
    )


def run_day(kind: str, total: int, repeats: int) -> dict:
    """The day's rounds. In each, the claim loop and the service each move the same
    pool `repeats` times (each start from the table vacuumed; every move but the
    service's last undone), so each repeat is a whole day of both; a day's ratio is
    its claim loop's rate to its service's, and the figures are the median day's."""
    from django.utils import timezone

    from work.assignment import assign_work

    assigned = runs = rounds = 0
    service = [0.0] * repeats
    raw = [0.0] * repeats
    raw_rows = [0] * repeats
    service_rows = [0] * repeats
    while True:
        before = assigned
        for repeat in range(repeats):
            now = timezone.now()
            vacuum(kind)
            rows, seconds = raw_assignment(kind, now)
            raw_rows[repeat] += rows
            raw[repeat] += seconds
            # The claim loop's writes, undone, left dead versions of each row it
            # moved (and their index entries): gone before the service runs, so that
            # each starts from the same clean table, as the sweep's runs do.
            vacuum(kind)
            moved = 0
            while True:
                start = time.perf_counter()
                report = assign_work(now=now)
                service[repeat] += time.perf_counter() - start
                runs += 1
                moved += report.assigned[kind]
                if not report.more:
                    break
            service_rows[repeat] += moved
            if repeat < repeats - 1 and undo_assignment(kind, now) != moved:
                raise RuntimeError("the service's moves were not all undone")
        assigned += moved
        rounds += 1
        print(
            f"    round {rounds}: {assigned - before:,} {kind}s assigned"
            f" ({assigned:,} of {total:,}; each of {repeats} times)",
            flush=True,
        )
        if assigned == before or assigned >= total:
            break
        finish_held_work(kind)
    ratios = [
        (rows / raw_seconds) / (moved / seconds)
        for rows, raw_seconds, moved, seconds in zip(
            raw_rows, raw, service_rows, service, strict=True
        )
    ]
    middle = sorted(range(repeats), key=lambda repeat: ratios[repeat])[repeats // 2]
    return {
        "assigned": service_rows[middle],
        "runs": runs // repeats,
        "rounds": rounds,
        "service_seconds": service[middle],
        "raw_rows": raw_rows[middle],
        "raw_seconds": raw[middle],
        "ratios": ratios,
        "ratio": ratios[middle],
    }


def _sweep_in_sql(now) -> int:
    """The yardstick: RAW_SWEEP_BATCH until a batch comes back short."""
    from django.db import connection

    from work.escalation import SWEEP_BATCH

    escalated = 0
    with connection.cursor() as cursor:
        while True:
            cursor.execute(RAW_SWEEP_BATCH, {"now": now, "batch": SWEEP_BATCH})
            escalated += cursor.rowcount
            if cursor.rowcount < SWEEP_BATCH:
                return escalated


def _sweep_by_the_app(now, *, row_by_row: bool = False) -> int:
    """escalate_unreached until no full batch was found; row by row: the batch the
    sweep writes where it cannot write one statement (SQLite), and wrote everywhere
    before escalation_sql."""
    from unittest import mock

    from work import escalation

    escalated = 0
    with mock.patch.object(
        escalation, "_batch_in_one_statement", return_value=not row_by_row
    ):
        while True:
            done, more = escalation.escalate_unreached(now=now)
            escalated += done
            if not more:
                return escalated


def _timed_and_undone(run, now) -> dict:
    """Time `run` from the same starting rows every time: inside a transaction
    rolled back after (each batch a savepoint), the dead rows it leaves vacuumed
    away before the next run. Also read what it wrote, and sweep again (nothing)."""
    from django.db import connection, transaction

    from work.escalation import escalate_unreached

    with transaction.atomic():
        start = time.perf_counter()
        escalated = run(now)
        seconds = time.perf_counter() - start
        with connection.cursor() as cursor:
            cursor.execute(WRITTEN)
            *digests, escalations = cursor.fetchone()
        doubles = sql(
            "SELECT contact_id FROM escalations_escalation"
            " WHERE contact_id IS NOT NULL GROUP BY contact_id HAVING count(*) > 1"
        )
        again, _ = escalate_unreached(now=now)  # a second sweep finds nothing
        transaction.set_rollback(True)
    sql("VACUUM ANALYZE contacts_contact")
    sql("VACUUM ANALYZE escalations_escalation")
    sql("VACUUM ANALYZE audit_auditevent")
    return {
        "escalated": escalated,
        "seconds": seconds,
        "digests": digests,
        "escalations": escalations,
        "doubles": doubles,
        "second_sweep": again,
    }


SWEEPS = {
    "the app (one statement a batch)": lambda now: _sweep_by_the_app(now),
    "the app, row by row": lambda now: _sweep_by_the_app(now, row_by_row=True),
    "the full SQL": _sweep_in_sql,
}


def run_sweep(repeats: int) -> dict:
    """Each way of sweeping `repeats` times, in a rotating order, on the same rows."""
    from django.db import connection
    from django.utils import timezone

    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM contacts_contact"
            " WHERE status IN ('new', 'assigned') AND escalate_due_at <= %s",
            [now],
        )
        (due,) = cursor.fetchone()
    runs: dict[str, list[dict]] = {name: [] for name in SWEEPS}
    names = list(SWEEPS)
    for repeat in range(repeats):
        for name in names[repeat % len(names) :] + names[: repeat % len(names)]:
            result = _timed_and_undone(SWEEPS[name], now)
            runs[name].append(result)
            print(
                f"    {name}: {result['escalated']:,} in {result['seconds']:.2f}s",
                flush=True,
            )
    return {"due": due, "runs": runs}


def print_sweep(sweep: dict, n: dict[str, int]) -> None:
    from statistics import median

    runs = sweep["runs"]
    floor = [r["seconds"] for r in runs["the full SQL"]]
    print(
        f"  sweep: {sweep['due']:,} due contacts out of {n['sweep_contacts']:,},"
        f" {len(floor)} runs each (median; ratio to the full SQL of the same round)"
    )
    for name, results in runs.items():
        seconds = [r["seconds"] for r in results]
        ratios = [mine / raw for mine, raw in zip(seconds, floor, strict=True)]
        same = all(r["digests"] == runs["the full SQL"][0]["digests"] for r in results)
        print(
            f"    {name}: {results[0]['escalated']:,} escalated in"
            f" {median(seconds):.2f}s; ratio {median(ratios):.2f}x"
            f" (each: {', '.join(f'{r:.2f}' for r in ratios)});"
            f" rows as the full SQL's: {'yes' if same else 'NO'};"
            f" exactly once: {results[0]['doubles']} doubles, a second sweep"
            f" escalated {results[0]['second_sweep']}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the peak (0.1 is quick)"
    )
    parser.add_argument(
        "--sweep-only",
        action="store_true",
        help="skip the day's assignment (its contacts are still made, then finished)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="runs of each round of assignment and of each sweep (the median shown)",
    )
    add_summary_option(parser)
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

    days = {}
    if not args.sweep_only:
        print("assigning a peak day's cases")
        days["cases"] = run_day("case", n["cases"], args.repeats)

    with timed(f"{n['contacts']:,} contacts"):
        finish_held_work("case")
        seed_contacts(
            n["contacts"],
            status_sql="SELECT 'new' AS status, 0 AS attempts",
            created_sql="SELECT %(now)s - interval '24 hours' * ((g::bigint * 7919) %% "
            "%(count)s) / %(count)s AS at",
        )
        sql("ANALYZE")
    if not args.sweep_only:
        print("assigning a peak day's contacts")
        days["contacts"] = run_day("contact", n["contacts"], args.repeats)
    else:  # the day's cases and contacts done with, as the day would leave them
        for table in ("cases_case", "contacts_contact"):
            sql(
                f"""
                UPDATE {table} SET status = 'completed', reached_at = now(),
                       reached_route = 'national', completed_at = now(),
                       next_attempt_at = NULL, escalate_due_at = NULL
                 WHERE status = 'new'
                """
            )
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
    sweep = run_sweep(args.repeats)

    print()
    print("RESULTS (a benchmark: figures, never a pass or fail)")
    for kind, day in days.items():
        rate = day["assigned"] / day["service_seconds"]
        raw_rate = day["raw_rows"] / day["raw_seconds"]
        print(
            f"  assignment of {kind}: {day['assigned']:,} items in"
            f" {day['service_seconds']:.2f}s over {day['runs']} runs /"
            f" {day['rounds']} rounds = {rate:,.0f} items/s;"
            f" the raw claim loop {raw_rate:,.0f} items/s"
            f" ({day['raw_rows']:,} in {day['raw_seconds']:.2f}s, committed, undone);"
            f" the service takes {day['ratio']:.2f}x the claim loop's time per item"
            f" (the median day; each: {', '.join(f'{r:.2f}' for r in day['ratios'])})"
        )
    print_sweep(sweep, n)
    record(args.summary, summary_rows(days, sweep, n))


def summary_rows(days: dict, sweep: dict, n: dict[str, int]) -> list[dict]:
    """The figures printed above, for bench/summary.py's one table: each day's
    assignment beside the raw claim loop, and the app's sweep beside the full SQL."""
    from statistics import median

    staff = {"cases": "caseworkers", "contacts": "call_handlers"}
    rows = []
    for kind, day in days.items():
        rate = day["assigned"] / day["service_seconds"]
        raw_rate = day["raw_rows"] / day["raw_seconds"]
        rows.append(
            summary_row(
                work=f"assignment of a peak day's {kind}",
                size=f"{day['assigned']:,} {kind} over"
                f" {n[staff[kind]]:,} {staff[kind].replace('_', ' ')}",
                app=f"{rate:,.0f} items/s",
                yardstick="the raw claim loop, the same rules (committed, undone)",
                yardstick_figure=f"{raw_rate:,.0f} items/s",
                ratio=day["ratio"],
                target=1.1,
            )
        )
    app = [r["seconds"] for r in sweep["runs"]["the app (one statement a batch)"]]
    floor = [r["seconds"] for r in sweep["runs"]["the full SQL"]]
    rows.append(
        summary_row(
            work="escalation sweep (the app, one statement a batch)",
            size=f"{sweep['due']:,} due among {n['sweep_contacts']:,} contacts",
            app=f"{median(app):.2f} s",
            yardstick="the full SQL, one statement a batch",
            yardstick_figure=f"{median(floor):.2f} s",
            ratio=median([mine / raw for mine, raw in zip(app, floor, strict=True)]),
            target=1.2,
        )
    )
    return rows


if __name__ == "__main__":
    main()
