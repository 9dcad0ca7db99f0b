"""How quick the caseworker's pages are with 100,000 cases in the database.

Fills a dedicated database (tracing_bench_pages: migrate, seed_demo, then
ops.bulk.bulk_seed up to 100,000 bulk cases with 3 contacts each), gives a demo
caseworker a queue of 30 cases and a demo call handler 30 contacts, then times
My work, the case page and the contact page with Django's test Client, ~50 requests
each, and prints median and p95 in milliseconds with the number of queries and
the time those queries took in the database.

For scale, each page is also shown as a ratio to /health/ (one SELECT 1 through the
same stack) measured in the same run. Not a test: it never fails on a time.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tracing_bench_pages \\
        .venv/bin/python bench/pages.py [--cases 100000] [--requests 50]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "tracing_bench_pages"
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{DB_NAME}")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracing.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# No broker to reach: seeding the demo queues tasks (as bench/load.py and scale.py do).
os.environ["CELERY_BROKER_URL"] = "memory://"


def ensure_database(url: str) -> None:
    """Create the benchmark's own database if it is not there yet."""
    import environ
    import psycopg2

    config = environ.Env.db_url_config(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("bench/pages.py measures PostgreSQL: set DATABASE_URL.")
    conn = psycopg2.connect(
        dbname="postgres",
        user=config["USER"],
        host=config["HOST"],
        port=config["PORT"] or 5432,
        password=config["PASSWORD"] or None,
    )
    conn.autocommit = True
    with conn.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [config["NAME"]])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{config["NAME"]}"')
    conn.close()


def fill(cases: int) -> None:
    from django.core.management import call_command
    from django.db import connection

    from cases.models import Case
    from ops.bulk import bulk_seed
    from ops.demo import seed_demo

    call_command("migrate", verbosity=0)
    seed_demo()
    have = Case.objects.filter(lab_reference__startswith="BULK").count()
    if have < cases:
        print(f"bulk-inserting {cases - have} cases (3 contacts each)...", flush=True)
        started = time.perf_counter()
        bulk_seed(cases=cases - have)
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def give_queue(user, model, size: int) -> int:
    """Top the person's queue up to `size` items taken from the bulk pool; returns
    its length (the demo data may already have given them more)."""
    from django.utils import timezone

    from cases.workitem import Status

    # A bench fixture, not a door: a queue longer than any open-work cap allows, to
    # time the page with many rows; written straight to the table for that reason.
    held = model.objects.held().assigned_to(user).count()
    pks = list(
        model.objects.filter(status=Status.NEW)
        .order_by("pk")
        .values_list("pk", flat=True)[: max(0, size - held)]
    )
    model.objects.filter(pk__in=pks).update(
        assignee=user, status=Status.ASSIGNED, assigned_at=timezone.now()
    )
    return model.objects.held().assigned_to(user).count()


def time_page(client, url: str, requests: int) -> tuple[float, float, int, float, int]:
    """(median ms, p95 ms, queries, their database ms, status) over `requests` GETs
    after a warm-up; the queries are those of one more request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        client.get(url)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * len(times)) - 1)]
    db_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    return statistics.median(times), p95, len(queries), db_ms, response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--queue", type=int, default=30)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from cases.models import Case
    from contacts.models import Contact

    fill(args.cases)
    users = get_user_model().objects
    caseworker = users.get(username="nurse.ada")
    handler = users.get(
        username=users.filter(staff__tier=3, staff__is_supervisor=False)
        .order_by("pk")
        .values_list("username", flat=True)[0]
    )
    case_queue = give_queue(caseworker, Case, args.queue)
    contact_queue = give_queue(handler, Contact, args.queue)
    case = Case.objects.held().assigned_to(caseworker).order_by("pk").first()
    contact = Contact.objects.held().assigned_to(handler).order_by("pk").first()

    print(
        f"\n{Case.objects.count():,} cases, {Contact.objects.count():,} contacts; "
        f"queues of {case_queue} cases ({caseworker.username}) and {contact_queue} "
        f"contacts ({handler.username}); {args.requests} requests per page\n"
    )
    print(
        f"{'page':<28}{'median ms':>10}{'p95 ms':>9}{'queries':>9}{'db ms':>8}"
        f"{'x health':>10}"
    )
    worker, caller = Client(), Client()
    worker.force_login(caseworker)
    caller.force_login(handler)
    base, *_ = time_page(worker, reverse("health"), args.requests)
    rows = [
        ("health (SELECT 1)", worker, reverse("health")),
        ("My work (tier 2, cases)", worker, reverse("cases:queue")),
        ("case page", worker, reverse("cases:detail", args=[case.pk])),
        ("My work (tier 3, contacts)", caller, reverse("cases:queue")),
        ("contact page", caller, reverse("contacts:detail", args=[contact.pk])),
    ]
    for label, client, url in rows:
        median, p95, queries, db_ms, status = time_page(client, url, args.requests)
        assert status == 200, f"{url} answered {status}"
        print(
            f"{label:<28}{median:>10.1f}{p95:>9.1f}{queries:>9}{db_ms:>8.1f}"
            f"{median / base:>10.1f}"
        )


if __name__ == "__main__":
    main()
