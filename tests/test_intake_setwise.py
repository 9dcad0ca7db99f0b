"""case_intake_many written set-wise: a batch answers, and leaves behind, what the
same results fed one at a time would; in a few queries whatever its size; refused
set-wise (a concurrent intake), it goes one by one; its messages are queued by one
task."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from celery.app.task import Task
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from cases.models import Case, FurtherResult
from notify.services import QUEUE_MESSAGES, SEND_MESSAGE
from notify.tasks import queue_messages_task
from people.matching import phone_text
from people.models import Message, Person, PersonChange, PossibleDuplicate
from people.services import PersonDetails
from tests import factories as f
from work import intake
from work.intake import IntakeOutcome, case_intake_many
from work.intake import TestResult as LabResult

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SPECIMEN = dt.date(2021, 1, 10)
RESULT = dt.date(2021, 1, 11)
BORN = dt.date(1985, 6, 14)
NHS_1, NHS_2, NHS_3 = "9434765919", "4010232137", "9876543210"


def result(ref: str, first_name: str, last_name: str, **person) -> LabResult:
    specimen = person.pop("specimen_date", SPECIMEN)
    return LabResult(
        lab_reference=ref,
        person=PersonDetails(first_name=first_name, last_name=last_name, **person),
        specimen_date=specimen,
        result_date=RESULT,
    )


def phone(n: int) -> str:
    """A UK mobile of its own (a text reaches it)."""
    return f"07911 1{n:05d}"


# --- what a batch leaves behind, without ids ----------------------------------------


def _names(held: dict[str, int]) -> dict[int, str]:
    """Each person's stable name: a held person's label, a new one's first lab
    reference, a person with no case (left behind by mistake) "orphan"."""
    names = {pk: f"held:{label}" for label, pk in held.items()}
    refs: dict[int, list[str]] = {}
    for person_id, ref in Case.objects.values_list("person_id", "lab_reference"):
        refs.setdefault(person_id, []).append(ref)
    for person in Person.objects.exclude(pk__in=names):
        names[person.pk] = (
            f"new:{min(refs[person.pk])}"
            if person.pk in refs
            else f"orphan:{person.first_name} {person.last_name}"
        )
    return names


def _person(person: Person) -> tuple:
    return (
        person.first_name,
        person.last_name,
        person.date_of_birth,
        person.nhs_number,
        phone_text(person.phone),
        phone_text(person.phone_alt),
        person.email,
        person.address,
        person.postcode,
        person.area.code if person.area else None,
    )


def _outcome(outcome: IntakeOutcome) -> tuple:
    if outcome.error is not None:
        error = outcome.error
        said = sorted(error.messages) if isinstance(error, ValidationError) else []
        return ("error", type(error).__name__, *said)
    assert outcome.case is not None
    if outcome.conflict is not None:
        return ("conflict", outcome.case.lab_reference, *outcome.conflict["fields"])
    if outcome.further is not None:
        # Kept with the person's case of the same episode: which case.
        return ("further", outcome.further.lab_reference, outcome.case.lab_reference)
    kind = "created" if outcome.created else "existing"
    return (kind, outcome.case.lab_reference)


def snapshot(outcomes: list[IntakeOutcome], held: dict[str, int]) -> dict:
    """What a lab and a caseworker would see: the answers in order, each case's
    person (by name, so who shares a person shows), the further results each case
    keeps (a later result of its person's same episode), every person's details, the
    possible duplicates and the history of contact details."""
    names = _names(held)
    cases = {
        case.lab_reference: (
            names[case.person_id],
            case.area.code if case.area else None,
            case.complexity,
            case.status,
            case.next_attempt_at,
            Message.objects.filter(case=case).count(),
        )
        for case in Case.objects.select_related("area")
    }
    further = {
        row.lab_reference: (
            row.case.lab_reference,
            row.specimen_date,
            row.source,
        )
        for row in FurtherResult.objects.select_related("case")
    }
    people = sorted(
        (names[p.pk], _person(p)) for p in Person.objects.select_related("area")
    )
    pairs = sorted(
        (
            tuple(sorted((names[pair.person_a_id], names[pair.person_b_id]))),
            pair.score,
            tuple(pair.reasons),
            pair.status,
        )
        for pair in PossibleDuplicate.objects.all()
    )
    changes = sorted(
        (names[c.person_id], c.field, c.old_value, c.new_value, c.source)
        for c in PersonChange.objects.all()
    )
    return {
        "outcomes": [_outcome(o) for o in outcomes],
        "cases": cases,
        "further": further,
        "people": people,
        "duplicates": pairs,
        "changes": changes,
    }


def kept(snap: dict) -> dict[str, str]:
    """Each further result's lab reference, and its case's."""
    return {ref: case_ref for ref, (case_ref, *_) in snap["further"].items()}


def groups(snap: dict) -> list[list[str]]:
    """The lab references sharing a person, with the held person's label if any: a
    further result's is its case's person's."""
    by_person: dict[str, set[str]] = {}
    for ref, (name, *_) in snap["cases"].items():
        by_person.setdefault(name, set()).add(ref)
    for ref, (case_ref, *_) in snap["further"].items():
        by_person[snap["cases"][case_ref][0]].add(ref)
    return sorted(
        sorted({*refs, name} if name.startswith("held:") else refs)
        for name, refs in by_person.items()
    )


# --- the scenarios ------------------------------------------------------------------


@dataclass
class Scenario:
    """Results to take, the people held first (label: factory fields) and results
    taken before; what the batch should do: which results wait for the one-by-one
    path, who shares a person, and which results are further results kept with
    which case (a person's later result of the same episode: work/intake.py)."""

    results: list[LabResult]
    one_by_one: set[str]
    together: list[set[str]]
    further: dict[str, str] = field(default_factory=dict)
    held: dict[str, dict] = field(default_factory=dict)
    before: list[LabResult] = field(default_factory=list)


def unrelated() -> Scenario:
    return Scenario(
        results=[
            result("A1", "Sarah", "Jones", date_of_birth=BORN, phone=phone(1),
                   postcode="S1 1AA"),
            result("A2", "Imran", "Khan", date_of_birth=dt.date(1981, 2, 2),
                   phone=phone(2), postcode="S70 2TA", nhs_number=NHS_2),
            result("A3", "Grace", "Lee", date_of_birth=dt.date(1992, 3, 3),
                   phone="0114 496 0123", postcode="LS1 1UR"),
            result("A4", "Tom", "Brown", email="tom@example.com"),
        ],
        one_by_one=set(),
        together=[{"A1"}, {"A2"}, {"A3"}, {"A4"}],
    )  # fmt: skip


def same_person_thrice() -> Scenario:
    sarah = {"date_of_birth": BORN, "phone": phone(1), "postcode": "S1 1AA"}
    return Scenario(
        results=[
            result("B1", "Sarah", "Jones", nhs_number=NHS_1, **sarah),
            result("B2", "Imran", "Khan", date_of_birth=dt.date(1981, 2, 2),
                   phone=phone(2)),
            result("B3", "Sarah", "Jones", nhs_number=NHS_1,
                   specimen_date=dt.date(2021, 1, 9), **sarah),
            result("B4", "SARAH", "Jones", date_of_birth=BORN, phone=phone(1)),
        ],
        one_by_one={"B3", "B4"},
        together=[{"B1", "B3", "B4"}, {"B2"}],
        further={"B3": "B1", "B4": "B1"},
    )  # fmt: skip


def household() -> Scenario:
    """A shared phone and postcode, each with a birthday of their own: none of them
    can be another, so nobody waits."""
    home = {"phone": phone(3), "postcode": "S1 1AA"}
    return Scenario(
        results=[
            result("C1", "Ruth", "Okafor", date_of_birth=dt.date(1962, 2, 2), **home),
            result("C2", "Daniel", "Okafor", date_of_birth=dt.date(1994, 9, 30),
                   **home),
            result("C3", "Grace", "Okafor", date_of_birth=dt.date(1999, 4, 4),
                   **home),
        ],
        one_by_one=set(),
        together=[{"C1"}, {"C2"}, {"C3"}],
    )  # fmt: skip


def household_birthday_unknown() -> Scenario:
    """The same household, the first without a birthday: the others may be them, so
    they wait."""
    home = {"phone": phone(3), "postcode": "S1 1AA"}
    return Scenario(
        results=[
            result("C1", "Ruth", "Okafor", date_of_birth=None, **home),
            result("C2", "Daniel", "Okafor", date_of_birth=dt.date(1994, 9, 30),
                   **home),
            result("C3", "Ruth", "Okafor", date_of_birth=dt.date(1962, 2, 2),
                   **home),
        ],
        one_by_one={"C2", "C3"},
        together=[{"C1", "C3"}, {"C2"}],
        further={"C3": "C1"},
    )  # fmt: skip


def household_with_nhs_numbers() -> Scenario:
    """A shared phone and postcode, but each with an NHS number of their own:
    nobody waits."""
    home = {"phone": phone(3), "postcode": "S1 1AA"}
    return Scenario(
        results=[
            result("C1", "Ruth", "Okafor", nhs_number=NHS_1,
                   date_of_birth=dt.date(1962, 2, 2), **home),
            result("C2", "Daniel", "Okafor", nhs_number=NHS_2,
                   date_of_birth=dt.date(1994, 9, 30), **home),
        ],
        one_by_one=set(),
        together=[{"C1"}, {"C2"}],
    )  # fmt: skip


def twins() -> Scenario:
    twin = {"date_of_birth": BORN, "phone": phone(4), "postcode": "S1 1AA"}
    return Scenario(
        results=[
            result("D1", "Amir", "Khan", **twin),
            result("D2", "Amira", "Khan", **twin),
            result("D3", "Amir", "Khan", specimen_date=dt.date(2021, 1, 9), **twin),
        ],
        one_by_one={"D2", "D3"},
        together=[{"D1", "D3"}, {"D2"}],
        further={"D3": "D1"},
    )


JONATHAN = {
    "first_name": "Jonathan",
    "last_name": "Smith",
    "nhs_number": NHS_1,
    "date_of_birth": BORN,
    "phone": "+447911100001",
    "address": "1 Old Road",
    "postcode": "S1 1AA",
}


def held_moves_then_matched() -> Scenario:
    """A held person found by NHS number with a new phone and address; a later
    result finds them by the new phone, their birthday and a close name (a surname
    typo: a first name a letter off is only listed)."""
    return Scenario(
        held={"jonathan": JONATHAN},
        results=[
            result("E1", "Grace", "Lee", date_of_birth=dt.date(1992, 3, 3),
                   phone=phone(11)),
            result("E2", "Jonathan", "Smith", nhs_number=NHS_1, date_of_birth=BORN,
                   phone=phone(12), address="2 New Street", postcode="S70 2TA"),
            result("E3", "Jonathan", "Smyth", date_of_birth=BORN, phone=phone(12)),
        ],
        one_by_one={"E3"},
        together=[{"E1"}, {"E2", "E3", "held:jonathan"}],
        further={"E3": "E2"},
    )  # fmt: skip


def held_changed_before_a_candidate() -> Scenario:
    """A later result shares nothing with the earlier one but is weighed against the
    held person the earlier one changes (their phone moves away from it)."""
    return Scenario(
        held={"jonathan": JONATHAN},
        results=[
            result("E2", "Jonathan", "Smith", nhs_number=NHS_1, phone=phone(12),
                   postcode="S70 2TA"),
            result("E3", "Jonathan", "Smyth", date_of_birth=BORN,
                   phone="07911 100001"),
        ],
        one_by_one={"E3"},
        together=[{"E2", "held:jonathan"}, {"E3"}],
    )  # fmt: skip


def birthday_filled_in() -> Scenario:
    """A held person without a date of birth is given one by a result; a later
    result with only a name and that date relies on it."""
    return Scenario(
        held={
            "priya": {
                "first_name": "Priya",
                "last_name": "Patel",
                "date_of_birth": None,
                "phone": "+447911100021",
                "postcode": "S1 1AA",
            }
        },
        results=[
            result("F1", "Priya", "Patel", date_of_birth=BORN, phone="07911 100021",
                   postcode="S1 1AA"),
            result("F2", "Grace", "Lee", date_of_birth=dt.date(1992, 3, 3)),
            result("F3", "Priya", "Patel", date_of_birth=BORN),
        ],
        one_by_one={"F3"},
        together=[{"F1", "F3", "held:priya"}, {"F2"}],
        further={"F3": "F1"},
    )  # fmt: skip


def refused_interleaved() -> Scenario:
    tom = {"date_of_birth": dt.date(1977, 7, 7)}
    return Scenario(
        results=[
            result("G1", "Sarah", "Jones", date_of_birth=BORN, phone=phone(31)),
            result("G2", "Imran", "Khan", postcode="NOT A CODE", phone=phone(32)),
            result("G3", "Grace", "Lee", date_of_birth=dt.date(1992, 3, 3)),
            result("G4", "Tom", "Brown", phone="12345", **tom),
            result("G5", "Tom", "Brown", phone=phone(35), **tom),
            result("G6", "Imran", "Khan", postcode="S70 2TA", phone=phone(32)),
            result("G7", "Ann", "Bell", nhs_number="1234567890"),
        ],
        one_by_one={"G5"},
        together=[{"G1"}, {"G3"}, {"G5"}, {"G6"}],
    )


def reference_twice() -> Scenario:
    """A new lab reference twice in a batch (the second for someone else): the
    whole batch goes one by one."""
    return Scenario(
        results=[
            result("I1", "Sarah", "Jones", date_of_birth=BORN, phone=phone(41)),
            result("I2", "Imran", "Khan", date_of_birth=dt.date(1981, 2, 2)),
            result("I1", "Sally", "Jonas", date_of_birth=BORN, phone=phone(41)),
        ],
        one_by_one={"I1", "I2"},
        together=[{"I1"}, {"I2"}],
    )


def references_on_file() -> Scenario:
    """Results already received: sent again (existing), for someone else (a
    conflict), beside new ones for the person already held and for others."""
    sarah = {"nhs_number": NHS_1, "date_of_birth": BORN, "phone": phone(51)}
    return Scenario(
        before=[
            result("J1", "Sarah", "Jones", **sarah),
            result("J2", "Imran", "Khan", date_of_birth=dt.date(1981, 2, 2)),
        ],
        results=[
            result("J1", "Sarah", "Jones", **sarah),
            result("J2", "Tom", "Brown", date_of_birth=dt.date(1977, 7, 7)),
            result("J3", "Grace", "Lee", date_of_birth=dt.date(1992, 3, 3)),
            result("J4", "Sarah", "Jones", specimen_date=dt.date(2021, 1, 9),
                   **sarah),
        ],
        one_by_one=set(),
        together=[
            {"J1", "J4", "held:before-J1"},
            {"J2", "held:before-J2"},
            {"J3"},
        ],
        further={"J4": "J1"},
    )  # fmt: skip


def oldest_of_two_namesakes() -> Scenario:
    """Two people of one name, birthday and phone told apart by their NHS numbers;
    a third result without one links to the older record of the two. The second
    waits (its postcode is the first's, who has no birthday), the third not (its
    NHS number is another): the second's person, written after the third's, still
    has the older id."""
    chris = {"date_of_birth": BORN, "phone": phone(61)}
    return Scenario(
        results=[
            result("K1", "Alan", "Brown", date_of_birth=None,
                   phone=phone(60), postcode="S70 2TA"),
            result("K2", "Chris", "Taylor", nhs_number=NHS_2, postcode="S70 2TA",
                   **chris),
            result("K3", "Chris", "Taylor", nhs_number=NHS_3, **chris),
            result("K4", "Chris", "Taylor", **chris),
        ],
        one_by_one={"K2", "K4"},
        together=[{"K1"}, {"K2", "K4"}, {"K3"}],
        further={"K4": "K2"},
    )  # fmt: skip


def a_new_episode() -> Scenario:
    """A held person's case 92 days before the batch's first result: that result is
    a new case (a new episode), and their later results go with the most recent
    case within 90 days of theirs, 90 days exactly included."""
    sarah = {"nhs_number": NHS_1, "date_of_birth": BORN, "phone": phone(81)}
    return Scenario(
        before=[
            result("L1", "Sarah", "Jones", specimen_date=dt.date(2020, 10, 10),
                   **sarah),
        ],
        results=[
            result("L2", "Sarah", "Jones", **sarah),
            result("L3", "Sarah", "Jones", specimen_date=dt.date(2021, 1, 5),
                   **sarah),
            result("L4", "Sarah", "Jones", specimen_date=dt.date(2020, 10, 12),
                   **sarah),
        ],
        one_by_one={"L3", "L4"},
        together=[{"L1", "L2", "L3", "L4", "held:before-L1"}],
        further={"L3": "L2", "L4": "L2"},
    )  # fmt: skip


SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "a-unrelated": unrelated,
    "b-same-person-thrice": same_person_thrice,
    "c-household": household,
    "c-household-birthday-unknown": household_birthday_unknown,
    "c-household-with-nhs-numbers": household_with_nhs_numbers,
    "d-twins": twins,
    "e-held-moves-then-matched": held_moves_then_matched,
    "e-held-changed-before-a-candidate": held_changed_before_a_candidate,
    "f-birthday-filled-in": birthday_filled_in,
    "g-refused-interleaved": refused_interleaved,
    "i-reference-twice": reference_twice,
    "j-references-on-file": references_on_file,
    "k-oldest-of-two-namesakes": oldest_of_two_namesakes,
    "l-a-new-episode": a_new_episode,
}
WITHOUT_MATCHING = {
    "b-same-person-thrice": [{"B1", "B3"}, {"B2"}, {"B4"}],
    "d-twins": [{"D1"}, {"D2"}, {"D3"}],
    "e-held-moves-then-matched": [{"E1"}, {"E2", "held:jonathan"}, {"E3"}],
    "f-birthday-filled-in": [{"F1"}, {"F2"}, {"F3"}],
}
# Without matching only the NHS number finds a person: B3 is B1's person.
WITHOUT_MATCHING_FURTHER = {"b-same-person-thrice": {"B3": "B1"}}


