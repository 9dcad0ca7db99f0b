"""The pages a link opens (pages/online), through the Django test client: one answer
for every link that does not work, a case's contacts and places, a contact's answer,
Welsh, the headers and the rate limit."""

from __future__ import annotations

import datetime as dt
import re
import secrets
from html import unescape

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from calls.models import Outcome
from cases.models import Case, SettingKind, SettingVisit
from cases.workitem import Route, Status
from contacts.models import Contact
from escalations.models import Escalation
from notify.backends import read_sent
from online.models import OnlineLink
from online.texts import long_date
from pages.online import limits
from tests import factories as f
from work.assignment import assign_work
from work.calls import call_record
from work.escalation import item_escalate
from work.online import online_case_invite, online_contact_tell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

UNUSABLE = (
    "This link does not work. It may have expired, or have been used already. "
    "If you need help, call 119."
)
NOT_IN_USE = "This number is not in use in the UK: check it with them."


@pytest.fixture(autouse=True)
def _fresh_allowance():
    """Every test starts with its address's whole allowance (the count is in Redis,
    which outlives a test)."""
    for address in ("127.0.0.1", "10.0.0.2"):
        limits.forget(address)
    limits.outage.reset()
    yield
    for address in ("127.0.0.1", "10.0.0.2"):
        limits.forget(address)


@pytest.fixture
def sent(settings, tmp_path):
    """What the file backend sent, read back from this test's own folder."""
    settings.NOTIFY_SMS_BACKEND = "notify.backends.FileBackend"
    settings.NOTIFY_EMAIL_BACKEND = "notify.backends.FileBackend"
    settings.NOTIFY_FILE_DIR = str(tmp_path)
    return lambda: read_sent(tmp_path)


def token_in(body: str) -> str:
    """The token of the link in a message (the only place it is kept)."""
    return body.split("/o/")[1].split("/")[0]


def url(token: str) -> str:
    return f"/o/{token}/"


def new_case(**person) -> Case:
    return f.CaseFactory(
        person__first_name=person.pop("first_name", "Priya"),
        person__last_name=person.pop("last_name", "Shah"),
        person__phone=person.pop("phone", "+447400111222"),
        **{f"person__{k}": v for k, v in person.items()},
    )


def case_link(case: Case | None = None) -> tuple[Case, OnlineLink, str]:
    case = case or new_case()
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    return case, link, token_in(link.message.body)


def contact_link(**kwargs) -> tuple[Contact, OnlineLink, str]:
    case = new_case()
    contact = f.ContactFactory(
        case=case,
        person__first_name="Omar",
        person__last_name="Okafor",
        person__phone="+447400222333",
        **kwargs,
    )
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None
    return contact, link, token_in(link.message.body)


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def person_row(
    i: int,
    first: str = "",
    last: str = "",
    *,
    phone: str = "",
    email: str = "",
    day: dt.date | None = None,
    household: str = "",
) -> dict[str, str]:
    data = {
        f"contact-{i}-first_name": first,
        f"contact-{i}-last_name": last,
        f"contact-{i}-phone": phone,
        f"contact-{i}-email": email,
        f"contact-{i}-last_near": day.isoformat() if day else "",
    }
    if household:
        data[f"contact-{i}-household"] = household
    return data


def place_row(
    i: int, kind: str, name: str, day: dt.date, postcode: str = ""
) -> dict[str, str]:
    return {
        f"place-{i}-kind": kind,
        f"place-{i}-name": name,
        f"place-{i}-visited_on": day.isoformat(),
        f"place-{i}-postcode": postcode,
    }


def good_answer() -> dict[str, str]:
    return {
        **person_row(
            0, "Omar", "Ali", phone="07400 123451", day=days_ago(1), household="yes"
        ),
        **person_row(
            1,
            "Grace",
            "Okafor",
            email="grace@example.org",
            day=days_ago(0),
            household="no",
        ),
        **person_row(
            2, "Tom", "Baker", phone="0114 496 0123", day=days_ago(1), household="no"
        ),
        **place_row(0, SettingKind.WORKPLACE, "Steel Works", days_ago(2), "s1 2hh"),
    }


