"""The audit trail: append-only down to the database, every read of a person's record
written (lists included, one INSERT a page), and the two pages that read it back (who
has seen a person; the administrators' search), paged by keyset."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html import unescape
from urllib.parse import parse_qs

import pytest
from django.db import DatabaseError, connection, models, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from audit.models import AuditEvent, AuditIsAppendOnly
from audit.selectors import AuditFilters, Cursor, audit_search, page_query
from cases.models import Case
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from people.models import Person
from tests import factories as f
from tests.local_teams.builders import escalated_case, escalated_contact
from work.assignment import assign_work

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
VIEW = AuditEvent.Action.VIEW
AUDIT_INSERT = 'INSERT INTO "audit_auditevent"'


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture
def superuser(db):
    return f.UserFactory(username="administrator", is_superuser=True, is_staff=True)


@pytest.fixture
def national_api(db):
    """A national integration with every scope: (its service account, http)."""
    client, token = api_client_create(
        name="National telephony", scopes=list(Scope.values), rate_limit_per_minute=1000
    )
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client.user, http


def api_session(user) -> APIClient:
    http = APIClient()
    http.force_login(user)
    return http


def held(item, user):
    type(item).objects.filter(pk=item.pk).update(
        status=Status.ASSIGNED, assignee=user, assigned_at=timezone.now()
    )
    item.refresh_from_db()
    return item


def views_by(user, **filters) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(user=user, action=VIEW, **filters).order_by("id")
    )


def event_about(person, *, at, user=None, action=VIEW, **detail) -> AuditEvent:
    return AuditEvent.objects.create(
        at=at,
        user=user,
        action=action,
        person=person,
        object_type="people.person",
        object_id=str(person.pk),
        detail=detail,
    )


def shown_event_ids(response) -> list[int]:
    return [int(pk) for pk in re.findall(r'data-event="(\d+)"', response.text)]


def older_link(response) -> str | None:
    """The `before` cursor of the page's "Older" link, if it has one."""
    match = re.search(r'<a href="\?([^"]*)" rel="next">Older</a>', response.text)
    return parse_qs(unescape(match.group(1)))["before"][0] if match else None


# --- the trail cannot be changed or deleted ----------------------------------------------


def test_a_saved_audit_event_cannot_be_saved_again(caseworker):
    event = event_about(f.PersonFactory(), at=timezone.now(), user=caseworker)
    event.action = AuditEvent.Action.UPDATE

    with pytest.raises(AuditIsAppendOnly):
        event.save()

    assert AuditEvent.objects.get(pk=event.pk).action == VIEW


def test_a_new_event_with_the_id_of_another_is_inserted_never_an_update(caseworker):
    event = event_about(f.PersonFactory(), at=timezone.now(), user=caseworker)
    twin = AuditEvent(
        pk=event.pk, at=timezone.now(), action="update", object_type="x", object_id="1"
    )

    with pytest.raises(DatabaseError), transaction.atomic():
        twin.save()  # an INSERT, refused by the primary key

    assert AuditEvent.objects.get(pk=event.pk).action == VIEW


def test_an_audit_event_cannot_be_deleted(caseworker):
    event = event_about(f.PersonFactory(), at=timezone.now(), user=caseworker)

    with pytest.raises(AuditIsAppendOnly):
        event.delete()

    assert AuditEvent.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda qs: qs.update(action="update"),
        lambda qs: qs.delete(),
        lambda qs: qs.filter(action=VIEW).delete(),
        lambda qs: AuditEvent.objects.bulk_update(list(qs), ["action"]),
        lambda qs: qs.update_or_create(pk=qs.get().pk, defaults={"action": "update"}),
    ],
    ids=["update", "delete", "filtered delete", "bulk_update", "update_or_create"],
)
def test_the_querysets_refuse_to_change_or_delete_events(caseworker, change):
    event = event_about(f.PersonFactory(), at=timezone.now(), user=caseworker)

    with pytest.raises(AuditIsAppendOnly):
        change(AuditEvent.objects.all())

    assert AuditEvent.objects.get(pk=event.pk).action == VIEW


