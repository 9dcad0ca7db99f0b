"""Intake of a peak day's positive results through the running API, beside set-based
SQL and COPY doing the same in the same run.

Makes a fresh database (tracing_bench_intake), starts gunicorn on a free port on
127.0.0.1 against it, and posts a peak day (60,000 results, England's January 2021
peak) in batches of 1,000 with an integration client's token. Then it writes the same
day again (under other lab references and NHS numbers) by hand-made set-based SQL
(the same validation, the same matching query, one INSERT ... SELECT unnest(...) per
table for the people, cases, audit rows, messages and online links the API writes),
and the people and cases alone by PostgreSQL COPY. Three rounds, each a fresh day;
it prints each round and then the medians as a table (each ratio the median of the
rounds' own ratios, as bench/load.py does): how far the API is from the floor of the
same work, and from the database's own bulk-load limit.

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
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import add_database_url  # noqa: E402
from bench.summary import add_summary_option, record, summary_row  # noqa: E402

BENCH_DB = "tracing_bench_intake"
BROKER_URL = "redis://127.0.0.1:6379/14"
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
        "--rounds", type=int, default=3, help="Rounds, each a fresh day (default 3)."
    )
    add_database_url(parser, BENCH_DB)
    add_summary_option(parser)
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
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "false",
        # The batch's messages (an online link to each case) go to a real broker,
        # as in production; nothing consumes them here and the bench empties it.
        "CELERY_BROKER_URL": BROKER_URL,
    }
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


def day_of_results(total: int, round_: int = 0) -> list[dict]:
    from django.utils import timezone

    rng = random.Random(2021 + round_)
    postcodes = real_postcodes(400, rng)
    today = timezone.localdate()
    results = []
    for n in range(total):
        result_date = today - timedelta(days=rng.randrange(0, 2))
        specimen = result_date - timedelta(days=rng.randrange(0, 3))
        results.append(
            {
                "lab_reference": f"BENCH-{round_}-{n:07d}",
                "person": {
                    "first_name": rng.choice(
                        ["Asha", "Tom", "Mei", "Oluwaseun", "Ewa"]
                    ),
                    "last_name": f"Bench{n:07d}",
                    "date_of_birth": (
                        date(1940, 1, 1) + timedelta(days=rng.randrange(0, 29_000))
                    ).isoformat(),
                    "nhs_number": nhs_number(n + round_ * 10_000_000),
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


def bench_case(result: dict, place, lab_reference: str, now):
    """The case the API makes of a result, unsaved, under another lab reference."""
    from cases.models import Case
    from work.rules import CallRule, case_isolation_ends_on

    case = Case(
        lab_reference=lab_reference,
        specimen_date=date.fromisoformat(result["specimen_date"]),
        result_date=date.fromisoformat(result["result_date"]),
        area=place.area,
        area_unknown=place.area is None,
        created_at=now,
    )
    case.isolation_ends_on = case_isolation_ends_on(
        symptom_onset=None, specimen_date=case.specimen_date
    )
    case.mark_arrived(
        now=now, escalate_due_at=CallRule.for_kind("case").escalate_due_at(now)
    )
    return case


def copy_rows(results: list[dict], offset: int = 0) -> tuple[float, int]:
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
                nhs_number=nhs_number(n + 500_000_000 + offset),
                phone=details["phone"],
                postcode=place.postcode,
                area=place.area,
                easting=place.easting,
                northing=place.northing,
                created_at=now,
                updated_at=now,
            )
        )
        case = bench_case(result, place, f"COPY-{result['lab_reference']}", now)
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


# --- set-based SQL doing the same work ------------------------------------------------


def _insert_sql(model, returning: str = "") -> tuple[str, list]:
    """INSERT of many rows of a model from one array per column (unnest)."""
    from django.db import connection

    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    sql = (
        f"INSERT INTO {model._meta.db_table} ({columns}) SELECT * FROM unnest({arrays})"
    )
    return sql + (f" {returning}" if returning else ""), fields


def _columns(fields, objs) -> list[list]:
    from django.db import connection

    return [
        [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs]
        for f in fields
    ]


def sql_yardstick(results: list[dict], workers: int, offset: int = 0) -> float:
    """The same batches written by hand-made set-based SQL, `workers` at a time:
    for each batch of 1,000, in one transaction, the same validation of what was
    sent (the JSON parsed, each phone parsed and checked once, the postcode
    located, the dates and NHS number checked), the same matching query for the
    batch, and one INSERT ... SELECT unnest(...) each for the people, the cases (ON
    CONFLICT (lab_reference) DO NOTHING: sent again, nothing doubled), their audit
    rows, their messages and their online links: the rows the API writes. The rows'
    values are built before the clock starts (a favour to the yardstick). Returns
    seconds."""
    import json as json_module
    import secrets
    import threading as threading_module

    import phonenumbers
    from django.db import connection, transaction
    from django.utils import timezone

    from areas.services import PostcodeLookup, postcode_to_area
    from audit.models import AuditEvent
    from cases.models import Case
    from online.models import OnlineLink
    from people import matching
    from people.models import Message, Person
    from people.services import PersonDetails, person_arrival

    now = timezone.now()
    located: dict = {}
    prepared = []
    for n, result in enumerate(results):
        details = result["person"]
        place = located.get(details["postcode"])
        if place is None:
            place = located[details["postcode"]] = postcode_to_area(details["postcode"])
        number = nhs_number(n + 700_000_000 + offset)
        person = Person(
            first_name=details["first_name"],
            last_name=details["last_name"],
            date_of_birth=date.fromisoformat(details["date_of_birth"]),
            nhs_number=number,
            phone=details["phone"],
            postcode=place.postcode,
            area=place.area,
            easting=place.easting,
            northing=place.northing,
        )
        case = bench_case(result, place, f"SQL-{result['lab_reference']}", now)
        case.next_attempt_at = now + timedelta(hours=24)
        token = secrets.token_hex(32)
        message = Message(
            person=person,
            kind=Message.Kind.CASE_LINK,
            channel=Message.Channel.SMS,
            to=details["phone"],
            body="You have tested positive. Tell us who you have been near: "
            f"https://example.org/online/{token}/ (until {case.isolation_ends_on})",
            key=f"case_link:{token[:32]}",
            personalisation={"subject": "Your test result"},
        )
        link = OnlineLink(
            token_hash=token,
            purpose=OnlineLink.Purpose.CASE,
            person=person,
            created_at=now,
            expires_at=now + timedelta(days=14),
        )
        event = AuditEvent(
            at=now,
            action=AuditEvent.Action.CREATE,
            object_type="cases.case",
            object_id="0",
            detail={"source": "api", "received": {"nhs_number": "x" * 32}},
        )
        arrival = person_arrival(
            PersonDetails(
                first_name=details["first_name"],
                last_name=details["last_name"],
                date_of_birth=person.date_of_birth,
                nhs_number=number,
            ),
            postcode=place.postcode,
        )
        prepared.append((result, person, case, message, link, event, arrival))
    batches = [prepared[i : i + BATCH] for i in range(0, len(prepared), BATCH)]
    bodies = [json_module.dumps([row[0] for row in batch]) for batch in batches]
    people_sql, people_fields = _insert_sql(Person, "RETURNING id")
    cases_sql, cases_fields = _insert_sql(
        Case, "ON CONFLICT (lab_reference) DO NOTHING RETURNING id, person_id"
    )
    audit_sql, audit_fields = _insert_sql(AuditEvent)
    messages_sql, messages_fields = _insert_sql(Message, "RETURNING id")
    links_sql, links_fields = _insert_sql(OnlineLink)
    # Each batch's column arrays, built before the clock starts; the ids each INSERT
    # returns are put in the next one's columns.
    fields = {
        Person: people_fields,
        Case: cases_fields,
        AuditEvent: audit_fields,
        Message: messages_fields,
        OnlineLink: links_fields,
    }
    at = {
        (model, name): [f.name for f in model_fields].index(name)
        for model, model_fields in fields.items()
        for name in ("person", "case", "message", "object_id")
        if name in [f.name for f in model_fields]
    }
    slot = {Person: 1, Case: 2, Message: 3, OnlineLink: 4, AuditEvent: 5}
    ready = [
        (
            [row[6] for row in batch],
            {
                model: _columns(model_fields, [row[slot[model]] for row in batch])
                for model, model_fields in fields.items()
            },
        )
        for batch in batches
    ]
    todo = list(zip(ready, bodies, strict=True))
    lock = threading_module.Lock()

    def one_batch(batch, body) -> None:
        postcodes = PostcodeLookup()
        for item in json_module.loads(body):
            sent = item["person"]
            phone = phonenumbers.parse(sent["phone"], "GB")
            if not phonenumbers.is_valid_number(phone):
                raise SystemExit("a bench phone is invalid")
            postcodes(sent["postcode"])
            date.fromisoformat(item["specimen_date"])
            date.fromisoformat(item["result_date"])
            date.fromisoformat(sent["date_of_birth"])
            digits = sent["nhs_number"]
            total = sum(
                int(d) * w for d, w in zip(digits[:9], range(10, 1, -1), strict=True)
            )
            if not digits.isdigit() or (11 - total % 11) % 11 != int(digits[9]):
                raise SystemExit("a bench NHS number is invalid")
        arrivals, columns = batch
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                matching.CANDIDATES_SQL, matching.candidates_params(arrivals)
            )
            cursor.fetchall()
            cursor.execute(people_sql, columns[Person])
            person_ids = [row[0] for row in cursor.fetchall()]
            for model in (Case, Message, OnlineLink, AuditEvent):
                columns[model][at[model, "person"]] = person_ids
            cursor.execute(cases_sql, columns[Case])
            case_of = {person: case for case, person in cursor.fetchall()}
            case_ids = [case_of[person] for person in person_ids]
            columns[Message][at[Message, "case"]] = case_ids
            columns[OnlineLink][at[OnlineLink, "case"]] = case_ids
            columns[AuditEvent][at[AuditEvent, "object_id"]] = [
                str(c) for c in case_ids
            ]
            cursor.execute(audit_sql, columns[AuditEvent])
            cursor.execute(messages_sql, columns[Message])
            columns[OnlineLink][at[OnlineLink, "message"]] = [
                row[0] for row in cursor.fetchall()
            ]
            cursor.execute(links_sql, columns[OnlineLink])

    failures: list[BaseException] = []

    def worker() -> None:
        try:
            while True:
                with lock:
                    if not todo or failures:
                        break
                    batch, body = todo.pop(0)
                one_batch(batch, body)
        except BaseException as error:  # reported below, in the main thread
            failures.append(error)
        finally:
            connection.close()

    threads = [threading_module.Thread(target=worker) for _ in range(workers)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    return time.perf_counter() - started


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
    rows = []
    server, port = start_server(args.database_url, args.workers)
    try:
        # One small batch first, so each worker has loaded the postcode files. Its
        # people are not the rounds' (a result of the first round's first person
        # would be kept with the warm-up's case as a further result of it).
        warm = [
            result | {"lab_reference": f"WARM-{n}"}
            for n, result in enumerate(day_of_results(4, round_=99))
        ]
        post_all(port, token, [warm] * args.workers, args.workers)
        for round_ in range(args.rounds):
            results = day_of_results(total, round_)
            batches = [results[i : i + BATCH] for i in range(0, total, BATCH)]
            started = time.perf_counter()
            counts = post_all(port, token, batches, args.workers)
            api_seconds = time.perf_counter() - started
            if counts["created"] != total:
                raise SystemExit(
                    f"expected {total} new cases, the API reported {counts}"
                )
            offset = round_ * 10_000_000
            sql_seconds = sql_yardstick(results, args.workers, offset)
            copy_seconds, _ = copy_rows(results, offset)
            rows.append((api_seconds, sql_seconds, copy_seconds))
            print(
                f"round {round_ + 1}: API {api_seconds:.1f} s, set-based SQL "
                f"{sql_seconds:.1f} s, COPY {copy_seconds:.2f} s: "
                f"{api_seconds / sql_seconds:.2f}x and "
                f"{api_seconds / copy_seconds:.1f}x",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
        flush_broker()

    # As bench/load.py and the sweep: each figure the median of the rounds, and each
    # ratio the median of the rounds' own ratios (not the ratio of two medians).
    api_seconds = statistics.median(row[0] for row in rows)
    sql_seconds = statistics.median(row[1] for row in rows)
    copy_seconds = statistics.median(row[2] for row in rows)
    to_sql = statistics.median(row[0] / row[1] for row in rows)
    to_copy = statistics.median(row[0] / row[2] for row in rows)
    api_rate = total / api_seconds
    print(
        f"\nThe median of {len(rows)} rounds, each ratio the median of the rounds' "
        f"ratios; {total:,} results in batches of {BATCH:,}, {args.workers} at a time:"
    )
    print("| work | seconds | results/s | the API's ratio to it | target |")
    print("| --- | --- | --- | --- | --- |")
    print(
        f"| the API (gunicorn, {args.workers} workers) | {api_seconds:.1f} | "
        f"{api_rate:,.0f} | | |"
    )
    print(
        f"| set-based SQL, the same validation, matching and rows | "
        f"{sql_seconds:.1f} | {total / sql_seconds:,.0f} | "
        f"{to_sql:.2f}x | 3x |"
    )
    print(
        f"| COPY of the people and cases alone | {copy_seconds:.2f} | "
        f"{total / copy_seconds:,.0f} | {to_copy:.1f}x | 10x |"
    )
    print(f"A peak day through the API takes {PEAK_DAY / api_rate / 60:.1f} minutes.")
    work = f"intake through the API (gunicorn, {args.workers} workers)"
    size = f"{total:,} results in batches of {BATCH:,}"
    app = f"{api_rate:,.0f} results/s"
    record(
        args.summary,
        [
            summary_row(
                work=work,
                size=size,
                app=app,
                yardstick="set-based SQL, the same validation, matching and rows",
                yardstick_figure=f"{total / sql_seconds:,.0f} results/s",
                ratio=to_sql,
                target=3.0,
            ),
            summary_row(
                work=work,
                size=size,
                app=app,
                yardstick="COPY of the people and cases alone",
                yardstick_figure=f"{total / copy_seconds:,.0f} results/s",
                ratio=to_copy,
                target=10.0,
            ),
        ],
    )


def flush_broker() -> None:
    import redis

    redis.Redis.from_url(BROKER_URL).flushdb()


if __name__ == "__main__":
    main()