def _params():
    for name in SCENARIOS:
        marks: list = []
        yield pytest.param(name, True, id=name, marks=marks)
    for name in WITHOUT_MATCHING:
        yield pytest.param(name, False, id=f"h-no-matching-{name}")


@pytest.mark.parametrize(("name", "matching"), list(_params()))
def test_a_batch_leaves_what_the_results_one_at_a_time_would(
    name, matching, settings, monkeypatch, requires_postgres
):
    """Each scenario taken as one batch, undone, then result by result: the same
    answers, the same people with the same details, the same possible duplicates
    and history. The batch must also have taken the set-wise path for the results
    that do not wait."""
    settings.TRACING_PERSON_MATCHING = matching
    scenario = SCENARIOS[name]()
    held = {label: f.PersonFactory(**spec).pk for label, spec in scenario.held.items()}
    if scenario.before:
        case_intake_many(results=scenario.before)
        for case in Case.objects.select_related("person"):
            held.setdefault(f"before-{case.lab_reference}", case.person_id)

    one_by_one: list[str] = []
    real_case_create = intake._case_create

    def case_create(*, result, **kwargs):
        one_by_one.append(result.lab_reference)
        return real_case_create(result=result, **kwargs)

    monkeypatch.setattr(intake, "_case_create", case_create)
    with transaction.atomic():
        batch = snapshot(case_intake_many(results=scenario.results), held)
        transaction.set_rollback(True)
    went_one_by_one = set(one_by_one)

    alone = snapshot([case_intake_many(results=[r])[0] for r in scenario.results], held)

    assert batch == alone
    assert went_one_by_one == scenario.one_by_one
    expected = scenario.together if matching else WITHOUT_MATCHING[name]
    assert groups(batch) == sorted(sorted(group) for group in expected)
    assert kept(batch) == (
        scenario.further if matching else WITHOUT_MATCHING_FURTHER.get(name, {})
    )


