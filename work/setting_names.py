"""Which setting a place named on a case is: its name matched as a person reads it.

A name is read for its letters and numbers: case, accents, apostrophes, the other
marks people type ("St. Hilda's", a phone's curly apostrophe and en dash, the
ellipsis) and the spaces between words do not count, but a space or a mark between
two numbers does ("Flat 2/1" is not "Flat 21"). The name is folded by the database
alone, the same way for the names kept and the name typed (setting_name_folded):
PostgreSQL's unaccent folds more than Python could copy (a dash into "-", "½" into
"1/2", "ǆ" into "dz"), and two folds, one narrowing the rows and one comparing
them, split a name typed the same way twice into two settings.
"""

from __future__ import annotations

import string
from typing import Any

from django.db import connection
from django.db.models import CharField, Exists, F, Func, OuterRef, QuerySet, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Replace
from django.db.models.sql import Query

from areas.services import PostcodeArea
from cases.models import Case, ExposureSetting, SettingKind, SettingVisit
from rows.locks import hold_until_commit

# The marks read as a space between words: ASCII's punctuation; what phones, word
# processors and web pages type in its place (curly quotes and apostrophes, dashes,
# the ellipsis, guillemets); signs people put in a name (©, ®, ™, •); and every
# space (a phone's no-break ones too). On PostgreSQL they are read as spaces again
# once the name is folded: unaccent writes some as ASCII marks (an en dash as "-") and
# spells others out ("½" as " 1/2").
MARKS = "".join(
    dict.fromkeys(
        string.punctuation
        + "\u00a1\u00bf\u00ab\u00bb\u2039\u203a"  # inverted marks, guillemets
        + "\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212"  # hyphens, dashes, minus
        + "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f"  # curly quotes
        + "\u00b4\u2032\u2033\u2026\u2022\u00b7\u2044"  # accent, primes, ellipsis...
        + "\u00a9\u00ae\u2122"  # copyright, registered, trade mark
        + "".join(c for c in map(chr, range(0x3001)) if c.isspace())  # to U+3000
    )
)


_AS_SPACES = dict.fromkeys(map(ord, MARKS), " ")
# SQLite's own function for _MarksAsSpaces (it has no regexp_replace(), and a
# REPLACE for each mark nests deeper than its parser goes).
_SQLITE_MARKS_AS_SPACES = "setting_marks_as_spaces"


def _marks_as_spaces(text: str | None) -> str | None:
    """The text with each of MARKS as a space; NULL stays NULL."""
    return None if text is None else text.translate(_AS_SPACES)


def _sqlite_marks_as_spaces_add(connection: Any) -> None:
    """Give a SQLite connection its function for _MarksAsSpaces (as people/apps.py
    gives it people_name_fold)."""
    connection.ensure_connection()
    connection.connection.create_function(
        _SQLITE_MARKS_AS_SPACES, 1, _marks_as_spaces, deterministic=True
    )


# MARKS as a bracket expression of PostgreSQL's regular expressions (a backslash
# escapes within one): a regexp_replace() of it is several times quicker than a
# translate() of MARKS, over an area's settings.
_MARKS_RE = "[" + "".join("\\" + c if c in "\\[]^-" else c for c in MARKS) + "]+"


class _MarksAsSpaces(Func):
    """The text with each of MARKS as a space: PostgreSQL's regexp_replace(); on
    SQLite a function doing the same, given to the connection compiling the query."""

    function = "REGEXP_REPLACE"
    output_field = CharField()

    def __init__(self, expression: Combinable | Func, **extra: Any) -> None:
        super().__init__(expression, Value(_MARKS_RE), Value(" "), Value("g"), **extra)

    def as_sqlite(self, compiler, connection, **extra_context):
        _sqlite_marks_as_spaces_add(connection)
        sql, params = compiler.compile(self.source_expressions[0])
        return f"{_SQLITE_MARKS_AS_SPACES}({sql})", params


def setting_name_folded(expression: Combinable | Func | str) -> Func:
    """A name folded by the database: marks as spaces, then people_name_fold (as
    the people search folds names: no accents, no apostrophes, lower case:
    PostgreSQL's, or SQLite's own, people/apps.py), then the marks that fold made
    as spaces."""
    text = F(expression) if isinstance(expression, str) else expression
    return _MarksAsSpaces(
        Func(
            _MarksAsSpaces(text), function="people_name_fold", output_field=CharField()
        )
    )


def _key(folded: str | None) -> str:
    """A folded name's words run together, but for a space between two numbers."""
    key = ""
    for word in (folded or "").split():
        if key[-1:].isdigit() and word[:1].isdigit():
            key += " "
        key += word
    return key


def setting_name_key(name: str) -> str:
    """`name` as a person reads it (the module's docstring), folded by the database
    as the names of the settings kept are: "St. Hilda's  Primary", "ST HILDAS
    PRIMARY" and St Hilda's typed with a curly apostrophe are "sthildasprimary"."""
    query = Query(ExposureSetting)
    compiler = query.get_compiler(connection=connection)
    sql, params = compiler.compile(
        setting_name_folded(Value(name)).resolve_expression(query)
    )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {sql}", params)
        (folded,) = cursor.fetchone()
    return _key(folded)


