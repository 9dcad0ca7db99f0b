"""A scaled-down month at peak for the query plans of every page and operation.

150,000 people, 50,000 cases over a month, 150,000 contacts, 100,000 call attempts,
the escalations of everything the local teams took, 300 national staff on shift now
(most of them at their cap), and the accounts the pages are seen by: a caseworker
and a call handler holding 30 items each, their supervisor, a member of Sheffield's
public health team (the busiest) and an administrator. The shares are
the full month's (bench/scale.py), since a plan follows the share of a table a query
reads: 3% of cases and 1% of contacts waiting, a fifth of the work escalated, the
busiest team's escalations 0.2 to 0.4% of the contacts table. The rows are made in
SQL by generate_series on the server, into the real tables with their indexes and
constraints, in the areas and local teams the migrations loaded: seconds.

Committed, not held in an open transaction: committed rows can be VACUUMed, so the
planner sees the visibility map and statistics of a live database and picks the
plans it would pick there (in an open transaction it favours other indexes:
tests/assignment/test_pool_plans.py says where). The price is the clean-up: before
loading, the fixture notes every table's highest id, and after the module's last
test it removes every row above those marks (remove_rows_above), which leaves the
areas and local teams of the migrations, and every other table as the next test on
this worker expects it. The tests run in the usual rolled-back transaction (`db`),
so nothing they write outlives them: a test in this folder must never commit. A run
killed before its clean-up is found by the next (the lab references say so).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction

from areas.models import Area, LocalTeam
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from figures.weekly import Period
from staffing.models import Tier
from tests import factories as f
from tests.conftest import IN_CI, NOW

# Every case made here has a lab reference starting so: the mark of a load.
MARK = "SCALE"
PEOPLE = 150_001  # see _contacts
CASES = 50_000
CONTACTS = 150_000
CALLS = 100_000
CASEWORKERS = 100
CALL_HANDLERS = 200
WITH_ROOM = 20  # caseworkers and call handlers holding nothing yet
QUEUE = 30  # items held by the caseworker and the call handler the pages are seen by
# One person in HOME_EVERY lives here, the rest evenly over England's areas: its
# team is the busiest, with about 1.5% of the escalations, as the busiest team at
# the full month has (its export, 10,310 rows there, is as large a share of the
# contacts table here: 0.2 to 0.4%).
HOME_AREA = "E08000019"  # Sheffield
HOME_EVERY = 80

# Where person number p lives: an index into the arrays of areas and of their teams.
PLACE = """
    CASE WHEN {p} %% %(home_every)s = 0 THEN %(home)s
         ELSE 1 + {p} %% %(area_count)s END
"""

# Open work (waiting, held) arrived in the last two days, the rest over the month
# before, spread over the minutes by a multiplicative hash of the row number: m
# minutes ago.
OPEN_MINUTES = 2 * 24 * 60
MONTH_MINUTES = 30 * 24 * 60
ARRIVAL = f"""
    SELECT m, %(now)s - interval '1 minute' * m AS at
      FROM (SELECT CASE WHEN {{open}} THEN (g::bigint * 7919) %% {OPEN_MINUTES}
                        ELSE {OPEN_MINUTES} + (g::bigint * 7919)
                             %% {MONTH_MINUTES - OPEN_MINUTES} END AS m) minutes