def test_twins_are_two_people_and_a_possible_duplicate(requires_postgres):
    """The twins scenario, said plainly (the comparison above would pass were both
    ways wrong alike)."""
    case_intake_many(results=twins().results)

    amir = Person.objects.get(first_name="Amir")
    amira = Person.objects.get(first_name="Amira")
    pair = PossibleDuplicate.objects.get()
    assert {pair.person_a_id, pair.person_b_id} == {amir.pk, amira.pk}
    assert "same date of birth" in pair.reasons
    # Amir's two results are one episode: one case, the other kept with it.
    [case] = amir.cases.all()
    assert case.lab_reference == "D1"
    assert list(case.further_results.values_list("lab_reference", flat=True)) == ["D3"]
    assert amira.cases.get().lab_reference == "D2"


def test_a_held_person_moving_keeps_the_old_details_in_their_history(
    requires_postgres,
):
    held = f.PersonFactory(**JONATHAN)

    case_intake_many(results=held_moves_then_matched().results)

    held.refresh_from_db()
    assert phone_text(held.phone) == "+447911100012"
    assert sorted(
        held.changes.values_list("field", "old_value", "new_value", "source")
    ) == [
        ("address", "1 Old Road", "2 New Street", "intake"),
        ("phone", "+447911100001", "+447911100012", "intake"),
        ("postcode", "S1 1AA", "S70 2TA", "intake"),
    ]
    [case] = held.cases.all()
    assert case.lab_reference == "E2"
    assert list(case.further_results.values_list("lab_reference", flat=True)) == ["E3"]


