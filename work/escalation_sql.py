"""The escalation sweep's batch on PostgreSQL: one statement per kind of item.

escalation.escalate_unreached escalates a batch of due items; on PostgreSQL it does
so here, in one data-modifying statement with no Python per row: claim the due rows
(the sweep's own SELECT ... FOR UPDATE SKIP LOCKED, due_for_sweep, which never
takes a contact whose isolation is over: the sweep has closed those already, in the
same transaction, escalation.contacts_close_isolation_over), mark them
escalated to their team (the fallback team, flagged, for an item with none), and
write their Escalation rows and audit rows by INSERT ... SELECT. Each escalation's
reason and detail are worded in SQL from the item's call history (and, for someone
escalated with no attempt made, whether their record has a number to call: none, or
only numbers a call logged "Wrong number" on, as work.rules.has_number_to_call
reads it, and which of the two, as work.rules.no_number_escalated words it), exactly
as escalation._reason_for and escalation._unreached_detail word them for the single
escalation and the SQLite sweep (tests/escalation_sweep pins the two together): a
last call that gave the reason (a refusal, a wrong number) told as that, when, with
the note made on it (escalation.WORDED_FOR_LAST_OUTCOME, NOTE_OF_LAST_CALL). Only
the calls of the item's current round say why: those since its local team last
sent it back (its last escalation closed "returned": escalation.SENT_BACK), which
the history shows between the rounds' calls.

One statement is one snapshot and all or nothing: a batch killed midway leaves no
trace, and a row another sweep holds is skipped, never waited for.

The escalations of contacts whose isolation is over, picked up by nobody, are closed
here too, before the batch escalates (close_isolation_over_batch, for
escalation.escalations_close_isolation_over): one statement that claims them with
their contacts (SKIP LOCKED), closes both and writes their audit rows.

The items' areas are the exception: they are locked FOR SHARE (in id order) and
each item goes to the team its area's locked row names, not the snapshot's. An admin
moving an area (work.areas.area_save, FOR UPDATE on the area) and a batch with one
of its items thus go one after the other: a batch that comes second waits for the
move to commit and reads the new team; a move that comes second waits for the batch
to commit and takes its escalations along. Either way they end with the new team.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from areas.models import Area, LocalTeam
from audit.models import AuditEvent
from calls.models import CallAttempt, Outcome
from cases.errors import IllegalTransition
from cases.models import Case
from cases.workitem import UNREACHED, Status
from contacts.models import Contact
from escalations.models import Escalation
from people.models import Person

from .rules import (
    NO_NUMBER_ESCALATED,
    NO_NUMBER_REASON,
    NUMBERS_ANSWERED_ESCALATED,
    CallRule,
)

# A call's time as the detail shows it: strftime's "%a %d %b %H:%M" in to_char's
# words (English names whatever the server's locale: no TM prefix).
WHEN = "Dy DD Mon HH24:MI"

# `claim` is due_for_sweep's SELECT (the item's id, person, attempts, area, holder,
# when it fell due), bound and escaped; every other %(name)s is a parameter of
# sweep_batch. The parts are MATERIALIZED where
# read twice, so that each runs once whatever the planner guesses, and no part joins
# another: the planner's guess of a batch's size is often far off (the due rows sit
# at the end of the index's statistics), and a nested loop of one batch over
# another costs a batch squared (`areas` is a few hundred rows at most: the ONS
# list). The areas are locked in id order (so that batches and area moves never
# wait for each other in a cycle); a lock waited for while an admin's move
# committed returns the row as moved, so the team routed to is the area's latest.
# Each item's calls are read through their index
# (LATERAL); the escalations are written for every claimed row, and sweep_batch
# undoes the batch if the update missed one (it cannot, while the rows are locked).
STATEMENT = r"""
WITH claimed (id, person_id, attempts, area_id, assignee_id, due_at)
    AS MATERIALIZED ({claim}),