"""

# The columns cases and contacts share, and their values, from: g (the row number),
# b (g mod 1000: the band deciding the status), s.status, s.held, t.at (arrival),
# pl.area / pl.team (the person's area and its local team), holder (a user id).
WORK_COLUMNS = """status, area_unknown, priority, isolation_ends_on, attempts,
    next_attempt_at, escalate_due_at, created_at, assigned_at, first_attempt_at,
    last_attempt_at, reached_at, reached_route, reached_tier, completed_at,
    escalated_at, closed_at, area_id, assignee_id, local_team_id, person_id"""
WORK_VALUES = """
    s.status, false, CASE WHEN g %% 20 = 0 THEN 1 ELSE 0 END,
    %(today)s::date + 8,
    CASE WHEN s.status = 'assigned' THEN 1 + g %% 2
         WHEN s.status = 'new' THEN 0 ELSE 1 END,
    CASE WHEN s.status = 'new' AND g %% 10 = 0 THEN %(now)s + interval '1 hour'
         WHEN s.status = 'new' THEN t.at
         WHEN s.status = 'assigned' THEN t.at + interval '2 hours' END,
    CASE WHEN s.status IN ('new', 'assigned') THEN
         CASE WHEN g %% 50 = 0 THEN %(now)s - interval '1 minute'
              ELSE t.at + interval '72 hours' END END,
    t.at,
    CASE WHEN s.held THEN t.at + interval '5 minutes' END,
    CASE WHEN s.status <> 'new' THEN t.at + interval '1 hour' END,
    CASE WHEN s.status <> 'new' THEN t.at + interval '1 hour' END,
    r.reached_at,
    CASE WHEN r.reached_at IS NULL THEN ''
         WHEN g %% 10 < 4 THEN 'online' ELSE 'national' END,
    CASE WHEN r.reached_at IS NOT NULL AND g %% 10 >= 4 THEN %(tier)s END,
    CASE WHEN s.status = 'completed' THEN r.reached_at + interval '1 hour' END,
    CASE WHEN s.status IN ('escalated', 'closed')
         THEN least(t.at + interval '72 hours', %(now)s - interval '1 hour') END,
    CASE WHEN s.status = 'closed'
         THEN least(t.at + interval '96 hours', %(now)s) END,
    pl.area,
    CASE WHEN s.held
         THEN (%(holders)s::int[])[
              1 + (g + g / 1000) %% array_length(%(holders)s::int[], 1)]
    END,
    CASE WHEN s.status IN ('escalated', 'closed') THEN pl.team END
"""
REACHED = """
    SELECT CASE WHEN s.status IN ('reached', 'completed')
                THEN least(t.at + interval '1 hour' * (1 + g %% 30), %(now)s)
           END AS reached_at
"""
# Out of every thousand, as at the full month: waiting, 3% of cases and 1% of
# contacts (63,000 of each among 2M and 6M); a few held; with the local teams, open
# or closed, 16% of cases and 20% of contacts (1.9M escalations among 8M); the rest
# done.
CASE_STATUS = """
    SELECT CASE WHEN b < 30 THEN 'new'
                WHEN b < 33 THEN 'reached'
                WHEN b < 37 THEN 'assigned'
                WHEN b < 40 THEN 'reached'
                WHEN b < 100 THEN 'escalated'
                WHEN b < 200 THEN 'closed'
                ELSE 'completed' END AS status,
           b BETWEEN 33 AND 39 AS held,
           b < 40 AS open
"""
OPEN_CASES = CASES // 1000 * 40
CONTACT_STATUS = """
    SELECT CASE WHEN b < 10 THEN 'new'
                WHEN b < 30 THEN 'assigned'
                WHEN b < 90 THEN 'escalated'
                WHEN b < 230 THEN 'closed'
                ELSE 'reached' END AS status,
           b BETWEEN 10 AND 29 AS held,
           b < 30 AS open
"""
# A contact's case: one that arrived two to ten hours before it. Cases are stored
# in order of arrival, the month's closed ones first (evenly over their minutes),
# then the open ones, so the case that arrived c minutes ago is found by arithmetic.
CASE_BEFORE = f"""
    SELECT greatest(0, CASE
           WHEN c < {OPEN_MINUTES}
           THEN {CASES - OPEN_CASES}
                + ({OPEN_MINUTES} - c) * {OPEN_CASES} / {OPEN_MINUTES}
           ELSE ({MONTH_MINUTES} - c) * {CASES - OPEN_CASES}
                / {MONTH_MINUTES - OPEN_MINUTES} END) AS number
      FROM (SELECT t.m + 60 * (2 + g %% 9) AS c) earlier