# --- few queries whatever the size --------------------------------------------------


def unrelated_batch(start: int, size: int) -> list[LabResult]:
    """`size` people sharing nothing: their own names, birthdays, phones and
    postcodes."""
    return [
        result(
            f"Q{n:05d}",
            f"First{n}",
            f"Last{n}",
            date_of_birth=dt.date(1940, 1, 1) + dt.timedelta(days=n),
            phone=phone(n),
            postcode=f"S{1 + n // 260} {n // 26 % 10}A{chr(65 + n % 26)}",
        )
        for n in range(start, start + size)
    ]


def test_a_batch_makes_few_queries_whatever_its_size(requires_postgres):
    case_intake_many(results=unrelated_batch(0, 2))  # caches warmed

    with CaptureQueriesContext(connection) as ten:
        case_intake_many(results=unrelated_batch(100, 10))
    with CaptureQueriesContext(connection) as hundred:
        outcomes = case_intake_many(results=unrelated_batch(1000, 100))

    assert all(o.created for o in outcomes)
    assert Case.objects.count() == 112
    assert len(hundred) <= len(ten) + 2
    assert len(hundred) < 40


def test_people_found_at_a_new_address_are_not_each_looked_up_in_the_areas(
    requires_postgres,
):
    born = [dt.date(1950, 1, 1) + dt.timedelta(days=n) for n in range(20)]
    held = [
        f.PersonFactory(
            first_name=f"First{n}",
            last_name=f"Last{n}",
            date_of_birth=born[n],
            phone=phone(n),
            postcode="S1 1AA",
        )
        for n in range(20)
    ]
    moved = [
        result(
            f"MOVED{n}",
            f"First{n}",
            f"Last{n}",
            date_of_birth=born[n],
            phone=phone(n),
            postcode="S70 2TA",
        )
        for n in range(20)
    ]

    with CaptureQueriesContext(connection) as queries:
        outcomes = case_intake_many(results=moved)

    assert [o.case.person_id for o in outcomes] == [p.pk for p in held]
    assert set(
        Person.objects.filter(pk__in=[p.pk for p in held]).values_list(
            "postcode", flat=True
        )
    ) == {"S70 2TA"}
    # The batch's areas in one read; not a check that each person's area exists.
    assert len([q for q in queries if 'FROM "areas_area"' in q["sql"]]) <= 1


