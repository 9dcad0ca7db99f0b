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
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from phonenumber_field.formfields import PhoneNumberField

from cases.models import EPISODE_DAYS, Case, FurtherResult, SettingKind

# How confirming's matching weighs an arrival's candidates and decides among them
# (the best of each person, tiers, ties, namesakes known to be two, possible
# duplicates, the NHS number's holder: candidates_weighed, match_decide,
# ListedPairs), used here on the people as a file's earlier rows leave them: the
# very rules, not a copy of them.
from people.matching import (
    NHS,
    Arrival,
    Candidate,
    ListedPairs,
    Match,
    candidates_weighed,
    match_decide,
    person_match_by_number,
    phone_text,
    scored_in_python,
)
from people.models import Person
from people.names import visible_name
from people.services import (
    PersonDetails,
    people_lookup_many,
    person_arrival,
    same_text,
)

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
                date_of_birth=data.get("date_of_birth"),
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
            # An earlier row's new person, listed as a possible duplicate, is no one
            # held yet (no id).
            shown.extend(
                candidate.person
                for candidate in row.duplicates
                if candidate.person.pk is not None
            )
        return shown


def _labels(names: Sequence[str]) -> list[str]:
    return [FIELD_LABELS.get(name, name) for name in names]


def results_upload_preview(rows: Sequence[ResultRow]) -> ResultsPreview:
    """What confirming these rows would do, row by row, writing nothing: the cases
    on file for their lab references in one query, the people held for the new
    cases in one more and read in another (with, when a row is weighed again, the
    pairs of them listed as possible duplicates), who each row is as confirming
    finds them, in the file's order (_PeopleAsConfirmed), then the cases of the
    people held in one more."""
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
    # Then each row in turn, weighed (when the rows before it may change the answer)
    # against the people held and the new people of those rows, as they leave them.
    people = _PeopleAsConfirmed(matches)
    whom = {row.number: people.find(row, arrivals[row.number]) for row in to_match}
    # The cases of the people held that these rows could be further results of, as
    # confirming reads them: one query for the whole file.
    held_cases = episode_cases(
        people={
            who.person.pk
            for who in whom.values()
            if who.person is not None and who.made_by is None
        },
        specimen_dates={
            row.result.specimen_date
            for row in to_match
            if row.result and whom[row.number].made_by is None
        },
    )
    episodes = _Episodes(held_cases)
    numbered = {row.number: row for row in to_match}
    first_seen = {}
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
        who = whom[row.number]
        earlier = (
            numbered[who.made_by]
            if who.made_by is not None and who.made_by != row.number
            else None
        )
        if who.made_by is not None:
            person_key = ("row", who.made_by)
        else:
            assert who.person is not None
            person_key = ("held", who.person.pk)
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
                further.same_person_why = who.because
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
                    same_person_why=who.because,
                    differing=differing,
                )
            )
            continue
        held = who.person if who.made_by is None else None
        previews.append(
            RowPreview(
                row=row,
                outcome=NEW_CASE,
                person=held,
                why=_why(arrivals[row.number], held) if held is not None else [],
                duplicates=who.duplicates if held is None else [],
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


@dataclass
class _Who:
    """Who confirming finds a row to be."""

    # Someone held, as the rows before leave them (made_by None); or the new person
    # of the row numbered `made_by` (this row's own, or an earlier row's).
    person: Person | None
    made_by: int | None = None
    # The new person of an earlier row: what the two have in common.
    because: str = ""
    # A new person: the people they may be (held, or new in an earlier row).
    duplicates: list[Candidate] = field(default_factory=list)


# The ids the new people of a file stand under while it is weighed: after every
# person held, in the file's order, as confirming gives them (people_ids_reserve),
# so that "the oldest record" of a tie is the one confirming finds. Never written.
_NEW_IDS_FROM = 2**62


class _PeopleAsConfirmed:
    """The people a file's rows are, found as confirming finds them: each row in
    turn, weighed by people/matching.py's rules against the people held and the new
    people of the rows before it, each as those rows leave them (people.services:
    a person found has their date of birth and NHS number filled in where blank, and
    a new phone, email or postcode replaces theirs), so that a row is weighed
    against the people confirming will hold when it comes to it.

    A row nothing earlier could change (no new or changed person shares an NHS
    number, date of birth, phone, email or, where a date of birth is missing, a
    postcode with it, and none of the people held it was weighed against has
    changed) is answered by the lookup of the whole file, as confirming answers it
    set-wise; the others are weighed again here, against the few people sharing a
    key with them."""

    def __init__(self, matches: dict[int, Match]) -> None:
        self.matches = matches
        # The people held that any row was weighed against, as the rows leave them
        # (working copies: nothing is saved), with the records merged into them.
        self.records: dict[int, Person] = {}
        self.merged: dict[int, list[Person]] = {}
        self.survivors: dict[int, Person] = {}
        self._held_read({pk for match in matches.values() for pk in match.considered})
        # The people new, or changed by a row, found by the keys a match needs one
        # of; and the row each new person is made by.
        self.changed: set[int] = set()
        self.by_key: dict[tuple[str, object], set[int]] = {}
        self.made_by: dict[int, int] = {}
        # The pairs of people held listed as possible duplicates (open, or decided
        # "not the same"), read once, when a row is first weighed here.
        self.listed: ListedPairs | None = None

    def _held_read(self, ids: set[int]) -> None:
        """The people held with these ids, and the records merged into them (through
        chains of merges): a query, and one more a level of merging."""
        if not ids:
            return
        found = list(Person.objects.filter(Q(pk__in=ids) | Q(merged_into_id__in=ids)))
        fetched = {person.pk: person for person in found}
        level = {person.pk for person in found if person.merged_into_id is not None}
        while level:
            more = [
                person
                for person in Person.objects.filter(merged_into_id__in=level)
                if person.pk not in fetched
            ]
            fetched.update((person.pk, person) for person in more)
            level = {person.pk for person in more}

        def root(person: Person) -> Person:
            seen = {person.pk}
            while (
                person.merged_into_id in fetched and person.merged_into_id not in seen
            ):
                seen.add(person.merged_into_id)
                person = fetched[person.merged_into_id]
            return person

        for person in fetched.values():
            if person.merged_into_id is None:
                self.records[person.pk] = person
                continue
            survivor = root(person)
            if survivor.merged_into_id is None:
                self.merged.setdefault(survivor.pk, []).append(person)
                self.survivors[person.merged_into_id] = survivor

    @staticmethod
    def _keys(person: Person) -> set[tuple[str, object]]:
        keys: set[tuple[str, object]] = {
            ("phone", phone_text(person.phone)),
            ("phone", phone_text(person.phone_alt)),
            ("nhs", person.nhs_number),
            ("born", person.date_of_birth),
            ("email", person.email.strip().lower()),
            ("postcode", person.postcode),
        }
        if not person.date_of_birth:
            keys.add(("postcode, not born", person.postcode))
        return {(name, value) for name, value in keys if value}

    @staticmethod
    def _arrival_keys(arrival: Arrival) -> set[tuple[str, object]]:
        # A postcode alone is evidence only with a date of birth missing on one side
        # (people/matching.py): an arrival with one looks only among those without.
        postcode = "postcode, not born" if arrival.date_of_birth else "postcode"
        keys: set[tuple[str, object]] = {("phone", phone) for phone in arrival.phones}
        keys |= {
            ("nhs", arrival.nhs_number),
            ("born", arrival.date_of_birth),
            ("email", arrival.email),
            (postcode, arrival.postcode),
        }
        return {(name, value) for name, value in keys if value}

    def _people(self, ids: Iterable[int], arrival: Arrival) -> list[Person]:
        """The people with these ids and the records merged into them, as the
        candidates' query finds them for the arrival (people/matching.py): without
        another NHS number, nor another date of birth unless the NHS number is the
        same (residents of a care home on its one phone, born on other days)."""
        return [
            one
            for pk in ids
            if pk in self.records
            for one in (self.records[pk], *self.merged.get(pk, ()))
            if _may_be(one, arrival)
        ]

    def find(self, row: ResultRow, arrival: Arrival) -> _Who:
        """Who the row is, and the person it finds or makes changed (or made) as
        confirming will change them, for the rows after it."""
        match = self.matches[row.number]
        near = {
            pk for key in self._arrival_keys(arrival) for pk in self.by_key.get(key, ())
        }
        if near or match.considered & self.changed:
            if self.listed is None:
                self.listed = ListedPairs.of(
                    {pk for pk in self.records if pk not in self.made_by}
                )
            match = _weighed(
                arrival,
                self._people(sorted(match.considered | near), arrival),
                survivors=self.survivors,
                listed=self.listed,
            )
        found = match.person
        if found is None:
            person = Person(
                pk=_NEW_IDS_FROM + row.number,
                first_name=arrival.first_name.strip(),
                last_name=arrival.last_name.strip(),
            )
            self.made_by[person.pk] = row.number
            self.records[person.pk] = person
            who = _Who(
                person=None,
                made_by=row.number,
                duplicates=[self._shown(candidate) for candidate in match.duplicates],
            )
        else:
            person = self.records.setdefault(found.pk, found)
            made_by = self.made_by.get(person.pk)
            assert match.linked is not None or made_by is None
            who = _Who(
                # As they stand when this row comes (not as later rows leave them).
                person=copy(person),
                made_by=made_by,
                because=(
                    "the same NHS number"
                    if match.linked is None or match.linked.tier == NHS
                    else ", ".join(match.linked.reasons)
                ),
            )
        _person_found(
            person,
            arrival,
            number=match.number_holder is None,
            birthday=not match.birthday_withheld,
        )
        self.changed.add(person.pk)
        for key in self._keys(person):
            self.by_key.setdefault(key, set()).add(person.pk)
        return who

    def _shown(self, candidate: Candidate) -> Candidate:
        """A possible duplicate as the preview lists it: someone held as they stand
        now; an earlier row's new person, named as that row's (no one held yet)."""
        person = candidate.person
        made_by = self.made_by.get(person.pk)
        if made_by is None:
            return replace(candidate, person=copy(person))
        shown = Person(
            first_name=person.first_name,
            last_name=person.last_name,
            date_of_birth=person.date_of_birth,
        )
        return replace(
            candidate,
            person=shown,
            reasons=[f"the new person of row {made_by}", *candidate.reasons],
        )


def _weighed(
    arrival: Arrival,
    people: Sequence[Person],
    *,
    survivors: dict[int, Person],
    listed: ListedPairs,
) -> Match:
    """Who the arrival is among these people (held, as a file's earlier rows leave
    them, and new), decided as confirming's matching decides (people/matching.py:
    the first tier any reaches, then the higher score, then the oldest record,
    unless namesakes known to be two tie; the possible duplicates), their names
    scored in Python; with matching switched off, only the person holding its NHS
    number (people.services.person_lookup)."""
    if settings.TRACING_PERSON_MATCHING:
        scored = [scored_in_python(person, arrival) for person in people]
        candidates = candidates_weighed(arrival, scored, survivors)
        return match_decide(arrival, scored, survivors, candidates, listed)
    holder = next(
        (
            person
            for person in people
            if arrival.nhs_number and person.nhs_number == arrival.nhs_number
        ),
        None,
    )
    return person_match_by_number(arrival, holder)


def _may_be(person: Person, arrival: Arrival) -> bool:
    """Whether the candidates' query would weigh the person for the arrival."""
    same_number = bool(arrival.nhs_number) and person.nhs_number == arrival.nhs_number
    if arrival.nhs_number and person.nhs_number and not same_number:
        return False
    return not (
        arrival.date_of_birth
        and person.date_of_birth
        and person.date_of_birth != arrival.date_of_birth
        and not same_number
    )


def _person_found(
    person: Person, arrival: Arrival, *, number: bool, birthday: bool
) -> None:
    """The person (working copy) as people.services leaves one the arrival makes or
    finds (person_found_with), in what matching weighs: their date of birth when `birthday`
    (not withheld: Match.birthday_withheld), and their NHS number when `number` (no
    one else holds it), filled in where blank; a phone, email or postcode they do
    not have replacing theirs. Their names are kept."""
    if birthday and arrival.date_of_birth and not person.date_of_birth:
        person.date_of_birth = arrival.date_of_birth
    if number and arrival.nhs_number and not person.nhs_number:
        person.nhs_number = arrival.nhs_number
    phone = arrival.phones[0] if arrival.phones else ""
    held = {phone_text(person.phone), phone_text(person.phone_alt)}
    if phone and (not phone_text(person.phone) or phone not in held):
        person.phone = phone
    if arrival.email and not same_text(person.email, arrival.email):
        person.email = arrival.email
    if arrival.postcode:
        person.postcode = arrival.postcode


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
