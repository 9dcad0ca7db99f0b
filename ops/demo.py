"""Realistic demo data: areas' teams, staff of every tier, shifts, cases at every stage.

Deterministic (a fixed random seed) and idempotent: running it again finds what it made
and changes nothing.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from areas.models import Area
from areas.postcodes import SUCCESSOR_CODES, _letter_index, normalise_postcode
from calls.models import CallAttempt, KnowledgeArticle, Outcome, Script, ScriptStep
from cases.models import Case, SettingKind
from cases.workitem import Status
from clock import local_midnight, split_by_local_day
from contacts.models import Contact
from escalations.clusters import clusters_detect
from escalations.models import Escalation
from figures.utilisation import WRAP_UP
from people.models import Language
from people.services import PersonDetails
from staffing.models import (
    Organisation,
    Shift,
    StaffProfile,
    Team,
    Tier,
    TrainingModule,
)
from staffing.services import StaffingRefused, shift_assign
from work.assignment import item_assign
from work.calls import call_record
from work.casework import (
    AssessmentDetails,
    ContactDetails,
    VisitDetails,
    case_assessment_record,
    case_visit_add,
    contact_add,
    item_complete,
)
from work.errors import WorkRefused
from work.escalation import escalation_claim, escalation_close, item_escalate
from work.intake import TestResult, case_intake
from work.rules import CallRule

DEMO_PASSWORD = "demo-tracing-2026"

DEMO_SETTINGS = [
    ("Riverside Distribution Centre", SettingKind.WORKPLACE),
    ("The Old Crown", SettingKind.VENUE),
]

# Sheffield, Leeds, Manchester, Westminster: a few real areas with real postcodes.
DEMO_AREAS = {"E08000019": "S", "E08000035": "L", "E08000003": "M", "E09000033": "S"}

FIRST = [
    "Amira",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Farid",
    "Grace",
    "Hassan",
    "Isla",
    "Jack",
    "Kiran",
    "Leah",
    "Mohammed",
    "Nia",
    "Oscar",
    "Priya",
    "Quinn",
    "Ruby",
    "Sam",
    "Tariq",
    "Uma",
    "Victor",
    "Wendy",
    "Yusuf",
    "Zara",
    "Aisha",
    "Callum",
    "Daisy",
    "Ethan",
    "Fatima",
]
LAST = [
    "Ahmed",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Fisher",
    "Green",
    "Hussain",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "Owen",
    "Patel",
    "Quinn",
    "Roberts",
    "Shah",
    "Taylor",
    "Usman",
    "Walker",
    "Wright",
    "Young",
    "Begum",
    "Singh",
    "Wilson",
    "Hall",
]
LANGUAGES = [
    ("en", "English"),
    ("ur", "Urdu"),
    ("pl", "Polish"),
    ("pa", "Punjabi"),
    ("bn", "Bengali"),
    ("ro", "Romanian"),
    ("ar", "Arabic"),
]

STAFF = [
    # username, first, last, tier, supervisor, team key, new starter, languages
    ("sup.clinical", "Sarah", "Okafor", Tier.CLINICAL, True, "clinical", False, ["en"]),
    ("nurse.ada", "Ada", "Hughes", Tier.CLINICAL, False, "clinical", False, ["en"]),
    (
        "nurse.bilal",
        "Bilal",
        "Rahman",
        Tier.CLINICAL,
        False,
        "clinical",
        False,
        ["en", "ur"],
    ),
    ("nurse.cara", "Cara", "Nolan", Tier.CLINICAL, False, "clinical", True, ["en"]),
    ("sup.calls", "Tom", "Barker", Tier.CALL_HANDLER, True, "calls", False, ["en"]),
    ("handler.dan", "Dan", "Price", Tier.CALL_HANDLER, False, "calls", False, ["en"]),
    (
        "handler.ewa",
        "Ewa",
        "Kowalska",
        Tier.CALL_HANDLER,
        False,
        "calls",
        False,
        ["en", "pl"],
    ),
    (
        "handler.fay",
        "Fay",
        "Ali",
        Tier.CALL_HANDLER,
        False,
        "calls",
        True,
        ["en", "ur", "pa"],
    ),
    ("handler.gus", "Gus", "Reed", Tier.CALL_HANDLER, False, "calls", False, ["en"]),
    ("handler.hal", "Hal", "Moss", Tier.CALL_HANDLER, False, "calls", False, ["en"]),
]

# Today's shift of each person, as (start, length) in hours from the start of the
# current hour: a realistic mix, most on shift now, one starting later. Those who did
# the demo's older work (yesterday's) also have yesterday's shift, with at least the
# minimum rest before today's.
TODAY_SHIFTS = {
    "nurse.ada": (-2, 8),
    "nurse.bilal": (-1, 8),
    "nurse.cara": (-3, 8),
    "handler.dan": (-2, 8),
    "handler.ewa": (-2, 10),
    "handler.fay": (-1, 6),
    "handler.gus": (0, 8),
    "handler.hal": (3, 8),
}
WORKED_YESTERDAY = {
    "nurse.ada",
    "nurse.bilal",
    "handler.dan",
    "handler.ewa",
    "handler.fay",
    "handler.gus",
}
# The next days' shifts, as (start hour, end hour), in turn: day, late, early.
LATER_SHIFTS = [(8, 16), (12, 20), (7, 15)]

# Room kept for new work: a call handler holds at most this many fewer than their cap
# of the demo's own contacts, and at most this many contacts wait in the pool, so a
# contact added after the demo reaches a handler at the next assignment run.
HANDLER_ROOM = 4
CONTACTS_WAITING = 3

# The demo's calls: a caseworker tries again someone who did not answer after the
# rules' least gap, and takes a breather after each call's write-up (WRAP_UP), so
# the staff's day has the idle time a real one has.
CALL_AGAIN_AFTER = CallRule.for_kind("case").min_gap
# The demo's worked cases came in from yesterday, as the callers' shifts of yesterday
# began, and were taken no sooner than this after they came in.
WORKED_SINCE = timedelta(hours=22)
PICKED_UP_AFTER = timedelta(minutes=30)
BETWEEN_CALLS = timedelta(minutes=3)
LOCAL_STAFF = [
    ("local.sheffield", "Helen", "Marsh", "E08000019", True),
    ("local.sheffield2", "Imran", "Butt", "E08000019", False),
    ("local.leeds", "Jo", "Whitley", "E08000035", True),
]

SCRIPTS = {
    Script.Audience.CASE: (
        "Case interview (tier 2)",
        [
            (
                "Introduce yourself",
                "Say your name, that you are calling from the NHS contact "
                "tracing service about their positive test, and check you are speaking to them "
                "(name, date of birth).",
            ),
            (
                "Check how they are",
                "Ask about symptoms and when they started. If they are very "
                "unwell, advise them to call 111, or 999 in an emergency.",
            ),
            (
                "Isolation",
                "Tell them the date their isolation ends (shown on the page) and what "
                "isolation means for their household.",
            ),
            (
                "Risk assessment",
                "Occupation, settings visited in the 48 hours before symptoms, "
                "vulnerabilities, and who lives with them.",
            ),
            (
                "Contacts",
                "Go through the days from 48 hours before symptoms: household, "
                "face-to-face, within 2 metres for 15 minutes, travel together.",
            ),
            (
                "Close",
                "Check they have what they need; tell them about support payments and "
                "how to get help while isolating.",
            ),
        ],
    ),
    Script.Audience.CONTACT: (
        "Contact call (tier 3)",
        [
            (
                "Introduce yourself",
                "Say your name and that you are calling from the NHS contact "
                "tracing service. Confirm their name and date of birth; never give the case's name.",
            ),
            (
                "Why you are calling",
                "Someone they were in contact with has tested positive.",
            ),
            (
                "Isolation date",
                "Read out the date their isolation ends, shown on the page.",
            ),
            (
                "Check understanding",
                "Ask them to repeat the date back; ask if anyone can help "
                "with food or medicine.",
            ),
            (
                "Record the outcome",
                "Record the outcome of the call before you take the next one.",
            ),
        ],
    ),
}
ARTICLES = [
    (
        "Self-isolation: what it means",
        "Stay at home; do not go to work, school or public "
        "places. Do not have visitors except for essential care.",
        "isolation stay home",
        False,
    ),
    (
        "Support payments",
        "People on low incomes who must isolate may get a £500 payment "
        "from their council.",
        "money payment support",
        False,
    ),
    (
        "Interpreters",
        "If the person needs an interpreter, record the outcome 'needs an "
        "interpreter': the call goes to a colleague who speaks the language.",
        "language",
        False,
    ),
    (
        "Safeguarding concerns",
        "If you are worried about a child or adult at risk, record a "
        "safeguarding concern: the local team is told at once.",
        "safeguarding risk",
        False,
    ),
    (
        "Symptom onset and infectious period",
        "The infectious period starts 48 hours before "
        "symptom onset (or the test, if asymptomatic).",
        "clinical onset infectious",
        True,
    ),
    (
        "Care home outbreaks",
        "A case linked to a care home is complex and goes straight to "
        "the local health protection team.",
        "care home complex",
        True,
    ),
]


@dataclass
class Summary:
    users: list[tuple[str, str]]
    cases_created: int


def _postcodes(rng: random.Random) -> dict[str, list[str]]:
    """Up to 40 real postcodes in each demo area."""
    found: dict[str, list[str]] = {code: [] for code in DEMO_AREAS}
    for code, letter in DEMO_AREAS.items():
        for ons_form, (laua, _, _) in _letter_index(letter).items():
            if SUCCESSOR_CODES.get(laua, laua) == code:
                found[code].append(normalise_postcode(ons_form))
                if len(found[code]) == 200:
                    break
        found[code] = rng.sample(found[code], min(40, len(found[code])))
    return found


def _user(username: str, first: str, last: str, *, superuser: bool = False):
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{username}@example.org",
            "is_staff": superuser,
            "is_superuser": superuser,
        },
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    return user


def _staff(today: date) -> list[StaffProfile]:
    agency, _ = Organisation.objects.get_or_create(
        name="Northern Clinical Staffing",
        defaults={"kind": Organisation.Kind.CLINICAL_AGENCY},
    )
    centre, _ = Organisation.objects.get_or_create(
        name="National Contact Centre Ltd",
        defaults={"kind": Organisation.Kind.CALL_CENTRE},
    )
    council, _ = Organisation.objects.get_or_create(
        name="Local authority public health",
        defaults={"kind": Organisation.Kind.COUNCIL},
    )
    teams = {
        "clinical": Team.objects.get_or_create(
            name="Clinical team North",
            defaults={"organisation": agency, "tier": Tier.CLINICAL},
        )[0],
        "calls": Team.objects.get_or_create(
            name="Call handling team North",
            defaults={"organisation": centre, "tier": Tier.CALL_HANDLER},
        )[0],
    }
    languages = {
        code: Language.objects.get_or_create(code=code, defaults={"name": name})[0]
        for code, name in LANGUAGES
    }
    for tier, names in (
        (
            Tier.CLINICAL,
            [
                "Infection prevention basics",
                "Clinical risk assessment",
                "Safeguarding level 2",
            ],
        ),
        (Tier.CALL_HANDLER, ["Call handling basics", "Data protection"]),
        (Tier.LOCAL, ["Local escalation process"]),
    ):
        for name in names:
            TrainingModule.objects.get_or_create(name=name, tier=tier)
    profiles = []
    for username, first, last, tier, is_sup, team_key, new, langs in STAFF:
        user = _user(username, first, last)
        team = teams[team_key]
        profile, created = StaffProfile.objects.get_or_create(
            user=user,
            defaults={
                "tier": tier,
                "is_supervisor": is_sup,
                "team": team,
                "organisation": team.organisation,
                "started_on": today - timedelta(days=3 if new else 120),
                "signed_off_at": None if new else timezone.now() - timedelta(days=90),
            },
        )
        if created:
            if tier == Tier.CLINICAL:
                profile.registration_body = StaffProfile.RegistrationBody.NMC
                # An NMC PIN: two digits, a letter, four digits, a letter.
                seed = zlib.crc32(username.encode())
                profile.registration_number = (
                    f"{seed % 100:02d}{chr(65 + seed % 12)}{seed // 100 % 10**4:04d}E"
                )
                profile.registration_verified_on = today - timedelta(days=20)
                profile.registration_expires_on = today + timedelta(days=300)
                profile.save()
            profile.languages.set([languages[c] for c in langs])
            for module in TrainingModule.objects.filter(tier=tier):
                profile.training.create(
                    module=module, completed_on=today - timedelta(days=5)
                )
        profiles.append(profile)
    for username, first, last, area_code, is_sup in LOCAL_STAFF:
        user = _user(username, first, last)
        StaffProfile.objects.get_or_create(
            user=user,
            defaults={
                "tier": Tier.LOCAL,
                "is_supervisor": is_sup,
                "organisation": council,
                "local_team": Area.objects.get(code=area_code).local_team,
                "started_on": today - timedelta(days=400),
                "signed_off_at": timezone.now() - timedelta(days=300),
            },
        )
    _user("admin", "Service", "Administrator", superuser=True)
    return profiles


def _shifts(profiles: list[StaffProfile], today: date) -> None:
    """Yesterday's shift for those who did the demo's older work, today's (most on
    shift now), and the next days' as the weekly cap and the rest between shifts
    allow; plus open slots for the rest of the week. Booked through the supervisor's
    booking service, so its rules hold (a booking it refuses, or would book only past
    the cap, is left out)."""
    tz = timezone.get_current_timezone()
    now = timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    supervisors = {
        p.team_id: p.user for p in StaffProfile.objects.filter(is_supervisor=True)
    }
    for n, profile in enumerate(profiles):
        if profile.is_supervisor or profile.shifts.exists():
            continue
        by = supervisors.get(profile.team_id)
        username = profile.user.username
        windows = []
        if username in WORKED_YESTERDAY:
            # Covers the demo's work from 20 to 14 hours ago, and ends 11 hours or
            # more before today's shift starts.
            start = (now - timedelta(hours=21)).replace(
                minute=0, second=0, microsecond=0
            )
            windows.append((start, start + timedelta(hours=8)))
        offset, length = TODAY_SHIFTS.get(username, (-1, 8))
        start = hour + timedelta(hours=offset)
        windows.append((start, start + timedelta(hours=length)))
        for day in range(1, 5):
            start_h, end_h = LATER_SHIFTS[(n + day) % len(LATER_SHIFTS)]
            date_ = today + timedelta(days=day)
            windows.append(
                (
                    datetime.combine(date_, time(start_h), tz),
                    datetime.combine(date_, time(end_h), tz),
                )
            )
        for start, end in windows:
            try:
                shift_assign(profile=profile, starts_at=start, ends_at=end, by=by)
            except StaffingRefused:
                continue  # past their weekly cap, or too little rest between shifts
    for team in Team.objects.all():
        if Shift.objects.filter(team=team, status=Shift.Status.OPEN).exists():
            continue
        for offset in range(1, 7):
            day = today + timedelta(days=offset)
            for start_h, end_h in ((8, 14), (14, 20)):
                Shift.objects.create(
                    tier=team.tier,
                    team=team,
                    starts_at=datetime.combine(day, time(start_h), tz),
                    ends_at=datetime.combine(day, time(end_h), tz),
                )


def _scripts() -> None:
    for audience, (name, steps) in SCRIPTS.items():
        script, created = Script.objects.get_or_create(
            audience=audience, defaults={"name": name}
        )
        if created:
            for order, (title, body) in enumerate(steps, start=1):
                ScriptStep.objects.create(
                    script=script, order=order, title=title, body=body
                )
    for title, body, keywords, clinical in ARTICLES:
        KnowledgeArticle.objects.get_or_create(
            title=title,
            defaults={"body": body, "keywords": keywords, "clinical": clinical},
        )


def _person(
    rng: random.Random, postcodes: list[str], n: int, language: str = ""
) -> PersonDetails:
    return PersonDetails(
        first_name=rng.choice(FIRST),
        last_name=rng.choice(LAST),
        date_of_birth=date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 65)),
        phone=f"+447400{n:06d}",
        postcode=rng.choice(postcodes),
        language=language,
        needs_interpreter=bool(language and language != "en"),
    )


@dataclass
class _Room:
    """The room the demo leaves for new contacts: few waiting, handlers not full."""

    speakers: dict[str, object]  # a language's code: the handler who speaks it
    waiting: int = 0

    def full(self, handler) -> bool:
        held = Contact.objects.held().filter(assignee=handler).count()
        return held >= handler.staff.open_work_cap - HANDLER_ROOM


class _Diary:
    """When each caller was on shift and free: the demo's calls are placed in their
    free time inside their booked shifts (cut at local midnight, as the utilisation
    report cuts them), one after another with time to write each up, never before
    the call that must come first and never after now."""

    def __init__(self, callers, *, now: datetime) -> None:
        self.now = now
        self.free: dict[int, list[tuple[datetime, datetime]]] = {}
        for caller in callers:
            stretches = []
            for start, end in Shift.objects.filter(
                staff__user=caller, status=Shift.Status.BOOKED, starts_at__lt=now
            ).values_list("starts_at", "ends_at"):
                stretches += _by_local_day(start, min(end, now))
            self.free[caller.pk] = sorted(stretches)
            # Calls made before (by an earlier run, or the staff since): time taken.
            for started_at, seconds in CallAttempt.objects.filter(
                caller=caller
            ).values_list("started_at", "duration_seconds"):
                self._take(caller, started_at, started_at + _time_taken(seconds))

    def slot(self, caller, *, after: datetime, seconds: int) -> datetime | None:
        """The earliest moment, not before `after`, when `caller` is on shift and
        free for a call of `seconds` and what follows it; None if there is none."""
        return _first_free(self.free.get(caller.pk, []), after, _time_taken(seconds))

    def fit(self, caller, *, after: datetime, calls: list[int]) -> list[datetime]:
        """When `caller` would make `calls` (each one's length in seconds) in turn,
        the first not before `after` and each next one the rules' least gap after
        the one before: their starts, or [] if one of them finds no free time.
        Nothing is booked."""
        free = self.free.get(caller.pk, [])
        starts: list[datetime] = []
        for seconds in calls:
            start = _first_free(free, after, _time_taken(seconds))
            if start is None:
                return []
            starts.append(start)
            free = _without(free, start, start + _time_taken(seconds))
            after = start + timedelta(seconds=seconds) + CALL_AGAIN_AFTER
        return starts

    def soonest(self, callers, *, after: datetime, seconds: int):
        """(caller, start) of the caller among `callers` free soonest, or None."""
        options = [
            (start, n, caller)
            for n, caller in enumerate(callers)
            if (start := self.slot(caller, after=after, seconds=seconds)) is not None
        ]
        if not options:
            return None
        start, _, caller = min(options)
        return caller, start

    def book(self, caller, *, start: datetime, seconds: int) -> None:
        self._take(caller, start, start + _time_taken(seconds))

    def _take(self, caller, start: datetime, end: datetime) -> None:
        self.free[caller.pk] = _without(self.free.get(caller.pk, []), start, end)


Stretches = list[tuple[datetime, datetime]]


def _first_free(free: Stretches, after: datetime, need: timedelta) -> datetime | None:
    """The earliest moment in `free`, not before `after`, with `need` of it left."""
    for start, end in free:
        begin = max(start, after)
        if begin + need <= end:
            return begin
    return None


def _without(free: Stretches, start: datetime, end: datetime) -> Stretches:
    """`free` with the time from `start` to `end` taken."""
    left = []
    for s, e in free:
        left += [(a, b) for a, b in ((s, min(e, start)), (max(s, end), e)) if a < b]
    return left


def _time_taken(seconds: int) -> timedelta:
    """A call, its write-up, and a breather before the next: no one is on the phone
    every minute of a shift."""
    return timedelta(seconds=seconds) + WRAP_UP + BETWEEN_CALLS


def _by_local_day(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    parts = []
    for day, seconds in split_by_local_day(start, end):
        begin = max(start, local_midnight(day))
        parts.append((begin, begin + timedelta(seconds=seconds)))
    return parts


def _call(diary: _Diary, *, item, caller, outcome, seconds, start) -> datetime:
    """Log a call by `caller` at `start`, a free moment of their shift, and book the
    time it takes; the moment it ended."""
    call_record(
        item=item, caller=caller, outcome=outcome, duration_seconds=seconds, now=start
    )
    diary.book(caller, start=start, seconds=seconds)
    return start + timedelta(seconds=seconds)


@dataclass
class _Story:
    """A demo case: what its result says, and how far the caseworkers take it."""

    n: int
    stage: int
    area_code: str
    person: PersonDetails
    specimen: date
    onset: date | None
    complex_setting: str
    recent: datetime  # when it came in, if it is work still waiting


def _intake(story: _Story, arrived: datetime) -> tuple[Case, bool]:
    return case_intake(
        result=TestResult(
            lab_reference=f"DEMO{story.n:06d}",
            person=story.person,
            specimen_date=story.specimen,
            # A day after the specimen, and never after the case came in.
            result_date=min(
                story.specimen + timedelta(days=1), timezone.localdate(arrived)
            ),
            symptom_onset=story.onset,
            complex_setting=story.complex_setting,
        ),
        source=Case.Source.DEMO,
        now=arrived,
    )


@dataclass
class _Plan:
    """Who works a case, when they take it, and the calls they make to it (the
    outcome, the seconds, the start), each in their free time on shift."""

    nurse: object
    given_at: datetime
    calls: list[tuple[Outcome, int, datetime]]


def _plan_a_case(rng, stage: int, staff: _Staff, *, after: datetime) -> _Plan | None:
    """The caseworker, with room under their cap, free soonest on shift for every
    call of a case worked to `stage` (the first not before `after`), and when they
    make them; None when no one has time for all of them."""
    outcomes: list[Outcome] = [Outcome.NO_ANSWER]  # a few rings
    seconds = [rng.randint(15, 50)]
    if stage == 3:  # never reached: the case goes to the local team
        outcomes.append(Outcome.WRONG_NUMBER)
        seconds.append(rng.randint(10, 40))
    elif stage >= 4:
        outcomes.append(Outcome.REACHED)
        seconds.append(rng.randint(3 * 60, 25 * 60))
    options = []
    for k, nurse in enumerate(staff.nurses):
        held = Case.objects.held().filter(assignee=nurse).count()
        if held >= nurse.staff.open_work_cap:
            continue
        starts = staff.diary.fit(nurse, after=after, calls=seconds)
        if starts:
            options.append((starts[0], k, starts))
    if not options:
        return None
    given_at, k, starts = min(options)
    calls = list(zip(outcomes, seconds, starts, strict=True)) if stage >= 2 else []
    return _Plan(staff.nurses[k], given_at, calls)


def _work_a_case(
    rng,
    case: Case,
    stage: int,
    plan: _Plan,
    staff: _Staff,
    local_user,
    postcodes,
    n,
    now,
    room,
):
    """Move a fresh case through its first `stage` steps, as caseworkers would, through
    the same operations (so the same rules: caps, languages, shifts), by the
    caseworker and at the times of its plan."""
    nurse = plan.nurse
    try:
        item_assign(item=case, to=nurse, now=plan.given_at)
    except WorkRefused:
        return  # the caseworker cannot take it: the case waits in the pool
    ended = [
        _call(staff.diary, item=case, caller=nurse, outcome=o, seconds=s, start=t)
        for o, s, t in plan.calls
    ]
    if stage <= 2:
        return
    if stage == 3:  # a wrong number: the case goes to its area's local team
        tried = ended[-1]
        escalation = item_escalate(
            item=case,
            reason=Escalation.Reason.WRONG_NUMBER,
            now=tried + timedelta(minutes=5),
        )
        claimed = max(now - timedelta(hours=3), tried + timedelta(minutes=30))
        if rng.random() < 0.5 and claimed + timedelta(hours=1) <= now:
            escalation_claim(escalation=escalation, by=local_user, now=claimed)
            escalation_close(
                escalation=escalation,
                outcome=Escalation.Outcome.REACHED,
                note="Door-step visit; advised to isolate.",
                by=local_user,
                now=claimed + timedelta(hours=1),
            )
        return
    reached = ended[-1]
    case_assessment_record(
        case=case,
        details=AssessmentDetails(
            symptomatic=case.symptom_onset is not None,
            symptom_onset=case.symptom_onset,
            occupation=rng.choice(
                ["Teacher", "Warehouse operative", "Nurse", "Student", "Retired"]
            ),
            works_in=rng.choice([SettingKind.SCHOOL, SettingKind.WORKPLACE, ""]),
            household_size=rng.randint(1, 5),
        ),
        by=nurse,
        now=reached,
    )
    _name_contacts(rng, case, nurse, staff, postcodes, n, room, reached=reached)
    if rng.random() < 0.5:
        # Shared places, so the local teams' cluster view has something to show.
        name, kind = rng.choice(DEMO_SETTINGS)
        case_visit_add(
            case=case,
            by=nurse,
            details=VisitDetails(
                name=f"{name} ({case.area.name})",
                kind=kind,
                postcode=postcodes[0],
                visited_on=case.specimen_date - timedelta(days=rng.randint(0, 3)),
            ),
        )
    if stage >= 5:
        item_complete(item=case, by=nurse, now=reached + WRAP_UP)


def _name_contacts(rng, case, nurse, staff: _Staff, postcodes, n, room, *, reached):
    """The contacts a reached case names, each called by a handler soon after, or
    left waiting in the pool. No more wait than CONTACTS_WAITING: one no handler
    had time to call is not named when that many wait already, so the contacts
    waiting fit in the room of the handlers on shift now (a new starter's cap is 4),
    and a contact a newcomer adds still reaches a handler at the next run."""
    for k in range(rng.randint(1, 4)):
        language = rng.choice(["", "", "", "", "pl", "ur"])
        details = ContactDetails(
            person=_person(rng, postcodes, 500000 + n * 10 + k, language=language),
            exposure_date=case.specimen_date - timedelta(days=rng.randint(0, 2)),
            exposure=rng.choice(Contact.Exposure.values),
        )
        roll = rng.random()
        waits = roll >= 0.6 and room.waiting < CONTACTS_WAITING  # not called yet
        call = (
            None if waits else _plan_a_contact_call(rng, language, staff, room, reached)
        )
        if call is None and room.waiting >= CONTACTS_WAITING:
            continue  # no handler has time for them, and the pool is full enough
        contact = contact_add(case=case, by=nurse, now=reached, details=details)
        if call is None:
            room.waiting += 1
            continue  # it waits in the pool
        _call_a_contact(contact, roll, call, staff, room)


@dataclass
class _ContactCall:
    """Who calls a contact, when, and how long the call lasts if they are reached
    (True) or not (False)."""

    caller: object
    start: datetime
    seconds: dict[bool, int]


def _plan_a_contact_call(
    rng, language, staff: _Staff, room, after
) -> _ContactCall | None:
    """The call handler free soonest after `after` (one who speaks the contact's
    language if they need an interpreter) and when; None if no one had time."""
    callers = [room.speakers[language]] if language in room.speakers else staff.handlers
    seconds = {True: rng.randint(3 * 60, 12 * 60), False: rng.randint(15, 50)}
    picked = staff.diary.soonest(
        callers, after=after + timedelta(minutes=15), seconds=max(seconds.values())
    )
    if picked is None:
        return None
    caller, start = picked
    return _ContactCall(caller, start, seconds)


def _call_a_contact(contact, roll, call: _ContactCall, staff: _Staff, room) -> None:
    """Give a contact to its planned call handler and call them: reached, unless the
    handler keeps it for another try and still has room to spare for new work."""
    try:
        item_assign(item=contact, to=call.caller, now=call.start)
    except WorkRefused:
        room.waiting += 1
        return  # nobody could take it: it waits in the pool
    reached = roll < 0.45 or room.full(call.caller)
    _call(
        staff.diary,
        item=contact,
        caller=call.caller,
        outcome=Outcome.REACHED if reached else Outcome.NO_ANSWER,
        seconds=call.seconds[reached],
        start=call.start,
    )


@dataclass
class _Staff:
    """Who works the demo's cases and contacts, and when they were free to call."""

    nurses: list
    handlers: list
    diary: _Diary


def _workers(tier: str) -> list:
    """The demo's caseworkers (tier 2) or call handlers (tier 3), supervisors aside,
    in the order of STAFF."""
    usernames = [u[0] for u in STAFF if u[3] == tier and not u[4]]
    users = get_user_model().objects.in_bulk(usernames, field_name="username")
    return [users[u] for u in usernames]


@transaction.atomic
def seed_demo(*, cases: int = 300, seed: int = 2020) -> Summary:
    rng = random.Random(seed)
    today = timezone.localdate()
    now = timezone.now()
    profiles = _staff(today)
    _shifts(profiles, today)
    _scripts()
    postcodes = _postcodes(rng)
    User = get_user_model()
    nurses, handlers = _workers(Tier.CLINICAL), _workers(Tier.CALL_HANDLER)
    staff = _Staff(nurses, handlers, _Diary(nurses + handlers, now=now))
    locals_ = {
        code: User.objects.get(username=u) for u, _, _, code, _ in LOCAL_STAFF if code
    }
    created_count = 0
    stories = []
    room = _Room(
        speakers={
            "pl": User.objects.get(username="handler.ewa"),
            "ur": User.objects.get(username="handler.fay"),
        },
        waiting=Contact.objects.filter(
            case__source=Case.Source.DEMO, status=Status.NEW
        ).count(),
    )
    known = set(
        Case.objects.filter(source=Case.Source.DEMO).values_list(
            "lab_reference", flat=True
        )
    )
    for n in range(1, cases + 1):
        area_code = list(DEMO_AREAS)[n % len(DEMO_AREAS)]
        specimen = today - timedelta(days=rng.randint(1, 3))
        onset = (
            specimen - timedelta(days=rng.randint(0, 3)) if rng.random() < 0.7 else None
        )
        complex_setting = SettingKind.CARE_HOME if n % 50 == 0 else ""
        stage = rng.choice([0, 0, 1, 2, 3, 4, 5, 5, 5])
        story = _Story(
            n=n,
            stage=stage,
            area_code=area_code,
            person=_person(rng, postcodes[area_code], n),
            specimen=specimen,
            onset=onset,
            complex_setting=complex_setting,
            # Work still waiting arrived recently.
            recent=now - timedelta(hours=rng.randint(0, 6)),
        )
        # Drawing the same random numbers either way keeps a rerun deterministic.
        if f"DEMO{n:06d}" in known:
            continue
        if stage and not complex_setting:
            stories.append(story)
            continue
        _, created = _intake(story, story.recent if stage == 0 else now - WORKED_SINCE)
        created_count += created
    # Finished stories first, then those still held: the caps apply at every
    # assignment, and work that ends finished or with the local team frees its slot.
    # A story comes in when its caseworker has time for all of its calls (yesterday,
    # or earlier today); one no one has time for is a case come in recently that
    # waits in the pool, so the sweep does not hand it to a local team at once.
    for story in sorted(stories, key=lambda s: (s.stage not in (3, 5), s.n)):
        plan = _plan_a_case(
            rng, story.stage, staff, after=now - WORKED_SINCE + PICKED_UP_AFTER
        )
        if plan is None:
            _, created = _intake(story, story.recent)
            created_count += created
            continue
        lag = timedelta(minutes=rng.randint(30, 120))
        case, created = _intake(story, max(now - WORKED_SINCE, plan.given_at - lag))
        if not created:
            continue
        created_count += 1
        _work_a_case(
            rng,
            case,
            story.stage,
            plan,
            staff,
            locals_.get(story.area_code, locals_["E08000019"]),
            postcodes[story.area_code],
            story.n,
            now,
            room,
        )
    users = (
        [(u[0], u[1] + " " + u[2]) for u in STAFF]
        + [(u[0], u[1] + " " + u[2]) for u in LOCAL_STAFF]
        + [("admin", "Administrator")]
    )
    clusters_detect(now=now)
    return Summary(users=users, cases_created=created_count)