def held_and_moving(start: int, size: int) -> list[LabResult]:
    """`size` people already held (as a named contact would be), each arriving with
    a positive result from a new address."""
    born = dt.date(1945, 1, 1)
    for n in range(start, start + size):
        f.PersonFactory(
            first_name=f"Held{n}",
            last_name=f"Mover{n}",
            date_of_birth=born + dt.timedelta(days=n),
            phone=phone(n),
            postcode="S1 1AA",
        )
    return [
        result(
            f"H{n:05d}",
            f"Held{n}",
            f"Mover{n}",
            date_of_birth=born + dt.timedelta(days=n),
            phone=phone(n),
            postcode="S70 2TA",
            address=f"{n} New Street",
        )
        for n in range(start, start + size)
    ]


def test_people_found_and_changed_are_written_in_a_few_statements(
    requires_postgres, clock
):
    case_intake_many(results=unrelated_batch(0, 2))  # caches warmed
    ten, forty = held_and_moving(100, 10), held_and_moving(200, 40)
    clock.shift(dt.timedelta(minutes=5))

    with CaptureQueriesContext(connection) as for_ten:
        case_intake_many(results=ten)
    with CaptureQueriesContext(connection) as for_forty:
        outcomes = case_intake_many(results=forty)

    assert all(o.created for o in outcomes)
    movers = Person.objects.filter(last_name__startswith="Mover")
    assert movers.count() == 50  # found, not made again
    assert set(movers.values_list("postcode", flat=True)) == {"S70 2TA"}
    assert movers.filter(address__endswith="New Street").count() == 50
    # Stamped as a save stamps a change: when it was made.
    assert {p.updated_at - p.created_at for p in movers} == {dt.timedelta(minutes=5)}
    assert len(for_forty) <= len(for_ten) + 2