def words(response) -> str:
    """The page's HTML with its entities read (an apostrophe is &#x27;)."""
    return unescape(response.content.decode())


def without_nonce(html: bytes) -> bytes:
    return re.sub(rb'nonce="[^"]*"', b'nonce=""', html)


# --- links that do not work ----------------------------------------------------------


def test_every_link_that_does_not_work_gives_the_same_page(client, settings):
    # (A used link says the answers are in: test_online_fixes.)
    _, _, good = case_link()
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")

    _expired_case, expired_link, expired = case_link()
    OnlineLink.objects.filter(pk=expired_link.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    replaced_case, _, replaced = case_link()
    case_link(replaced_case)  # a newer link: the first no longer works

    answers = {
        "wrong": client.get(url(secrets.token_urlsafe(32))),
        "tampered": client.get(url(tampered)),
        "expired": client.get(url(expired)),
        "replaced": client.get(url(replaced)),
    }

    first = answers["wrong"]
    assert first.status_code == 404
    assert UNUSABLE in first.content.decode()
    for kind, answer in answers.items():
        assert answer.status_code == 404, kind
        assert without_nonce(answer.content) == without_nonce(first.content), kind
        assert answer["Cache-Control"] == "no-store"
        assert answer["Referrer-Policy"] == "no-referrer"
        assert answer["X-Robots-Tag"] == "noindex"
    # Nor is anything audited or opened for them.
    assert not OnlineLink.objects.filter(opened_at__isnull=False).exists()


def test_a_case_link_once_used_cannot_be_used_again(client):
    case, link, token = case_link()
    assert client.post(url(token), good_answer()).status_code == 200
    added = Contact.objects.filter(case=case).count()

    assert "We already have your answers" in words(client.get(url(token)))
    again = client.post(url(token), good_answer())
    assert again.status_code == 200
    assert "We already have your answers" in words(again)
    assert Contact.objects.filter(case=case).count() == added
    link.refresh_from_db()
    assert link.submitted_at is not None


# --- opening a link --------------------------------------------------------------------


def test_opening_a_link_is_audited_and_marks_it_opened_once(client, clock):
    case, link, token = case_link()
    first = timezone.now()

    page = client.get(url(token))
    clock.shift(dt.timedelta(minutes=5))
    client.get(url(token))

    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert page["Referrer-Policy"] == "no-referrer"
    assert page["X-Robots-Tag"] == "noindex"
    link.refresh_from_db()
    assert link.opened_at == first
    views = AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW,
        object_type="cases.case",
        object_id=str(case.pk),
        detail__via="online",
    )
    assert views.count() == 2
    assert all(v.user_id is None and v.person_id == case.person_id for v in views)


def test_the_case_page_gives_their_isolation_date_and_advice(client):
    case, _, token = case_link()
    html = client.get(url(token)).content.decode()

    assert '<html lang="en-GB"' in html
    assert (
        f"Stay at home and self-isolate until the end of "
        f"{long_date(case.isolation_ends_on)}." in html
    )
    assert "Do not go to work, school or any public place." in html
    assert "call 119" in html
    assert 'name="contact-5-first_name"' in html  # six people
    assert 'name="place-2-name"' in html  # three places
    assert 'name="contact-6-first_name"' not in html
    assert "<script>" not in html
    assert "style=" not in html


# --- a case's answer -------------------------------------------------------------------


