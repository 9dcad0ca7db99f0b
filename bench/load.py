"""The caseworker's pages under concurrent load, beside a bare view running the same SQL.

Uses bench/pages.py's database (tracing_bench_pages: 100,000 cases with 3 contacts
each, a caseworker with a queue of 30 cases; built here if missing, `--reuse` skips
the build when it is there), signs the caseworker in by making a session in the
database, and serves the app with gunicorn on 127.0.0.1 (DEBUG off, settings from
bench/settings_load.py: the app's own, plus the yardsticks' URLs). wrk then loads
each page with 8 and with 50 clients, and in the same run, on the same server and
session, a bare view (bench/bare.py) that runs the SQL a real request to that page
ran, with no ORM objects and no template. Prints, per page and number of clients,
req/s, p50, p95 and p99 latency, the bare view's req/s and p95, and the ratio of the
bare view's req/s to the page's (1.0: the page costs no more than its queries), with
the medians of `--repeat` runs. For scale, /health/ and a signed-in empty view (what
the middleware alone costs) are loaded too. Every response is counted: anything but a
200 (a 302 to the sign-in page would look fast) is shown in the last column.

gunicorn runs 2 sync workers of one thread by default, one per core of the machine
this was written on: a page here spends most of its time in Python, not waiting on
the database, so more processes than cores would only take turns, and threads share
one GIL. `--workers` tries others.

A benchmark, not a test: it prints figures and never fails on a time.

    apt-get install -y wrk
    .venv/bin/python bench/load.py [--reuse] [--repeat 3] [--seconds 15]
    .venv/bin/python bench/load.py --reuse --profile   # where one request's time goes
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.intake import free_port  # noqa: E402
from bench.summary import add_summary_option, record, summary_row  # noqa: E402

DB_NAME = "tracing_bench_pages"  # bench/pages.py's database
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings_load"
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/3")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# The pages as a caseworker sees them after signing in: no second factor asked for,
# no broker to reach.
os.environ["TWO_FACTOR_REQUIRED_FOR"] = "none"
os.environ["CELERY_BROKER_URL"] = "memory://"

# wrk's own figures, one line, from the done() hook: its percentiles are of every
# request of the run, and a response() hook counts each answer that is not a 200
# (wrk's own count leaves out 3xx, and a redirect to the sign-in page is a 3xx).
WRK_SCRIPT = """
local threads = {}
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  not_ok = 0
end
function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end
function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("not_ok")
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d p50_us=%d p95_us=%d p99_us=%d "
      .. "not_ok=%d socket_errors=%d\\n",
    summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(95), latency:percentile(99), bad,
    e.connect + e.read + e.write + e.timeout))
