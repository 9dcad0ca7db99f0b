"""Find a person (staffing:people_search, work/access/people.py): each kind of query,
a typo in a name, the access rules, the audit, the queries and the index."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.urls import reverse

from audit.models import AuditEvent
from tests import factories as f
from work.access.people import parse_person_query, people_search

pytestmark = pytest.mark.django_db

URL = reverse("staffing:people_search")
BORN = dt.date(1985, 6, 14)
NHS = "9434765919"
PHONE = "+447911123456"
BARNSLEY = "E08000016"


@pytest.fixture
def jonathan(db):
    """Jonathan Smith, with a case in Sheffield."""
    person = f.PersonFactory(
        first_name="Jonathan",
        last_name="Smith",
        date_of_birth=BORN,
        nhs_number=NHS,
        phone="+447700900123",
        phone_alt=PHONE,
        postcode="S10 2TN",
    )
    f.CaseFactory(person=person)
    return person


@pytest.fixture
def others(db):
    """People who match none of Jonathan's details."""
    for first, last in (("Amira", "Khan"), ("Grace", "Okafor"), ("Wei", "Chen")):
        f.CaseFactory(
            person__first_name=first,
            person__last_name=last,
            person__date_of_birth=dt.date(1970, 1, 1),
        )


def found(client, user, **query) -> list[int]:
    client.force_login(user)
    response = client.get(URL, query)
    assert response.status_code == 200
    return [row.person.pk for row in response.context["results"]]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("943 476 5919", "nhs_number"),
        ("9434765919", "nhs_number"),
        ("07911 123456", "phone"),
        ("+44 7911 123456", "phone"),
        ("s102tn", "postcode"),
        ("S10 2TN", "postcode"),
        ("14/06/1985", "date_of_birth"),
        ("1985-06-14", "date_of_birth"),
        ("Jonathan Smith", "name"),
        ("smith", "name"),
    ],
)
def test_each_kind_of_query_finds_the_person(
    client, supervisor, jonathan, others, text, kind
):
    assert parse_person_query(text).kind == kind
    assert found(client, supervisor, q=text) == [jonathan.pk]


@pytest.mark.parametrize(
    ("phone", "typed"),
    [
        ("+44800123456", "0800 123456"),  # ten digits, not an NHS number
        ("+44169773456", "016977 3456"),
        ("+33612345678", "+33 6 12 34 56 78"),  # abroad, as kept
        ("+33612345678", "0033612345678"),
    ],
)
def test_a_phone_number_of_ten_digits_or_abroad_finds_them(
    client, supervisor, others, phone, typed
):
    """Before, ten digits were always taken for an NHS number, and a number abroad
    was searched as a postcode, then a name: neither found anyone."""
    person = f.CaseFactory(person__phone=phone).person

    assert parse_person_query(typed).kind == "phone"
    assert found(client, supervisor, q=typed) == [person.pk]


@pytest.mark.usefixtures("requires_postgres")
def test_a_surname_alone_finds_people_with_long_first_names(client, supervisor, others):
    long_name = f.CaseFactory(
        person__first_name="Christopher-Alexander", person__last_name="Shah"
    ).person
    short_name = f.CaseFactory(person__first_name="Al", person__last_name="Shah").person

    assert set(found(client, supervisor, q="Shah")) == {long_name.pk, short_name.pk}


def test_a_typo_in_the_name_still_finds_them(client, supervisor, jonathan, others):
    if connection.vendor != "postgresql":
        pytest.skip("a typo is forgiven by pg_trgm's similarity (PostgreSQL)")
    assert found(client, supervisor, q="Jonathon Smith")[0] == jonathan.pk
    assert found(client, supervisor, q="Jonathon")[0] == jonathan.pk


@pytest.mark.usefixtures("requires_postgres")
@pytest.mark.parametrize(
    ("first", "last", "typed"),
    [
        ("Siân", "Llŷr", "Sian Llyr"),
        ("Zoë", "Müller", "Muller"),
        ("Seán", "O'Brien", "Sean OBrien"),
        ("Sean", "OBrien", "Seán O\u2019Brien"),  # a typographic apostrophe
        ("Łucja", "Dąbrowska", "Lucja Dabrowska"),
    ],
)
def test_a_name_is_found_without_its_accents_or_apostrophes(
    client, supervisor, others, first, last, typed
):
    """A caller spells the name out on the phone without its accents, or a keyboard
    has none: the person is found all the same, first."""
    person = f.CaseFactory(person__first_name=first, person__last_name=last).person

    assert found(client, supervisor, q=typed)[:1] == [person.pk]


def test_the_best_match_comes_first(client, supervisor, jonathan):
    if connection.vendor != "postgresql":
        pytest.skip("ordered by trigram similarity on PostgreSQL")
    near = f.PersonFactory(first_name="Jonathan", last_name="Smithers")
    f.CaseFactory(person=near)
    assert found(client, supervisor, q="Jonathan Smith") == [jonathan.pk, near.pk]