"""


# The tables made in bulk, and with them those vacuumed and analysed after.
BULK = (
    "people_person",
    "cases_case",
    "contacts_contact",
    "calls_callattempt",
    "escalations_escalation",
)
VACUUMED = (
    *BULK,
    "auth_user",
    "staffing_staffprofile",
    "staffing_shift",
    "staffing_trainingcompletion",
)


@dataclass(frozen=True)
class Peak:
    """Who looks at the peak, and what at."""

    caseworker: Any
    call_handler: Any
    supervisor: Any
    local_member: Any
    admin: Any
    case: Case  # held by the caseworker
    contact: Contact  # held by the call handler
    week: Period  # the last week wholly inside the month


def _one(cursor, sql: str, params: Any = None) -> Any:
    cursor.execute(sql, params)
    return cursor.fetchone()[0]


def _first_id(cursor, table: str, count: int) -> int:
    """The first id of the `count` rows the last statement put in `table` (one
    statement's ids are consecutive: nothing else writes to this database)."""
    return _one(cursor, f"SELECT currval(pg_get_serial_sequence('{table}', 'id'))") - (
        count - 1
    )


def _tables_with_ids(cursor) -> list[str]:
    cursor.execute(
        """
        SELECT c.table_name FROM information_schema.columns c
          JOIN information_schema.tables t USING (table_schema, table_name)
         WHERE c.table_schema = 'public' AND c.column_name = 'id'
           AND t.table_type = 'BASE TABLE'
         ORDER BY 1
        """
    )
    return [row[0] for row in cursor.fetchall()]


def high_water_marks() -> dict[str, int]:
    """Every table's highest id now (0 when empty)."""
    with connection.cursor() as cursor:
        return {
            table: _one(cursor, f'SELECT coalesce(max(id), 0) FROM "{table}"')
            for table in _tables_with_ids(cursor)
        }


def _referencing(cursor) -> dict[str, set[str]]:
    """For each table, the tables with a foreign key to it."""
    cursor.execute(
        "SELECT confrelid::regclass::text, conrelid::regclass::text"
        " FROM pg_constraint WHERE contype = 'f'"
    )
    referencing: dict[str, set[str]] = {}
    for referenced, table in cursor.fetchall():
        referencing.setdefault(referenced.strip('"'), set()).add(table.strip('"'))
    return referencing


def remove_rows_above(marks: dict[str, int]) -> None:
    """Remove every row above its table's mark: exactly what was made since.

    The tables that held nothing at the marks are emptied by one TRUNCATE, with
    every table referring to them (all their rows are new; deleting 600,000 rows
    one by one, each checked against the tables referring to it, takes most of a
    minute). A table that held rows before (the languages a migration writes) keeps
    them: only its new rows are deleted, by id, after the TRUNCATE, when little
    refers to them any more. So does every table referring to it that held rows.
    Tables that did not grow are left alone.
    """
    grown = {
        table for table, top in high_water_marks().items() if top > marks.get(table, 0)
    }
    with transaction.atomic(), connection.cursor() as cursor:
        referencing = _referencing(cursor)
        # The grown tables and every table that may refer to their new rows.
        affected, todo = set(grown), list(grown)
        while todo:
            for table in referencing.get(todo.pop(), set()) - affected:
                affected.add(table)
                todo.append(table)
        # A table without an id (a pseudonymisation, a session) has no mark: it may
        # be emptied only if it holds nothing now (the load writes none of them).
        emptied = {
            table
            for table in affected
            if (
                marks[table] == 0
                if table in marks
                else not _one(cursor, f'SELECT EXISTS (SELECT 1 FROM "{table}")')
            )
        }
        # TRUNCATE takes every table referring to one it empties: a table referred
        # to by one that keeps rows is not emptied, but cleared by id.
        while kept := {
            table for table in emptied if referencing.get(table, set()) - emptied
        }:
            emptied -= kept
        if emptied:
            cursor.execute(
                "TRUNCATE " + ", ".join(f'"{table}"' for table in sorted(emptied))
            )
        for table in sorted(grown - emptied):
            cursor.execute(
                f'DELETE FROM "{table}" WHERE id > %s', [marks.get(table, 0)]
            )


@contextmanager
def _references_checked_once(cursor, tables: tuple[str, ...]) -> Iterator[None]:
    """The foreign keys of `tables` dropped, and made again (same names, same
    definitions) when the block ends, in the caller's transaction: each is then
    checked over its whole table by one join, where checked row by row they took
    most of the load's time."""
    cursor.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
        " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])",
        [list(tables)],
    )
    keys = cursor.fetchall()
    for table, name, _ in keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    yield
    for table, name, definition in keys:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def _staff(cursor, *, tier: int, count: int, team, organisation, now) -> list[int]:
    """`count` trained staff of a tier in `team`, on shift now; their user ids."""
    cursor.execute(
        """
        INSERT INTO auth_user (password, is_superuser, username, first_name,
                               last_name, email, is_staff, is_active, date_joined)
        SELECT '!', false, 'scale.' || %(tier)s || '.' || g, 'Scale',
               'Staff ' || g, '', false, true, %(now)s - interval '90 days'
          FROM generate_series(1, %(count)s) g
        RETURNING id
        """,
        {"tier": tier, "count": count, "now": now},
    )
    users = sorted(row[0] for row in cursor.fetchall())
    clinical = tier == Tier.CLINICAL
    cursor.execute(
        """
        INSERT INTO staffing_staffprofile (
            tier, is_supervisor, registration_body, registration_number,
            registration_verified_on, registration_expires_on, started_on,
            signed_off_at, weekly_hours_cap, organisation_id, team_id, user_id)
        SELECT %(tier)s, false, CASE WHEN %(clinical)s THEN 'NMC' ELSE '' END,
               CASE WHEN %(clinical)s THEN 'SC' || u ELSE '' END,
               CASE WHEN %(clinical)s THEN %(today)s::date - 30 END,
               CASE WHEN %(clinical)s THEN %(today)s::date + 365 END,
               %(today)s::date - 90, %(now)s - interval '60 days', 42,
               %(organisation)s, %(team)s, u
          FROM unnest(%(users)s::int[]) u
        """,
        {
            "tier": tier,
            "clinical": clinical,
            "today": now.date(),
            "now": now,
            "organisation": organisation.pk,
            "team": team.pk,
            "users": users,
        },
    )
    return users


