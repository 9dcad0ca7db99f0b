"""A month at peak: every page and operation of issue 19, demo data against peak.

Two databases of its own, each made by a child process of this script (Django binds
one database per process):

- the demo (tracing_bench_scale_demo): migrated and filled by the project's
  seed_demo, as `make run` does;
- the month at peak (tracing_bench_scale): the month bench/figures.py generates and
  loads (2,000,000 cases, 6,000,000 contacts, their people and calls, the national
  staff and their shifts; COPY, indexes after), with `--scale` for a fraction of
  it. On top of the month, the present: every item the local teams took has its
  Escalation (open or closed), 63,000 cases and 63,000 contacts (times the scale)
  are waiting now (one in fifty already due for escalation), the national staff are
  on shift now and trained, a caseworker and a call handler hold 30 items each, and
  a supervisor, a local team member (of the team with most escalations) and an
  administrator have accounts.

Then, in each database, warm (two calls first) and the median of five: the beat's
capacity forecast and count of the pool by age (kept for the dashboard, as the beat
keeps them), My work, the
case page, the contact page, the local queue, the supervisor dashboard, the admin
cases and contacts lists (unfiltered and filtered by status), the API cases and
contacts lists (`?status=new`), the escalation CSV (first byte and whole), the
busiest week's figures (cold, after forget_cached_figures, and cached), one
assignment run and one escalation sweep batch (each in a transaction rolled back,
so every run sees the same pool). Pages go through Django's test Client with
force_login; the cache is Redis (db 10, emptied at the start). At peak, every
statement a page or operation made that reads is run again under EXPLAIN ANALYZE
(as tests/scale does, DECLAREs and UNIONs too), and any sequential scan of people,
cases, contacts, calls or escalations, or a sort spilling to disk, is printed as a
WARNING line.

It prints one table: page or operation | demo ms | peak ms | queries (demo / peak) |
under its limit? (300 ms for pages, API lists, an export's first byte and an
assignment run; the busiest week's figures 100 ms cached, 400 ms cold).

    .venv/bin/python bench/scale.py --scale 0.1      # 200,000 cases: ~2 min
    .venv/bin/python bench/scale.py                  # the month: ~10 min to load
    .venv/bin/python bench/scale.py --reuse          # keep both databases as loaded

A benchmark, not a test: it prints figures and never fails on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import figures as month  # noqa: E402  (after the path is set)

SERVER = "postgres://postgres@127.0.0.1:5432"
PEAK_DB = "tracing_bench_scale"
DEMO_DB = "tracing_bench_scale_demo"
REDIS = "redis://127.0.0.1:6379/10"
RUNS = 5
WARM = 2
SLOW_SECONDS = 3.0
WAITING = 63_000  # cases waiting, and as many contacts, at the full month
DUE_EVERY = 50  # one waiting item in this many is already due for escalation
QUEUE = 30  # items held by the timed caseworker and call handler
PAGE_LIMIT = 300
# The bench's own staff (bench/figures.py) start their present shifts after this.
PRESENT = "2024-01-01"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of the month (default 1)"
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the databases a run (at the same scale) loaded before",
    )
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--peak-url", default=f"{SERVER}/{PEAK_DB}")
    parser.add_argument("--demo-url", default=f"{SERVER}/{DEMO_DB}")
    parser.add_argument("--redis-url", default=REDIS)
    # Internal: one child process builds and measures one database.
    parser.add_argument("--role", choices=["demo", "peak"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for url in (args.peak_url, args.demo_url):
        name = urlsplit(url).path.lstrip("/")
        if not name.startswith("tracing_bench"):
            parser.error(f"{name} is not a bench database: it would be dropped")
    return args


# --- one database: build --------------------------------------------------------------


def setup_django(url: str, redis_url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["REDIS_URL"] = redis_url
    os.environ["CACHE_KEY_PREFIX"] = "bench-scale"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tracing.settings"
    os.environ["TWO_FACTOR_REQUIRED_FOR"] = "none"
    # Messages the demo queues go nowhere: no worker runs, and no folder is needed.
    os.environ["CELERY_BROKER_URL"] = "memory://"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def build_demo(url: str, reuse: bool, redis_url: str) -> None:
    marker = "bench/scale.py demo"
    if reuse and month.loaded_marker(url) == marker:
        print("Reusing the demo database", flush=True)
        setup_django(url, redis_url)
        return
    month.fresh_database(url)
    setup_django(url, redis_url)
    from django.core.management import call_command
    from django.utils import timezone

    from ops.demo import seed_demo
    from work.assignment import assign_work

    with month.Step("demo: migrate and seed_demo"):
        call_command("migrate", verbosity=0)
        seed_demo()
        # The demo's cases come in as its staff have time for them: in the evening
        # none has, and every new case waits in the pool. The app's beat hands them
        # to the staff on shift within a minute; so does this, so that the timed
        # caseworker and call handler hold a queue at any hour of their shifts.
        assign_work(now=timezone.now())
        month.sql("ANALYZE")
    month.mark_loaded(url, marker)


def build_peak(url: str, scale: float, reuse: bool, redis_url: str) -> None:
    marker = f"bench/scale.py peak scale={scale}"
    if reuse and month.loaded_marker(url) == marker:
        print(f"Reusing the month at peak (scale {scale})", flush=True)
        setup_django(url, redis_url)
        from django.core.management import call_command

        # Indexes added since the load (other work on the same code) are made now.
        with month.Step("migrate (anything new since the load)"):
            call_command("migrate", verbosity=0)
        with month.Step("the present: shifts now"):
            present_shifts()
        return
    print(f"Month at peak, scale {scale}: {urlsplit(url).path.lstrip('/')}", flush=True)
    month.fresh_database(url)
    setup_django(url, redis_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    n = month.scaled(scale)
    started = time.perf_counter()
    with month.Step("generating the month"):
        areas, fallback = month.english_areas()
        the_month = month.make_month(n, areas, fallback)
    counts = month.load(the_month)
    del the_month
    present(n, scale)
    seconds = time.perf_counter() - started
    print(
        f"Loaded in {seconds:.0f} s: "
        + ", ".join(f"{table} {rows:,}" for table, rows in counts.items()),
        flush=True,
    )
    month.mark_loaded(url, marker)


def present(n: dict[str, int], scale: float) -> None:
    """The month's work as it stands now: escalations, a waiting pool, staff on
    shift, queues, and the accounts that look at them."""
    from django.utils import timezone

    now = timezone.now()
    params = {"now": now, "today": timezone.localdate(now)}
    with month.Step("escalations of everything the local teams took"):
        for table, column in (
            ("cases_case", "case_id"),
            ("contacts_contact", "contact_id"),
        ):
            month.sql(
                f"""
                INSERT INTO escalations_escalation (
                    {column}, local_team_id, reason, detail, area_unknown, status,
                    created_at, created_by_id, due_at, picked_up_at, picked_up_by_id,
                    closed_at, outcome, outcome_note)
                SELECT id, local_team_id, 'unreached', '', area_unknown,
                       CASE WHEN closed_at IS NULL THEN 'new' ELSE 'closed' END,
                       escalated_at, NULL, escalated_at + interval '24 hours', NULL,
                       NULL, closed_at,
                       CASE WHEN closed_at IS NULL THEN ''
                            WHEN reached_at IS NULL THEN 'not_found'
                            ELSE 'reached' END, ''
                  FROM {table}
                 WHERE escalated_at IS NOT NULL AND local_team_id IS NOT NULL
                """
            )
    waiting = max(100, round(WAITING * scale))
    with month.Step(f"{waiting:,} cases and {waiting:,} contacts waiting now"):
        first_case = waiting_people(waiting, now)
        month.sql(
            f"""
            INSERT INTO cases_case ({month.CASE_COLUMNS.replace("id, ", "", 1)})
            SELECT 'new', p.area_id IS NULL, CASE WHEN g %% 20 = 0 THEN 1 ELSE 0 END,
                   %(today)s::date + 8, 0, NULL,
                   CASE WHEN g %% {DUE_EVERY} = 0 THEN %(now)s - interval '1 minute'
                        ELSE t.at + interval '72 hours' END,
                   t.at, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL, p.area_id,
                   NULL, NULL, p.id, 'WAIT' || lpad(g::text, 8, '0'),
                   %(today)s::date - 2, %(today)s::date - 1, NULL, 'api', 'routine',
                   '', false, ''
              FROM generate_series(0, %(count)s - 1) g
              JOIN people_person p ON p.id = %(first)s + g
             CROSS JOIN LATERAL (
                   SELECT %(now)s - interval '48 hours'
                          * ((g::bigint * 7919) %% %(count)s) / %(count)s AS at) t
            """,
            {**params, "count": waiting, "first": first_case},
        )
        first_contact = waiting_people(waiting, now)
        month.sql(
            f"""
            INSERT INTO contacts_contact ({month.CONTACT_COLUMNS.replace("id, ", "", 1)})
            SELECT 'new', p.area_id IS NULL, 0, %(today)s::date + 9, 0, NULL,
                   CASE WHEN g %% {DUE_EVERY} = 0 THEN %(now)s - interval '1 minute'
                        ELSE t.at + interval '72 hours' END,
                   t.at, NULL, NULL, NULL, NULL, '', NULL, NULL, NULL, p.area_id,
                   NULL, NULL, p.id, %(today)s::date - 3, 'household',
                   1 + (g::bigint * 104729) %% %(cases)s, NULL
              FROM generate_series(0, %(count)s - 1) g
              JOIN people_person p ON p.id = %(first)s + g
             CROSS JOIN LATERAL (
                   SELECT %(now)s - interval '36 hours'
                          * ((g::bigint * 7919) %% %(count)s) / %(count)s AS at) t
            """,
            {**params, "count": waiting, "first": first_contact, "cases": n["cases"]},
        )
    with month.Step("national staff trained, registered and on shift now"):
        month.sql(
            "UPDATE staffing_staffprofile SET registration_verified_on = %(today)s::date"
            " - 30, registration_expires_on = %(today)s::date + 365 WHERE tier = 2",
            params,
        )
        month.sql(
            """
            INSERT INTO staffing_trainingcompletion (profile_id, module_id, completed_on)
            SELECT p.id, m.id, %(today)s::date - 50
              FROM staffing_staffprofile p
              JOIN staffing_trainingmodule m ON m.tier = p.tier AND m.required
            ON CONFLICT DO NOTHING
            """,
            params,
        )
        present_shifts()
    with month.Step("accounts and queues"):
        accounts(n)
    with month.Step("VACUUM ANALYZE"):
        for table in (
            *month.BIG_TABLES,
            "escalations_escalation",
            "staffing_shift",
            "staffing_staffprofile",
            "staffing_trainingcompletion",
        ):
            month.sql(f"VACUUM ANALYZE {table}")


def waiting_people(count: int, now) -> int:
    """People for waiting work, in English areas; returns the first id."""
    month.sql(
        """
        INSERT INTO people_person (first_name, last_name, nhs_number, phone, phone_alt,
                                   email, address, postcode, needs_interpreter,
                                   language_id, area_id, created_at, updated_at)
        SELECT 'Waiting', 'Person ' || g, '', '+4478' || lpad(g::text, 8, '0'), '', '',
               '', '', false, NULL, a.ids[1 + g %% array_length(a.ids, 1)],
               %(now)s, %(now)s
          FROM generate_series(1, %(count)s) g,
               (SELECT array_agg(id ORDER BY id) ids FROM areas_area
                 WHERE code LIKE 'E%%') a
        """,
        {"count": count, "now": now},
    )
    ((last,),) = month.rows(
        "SELECT currval(pg_get_serial_sequence('people_person', 'id'))"
    )
    return last - count + 1


def present_shifts() -> None:
    """Every national member of staff on a shift from two hours ago to six ahead."""
    from django.utils import timezone

    now = timezone.now()
    month.sql(
        "DELETE FROM staffing_shift WHERE starts_at > %(present)s AND staff_id IN"
        " (SELECT id FROM staffing_staffprofile WHERE tier IN (2, 3))",
        {"present": PRESENT},
    )
    month.sql(
        """
        INSERT INTO staffing_shift (tier, team_id, staff_id, starts_at, ends_at, status,
                                    booked_at, cancel_reason)
        SELECT tier, team_id, id, %(now)s - interval '2 hours',
               %(now)s + interval '6 hours', 'booked', %(now)s - interval '2 days', ''
          FROM staffing_staffprofile WHERE tier IN (2, 3) AND team_id IS NOT NULL
        """,
        {"now": now},
    )


def accounts(n: dict[str, int]) -> None:
    """A supervisor of each national tier, a local team member of the team with most
    escalations, an administrator; a caseworker (user 1) and a call handler (the
    first of tier 3) holding QUEUE items each."""
    from datetime import timedelta

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from areas.models import LocalTeam
    from cases.models import Case
    from cases.workitem import Status
    from contacts.models import Contact
    from staffing.models import Organisation, StaffProfile, Tier

    now = timezone.now()
    month.sql(
        "UPDATE staffing_staffprofile SET is_supervisor = true WHERE user_id IN"
        " (%(a)s, %(b)s)",
        {"a": n["tier2"], "b": n["tier2"] + n["tier3"]},
    )
    users = get_user_model().objects
    users.create_superuser("bench.admin", "bench.admin@example.org", None)
    ((team_id, _),) = month.rows(
        "SELECT local_team_id, count(*) FROM escalations_escalation"
        " GROUP BY 1 ORDER BY 2 DESC LIMIT 1"
    )
    council, _ = Organisation.objects.get_or_create(
        name="Bench Council", defaults={"kind": Organisation.Kind.COUNCIL}
    )
    StaffProfile.objects.create(
        user=users.create_user("bench.local", first_name="Local", last_name="Bench"),
        tier=Tier.LOCAL,
        organisation=council,
        local_team=LocalTeam.objects.get(pk=team_id),
        started_on=now.date() - timedelta(days=400),
        signed_off_at=now - timedelta(days=300),
    )
    for model, user_id in ((Case, 1), (Contact, n["tier2"] + 1)):
        pks = list(
            model.objects.filter(status=Status.NEW)
            .order_by("-created_at")
            .values_list("pk", flat=True)[:QUEUE]
        )
        # A bench fixture, not a door: straight to the table (as bench/pages.py does).
        model.objects.filter(pk__in=pks).update(
            assignee_id=user_id,
            status=Status.ASSIGNED,
            assigned_at=now,
            next_attempt_at=now,
        )


# --- one database: measure ------------------------------------------------------------


class Who:
    """The accounts and items the pages are timed with, found the same way in both
    databases."""

    def __init__(self):
        from django.contrib.auth import get_user_model
        from django.db.models import Count

        from cases.models import Case
        from contacts.models import Contact
        from escalations.models import Escalation
        from staffing.models import StaffProfile, Tier

        users = get_user_model().objects

        def busiest(model):
            row = (
                model.objects.held()
                .values("assignee")
                .annotate(n=Count("id"))
                .order_by("-n", "assignee")
                .first()
            )
            if row is None:
                raise SystemExit(
                    f"No {model._meta.verbose_name} is held by anyone here: no one "
                    "is on shift now to be handed one (bench/scale.py times a "
                    "caseworker's and a call handler's queues)."
                )
            return users.get(pk=row["assignee"])

        self.caseworker = busiest(Case)
        self.handler = busiest(Contact)
        self.case = Case.objects.held().assigned_to(self.caseworker).order_by("pk")[0]
        self.contact = (
            Contact.objects.held().assigned_to(self.handler).order_by("pk").first()
        )
        self.supervisor = (
            StaffProfile.objects.filter(is_supervisor=True, tier=Tier.CLINICAL)
            .order_by("pk")
            .first()
            .user
        )
        local = StaffProfile.objects.filter(tier=Tier.LOCAL, local_team__isnull=False)
        team = (
            Escalation.objects.filter(local_team__in=local.values("local_team"))
            .values("local_team")
            .annotate(n=Count("id"))
            .order_by("-n", "local_team")
            .first()
        )
        self.local = (
            local.filter(local_team=team["local_team"]).order_by("pk").first().user
        )
        self.team_escalations = team["n"]
        self.admin = users.filter(is_superuser=True).order_by("pk").first()


class Result:
    """One row: `key` matches the demo's row to the peak's; `detail` is this
    database's own (how many rows, how many waiting)."""

    def __init__(self, key: str, limit: int | None, detail: str = ""):
        self.key = key
        self.detail = detail
        self.limit = limit
        self.ms: float | None = None
        self.queries: int | None = None
        self.note = ""