def test_the_admin_refuses_to_change_or_delete_an_event(client, superuser):
    event = event_about(f.PersonFactory(), at=timezone.now(), user=superuser)
    client.force_login(superuser)
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    delete = reverse("admin:audit_auditevent_delete", args=[event.pk])
    changelist = reverse("admin:audit_auditevent_changelist")

    assert client.get(change).status_code == 200  # shown, read only
    assert client.post(change, {"action": "update"}).status_code == 403
    assert client.get(delete).status_code == 403
    assert client.post(delete, {"post": "yes"}).status_code == 403
    client.post(
        changelist,
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403

    assert AuditEvent.objects.get(pk=event.pk).action == VIEW


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("person:{anna}", ["anna"]),
        ("cases.case:12", ["bob"]),
        ("caseworker", ["anna"]),
        ("person:nobody", []),
    ],
)
def test_the_admin_searches_the_trail_on_its_indexes_and_never_counts_it_whole(
    client, superuser, caseworker, call_handler, term, found
):
    anna, bob = f.PersonFactory(), f.PersonFactory()
    rows = {
        "anna": event_about(anna, at=timezone.now(), user=caseworker),
        "bob": AuditEvent.objects.create(
            at=timezone.now(),
            user=call_handler,
            action=VIEW,
            person=bob,
            object_type="cases.case",
            object_id="12",
        ),
    }
    client.force_login(superuser)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("admin:audit_auditevent_changelist"),
            {"q": term.format(anna=anna.pk)},
        )

    assert response.status_code == 200
    assert [r.pk for r in response.context["cl"].result_list] == [
        rows[name].pk for name in found
    ]
    counts = [
        q["sql"]
        for q in queries.captured_queries
        if "COUNT(" in q["sql"] and "audit_auditevent" in q["sql"]
    ]
    assert len(counts) == (1 if found else 0)  # (no rows: not even asked)
    assert all("LIMIT 10000" in sql for sql in counts)
    assert not [q for q in queries.captured_queries if "DISTINCT" in q["sql"]]


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET action = 'update' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_the_database_refuses_raw_updates_and_deletes(
    requires_postgres, caseworker, statement
):
    event = event_about(f.PersonFactory(), at=timezone.now(), user=caseworker)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, [event.pk])

    assert AuditEvent.objects.get(pk=event.pk).action == VIEW


@pytest.mark.parametrize("kind", ["case", "contact"])
def test_reading_one_call_through_the_api_writes_a_view_of_the_person_called(
    national_api, kind
):
    on_case = {"contact": None, "case": f.CaseFactory()} if kind == "case" else {}
    call = f.CallAttemptFactory(**on_case)
    item = call.case if kind == "case" else call.contact
    service_account, http = national_api

    assert http.get(f"/api/v1/calls/{call.pk}/").status_code == 200

    (event,) = views_by(service_account, detail__via="api")
    assert (event.person_id, event.object_type, event.object_id) == (
        item.person_id,
        "calls.callattempt",
        str(call.pk),
    )


@pytest.mark.django_db(transaction=True)
def test_the_purge_switch_lets_a_transaction_delete_old_events_and_only_it(
    requires_postgres,
):
    person = f.PersonFactory()
    old = event_about(person, at=timezone.now() - dt.timedelta(days=3000))
    recent = event_about(person, at=timezone.now())

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL tracing.audit_purge = 'on'")
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [old.pk])

    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [recent.pk]
    # The switch ended with its transaction: the next delete is refused again.
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [recent.pk])
    assert AuditEvent.objects.filter(pk=recent.pk).exists()


# --- a read through each door writes its row -----------------------------------------------