def test_a_bad_row_shows_its_error_and_nothing_is_saved(client):
    case, link, token = case_link()
    data = {
        **person_row(
            0, "Omar", "Ali", phone="07400 123451", day=days_ago(1), household="yes"
        ),
        # Well formed, but a number no operator has been given.
        **person_row(
            1, "Grace", "Okafor", phone="07911 345678", day=days_ago(1), household="no"
        ),
        # Half filled.
        **person_row(2, "Tom"),
        # Before they could have passed it on.
        **person_row(
            3, "Ann", "Lee", email="ann@example.org", day=days_ago(5), household="no"
        ),
        **place_row(0, SettingKind.WORKPLACE, "Steel Works", days_ago(2)),
    }

    page = client.post(url(token), data)

    html = page.content.decode()
    assert page.status_code == 200
    assert 'class="nhsuk-error-summary"' in html
    assert f'<a href="#id_contact-1-phone">Person 2: {NOT_IN_USE}</a>' in html
    assert (
        '<a href="#id_contact-2-last_name">Person 3: Enter their last name.</a>' in html
    )
    assert "Enter their phone number or email address." in html
    assert "Enter the date you were last near them." in html
    assert '<a href="#id_contact-2-household_0">' in html
    start = long_date(case.specimen_date - dt.timedelta(days=2))  # no symptoms
    assert (
        f"That is before you could have passed it on (from {start}): check the date."
        in html
    )
    assert 'value="07911 345678"' in html  # the typing stays
    assert 'value="Steel Works"' in html
    assert "<title>Error: " in html
    assert not Contact.objects.filter(case=case).exists()
    assert not SettingVisit.objects.filter(case=case).exists()
    link.refresh_from_db()
    assert link.submitted_at is None
    assert Case.objects.get(pk=case.pk).status == Status.NEW


def test_a_bad_place_shows_its_error(client):
    _, _, token = case_link()
    data = {
        **place_row(0, "", "Steel Works", days_ago(2), "S1 ZZZ"),
        **place_row(1, SettingKind.SCHOOL, "Park School", days_ago(-1)),
    }
    data["place-1-visited_on"] = (
        timezone.localdate() + dt.timedelta(days=1)
    ).isoformat()

    html = client.post(url(token), data).content.decode()

    assert '<a href="#id_place-0-kind">Place 1: Choose the kind of place.</a>' in html
    assert "Enter a full UK postcode, such as SW1A 1AA." in html
    assert "The date of the visit cannot be in the future." in html
    # The spare places are opened, so the error is not hidden.
    assert re.search(r'<details class="nhsuk-details" id="more-places" open>', html)


def test_a_place_before_the_days_that_matter_is_refused_in_the_pages_language(client):
    """The staff form's rule (work.rules.visit_date_problem): places count from 14
    days before the symptoms or the test. Before, any date back to year 1 was saved."""
    case, link, token = case_link(new_case())
    start = case.specimen_date - dt.timedelta(days=14)
    page = unescape(client.get(url(token)).content.decode())
    assert f'min="{start.isoformat()}"' in page
    # The hint asks for the same days the date is checked against.
    assert f"spent time since {long_date(start)}" in page

    for lang, words_said in (
        ("en", f"Tell us about places from {long_date(start)} onwards"),
        (
            "cy",
            "Dywedwch wrthym am leoedd o "
            f"{long_date(start, 'cy', after_o=True)} ymlaen",
        ),
    ):
        html = unescape(
            client.post(
                url(token),
                {
                    "lang": lang,
                    **place_row(
                        0,
                        SettingKind.WORKPLACE,
                        "Steel Works",
                        start - dt.timedelta(days=1),
                    ),
                },
            ).content.decode()
        )
        assert words_said in html
        assert not SettingVisit.objects.filter(case=case).exists()

    # The first day that matters is taken.
    client.post(
        url(token),
        place_row(0, SettingKind.WORKPLACE, "Steel Works", start),
    )
    assert SettingVisit.objects.get(case=case).visited_on == start
    link.refresh_from_db()
    assert link.submitted_at is not None


def test_nothing_entered_asks_for_someone_or_the_box(client):
    case, _, token = case_link()

    html = client.post(url(token), {}).content.decode()
    assert "Enter a person you were near or a place you have been" in html
    assert '<a href="#id_no_one">' in html

    done = client.post(url(token), {"no_one": "on"})
    assert done.status_code == 200
    case.refresh_from_db()
    assert case.reached_route == Route.ONLINE
    assert not case.contacts.exists()


def test_a_person_already_named_is_refused_on_their_row(client):
    case, _, token = case_link()
    data = {
        **person_row(
            0, "Omar", "Ali", phone="07400 123451", day=days_ago(1), household="no"
        ),
        **person_row(
            1, "Omar", "Ali", phone="07400 123451", day=days_ago(0), household="no"
        ),
    }

    html = client.post(url(token), data).content.decode()

    assert "You have already told us about this person: enter each person once." in html
    assert 'id="contact-1-error"' in html
    assert not Contact.objects.filter(case=case).exists()


