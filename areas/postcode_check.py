"""The check of a postcode someone names a contact with: of the right form, and in
the postcode directory. One check for every door where staff or the public name a
contact (the case page, the API, the online forms); lab results are never refused
for a postcode, so intake does not use it."""

from __future__ import annotations

from django.core.exceptions import ValidationError

from .postcodes import locate_postcode, normalise_postcode

# A postcode well formed but not in the directory: a typo, most likely.
POSTCODE_NOT_FOUND = "We cannot find this postcode. Check it and enter it again."


def postcode_in_directory(postcode: str) -> bool:
    """The postcode is in the directory (in England or outside it); raises
    ValidationError when malformed."""
    return locate_postcode(postcode) is not None


def postcode_known(value: str, *, held: str = "") -> str:
    """The postcode in its display form ("S1 2HE") when the directory holds it.

    ValidationError "invalid_postcode" for one of the wrong form, and
    "postcode_not_found" (POSTCODE_NOT_FOUND) for one of the right form the
    directory does not know: taken, it would leave its person with no area, and
    their work with the fallback team rather than their own. One the directory
    holds outside England is taken (its person has no area of the service). So is
    `held`, the case's own postcode as we hold it: a lab's result is never refused
    for its postcode, so a case may live at one the directory lacks (a new build),
    and the people at home with them are named at it.
    """
    postcode = normalise_postcode(value)
    if held and postcode == held:
        return postcode
    if not postcode_in_directory(postcode):
        raise ValidationError(POSTCODE_NOT_FOUND, code="postcode_not_found")
    return postcode