areas AS MATERIALIZED (
    SELECT area.id, area.local_team_id
      FROM {area} AS area
     WHERE area.id = ANY (ARRAY(SELECT DISTINCT claimed.area_id FROM claimed))
     ORDER BY area.id
       FOR SHARE
),
routed AS MATERIALIZED (
    SELECT claimed.id, claimed.person_id, claimed.attempts, claimed.due_at,
           claimed.area_id IS NULL AS area_unknown,
           COALESCE(own.id, fallback.id) AS team_id,
           COALESCE(own.code, fallback.code) AS team_code
      FROM claimed
      LEFT JOIN areas ON areas.id = claimed.area_id
      LEFT JOIN {team} AS own ON own.id = areas.local_team_id
      LEFT JOIN {team} AS fallback
        ON own.id IS NULL AND fallback.is_fallback
),
updated AS (
    UPDATE {item} AS item
       SET status = %(escalated)s,
           local_team_id = routed.team_id,
           assignee_id = NULL,
           escalated_at = %(now)s,
           next_attempt_at = NULL,
           escalate_due_at = NULL
      FROM routed
     WHERE item.id = routed.id AND item.status IN %(unreached)s
 RETURNING item.id
),
worded AS MATERIALIZED (
    SELECT routed.id, routed.person_id, routed.due_at, routed.area_unknown,
           routed.team_id, routed.team_code,
           CASE WHEN number.why IS NOT NULL THEN %(no_number_reason)s
                ELSE COALESCE(%(reason_for)s::jsonb ->> history.last_outcome,
                              %(unreached_reason)s)
           END AS reason,
           CASE WHEN number.why IS NOT NULL THEN
                    number.why
                    || COALESCE(E'\nCall history:\n' || history.lines,
                                E'\nNo calls were made.')
                WHEN decided.said IS NOT NULL THEN
                    decided.said || ' (' || said.attempts || ').'
                    || COALESCE(E'\n' || %(note_of_last_call)s
                                || NULLIF(history.last_notes, ''), '')
                    || E'\nCall history:\n' || history.lines
                WHEN history.lines IS NULL THEN
                    'Not reached within ' || %(hours)s || ' hours' || said.since
                    || ': never called.' || E'\nNo calls were made.'
                WHEN routed.attempts >= %(max_attempts)s THEN
                    'Not reached after ' || said.attempts || '.'
                    || E'\nCall history:\n' || history.lines
                ELSE
                    'Not reached within ' || %(hours)s || ' hours' || said.since
                    || ' (' || said.attempts || ').'
                    || E'\nCall history:\n' || history.lines
           END AS detail
      FROM routed
     CROSS JOIN LATERAL (
           SELECT max(returned.closed_at) AS at
             FROM {escalation} AS returned
            WHERE returned.{kind}_id = routed.id AND returned.outcome = %(returned)s
           ) AS sent_back
     CROSS JOIN LATERAL (
           -- Every call, the send back between the rounds' calls (when there were
           -- calls before it); the last call of this round only.
           SELECT NULLIF(concat_ws(E'\n', calls.earlier,
                                   CASE WHEN calls.earlier IS NOT NULL THEN
                                       to_char(sent_back.at AT TIME ZONE %(zone)s,
                                               %(when)s)
                                       || ': ' || %(sent_back_line)s
                                   END,
                                   calls.this_round), '') AS lines,
                  calls.last_outcome, calls.last_at, calls.last_notes
             FROM (
                  SELECT string_agg(entry.line, E'\n'
                                    ORDER BY entry.started_at, entry.id)
                             FILTER (WHERE NOT entry.this_round) AS earlier,
                         string_agg(entry.line, E'\n'
                                    ORDER BY entry.started_at, entry.id)
                             FILTER (WHERE entry.this_round) AS this_round,
                         (array_agg(entry.outcome
                                    ORDER BY entry.started_at DESC, entry.id DESC)
                             FILTER (WHERE entry.this_round))[1] AS last_outcome,
                         (array_agg(entry.started_at
                                    ORDER BY entry.started_at DESC, entry.id DESC)
                             FILTER (WHERE entry.this_round))[1] AS last_at,
                         (array_agg(entry.notes
                                    ORDER BY entry.started_at DESC, entry.id DESC)
                             FILTER (WHERE entry.this_round))[1] AS last_notes
                    FROM (
                         SELECT attempt.id, attempt.started_at, attempt.outcome,
                                attempt.notes,
                                sent_back.at IS NULL
                                OR attempt.started_at >= sent_back.at AS this_round,
                                to_char(attempt.started_at AT TIME ZONE %(zone)s,
                                        %(when)s)
                                || ': '
                                || COALESCE(%(labels)s::jsonb ->> attempt.outcome,
                                            attempt.outcome)
                                || COALESCE(', asked for a call back at '
                                            || to_char(attempt.call_back_at
                                                       AT TIME ZONE %(zone)s,
                                                       %(when)s), '') AS line
                           FROM {calls} AS attempt
                          WHERE attempt.{kind}_id = routed.id
                         ) AS entry
                  ) AS calls
           ) AS history
     CROSS JOIN LATERAL (
           SELECT routed.attempts || ' call attempt'
                  || CASE WHEN routed.attempts = 1 THEN '' ELSE 's' END AS attempts,
                  CASE WHEN sent_back.at IS NULL THEN ''
                       ELSE %(since_sent_back)s END AS since
           ) AS said
     CROSS JOIN LATERAL (
           SELECT replace(%(worded_for)s::jsonb ->> history.last_outcome, '{{when}}',
                          to_char(history.last_at AT TIME ZONE %(zone)s, %(when)s))
                      AS said
           ) AS decided
     CROSS JOIN LATERAL (
           SELECT CASE WHEN routed.attempts = 0 THEN (
                      SELECT CASE
                             WHEN (person.phone <> ''
                                   AND NOT person.wrong_numbers
                                           @> jsonb_build_array(person.phone))
                               OR (person.phone_alt <> ''
                                   AND NOT person.wrong_numbers
                                           @> jsonb_build_array(person.phone_alt))
                             THEN NULL
                             WHEN person.phone <> '' OR person.phone_alt <> ''
                             THEN %(numbers_answered)s
                             ELSE %(no_number)s
                             END
                        FROM {person} AS person
                       WHERE person.id = routed.person_id
                  ) END AS why
           ) AS number
),
escalated AS (
    INSERT INTO {escalation} ({kind}_id, local_team_id, reason, detail, area_unknown,
                              status, created_at, created_by_id, due_at, outcome,
                              outcome_note)
    SELECT id, team_id, reason, detail, area_unknown, %(new)s, %(now)s, NULL,
           %(now)s + COALESCE((%(due_within)s::jsonb ->> reason)::interval,
                              %(default_due_within)s),
           '', ''
      FROM worded
     ORDER BY worded.due_at, worded.id
 RETURNING id
),
audited AS (
    INSERT INTO {audit} (at, user_id, action, person_id, object_type, object_id,
                         detail)
    SELECT %(now)s, NULL, %(escalate)s, person_id, %(object_type)s, id::text,
           jsonb_build_object('team', team_code, 'reason', reason)
      FROM worded
     ORDER BY worded.due_at, worded.id  -- (a bare "id" would be the text above)
 RETURNING id
)
SELECT (SELECT count(*) FROM claimed),
       (SELECT count(*) FROM updated),
       (SELECT count(*) FROM escalated),
       (SELECT count(*) FROM audited),
       (SELECT COALESCE(bool_or(assignee_id IS NOT NULL), false) FROM claimed)