SPREAD = ["S1 2HE", "LS1 4DY", "M1 1AE", "SW1A 1AA", "S70 2TA", "CA1 1AA"]


def living_at(start: int, postcodes: list[str]) -> list[LabResult]:
    return [
        result(
            f"A{start + n:05d}",
            f"First{start + n}",
            f"Last{start + n}",
            date_of_birth=dt.date(1960, 1, 1) + dt.timedelta(days=start + n),
            phone=phone(start + n),
            postcode=postcode,
        )
        for n, postcode in enumerate(postcodes)
    ]


def test_a_batch_across_many_areas_fetches_them_in_one_query(requires_postgres):
    case_intake_many(results=unrelated_batch(0, 2))  # caches warmed

    with CaptureQueriesContext(connection) as in_one:
        case_intake_many(results=living_at(100, ["S1 2HE"] * len(SPREAD)))
    with CaptureQueriesContext(connection) as across:
        outcomes = case_intake_many(results=living_at(200, SPREAD))

    assert all(o.created for o in outcomes)
    assert len({o.case.area_id for o in outcomes}) == len(SPREAD)
    assert len(across) == len(in_one)


# --- refused set-wise, answered one by one ------------------------------------------


@pytest.mark.parametrize(
    ("again", "answer"),
    [({}, "existing"), ({"last_name": "Other"}, "conflict")],
    ids=["sent-again", "another-person"],
)
def test_a_reference_made_meanwhile_is_answered_one_by_one(
    again, answer, monkeypatch, requires_postgres
):
    """A concurrent intake made X after this batch looked its references up: the
    set-wise INSERT is refused, and the batch goes one by one."""
    details = {"last_name": "Jones", "date_of_birth": BORN, "phone": phone(71)}
    [first] = case_intake_many(results=[result("X", "Sarah", **details)])
    real_of = intake._Known.of

    def blind_to_x(results):
        known = real_of(results)
        known.cases.pop("X", None)
        return known

    monkeypatch.setattr(intake._Known, "of", blind_to_x)
    batch = [
        result("Y1", "Imran", "Khan", date_of_birth=dt.date(1981, 2, 2)),
        result("X", "Sarah", **(details | again)),
        result("Y2", "Grace", "Lee", date_of_birth=dt.date(1992, 3, 3)),
    ]

    outcomes = case_intake_many(results=batch)

    assert [_outcome(o)[0] for o in outcomes] == ["created", answer, "created"]
    assert outcomes[1].case.pk == first.case.pk
    assert sorted(Case.objects.values_list("lab_reference", flat=True)) == [
        "X",
        "Y1",
        "Y2",
    ]
    assert not Person.objects.filter(cases__isnull=True).exists()
    assert not Person.objects.filter(last_name="Other").exists()


