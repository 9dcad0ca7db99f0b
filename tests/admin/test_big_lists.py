"""The admin's lists of the big tables stay quick with millions of rows: no date
hierarchy, a date range on the indexed column, the unfiltered total from the
planner's statistics, and search through indexes only."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pages.admin import base as admin_base
from tests import factories as f

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
ON_POSTGRESQL = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="the planner's statistics"
)

BIG_LISTS = [
    "/admin/cases/case/",
    "/admin/contacts/contact/",
    "/admin/calls/callattempt/",
    "/admin/escalations/escalation/",
    "/admin/staffing/shift/",
    "/admin/people/message/",
    "/admin/people/person/",
    "/admin/audit/auditevent/",
]


def selects(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]


def listed(response) -> list[int]:
    return sorted(obj.pk for obj in response.context["cl"].result_list)


def at(day: int, hour: int, minute: int = 0, month: int = 6) -> dt.datetime:
    return dt.datetime(2021, month, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def three_days_of_cases():
    """Cases either side of two local midnights, in summer time (BST): the 11th of
    June runs from 23:00 UTC on the 10th."""
    return {
        "late_on_10th": f.CaseFactory(created_at=at(10, 23, 59)),
        "first_on_11th": f.CaseFactory(created_at=at(11, 0, 0)),
        "early_on_11th": f.CaseFactory(created_at=at(11, 0, 30)),
        "last_on_11th": f.CaseFactory(created_at=at(11, 23, 59)),
        "first_on_12th": f.CaseFactory(created_at=at(12, 0, 0)),
    }


@pytest.mark.parametrize("url", BIG_LISTS)
def test_big_list_reads_no_date_hierarchy_and_no_distinct(admin_client, url):
    f.CallAttemptFactory()
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert response.context["cl"].date_hierarchy is None
    for sql in selects(queries):
        assert "date_trunc" not in sql.lower(), sql
        assert "DISTINCT" not in sql.upper(), sql


@pytest.mark.parametrize("url", BIG_LISTS[:-1])  # the audit trail bounds its own count
def test_big_list_does_not_count_every_row_twice(admin_client, url):
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(url)
    counts = [sql for sql in selects(queries) if "COUNT(" in sql.upper()]
    assert len(counts) <= 1, counts


@ON_POSTGRESQL
@pytest.mark.parametrize(
    ("url", "table", "make"),
    [
        ("/admin/cases/case/", "cases_case", f.CaseFactory),
        ("/admin/contacts/contact/", "contacts_contact", f.ContactFactory),
    ],
)
def test_unfiltered_total_of_a_big_table_comes_from_the_statistics(
    admin_client, monkeypatch, url, table, make
):
    make.create_batch(3)
    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{table}"')
    # As if the table were big: the tables here hold a few rows.
    monkeypatch.setattr(admin_base, "ESTIMATE_FROM", 1)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url)
    assert response.context["cl"].result_count == 3
    assert len(response.context["cl"].result_list) == 3
    counting = re.compile(rf'COUNT\(.*FROM "{table}"', re.IGNORECASE)
    assert not [sql for sql in selects(queries) if counting.search(sql)]
    assert any("reltuples" in sql for sql in selects(queries))


@ON_POSTGRESQL
def test_filtered_list_is_counted_exactly(admin_client, monkeypatch):
    f.CaseFactory.create_batch(2)
    f.CaseFactory(status="closed", closed_at=at(11, 12))
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "cases_case"')
    monkeypatch.setattr(admin_base, "ESTIMATE_FROM", 1)
    response = admin_client.get("/admin/cases/case/?status__exact=new")
    assert response.context["cl"].result_count == 2


def test_a_small_table_is_counted_exactly(admin_client, monkeypatch):
    f.CaseFactory.create_batch(4)
    # The statistics as a small table's say (a peak loaded by another test and
    # rolled back leaves its row count in pg_class: ANALYZE writes in place).
    monkeypatch.setattr(admin_base, "rows_estimate", lambda model, using: 4)
    response = admin_client.get("/admin/cases/case/")
    assert response.context["cl"].result_count == 4


def test_date_range_lists_exactly_the_local_days_asked_for(
    admin_client, three_days_of_cases
):
    cases = three_days_of_cases
    response = admin_client.get(
        "/admin/cases/case/?created_at__from=2021-06-11&created_at__to=2021-06-11"
    )
    assert response.status_code == 200
    assert listed(response) == sorted(
        cases[name].pk for name in ("first_on_11th", "early_on_11th", "last_on_11th")
    )


def test_date_range_from_alone_and_to_alone(admin_client, three_days_of_cases):
    cases = three_days_of_cases
    since = admin_client.get("/admin/cases/case/?created_at__from=2021-06-12")
    until = admin_client.get("/admin/cases/case/?created_at__to=2021-06-10")
    assert listed(since) == [cases["first_on_12th"].pk]
    assert listed(until) == [cases["late_on_10th"].pk]


def test_date_range_reads_the_column_as_a_range(admin_client, three_days_of_cases):
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(
            "/admin/cases/case/?created_at__from=2021-06-11&created_at__to=2021-06-11"
        )
    listing = [sql for sql in selects(queries) if '"cases_case"."lab_reference"' in sql]
    assert listing
    where = listing[0].split(" WHERE ")[1]
    assert '"cases_case"."created_at" >=' in where
    assert '"cases_case"."created_at" <' in where
    assert "date_trunc" not in where.lower()
    assert "::date" not in where


def test_date_range_on_contacts_calls_escalations_shifts_and_audit(admin_client):
    contact = f.ContactFactory(created_at=at(11, 9))
    f.ContactFactory(created_at=at(9, 9))
    call = f.CallAttemptFactory(contact=contact, started_at=at(11, 10))
    f.CallAttemptFactory(contact=contact, started_at=at(13, 10))
    for url, expected in [
        ("/admin/contacts/contact/?created_at__from=2021-06-10", [contact.pk]),
        (
            "/admin/calls/callattempt/?started_at__from=2021-06-11"
            "&started_at__to=2021-06-12",
            [call.pk],
        ),
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert listed(response) == expected, url
    for url in [
        "/admin/escalations/escalation/?created_at__from=2021-06-11",
        "/admin/staffing/shift/?starts_at__to=2021-06-11",
        "/admin/audit/auditevent/?at__from=2021-06-11&at__to=2021-06-11",
    ]:
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.parametrize(
    "query",
    [
        "created_at__from=2021-13-45",
        "created_at__to=yesterday",
        "created_at__from=99999-01-01",
        "created_at__from=0001-01-01",
        "created_at__from=2021-06-11&created_at__to=%00",
    ],
)
def test_a_bad_date_is_ignored_with_a_message_not_a_500(
    admin_client, three_days_of_cases, query
):
    response = admin_client.get(f"/admin/cases/case/?{query}")
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    assert any("Ignored" in m and "YYYY-MM-DD" in m for m in shown), shown
    if "2021-06-11" in query:
        assert len(listed(response)) == 4  # the good bound still applies
    else:
        assert len(listed(response)) == len(three_days_of_cases)


def test_date_range_form_keeps_the_other_filters(admin_client):
    response = admin_client.get(
        "/admin/cases/case/?status__exact=new&created_at__from=2021-06-11"
    )
    form = re.search(
        r'<form method="get" class="date-range-filter">.*?</form>',
        response.content.decode(),
        re.DOTALL,
    )
    assert form is not None
    html = form.group(0)
    assert 'name="created_at__from" value="2021-06-11"' in html
    assert '<input type="hidden" name="status__exact" value="new">' in html
    assert 'type="hidden" name="created_at__from"' not in html


def test_sorting_by_a_column_without_an_index_is_not_offered(admin_client):
    f.CaseFactory.create_batch(2)
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get("/admin/cases/case/?o=3")  # status
    assert response.status_code == 200
    listing = [sql for sql in selects(queries) if '"cases_case"."lab_reference"' in sql]
    order = listing[0].split("ORDER BY")[1]
    assert '"cases_case"."status"' not in order
    assert '"cases_case"."created_at" DESC' in order


# --- search -------------------------------------------------------------------------


@pytest.fixture
def two_cases():
    first = f.CaseFactory(
        lab_reference="LAB-FIRST",
        person=f.PersonFactory(last_name="Okafor", nhs_number="9434765919"),
    )
    second = f.CaseFactory(
        lab_reference="LAB-SECOND",
        person=f.PersonFactory(last_name="Smith", nhs_number="9434765870"),
    )
    return first, second


@pytest.mark.parametrize(
    ("term", "which"),
    [
        ("LAB-FIRST", 0),
        ("  LAB-SECOND ", 1),
        ("9434765919", 0),
        ("943 476 5870", 1),
        ("okafor", 0),
        ("SMITH", 1),
    ],
)
def test_case_search_finds_by_lab_reference_nhs_number_or_surname(
    admin_client, two_cases, term, which
):
    response = admin_client.get("/admin/cases/case/", {"q": term})
    assert listed(response) == [two_cases[which].pk]


def test_case_search_does_not_match_part_of_a_value(admin_client, two_cases):
    for term in ("LAB-FIR", "Okaf", "943476591"):
        response = admin_client.get("/admin/cases/case/", {"q": term})
        assert listed(response) == [], term


@pytest.mark.parametrize(
    "url", ["/admin/cases/case/", "/admin/contacts/contact/", "/admin/people/person/"]
)
def test_a_search_for_nonsense_finds_nothing_and_does_not_500(
    admin_client, two_cases, url
):
    assert admin_client.get(url, {"q": "\x00"}).status_code == 200
    for term in ("x" * 5000, "'; DROP TABLE", "%", "_"):
        response = admin_client.get(url, {"q": term})
        assert response.status_code == 200, term
        assert listed(response) == [], term


def test_contact_search_finds_by_lab_reference_phone_or_surname(admin_client):
    person = f.PersonFactory(last_name="Nowak", phone="+447400123456")
    contact = f.ContactFactory(
        person=person, case=f.CaseFactory(lab_reference="LAB-NOWAK")
    )
    f.ContactFactory()
    for term in ("LAB-NOWAK", "07400 123456", "+447400123456", "nowak"):
        response = admin_client.get("/admin/contacts/contact/", {"q": term})
        assert listed(response) == [contact.pk], term


@pytest.mark.parametrize(
    ("url", "term"),
    [
        ("/admin/cases/case/", "Smith"),
        ("/admin/contacts/contact/", "07400 123456"),
        ("/admin/people/person/", "S1 1AA"),
        ("/admin/people/message/", "9434765919"),
        ("/admin/staffing/shift/", "someone"),
    ],
)
def test_search_never_scans_with_like(admin_client, url, term):
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(url, {"q": term})
    assert response.status_code == 200
    for sql in selects(queries):
        assert " LIKE " not in sql.upper(), sql
        assert "UPPER(" not in sql.upper(), sql


@ON_POSTGRESQL
@pytest.mark.parametrize(
    ("url", "params", "tables"),
    [
        ("/admin/cases/case/", {"q": "LAB-FIRST"}, ["cases_case"]),
        ("/admin/cases/case/", {"q": "Okafor"}, ["cases_case", "people_person"]),
        ("/admin/cases/case/", {"q": "9434765919"}, ["cases_case", "people_person"]),
        ("/admin/contacts/contact/", {"q": "okafor"}, ["contacts_contact"]),
        (
            "/admin/cases/case/",
            {"created_at__from": "2021-06-11", "created_at__to": "2021-06-11"},
            ["cases_case"],
        ),
    ],
)
def test_search_and_date_range_can_be_read_through_an_index(
    admin_client, two_cases, url, params, tables
):
    """With sequential scans priced out, the planner still finds an index for every
    table each query reads (an expression no index matches would still scan)."""
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(url, params)
    planned = [
        sql
        for sql in selects(queries)
        if any(f'FROM "{table}"' in sql for table in tables)
    ]
    assert planned
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        for sql in planned:
            cursor.execute("EXPLAIN " + sql.replace("%", "%%"))
            plan = "\n".join(row[0] for row in cursor.fetchall())
            for table in tables:
                assert f"Seq Scan on {table}" not in plan, plan
        cursor.execute("SET LOCAL enable_seqscan = on")


def _case_escalation():
    case = f.CaseFactory(status="escalated")
    return f.EscalationFactory(contact=None, case=case, local_team=case.area.local_team)


@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/admin/cases/case/", f.CaseFactory),
        ("/admin/contacts/contact/", f.ContactFactory),
        ("/admin/calls/callattempt/", f.CallAttemptFactory),
        ("/admin/escalations/escalation/", f.EscalationFactory),
        ("/admin/escalations/escalation/", _case_escalation),
        ("/admin/staffing/shift/", f.ShiftFactory),
        ("/admin/people/message/", f.MessageFactory),
        ("/admin/people/person/", f.PersonFactory),
        ("/admin/audit/auditevent/", f.AuditEventFactory),
    ],
)
def test_a_big_list_costs_the_same_queries_for_more_rows(admin_client, url, make):
    """A page of 100 rows must not read each row's case or person on its own: the
    escalations list read every contact's case once per row (110 queries a page)."""

    def queries_for_the_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(url)
        assert response.status_code == 200
        return len(queries)

    make()
    queries_for_the_page()  # the first view of the session saves it
    one = queries_for_the_page()
    for _ in range(4):
        make()
    assert queries_for_the_page() == one