"""


# The escalations of contacts whose isolation is over, closed
# (escalation.escalations_close_isolation_over): `claim` is its SELECT ... FOR UPDATE
# OF both rows SKIP LOCKED (the escalation's id and contact, the contact's id, its
# person and isolation end), bound and escaped. The note is escalation.isolation_over_reason
# worded in SQL (to_char's English names whatever the server's locale: no TM
# prefix; FM: no padding), as tests/local_teams/test_isolation_over_escalations
# pins; each close is conditional on the rows being as claimed, and
# close_isolation_over_batch undoes the batch if one was not.
ISOLATION_OVER_STATEMENT = r"""
WITH claimed (id, contact_id, contact_pk, person_id, ends_on)
    AS MATERIALIZED ({claim}),
worded AS MATERIALIZED (
    SELECT claimed.id, claimed.contact_id, claimed.person_id, claimed.ends_on,
           'Their isolation ended on '
           || to_char(claimed.ends_on, 'FMDay FMDD FMMonth YYYY')
           || ': ' || %(not_traced)s || '.' AS note
      FROM claimed
),
closed AS (
    UPDATE {escalation} AS escalation
       SET status = %(closed)s,
           outcome = %(outcome)s,
           outcome_note = worded.note,
           closed_at = %(now)s,
           closed_by_id = NULL
      FROM worded
     WHERE escalation.id = worded.id AND escalation.status = %(new)s
 RETURNING escalation.id
),
ended AS (
    UPDATE {contact} AS contact
       SET status = %(item_closed)s,
           closed_at = %(now)s
      FROM worded
     WHERE contact.id = worded.contact_id AND contact.status = %(escalated)s
 RETURNING contact.id
),
audited AS (
    INSERT INTO {audit} (at, user_id, action, person_id, object_type, object_id,
                         detail)
    SELECT %(now)s, NULL, %(update)s, worded.person_id, %(object_type)s,
           worded.contact_id::text,
           jsonb_build_object(
               'escalation', worded.id,
               'outcome', %(outcome)s::text,
               'closed', %(closed_why)s::text,
               'isolation_ends_on', to_char(worded.ends_on, 'YYYY-MM-DD'),
               'reason', worded.note
           )
      FROM worded
     ORDER BY worded.id
 RETURNING id
)
SELECT (SELECT count(*) FROM claimed),
       (SELECT count(*) FROM closed),
       (SELECT count(*) FROM ended),
       (SELECT count(*) FROM audited)
