"""Test results uploaded as a CSV file by a supervisor, for a lab with no API feed:
read the file into rows (each a TestResult, or its field errors), preview what
intake would do with each without writing anything, then confirm through the same
intake service as the API (case_intake_many), so the same file twice makes nothing
new, and a result of a person who has a case of the same episode is kept with that
case (a further result), as the API keeps it."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField

from cases.models import EPISODE_DAYS, Case, FurtherResult, SettingKind
from people.matching import Arrival, Candidate, earlier_arrival_linked, phone_text
from people.models import Person
from people.names import visible_name
from people.services import PersonDetails, people_lookup_many, person_arrival

from .intake import (
    PERSON_FIELDS,
    TestResult,
    case_intake_many,
    episode_cases,
    further_result_reason,
    results_differing,
    results_on_file,
)
from .result_rules import (
    MAX_LENGTH,
    date_of_birth_check,
    language_clean,
    nhs_number_clean,
    postcode_clean,
    result_dates_errors,
)
from .rules import case_isolation_ends_on

# A day's results from one lab without a feed fit inside these; a bigger file is
# split. The rows are confirmed in one request, as one batch of the API is (at most
# 1,000 results): about 15 s for 1,000 on a small server, so 5,000 would outlast a
# web worker's timeout.
MAX_UPLOAD_BYTES = 2 * 1024 * 1024
MAX_ROWS = 1000

COLUMNS = (
    "lab_reference",
    "first_name",
    "last_name",
    "date_of_birth",
    "nhs_number",
    "phone",
    "email",
    "address",
    "postcode",
    "specimen_date",
    "result_date",
    "symptom_onset",
    "complex_setting",
    "language",
    "needs_interpreter",
)
REQUIRED_COLUMNS = (
    "lab_reference",
    "first_name",
    "last_name",
    "specimen_date",
    "result_date",
)
DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATE_ERROR = "Enter a real date as YYYY-MM-DD or DD/MM/YYYY, such as 2021-01-10."

# A result older than this is flagged on its row for a supervisor to check (the API
# takes it, so it is not refused): most often a date read the wrong way round.
RESULT_DATE_RECENT = timedelta(days=14)

# How the preview and the outcome name each field.
FIELD_LABELS = {
    "lab_reference": "lab reference",
    "first_name": "first name",
    "last_name": "last name",
    "date_of_birth": "date of birth",
    "nhs_number": "NHS number",
    "phone": "phone",
    "email": "email",
    "address": "address",
    "postcode": "postcode",
    "specimen_date": "specimen date",
    "result_date": "result date",
    "symptom_onset": "symptom onset",
    "complex_setting": "complex setting",
    "language": "language",
    "needs_interpreter": "needs an interpreter",
}
# How a file may say whether someone needs an interpreter (blank: no).
YES_NO = {"yes": True, "y": True, "true": True, "1": True, "no": False, "n": False}
YES_NO |= {"false": False, "0": False, "": False}


class ResultsFileError(Exception):
    """The file as a whole cannot be read (its encoding, columns or size); the
    message says what to change."""


def _date_field(*, required: bool, missing: str = "") -> forms.DateField:
    messages = {"invalid": DATE_ERROR}
    if missing:
        messages["required"] = missing
    return forms.DateField(
        required=required, input_formats=DATE_FORMATS, error_messages=messages
    )


class ResultRowForm(forms.Form):
    """One row of the file, checked by the rules every result meets
    (work/result_rules.py, as the API's serializer checks them)."""

    lab_reference = forms.CharField(
        max_length=MAX_LENGTH["lab_reference"],
        error_messages={"required": "Enter the lab reference."},
    )
    first_name = forms.CharField(
        max_length=MAX_LENGTH["first_name"],
        validators=[visible_name],
        error_messages={"required": "Enter the first name."},
    )
    last_name = forms.CharField(
        max_length=MAX_LENGTH["last_name"],
        validators=[visible_name],
        error_messages={"required": "Enter the last name."},
    )
    date_of_birth = _date_field(required=False)
    nhs_number = forms.CharField(required=False, max_length=MAX_LENGTH["nhs_number"])
    phone = PhoneNumberField(required=False, max_length=MAX_LENGTH["phone"])
    email = forms.EmailField(required=False, max_length=MAX_LENGTH["email"])
    address = forms.CharField(required=False, max_length=MAX_LENGTH["address"])
    postcode = forms.CharField(required=False, max_length=MAX_LENGTH["postcode"])
    specimen_date = _date_field(required=True, missing="Enter the specimen date.")
    result_date = _date_field(required=True, missing="Enter the result date.")
    symptom_onset = _date_field(required=False)
    complex_setting = forms.CharField(required=False)
    # As the API takes them: the first language's ISO 639-1 code, and yes or no.
    language = forms.CharField(required=False, max_length=MAX_LENGTH["language"])
    needs_interpreter = forms.CharField(required=False)

    def __init__(self, data: dict[str, str], *, today: date) -> None:
        super().__init__(data)
        self.today = today

    def clean_nhs_number(self) -> str:
        return nhs_number_clean(self.cleaned_data["nhs_number"])

    def clean_postcode(self) -> str:
        return postcode_clean(self.cleaned_data["postcode"])

    def clean_language(self) -> str:
        return language_clean(self.cleaned_data["language"])

    def clean_needs_interpreter(self) -> bool:
        written = self.cleaned_data["needs_interpreter"].strip().casefold()
        if written not in YES_NO:
            raise ValidationError("Enter yes or no (or leave it blank for no).")
        return YES_NO[written]

    def clean_date_of_birth(self) -> date | None:
        value = self.cleaned_data["date_of_birth"]
        if value is not None:
            date_of_birth_check(value, today=self.today)
        return value

    def clean_complex_setting(self) -> str:
        """A setting's code or its name, in any case ("care_home", "Care home")."""
        written = self.cleaned_data["complex_setting"].strip().casefold()
        if not written:
            return ""
        for value, label in SettingKind.choices:
            if written in (value, label.casefold()):
                return value
        raise ValidationError(
            "Enter one of: " + ", ".join(value for value, _ in SettingKind.choices)
        )

    def clean(self) -> dict:
        super().clean()
        data = self.cleaned_data
        if data.get("specimen_date") and data.get("result_date"):
            errors = result_dates_errors(
                specimen_date=data["specimen_date"],
                result_date=data["result_date"],
                symptom_onset=data.get("symptom_onset"),
                today=self.today,
            )
            for name, message in errors.items():
                if name not in self.errors:
                    self.add_error(name, message)
        return data

    def result(self) -> TestResult:
        data = self.cleaned_data
        phone = data["phone"]
        return TestResult(
            lab_reference=data["lab_reference"],
            person=PersonDetails(
                first_name=data["first_name"],
                last_name=data["last_name"],
                date_of_birth=data["date_of_birth"],
                nhs_number=data["nhs_number"],
                phone=phone or "",
                email=data["email"],
                address=data["address"],
                postcode=data["postcode"],
                language=data["language"],
                needs_interpreter=data["needs_interpreter"],
            ),
            specimen_date=data["specimen_date"],
            result_date=data["result_date"],
            symptom_onset=data["symptom_onset"],
            complex_setting=data["complex_setting"],
        )


@dataclass
class ResultRow:
    """One row of the file: its TestResult, or what is wrong with it."""

    # Its row in a spreadsheet (the header is row 1).
    number: int
    # As written, to show beside the row's errors.
    lab_reference: str
    result: TestResult | None = None
    # Field label -> messages ("row" for the row as a whole).
    errors: dict[str, list[str]] = field(default_factory=dict)
    # What a supervisor should check before confirming (a row still sent).
    warnings: list[str] = field(default_factory=list)

    @property
    def isolation_ends_on(self) -> date | None:
        """The last day of isolation a new case from this row is given (and texted)."""
        if self.result is None:
            return None
        return case_isolation_ends_on(
            symptom_onset=self.result.symptom_onset,
            specimen_date=self.result.specimen_date,
        )


def results_file_decode(content: bytes) -> str:
    """The file's text: UTF-8, with or without a byte order mark."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise ResultsFileError(
            f"The file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB: "
            "split it into smaller files."
        )
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ResultsFileError(
            "The file is not UTF-8 text: save it from your spreadsheet as "
            '"CSV UTF-8 (comma delimited)".'
        ) from None


def _column_name(header: str) -> str:
    return header.strip().casefold().replace(" ", "_").replace("-", "_")


def _columns(header: list[str]) -> list[str]:
    """The header's column names, normalised; raises ResultsFileError for unknown,
    repeated or missing required columns (all said in one message)."""
    names = [_column_name(cell) for cell in header]
    named = [name for name in names if name]
    unknown = [name for name in named if name not in COLUMNS]
    repeated = sorted({name for name in named if named.count(name) > 1})
    missing = [name for name in REQUIRED_COLUMNS if name not in named]
    problems = []
    if missing:
        problems.append(f"no column for {', '.join(missing)}")
    if unknown:
        problems.append(f"columns this upload does not know: {', '.join(unknown)}")
    if repeated:
        problems.append(f"columns named twice: {', '.join(repeated)}")
    if problems:
        raise ResultsFileError(
            f"The file has {'; '.join(problems)}. The first row must name the "
            f"columns: {', '.join(COLUMNS)}; {', '.join(REQUIRED_COLUMNS)} are "
            "required, the others may be left out. Columns are separated by commas."
        )
    return names


def results_file_read(text: str, *, today: date | None = None) -> list[ResultRow]:
    """Every row of the file with its TestResult or its errors, in order (blank rows
    skipped). Raises ResultsFileError when the file as a whole cannot be read,
    among them a quote (") opened in a cell and never closed, which would otherwise
    take every later row into that cell and lose their results."""
    today = today or timezone.localdate()
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    number, line = 1, 1
    try:
        header = next(reader, None)
        if header is None:
            raise ResultsFileError("The file is empty.")
        names = _columns(header)
        rows: list[ResultRow] = []
        while True:
            number, line = number + 1, reader.line_num + 1
            cells = next(reader, None)
            if cells is None:
                break
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) == MAX_ROWS:
                raise ResultsFileError(
                    f"The file has more than {MAX_ROWS:,} rows of results: split it "
                    f"into files of at most {MAX_ROWS:,}."
                )
            _rows_run_together(number, line, names, cells)
            rows.append(_row_read(number, names, cells, today=today))
    except csv.Error as exc:
        if "end of data" in str(exc):
            raise ResultsFileError(
                f'Row {number} (line {line} of the file) opens a quote (") that is '
                "never closed, so every row after it would be read as part of one "
                "cell. Close the quote, or take it out, and upload the file again."
            ) from None
        raise ResultsFileError(
            f"Row {number} (line {line} of the file) cannot be read as CSV ({exc}): "
            'check its quotes (") and upload the file again.'
        ) from None
    if not rows:
        raise ResultsFileError("The file has no rows of results under its header.")
    return rows


def _rows_run_together(
    number: int, line: int, names: list[str], cells: list[str]
) -> None:
    """Raises ResultsFileError for a cell running over several lines where a later
    line reads as a row of results of its own (a quote left open, closed by a quote
    rows later): a lab reference and names in their cells, and a specimen or result
    date written as a date in its own. An address written over several lines, in
    quotes, is kept, however many commas its lines have."""
    for position, cell in enumerate(cells):
        for later in cell.splitlines()[1:]:
            if not _reads_as_a_row(names, next(csv.reader([later]), [])):
                continue
            name = names[position] if position < len(names) else ""
            raise ResultsFileError(
                f"Row {number} (line {line} of the file): its "
                f"{FIELD_LABELS.get(name, 'unnamed')} cell runs over several "
                f"lines, and one of them looks like a row of results of its own "
                f'({later.strip()[:60]}): a quote (") is probably not closed '
                "where it should be. Correct it and upload the file again."
            )


def _reads_as_a_row(names: list[str], cells: list[str]) -> bool:
    """The cells of a line, read under the header, look like a row of results: a lab
    reference and both names, and a specimen or result date that is a date."""
    values = dict(zip(names, (cell.strip() for cell in cells), strict=False))
    if not all(
        values.get(name) for name in ("lab_reference", "first_name", "last_name")
    ):
        return False
    return any(
        _is_date(values.get(name, "")) for name in ("specimen_date", "result_date")
    )


def _is_date(text: str) -> bool:
    try:
        _date_field(required=True).clean(text)
    except ValidationError:
        return False
    return True


def _day(value: date | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""


def _row_read(
    number: int, names: list[str], cells: list[str], *, today: date
) -> ResultRow:
    values = dict.fromkeys(COLUMNS, "")
    stray = False
    for position, cell in enumerate(cells):
        name = names[position] if position < len(names) else ""
        if name:
            # Composed (NFC), as the API keeps names: "Gwy\u0302nfor" is "Gwŷnfor".
            values[name] = unicodedata.normalize("NFC", cell)
        elif cell.strip():
            stray = True
    form = ResultRowForm(values, today=today)
    row = ResultRow(number=number, lab_reference=values["lab_reference"].strip())
    if stray:
        row.errors["row"] = [
            "It has a value in a column with no name in the header (a cell too many)."
        ]
    if form.is_valid() and not stray:
        row.result = form.result()
        result_date = row.result.result_date
        if result_date < today - RESULT_DATE_RECENT:
            row.warnings.append(
                f"The result date, {_day(result_date)}, is more than "
                f"{RESULT_DATE_RECENT.days} days ago: check it is not a date written "
                "month first (12/1/2026 for 1 December 2026 is read as 12 January). "
                f"Isolation would end on {_day(row.isolation_ends_on)}."
            )
    else:
        for name, messages in form.errors.items():
            row.errors[FIELD_LABELS.get(name, name)] = [str(m) for m in messages]
    return row


# What confirming would do with a row.
NEW_CASE = "new case"
# Kept with the person's case of the same episode (held, or made by an earlier row).
FURTHER_RESULT = "further result"
RECEIVED = "already received"
CONFLICT = "conflict"
REPEATED = "repeated"
INVALID = "invalid"


@dataclass
class RowPreview:
    """What confirming would do with one row, found without writing anything."""

    row: ResultRow
    outcome: str
    # A new case: the person held it would link to (None: a new person), and why.
    # Already received or a conflict: the person of the case on file.
    person: Person | None = None
    why: list[str] = field(default_factory=list)
    # A new person: the people held they may be (a possible duplicate to decide).
    duplicates: list[Candidate] = field(default_factory=list)
    case: Case | None = None
    # A conflict, or a row repeated with other details: the labels that differ.
    differing: list[str] = field(default_factory=list)
    # Repeated: the row of this file it repeats.
    repeats: int | None = None
    # A new person already new in an earlier row of this file (the same NHS number,
    # or linked to it by the matching rules): that row's number, and what they have
    # in common; `differing` then holds the labels of their details that differ (the
    # earlier row's are kept).
    same_person_as: int | None = None
    same_person_why: str = ""
    # A further result: kept with `case` (held), or with the new case of the row of
    # this file numbered here.
    with_case_of_row: int | None = None


@dataclass
class ResultsPreview:
    rows: list[RowPreview]

    def _count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def to_create(self) -> int:
        return self._count(NEW_CASE)

    @property
    def received(self) -> int:
        return self._count(RECEIVED)

    @property
    def further_results(self) -> int:
        """Rows of a person with a case of the same episode: kept with it, no case."""
        return self._count(FURTHER_RESULT)

    @property
    def repeated(self) -> int:
        """Rows repeating an earlier row of the file exactly (received once)."""
        return sum(
            1 for row in self.rows if row.outcome == REPEATED and not row.differing
        )

    @property
    def conflicts(self) -> int:
        """Rows that would be refused: a lab reference on file, or earlier in the
        file, for another person or test."""
        return self._count(CONFLICT) + sum(
            1 for row in self.rows if row.outcome == REPEATED and row.differing
        )

    @property
    def errors(self) -> int:
        return self._count(INVALID)

    @property
    def to_check(self) -> int:
        """Rows to be sent with something to check first (a result date long ago)."""
        return sum(1 for row in self.rows if row.row.warnings)

    @property
    def people(self) -> list[Person]:
        """Everyone the preview shows (for the audit of a list view)."""
        shown: list[Person] = []
        for row in self.rows:
            if row.person is not None:
                shown.append(row.person)
            shown.extend(candidate.person for candidate in row.duplicates)
        return shown


def _labels(names: Sequence[str]) -> list[str]:
    return [FIELD_LABELS.get(name, name) for name in names]


def results_upload_preview(rows: Sequence[ResultRow]) -> ResultsPreview:
    """What confirming these rows would do, row by row, writing nothing: the cases
    on file for their lab references in one query, then the people held for the
    new cases in one more."""
    valid = [(row.number, row.result) for row in rows if row.result is not None]
    on_file = dict(
        zip(
            [number for number, _ in valid],
            results_on_file([result for _, result in valid]),
            strict=True,
        )
    )
    # Who each row needing a match is among the people held, each as if alone (as
    # confirming asks, before it writes): one lookup for the whole file.
    first_seen: dict[str, ResultRow] = {}
    to_match: list[ResultRow] = []
    for row in rows:
        if row.result is None:
            continue
        outcome = on_file[row.number]
        if outcome is not None and outcome.case is not None:
            continue
        if first_seen.setdefault(row.result.lab_reference, row) is row:
            to_match.append(row)
    arrivals = {row.number: _arrival(row.result) for row in to_match if row.result}
    matches = dict(
        zip(arrivals, people_lookup_many(list(arrivals.values())), strict=True)
    )
    # The cases of the people held that these rows could be further results of, as
    # confirming reads them: one query for the whole file.
    held_cases = episode_cases(
        people={m.person.pk for m in matches.values() if m.person is not None},
        specimen_dates={
            row.result.specimen_date
            for row in to_match
            if row.result and matches[row.number].person is not None
        },
    )
    episodes = _Episodes(held_cases)
    first_seen = {}
    # The rows making a new person holding their NHS number, by that number: a later
    # row with it is that person when the names agree (people/matching.py, tier 0),
    # as confirming matches it to the person the earlier row made.
    new_people: dict[str, ResultRow] = {}
    # And every row making a new person, with the person as they stand after the
    # rows before (an arrival): a later row the rules link to one is that person too
    # (the same name, date of birth and phone, written another way), as confirming
    # finds, and fills in their blanks (a date of birth the first row left out), so
    # that the rows after it are weighed against the person confirming will hold.
    # Indexed by what a link needs one of (an NHS number, a date of birth, a phone
    # or an email in common), so that a row is weighed only against the earlier rows
    # it could be.
    new_rows = _NewRows()
    previews = []
    for row in rows:
        result = row.result
        if result is None:
            previews.append(RowPreview(row=row, outcome=INVALID))
            continue
        outcome = on_file[row.number]
        if outcome is not None and outcome.case is not None:
            previews.append(
                RowPreview(
                    row=row,
                    outcome=RECEIVED if outcome.conflict is None else CONFLICT,
                    person=outcome.case.person,
                    case=outcome.case,
                    differing=_labels(
                        outcome.conflict["fields"] if outcome.conflict else []
                    ),
                )
            )
            continue
        first = first_seen.setdefault(result.lab_reference, row)
        if first is not row:
            assert first.result is not None
            previews.append(
                RowPreview(
                    row=row,
                    outcome=REPEATED,
                    repeats=first.number,
                    differing=_labels(results_differing(first.result, result)),
                )
            )
            continue
        nhs_number = result.person.nhs_number
        arrival = arrivals[row.number]
        holding = new_people.get(nhs_number) if nhs_number else None
        earlier = None
        if holding is not None and earlier_arrival_linked(
            arrival, [new_rows.person_of(holding)]
        ):
            earlier = holding
        because = "the same NHS number"
        match = None
        if earlier is None:
            match = matches[row.number]
            linked = new_rows.linked(arrival) if match.person is None else None
            if linked is not None:
                earlier, because = linked
        if earlier is not None:
            # Confirming finds the person the earlier row made and fills in their
            # blanks from this row (people.services): an NHS number only when no
            # one else holds it.
            number_free = (
                match is None or match.number_holder is None
            ) and new_people.get(nhs_number, earlier) is earlier
            new_rows.fill_in(earlier, arrival, number_free=number_free)
            if nhs_number and number_free:
                new_people.setdefault(nhs_number, earlier)
        person_key = (
            ("row", earlier.number)
            if earlier is not None
            else ("held", match.person.pk)
            if match is not None and match.person is not None
            else ("row", row.number)
        )
        # The same new person as an earlier row: which of their details differ from
        # that row's (not the test's dates), said of a new case or a further result.
        differing = (
            _labels(
                [
                    name
                    for name in results_differing(earlier.result, result)
                    if name in PERSON_FIELDS
                ]
            )
            if earlier is not None and earlier.result is not None
            else None
        )
        further = episodes.further(row, person_key)
        if further is not None:
            if earlier is not None and differing is not None:
                further.same_person_as = earlier.number
                further.same_person_why = because
                further.differing = differing
            previews.append(further)
            continue
        if earlier is not None:
            assert differing is not None
            previews.append(
                RowPreview(
                    row=row,
                    outcome=NEW_CASE,
                    same_person_as=earlier.number,
                    same_person_why=because,
                    differing=differing,
                )
            )
            continue
        assert match is not None
        if match.person is None:
            if holding is None and match.number_holder is None:
                if nhs_number:
                    new_people[nhs_number] = row
            else:
                # Someone else holds the number (names that do not agree): the new
                # person is made without it.
                arrival = replace(arrival, nhs_number="")
            new_rows.add(row, arrival)
        previews.append(
            RowPreview(
                row=row,
                outcome=NEW_CASE,
                person=match.person,
                why=_why(arrival, match.person) if match.person else [],
                duplicates=match.duplicates if match.person is None else [],
            )
        )
    return ResultsPreview(rows=previews)


class _Episodes:
    """The cases each person of a file has, or will have once it is confirmed (held,
    and made by its earlier rows), to tell the rows that would be further results
    (work/intake.py: episode_case), as confirming tells them."""

    def __init__(self, held: dict[int, list[Case]]) -> None:
        self.held = held
        # A person ("held", id) or a new one (("row", the row making them)) -> the
        # rows of this file making them a new case.
        self.made: dict[tuple[str, int], list[ResultRow]] = {}

    def further(self, row: ResultRow, person: tuple[str, int]) -> RowPreview | None:
        """The row kept with the person's case of the same episode (the most recent
        whose specimen date is within EPISODE_DAYS of its own); None, and the row
        recorded as making a new case, when there is none."""
        assert row.result is not None
        specimen = row.result.specimen_date
        near: list[tuple[date, int, Case | None, ResultRow | None]] = [
            (case.specimen_date, 0, case, None)
            for case in self.held.get(person[1], [])
            if person[0] == "held"
        ]
        near += [
            (made.result.specimen_date, 1, None, made)
            for made in self.made.get(person, [])
            if made.result is not None
        ]
        near = [n for n in near if abs((n[0] - specimen).days) <= EPISODE_DAYS]
        if not near:
            self.made.setdefault(person, []).append(row)
            return None
        _, _, case, made = max(
            near, key=lambda n: (n[0], n[1], n[2].pk if n[2] is not None else 0)
        )
        return RowPreview(
            row=row,
            outcome=FURTHER_RESULT,
            case=case,
            person=case.person if case is not None else None,
            with_case_of_row=made.number if made is not None else None,
        )


class _NewRows:
    """The rows of a file making new people, in order, each with the person as they
    stand after the rows before (an arrival: the row's details, with the blanks the
    later rows linked to it filled in), found by the keys a link needs one of
    (people/matching.py: every linking tier asks for the same NHS number, the same
    date of birth, or a phone or email in common)."""

    def __init__(self) -> None:
        self.rows: list[tuple[ResultRow, Arrival]] = []
        self.places: dict[int, int] = {}
        self.by_key: dict[tuple[str, object], set[int]] = {}

    @staticmethod
    def _keys(arrival: Arrival) -> set[tuple[str, object]]:
        keys: set[tuple[str, object]] = {("phone", phone) for phone in arrival.phones}
        keys.add(("nhs", arrival.nhs_number))
        keys.add(("born", arrival.date_of_birth))
        keys.add(("email", arrival.email))
        return {(name, value) for name, value in keys if value}

    def _index(self, place: int, arrival: Arrival) -> None:
        for key in self._keys(arrival):
            self.by_key.setdefault(key, set()).add(place)

    def add(self, row: ResultRow, arrival: Arrival) -> None:
        self.places[row.number] = len(self.rows)
        self._index(len(self.rows), arrival)
        self.rows.append((row, arrival))

    def person_of(self, row: ResultRow) -> Arrival:
        """The new person the row makes, as they stand now."""
        return self.rows[self.places[row.number]][1]

    def fill_in(self, row: ResultRow, arrival: Arrival, *, number_free: bool) -> None:
        """The new person of `row` found by a later row's `arrival`, changed as
        people.services changes a person found (_found): their date of birth, and
        their NHS number when `number_free`, filled in where blank; a phone, email
        or postcode they do not have replacing theirs. Their names are kept."""
        place = self.places[row.number]
        held = self.rows[place][1]
        phone = arrival.phones[0] if arrival.phones else ""
        person = replace(
            held,
            date_of_birth=held.date_of_birth or arrival.date_of_birth,
            nhs_number=held.nhs_number or (arrival.nhs_number if number_free else ""),
            phones=(phone,) if phone and phone not in held.phones else held.phones,
            email=arrival.email or held.email,
            postcode=arrival.postcode or held.postcode,
        )
        self.rows[place] = (row, person)
        self._index(place, person)

    def linked(self, arrival: Arrival) -> tuple[ResultRow, str] | None:
        """The first earlier row this arrival would be linked to, and what they have
        in common (earlier_arrival_linked, weighing only the rows sharing a key)."""
        places = sorted(
            {place for key in self._keys(arrival) for place in self.by_key.get(key, ())}
        )
        linked = earlier_arrival_linked(arrival, [self.rows[i][1] for i in places])
        if linked is None:
            return None
        return self.rows[places[linked[0]]][0], ", ".join(linked[1])


def _arrival(result: TestResult) -> Arrival:
    """The arrival as person_find_or_create builds it for this result. The row's
    postcode is already in the form the directory writes (clean_postcode), and its
    area is not needed to match."""
    return person_arrival(result.person, postcode=result.person.postcode)


def _why(arrival: Arrival, person: Person) -> list[str]:
    """What the arrival and the person it links to have in common."""
    if arrival.nhs_number and arrival.nhs_number == person.nhs_number:
        return ["same NHS number"]
    why = []
    if arrival.date_of_birth and arrival.date_of_birth == person.date_of_birth:
        why.append("same date of birth")
    held_name = f"{person.first_name.strip()} {person.last_name.strip()}".casefold()
    why.append("same name" if held_name == arrival.full_name else "similar name")
    held_phones = {phone_text(person.phone), phone_text(person.phone_alt)} - {""}
    if held_phones & set(arrival.phones):
        why.append("same phone")
    if arrival.postcode and arrival.postcode == person.postcode:
        why.append("same postcode")
    return why


# What became of a row on confirming.
CREATED = "created"
EXISTING = "existing"
# Kept with the person's case of the same episode as a further result: no case.
ATTACHED = "attached"
REFUSED = "refused"
NOT_SENT = "not sent"


@dataclass
class RowOutcome:
    number: int
    lab_reference: str
    status: str
    case_id: int | None = None
    message: str = ""


def results_upload_confirm(
    *, rows: Sequence[ResultRow], by, now: datetime | None = None
) -> list[RowOutcome]:
    """Send the valid rows through case_intake_many (source CSV, audited as the API's
    intake is); rows with errors are not sent. A row already received (before, or
    earlier in the file) makes nothing new and is said to be held (EXISTING), a
    further result sent again too; ATTACHED is a further result this confirm kept
    with a case."""
    sent = [row.result for row in rows if row.result is not None]
    # The lab references of the further results already held, to tell one kept now
    # from one sent again (intake answers the two alike, as it answers a lab's
    # retry): one query. A row repeated in the file is then held too.
    held = set(
        FurtherResult.objects.filter(
            lab_reference__in={result.lab_reference for result in sent}
        ).values_list("lab_reference", flat=True)
    )
    intake = iter(
        case_intake_many(
            results=sent,
            source=Case.Source.CSV,
            by=by,
            now=now,
        )
    )
    outcomes = []
    for row in rows:
        if row.result is None:
            outcomes.append(
                RowOutcome(
                    number=row.number,
                    lab_reference=row.lab_reference,
                    status=NOT_SENT,
                    message="; ".join(
                        f"{name}: {' '.join(messages)}"
                        for name, messages in row.errors.items()
                    ),
                )
            )
            continue
        outcome = next(intake)
        case_id = outcome.case.pk if outcome.case is not None else None
        if outcome.conflict is not None:
            status = REFUSED
            message = (
                "Already a case for another person or test: "
                f"{', '.join(_labels(outcome.conflict['fields']))} differ."
            )
        elif outcome.error is not None:
            status = REFUSED
            message = (
                "; ".join(outcome.error.messages)
                if isinstance(outcome.error, ValidationError)
                else "It could not be saved: try again, or report the row."
            )
        elif (
            outcome.further is not None
            and case_id is not None
            and row.result.lab_reference not in held
        ):
            held.add(row.result.lab_reference)
            status, message = ATTACHED, further_result_reason(case_id)
        else:
            status, message = (CREATED, "") if outcome.created else (EXISTING, "")
        outcomes.append(
            RowOutcome(
                number=row.number,
                lab_reference=row.lab_reference,
                status=status,
                case_id=case_id,
                message=message,
            )
        )
    return outcomes
