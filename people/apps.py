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
    }
)
# The apostrophes people_name_fold drops: straight, typographic and the backtick.
_APOSTROPHES = re.compile("['\u2019`]")


def unaccent(text: str) -> str:
    """The text without its accents, as PostgreSQL's unaccent gives it."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNACCENT_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def people_name_fold(text: str | None) -> str | None:
    """PostgreSQL's people_name_fold() (people migration 0010): no accents, then no
    apostrophes, then lower case; NULL stays NULL (the function is STRICT)."""
    if text is None:
        return None
    return _APOSTROPHES.sub("", unaccent(text)).lower()


def unicode_lower(text: str | None) -> str | None:
    """PostgreSQL's LOWER(): every letter lower-cased, not A-Z only."""
    return None if text is None else text.lower()


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