def test_the_separate_date_of_birth_narrows_the_search(client, supervisor, jonathan):
    twin = f.PersonFactory(first_name="Jonathan", last_name="Smith", date_of_birth=None)
    f.CaseFactory(person=twin)
    assert set(found(client, supervisor, q="Jonathan Smith")) == {jonathan.pk, twin.pk}
    assert found(
        client, supervisor, q="Jonathan Smith", date_of_birth="1985-06-14"
    ) == [jonathan.pk]


def test_an_empty_search_is_an_error(client, supervisor):
    client.force_login(supervisor)
    response = client.get(URL, {"q": ""})
    assert response.status_code == 200
    assert response.context["results"] is None
    assert "Enter a name, date of birth" in response.content.decode()


def test_a_local_team_member_sees_only_their_teams_people(
    client, local_team_member, jonathan
):
    elsewhere = f.PersonFactory(
        first_name="Jonathan", last_name="Smith", area=f.area(BARNSLEY)
    )
    f.CaseFactory(person=elsewhere)
    assert found(client, local_team_member, q="Jonathan Smith") == [jonathan.pk]
    # Handed to the team: now theirs to see.
    team = f.area().local_team
    f.EscalationFactory(
        contact__person=elsewhere, contact__local_team=team, local_team=team
    )
    assert set(found(client, local_team_member, q="Jonathan Smith")) == {
        jonathan.pk,
        elsewhere.pk,
    }


def test_a_local_team_member_links_to_the_escalation(client, local_team_member):
    escalation = f.EscalationFactory(contact__person__last_name="Osei")
    client.force_login(local_team_member)
    response = client.get(URL, {"q": "Osei"})
    body = response.content.decode()
    assert reverse("escalations:detail", args=[escalation.pk]) in body
    assert reverse("contacts:detail", args=[escalation.contact.pk]) not in body


def test_a_caseworker_sees_only_people_with_items_they_hold(
    client, caseworker, jonathan
):
    held = f.CaseFactory(
        person__first_name="Jonathan",
        person__last_name="Smith",
        assignee=caseworker,
        status="assigned",
    )
    contact = f.ContactFactory(
        case=held, person__first_name="Jonathan", person__last_name="Smithson"
    )
    client.force_login(caseworker)
    response = client.get(URL, {"q": "Jonathan Smith"})
    shown = {row.person.pk for row in response.context["results"]}
    assert jonathan.pk not in shown
    assert held.person.pk in shown
    assert contact.person.pk in shown
    body = response.content.decode()
    assert reverse("cases:detail", args=[held.pk]) in body
    # Their case's contact is visible, but not theirs to work: no link.
    assert reverse("contacts:detail", args=[contact.pk]) not in body


def test_a_call_handler_sees_only_people_with_contacts_they_hold(
    client, call_handler, jonathan
):
    contact = f.ContactFactory(
        person__first_name="Jonathan",
        person__last_name="Smith",
        assignee=call_handler,
        status="assigned",
    )
    f.ContactFactory(person__first_name="Jonathan", person__last_name="Smith")
    client.force_login(call_handler)
    response = client.get(URL, {"q": "Jonathan Smith"})
    rows = response.context["results"]
    assert [row.person.pk for row in rows] == [contact.person.pk]
    assert rows[0].cases == []
    assert reverse("contacts:detail", args=[contact.pk]) in response.content.decode()


def test_an_outsider_is_refused(client, outsider, jonathan):
    client.force_login(outsider)
    response = client.get(URL, {"q": "Smith"})
    assert response.status_code == 403
    assert not AuditEvent.objects.exists()


def test_every_search_is_audited_as_a_list_view(client, supervisor, jonathan, others):
    found(client, supervisor, q="Smith")
    [event] = AuditEvent.objects.filter(action=AuditEvent.Action.VIEW)
    assert event.person_id == jonathan.pk
    assert event.user == supervisor
    assert event.detail == {"via": "page", "list": "people search"}


def test_the_queries_do_not_grow_with_the_results(
    client, supervisor, local_team_member, django_assert_max_num_queries
):
    def add(people: int) -> None:
        for _ in range(people):
            # Short first names: "Ali Shah" is as close to "Shah" every time (a
            # long random first name can fall under the similarity threshold).
            case = f.CaseFactory(person__first_name="Ali", person__last_name="Shah")
            f.EscalationFactory(
                contact__case=case,
                contact__person__first_name="Amy",
                contact__person__last_name="Shah",
            )

    def search(user, shown: int) -> int:
        client.force_login(user)
        # The session and profile, the people, their cases, their contacts, the
        # escalations (a local team), the audit INSERT: the same for 3 or 30.
        with django_assert_max_num_queries(12) as captured:
            response = client.get(URL, {"q": "Shah"})
        assert len(response.context["results"]) == shown
        return len(captured)

    add(3)
    few = {user: search(user, 6) for user in (supervisor, local_team_member)}
    add(27)
    many = {user: search(user, 50) for user in (supervisor, local_team_member)}
    assert few == many


def test_a_name_search_uses_the_trigram_index(requires_postgres, supervisor, jonathan):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = people_search(supervisor, parse_person_query("Jonathon Smith")).explain()
    assert "Bitmap Index Scan on person_name_fold_trgm" in plan