def _on_shift_and_trained(cursor, *, users: list[int], language, now) -> None:
    """A booked shift on now, every required module done, one in ten speaking the
    language, for the profiles of `users`."""
    params = {"users": users, "now": now, "today": now.date(), "language": language.pk}
    cursor.execute(
        """
        INSERT INTO staffing_shift (tier, team_id, staff_id, starts_at, ends_at,
                                    status, booked_at, cancel_reason)
        SELECT tier, team_id, id, %(now)s - interval '2 hours',
               %(now)s + interval '6 hours', 'booked', %(now)s - interval '2 days', ''
          FROM staffing_staffprofile WHERE user_id = ANY(%(users)s)
        """,
        params,
    )
    cursor.execute(
        """
        INSERT INTO staffing_trainingcompletion (profile_id, module_id, completed_on)
        SELECT p.id, m.id, %(today)s::date - 50
          FROM staffing_staffprofile p
          JOIN staffing_trainingmodule m ON m.tier = p.tier AND m.required
         WHERE p.user_id = ANY(%(users)s)
        """,
        params,
    )
    cursor.execute(
        """
        INSERT INTO staffing_staffprofile_languages (staffprofile_id, language_id)
        SELECT id, %(language)s FROM staffing_staffprofile
         WHERE user_id = ANY(%(users)s) AND id %% 10 = 0
        """,
        params,
    )


def _places() -> dict[str, Any]:
    """England's areas (as the migrations loaded them) and their local teams, as
    parallel arrays for PLACE, with the home area's (1-based) index."""
    areas = list(
        Area.objects.filter(code__startswith="E", local_team__isnull=False)
        .order_by("pk")
        .values_list("pk", "local_team_id", "code")
    )
    return {
        "areas": [a[0] for a in areas],
        "teams": [a[1] for a in areas],
        "area_count": len(areas),
        "home": 1 + [a[2] for a in areas].index(HOME_AREA),
        "home_every": HOME_EVERY,
    }