end
"""


@dataclass
class Run:
    rate: float  # requests a second
    p50: float  # ms
    p95: float
    p99: float
    not_ok: int  # answers other than 200, and socket errors


@dataclass
class Target:
    label: str
    url: str
    bare: str | None = None  # the name of its bare view; None: no yardstick
    bare_url: str | None = None


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--queue", type=int, default=30)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="Skip building the database when it has the cases already.",
    )
    parser.add_argument(
        "--clients",
        default="8,50",
        help="Connections held open by wrk, comma separated (default 8,50).",
    )
    parser.add_argument("--seconds", type=int, default=15, help="Each measured run.")
    parser.add_argument("--warmup", type=int, default=3, help="Before each run.")
    parser.add_argument(
        "--repeat", type=int, default=3, help="Runs to take the median of."
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn sync workers, one thread each (default 2: one per core).",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="Instead of loading: cProfile 20 requests of each page with the test "
        "Client and print where the time goes.",
    )
    add_summary_option(parser)
    return parser.parse_args()


# --- the database, the caseworker and their session -----------------------------------


def prepare(args: argparse.Namespace) -> tuple[str, list[Target], dict]:
    """Builds or reuses the database; returns the caseworker's session cookie, the pages
    to load, and the SQL each page's bare view replays."""
    from bench.pages import ensure_database, fill, give_queue

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.urls import reverse

    from cases.models import Case

    if not (args.reuse and _has_bulk_cases(connection, args.cases)):
        fill(args.cases)
    else:
        # Reused: brought up to the code's schema (a column added since it was built).
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    caseworker = get_user_model().objects.get(username="nurse.ada")
    queue = give_queue(caseworker, Case, args.queue)
    # The case of their queue with the most contacts: the demo's first cases have
    # none, and a case page without contacts would time the lightest page there is.
    case = (
        Case.objects.held()
        .assigned_to(caseworker)
        .annotate(named=Count("contacts"))
        .order_by("-named", "pk")
        .first()
    )
    if case is None:
        raise SystemExit(f"{caseworker.username} holds no case to open.")
    print(
        f"{Case.objects.count():,} cases; {caseworker.username} holds {queue}; "
        f"case page of {case.lab_reference} ({case.contacts.count()} contacts)",
        flush=True,
    )
    client = Client()
    client.force_login(caseworker)
    name = settings.SESSION_COOKIE_NAME
    cookie = f"{name}={client.cookies[name].value}"
    targets = [
        Target("health", reverse("health")),
        # The floor of any signed-in page here: the middleware and nothing else.
        Target("signed in", reverse("bench-signed-in")),
        Target("My work", reverse("cases:queue"), "queue"),
        Target("case page", reverse("cases:detail", args=[case.pk]), "case"),
    ]
    floor = _captured(client, reverse("bench-signed-in"))
    replay = {}
    for target in pages(targets):
        target.bare_url = reverse("bench-bare", args=[target.bare])
        page = _captured(client, target.url)
        sqls = replay[target.bare] = _view_statements(page, floor)
        writes = sum(not sql.lstrip().upper().startswith("SELECT") for sql in sqls)
        print(
            f"{target.label}: {len(page)} queries, {len(page) - len(sqls)} of them "
            f"the middleware's (the bare view pays those too); the bare view replays "
            f"the other {len(sqls)} ({writes} writes)",
            flush=True,
        )
    return cookie, targets, replay


def pages(targets: list[Target]) -> list[Target]:
    """The pages with a yardstick: the caseworker's."""
    return [target for target in targets if target.bare]