"""


def close_isolation_over_batch(
    *, claim: QuerySet, now: datetime, outcome: str, closed_why: str, not_traced: str
) -> int:
    """Close the escalations `claim` selects, and their contacts, each with its audit
    row, in one statement; `outcome` and `closed_why` are what the close records,
    `not_traced` the end of its note. Must run inside the batch's transaction: the
    claimed rows stay locked, and an error undoes the whole batch. Returns how many
    were closed."""
    quote = connection.ops.quote_name
    claim_sql = connection.ops.compose_sql(  # type: ignore[attr-defined]
        *claim.query.sql_with_params()
    )
    statement = ISOLATION_OVER_STATEMENT.format(
        claim=claim_sql.replace("%", "%%"),  # bound already: no placeholder in it
        escalation=quote(Escalation._meta.db_table),
        contact=quote(Contact._meta.db_table),
        audit=quote(AuditEvent._meta.db_table),
    )
    params: dict[str, Any] = {
        "now": now,
        "not_traced": not_traced,
        "closed": Escalation.Status.CLOSED,
        "new": Escalation.Status.NEW,
        "outcome": outcome,
        "item_closed": Status.CLOSED,
        "escalated": Status.ESCALATED,
        "update": AuditEvent.Action.UPDATE,
        "object_type": Contact._meta.label_lower,
        "closed_why": closed_why,
    }
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        claimed, closed, ended, audited = cursor.fetchone()
    if not claimed == closed == ended == audited:
        # Cannot happen while the claimed rows are locked; undo the batch rather than
        # leave an escalation closed with its contact open, or without its audit row.
        raise IllegalTransition(
            f"The sweep claimed {claimed} escalations of contacts whose isolation "
            f"is over but closed {closed}, closed {ended} contacts and wrote "
            f"{audited} audit rows."
        )
    return closed


def area_team_shared(area_id: int) -> int:
    """The area's team, read under a shared lock on the area's row, held until the
    transaction ends (an admin's move of the area waits for it, or it for the move,
    and reads the team the move gave). Where rows cannot be locked (SQLite), read
    plainly."""
    if connection.vendor != "postgresql":
        return Area.objects.values_list("local_team_id", flat=True).get(pk=area_id)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT local_team_id FROM {connection.ops.quote_name(Area._meta.db_table)}"
            " WHERE id = %s FOR SHARE",
            [area_id],
        )
        (team_id,) = cursor.fetchone()
    return team_id


@dataclass(frozen=True)
class SweptBatch:
    claimed: int  # due rows this sweep took and escalated (a full batch: more wait)
    freed_a_slot: bool  # some were held by someone, who now has room for more


def _seconds(within: timedelta) -> str:
    return f"{int(within.total_seconds())} seconds"


def sweep_batch(
    *,
    model: type[Case] | type[Contact],
    claim: QuerySet,
    now: datetime,
    reason_for_last_outcome: Mapping[str, str],
    worded_for_last_outcome: Mapping[str, str],
    note_of_last_call: str,
    sent_back_line: str,
    since_sent_back: str,
    due_within: Mapping[str, timedelta],
    default_due_within: timedelta,
) -> SweptBatch:
    """Escalate the rows `claim` selects (due_for_sweep's batch) in one statement.

    Must run inside the batch's transaction: the claimed rows stay locked, and an
    error anywhere undoes the whole batch.
    """
    kind = model.kind
    rule = CallRule.for_kind(kind)
    quote = connection.ops.quote_name
    # Bound here (PostgreSQL's operations only), so that the claim is due_for_sweep's
    # own SQL, the one its plan test reads.
    claim_sql = connection.ops.compose_sql(  # type: ignore[attr-defined]
        *claim.query.sql_with_params()
    )
    statement = STATEMENT.format(
        claim=claim_sql.replace("%", "%%"),  # bound already: no placeholder in it
        item=quote(model._meta.db_table),
        kind=kind,
        area=quote(Area._meta.db_table),
        team=quote(LocalTeam._meta.db_table),
        calls=quote(CallAttempt._meta.db_table),
        person=quote(Person._meta.db_table),
        escalation=quote(Escalation._meta.db_table),
        audit=quote(AuditEvent._meta.db_table),
    )
    params: dict[str, Any] = {
        "now": now,
        "escalated": Status.ESCALATED,
        "unreached": tuple(UNREACHED),
        "zone": timezone.get_current_timezone_name(),
        "when": WHEN,
        "labels": json.dumps({value: str(label) for value, label in Outcome.choices}),
        "reason_for": json.dumps(dict(reason_for_last_outcome)),
        "worded_for": json.dumps(dict(worded_for_last_outcome)),
        "note_of_last_call": note_of_last_call,
        "returned": Escalation.Outcome.RETURNED,
        "sent_back_line": sent_back_line,
        "since_sent_back": since_sent_back,
        "unreached_reason": Escalation.Reason.UNREACHED,
        "no_number_reason": NO_NUMBER_REASON,
        "no_number": NO_NUMBER_ESCALATED,
        "numbers_answered": NUMBERS_ANSWERED_ESCALATED,
        "hours": int(rule.window.total_seconds() // 3600),
        "max_attempts": rule.max_attempts,
        "new": Escalation.Status.NEW,
        "due_within": json.dumps(
            {reason: _seconds(within) for reason, within in due_within.items()}
        ),
        "default_due_within": default_due_within,
        "escalate": AuditEvent.Action.ESCALATE,
        "object_type": model._meta.label_lower,
    }
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        claimed, updated, escalated, audited, held = cursor.fetchone()
    if not claimed == updated == escalated == audited:
        # Cannot happen while the claimed rows are locked; undo the batch rather than
        # leave an item escalated without its escalation or its audit row.
        raise IllegalTransition(
            f"The sweep claimed {claimed} {kind}s but escalated {updated}, wrote "
            f"{escalated} escalations and {audited} audit rows."
        )
    return SweptBatch(claimed=claimed, freed_a_slot=held)