def _people(cursor, params: dict[str, Any]) -> int:
    """PEOPLE people, one in a hundred needing an interpreter; the first id."""
    place = PLACE.format(p="g")
    cursor.execute(
        f"""
        INSERT INTO people_person (first_name, last_name, date_of_birth, nhs_number,
                                   phone, phone_alt, email, address, postcode,
                                   needs_interpreter, language_id, area_id,
                                   created_at, updated_at)
        SELECT 'Scale', 'Person ' || g, date '1940-01-01' + g %% 25000,
               (4000000000 + g)::text, '+447' || lpad(g::text, 9, '0'), '', '', '',
               '', g %% 100 = 0, CASE WHEN g %% 100 = 0 THEN %(language)s END,
               (%(areas)s::bigint[])[{place}], %(now)s - interval '30 days',
               %(now)s - interval '30 days'
          FROM generate_series(0, %(people)s - 1) g
        """,
        params,
    )
    return _first_id(cursor, "people_person", PEOPLE)


def _cases(cursor, params: dict[str, Any]) -> int:
    """CASES cases, person number g for case number g, stored in order of arrival
    as they would be; the first id."""
    place = PLACE.format(p="g")
    cursor.execute(
        f"""
        INSERT INTO cases_case ({WORK_COLUMNS}, lab_reference, specimen_date,
            result_date, symptom_onset, source, complexity, complex_setting,
            safeguarding_flag, safeguarding_note)
        SELECT {WORK_VALUES},
               %(first_person)s + g, '{MARK}' || lpad(g::text, 8, '0'),
               t.at::date - 2, t.at::date - 1, NULL, 'api', 'routine', '', false, ''
          FROM generate_series(0, %(cases)s - 1) g
         CROSS JOIN LATERAL (SELECT g %% 1000 AS b) band
         CROSS JOIN LATERAL ({CASE_STATUS}) s
         CROSS JOIN LATERAL ({ARRIVAL.format(open="s.open")}) t
         CROSS JOIN LATERAL ({REACHED}) r
         CROSS JOIN LATERAL (SELECT (%(areas)s::bigint[])[{place}] AS area,
                                    (%(teams)s::bigint[])[{place}] AS team) pl
         ORDER BY t.at
        """,
        {**params, "holders": params["case_holders"], "tier": Tier.CLINICAL},
    )
    return _first_id(cursor, "cases_case", CASES)


# Contact g's person number: one of those after the cases' people while they last,
# then a case's person, hashed over the cases (g * 7919 mod CASES, one each: 7919 is
# prime to CASES) so that the case's status is not the contact's. (Taken in order,
# a waiting contact was the person of a waiting case, whose case is worked: nearly
# every waiting contact held back from calls, work.queues.called_as_case; hashed, a
# few are, as at a peak.)
CONTACT_PERSON = f"""
    CASE WHEN {CASES} + g < %(people)s THEN {CASES} + g
         ELSE (g::bigint * 7919) %% {CASES} END
"""


def _contacts(cursor, params: dict[str, Any]) -> int:
    """CONTACTS contacts, each of a case that arrived just before it (three a case
    on average); no two contacts are one person, and a third of them were cases
    themselves (CONTACT_PERSON). The first id."""
    place = PLACE.format(p=f"({CONTACT_PERSON})")
    cursor.execute(
        f"""
        INSERT INTO contacts_contact ({WORK_COLUMNS}, exposure_date, exposure,
                                      case_id, identified_by_id)
        SELECT {WORK_VALUES},
               %(first_person)s + {CONTACT_PERSON},
               t.at::date - 1, 'household', %(first_case)s + c.number, NULL
          FROM generate_series(0, %(contacts)s - 1) g
         CROSS JOIN LATERAL (SELECT g %% 1000 AS b) band
         CROSS JOIN LATERAL ({CONTACT_STATUS}) s
         CROSS JOIN LATERAL ({ARRIVAL.format(open="s.open")}) t
         CROSS JOIN LATERAL ({CASE_BEFORE}) c
         CROSS JOIN LATERAL ({REACHED}) r
         CROSS JOIN LATERAL (SELECT (%(areas)s::bigint[])[{place}] AS area,
                                    (%(teams)s::bigint[])[{place}] AS team) pl
         ORDER BY t.at
        """,
        {**params, "holders": params["contact_holders"], "tier": Tier.CALL_HANDLER},
    )
    return _first_id(cursor, "contacts_contact", CONTACTS)


