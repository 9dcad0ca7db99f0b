"""The people app; and, for the embedded default's SQLite, the SQL functions a name
search reads that PostgreSQL has and SQLite has not.

PostgreSQL folds a name with people_name_fold() (people migration 0010: no accents,
no apostrophes, lower case) and lowers any letter with LOWER(). SQLite has no
people_name_fold, and its LOWER() lowers A-Z only, so "Ó Súilleabháin" or "Ærnason"
typed as kept found nobody there. Each SQLite connection is given people_name_fold,
doing what PostgreSQL's does, and unicode_lower, PostgreSQL's LOWER(), so that a
search is the same query on both. SQLite's own LOWER() is left alone: an index built
with it (person_name_dob) would no longer agree with its rows.
"""

from __future__ import annotations

import re
import unicodedata

from django.apps import AppConfig
from django.db.backends.signals import connection_created

# The letters PostgreSQL's unaccent rewrites that have no accent Unicode separates
# (NFKD leaves them whole): "Ærnason" is found as "aernason", "Łucja" as "lucja".
_UNACCENT_LETTERS = str.maketrans(
    {
        "Æ": "AE",
        "æ": "ae",
        "Ø": "O",
        "ø": "o",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Ł": "L",
        "ł": "l",
        "ß": "ss",
        "Œ": "OE",
        "œ": "oe",
        "Þ": "TH",
        "þ": "th",
        "Ħ": "H",
        "ħ": "h",
        "\u0131": "i",  # the dotless i
        "Ŧ": "T",
        "ŧ": "t",
        "ĸ": "q",
        "Ŋ": "N",
        "ŋ": "n",
        "ŉ": "'n",
        "Ŀ": "L",
        "ŀ": "l",
        "Ɖ": "D",
        "ɖ": "d",
        # The marks unaccent turns into an apostrophe (then dropped) or a hyphen.
        "\u2018": "'",
        "\u02bc": "'",
        "\u02bb": "'",
        "\u2010": "-",
        "\u2011": "-",
    }
)
# The apostrophes people_name_fold drops: straight, typographic and the backtick.
_APOSTROPHES = re.compile("['\u2019`]")
# unaccent strips the accents of Latin letters only (a Cyrillic й stays й).
_LATIN = range(0x250)


def unaccent(text: str) -> str:
    """The text without its accents, as PostgreSQL's unaccent gives it: each Latin
    letter's combining marks dropped (canonical decomposition only, so ² and ™ stay
    as they are, as there)."""
    out: list[str] = []
    for c in unicodedata.normalize("NFD", text.translate(_UNACCENT_LETTERS)):
        if unicodedata.combining(c) and out and ord(out[-1][0]) in _LATIN:
            continue  # an accent of a Latin letter
        if unicodedata.combining(c) and out:
            out[-1] += c
        else:
            out.append(c)
    return "".join(unicodedata.normalize("NFC", part) for part in out)


def _lower(text: str) -> str:
    """Every letter lower-cased on its own, as PostgreSQL's LOWER() does (Python's
    str.lower() writes a word's last sigma ς)."""
    return "".join(c.lower() for c in text)


def people_name_fold(text: str | None) -> str | None:
    """PostgreSQL's people_name_fold() (people migration 0010): no accents, then no
    apostrophes, then lower case; NULL stays NULL (the function is STRICT)."""
    if text is None:
        return None
    return _lower(_APOSTROPHES.sub("", unaccent(text)))


def unicode_lower(text: str | None) -> str | None:
    """PostgreSQL's LOWER(): every letter lower-cased, not A-Z only."""
    return None if text is None else _lower(text)


def add_sqlite_name_functions(sender, connection, **kwargs) -> None:
    """Give a new SQLite connection the functions a name search reads."""
    if connection.vendor != "sqlite":
        return
    for function in (people_name_fold, unicode_lower):
        connection.connection.create_function(
            function.__name__, 1, function, deterministic=True
        )


class PeopleConfig(AppConfig):
    name = "people"

    def ready(self) -> None:
        connection_created.connect(
            add_sqlite_name_functions, dispatch_uid="people.sqlite_name_functions"
        )
