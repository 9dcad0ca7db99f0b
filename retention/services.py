"""The retention job and what stops it: the only code that pseudonymises, purges or
erases a record, or places and lifts a legal hold.

A run (RetentionRun) applies the rules in order, in batches: warn local teams of
what will be purged within the warning's days, pseudonymise, purge contacts, purge
cases, purge the audit trail, purge people. The warning is chosen by the purge's own
rules, and a run that warns purges only contacts and cases a warning told of, for a
day that has come: a record kept past its day (its person had something open, a
hold was on) for longer than a warning's days is told of first (again) and goes a
warning's days later. Each batch is one transaction that
changes its rows, records its counts and moves the run's cursor, so a batch that
dies leaves nothing half-done and the run is taken up where it stopped. Batches,
holds and erasures take one PostgreSQL advisory lock for their transaction, so a
hold placed while a batch runs waits for it (and the next batch sees the hold), and
the task takes another for its whole run, so a second task at the same time leaves
the work to the first.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from celery import current_app
from django.core.mail import send_mail
from django.db import IntegrityError, connections, transaction
from django.db.models import (
    F,
    QuerySet,
)
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from areas.models import LocalTeam
from audit.models import AuditEvent
from audit.services import audit_record
from cases.models import Case, ExposureSetting, SettingVisit
from contacts.models import Contact
from escalations.models import Cluster
from people.models import Person, PersonMerge
from rows.insert import insert_rows
from rows.lease import lease_outlasting, sent_under_claim, unclaimed
from staffing.models import StaffProfile, Tier

from .cascade import delete_with_dependents, id_set
from .errors import RetentionRefused
from .models import (
    RULE_ORDER,
    Erasure,
    LegalHold,
    PurgeNotice,
    PurgeWarning,
    RetentionAction,
    RetentionRun,
    Rule,
)
from .pseudonymise import people_pseudonymise
from .rules import (
    Cutoffs,
    RetentionDays,
    batch_size,
    period_words,
    task_seconds,
    years_back,
)
from .selectors import (
    Claim,
    Told,
    active_hold_of,
    audit_to_purge,
    cases_to_purge,
    contacts_to_purge,
    erasure_refusals,
    family_of,
    people_to_pseudonymise,
    people_to_purge,
    purge_days,
    told_of,
)

log = logging.getLogger(__name__)

# PostgreSQL advisory lock keys ("retn" and one more): a batch, a hold or an
# erasure holds the first for its transaction; a task running batches holds the
# second for its session.
DATA_LOCK = 0x7265746E
RUN_LOCK = DATA_LOCK + 1
PURGE_WARNING_TASK = "retention.tasks.purge_warning_send_task"


def _vendor() -> str:
    return connections["default"].vendor


def _data_lock(*, batch: bool = False) -> None:
    """One batch, hold or erasure at a time (the embedded SQLite's transactions take
    the write lock when they begin, which serialises them already)."""
    if _vendor() == "postgresql":
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [DATA_LOCK])
            if batch:
                # A batch's choice of rows is costed high (its subqueries) but runs
                # in milliseconds through the indexes: compiling it (JIT) would
                # take a second or more of each batch.
                cursor.execute("SET LOCAL jit = off")


@contextlib.contextmanager
def run_exclusively() -> Iterator[bool]:
    """Whether this process may run batches now: False while another holds the run
    lock (a second task started beside the first: it leaves the work to it)."""
    if _vendor() != "postgresql":
        yield True
        return
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [RUN_LOCK])
        got = bool(cursor.fetchone()[0])
    try:
        yield got
    finally:
        if got:
            with connections["default"].cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [RUN_LOCK])


def _is_admin(user: Any) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and user.is_superuser
    )


def _admin_only(by: Any, what: str) -> None:
    if not _is_admin(by):
        raise RetentionRefused(f"Only an administrator may {what}.")


# --- the audit trail's one way out ----------------------------------------------------


def audit_events_delete(events: QuerySet[AuditEvent]) -> int:
    """Delete these audit events: the only deletion of the trail there is. On
    PostgreSQL the trigger lets this one statement through: the transaction says
    so just before it and unsays it just after (SET LOCAL), so nothing else in
    the same transaction may delete. The model refuses any other deletion."""
    assert transaction.get_connection().in_atomic_block, "inside atomic()"
    connection = connections[events.db]
    ids_sql, params = events.order_by().values("pk").query.sql_with_params()
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    postgres = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        if postgres:
            cursor.execute("SET LOCAL tracing.audit_purge = 'on'")
        # (A failed DELETE aborts the transaction, and the setting goes with it.)
        cursor.execute(f"DELETE FROM {table} WHERE id IN ({ids_sql})", params)
        deleted = cursor.rowcount
        if postgres:
            cursor.execute("SET LOCAL tracing.audit_purge = 'off'")
        return deleted


# --- legal holds ------------------------------------------------------------------


def legal_hold_place(
    *, person: Person, reason: str, by: Any, now: datetime | None = None
) -> LegalHold:
    """Stop the clock on a person: nothing of theirs is pseudonymised, purged or
    erased until the hold is lifted. Administrators only; audited."""
    _admin_only(by, "place a legal hold")
    reason = (reason or "").strip()
    if not reason:
        raise RetentionRefused("Give the reason for the hold.")
    now = now or timezone.now()
    with transaction.atomic():
        _data_lock()
        locked = Person.objects.select_for_update().filter(pk=person.pk).first()
        if locked is None:
            raise RetentionRefused("This person is no longer held.")
        if locked.merged_into_id is not None:
            raise RetentionRefused(
                f"This record was merged into person {locked.merged_into_id}: place "
                "the hold on that one."
            )
        held = active_hold_of(locked)
        if held is not None:
            raise RetentionRefused(
                "A legal hold is on this person already (placed "
                f"{timezone.localtime(held.placed_at):%d/%m/%Y})."
            )
        hold = LegalHold.objects.create(
            person=locked, reason=reason, placed_by=by, placed_at=now
        )
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=hold,
            person=locked,
            detail={"legal_hold": "placed"},
            at=now,
        )
    return hold


def legal_hold_lift(
    *, hold: LegalHold, by: Any, reason: str, now: datetime | None = None
) -> LegalHold:
    """The clock runs again for the person (from their records' own dates: a record
    already past its days is taken by the next run if a warning told its team of
    it for a day a warning's days ago at most, else told of first, again if its
    warning is older, and taken a warning's days later). Administrators only;
    audited."""
    _admin_only(by, "lift a legal hold")
    reason = (reason or "").strip()
    if not reason:
        raise RetentionRefused("Give the reason for lifting the hold.")
    now = now or timezone.now()
    with transaction.atomic():
        _data_lock()
        locked = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if locked.lifted_at is not None:
            raise RetentionRefused(
                f"This hold was lifted on {timezone.localtime(locked.lifted_at):%d/%m/%Y}."
            )
        locked.lifted_by = by
        locked.lifted_at = now
        locked.lift_reason = reason
        locked.save(update_fields=["lifted_by", "lifted_at", "lift_reason"])
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=locked,
            person=locked.person,
            detail={"legal_hold": "lifted"},
            at=now,
        )
    return locked


# --- erasure on request ---------------------------------------------------------------


@dataclass
class ErasurePlan:
    """What erasing a person would remove (rows by kind), or why it may not."""

    person_id: int
    refusals: list[str] = field(default_factory=list)
    removes: dict[str, int] = field(default_factory=dict)

    @property
    def allowed(self) -> bool:
        return not self.refusals


class _Rehearsal(Exception):
    def __init__(self, counts: Counter[str]):
        self.counts = counts


def _erase_rows(family: list[int]) -> Counter[str]:
    """Delete everything held about these people (one human: a person and the
    records merged into it), deepest first."""
    counts: Counter[str] = Counter()
    settings_visited = list(
        SettingVisit.objects.filter(case__person_id__in=family).values_list(
            "setting_id", flat=True
        )
    )
    delete_with_dependents(
        Contact, rows=Contact.objects.filter(person_id__in=family), counts=counts
    )
    delete_with_dependents(
        Case, rows=Case.objects.filter(person_id__in=family), counts=counts
    )
    # A setting only they visited (their home, as a household setting) goes too.
    delete_with_dependents(
        ExposureSetting,
        rows=ExposureSetting.objects.filter(pk__in=settings_visited)
        .exclude(visits__isnull=False)
        .exclude(clusters__isnull=False),
        counts=counts,
    )
    events = audit_events_delete(AuditEvent.objects.filter(person_id__in=family))
    if events:
        counts[AuditEvent._meta.label_lower] += events
    for model, rows in (
        (LegalHold, LegalHold.objects.filter(person_id__in=family)),
        (
            PersonMerge,
            PersonMerge.objects.filter(survivor_id__in=family)
            | PersonMerge.objects.filter(merged_id__in=family),
        ),
    ):
        delete_with_dependents(model, rows=rows, counts=counts)
    delete_with_dependents(Person, ids=family, counts=counts)
    return counts


def person_erasure_plan(*, person: Person) -> ErasurePlan:
    """What `person_erase` would remove now, counted by doing it inside a
    transaction rolled back (so the count is exactly the erasure's), or the
    refusals."""
    family = family_of([person.pk])
    plan = ErasurePlan(person_id=person.pk, refusals=erasure_refusals(person, family))
    if plan.refusals:
        return plan
    try:
        with transaction.atomic():
            raise _Rehearsal(_erase_rows(family))
    except _Rehearsal as rehearsal:
        plan.removes = dict(sorted(rehearsal.counts.items()))
    return plan


def person_erase(*, person: Person, by: Any, reason: str) -> Erasure:
    """Erase everything held about one person (their cases and contacts with their
    calls, messages, escalations and links, their history, merges and lifted holds,
    the audit events about them, and the records merged into them), on request,
    where the law allows. Administrators only.

    Refused, with the reason, when the record must be kept: an active legal hold,
    on them or on a case that named them (as a contact, or in a further exposure);
    a case or contact of theirs still open, or a safeguarding escalation about them
    still open; their case named other people as contacts (erasing it would erase
    theirs); or the record was merged into another (erase that one).

    Audited by an Erasure row and an audit event that say who, when, why and how
    many rows of each kind went, and nothing of the person (not even their id).
    """
    _admin_only(by, "erase a person's records")
    if reason not in Erasure.Reason.values:
        raise RetentionRefused("Choose why the records are erased.")
    now = timezone.now()
    with transaction.atomic():
        _data_lock()
        locked = Person.objects.select_for_update().filter(pk=person.pk).first()
        if locked is None:
            raise RetentionRefused("This person is no longer held.")
        family = family_of([locked.pk])
        list(Person.objects.select_for_update().filter(pk__in=family).values("pk"))
        refusals = erasure_refusals(locked, family)
        if refusals:
            raise RetentionRefused(" ".join(refusals))
        removed = dict(sorted(_erase_rows(family).items()))
        erasure = Erasure.objects.create(by=by, at=now, reason=reason, removed=removed)
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=erasure,
            detail={"erased": True, "reason": reason, "removed": removed},
            at=now,
        )
    return erasure


# --- the run --------------------------------------------------------------------------


def retention_run_start(
    *,
    now: datetime | None = None,
    trigger: str = "beat",
    only: Iterable[str] | None = None,
) -> RetentionRun:
    """The unfinished run, to be taken up, or a new one with today's cut-offs.
    `only` limits a new run to some rules (a benchmark, a test)."""
    unfinished = RetentionRun.objects.filter(running=True).first()
    if unfinished is not None:
        return unfinished
    now = now or timezone.now()
    days = RetentionDays.from_settings()
    cut = Cutoffs.at(now, days)
    rules = [rule for rule in RULE_ORDER if only is None or rule in set(only)]
    if not rules:
        raise ValueError("A run applies at least one rule.")
    try:
        with transaction.atomic():
            return RetentionRun.objects.create(
                started_at=now,
                trigger=trigger,
                step=rules[0],
                rules={"days": days.as_dict(), "rules": rules},
                pseudonymise_before=cut.pseudonymise_before,
                purge_contacts_before=cut.purge_contacts_before,
                purge_cases_before=cut.purge_cases_before,
                purge_audit_before=cut.purge_audit_before,
                warn_until=cut.warn_until,
            )
    except IntegrityError:  # another process began one just now
        return RetentionRun.objects.get(running=True)


@dataclass
class Batch:
    counts: Counter[str]
    cursor: dict[str, Any]
    step_done: bool


def _next_after(run: RetentionRun) -> int:
    return int(run.cursor.get("after", 0))


def _cursor(claim: Claim) -> dict[str, Any]:
    return {"after": claim.last} if claim.last is not None else {}


def _pseudonymise(run: RetentionRun, now: datetime) -> Batch:
    size = batch_size(_vendor())
    claim = people_to_pseudonymise(
        cutoff=run.pseudonymise_before, after=_next_after(run), size=size
    )
    family = family_of(claim.ids)
    # Their rows, held until the batch commits: a change to one of them waits.
    list(Person.objects.select_for_update().filter(pk__in=family).values("pk"))
    counts = people_pseudonymise(family=family, run=run, now=now)
    return Batch(counts, _cursor(claim), claim.finishes(size))


def _told(run: RetentionRun) -> Told:
    """The run's local day and its warning's days: a warning covers its records for
    a day that has come by then, and gone no more than the warning's days."""
    return Told(
        on=timezone.localdate(run.started_at),
        warn_days=int(run.rules["days"]["warn_days_before_purge"]),
    )


def _told_by(run: RetentionRun) -> Told | None:
    """What a record's warning must cover for the purge to take it (_told); None for
    a run without the warning (one limited to some rules, for a benchmark or a
    test), which takes records by their dates alone."""
    if Rule.WARN not in run.rules.get("rules", RULE_ORDER):
        return None
    return _told(run)


def _purge_told(model: type[Case] | type[Contact], ids: list[int]) -> Counter[str]:
    """Delete these records with what depends on them, their warnings' notices first
    (the notice is the service's own note: the counts are of the records)."""
    if not ids:
        return Counter()
    column = "contact_id" if model is Contact else "case_id"
    PurgeNotice.objects.filter(**{f"{column}__in": id_set(ids, "default")}).delete()
    return delete_with_dependents(model, ids=ids)


def _purge_contacts(run: RetentionRun, now: datetime) -> Batch:
    size = batch_size(_vendor())
    claim = contacts_to_purge(
        cutoff=run.purge_contacts_before,
        after=_next_after(run),
        size=size,
        told=_told_by(run),
    )
    counts = _purge_told(Contact, claim.ids)
    return Batch(counts, _cursor(claim), claim.finishes(size))


def _purge_cases(run: RetentionRun, now: datetime) -> Batch:
    size = batch_size(_vendor())
    cutoff = run.purge_cases_before
    claim = cases_to_purge(
        cutoff=cutoff, after=_next_after(run), size=size, told=_told_by(run)
    )
    counts = _purge_told(Case, claim.ids)
    done = claim.finishes(size)
    if done:
        # What the purged cases leave behind: clusters with no case left, and
        # settings nobody's visit or cluster names any longer.
        delete_with_dependents(
            Cluster,
            rows=Cluster.objects.filter(cases__isnull=True, detected_at__lte=cutoff),
            counts=counts,
        )
        delete_with_dependents(
            ExposureSetting,
            rows=ExposureSetting.objects.filter(
                created_at__lte=cutoff, visits__isnull=True, clusters__isnull=True
            ),
            counts=counts,
        )
    return Batch(counts, _cursor(claim), done)


def _purge_audit(run: RetentionRun, now: datetime) -> Batch:
    size = batch_size(_vendor())
    after = None
    if run.cursor:
        at = parse_datetime(run.cursor["at"])
        assert at is not None
        after = (at, int(run.cursor["id"]))
    claim = audit_to_purge(cutoff=run.purge_audit_before, after=after, size=size)
    counts: Counter[str] = Counter()
    if claim.ids:
        deleted = audit_events_delete(AuditEvent.objects.filter(pk__in=claim.ids))
        counts[AuditEvent._meta.label_lower] = deleted
    cursor = (
        {"at": claim.last[0].isoformat(), "id": claim.last[1]} if claim.last else {}
    )
    return Batch(counts, cursor, claim.finishes(size))


def _purge_people(run: RetentionRun, now: datetime) -> Batch:
    size = batch_size(_vendor())
    claim = people_to_purge(
        cutoff=run.purge_contacts_before, after=_next_after(run), size=size
    )
    counts: Counter[str] = Counter()
    if claim.ids:
        family = family_of(claim.ids)
        for model, rows in (
            (LegalHold, LegalHold.objects.filter(person_id__in=family)),
            (
                PersonMerge,
                PersonMerge.objects.filter(survivor_id__in=family)
                | PersonMerge.objects.filter(merged_id__in=family),
            ),
        ):
            delete_with_dependents(model, rows=rows, counts=counts)
        delete_with_dependents(Person, ids=family, counts=counts)
    return Batch(counts, _cursor(claim), claim.finishes(size))


def _warning_days(
    groups: dict[tuple[int, date], dict[str, list[int]]],
) -> dict[tuple[int, date], dict[str, list[int]]]:
    """The groups of records by team and day, each moved on to the team's first day
    from its own that no earlier warning has (a team is told once a day: records
    found for a day it was told of already are told of for the next)."""
    if not groups:
        return {}
    taken = set(
        PurgeWarning.objects.filter(
            local_team_id__in={team for team, _ in groups},
            purge_on__gte=min(day for _, day in groups),
        ).values_list("local_team_id", "purge_on")
    )
    moved: dict[tuple[int, date], dict[str, list[int]]] = {}
    for (team, day), records in sorted(groups.items()):
        while (team, day) in taken:
            day += timedelta(days=1)
        into = moved.setdefault((team, day), {"contact": [], "case": []})
        for kind, ids in records.items():
            into[kind].extend(ids)
    return moved


def _warn(run: RetentionRun, now: datetime) -> Batch:
    """Tell each local team of the records of its areas that the purge will take:
    those the purge's own rules (contacts_to_purge, cases_to_purge) would take if
    run at the warning's end, less those a warning still covers (told_of: for the
    day they are due, named no more than a warning's days ago). Each record is told of for the day it becomes due, and never sooner
    than the warning's days from now: one overdue that no warning covers (its
    person had something open in its warning week, a hold was on; or it was kept
    more than a warning's days past the day its warning named) is taken that many
    days on, not straight away. Which records each warning told of is kept
    (PurgeNotice): the purge takes no other."""
    periods = RetentionDays.of_run(run.rules["days"])
    size = batch_size(_vendor())
    until = timezone.localtime(run.warn_until)
    fallback = LocalTeam.objects.filter(is_fallback=True).values_list("pk", flat=True)
    fallback_id = next(iter(fallback), None)
    told_on = _told(run)
    groups: dict[tuple[int, date], dict[str, list[int]]] = {}
    select: Callable[..., Claim]
    for kind, select, kept in (
        ("contact", contacts_to_purge, periods.purge_contacts_after_years),
        ("case", cases_to_purge, periods.purge_cases_after_years),
    ):
        after = 0
        while True:
            claim = select(cutoff=years_back(until, kept), after=after, size=size)
            due = purge_days(kind, claim.ids, kept)
            told = told_of(
                kind, {pk: when.day for pk, when in due.items()}, told=told_on
            )
            for pk, when in due.items():
                team = when.team or fallback_id
                if pk in told or team is None:
                    continue
                day = max(when.day, until.date())
                records = groups.setdefault((team, day), {"contact": [], "case": []})
                records[kind].append(pk)
            if claim.last is not None:
                after = claim.last
            if claim.finishes(size):
                break
    groups = _warning_days(groups)
    for kind in ("contact", "case"):
        ids = [pk for records in groups.values() for pk in records[kind]]
        if ids:
            # A notice for a day since moved (a contact named again), or gone more
            # than a warning's days (the record kept past it), is told anew.
            PurgeNotice.objects.filter(
                **{f"{kind}_id__in": id_set(ids, "default")}
            ).delete()
    PurgeWarning.objects.bulk_create(
        [
            PurgeWarning(
                local_team_id=team,
                purge_on=day,
                contacts=len(records["contact"]),
                cases=len(records["case"]),
                run=run,
                created_at=now,
            )
            for (team, day), records in sorted(groups.items())
        ]
    )
    made = {
        (team, day): pk
        for pk, team, day in PurgeWarning.objects.filter(
            run=run, created_at=now
        ).values_list("pk", "local_team_id", "purge_on")
    }
    insert_rows(
        [
            PurgeNotice(warning_id=made[key], **{f"{kind}_id": pk})
            for key, records in groups.items()
            for kind, ids in records.items()
            for pk in ids
        ]
    )
    new = sorted(made.values())
    for pk in new:
        _queue_after_commit(PURGE_WARNING_TASK, warning_id=pk)
    counts: Counter[str] = Counter()
    if new:
        counts[PurgeWarning._meta.label_lower] = len(new)
    return Batch(counts, {}, True)


def _queue_after_commit(name: str, **kwargs: Any) -> None:
    """Queue a task by name once the batch commits (the tasks module imports this
    one). A broker that is down loses only the email: its warning stays unsent."""
    transaction.on_commit(lambda: current_app.tasks[name].delay(**kwargs), robust=True)


STEPS: dict[str, Callable[[RetentionRun, datetime], Batch]] = {
    Rule.WARN: _warn,
    Rule.PSEUDONYMISE: _pseudonymise,
    Rule.PURGE_CONTACTS: _purge_contacts,
    Rule.PURGE_CASES: _purge_cases,
    Rule.PURGE_AUDIT: _purge_audit,
    Rule.PURGE_PEOPLE: _purge_people,
}


def _record(run: RetentionRun, rule: str, counts: Counter[str], now: datetime) -> None:
    for kind, n in sorted(counts.items()):
        if not n:
            continue
        updated = RetentionAction.objects.filter(run=run, rule=rule, kind=kind).update(
            count=F("count") + n, last_at=now
        )
        if not updated:
            RetentionAction.objects.create(
                run=run, rule=rule, kind=kind, count=n, first_at=now, last_at=now
            )


def retention_run_batch(*, run_id: int, now: datetime | None = None) -> bool:
    """One batch of the run's current rule, in one transaction: its rows changed,
    its counts recorded (and audited), the cursor moved on. True while the run has
    more to do; False once it has finished (or was finished already)."""
    with transaction.atomic():
        run = (
            RetentionRun.objects.select_for_update()
            .filter(pk=run_id, running=True)
            .first()
        )
        if run is None:
            return False
        _data_lock(batch=True)
        now = now or timezone.now()
        rule = run.step
        batch = STEPS[rule](run, now)
        _record(run, rule, batch.counts, now)
        if batch.counts:
            audit_record(
                user=None,
                action=AuditEvent.Action.UPDATE,
                obj=run,
                detail={
                    "retention": rule,
                    "counts": dict(sorted(batch.counts.items())),
                },
                at=now,
            )
        run.batches += 1
        run.cursor = batch.cursor
        if batch.step_done:
            rules = run.rules["rules"]
            later = rules[rules.index(rule) + 1 :]
            run.cursor = {}
            if later:
                run.step = later[0]
            else:
                run.running = False
                run.finished_at = now
        run.save(update_fields=["batches", "cursor", "step", "running", "finished_at"])
        return run.running


def retention_run_continue(*, run_id: int, seconds: float | None = None) -> bool:
    """Batches of the run until it finishes or `seconds` have gone (None: the
    setting); True if more remains (the caller queues the next stretch)."""
    deadline = time.monotonic() + (task_seconds() if seconds is None else seconds)
    while True:
        more = retention_run_batch(run_id=run_id)
        if not more or time.monotonic() >= deadline:
            return more


def retention_run(
    *,
    now: datetime | None = None,
    trigger: str = "command",
    only: Iterable[str] | None = None,
) -> RetentionRun:
    """A whole run here and now, to its end (a command, a test, the benchmark)."""
    run = retention_run_start(now=now, trigger=trigger, only=only)
    while retention_run_batch(run_id=run.pk):
        pass
    run.refresh_from_db()
    return run


# --- the warning's email -------------------------------------------------------------


def local_team_recipients(team: LocalTeam) -> list[str]:
    """Whom a local team's warning goes to: the team's own address and its active
    supervisors' (every active member's when it has no supervisor)."""
    members = StaffProfile.objects.filter(
        local_team=team, tier=Tier.LOCAL, user__is_active=True
    ).exclude(user__email="")
    supervisors = members.filter(is_supervisor=True)
    chosen = supervisors if supervisors.exists() else members
    emails = sorted(set(chosen.values_list("user__email", flat=True)))
    if team.email:
        emails = [team.email, *(e for e in emails if e != team.email)]
    return emails


def _warning_text(warning: PurgeWarning, days: dict[str, int]) -> str:
    parts = []
    if warning.contacts:
        parts.append(
            f"{warning.contacts} contact record(s), closed "
            f"{period_words(days, 'purge_contacts')} before"
        )
    if warning.cases:
        parts.append(
            f"{warning.cases} case record(s), closed "
            f"{period_words(days, 'purge_cases')} before"
        )
    listed = "\n".join(f"- {part}" for part in parts)
    return (
        f"On {warning.purge_on:%A %d %B %Y} the records below of "
        f"{warning.local_team.name}'s areas reach the end of their retention and "
        "will be deleted for good:\n\n"
        f"{listed}\n\n"
        "If any of them must be kept (an investigation, a complaint, legal "
        "proceedings), ask an administrator to place a legal hold on the person "
        "before then. This email names no one; the records are in the service.\n"
    )


# The hard time limit (seconds) of both tasks that send a warning (retention.tasks):
# no worker is still sending one after it.
WARNING_TASK_TIME_LIMIT = 150
# A worker sending a warning claims it for this long, and no other sends it meanwhile
# (rows/lease.py: a claim that runs out, for a worker lost mid-send).
WARNING_CLAIM_LEASE = lease_outlasting(WARNING_TASK_TIME_LIMIT)
# The sweep leaves a new warning to its own task for this long.
WARNING_LATE_AFTER = timedelta(minutes=2)
WARNING_SWEEP_BATCH = 500


def purge_warnings_unsent(now: datetime) -> list[int]:
    """The warnings not sent yet whose purge is still to come (from the next local
    day on: on the day itself it may be done already), soonest purge first, from
    WARNING_LATE_AFTER old, less those a live worker's claim holds: their own task's
    tries ran out while the mail server was down, it was never queued (the broker
    was down when the run committed), its worker was lost mid-send, or the team had
    no one to tell."""
    return list(
        PurgeWarning.objects.filter(
            unclaimed("claimed_until", now),
            sent_at__isnull=True,
            purge_on__gt=timezone.localdate(now),
            created_at__lte=now - WARNING_LATE_AFTER,
        )
        .order_by("purge_on", "pk")
        .values_list("pk", flat=True)[:WARNING_SWEEP_BATCH]
    )


def purge_warning_send(*, warning_id: int) -> list[str]:
    """Email a local team its warning; returns the addresses told. Claimed for
    WARNING_CLAIM_LEASE before the mail goes, so no two workers send it, and marked
    sent (with whom it went to) only once it has gone. The claim is given back at
    once when the mail server cannot be reached (for a retry), and lapses when the
    worker is lost mid-send (for the task redelivered or the sweep). A team with no
    one to tell is left unsent, for the sweep to tell once it has someone."""
    warning = (
        PurgeWarning.objects.select_related("local_team", "run")
        .filter(pk=warning_id, sent_at__isnull=True)
        .first()
    )
    if warning is None:
        return []
    recipients = local_team_recipients(warning.local_team)
    if not recipients:
        return []
    unsent = PurgeWarning.objects.filter(pk=warning_id, sent_at__isnull=True)
    days = (warning.run.rules if warning.run else {}).get(
        "days", RetentionDays.from_settings().as_dict()
    )
    sent = sent_under_claim(
        unsent,
        field="claimed_until",
        lease=WARNING_CLAIM_LEASE,
        send=lambda: send_mail(
            subject=(
                f"Records of {warning.local_team.name} to be deleted on "
                f"{warning.purge_on:%d %B %Y}"
            ),
            message=_warning_text(warning, days),
            from_email=None,
            recipient_list=recipients,
        ),
        stamp=lambda: {"sent_at": timezone.now(), "recipients": recipients},
    )
    return recipients if sent else []


__all__ = [
    "legal_hold_lift",
    "legal_hold_place",
    "person_erase",
    "person_erasure_plan",
    "purge_warning_send",
    "purge_warnings_unsent",
    "retention_run",
    "retention_run_batch",
    "retention_run_continue",
    "retention_run_start",
    "run_exclusively",
]