def _calls(cursor, params: dict[str, Any]) -> None:
    """CALLS call attempts: one to each case, one to every third contact, made half
    an hour after arrival; the reaching call of work reached by phone."""
    for table, column, step, callers in (
        ("cases_case", "case_id", 1, params["case_callers"]),
        ("contacts_contact", "contact_id", 3, params["contact_callers"]),
    ):
        other = "contact_id" if column == "case_id" else "case_id"
        first = params["first_case" if column == "case_id" else "first_contact"]
        cursor.execute(
            f"""
            INSERT INTO calls_callattempt (phone, started_at, duration_seconds,
                                           outcome, call_back_at, notes, caller_id,
                                           {column}, {other})
            SELECT '+447700900' || lpad((g %% 1000)::text, 3, '0'),
                   least(i.created_at + interval '30 minutes', %(now)s),
                   60 + g %% 600,
                   CASE WHEN i.reached_route = 'national' THEN 'reached'
                        ELSE 'no_answer' END,
                   NULL, '',
                   (%(callers)s::int[])[1 + g %% array_length(%(callers)s::int[], 1)],
                   i.id, NULL
              FROM generate_series(0, %(count)s - 1) g
              JOIN {table} i ON i.id = %(first)s + g * %(step)s
            """,
            {
                "now": params["now"],
                "callers": callers,
                "count": CALLS // 2,
                "first": first,
                "step": step,
            },
        )


def _escalations(cursor, params: dict[str, Any]) -> None:
    """The Escalation of every item the local teams took: open (a third of them
    picked up by the team's member) or closed."""
    for table, column, first in (
        ("cases_case", "case_id", params["first_case"]),
        ("contacts_contact", "contact_id", params["first_contact"]),
    ):
        cursor.execute(
            f"""
            INSERT INTO escalations_escalation (
                {column}, local_team_id, reason, detail, area_unknown, status,
                created_at, created_by_id, due_at, picked_up_at, picked_up_by_id,
                closed_at, outcome, outcome_note)
            SELECT id, local_team_id, 'unreached', '', false,
                   CASE WHEN closed_at IS NOT NULL THEN 'closed'
                        WHEN id %% 3 = 0 THEN 'picked_up' ELSE 'new' END,
                   escalated_at, NULL, escalated_at + interval '24 hours',
                   CASE WHEN closed_at IS NULL AND id %% 3 = 0
                        THEN escalated_at + interval '1 hour' END,
                   CASE WHEN closed_at IS NULL AND id %% 3 = 0 THEN %(member)s END,
                   closed_at,
                   CASE WHEN closed_at IS NULL THEN '' ELSE 'reached' END, ''
              FROM {table}
             WHERE id >= %(first)s AND escalated_at IS NOT NULL
            """,
            {"first": first, "member": params["member"]},
        )


def _give_queue(cursor, model: type[Case] | type[Contact], user, now) -> None:
    """The newest QUEUE waiting items of a kind, to `user` (straight to the table:
    a fixture, not a door)."""
    table = model._meta.db_table
    cursor.execute(
        f"""
        UPDATE {table}
           SET status = %(assigned)s, assignee_id = %(user)s,
               assigned_at = %(now)s - interval '1 hour',
               next_attempt_at = %(now)s - interval '10 minutes'
         WHERE id IN (SELECT id FROM {table} WHERE status = %(new)s
                       ORDER BY created_at DESC LIMIT %(queue)s)
        """,
        {
            "assigned": Status.ASSIGNED,
            "new": Status.NEW,
            "user": user.pk,
            "now": now,
            "queue": QUEUE,
        },
    )


def load_peak(now: dt.datetime) -> Peak:
    """The month at peak, as the module docstring says, in one transaction; then
    vacuumed and analysed."""
    with transaction.atomic():
        peak = _load(now)
    with connection.cursor() as cursor:
        # Statistics from every row, not a sample: the same plans on every run.
        cursor.execute("SET default_statistics_target = 1000")
        try:
            for table in VACUUMED:
                cursor.execute(f"VACUUM ANALYZE {table}")
        finally:
            cursor.execute("RESET default_statistics_target")
    return peak