def _has_bulk_cases(connection, cases: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('cases_case') IS NOT NULL")
        if not cursor.fetchone()[0]:
            return False
        cursor.execute(
            "SELECT count(*) FROM cases_case WHERE lab_reference LIKE %s", ["BULK%"]
        )
        return cursor.fetchone()[0] >= cases


def _captured(client, url: str) -> list[str]:
    """The SQL one request to `url` runs, after a first request has warmed it."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    return [query["sql"] for query in queries.captured_queries]


def _timeless(sql: str) -> str:
    """The statement with its timestamps blanked: the session's read compares the
    expiry with the time of the request, the same statement at another moment."""
    return re.sub(r"'[0-9T:.+ -]+'::timestamptz", "'?'::timestamptz", sql)


def _view_statements(page: list[str], floor: list[str]) -> list[str]:
    """The page's statements less the middleware's (those of a signed-in request to
    an empty view), and less the session's writes and savepoints, which replayed on
    their own would mean nothing."""
    left = Counter(map(_timeless, floor))
    kept = []
    for sql in page:
        if left[_timeless(sql)]:
            left[_timeless(sql)] -= 1
            continue
        if re.match(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO)", sql, re.I):
            continue
        if re.match(r"\s*(UPDATE|INSERT INTO|DELETE FROM) \"django_session\"", sql):
            continue
        kept.append(sql)
    return kept


# --- the server and the load ----------------------------------------------------------


def start_server(workers: int, replay_file: str, log) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "ENVIRONMENT": "development",  # no HTTPS redirect on 127.0.0.1
        "ALLOWED_HOSTS": "127.0.0.1",
        "BENCH_LOAD_REPLAY": replay_file,
        # WhiteNoise warns that static files were never collected: wrk fetches no
        # static file, so the warning would only hide the server's real errors.
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    env.pop("CONN_MAX_AGE", None)  # the settings' default, as deployed
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "tracing.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            "1",
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(port, "/health/", "")[0] == 200:
                return server, port
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not start within a minute")


def get(port: int, url: str, cookie: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", url, headers={"Cookie": cookie})
    response = conn.getresponse()
    return response.status, response.read()


def wrk(
    port: int, url: str, cookie: str, clients: int, seconds: int, script: str
) -> Run:
    command = [
        "wrk",
        "-t",
        "2",
        "-c",
        str(clients),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        script,
        "-H",
        f"Cookie: {cookie}",
        f"http://127.0.0.1:{port}{url}",
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    found = re.search(r"^RESULT (.*)$", out, re.M)
    if found is None:
        raise SystemExit(f"wrk printed no result:\n{out}")
    figures = {k: int(v) for k, v in (p.split("=") for p in found.group(1).split())}
    return Run(
        rate=figures["requests"] / (figures["duration_us"] / 1e6),
        p50=figures["p50_us"] / 1000,
        p95=figures["p95_us"] / 1000,
        p99=figures["p99_us"] / 1000,
        not_ok=figures["not_ok"] + figures["socket_errors"],
    )


def measure(port: int, url: str, cookie: str, clients: int, args, script: str) -> Run:
    wrk(port, url, cookie, clients, args.warmup, script)
    drain(port, args.workers)
    run = wrk(port, url, cookie, clients, args.seconds, script)
    drain(port, args.workers)
    return run


def drain(port: int, workers: int) -> None:
    """Waits for the requests wrk left behind to be served. wrk stops with a request
    in flight on every connection, and gunicorn's sync workers still serve each one
    from the listen queue: left there, 50 of them would be the next run's first
    seconds. A health check on every worker at once, sent behind them, returns once
    the queue ahead of it is empty."""
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda _: get(port, "/health/", ""), range(workers)))


def check_pages(port: int, cookie: str, targets: list[Target]) -> None:
    """Each URL answers 200 through the server to this session before it is loaded."""
    for target in targets:
        for url in filter(None, [target.url, target.bare_url]):
            status, body = get(port, url, cookie)
            if status != 200:
                raise SystemExit(f"{url} answered {status}: {body[:200]!r}")


def median_run(runs: list[Run]) -> Run:
    return Run(
        rate=statistics.median(r.rate for r in runs),
        p50=statistics.median(r.p50 for r in runs),
        p95=statistics.median(r.p95 for r in runs),
        p99=statistics.median(r.p99 for r in runs),
        not_ok=sum(r.not_ok for r in runs),
    )


def load(args: argparse.Namespace, cookie: str, targets, replay: dict) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    clients = [int(c) for c in args.clients.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-load-") as folder:
        replay_file = str(Path(folder) / "replay.json")
        Path(replay_file).write_text(json.dumps(replay), encoding="utf-8")
        script = str(Path(folder) / "result.lua")
        Path(script).write_text(WRK_SCRIPT, encoding="utf-8")
        log_path = Path(folder) / "gunicorn.log"
        with open(log_path, "w", encoding="utf-8") as log:
            server, port = start_server(args.workers, replay_file, log)
            try:
                check_pages(port, cookie, targets)
                results = run_all(args, port, cookie, targets, clients, script)
            finally:
                server.terminate()
                server.wait(timeout=30)
        server_log = log_path.read_text(encoding="utf-8").strip()
    print_table(args, targets, clients, results)
    record(args.summary, summary_rows(args, results) if args.summary else [])
    if server_log:
        print("\ngunicorn said:\n" + server_log[-3000:])


def run_all(args, port: int, cookie: str, targets, clients, script: str) -> dict:
    """Each page and its bare view one after the other, so that both meet the same
    noise; the whole round `--repeat` times."""
    results: dict[tuple[str, int, str], list[Run]] = {}
    for round_ in range(1, args.repeat + 1):
        for target in targets:
            for count in clients:
                for kind, url in (("page", target.url), ("bare", target.bare_url)):
                    if url is None:
                        continue
                    run = measure(port, url, cookie, count, args, script)
                    results.setdefault((target.label, count, kind), []).append(run)
                    print(
                        f"  round {round_}: {target.label:<10} {kind:<5} c={count:<3}"
                        f" {run.rate:7.1f} req/s  p50 {run.p50:7.1f}  p95 "
                        f"{run.p95:7.1f}  p99 {run.p99:7.1f} ms  not 200: {run.not_ok}",
                        flush=True,
                    )
    return results


def print_table(args, targets, clients, results: dict) -> None:
    print(
        f"\ngunicorn {args.workers} sync workers x 1 thread; wrk -t 2, "
        f"{args.seconds} s after {args.warmup} s warm-up; median of {args.repeat}; "
        "ratio = bare req/s / page req/s (median of the rounds' ratios)\n"
    )
    header = (
        f"{'page':<11}{'clients':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}{'bare req/s':>12}{'bare p95':>10}{'ratio':>7}{'not 200':>9}"
    )
    print(header)
    print("-" * len(header))
    for target in targets:
        for count in clients:
            page_runs = results[(target.label, count, "page")]
            page = median_run(page_runs)
            bare_runs = results.get((target.label, count, "bare"))
            if bare_runs:
                bare = median_run(bare_runs)
                ratios = [
                    b.rate / p.rate if p.rate else float("inf")
                    for b, p in zip(bare_runs, page_runs, strict=True)
                ]
                yardstick = (
                    f"{bare.rate:>12.1f}{bare.p95:>10.1f}"
                    f"{statistics.median(ratios):>6.2f}x"
                )
                not_ok = page.not_ok + bare.not_ok
            else:
                yardstick = f"{'-':>12}{'-':>10}{'-':>7}"
                not_ok = page.not_ok
            print(
                f"{target.label:<11}{count:>8}{page.rate:>9.1f}{page.p50:>9.1f}"
                f"{page.p95:>9.1f}{page.p99:>9.1f}{yardstick}{not_ok:>9}"
            )


def summary_rows(args, results: dict) -> list[dict]:
    """The figures printed above, for bench/summary.py's one table: My work and the
    case page beside their bare views at 50 clients, and My work's p95 at 8 clients
    beside a fixed limit of 100 ms (a limit, not a yardstick measured in the run)."""
    from cases.models import Case

    cases = Case.objects.count()
    rows = []
    for label, target in (("My work", 1.3), ("case page", 1.5)):
        page_runs = results.get((label, 50, "page"))
        bare_runs = results.get((label, 50, "bare"))
        if not (page_runs and bare_runs):
            continue
        ratios = [
            b.rate / p.rate if p.rate else float("inf")
            for b, p in zip(bare_runs, page_runs, strict=True)
        ]
        page, bare = median_run(page_runs), median_run(bare_runs)
        not_ok = page.not_ok + bare.not_ok  # counted as print_table counts them
        rows.append(
            summary_row(
                work=f"{label} under load (gunicorn, {args.workers} workers)",
                size=f"{cases:,} cases, 50 clients",
                app=f"{page.rate:,.1f} req/s"
                + (f" ({not_ok} answers not 200)" if not_ok else ""),
                yardstick="a bare view running the same SQL",
                yardstick_figure=f"{bare.rate:,.1f} req/s",
                ratio=statistics.median(ratios),
                target=target,
            )
        )
    page_runs = results.get(("My work", 8, "page"))
    if page_runs:
        page = median_run(page_runs)
        rows.append(
            summary_row(
                work=f"My work's p95 latency (gunicorn, {args.workers} workers)",
                size=f"{cases:,} cases, 8 clients",
                app=f"{page.p95:,.1f} ms"
                + (f" ({page.not_ok} answers not 200)" if page.not_ok else ""),
                yardstick="a fixed limit (not measured)",
                yardstick_figure="100 ms",
                ratio=page.p95 / 100,
                target=1.0,
            )
        )
    return rows


# --- where one request's time goes ----------------------------------------------------


def profile(targets) -> None:
    import cProfile
    import pstats

    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="nurse.ada"))
    for target in pages(targets):
        client.get(target.url)
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(20):
            client.get(target.url)
        profiler.disable()
        print(f"\n=== {target.label}: 20 requests, by cumulative time ===")
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(30)
        print(f"=== {target.label}: the project's own code, by cumulative time ===")
        stats.print_stats(re.escape(str(ROOT)) + r"/(?!\.venv)", 25)
        print(f"=== {target.label}: by own time ===")
        stats.sort_stats("tottime").print_stats(15)


def main() -> None:
    args = parse_args()
    cookie, targets, replay = prepare(args)
    if args.profile:
        profile(targets)
        return
    load(args, cookie, targets, replay)


if __name__ == "__main__":
    main()