def test_a_valid_answer_adds_the_contacts_and_the_place_and_tells_each_contact(
    client, run_tasks_here, sent
):
    case, link, token = case_link()

    with run_tasks_here():
        page = client.post(url(token), good_answer())

    assert page.status_code == 200
    html = page.content.decode()
    assert "Thank you" in html
    assert "Omar" not in html  # a plain thank-you
    assert "?lang=" not in html  # the link is used: no switch to a page saying so

    case.refresh_from_db()
    assert case.status == Status.COMPLETED
    assert case.reached_route == Route.ONLINE
    link.refresh_from_db()
    assert link.submitted_at is not None

    contacts = {c.person.first_name: c for c in case.contacts.select_related("person")}
    assert set(contacts) == {"Omar", "Grace", "Tom"}
    assert contacts["Omar"].exposure == Contact.Exposure.HOUSEHOLD
    assert contacts["Omar"].exposure_date == days_ago(1)
    # Living with the case, they live at the case's address: the case's area.
    assert contacts["Omar"].person.area_id == case.person.area_id
    assert contacts["Grace"].exposure == Contact.Exposure.FACE_TO_FACE
    assert contacts["Grace"].person.email == "grace@example.org"

    visit = SettingVisit.objects.select_related("setting").get(case=case)
    assert visit.setting.name == "Steel Works"
    assert visit.setting.kind == SettingKind.WORKPLACE
    assert visit.setting.postcode == "S1 2HH"
    assert visit.visited_on == days_ago(2)

    # Each contact with a mobile or an email has their own message and link; the
    # landline is phoned.
    told = [m for m in sent() if m["kind"] == "contact_link"]
    assert sorted(m["to"] for m in told) == ["+447400123451", "grace@example.org"]
    for message in told:
        contact = contacts["Omar" if message["to"].startswith("+") else "Grace"]
        assert long_date(contact.isolation_ends_on) in message["body"]
        assert "Priya" not in message["body"]
        assert "Shah" not in message["body"]
        their_link = OnlineLink.objects.get(contact=contact)
        assert client.get(url(token_in(message["body"]))).status_code == 200
        assert their_link.purpose == OnlineLink.Purpose.CONTACT
    assert len({token_in(m["body"]) for m in told}) == 2
    assert not OnlineLink.objects.filter(contact=contacts["Tom"]).exists()
    tom = contacts["Tom"]
    assert tom.status == Status.NEW
    assert tom.next_attempt_at <= timezone.now()


# --- a contact's answer ----------------------------------------------------------------


def test_the_contact_page_shows_nothing_of_the_case(client):
    contact, _, token = contact_link()
    case = contact.case

    page = client.get(url(token))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Omar, you need to self-isolate" in html
    assert (
        f"Stay at home and self-isolate until the end of "
        f"{long_date(contact.isolation_ends_on)}." in html
    )
    secrets_of_the_case = [
        case.person.first_name,
        case.person.last_name,
        case.lab_reference,
        long_date(case.specimen_date),
        case.specimen_date.isoformat(),
        case.specimen_date.strftime("%d/%m/%Y"),
    ]
    if case.isolation_ends_on != contact.isolation_ends_on:
        secrets_of_the_case.append(long_date(case.isolation_ends_on))
    for secret in secrets_of_the_case:
        assert secret not in html, secret
    assert "Okafor" not in html  # not even their own last name is needed


def test_the_contacts_own_postcode_may_be_filled_in_by_their_phone(client):
    """Their own postcode, as their phone number: autocomplete names what it is
    (WCAG 1.3.5). Before, the postcode had none."""
    _, _, token = contact_link()

    html = client.get(url(token)).content.decode()

    postcode = html.split('name="postcode"')[1].split(">")[0]
    assert 'autocomplete="postal-code"' in postcode


