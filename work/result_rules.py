"""The rules a test result's fields meet, whichever door it comes in by: the API's
serializer (api/cases/serializers.py) and the CSV upload (work/results_csv.py) both
check a result with these, so a result one refuses the other refuses too."""

from __future__ import annotations

import functools
from datetime import date, timedelta

from django.core.exceptions import ValidationError

from areas.postcodes import normalise_postcode
from people.models import Language, validate_nhs_number

EARLIEST_BIRTH = date(1890, 1, 1)
# The service's first tests: a specimen taken before this is a slip of the year.
EARLIEST_SPECIMEN = date(2020, 1, 1)
# Symptoms that started longer before the test than this are not of the infection
# it found (and would put the case's infectious period weeks before it).
ONSET_LONGEST_BEFORE_SPECIMEN = timedelta(days=28)

# The longest value each field may hold (the columns they are stored in).
MAX_LENGTH = {
    "lab_reference": 64,
    "first_name": 100,
    "last_name": 100,
    "nhs_number": 13,
    "phone": 32,
    "email": 254,
    "address": 500,
    "postcode": 10,
    "language": 8,
}


def nhs_number_clean(value: str) -> str:
    """The NHS number's digits (spaces dropped), or "" for a blank; raises
    ValidationError for one that is not 10 digits with a good check digit."""
    digits = value.replace(" ", "")
    if digits:
        validate_nhs_number(digits)
    return digits


@functools.cache
def _language_codes() -> frozenset[str]:
    """The codes of the languages the service knows (reference data), read once."""
    return frozenset(Language.objects.values_list("code", flat=True))


def language_clean(value: str) -> str:
    """A first language's ISO 639-1 code as held ("pl" for "PL "), or "" for a
    blank; ValidationError for a code the service has no language of (it was taken
    and dropped, so the person was never matched to a caller who speaks it)."""
    code = value.strip().lower()
    if not code:
        return ""
    if code not in _language_codes():
        _language_codes.cache_clear()  # one added since: read them again
        if code not in _language_codes():
            raise ValidationError(
                f"No language has the code {code!r}: give its ISO 639-1 code, such "
                "as pl (Polish) or ur (Urdu)."
            )
    return code


def postcode_clean(value: str) -> str:
    """The postcode in its display form, or "" for a blank; raises ValidationError
    for one that is not a full UK postcode."""
    return normalise_postcode(value) if value.strip() else ""


def date_of_birth_check(value: date, *, today: date) -> None:
    """Raises ValidationError for a date of birth in the future or too long ago.
    Against the test's own dates: date_of_birth_problem (result_dates_errors)."""
    if value > today:
        raise ValidationError("A date of birth cannot be in the future.")
    if value < EARLIEST_BIRTH:
        raise ValidationError("That date of birth is too early.")


def date_of_birth_problem(*, date_of_birth: date, specimen_date: date) -> str:
    """What is wrong with a date of birth against the test ("" when nothing): no
    one is born after their specimen was taken (a newborn may be swabbed the day
    they are born). One of the two dates is a slip in the lab's data."""
    if date_of_birth > specimen_date:
        return (
            "The date of birth cannot be after the specimen date "
            f"({specimen_date.day} {specimen_date:%b %Y}): check both dates."
        )
    return ""


def result_dates_errors(
    *,
    specimen_date: date,
    result_date: date,
    symptom_onset: date | None,
    today: date,
    date_of_birth: date | None = None,
) -> dict[str, str]:
    """What is wrong with a result's dates, by field (empty when nothing is): with
    the person's `date_of_birth` given (checked on its own by date_of_birth_check),
    one after a specimen date that is itself good is wrong under "date_of_birth"."""
    errors: dict[str, str] = {}
    if result_date > today:
        errors["result_date"] = "The result date cannot be in the future."
    if specimen_date > today:
        errors["specimen_date"] = "The specimen date cannot be in the future."
    elif specimen_date > result_date:
        errors["specimen_date"] = (
            "The specimen date must be on or before the result date."
        )
    elif specimen_date < EARLIEST_SPECIMEN:
        errors["specimen_date"] = (
            f"The specimen date must be in {EARLIEST_SPECIMEN.year} or later."
        )
    if symptom_onset is not None and (
        problem := symptom_onset_problem(
            symptom_onset=symptom_onset,
            specimen_date=specimen_date,
            result_date=result_date,
        )
    ):
        errors["symptom_onset"] = problem
    if (
        date_of_birth is not None
        and "specimen_date" not in errors
        and (
            problem := date_of_birth_problem(
                date_of_birth=date_of_birth, specimen_date=specimen_date
            )
        )
    ):
        errors["date_of_birth"] = problem
    return errors


def symptom_onset_problem(
    *, symptom_onset: date, specimen_date: date, result_date: date | None = None
) -> str:
    """What is wrong with the day a case's symptoms started, against their test
    ("" when nothing): weeks before the specimen was taken, or, for the onset a lab
    sends with its result (`result_date` given: the intake, API and CSV), after
    that result.

    The lab records the symptoms it was told of when the test was asked for, so a
    later day is a slip in its data. The risk assessment gives no result date:
    symptoms often start after a positive test, and the case's isolation then runs
    from them (its form refuses only a day still to come)."""
    if result_date is not None and symptom_onset > result_date:
        return (
            "Symptoms must have started on or before the result date "
            f"({result_date.day} {result_date:%b %Y})."
        )
    # (A specimen date in the first days of year 1, refused on its own, has no day
    # 28 days before it to hold.)
    earliest = max(specimen_date, date.min + ONSET_LONGEST_BEFORE_SPECIMEN) - (
        ONSET_LONGEST_BEFORE_SPECIMEN
    )
    if symptom_onset < earliest:
        return (
            f"Symptoms must have started at most {ONSET_LONGEST_BEFORE_SPECIMEN.days} "
            f"days before the test ({earliest.day} {earliest:%b %Y} or later): check "
            "the date."
        )
    return ""