def test_a_read_through_each_door_writes_its_view(caseworker, superuser, national_api):
    case = held(f.CaseFactory(), caseworker)
    service_account, token_http = national_api
    page, api, admin = Client(), api_session(caseworker), Client()
    page.force_login(caseworker)
    admin.force_login(superuser)
    api_url = f"/api/v1/cases/{case.pk}/"

    doors = [
        (caseworker, "page", lambda: page.get(reverse("cases:detail", args=[case.pk]))),
        (caseworker, "api", lambda: api.get(api_url)),  # a staff session
        (service_account, "api", lambda: token_http.get(api_url)),  # a client token
        (
            superuser,
            "admin",
            lambda: admin.get(reverse("admin:cases_case_change", args=[case.pk])),
        ),
    ]
    for user, via, read in doors:
        assert read().status_code == 200
        (event,) = views_by(user, detail__via=via)
        assert (event.person_id, event.object_type, event.object_id) == (
            case.person_id,
            "cases.case",
            str(case.pk),
        )
        assert event.detail == {"via": via}
    assert AuditEvent.objects.filter(action=VIEW).count() == 4


# --- lists: one row per person shown, in one INSERT ------------------------------------
#
# Each builder makes three people's records on one list and returns who reads it, the
# URL, the door, the list's name, the persons shown and the HTTP client to use.


def _team_worker(supervisor):
    team = supervisor.staff.team
    worker = f.StaffProfileFactory(
        clinical=True, team=team, organisation=team.organisation
    )
    f.ShiftFactory(staff=worker)
    return worker.user


def my_work_of_a_caseworker(request):
    user = request.getfixturevalue("caseworker")
    cases = [held(f.CaseFactory(), user) for _ in range(3)]
    return user, reverse("cases:queue"), "page", "my work", cases


def my_work_of_a_call_handler(request):
    user = request.getfixturevalue("call_handler")
    contacts = [held(f.ContactFactory(), user) for _ in range(3)]
    return user, reverse("cases:queue"), "page", "my work", contacts


def local_team_queue(request):
    user = request.getfixturevalue("local_team_member")
    shown = [escalated_contact().item, escalated_contact().item, escalated_case().item]
    return user, reverse("escalations:queue"), "page", "escalation queue", shown


def supervisor_work_list(request):
    user = request.getfixturevalue("supervisor")
    worker = _team_worker(user)
    cases = [held(f.CaseFactory(), worker) for _ in range(3)]
    return user, reverse("staffing:work"), "page", "work list", cases


def dashboard_overdue_items(request):
    user = request.getfixturevalue("supervisor")
    worker = _team_worker(user)
    cases = [held(f.CaseFactory(), worker) for _ in range(3)]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(
        next_attempt_at=timezone.now() - HOUR
    )
    return user, reverse("staffing:dashboard"), "page", "overdue", cases


def api_list(kind: str):
    def build(request):
        user, http = request.getfixturevalue("national_api")
        if kind == "cases":
            shown = [f.CaseFactory() for _ in range(3)]
        elif kind == "contacts":
            shown = [f.ContactFactory() for _ in range(3)]
        elif kind == "calls":
            shown = [f.ContactFactory() for _ in range(3)]
            for contact in [*shown, shown[0]]:  # two calls to one: one row for them
                f.CallAttemptFactory(contact=contact)
        else:
            shown = [escalated_contact().item for _ in range(3)]
        return user, f"/api/v1/{kind}/", "api", kind, shown, http

    return build


def admin_changelist(model: type[models.Model]):
    def build(request):
        user = request.getfixturevalue("superuser")
        if model is Person:
            shown = [f.PersonFactory() for _ in range(3)]
        elif model is Case:
            shown = [f.CaseFactory() for _ in range(3)]
        elif model is Contact:
            shown = [f.ContactFactory() for _ in range(3)]
        else:
            shown = [escalated_contact().item for _ in range(3)]
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        return user, url, "admin", f"admin {opts.verbose_name_plural}", shown

    return build