def test_confirming_reaches_the_contact_online(client):
    contact, link, token = contact_link()

    page = client.post(url(token), {"will_isolate": "yes"})

    assert page.status_code == 200
    assert "Thank you" in page.content.decode()
    contact.refresh_from_db()
    assert contact.status == Status.REACHED
    assert contact.reached_route == Route.ONLINE
    link.refresh_from_db()
    assert link.confirmed_at is not None
    assert "We already have your answers" in words(client.get(url(token)))


def test_asking_for_food_escalates_to_the_local_team_of_their_area(client):
    contact, link, token = contact_link()

    # Help needs the postcode where they are staying: asked for, then given.
    without = client.post(
        url(token),
        {"will_isolate": "yes", "support": ["food"], "note": "I live alone."},
    )
    assert "Enter the postcode where you are staying" in without.content.decode()
    assert not Escalation.objects.filter(contact=contact).exists()

    page = client.post(
        url(token),
        {
            "will_isolate": "yes",
            "support": ["food"],
            "note": "I live alone.",
            "postcode": "s1 1aa",
        },
    )

    assert "Your local council will contact you" in page.content.decode()
    contact.refresh_from_db()
    assert contact.person.postcode == "S1 1AA"
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.reason == Escalation.Reason.SUPPORT
    assert escalation.local_team == contact.area.local_team
    assert "food" in escalation.detail
    assert "I live alone." in escalation.detail
    link.refresh_from_db()
    assert link.support == ["food"]


def test_please_phone_me_makes_a_call_due_now(client, call_handler):
    contact, _, token = contact_link()
    contact.refresh_from_db()
    assert contact.next_attempt_at > timezone.now()  # waiting for their answer

    page = client.post(url(token), {"will_isolate": "no"})

    assert "will phone you soon" in page.content.decode()
    contact.refresh_from_db()
    assert contact.status == Status.NEW
    assert contact.next_attempt_at == timezone.now()
    assert assign_work().assigned["contact"] == 1
    contact.refresh_from_db()
    assert contact.assignee == call_handler


@pytest.mark.parametrize(
    "meanwhile", ["reached by phone", "escalated", "escalated while open"]
)
def test_a_contact_link_stops_working_once_the_contact_is_no_longer_waiting(
    client, call_handler, meanwhile
):
    # Whatever the link said would happen (a call, help from the council) would not:
    # the contact was reached by phone, or handed to their local team, meanwhile.
    contact, link, token = contact_link()
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=call_handler
    )
    contact.refresh_from_db()
    opened = client.get(url(token))  # the page, opened before
    assert opened.status_code == 200
    if meanwhile == "reached by phone":
        call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)
    else:
        item_escalate(
            item=contact, reason=Escalation.Reason.WRONG_NUMBER, by=None, now=None
        )
    if meanwhile != "escalated while open":
        # Nothing to do there: said plainly (test_online_fixes), not "expired".
        assert "You do not need to do anything here" in words(client.get(url(token)))

    answer = client.post(
        url(token),
        {"will_isolate": "no", "support": ["food"], "postcode": "s1 1aa"},
    )

    assert answer.status_code == 200
    assert "You do not need to do anything here" in words(answer)
    link.refresh_from_db()
    assert link.submitted_at is None
    contact.refresh_from_db()
    assert contact.escalations.filter(reason=Escalation.Reason.SUPPORT).count() == 0


def test_the_contact_must_choose_and_keep_the_note_short(client):
    _contact, link, token = contact_link()

    html = client.post(url(token), {"note": "x" * 501}).content.decode()

    assert (
        '<a href="#id_will_isolate_0">Select whether you will stay at home until '
        "then.</a>" in html
    )
    assert "Your note must be 500 characters or fewer." in html
    link.refresh_from_db()
    assert link.submitted_at is None


# --- Welsh ------------------------------------------------------------------------------


