"""What a tester of the online route found: a named contact's postcode, a number to
ring for "please phone me", what a link says once its person has moved on or its
answers were sent twice, Welsh as a person's language, and Welsh words."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_client_create
from calls.models import Outcome
from cases.models import Case, SettingKind
from cases.workitem import Status
from contacts.models import Contact
from escalations.models import Escalation
from online.models import OnlineLink
from online.texts import long_date
from pages.online import limits
from people.models import Language, Person
from tests import factories as f
from tests.api.conftest import result_payload
from work.calls import call_record
from work.escalation import item_escalate
from work.online import online_case_invite, online_contact_tell

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

UNUSABLE = (
    "This link does not work. It may have expired, or have been used already. "
    "If you need help, call 119."
)
LEEDS = "E08000035"
SHEFFIELD = "E08000019"


@pytest.fixture(autouse=True)
def _fresh_allowance():
    """Every test starts with its address's whole allowance (counted in Redis)."""
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def url(token: str) -> str:
    return f"/o/{token}/"


def token_in(body: str) -> str:
    return body.split("/o/")[1].split("/")[0]


def words(response) -> str:
    return unescape(response.content.decode())


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


def case_link() -> tuple[Case, OnlineLink, str]:
    case = f.CaseFactory(
        person__first_name="Priya",
        person__last_name="Shah",
        person__phone="+447400111222",
    )
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    return case, link, token_in(link.message.body)


def contact_link(**person) -> tuple[Contact, OnlineLink, str]:
    case = f.CaseFactory(person__phone="+447400111222")
    contact = f.ContactFactory(
        case=case,
        person__first_name="Omar",
        person__last_name="Okafor",
        **{f"person__{k}": v for k, v in {"phone": "+447400222333", **person}.items()},
    )
    link = online_contact_tell(contact=contact, now=timezone.now())
    assert link is not None
    return contact, link, token_in(link.message.body)


def person_row(i: int, first: str, last: str, **fields: str) -> dict[str, str]:
    return {f"contact-{i}-first_name": first, f"contact-{i}-last_name": last} | {
        f"contact-{i}-{name}": value for name, value in fields.items()
    }


# --- 1. a contact who does not live with the case: their postcode --------------------


def test_a_contact_not_living_with_the_case_is_placed_by_the_postcode_given(client):
    """Before, a contact who does not live with the case had no postcode: unreached,
    they went to the fallback team and out of every area's figures."""
    case, _, token = case_link()
    page = words(client.get(url(token)))
    assert "Their postcode, if you know it" in page
    assert 'name="contact-0-postcode"' in page
    assert "Eu cod post, os ydych yn ei wybod" in words(
        client.get(url(token) + "?lang=cy")
    )

    done = client.post(
        url(token),
        {
            **person_row(
                0,
                "Grace",
                "Okafor",
                email="grace@example.org",
                last_near=days_ago(1).isoformat(),
                household="no",
                postcode="ls1 1ur",
            ),
            # Living with the case: the case's home, whatever was typed.
            **person_row(
                1,
                "Omar",
                "Shah",
                phone="07400 123451",
                last_near=days_ago(1).isoformat(),
                household="yes",
                postcode="LS1 1UR",
            ),
        },
    )

    assert done.status_code == 200
    assert "Thank you" in words(done)
    contacts = {
        c.person.first_name: c for c in case.contacts.select_related("person", "area")
    }
    assert contacts["Grace"].person.postcode == "LS1 1UR"
    assert contacts["Grace"].area.code == LEEDS
    assert not contacts["Grace"].area_unknown
    assert contacts["Omar"].person.postcode == case.person.postcode
    assert contacts["Omar"].area.code == SHEFFIELD


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("en", "Enter a full UK postcode, such as SW1A 1AA."),
        ("cy", "Rhowch god post llawn yn y DU, fel SW1A 1AA."),
    ],
)
def test_a_contacts_malformed_postcode_is_refused_in_the_pages_language(
    client, lang, message
):
    case, link, token = case_link()

    page = client.post(
        url(token),
        {
            "lang": lang,
            **person_row(
                0,
                "Grace",
                "Okafor",
                email="grace@example.org",
                last_near=days_ago(1).isoformat(),
                household="no",
                postcode="LS1 ZZZ",
            ),
        },
    )

    assert f'<a href="#id_contact-0-postcode">Person 1: {message}</a>' in words(page)
    assert 'value="LS1 ZZZ"' in words(page)  # the typing stays
    assert not case.contacts.exists()
    link.refresh_from_db()
    assert link.submitted_at is None