def _load(now: dt.datetime) -> Peak:
    organisation = f.OrganisationFactory(name="Scale Call Centres")
    tier2 = f.TeamFactory(name="Scale Clinical", tier=Tier.CLINICAL)
    tier3 = f.TeamFactory(name="Scale Contacts", tier=Tier.CALL_HANDLER)
    f.TrainingModuleFactory(name="Scale clinical induction", tier=Tier.CLINICAL)
    f.TrainingModuleFactory(name="Scale call handling", tier=Tier.CALL_HANDLER)
    language = f.LanguageFactory()
    in_team = {"organisation": organisation, "user__date_joined": now}
    caseworker = f.StaffProfileFactory(
        clinical=True, team=tier2, user__username="scale.caseworker", **in_team
    ).user
    call_handler = f.StaffProfileFactory(
        team=tier3, user__username="scale.call_handler", **in_team
    ).user
    supervisor = f.StaffProfileFactory(
        clinical=True,
        is_supervisor=True,
        team=tier2,
        user__username="scale.supervisor",
        **in_team,
    ).user
    home_team = LocalTeam.objects.get(areas__code=HOME_AREA)
    local_member = f.StaffProfileFactory(
        local=True, local_team=home_team, user__username="scale.local"
    ).user
    admin = f.UserFactory(username="scale.admin", is_superuser=True, is_staff=True)
    with connection.cursor() as cursor:
        case_staff = _staff(
            cursor,
            tier=Tier.CLINICAL,
            count=CASEWORKERS,
            team=tier2,
            organisation=organisation,
            now=now,
        )
        contact_staff = _staff(
            cursor,
            tier=Tier.CALL_HANDLER,
            count=CALL_HANDLERS,
            team=tier3,
            organisation=organisation,
            now=now,
        )
        _on_shift_and_trained(
            cursor,
            users=[*case_staff, *contact_staff, caseworker.pk, call_handler.pk],
            language=language,
            now=now,
        )
        params: dict[str, Any] = {
            **_places(),
            "now": now,
            "today": now.date(),
            "language": language.pk,
            "people": PEOPLE,
            "cases": CASES,
            "contacts": CONTACTS,
            # Most staff are full; those with room take about as large a share of
            # the tables in a run as at the full month (10,000 items among 8M).
            "case_holders": case_staff[:-WITH_ROOM],
            "contact_holders": contact_staff[:-WITH_ROOM],
            "case_callers": case_staff,
            "contact_callers": contact_staff,
            "member": local_member.pk,
        }
        with _references_checked_once(cursor, BULK):
            params["first_person"] = _people(cursor, params)
            params["first_case"] = _cases(cursor, params)
            params["first_contact"] = _contacts(cursor, params)
            _calls(cursor, params)
            _escalations(cursor, params)
        _give_queue(cursor, Case, caseworker, now)
        _give_queue(cursor, Contact, call_handler, now)
    return Peak(
        caseworker=caseworker,
        call_handler=call_handler,
        supervisor=supervisor,
        local_member=local_member,
        admin=admin,
        case=Case.objects.filter(assignee=caseworker).order_by("pk").first(),
        contact=Contact.objects.filter(assignee=call_handler).order_by("pk").first(),
        week=Period.last_complete(today=now.date()),
    )


@pytest.fixture(scope="module")
def peak(django_db_setup, django_db_blocker) -> Iterator[Peak]:
    """The scaled-down peak, committed for the module's tests and removed after
    them (see the module docstring)."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            if IN_CI:
                pytest.fail("CI must run against PostgreSQL (set DATABASE_URL).")
            pytest.skip("query plans need PostgreSQL: set DATABASE_URL")
        if Case.objects.filter(lab_reference__startswith=MARK).exists():
            pytest.fail(
                "The test database still holds a peak from a run that was killed "
                "before its clean-up: run once with --create-db."
            )
        marks = high_water_marks()
        try:
            with time_machine.travel(NOW, tick=False):
                # Outside the tests' transactions: committed, then vacuumed.
                loaded = load_peak(NOW)
            yield loaded
        finally:
            remove_rows_above(marks)