def _named(settings: QuerySet[ExposureSetting], key: str) -> list[ExposureSetting]:
    """Those of `settings` whose name reads as `key` (setting_name_key), first made
    first. `settings` is narrowed already (by area, through the index
    setting_area_kind, or by a case's visits): the database keeps the names with
    the key's letters and numbers, and their words are compared here (a space
    between two numbers counts)."""
    folded = setting_name_folded("name")
    rows = (
        settings.alias(letters=Replace(folded, Value(" "), Value("")))
        .filter(letters=key.replace(" ", ""))
        .annotate(folded_name=folded)
        .order_by("pk")
    )
    found: dict[int, ExposureSetting] = {}
    for setting in rows:  # a case's visits repeat one
        if _key(setting.folded_name) == key:
            found.setdefault(setting.pk, setting)
    return list(found.values())


def _one_place(found: list[ExposureSetting]) -> ExposureSetting | None:
    """The first of `found` when they are all at one postcode (one place, split by
    kind before this rule); None when there are none, or they are at several."""
    return found[0] if len({s.postcode for s in found}) == 1 else None


def _shared_in(case: Case, kind: str) -> int | None:
    """The area whose cases share a setting named without a postcode: the case's.
    None when it is shared with no other case: a household (one family's
    "Grandma's house" is not another's), or a case with no area (the fallback
    team's cases live anywhere)."""
    return None if kind == SettingKind.HOUSEHOLD else case.area_id


def setting_with_postcode(
    *, name: str, located: PostcodeArea
) -> ExposureSetting | None:
    """The setting a place named with a postcode already has, if any: the first one
    of that name (as a person reads it: setting_name_key) at that postcode, whatever
    kind it was given.

    A pupil's school is a teacher's workplace: matching on the kind too split one
    school into two settings and hid its cluster; so did matching the name as typed
    ("St Hilda's", its curly apostrophe, "St Hildas", "St. Hilda's"). Settings split
    so before are left as they are; the first of them gains the new visits. Two
    cases naming one new place at once go one after the other, so the second finds
    the first's setting (and one naming it without a postcode in its area waits for
    it too). Read by the setting's area (the index setting_area_kind): a setting
    with a postcode was given that postcode's area when it was made (case_visit_add).
    """
    key = setting_name_key(name)
    area_id = located.area.pk if located.area else None
    hold_until_commit(
        [f"setting {key}:{located.postcode}"]
        + ([f"setting {key}::{area_id}"] if area_id is not None else [])
    )
    at = ExposureSetting.objects.filter(area=located.area, postcode=located.postcode)
    found = _named(at, key)
    return found[0] if found else None


def setting_without_postcode(
    *, name: str, kind: str, case: Case
) -> ExposureSetting | None:
    """The setting a place named without a postcode already has, if any.

    The case's own, when it names the place again (another day, or the same visit
    twice, which is then refused). Otherwise, in the case's area (_shared_in: never
    for a household, never for a case with no area), the one place of that name
    with a postcode, so a case that did not know the school's postcode is in its
    cluster; or else one without a postcode that only cases of that area have
    visited, so a local team's cluster is never made of places of the same name in
    other areas. Another case's household is never joined by name alone, whatever
    kind the visit gives the place: one family's "Grandma's house" at S10 2TN is
    not every "Grandmas house" of Sheffield. A setting visited by cases of several
    areas (shared by name alone before this rule) is left as it is: only the cases
    already at it find it again.
    """
    area_id = _shared_in(case, kind)
    key = setting_name_key(name)
    # Two cases of one area naming one new place at once: one after the other, so
    # the second finds the first's setting. A setting no other case shares needs
    # no hold: the case's row is held already.
    if area_id is not None:
        hold_until_commit([f"setting {key}::{area_id}"])
    own = _named(ExposureSetting.objects.filter(visits__case=case), key)
    if found := [s for s in own if not s.postcode and s.kind == kind]:
        return found[0]
    if place := _one_place([s for s in own if s.postcode]):
        return place
    if area_id is None:
        return None
    # Of that name at several postcodes in the area (two Tescos), the one the case
    # was at is not known: joining either could make a cluster of cases at two
    # places, or hide one. It is kept apart, shared only with the area's other
    # cases naming it without a postcode.
    with_postcode = (
        ExposureSetting.objects.filter(area_id=area_id)
        .exclude(postcode="")
        .exclude(kind=SettingKind.HOUSEHOLD)
    )
    if place := _one_place(_named(with_postcode, key)):
        return place
    visits = SettingVisit.objects.filter(setting=OuterRef("pk"))
    # Settings without a postcode have no area of their own (index setting_area_kind).
    without = ExposureSetting.objects.filter(area=None, kind=kind, postcode="").filter(
        Exists(visits.filter(case__area_id=area_id)),
        ~Exists(visits.exclude(case__area_id=area_id)),
    )
    found = _named(without, key)
    return found[0] if found else None