# --- 2. "please phone me" with no number on record --------------------------------------


def test_an_email_only_contact_asking_to_be_phoned_is_asked_for_a_number(client):
    """Before, they were told "Someone from NHS Test and Trace will phone you soon"
    with no number to ring."""
    contact, link, token = contact_link(phone="", email="omar@example.org")
    assert "Your phone number" in words(client.get(url(token)))

    without = client.post(url(token), {"will_isolate": "no"})
    welsh = client.post(url(token), {"will_isolate": "no", "lang": "cy"})
    bad = client.post(url(token), {"will_isolate": "no", "phone": "07911 345678"})

    assert without.status_code == 200
    assert (
        '<a href="#id_phone">Enter your phone number, so that we can phone you.</a>'
        in words(without)
    )
    assert "will phone you soon" not in words(without)
    assert "Rhowch eich rhif ffôn, fel y gallwn eich ffonio." in words(welsh)
    # The same check as every phone number (people.phones), said of their own.
    assert "This number is not in use in the UK: check it." in words(bad)
    link.refresh_from_db()
    assert link.submitted_at is None
    contact.refresh_from_db()
    assert contact.next_attempt_at > timezone.now()  # no call made due


def test_a_contact_with_a_phone_on_record_is_not_asked_for_one(client):
    _, _, token = contact_link()
    assert 'name="phone"' not in words(client.get(url(token)))
    done = client.post(url(token), {"will_isolate": "no"})
    assert "will phone you soon" in words(done)


def test_the_number_given_is_recorded_for_the_call(client):
    contact, _, token = contact_link(phone="", email="omar@example.org")

    done = client.post(url(token), {"will_isolate": "no", "phone": "07400 123451"})

    assert "will phone you soon" in words(done)
    person = Person.objects.get(pk=contact.person_id)
    assert str(person.phone) == "+447400123451"
    contact.refresh_from_db()
    assert contact.next_attempt_at <= timezone.now()  # a call due now, on it


def test_cannot_stay_at_home_and_help_asked_for_both_reach_the_local_team(client):
    """Before, asking for help dropped "please phone me": the team read only "help
    with food", and the page promised no call."""
    contact, _, token = contact_link()

    done = client.post(
        url(token),
        {
            "will_isolate": "no",
            "support": ["food"],
            "postcode": "S1 1AA",
            "note": "I care",
        },
    )

    assert "Your local council will phone you about staying at home" in words(done)
    escalation = Escalation.objects.get(contact=contact)
    assert escalation.detail.startswith(
        "Says they cannot stay at home, and asked to be phoned."
    )
    assert "food" in escalation.detail


# --- 3. a link whose person has moved on ------------------------------------------------