def client_for(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def fetch(client, url: str) -> tuple[int, float | None]:
    """One GET, its streamed body read to the end: (status, ms to the first byte of a
    stream, else None)."""
    started = time.perf_counter()
    response = client.get(url)
    first = None
    if response.streaming:
        chunks = iter(response.streaming_content)
        next(chunks, b"")
        first = (time.perf_counter() - started) * 1000
        for _ in chunks:
            pass
    return response.status_code, first


def measure_page(
    client, url: str, runs: int, label: str, limit, explain, detail: str = ""
) -> list:
    """Warm, then the median of `runs`; the queries of one more request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    started = time.perf_counter()
    status, _ = fetch(client, url)
    runs, warm = shortened(runs, time.perf_counter() - started)
    for _ in range(warm - 1):
        status, _ = fetch(client, url)
    whole, firsts = [], []
    for _ in range(runs):
        started = time.perf_counter()
        status, first = fetch(client, url)
        whole.append((time.perf_counter() - started) * 1000)
        if first is not None:
            firsts.append(first)
    with CaptureQueriesContext(connection) as captured:
        fetch(client, url)
    explain(label, captured.captured_queries)
    out = []
    if firsts:
        head = Result(f"{label}: first byte", limit, detail)
        head.ms, head.queries = statistics.median(firsts), len(captured)
        tail = Result(f"{label}: whole", None, detail)
        tail.ms, tail.queries = statistics.median(whole), len(captured)
        out = [head, tail]
    else:
        result = Result(label, limit)
        result.ms, result.queries = statistics.median(whole), len(captured)
        out = [result]
    for result in out:
        if status != 200:
            result.note = f"HTTP {status}"
        elif runs != RUNS:
            result.note = f"median of {runs}"
    return out


def measure_operation(
    fn, runs: int, label: str, limit, explain, rollback=True, detail: str = ""
):
    """Warm, then the median of `runs`, each in a transaction rolled back (so each
    run finds the same work); the queries of one more run. Returns (Result, what
    the last run returned)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    def once():
        with transaction.atomic():
            started = time.perf_counter()
            value = fn()
            seconds = time.perf_counter() - started
            transaction.set_rollback(rollback)
        return seconds, value

    runs, warm = shortened(runs, once()[0])
    for _ in range(warm - 1):
        once()
    times = [once()[0] * 1000 for _ in range(runs)]
    with CaptureQueriesContext(connection) as captured:
        _, value = once()
    explain(label, captured.captured_queries)
    result = Result(label, limit, detail)
    result.ms, result.queries = statistics.median(times), len(captured)
    if runs != RUNS:
        result.note = f"median of {runs}"
    return result, value


def shortened(runs: int, first_seconds: float) -> tuple[int, int]:
    """(runs, warm-up calls): whatever takes seconds is warm after one call, and is
    timed three times, so that the whole bench ends the same hour."""
    if first_seconds > SLOW_SECONDS:
        return min(runs, 3), 1
    return runs, WARM


class Explainer:
    """EXPLAIN ANALYZE every statement a page or operation made that reads (the
    test's rules: tests/scale/plans.py, so a server-side cursor's DECLARE and a UNION
    are replayed too); warn of sequential scans of the big tables (people, cases,
    contacts, calls, escalations) and of sorts on disk."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.warnings: list[str] = []
        self.explained = 0

    def __call__(self, label: str, queries: list[dict]) -> None:
        if not self.enabled:
            return
        from django.db import connection, transaction

        from tests.scale.plans import problems, replayable

        for number, query in enumerate(queries, 1):
            try:
                statement = replayable(query["sql"])
            except AssertionError:
                self.warnings.append(f"{label}, query {number}: not a kind explained")
                continue
            if statement is None:
                continue
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}")
                    ((plan,),) = cursor.fetchall()
                    transaction.set_rollback(True)
            except Exception as error:  # a statement that cannot be replayed as text
                self.warnings.append(
                    f"{label}, query {number}: not explained ({type(error).__name__})"
                )
                continue
            self.explained += 1
            if isinstance(plan, str):
                plan = json.loads(plan)
            top = plan[0]
            for problem in problems(top["Plan"]):
                self.warnings.append(
                    f"{label}, query {number} ({top['Execution Time']:.0f} ms):"
                    f" {problem}: {' '.join(statement.split())[:300]}"
                )


def measure(runs: int, explain_plans: bool) -> dict:
    from django.core.cache import cache
    from django.urls import reverse
    from django.utils import timezone

    from areas.models import LocalTeam
    from cases.models import Case
    from contacts.models import Contact
    from escalations.models import Escalation
    from figures.tasks import capacity_forecast_task
    from figures.weekly import (
        Scope,
        compute_weekly_figures,
        forget_cached_figures,
        weekly_figures,
    )
    from figures.weekly_refresh import compute_team_figures
    from work.assignment import assign_work, assignable_pool, release_stranded_work
    from work.escalation import escalate_unreached, release_escalations_of_leavers
    from work.tasks import count_pool_task

    cache.clear()
    who = Who()
    explain = Explainer(explain_plans)
    worker, caller = client_for(who.caseworker), client_for(who.handler)
    local, supervisor = client_for(who.local), client_for(who.supervisor)
    admin = client_for(who.admin)
    pages = [
        # For scale: the whole stack around one SELECT 1, on this machine now.
        ("health (SELECT 1)", worker, reverse("health")),
        ("My work (caseworker, cases)", worker, reverse("cases:queue")),
        ("case page", worker, reverse("cases:detail", args=[who.case.pk])),
        ("My work (call handler, contacts)", caller, reverse("cases:queue")),
        ("contact page", caller, reverse("contacts:detail", args=[who.contact.pk])),
        ("local queue", local, reverse("escalations:queue")),
        ("supervisor dashboard", supervisor, reverse("staffing:dashboard")),
        ("admin cases list", admin, "/admin/cases/case/"),
        ("admin cases list ?status=new", admin, "/admin/cases/case/?status__exact=new"),
        ("admin contacts list", admin, "/admin/contacts/contact/"),
        (
            "admin contacts list ?status=new",
            admin,
            "/admin/contacts/contact/?status__exact=new",
        ),
        ("API cases ?status=new", admin, "/api/v1/cases/?status=new"),
        ("API contacts ?status=new", admin, "/api/v1/contacts/?status=new"),
    ]
    results: list[Result] = []
    # The beat's work, every five minutes, so that the dashboard never waits for it:
    # timed (no limit: no one waits for it), and cached for the dashboard after.
    result, _ = measure_operation(
        lambda: capacity_forecast_task(),
        runs,
        "capacity forecast (the beat's, every 5 minutes)",
        None,
        explain,
        rollback=False,
    )
    results.append(result)
    # The beat's count of the pool by age, every minute, which the dashboard shows
    # (work/pool_counts.py): timed, and kept for the dashboard after.
    result, _ = measure_operation(
        lambda: count_pool_task(),
        runs,
        "pool by age (the beat's, every minute)",
        None,
        explain,
        rollback=False,
    )
    results.append(result)
    for label, client, url in pages:
        results += measure_page(client, url, runs, label, PAGE_LIMIT, explain)
    results += measure_page(
        local,
        reverse("escalations:export"),
        runs,
        "escalation CSV",
        PAGE_LIMIT,
        explain,
        detail=f" ({who.team_escalations:,} rows)",
    )

    period, week_cases = month.busiest_week()

    def cold():
        forget_cached_figures()
        return weekly_figures(period=period, scope=Scope.england())

    result, _ = measure_operation(
        cold,
        runs,
        "weekly figures, busiest week: cold",
        400,
        explain,
        rollback=False,
        detail=f" ({week_cases:,} cases)",
    )
    results.append(result)
    weekly_figures(period=period, scope=Scope.england())
    result, _ = measure_operation(
        lambda: weekly_figures(period=period, scope=Scope.england()),
        runs,
        "weekly figures, busiest week: cached",
        100,
        explain,
        rollback=False,
    )
    results.append(result)
    forget_cached_figures()
    # The beat's refresh of the local teams: every team's busiest week at once (one
    # grouped query per block), beside the same figures computed team by team.
    teams = list(LocalTeam.objects.order_by("name"))
    result, _ = measure_operation(
        lambda: compute_team_figures(period=period, teams=teams),
        runs,
        "every local team's busiest week, at once (beat)",
        None,
        explain,
        rollback=False,
        detail=f" ({len(teams)} teams)",
    )
    results.append(result)
    result, _ = measure_operation(
        lambda: [
            compute_weekly_figures(period=period, scope=Scope.team(team))
            for team in teams
        ],
        runs,
        "the same, team by team",
        None,
        explain,
        rollback=False,
    )
    results.append(result)

    now = timezone.now()
    waiting = sum(assignable_pool(model, now).count() for model in (Case, Contact))
    result, report = measure_operation(
        lambda: assign_work(now=now),
        runs,
        "one assignment run",
        PAGE_LIMIT,
        explain,
        detail=f" ({waiting:,} waiting)",
    )
    result.note = ", ".join(f"{k} {v:,}" for k, v in report.assigned.items())
    results.append(result)
    due = sum(
        model.objects.due_for_escalation(now).count() for model in (Case, Contact)
    )
    result, (escalated, _) = measure_operation(
        lambda: escalate_unreached(now=now),
        runs,
        "escalation sweep, one batch",
        None,
        explain,
        detail=f" ({due:,} due)",
    )
    result.note = f"{escalated:,} escalated"
    results.append(result)
    # Before each assignment run (every minute), the work whose holder may no longer
    # do it is released; every sweep gives back what leavers had picked up. Both read
    # every item held to find the few to release.
    result, released = measure_operation(
        lambda: release_stranded_work(now=now),
        runs,
        "release of work held by staff who may no longer do it (every minute)",
        PAGE_LIMIT,
        explain,
    )
    result.note = f"{released:,} released"
    results.append(result)
    result, released = measure_operation(
        lambda: release_escalations_of_leavers(now=now),
        runs,
        "escalations picked up by leavers, given back (every sweep)",
        PAGE_LIMIT,
        explain,
    )
    result.note = f"{released:,} given back"
    results.append(result)
    return {
        "rows": [r.__dict__ for r in results],
        "warnings": explain.warnings,
        "explained": explain.explained,
        "size": {
            "cases": Case.objects.count()
            if not explain_plans
            else estimate("cases_case"),
            "contacts": (
                Contact.objects.count()
                if not explain_plans
                else estimate("contacts_contact")
            ),
            "escalations": estimate("escalations_escalation")
            if explain_plans
            else Escalation.objects.count(),
        },
    }


def estimate(table: str) -> int:
    ((n,),) = month.rows(
        "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table]
    )
    return n


def child(args: argparse.Namespace) -> None:
    if args.role == "demo":
        build_demo(args.demo_url, args.reuse, args.redis_url)
    else:
        build_peak(args.peak_url, args.scale, args.reuse, args.redis_url)
    print(f"Timing the {args.role} database...", flush=True)
    out = measure(args.runs, explain_plans=args.role == "peak")
    Path(args.out).write_text(json.dumps(out))


# --- both, as one table ---------------------------------------------------------------


def run_child(role: str, args: argparse.Namespace) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
        out = handle.name
    command = [
        sys.executable,
        __file__,
        "--role",
        role,
        "--out",
        out,
        "--scale",
        str(args.scale),
        "--runs",
        str(args.runs),
        "--peak-url",
        args.peak_url,
        "--demo-url",
        args.demo_url,
        "--redis-url",
        args.redis_url,
    ] + (["--reuse"] if args.reuse else [])
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    subprocess.run(command, check=True, env=env)
    result = json.loads(Path(out).read_text())
    os.unlink(out)
    return result


def verdict(row: dict) -> str:
    if row["note"].startswith("HTTP"):
        return row["note"]
    if row["limit"] is None:
        return "-"
    return ("yes" if row["ms"] < row["limit"] else "NO") + f" (< {row['limit']})"


def report(demo: dict, peak: dict, scale: float, runs: int) -> None:
    demo_rows = {r["key"]: r for r in demo["rows"]}
    size = peak["size"]
    print(
        f"\nRESULTS: demo against the month at peak (scale {scale}: ~{size['cases']:,}"
        f" cases, ~{size['contacts']:,} contacts, ~{size['escalations']:,}"
        f" escalations); warm, median of {runs}, ms"
    )
    width = max(len(r["key"] + r["detail"]) for r in peak["rows"]) + 2
    print(
        f"{'page or operation':<{width}}{'demo ms':>9}{'peak ms':>10}"
        f"{'queries':>12}  under its limit?"
    )
    for row in peak["rows"]:
        base = demo_rows.get(row["key"]) or {}
        demo_ms = base.get("ms")
        queries = f"{base.get('queries', '-')} / {row['queries']}"
        note = (
            f"  [{row['note']}]"
            if row["note"] and not row["note"].startswith("HTTP")
            else ""
        )
        print(
            f"{row['key'] + row['detail']:<{width}}"
            f"{'-' if demo_ms is None else f'{demo_ms:.1f}':>9}{row['ms']:>10.1f}"
            f"{queries:>12}  {verdict(row)}{note}"
        )
    print(f"\nEXPLAIN ANALYZE of {peak['explained']} statements at peak:", end="")
    if peak["warnings"]:
        print()
        for line in peak["warnings"]:
            print(f"WARNING {line}")
    else:
        print(" no Seq Scan on cases_case or contacts_contact, no sort on disk.")


def main() -> None:
    args = parse_args()
    if args.role:
        child(args)
        return
    started = time.perf_counter()
    demo = run_child("demo", args)
    peak = run_child("peak", args)
    report(demo, peak, args.scale, args.runs)
    print(f"\n({(time.perf_counter() - started) / 60:.1f} min in all)")


if __name__ == "__main__":
    main()