LISTS = {
    "caseworker's my work": ("pages.desk.cases", my_work_of_a_caseworker),
    "call handler's my work": ("pages.desk.cases", my_work_of_a_call_handler),
    "local team's queue": ("pages.local.views", local_team_queue),
    "supervisor's work list": ("pages.staff.dashboard", supervisor_work_list),
    "dashboard's overdue items": ("pages.staff.dashboard", dashboard_overdue_items),
    "API cases": ("api.cases.views", api_list("cases")),
    "API contacts": ("api.contacts.views", api_list("contacts")),
    "API calls": ("api.calls.views", api_list("calls")),
    "API escalations": ("api.escalations.views", api_list("escalations")),
    "admin people": ("pages.admin.base", admin_changelist(Person)),
    "admin cases": ("pages.admin.base", admin_changelist(Case)),
    "admin contacts": ("pages.admin.base", admin_changelist(Contact)),
    "admin escalations": ("pages.admin.base", admin_changelist(Escalation)),
}


def _person_of(record) -> int:
    return record.pk if isinstance(record, Person) else record.person_id


@pytest.mark.parametrize("name", LISTS)
def test_a_list_writes_one_view_per_person_shown_in_one_insert(
    request, clock, client, monkeypatch, name
):
    module, build = LISTS[name]
    user, url, via, list_name, shown, *rest = build(request)
    http = rest[0] if rest else client
    if http is client:
        client.force_login(user)
    assert http.get(url).status_code == 200  # the session and the token settle
    mark = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()

    with CaptureQueriesContext(connection) as audited:
        assert http.get(url).status_code == 200
    written = list(AuditEvent.objects.filter(pk__gt=mark or 0))
    # The same read with the list's audit switched off: one query fewer.
    monkeypatch.setattr(f"{module}.audit_list_view", lambda **kwargs: 0)
    with CaptureQueriesContext(connection) as unaudited:
        assert http.get(url).status_code == 200

    assert sorted(e.person_id for e in written) == sorted(map(_person_of, shown))
    assert {(e.user_id, e.action) for e in written} == {(user.pk, VIEW)}
    assert all(e.detail == {"via": via, "list": list_name} for e in written)
    inserts = [q for q in audited.captured_queries if q["sql"].startswith(AUDIT_INSERT)]
    assert len(inserts) == 1
    assert len(audited) == len(unaudited) + 1


def test_the_complex_cases_list_names_itself(client, local_team_member):
    complex_one = escalated_case()
    client.force_login(local_team_member)

    client.get(reverse("escalations:complex"))

    (event,) = views_by(local_team_member)
    assert event.person_id == complex_one.item.person_id
    assert (event.object_type, event.object_id) == (
        "escalations.escalation",
        str(complex_one.pk),
    )
    assert event.detail == {"via": "page", "list": "complex cases"}


def test_an_empty_list_writes_nothing(client, caseworker):
    client.force_login(caseworker)

    assert client.get(reverse("cases:queue")).status_code == 200

    assert not AuditEvent.objects.filter(action=VIEW).exists()


def test_a_refused_move_shows_the_list_again_without_a_second_read(client, supervisor):
    case = held(f.CaseFactory(), _team_worker(supervisor))
    client.force_login(supervisor)
    client.get(reverse("staffing:work"))
    assert [e.person_id for e in views_by(supervisor)] == [case.person_id]

    refused = client.post(
        reverse("staffing:work"), {"items": [case.pk], "to": "", "reason": ""}
    )

    assert refused.status_code == 200
    assert len(views_by(supervisor)) == 1


# --- an export writes its rows -------------------------------------------------------------


def test_an_export_writes_a_view_for_each_person_exported_in_batches(
    client, local_team_member, monkeypatch
):
    escalations = [escalated_contact() for _ in range(4)] + [escalated_case()]
    monkeypatch.setattr("pages.local.exports.BATCH", 2)
    client.force_login(local_team_member)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("escalations:export"))
        lines = list(csv.DictReader(io.StringIO(b"".join(response).decode())))

    assert len(lines) == 5
    export = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    written = views_by(local_team_member)
    assert sorted(e.person_id for e in written) == sorted(
        e.item.person_id for e in escalations
    )
    assert {e.object_type for e in written} == {"escalations.escalation"}
    assert all(
        e.detail == {"via": "page", "list": "escalations export", "export": export.pk}
        for e in written
    )
    # Five rows in batches of two: three INSERTs, each before its lines are sent.
    inserts = [q for q in queries.captured_queries if q["sql"].startswith(AUDIT_INSERT)]
    assert len(inserts) == 1 + 3  # the export's own row, then the batches