@pytest.mark.parametrize(
    ("meanwhile", "lang", "said"),
    [
        ("escalated", "en", "Our local team is in touch with you about this now."),
        ("reached by phone", "en", "A contact tracer is in touch with you"),
        ("escalated", "cy", "Mae ein tîm lleol mewn cysylltiad â chi"),
        ("reached by phone", "cy", "Mae olrheiniwr cysylltiadau mewn cysylltiad"),
    ],
)
def test_a_contact_link_says_there_is_nothing_to_do_once_they_are_helped_otherwise(
    client, call_handler, meanwhile, lang, said
):
    """Before: a 404 saying the link had expired or been used."""
    contact, link, token = contact_link()
    Contact.objects.filter(pk=contact.pk).update(
        status=Status.ASSIGNED, assignee=call_handler
    )
    contact.refresh_from_db()
    if meanwhile == "reached by phone":
        call_record(item=contact, caller=call_handler, outcome=Outcome.REACHED)
    else:
        item_escalate(
            item=contact, reason=Escalation.Reason.WRONG_NUMBER, by=None, now=None
        )

    opened = client.get(url(token) + f"?lang={lang}")
    sent = client.post(
        url(token),
        {"lang": lang, "will_isolate": "no", "support": ["food"], "postcode": "s1 1aa"},
    )

    for page in (opened, sent):
        assert page.status_code == 200
        assert said in words(page)
        assert "expired" not in words(page)
        assert "ddolen" not in words(page)  # nor "Nid yw'r ddolen hon yn gweithio"
    assert (
        "You do not need to do anything here"
        if lang == "en"
        else "Nid oes angen i chi wneud unrhyw beth yma"
    ) in words(opened)
    link.refresh_from_db()
    assert link.submitted_at is None
    assert not contact.escalations.filter(reason=Escalation.Reason.SUPPORT).exists()


def test_a_case_link_says_so_once_the_case_went_to_the_local_team(client):
    case, _, token = case_link()
    item_escalate(item=case, reason=Escalation.Reason.WRONG_NUMBER, by=None, now=None)

    page = client.get(url(token))

    assert page.status_code == 200
    assert "Our local team is in touch with you" in words(page)


def test_an_expired_or_replaced_link_still_says_only_that_it_does_not_work(client):
    contact, link, token = contact_link()
    item_escalate(
        item=contact, reason=Escalation.Reason.WRONG_NUMBER, by=None, now=None
    )
    OnlineLink.objects.filter(pk=link.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )

    page = client.get(url(token))

    assert page.status_code == 404
    assert UNUSABLE in words(page)


def test_a_case_listing_their_household_with_themselves_in_it_is_phoned_not_texted(
    client,
):
    """Priya Shah lists her household and herself in it, on her own phone: before,
    she became a contact of her own case, texted a later date to isolate to; then
    the whole page was refused, and so was a father naming his son of his name on
    the family's mobile (tests/online/test_naming_a_namesake.py). Her row is saved
    as the case page saves it (a new person, listed with her), phoned, not texted."""
    case, link, token = case_link()
    row = {
        "last_near": days_ago(1).isoformat(),
        "household": "yes",
    }

    answered = client.post(
        url(token),
        person_row(0, "Omar", "Shah", phone="07400 123451", **row)
        | person_row(1, "priya", "SHAH", phone="07400 111222", **row),
    )

    assert "Thank you" in words(answered)
    herself = case.contacts.get(person__first_name="priya")
    assert herself.person_id != case.person_id
    assert not OnlineLink.objects.filter(contact=herself).exists()
    assert OnlineLink.objects.filter(contact__person__first_name="Omar").exists()
    link.refresh_from_db()
    assert link.submitted_at is not None


# --- 4. Send pressed twice --------------------------------------------------------------


def test_a_case_sending_twice_is_told_their_answers_are_saved(client):
    """Before: the second sending answered "This link does not work... used already",
    the page the person saw last."""
    case, _, token = case_link()
    answer = person_row(
        0,
        "Grace",
        "Okafor",
        email="grace@example.org",
        last_near=days_ago(1).isoformat(),
        household="no",
    )
    first = client.post(url(token), answer)
    second = client.post(url(token), answer)
    welsh = client.post(url(token), {**answer, "lang": "cy"})

    assert first.status_code == 200
    assert second.status_code == 200
    assert "We already have your answers" in words(second)
    assert "You do not need to send them again." in words(second)
    assert "expired" not in words(second)
    assert "Mae eich atebion gennym yn barod" in words(welsh)
    assert case.contacts.count() == 1


