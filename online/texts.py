"""What the online route says, in English and Welsh: the messages and the pages.

Plain words, short sentences; the case is never named to a contact. Each text is a
format string; `say(key, language, **values)` picks the language (English when the
person's language has no version) and fills it in; `addressed` heads it with the
first name of the person it is for, and `subject_for` heads an email's subject so.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

LANGUAGES = ("en", "cy")

# Every message opens with the service's name, as its pages are headed.
BRAND = {"en": "NHS Test and Trace", "cy": "GIG Profi ac Olrhain"}
# Whom a message is for, after the brand (addressed).
_FOR_WHOM = {"en": "a message for {name}", "cy": "neges ar gyfer {name}"}

_WELSH_DAYS = [
    "Dydd Llun",
    "Dydd Mawrth",
    "Dydd Mercher",
    "Dydd Iau",
    "Dydd Gwener",
    "Dydd Sadwrn",
    "Dydd Sul",
]
_WELSH_MONTHS = [
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
]

TEXTS: dict[str, dict[str, str]] = {
    # --- messages -------------------------------------------------------------------
    "case_link": {
        "en": (
            "NHS Test and Trace: your coronavirus test was positive. Stay at home "
            "and isolate until the end of {until}. Tell us who you were near and "
            "where you have been, so we can warn them: {url} "
            "If you do not, we will phone you."
        ),
        "cy": (
            "GIG Profi ac Olrhain: roedd eich prawf coronafeirws yn bositif. "
            "Arhoswch gartref a hunanynysu tan ddiwedd {until}. Dywedwch wrthym "
            "pwy oeddech yn agos atynt a ble rydych wedi bod, er mwyn i ni eu "
            "rhybuddio: {url} Os na wnewch, byddwn yn eich ffonio."
        ),
    },
    "case_link_over": {
        # A case whose isolation, counted from their symptoms, ended before the
        # result came: no date already past to stay at home until.
        "en": (
            "NHS Test and Trace: your coronavirus test was positive. Counted from "
            "when your symptoms started, your time to stay at home ended on {until}. "
            "Tell us who you were near and where you have been, so we can warn "
            "them: {url} If you do not, we will phone you."
        ),
        "cy": (
            "GIG Profi ac Olrhain: roedd eich prawf coronafeirws yn bositif. O'r "
            "adeg y dechreuodd eich symptomau, daeth eich cyfnod i aros gartref i "
            "ben ar {until}. Dywedwch wrthym pwy oeddech yn agos atynt a ble rydych "
            "wedi bod, er mwyn i ni eu rhybuddio: {url} Os na wnewch, byddwn yn "
            "eich ffonio."
        ),
    },
    "case_link_over_test": {
        # The same for a case who had no symptoms: counted from their test.
        "en": (
            "NHS Test and Trace: your coronavirus test was positive. Counted from "
            "the day of your test, your time to stay at home ended on {until}. "
            "Tell us who you were near and where you have been, so we can warn "
            "them: {url} If you do not, we will phone you."
        ),
        "cy": (
            "GIG Profi ac Olrhain: roedd eich prawf coronafeirws yn bositif. O "
            "ddiwrnod eich prawf, daeth eich cyfnod i aros gartref i ben ar {until}. "
            "Dywedwch wrthym pwy oeddech yn agos atynt a ble rydych wedi bod, er "
            "mwyn i ni eu rhybuddio: {url} Os na wnewch, byddwn yn eich ffonio."
        ),
    },
    "contact_link": {
        "en": (
            "NHS Test and Trace: you have been near someone who has coronavirus. "
            "Stay at home and isolate until the end of {until}. Tell us you will, "
            "or ask for help with money, food or medicine: {url}"
        ),
        "cy": (
            "GIG Profi ac Olrhain: rydych wedi bod yn agos at rywun sydd â "
            "coronafeirws. Arhoswch gartref a hunanynysu tan ddiwedd {until}. "
            "Dywedwch wrthym y byddwch yn gwneud hynny, neu gofynnwch am help gydag "
            "arian, bwyd neu feddyginiaeth: {url}"
        ),
    },
    # A clinician changed the end date (work.isolation.isolation_override).
    "isolation_changed": {
        "en": (
            "NHS Test and Trace: a clinician has reviewed how long you need to "
            "self-isolate. Stay at home and isolate until the end of {until}. This "
            "replaces the date we gave you before."
        ),
        "cy": (
            "GIG Profi ac Olrhain: mae clinigydd wedi adolygu am ba hyd y mae angen "
            "i chi hunanynysu. Arhoswch gartref a hunanynysu tan ddiwedd {until}. "
            "Mae hyn yn disodli'r dyddiad a roesom i chi o'r blaen."
        ),
    },
    # A contact's end date moved later by a further exposure, a second case naming
    # them (work.isolation.contact_told_later_date).
    "named_again_later": {
        "en": (
            "NHS Test and Trace: you have been near someone else who has "
            "coronavirus since we last told you. Stay at home and isolate until the "
            "end of {until}. This replaces the date we gave you before."
        ),
        "cy": (
            "GIG Profi ac Olrhain: rydych wedi bod yn agos at rywun arall sydd â "
            "coronafeirws ers i ni gysylltu â chi. Arhoswch gartref a hunanynysu tan "
            "ddiwedd {until}. Mae hyn yn disodli'r dyddiad a roesom i chi o'r blaen."
        ),
    },
    # A case's end date changed with the symptom onset recorded in their risk
    # assessment (a correction, say): the person told a date before is told the new
    # one (work.isolation.case_onset_revised), as a contact following that case is.
    "isolation_revised": {
        "en": (
            "NHS Test and Trace: we have updated how long you need to self-isolate. "
            "Stay at home and isolate until the end of {until}. This replaces the "
            "date we gave you before."
        ),
        "cy": (
            "GIG Profi ac Olrhain: rydym wedi diweddaru am ba hyd y mae angen i chi "
            "hunanynysu. Arhoswch gartref a hunanynysu tan ddiwedd {until}. Mae hyn "
            "yn disodli'r dyddiad a roesom i chi o'r blaen."
        ),
    },
    # The same when the new end date has passed already: no date to stay at home
    # until.
    "isolation_revised_over": {
        "en": (
            "NHS Test and Trace: we have updated how long you needed to "
            "self-isolate. Your time to stay at home ended on {until}. This replaces "
            "the date we gave you before."
        ),
        "cy": (
            "GIG Profi ac Olrhain: rydym wedi diweddaru am ba hyd yr oedd angen i chi "
            "hunanynysu. Daeth eich cyfnod i aros gartref i ben ar {until}. Mae hyn "
            "yn disodli'r dyddiad a roesom i chi o'r blaen."
        ),
    },
    # The same for a case never sent anything before: the person who tested
    # positive, told as such (isolation_advice is a contact's).
    "case_isolation_set": {
        "en": (
            "NHS Test and Trace: your coronavirus test was positive. A clinician has "
            "reviewed how long you need to self-isolate. Stay at home and isolate "
            "until the end of {until}."
        ),
        "cy": (
            "GIG Profi ac Olrhain: roedd eich prawf coronafeirws yn bositif. Mae "
            "clinigydd wedi adolygu am ba hyd y mae angen i chi hunanynysu. Arhoswch "
            "gartref a hunanynysu tan ddiwedd {until}."
        ),
    },
    # A contact reached by phone: what their link's text and page say, with the
    # page's advice in place of the link.
    "isolation_advice": {
        "en": (
            "NHS Test and Trace: you have been near someone who has coronavirus. "
            "Stay at home and isolate until the end of {until}. Do not go to work, "
            "school or any public place. If you get symptoms, call 119 to get a test."
        ),
        "cy": (
            "GIG Profi ac Olrhain: rydych wedi bod yn agos at rywun sydd â "
            "coronafeirws. Arhoswch gartref a hunanynysu tan ddiwedd {until}. "
            "Peidiwch â mynd i'r gwaith, i'r ysgol nac i unrhyw le cyhoeddus. Os "
            "cewch symptomau, ffoniwch 119 i gael prawf."
        ),
    },
    "email_subject": {
        "en": "NHS Test and Trace: what to do now",
        "cy": "GIG Profi ac Olrhain: beth i'w wneud nawr",
    },
}


def long_date(day: date, language: str = "en", *, after_o: bool = False) -> str:
    """'Thursday 10 December 2026', or in Welsh 'Dydd Iau 10 Rhagfyr 2026'.

    after_o: the date follows "o" ("from"), which softens the Welsh that comes
    after it, in lower case mid-sentence: "o ddydd Iau 10 Rhagfyr 2026". English
    is the same either way."""
    if language == "cy":
        weekday = _WELSH_DAYS[day.weekday()]
        if after_o:
            weekday = "dd" + weekday[1:]  # "Dydd Mawrth" -> "ddydd Mawrth"
        return f"{weekday} {day.day} {_WELSH_MONTHS[day.month - 1]} {day.year}"
    return f"{day:%A} {day.day} {day:%B %Y}"


def language_of(code: str | None) -> str:
    """The language the online route speaks to someone in: theirs if it has one."""
    return code if code in LANGUAGES else "en"


def say(key: str, language: str = "en", **values: object) -> str:
    versions = TEXTS[key]
    return versions.get(language, versions["en"]).format(**values)


# The longest first name put in a text: "Bartholomew-Maximilians" fits, a sentence
# does not.
TEXTED_NAME_MAX = 24
# What may stand between two runs of letters in a first name, once each:
# "Mary-Jane", "D'Arcy" (its apostrophe straight or curly, as phones type it),
# "Anne Marie".
_NAME_JOINS = re.compile(r"[-'\u2019 ]")


def _letters(run: str) -> bool:
    """A run of a name's letters: a letter first, then letters or the marks written
    on them (accents a phone may type separately, the vowel signs of Indian
    scripts); no digit, punctuation, space or invisible control."""
    return run[:1].isalpha() and all(
        ch.isalpha() or unicodedata.category(ch) in ("Mn", "Mc") for ch in run
    )


def name_fit_to_text(typed: str) -> str:
    """`typed` as a text may name its recipient, or "" when it is not plainly a
    first name.

    Texts go out under the NHS brand, and a name is the only text a member of the
    public controls in them: whoever holds a case's link may name anyone at any
    mobile, with 100 characters of anything as the first name. So only a name made
    of letters ("Siân", "Llŷr", "Zoë"), runs of them joined once by a hyphen,
    apostrophe or space, and no longer than TEXTED_NAME_MAX, is put in a text:
    never a web address, a sentence or a line break. Anything else is left out
    whole (not trimmed to a fragment that looks like a name), and the text goes
    without one. A name in capitals, as labs send them, is written as a name
    ("MARY-JANE" -> "Mary-Jane"); any other capitals are kept as typed ("McDonald",
    "de la Cruz")."""
    name = unicodedata.normalize("NFC", typed.strip())
    if len(name) > TEXTED_NAME_MAX or not all(
        _letters(run) for run in _NAME_JOINS.split(name)
    ):
        return ""
    if name.isupper():
        return name.title()
    return name


def addressed(body: str, first_name: str, language: str = "en") -> str:
    """The message `body` (said in `language`) headed, after the brand, with the
    first name of the person it is for: "NHS Test and Trace: a message for Cai. You
    have been near...". Up to three people can be texted at one number (a parent
    giving their own for their children): each text must say whose it is, as the
    pages do. A body without the brand, or a person without a first name fit to
    text (name_fit_to_text), is left as it is."""
    language = language_of(language)
    brand = f"{BRAND[language]}: "
    name = name_fit_to_text(first_name)
    if not name or not body.startswith(brand):
        return body
    rest = body[len(brand) :]
    for_whom = _FOR_WHOM[language].format(name=name)
    return f"{brand}{for_whom}. {rest[:1].upper()}{rest[1:]}"


def subject_for(first_name: str, language: str = "en") -> str:
    """The subject of an email to someone about their isolation or their link,
    headed with their first name as its body is (addressed): "NHS Test and Trace: a
    message for Lily. What to do now". One address can be given for several people
    (a parent's, for their children), and an inbox lists subjects."""
    language = language_of(language)
    return addressed(say("email_subject", language), first_name, language)