# --- an automatic assignment writes its rows ----------------------------------------------


def test_an_automatic_assignment_writes_a_row_for_each_item_assigned(caseworker):
    waiting = [f.CaseFactory() for _ in range(2)]

    report = assign_work()

    assert report.assigned["case"] == 2
    events = AuditEvent.objects.filter(action=AuditEvent.Action.ASSIGN)
    assert sorted((e.object_id, e.person_id) for e in events) == sorted(
        (str(c.pk), c.person_id) for c in waiting
    )
    assert all(e.user_id is None for e in events)  # the system's own task
    assert all(e.detail == {"from": None, "to": caseworker.pk} for e in events)


# --- who has seen this person ---------------------------------------------------------------


def person_audit(person) -> str:
    return reverse("staffing:person_audit", args=[person.pk])


def test_who_has_seen_lists_every_event_about_the_person_newest_first(
    client, supervisor, caseworker, clock
):
    case = held(f.CaseFactory(), caseworker)
    person = case.person
    now = timezone.now()
    seen = event_about(person, at=now - 3 * HOUR, user=caseworker, via="api")
    assign_work(now=now - 2 * HOUR)  # nothing waits: writes nothing
    changed = AuditEvent.objects.create(
        at=now - HOUR,
        user=caseworker,
        action=AuditEvent.Action.CALL,
        person=person,
        object_type="cases.case",
        object_id=str(case.pk),
        detail={"outcome": "no_answer"},
    )
    event_about(f.PersonFactory(), at=now, user=caseworker)  # somebody else
    client.force_login(supervisor)

    response = client.get(person_audit(person))

    assert response.status_code == 200
    assert shown_event_ids(response) == [changed.pk, seen.pk]
    assert "Logged a call to case" in response.text
    assert "through the API" in response.text
    # Opening the page is itself a read of the person.
    (opened,) = views_by(supervisor)
    assert (opened.person_id, opened.object_type) == (person.pk, "people.person")
    assert opened.detail == {"via": "page", "list": "who has seen"}
    again = client.get(person_audit(person))
    assert shown_event_ids(again)[0] == opened.pk