# --- messages queued by one task ----------------------------------------------------


@pytest.fixture
def queued(monkeypatch):
    """The Celery tasks queued (name, arguments), none sent to a broker."""
    calls: list[tuple[str, dict]] = []

    def delay(task, *args, **kwargs):
        calls.append((task.name, kwargs))

    monkeypatch.setattr(Task, "delay", delay)
    return calls


def test_a_batchs_links_are_queued_by_one_task(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case_intake_many(results=unrelated_batch(0, 3))

    ids = sorted(
        Message.objects.filter(kind=Message.Kind.CASE_LINK).values_list("pk", flat=True)
    )
    assert len(ids) == 3
    [(name, kwargs)] = [call for call in queued if call[0] != SEND_MESSAGE]
    assert name == QUEUE_MESSAGES
    assert sorted(kwargs["message_ids"]) == ids
    assert not [call for call in queued if call[0] == SEND_MESSAGE]

    queued.clear()
    queue_messages_task(message_ids=kwargs["message_ids"])

    assert sorted(queued, key=lambda call: call[1]["message_id"]) == [
        (SEND_MESSAGE, {"message_id": pk}) for pk in ids
    ]


def test_a_single_results_link_is_queued_as_its_own_sending(
    queued, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case_intake_many(results=unrelated_batch(0, 1))

    message = Message.objects.get(kind=Message.Kind.CASE_LINK)
    assert queued == [(SEND_MESSAGE, {"message_id": message.pk})]
