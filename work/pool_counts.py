"""The pool by age, counted once a minute for every supervisor's board.

At a month at peak the pool holds some 63,000 cases and as many contacts. Counting a
kind by age reads each of its entries in the pool's index and, on the table pages
that assignment has changed since the last vacuum (most of them, with a run every
minute), the rows too: both kinds took 82 ms on such a pool, some 35 ms right after a
vacuum. Every supervisor's board paid that on every view and on every minute's
refresh, for the same figures. The beat counts the pool once a minute (work.tasks.count_pool_task)
and every board shows that count, with the time it was made. A board counts afresh
itself when there is no count from the last POOL_COUNT_MAX_AGE (no beat running, a
cache that does not answer), and after a supervisor moves work in or out of the pool
(items_reassign forgets the count), so their own move shows at once. (A count the
beat began before the move and kept after it shows the pool before the move, with
its time, until the next minute's.)

What may be given out now is counted by assignment's own rule (work.assignment.
assignable_pool: the call time come, the deadline for the local team not passed). What
of it waits for an interpreter's language (waiting_languages) is counted with it, by
the beat too: a board counts "due a call now" and the idle alarm only for work
someone on shift could be given, and says what waits for a speaker, without reading
the pool on every view.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import connections
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery

from cases.models import Case
from cases.workitem import WorkItem
from contacts.models import Contact
from people.models import Language, Person

logger = logging.getLogger(__name__)

AGE_BUCKETS: list[tuple[str, int, int | None]] = [
    ("Under 1 hour", 0, 1),
    ("1 to 4 hours", 1, 4),
    ("4 to 12 hours", 4, 12),
    ("12 to 24 hours", 12, 24),
    ("Over 24 hours", 24, None),
]
# The beat counts every minute: a count older than this means it is not running.
POOL_COUNT_MAX_AGE = timedelta(seconds=90)
CACHE_VERSION = 4


@dataclass(frozen=True)
class KindCount:
    """One kind's pool (cases or contacts) by age, as of its count's time."""

    buckets: tuple[int, ...]  # in the order of AGE_BUCKETS
    total: int
    overdue: int  # its next call already due
    # Assignment may give out now (work.assignment.assignable_pool: no call held back
    # for an online answer, a call-back time, the gap between attempts; not past its
    # deadline, which makes it the local team's).
    due: int = 0
    # Of `due`, what only a speaker of its language may be given (the person needs
    # an interpreter): (language id, name, how many), by waiting_languages.
    languages: tuple[tuple[int, str, int], ...] = ()


@dataclass(frozen=True)
class PoolCount:
    counted_at: datetime
    cases: KindCount
    contacts: KindCount

    def of(self, model: type[WorkItem]) -> KindCount:
        return self.cases if model is Case else self.contacts


def count_kind(model: type[WorkItem], now: datetime) -> KindCount:
    """One aggregate query over the kind's pool. `due` is assignment's rule
    (work.assignment.assignable_pool), whose conditions are the same."""
    buckets = {
        f"b{i}": Count(
            "pk",
            filter=Q(created_at__lte=now - timedelta(hours=lo))
            & (Q() if hi is None else Q(created_at__gt=now - timedelta(hours=hi))),
        )
        for i, (_label, lo, hi) in enumerate(AGE_BUCKETS)
    }
    row = model.objects.awaiting_assignment().aggregate(
        total=Count("pk"),
        overdue=Count("pk", filter=Q(next_attempt_at__lt=now)),
        due=Count("pk", filter=_assignable(now, model)),
        **buckets,
    )
    return KindCount(
        buckets=tuple(row[f"b{i}"] for i in range(len(AGE_BUCKETS))),
        total=row["total"],
        overdue=row["overdue"],
        due=row["due"],
        languages=waiting_languages(model, now) if row["due"] else (),
    )


def _assignable(now: datetime, model: type[WorkItem]) -> Q:
    """The condition of assignment's own pool (work.assignment.assignable_now), as a
    filter of this count of the items awaiting assignment: the same rule, not a copy
    of it."""
    # Imported here, not above: work.assignment imports this module (to forget the
    # count).
    from .assignment import assignable_now  # noqa: PLC0415

    return assignable_now(now, model)


def waiting_languages(
    model: type[WorkItem], now: datetime
) -> tuple[tuple[int, str, int], ...]:
    """Of what assignment may give out now, what only a speaker of its language may
    be given (the person needs an interpreter), by language: (language id, name, how
    many). One grouped query, each item's person looked up by its key (the pool's
    people joined whole would be read whole), and the names when some wait.
    Counted with the pool (count_kind), once a minute by the beat."""
    # Imported here, not above: work.assignment imports this module.
    from .assignment import assignable_pool  # noqa: PLC0415

    language = Subquery(
        Person.objects.filter(
            pk=OuterRef("person_id"), needs_interpreter=True, language__isnull=False
        ).values("language_id")[:1],
        output_field=IntegerField(),
    )
    wanted = dict(
        assignable_pool(model, now)
        .order_by()
        .values(speaker_of=language)
        .annotate(n=Count("pk"))
        .values_list("speaker_of", "n")
    )
    wanted.pop(None, None)
    if not wanted:
        return ()
    names = dict(Language.objects.filter(pk__in=wanted).values_list("pk", "name"))
    return tuple(
        sorted(
            ((pk, names.get(pk, ""), n) for pk, n in wanted.items()),
            key=lambda row: (row[1], row[0]),
        )
    )


def count_pool(now: datetime) -> PoolCount:
    """The pool counted now, from the database (two queries)."""
    return PoolCount(
        counted_at=now,
        cases=count_kind(Case, now),
        contacts=count_kind(Contact, now),
    )


def _key() -> str:
    # Of this database: two databases (or two test runs) sharing one Redis never
    # read each other's count.
    database = connections["default"].settings_dict["NAME"]
    return f"work:pool-count:v{CACHE_VERSION}:{database}"


def count_pool_for_boards(now: datetime) -> PoolCount:
    """Count the pool now and keep the count for the boards (the beat's task)."""
    counted = count_pool(now)
    try:
        # Kept no longer than a board would show it.
        cache.set(_key(), counted, int(POOL_COUNT_MAX_AGE.total_seconds()))
    except Exception:  # the cache is a help, not a dependency
        logger.warning("pool count cache unavailable", exc_info=True)
    return counted


def pool_count(now: datetime) -> PoolCount:
    """The beat's count of the pool when it was made within POOL_COUNT_MAX_AGE of
    `now` (and not after it), else the pool counted now (and not kept: only the beat
    keeps a count, so a board without a beat always counts afresh)."""
    try:
        kept = cache.get(_key())
    except Exception:
        logger.warning("pool count cache unavailable", exc_info=True)
        kept = None
    if isinstance(kept, PoolCount) and (
        timedelta(0) <= now - kept.counted_at <= POOL_COUNT_MAX_AGE
    ):
        return kept
    return count_pool(now)


def forget_pool_count() -> None:
    """The next board counts the pool afresh (after a supervisor moved work in or out
    of it; tests whose data differ)."""
    try:
        cache.delete(_key())
    except Exception:
        logger.warning("pool count cache unavailable", exc_info=True)