def test_two_sendings_at_once_the_later_is_told_the_answer_is_saved(
    client, monkeypatch
):
    """The second sending found the link before the first saved: the service
    refuses it (LinkUnusable), and the page says the answer is in."""
    contact, link, token = contact_link()
    found_before = OnlineLink.objects.select_related(
        "person", "case", "contact", "person__language"
    ).get(pk=link.pk)
    assert client.post(url(token), {"will_isolate": "yes"}).status_code == 200

    monkeypatch.setattr(
        "pages.online.views.online_link_find", lambda token: found_before
    )
    later = client.post(url(token), {"will_isolate": "yes"})

    assert later.status_code == 200
    assert "We already have your answers" in words(later)
    assert (
        f"Remember: stay at home until the end of {long_date(contact.isolation_ends_on)}"
        in words(later)
    )


# --- 5. Welsh as a person's language ----------------------------------------------------


def test_a_result_for_a_welsh_speaker_is_taken(db):
    """Before: 400 "No language has the code 'cy'"."""
    _, token = api_client_create(
        name="Lab", scopes=list(Scope.values), rate_limit_per_minute=1000
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    payload = result_payload("LAB-CY")
    payload["person"]["language"] = "cy"

    response = api.post("/api/v1/test-results/", payload, format="json")

    assert response.status_code == 201, response.json()
    case = Case.objects.select_related("person__language").get(lab_reference="LAB-CY")
    assert case.person.language.code == "cy"
    assert Language.objects.get(code="cy").name == "Welsh"


def test_people_a_case_names_on_the_welsh_page_are_told_in_welsh(client):
    """Before, a case answering in Welsh named people who were texted in English."""
    case, _, token = case_link()

    client.post(
        url(token) + "?lang=cy",
        person_row(
            0,
            "Gwen",
            "Jones",
            phone="07400 123452",
            last_near=days_ago(1).isoformat(),
            household="yes",
        ),
    )

    contact = case.contacts.get()
    link = OnlineLink.objects.get(contact=contact)
    assert link.language == "cy"
    assert link.message.language == "cy"


# --- 6. Welsh words ---------------------------------------------------------------------


def test_a_welsh_date_after_o_is_softened(client):
    """Before: "o Dydd Mawrth 1 Rhagfyr"; now "o ddydd Mawrth 1 Rhagfyr"."""
    case, _, token = case_link()
    start = case.specimen_date - dt.timedelta(days=2)  # no symptoms
    visits_start = case.specimen_date - dt.timedelta(days=14)
    weekday = long_date(start, "cy").split(" ")[1]  # "Dydd Sul" -> "Sul"

    page = words(client.get(url(token) + "?lang=cy"))
    errors = words(
        client.post(
            url(token),
            {
                "lang": "cy",
                **person_row(
                    0,
                    "Grace",
                    "Okafor",
                    email="grace@example.org",
                    last_near=(start - dt.timedelta(days=1)).isoformat(),
                    household="no",
                ),
                "place-0-kind": SettingKind.WORKPLACE,
                "place-0-name": "Steel Works",
                "place-0-visited_on": (visits_start - dt.timedelta(days=1)).isoformat(),
            },
        )
    )

    assert f"O ddydd {weekday} {start.day} " in page
    assert f"(o ddydd {weekday} {start.day} " in errors
    assert f"o {long_date(visits_start, 'cy', after_o=True)} ymlaen" in errors
    assert long_date(visits_start, "cy", after_o=True).startswith("ddydd ")
    assert "o Dydd" not in page + errors
    assert "O Dydd" not in page + errors
    # The tester's own: Tuesday 1 December 2020.
    assert long_date(dt.date(2020, 12, 1), "cy", after_o=True) == (
        "ddydd Mawrth 1 Rhagfyr 2020"
    )
    assert long_date(dt.date(2020, 12, 1), "en", after_o=True) == (
        "Tuesday 1 December 2020"
    )


def test_a_null_character_is_refused_in_welsh_on_a_welsh_page(client):
    _, _, token = case_link()

    page = words(
        client.post(
            url(token),
            {
                "lang": "cy",
                **person_row(
                    0,
                    "Gr\x00ace",
                    "Okafor",
                    email="grace@example.org",
                    last_near=days_ago(1).isoformat(),
                    household="no",
                ),
            },
        )
    )

    assert "Null characters are not allowed." not in page
    assert "Mae nod ynddo na allwn ei dderbyn: teipiwch ef eto." in page