def test_the_pages_are_in_welsh_when_asked(client):
    case, _, token = case_link()

    html = client.get(url(token) + "?lang=cy").content.decode()

    assert '<html lang="cy"' in html
    assert (
        f"Arhoswch gartref a hunanynysu tan ddiwedd "
        f"{long_date(case.isolation_ends_on, 'cy')}." in html
    )
    assert "Enw cyntaf" in html
    assert "Math o le" in html
    assert "Addoldy" in html
    assert 'name="switch_lang" value="en"' in html
    assert ">English</button>" in html
    assert 'name="lang" value="cy"' in html
    assert "First name" not in html

    # The hidden field keeps Welsh through the POST, errors and all.
    answer = words(
        client.post(
            url(token),
            {
                "lang": "cy",
                **person_row(
                    0,
                    "Omar",
                    "Ali",
                    phone="07911 345678",
                    day=days_ago(1),
                    household="no",
                ),
            },
        )
    )
    assert "Mae problem" in answer
    assert "Nid yw'r rhif hwn yn cael ei ddefnyddio yn y DU" in answer
    assert "Gwall:" in answer


def test_switching_language_while_typing_keeps_the_typing_and_sends_nothing(client):
    """The switch was a link: the page in the other language came back empty."""
    case, link, token = case_link()
    typed = {
        "lang": "en",
        **person_row(0, "Omar", "Ali", phone="07400 123451", day=days_ago(1)),
        **place_row(0, SettingKind.WORKPLACE, "Steel Works", days_ago(2)),
    }

    html = client.post(url(token), {**typed, "switch_lang": "cy"}).content.decode()

    assert '<html lang="cy"' in html
    assert 'name="lang" value="cy"' in html
    assert 'value="Omar"' in html
    assert 'value="07400 123451"' in html
    assert 'value="Steel Works"' in html
    assert "Mae problem" not in html  # not checked: nothing was sent
    assert 'form="online-answer" name="switch_lang" value="en"' in html
    assert not Contact.objects.filter(case=case).exists()
    link.refresh_from_db()
    assert link.submitted_at is None


def test_a_contact_switching_language_keeps_their_answer(client):
    _contact, link, token = contact_link()

    html = client.post(
        url(token),
        {
            "lang": "en",
            "will_isolate": "no",
            "note": "Ffoniwch fi",
            "switch_lang": "cy",
        },
    ).content.decode()

    assert '<html lang="cy"' in html
    assert re.search(r'value="no"[^>]*checked', html)
    assert "Ffoniwch fi</textarea>" in html
    link.refresh_from_db()
    assert link.submitted_at is None


def test_a_welsh_link_opens_in_welsh_and_switches_to_english(client):
    _contact, link, token = contact_link()
    OnlineLink.objects.filter(pk=link.pk).update(language="cy")

    welsh = client.get(url(token)).content.decode()
    assert '<html lang="cy"' in welsh
    assert "Omar, mae angen i chi hunanynysu" in welsh
    assert "Byddaf yn aros gartref tan hynny" in welsh

    english = client.get(url(token) + "?lang=en").content.decode()
    assert '<html lang="en-GB"' in english
    assert "I will stay at home until then" in english
    assert ">Cymraeg</button>" in english


def test_the_page_of_a_link_that_does_not_work_speaks_welsh_when_asked(client):
    answer = client.get(url("nothing-here") + "?lang=cy")
    assert answer.status_code == 404
    assert "Nid yw'r ddolen hon yn gweithio" in words(answer)


# --- the rate limit -------------------------------------------------------------------------


def test_past_the_allowance_an_address_is_asked_to_wait(client, settings):
    settings.TRACING_ONLINE_RATE = 3
    _, _, token = case_link()

    answers = [client.get(url(secrets.token_urlsafe(32))) for _ in range(2)]
    answers.append(client.get(url(token)))
    assert [a.status_code for a in answers] == [404, 404, 200]

    refused = client.get(url(token))
    assert refused.status_code == 429
    assert refused["Retry-After"] == "600"
    assert refused["Cache-Control"] == "no-store"
    assert "Wait 10 minutes, then try again." in refused.content.decode()
    assert client.post(url(token), good_answer()).status_code == 429

    # Another address has its own allowance.
    assert client.get(url(token), REMOTE_ADDR="10.0.0.2").status_code == 200


def test_the_rate_limit_fails_open_when_the_cache_is_down(
    client, settings, monkeypatch
):
    settings.TRACING_ONLINE_RATE = 1
    _, _, token = case_link()

    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(limits.cache, "add", down)
    assert [client.get(url(token)).status_code for _ in range(3)] == [200, 200, 200]