def test_who_has_seen_pages_by_keyset_never_offset_or_count(
    client, supervisor, caseworker
):
    person = f.PersonFactory()
    start = timezone.now() - dt.timedelta(days=1)
    # 120 events, several sharing a moment (the id breaks the tie).
    events = [
        event_about(person, at=start + dt.timedelta(minutes=n // 3), user=caseworker)
        for n in range(120)
    ]
    newest_first = [e.pk for e in sorted(events, key=lambda e: (e.at, e.pk))][::-1]
    client.force_login(supervisor)

    pages, before = [], None
    with CaptureQueriesContext(connection) as queries:
        while True:
            response = client.get(
                person_audit(person), {"before": before} if before else {}
            )
            pages.append(shown_event_ids(response))
            before = older_link(response)
            if before is None:
                break

    assert [len(p) for p in pages] == [50, 50, 20]
    assert [pk for page in pages for pk in page] == newest_first
    reads = [
        q["sql"] for q in queries.captured_queries if "audit_auditevent" in q["sql"]
    ]
    assert not [s for s in reads if "OFFSET" in s or "COUNT(" in s.upper()]


@pytest.mark.parametrize("who", ["caseworker", "call_handler", "local_team_member"])
def test_who_has_seen_is_refused_to_staff_who_are_not_national_supervisors(
    request, client, who
):
    client.force_login(request.getfixturevalue(who))
    person = f.PersonFactory()

    assert client.get(person_audit(person)).status_code == 403
    assert client.get("/staff/people/999999999/audit/").status_code == 403
    assert not AuditEvent.objects.filter(action=VIEW).exists()


def test_who_has_seen_is_open_to_administrators_and_404_for_nobody(client, superuser):
    client.force_login(superuser)

    assert client.get(person_audit(f.PersonFactory())).status_code == 200
    assert client.get("/staff/people/999999999/audit/").status_code == 404


def test_who_has_seen_needs_sign_in(client):
    response = client.get(person_audit(f.PersonFactory()))
    assert response.status_code == 302


# --- the audit search ------------------------------------------------------------------------


def search(client, **params):
    return client.get(reverse("staffing:audit_search"), params)


@pytest.fixture
def trail(clock, caseworker, call_handler):
    """Events by two people about two persons, over three days."""
    now = timezone.now()
    anna, bob = f.PersonFactory(), f.PersonFactory()
    rows = {
        "anna seen": event_about(anna, at=now - 50 * HOUR, user=caseworker),
        "anna called": AuditEvent.objects.create(
            at=now - 26 * HOUR,
            user=call_handler,
            action=AuditEvent.Action.CALL,
            person=anna,
            object_type="contacts.contact",
            object_id="77",
        ),
        "bob seen": event_about(bob, at=now - HOUR, user=call_handler),
        "sign-in": AuditEvent.objects.create(
            at=now - 2 * HOUR,
            action=AuditEvent.Action.SIGN_IN_FAILED,
            object_type="auth.user",
            object_id="nobody",
        ),
    }
    return {"anna": anna, "bob": bob, "now": now, **rows}


def test_the_audit_search_filters_by_user_person_object_action_and_dates(
    client, superuser, trail, caseworker, call_handler
):
    client.force_login(superuser)
    today = timezone.localdate(trail["now"])

    def found(**params) -> list[int]:
        response = search(client, **params)
        assert response.status_code == 200
        return shown_event_ids(response)

    ids = {k: v.pk for k, v in trail.items() if isinstance(v, AuditEvent)}
    yesterday = today - dt.timedelta(days=1)
    everything = [ids["bob seen"], ids["sign-in"], ids["anna called"], ids["anna seen"]]

    assert found() == everything
    assert found(username=call_handler.username) == [
        ids["bob seen"],
        ids["anna called"],
    ]
    assert found(person=trail["anna"].pk) == [ids["anna called"], ids["anna seen"]]
    assert found(object_type="contacts.contact", object_id="77") == [ids["anna called"]]
    assert found(action="sign_in_failed") == [ids["sign-in"]]
    assert found(date_from=yesterday, date_to=yesterday) == [ids["anna called"]]
    assert found(date_from=yesterday) == everything[:3]
    assert found(username=caseworker.username, person=trail["bob"].pk) == []
    assert found(username="no-such-user") == []


def test_the_audit_search_dates_are_whole_local_days(client, superuser, caseworker):
    person = f.PersonFactory()
    day = dt.date(2021, 6, 1)  # British Summer Time: local midnight is 23:00 UTC
    local = timezone.get_current_timezone()
    inside = event_about(
        person, at=dt.datetime(2021, 6, 1, 0, 30, tzinfo=local), user=caseworker
    )
    event_about(
        person, at=dt.datetime(2021, 5, 31, 23, 30, tzinfo=local), user=caseworker
    )
    event_about(person, at=dt.datetime(2021, 6, 2, 0, 0, tzinfo=local), user=caseworker)
    client.force_login(superuser)

    response = search(client, date_from=day, date_to=day)

    assert shown_event_ids(response) == [inside.pk]


def test_the_audit_search_pages_by_keyset(client, superuser, caseworker):
    person = f.PersonFactory()
    start = timezone.now() - dt.timedelta(days=1)
    events = [
        event_about(person, at=start + dt.timedelta(seconds=n // 2), user=caseworker)
        for n in range(75)
    ]
    client.force_login(superuser)

    first = search(client, username=caseworker.username)
    before = older_link(first)
    second = search(client, username=caseworker.username, before=before)

    shown = shown_event_ids(first) + shown_event_ids(second)
    assert len(shown_event_ids(first)) == 50
    assert older_link(second) is None
    assert shown == [
        e.pk for e in sorted(events, key=lambda e: (e.at, e.pk), reverse=True)
    ]


def test_the_audit_search_refuses_a_record_without_its_kind(client, superuser, trail):
    client.force_login(superuser)

    response = search(client, object_id="77")

    assert "give both its kind and its id" in response.text
    assert shown_event_ids(response) == []


def test_the_audit_search_is_refused_to_a_national_supervisor_not_an_administrator(
    client, supervisor, caseworker
):
    for user in (supervisor, caseworker):
        client.force_login(user)
        assert search(client).status_code == 403


# --- each search reads its index ------------------------------------------------------------

SEARCH_INDEXES = {
    "none": (lambda s: AuditFilters(), "audit_at"),
    "user": (lambda s: AuditFilters(username=s["username"]), "audit_user"),
    "person": (lambda s: AuditFilters(person_id=s["person_id"]), "audit_person"),
    "object": (
        lambda s: AuditFilters(object_type="cases.case", object_id=s["object_id"]),
        "audit_object_at",
    ),
    "rare action": (lambda s: AuditFilters(action="unlocked"), "audit_action_at"),
}


@pytest.mark.parametrize("name", SEARCH_INDEXES)
def test_each_search_page_is_one_query_on_its_index(
    requires_postgres, caseworker, name
):
    """50,000 events made by generate_series, analysed; the plan of a page (first and
    next) reads the filter's index, never the whole table, and sorts nothing large.
    (bench/audit.py does the same on half a million rows, with timings.)"""
    person = f.PersonFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO audit_auditevent (at, user_id, action, person_id,
                                          object_type, object_id, detail)
            SELECT now() - g * interval '1 minute',
                   CASE WHEN g %% 100 = 0 THEN %(user)s END,
                   CASE WHEN g %% 5000 = 0 THEN 'unlocked' ELSE 'view' END,
                   CASE WHEN g %% 1000 = 0 THEN %(person)s END,
                   'cases.case', (g %% 20000)::text, '{}'::jsonb
            FROM generate_series(1, 50000) g
            """,
            {"user": caseworker.pk, "person": person.pk},
        )
        cursor.execute("ANALYZE audit_auditevent")
    filters_for, index = SEARCH_INDEXES[name]
    filters = filters_for(
        {"username": caseworker.username, "person_id": person.pk, "object_id": "7"}
    )
    events = audit_search(filters)
    last = list(page_query(events, before=None, size=5))[-1]

    for before in (None, Cursor(at=last.at, id=last.pk)):
        statement, params = page_query(events, before=before).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + statement, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert f" {index} on audit_auditevent" in plan, plan
        assert "Seq Scan on audit_auditevent" not in plan, plan
        assert "OFFSET" not in statement
        assert "COUNT(" not in statement.upper()
    assert filters.index == index


@pytest.mark.parametrize(
    "query",
    [
        "?date_to=9999-12-31",
        "?before=2026-01-01T00:00:00-23:59,1",
        "?before=9999-12-31T23:59:59-12:00,1",
        "?before=2026-01-01T00:00:00Z,%C2%B2",
    ],
)
def test_the_trail_search_takes_any_address_without_an_error(
    client, superuser, supervisor, query
):
    # A day past the last one Python holds, and offsets PostgreSQL refuses, were
    # 500s; each is now the search or its first page.
    person = f.PersonFactory()
    event_about(person, at=timezone.now(), user=superuser)
    client.force_login(superuser)

    assert client.get(f"/staff/audit/{query}").status_code == 200
    client.force_login(supervisor)
    assert client.get(f"/staff/people/{person.pk}/audit/{query}").status_code == 200


@pytest.mark.parametrize(
    "after",
    ["1,9999-12-31T23:59:59-23:59,1", "1,0001-01-01T00:00:00%2B23:59,1", "1,x,²"],
)
def test_the_possible_duplicates_take_any_address_without_an_error(
    client, supervisor, after
):
    client.force_login(supervisor)
    assert client.get(f"/staff/duplicates/?after={after}").status_code == 200


def test_the_admins_trail_search_for_a_person_takes_a_unicode_digit(client, superuser):
    client.force_login(superuser)
    response = client.get("/admin/audit/auditevent/", {"q": "person:²"})
    assert response.status_code == 200
