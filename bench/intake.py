"""Intake of a peak day's positive results through the running API, against COPY.

Makes a fresh database (tracing_bench_intake), starts gunicorn on a free port on
127.0.0.1 against it, and posts a peak day (60,000 results, England's January 2021
peak) in batches of 1,000 with an integration client's token. Then it writes the same
rows (one person and one case each) straight into the same tables with PostgreSQL
COPY, in the same run, and prints both rates and their ratio: how far the API, with
its validation, person matching, postcode routing and per-item savepoints, is from
the database's own bulk-load limit.

    .venv/bin/python bench/intake.py            # the full day
    .venv/bin/python bench/intake.py --scale 0.05   # 3,000 results, a quick look

A benchmark, not a test: it prints figures and never fails on a time.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import io
import json
import os
import queue
import random
import socket
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BENCH_DB = "tracing_bench_intake"
PEAK_DAY = 60_000
BATCH = 1_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="Fraction of a peak day (default 1)."
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="gunicorn workers, and requests in flight at once (default 2).",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{BENCH_DB}"
        ),
    )
    return parser.parse_args()


# --- the bench database ---------------------------------------------------------------


def fresh_database(url: str) -> None:
    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname,
        port=parts.port or 5432,
        user=parts.username,
        password=parts.password,
        dbname="postgres",
    )
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--no-input", "-v0"],
        cwd=ROOT,
        env=server_env(url),
        check=True,
    )


def server_env(url: str) -> dict[str, str]:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false"}
    env.pop("REDIS_URL", None)  # rate counts in each worker's memory: no shared Redis
    return env


# --- the day's results ----------------------------------------------------------------


def nhs_number(n: int) -> str:
    """A valid NHS number (modulus 11 check digit) made from n."""
    while True:
        digits = f"{(400_000_000 + n) % 1_000_000_000:09d}"
        total = sum(int(d) * w for d, w in zip(digits, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        check = 0 if check == 11 else check
        if check != 10:
            return digits + str(check)
        n += 1_000_000_000 // 7  # skip numbers with no valid check digit


def real_postcodes(count: int, rng: random.Random) -> list[str]:
    """Real postcodes from the ONS directory, in several areas."""
    from areas.postcodes import _letter_index, normalise_postcode

    found: list[str] = []
    for letter in "SLMB":
        codes = sorted(_letter_index(letter))
        found += [normalise_postcode(c) for c in rng.sample(codes, count // 4)]
    return found


def day_of_results(total: int) -> list[dict]:
    from django.utils import timezone

    rng = random.Random(2021)
    postcodes = real_postcodes(400, rng)
    today = timezone.localdate()
    results = []
    for n in range(total):
        result_date = today - timedelta(days=rng.randrange(0, 2))
        specimen = result_date - timedelta(days=rng.randrange(0, 3))
        results.append(
            {
                "lab_reference": f"BENCH-{n:07d}",
                "person": {
                    "first_name": rng.choice(
                        ["Asha", "Tom", "Mei", "Oluwaseun", "Ewa"]
                    ),
                    "last_name": f"Bench{n:07d}",
                    "date_of_birth": (
                        date(1940, 1, 1) + timedelta(days=rng.randrange(0, 29_000))
                    ).isoformat(),
                    "nhs_number": nhs_number(n),
                    "phone": f"+447400{n % 1_000_000:06d}",
                    "postcode": rng.choice(postcodes),
                },
                "specimen_date": specimen.isoformat(),
                "result_date": result_date.isoformat(),
            }
        )
    return results


# --- through the API ------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(url: str, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "tracing.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "600",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=server_env(url),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/health/")
            if conn.getresponse().status < 500:
                return server, port
        except OSError:
            time.sleep(0.3)
    server.terminate()
    raise SystemExit("gunicorn did not start within a minute")


def post_all(port: int, token: str, batches: list[list[dict]], workers: int) -> dict:
    """Post every batch, `workers` at a time; returns counts by item status."""
    todo: queue.Queue = queue.Queue()
    for batch in batches:
        todo.put(json.dumps(batch).encode())
    counts = {"created": 0, "existing": 0, "invalid": 0}
    problems: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        while True:
            try:
                body = todo.get_nowait()
            except queue.Empty:
                return
            conn.request(
                "POST",
                "/api/v1/test-results/",
                body=body,
                headers={
                    "Authorization": f"Bearer {token}",
                    "Content-Type": "application/json",
                },
            )
            response = conn.getresponse()
            answer = response.read()
            with lock:
                if response.status != 200:
                    problems.append(f"{response.status}: {answer[:200]!r}")
                    continue
                payload = json.loads(answer)
                for key in counts:
                    counts[key] += payload[key]

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if problems:
        raise SystemExit(f"{len(problems)} batches failed, e.g. {problems[0]}")
    return counts


# --- straight into the tables with COPY -----------------------------------------------


def copy_rows(results: list[dict]) -> tuple[float, int]:
    """COPY one person and one case per result into people_person and cases_case.

    The same rows the API made, under other lab references and NHS numbers (the
    tables keep both unique). Postcodes are routed and rows built before the clock
    starts: the timed part is only the database writing them. Returns (seconds, rows).
    """
    from django.db import connection, transaction
    from django.utils import timezone

    from areas.services import postcode_to_area
    from cases.models import Case
    from people.models import Person

    now = timezone.now()
    people, cases = [], []
    located = {}
    for n, result in enumerate(results):
        details = result["person"]
        place = located.get(details["postcode"])
        if place is None:
            place = located[details["postcode"]] = postcode_to_area(details["postcode"])
        people.append(
            Person(
                first_name=details["first_name"],
                last_name=details["last_name"],
                date_of_birth=date.fromisoformat(details["date_of_birth"]),
                nhs_number=nhs_number(n + 500_000_000),
                phone=details["phone"],
                postcode=place.postcode,
                area=place.area,
                easting=place.easting,
                northing=place.northing,
                created_at=now,
                updated_at=now,
            )
        )
        case = Case(
            lab_reference=f"COPY-{result['lab_reference']}",
            specimen_date=date.fromisoformat(result["specimen_date"]),
            result_date=date.fromisoformat(result["result_date"]),
            area=place.area,
            area_unknown=place.area is None,
            created_at=now,
        )
        case.refresh_isolation()
        case.start_clock(now)
        cases.append(case)

    def table(model, rows, extra=None) -> tuple[str, list[str], io.StringIO]:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ["id", *(f.column for f in fields)]
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        for row_id, obj in zip(extra, rows, strict=True):
            values = [row_id]
            for field in fields:
                value = field.get_db_prep_save(field.pre_save(obj, False), connection)
                values.append(r"\N" if value is None else value)
            writer.writerow(values)
        buffer.seek(0)
        return model._meta.db_table, columns, buffer

    with connection.cursor() as cursor:
        # Ids come from the tables' own sequences, as inserts would take them.
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('people_person', 'id')) "
            "FROM generate_series(1, %s)",
            [len(people)],
        )
        person_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('cases_case', 'id')) "
            "FROM generate_series(1, %s)",
            [len(cases)],
        )
        case_ids = [row[0] for row in cursor.fetchall()]
    for case, person_id in zip(cases, person_ids, strict=True):
        case.person_id = person_id
    loads = [table(Person, people, person_ids), table(Case, cases, case_ids)]

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg2's own cursor, for copy_expert
        for name, columns, buffer in loads:
            raw.copy_expert(
                f"COPY {name} ({', '.join(columns)}) FROM STDIN "
                r"WITH (FORMAT csv, NULL '\N')",
                buffer,
            )
    return time.perf_counter() - started, len(people) + len(cases)


def main() -> None:
    args = parse_args()
    total = max(BATCH, round(PEAK_DAY * args.scale))
    print(f"Bench database {urlsplit(args.database_url).path.lstrip('/')}: migrating")
    fresh_database(args.database_url)

    os.environ["DATABASE_URL"] = args.database_url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracing.settings")
    import django

    django.setup()
    from api.models import Scope
    from api.services import api_client_create

    _, token = api_client_create(
        name="Bench lab", scopes=[Scope.INTAKE], rate_limit_per_minute=1_000_000
    )
    results = day_of_results(total)
    batches = [results[i : i + BATCH] for i in range(0, total, BATCH)]

    server, port = start_server(args.database_url, args.workers)
    try:
        # One small batch first, so each worker has loaded the postcode files.
        warm = [results[0] | {"lab_reference": f"WARM-{n}"} for n in range(4)]
        post_all(port, token, [warm] * args.workers, args.workers)
        started = time.perf_counter()
        counts = post_all(port, token, batches, args.workers)
        api_seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
    if counts["created"] != total:
        raise SystemExit(f"expected {total} new cases, the API reported {counts}")

    copy_seconds, copy_rows_written = copy_rows(results)

    api_rate = total / api_seconds
    copy_rate = total / copy_seconds
    print(
        f"Through the API: {total:,} results in {len(batches)} batches of {BATCH:,}, "
        f"{args.workers} at a time, gunicorn with {args.workers} workers"
    )
    print(f"  {api_seconds:8.1f} s   {api_rate:10,.0f} results/s")
    print(
        f"PostgreSQL COPY of the same rows (people_person + cases_case, "
        f"{copy_rows_written:,} rows)"
    )
    print(f"  {copy_seconds:8.1f} s   {copy_rate:10,.0f} results/s")
    print(
        f"Ratio: the API runs at {api_rate / copy_rate:.1%} of COPY's rate "
        f"(COPY is {copy_rate / api_rate:,.0f}x faster); a peak day through the API "
        f"takes {PEAK_DAY / api_rate / 60:.1f} minutes."
    )


if __name__ == "__main__":
    main()
