"""A further positive result of a person who has a case of the same episode (specimen
dates within 90 days) is kept with that case, not made a second case: no text, no
link, no change of isolation, nothing to assign; and the case page shows it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases.models import Case, FurtherResult
from online.models import OnlineLink
from people.models import Message
from people.services import PersonDetails
from tests import factories as f
from work.intake import TestResult as LabResult
from work.intake import case_intake_many
from work.results_csv import (
    ATTACHED,
    FURTHER_RESULT,
    NEW_CASE,
    results_file_read,
    results_upload_confirm,
    results_upload_preview,
)
from work.subject_access import person_export

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

# The tests' clock stands at 12 January 2021.
DAY = dt.date(2021, 1, 8)


def sian(ref: str, specimen: dt.date, **person) -> LabResult:
    """A result of Siân Llŷr (a Sheffield postcode, a mobile: sent a link)."""
    details = {
        "first_name": "Siân",
        "last_name": "Llŷr",
        "date_of_birth": dt.date(1984, 3, 2),
        "nhs_number": "9434765919",
        "phone": "07911 123456",
        "postcode": "S1 2HE",
    }
    return LabResult(
        lab_reference=ref,
        person=PersonDetails(**(details | person)),
        specimen_date=specimen,
        result_date=max(specimen, DAY) + dt.timedelta(days=1),
    )


def three_results() -> list[LabResult]:
    """The hunter's three, the third taken before the first (the API's test sends
    the first with the NHS number spaced)."""
    return [
        sian("HC-001", DAY),
        sian("HC-002", DAY + dt.timedelta(days=1)),
        sian("HC-003", DAY - dt.timedelta(days=3)),
    ]


def test_three_results_of_one_person_make_one_case_and_one_text():
    outcomes = [case_intake_many(results=[r])[0] for r in three_results()]

    [case] = Case.objects.all()
    assert case.lab_reference == "HC-001"
    assert [(o.case.pk, o.created, o.further is not None) for o in outcomes] == [
        (case.pk, True, False),
        (case.pk, False, True),
        (case.pk, False, True),
    ]
    assert sorted(case.further_results.values_list("lab_reference", flat=True)) == [
        "HC-002",
        "HC-003",
    ]
    assert Message.objects.filter(person=case.person).count() == 1
    assert OnlineLink.objects.filter(person=case.person).count() == 1
    # The isolation date stays the case's own, worked out from HC-001.
    assert Case.objects.get().isolation_ends_on == case.isolation_ends_on


def test_two_results_of_one_person_in_one_batch_make_one_case():
    first, second = case_intake_many(
        results=[sian("B-1", DAY), sian("B-2", DAY, phone="07911 123456")]
    )

    assert first.created
    assert second.further is not None
    assert second.case == first.case
    assert Case.objects.count() == 1
    assert Message.objects.count() == 1


def test_a_retry_of_a_further_result_is_answered_the_same_and_writes_nothing():
    case_intake_many(results=three_results())
    rows = FurtherResult.objects.count()

    [again] = case_intake_many(results=[sian("HC-002", DAY + dt.timedelta(days=1))])

    assert again.further is not None
    assert not again.created
    assert again.case.lab_reference == "HC-001"
    assert FurtherResult.objects.count() == rows
    assert Case.objects.count() == 1


def test_a_further_result_sent_again_for_another_person_is_a_conflict():
    case_intake_many(results=three_results())

    [again] = case_intake_many(
        results=[sian("HC-002", DAY + dt.timedelta(days=1), first_name="Rhian")]
    )

    assert again.conflict is not None
    assert again.conflict["fields"] == ["first_name"]
    assert not Case.objects.filter(lab_reference="HC-002").exists()


def test_a_positive_91_days_after_the_case_is_a_new_case():
    [first] = case_intake_many(results=[sian("R-1", DAY - dt.timedelta(days=91))])
    [again] = case_intake_many(results=[sian("R-2", DAY)])

    assert first.created
    assert again.created
    assert Case.objects.count() == 2


def test_a_positive_90_days_after_the_case_is_kept_with_it():
    [first] = case_intake_many(results=[sian("R-1", DAY - dt.timedelta(days=90))])
    [again] = case_intake_many(results=[sian("R-2", DAY)])

    assert again.further is not None
    assert again.case == first.case


def test_a_further_result_goes_with_the_most_recent_case_of_the_episode():
    case_intake_many(results=[sian("R-1", DAY - dt.timedelta(days=92))])
    [recent] = case_intake_many(results=[sian("R-2", DAY - dt.timedelta(days=1))])
    # Within 90 days of both: the more recent case takes it.
    [later] = case_intake_many(results=[sian("R-3", DAY - dt.timedelta(days=40))])

    assert recent.created
    assert later.further is not None
    assert later.case == recent.case


def test_a_further_result_is_audited_against_the_person():
    case_intake_many(results=three_results())

    event = AuditEvent.objects.get(
        object_type="cases.furtherresult",
        object_id=str(FurtherResult.objects.get(lab_reference="HC-002").pk),
    )
    case = Case.objects.get()
    assert event.action == AuditEvent.Action.CREATE
    assert event.person_id == case.person_id
    assert event.detail["case"] == case.pk


def test_the_case_page_shows_further_results_and_an_earlier_specimen(
    client, supervisor
):
    case_intake_many(results=three_results())
    case = Case.objects.get()
    client.force_login(supervisor)

    response = client.get(reverse("cases:detail", args=[case.pk]))

    text = response.content.decode()
    assert 'data-further="HC-002"' in text
    assert 'data-further="HC-003"' in text
    assert "The specimen of HC-003 was taken on 5 January 2021, 3 days before" in text
    assert "HC-002 was taken" not in text  # later than the case's: nothing to check


def test_the_subject_access_export_holds_further_results():
    administrator = f.UserFactory(
        username="administrator", is_superuser=True, is_staff=True
    )
    case_intake_many(results=three_results())
    person = Case.objects.get().person

    export = person_export(person=person, by=administrator)

    rows = export["sections"]["further_results"]["rows"]
    assert sorted(row["id"] for row in rows) == sorted(
        FurtherResult.objects.values_list("pk", flat=True)
    )


CSV = (
    "lab_reference,first_name,last_name,date_of_birth,nhs_number,phone,postcode,"
    "specimen_date,result_date\n"
    "CSV-1,Siân,Llŷr,1984-03-02,9434765919,07911 123456,S1 2HE,2021-01-08,2021-01-09\n"
    "CSV-2,Siân,Llŷr,1984-03-02,9434765919,07911 123456,S1 2HE,2021-01-09,2021-01-10\n"
)


def test_a_csv_upload_keeps_a_further_result_with_the_case_as_the_api_does(
    supervisor,
):
    rows = results_file_read(CSV)

    preview = results_upload_preview(rows)
    outcomes = results_upload_confirm(rows=rows, by=supervisor)

    assert [row.outcome for row in preview.rows] == [NEW_CASE, FURTHER_RESULT]
    assert preview.rows[1].with_case_of_row == 2
    [case] = Case.objects.all()
    assert [(o.status, o.case_id) for o in outcomes] == [
        ("created", case.pk),
        (ATTACHED, case.pk),
    ]
    assert Message.objects.count() == 1


def test_a_csv_row_of_a_person_with_a_case_is_previewed_as_a_further_result():
    [made] = case_intake_many(results=[sian("API-1", DAY)])

    preview = results_upload_preview(results_file_read(CSV))

    assert [row.outcome for row in preview.rows] == [FURTHER_RESULT, FURTHER_RESULT]
    assert [row.case for row in preview.rows] == [made.case, made.case]
