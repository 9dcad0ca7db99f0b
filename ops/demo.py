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
from calls.models import KnowledgeArticle, Outcome, Script, ScriptStep
from cases.models import Case, SettingKind
from cases.workitem import Status
from contacts.models import Contact
from escalations.clusters import clusters_detect
from escalations.models import Escalation
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


def _work_a_case(
    rng, case: Case, stage: int, nurse, handler, local_user, postcodes, n, now, room
):
    """Move a fresh case through its first `stage` steps, as caseworkers would, through
    the same operations (so the same rules: caps, languages, shifts)."""
    if stage == 0:
        return
    try:
        item_assign(item=case, to=nurse, now=now - timedelta(hours=20))
    except WorkRefused:
        return  # the caseworker is full: the case waits in the pool
    if stage == 1:
        return
    call_record(
        item=case,
        caller=nurse,
        outcome=Outcome.NO_ANSWER,
        now=now - timedelta(hours=19),
    )
    if stage == 2:
        return
    if stage == 3:  # never reached: the escalation sweep hands it to the local team
        call_record(
            item=case,
            caller=nurse,
            outcome=Outcome.WRONG_NUMBER,
            now=now - timedelta(hours=16),
        )
        escalation = item_escalate(
            item=case,
            reason=Escalation.Reason.WRONG_NUMBER,
            now=now - timedelta(hours=15),
        )
        if rng.random() < 0.5:
            escalation_claim(
                escalation=escalation, by=local_user, now=now - timedelta(hours=3)
            )
            escalation_close(
                escalation=escalation,
                outcome=Escalation.Outcome.REACHED,
                note="Door-step visit; advised to isolate.",
                by=local_user,
                now=now - timedelta(hours=2),
            )
        return
    call_record(
        item=case,
        caller=nurse,
        outcome=Outcome.REACHED,
        duration_seconds=1500,
        now=now - timedelta(hours=17),
    )
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
        now=now - timedelta(hours=17),
    )
    for k in range(rng.randint(1, 4)):
        language = rng.choice(["", "", "", "", "pl", "ur"])
        contact = contact_add(
            case=case,
            by=nurse,
            now=now - timedelta(hours=16),
            details=ContactDetails(
                person=_person(rng, postcodes, 500000 + n * 10 + k, language=language),
                exposure_date=case.specimen_date - timedelta(days=rng.randint(0, 2)),
                exposure=rng.choice(Contact.Exposure.values),
            ),
        )
        roll = rng.random()
        if roll >= 0.6 and room.waiting < CONTACTS_WAITING:
            room.waiting += 1
            continue  # not called yet: it waits in the pool
        # Someone who needs an interpreter is called by a handler who speaks it.
        caller = room.speakers.get(language, handler)
        try:
            item_assign(item=contact, to=caller, now=now - timedelta(hours=15))
        except WorkRefused:
            room.waiting += 1
            continue  # nobody could take it: it waits in the pool
        # Called and reached, unless the handler keeps it for another try and still
        # has room to spare for new work.
        reached = roll < 0.45 or room.full(caller)
        call_record(
            item=contact,
            caller=caller,
            outcome=Outcome.REACHED if reached else Outcome.NO_ANSWER,
            duration_seconds=420 if reached else 0,
            now=now - timedelta(hours=14),
        )
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
        item_complete(item=case, by=nurse, now=now - timedelta(hours=15))


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
    nurses = list(User.objects.filter(username__in=["nurse.ada", "nurse.bilal"]))
    handlers = list(User.objects.filter(username__in=["handler.dan", "handler.gus"]))
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
    for n in range(1, cases + 1):
        area_code = list(DEMO_AREAS)[n % len(DEMO_AREAS)]
        specimen = today - timedelta(days=rng.randint(1, 3))
        onset = (
            specimen - timedelta(days=rng.randint(0, 3)) if rng.random() < 0.7 else None
        )
        complex_setting = SettingKind.CARE_HOME if n % 50 == 0 else ""
        stage = rng.choice([0, 0, 1, 2, 3, 4, 5, 5, 5])
        # Work still waiting arrived recently; worked cases came in yesterday.
        arrived = now - timedelta(hours=rng.randint(0, 6) if stage == 0 else 22)
        case, created = case_intake(
            result=TestResult(
                lab_reference=f"DEMO{n:06d}",
                person=_person(rng, postcodes[area_code], n),
                specimen_date=specimen,
                # A day after the specimen, and never after the case came in.
                result_date=min(
                    specimen + timedelta(days=1), timezone.localdate(arrived)
                ),
                symptom_onset=onset,
                complex_setting=complex_setting,
            ),
            source=Case.Source.DEMO,
            now=arrived,
        )
        if not created or complex_setting:
            # Consume the same random numbers either way, so a rerun stays deterministic.
            continue
        created_count += 1
        stories.append((stage, n, case, area_code))
    # Finished stories first, then those still held: the caps apply at every
    # assignment, and work that ends finished or with the local team frees its slot.
    for stage, n, case, area_code in sorted(
        stories, key=lambda s: (s[0] not in (3, 5), s[1])
    ):
        _work_a_case(
            rng,
            case,
            stage,
            rng.choice(nurses),
            rng.choice(handlers),
            locals_.get(area_code, locals_["E08000019"]),
            postcodes[area_code],
            n,
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
