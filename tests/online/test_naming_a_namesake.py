"""John Carter senior, a case, lists his household on his link: his son John (the
same name, on the father's mobile, which the family shares) and his daughter Emily.
Before, the page refused the lot: "You cannot name yourself" on John's row, and
nothing was saved, Emily lost too; the case page takes the same row as a new person
(a son of his father's name on the home phone), listed as a possible duplicate of
the case. Now the link does as the case page does. John is phoned, not texted: a
text to the father's own mobile, in the father's own name, cannot tell him from his
son (nor from the father listing himself), and a call handler can ask."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.db.models import Q
from django.utils import timezone

from cases.models import Case
from contacts.models import Contact
from online.models import OnlineLink
from pages.online import limits
from people.models import Message, PossibleDuplicate
from tests import factories as f
from work.online import online_case_invite, online_link_withheld

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

SHARED = "+447400111333"


@pytest.fixture(autouse=True)
def _fresh_allowance():
    limits.forget("127.0.0.1")
    limits.outage.reset()
    yield
    limits.forget("127.0.0.1")


def words(response) -> str:
    return " ".join(unescape(response.content.decode()).split())


def fathers_link() -> tuple[Case, str]:
    """John Carter senior's case (his date of birth held), his link texted to the
    family's mobile."""
    case = f.CaseFactory(
        person__first_name="John",
        person__last_name="Carter",
        person__date_of_birth=dt.date(1960, 3, 1),
        person__phone=SHARED,
        symptom_onset=timezone.localdate() - dt.timedelta(days=2),
    )
    link = online_case_invite(case=case, now=timezone.now())
    assert link is not None
    return case, f"/o/{link.message.body.split('/o/')[1].split('/')[0]}/"


def household(*people: tuple[str, str]) -> dict[str, str]:
    """The link page's rows: (first name, phone) each, a Carter living with him."""
    yesterday = (timezone.localdate() - dt.timedelta(days=1)).isoformat()
    form: dict[str, str] = {"lang": "en"}
    for i, (first, phone) in enumerate(people):
        form |= {
            f"contact-{i}-first_name": first,
            f"contact-{i}-last_name": "Carter",
            f"contact-{i}-phone": phone,
            f"contact-{i}-last_near": yesterday,
            f"contact-{i}-household": "yes",
        }
    return form


def test_a_son_of_the_fathers_name_on_the_family_mobile_is_saved_with_his_sister(
    client,
):
    case, url = fathers_link()

    answered = client.post(url, household(("John", "07400 111333"), ("Emily", SHARED)))

    page = words(answered)
    assert "You cannot name yourself" not in page
    assert "We will contact the people you told us about" in page
    son = Contact.objects.get(case=case, person__first_name="John")
    emily = Contact.objects.get(case=case, person__first_name="Emily")
    # A new person, not the case, listed for someone to decide, as the case page
    # lists him.
    assert son.person_id != case.person_id
    assert PossibleDuplicate.objects.filter(
        Q(person_a=son.person, person_b=case.person)
        | Q(person_a=case.person, person_b=son.person),
        status=PossibleDuplicate.Status.OPEN,
    ).exists()
    # Emily is texted her link as anyone named is.
    assert OnlineLink.objects.filter(contact=emily).count() == 1
    assert Message.objects.filter(
        contact=emily, kind=Message.Kind.CONTACT_LINK, to=SHARED
    ).exists()
    # John is phoned, and the call handler is told why no link went.
    assert not OnlineLink.objects.filter(contact=son).exists()
    assert not Message.objects.filter(contact=son).exists()
    assert son.next_attempt_at is None or son.next_attempt_at <= timezone.now()
    why = online_link_withheld(son)
    assert "the case's own name and number" in why
    assert "Phone them" in why
    assert online_link_withheld(emily) == ""


def test_the_same_row_sent_again_is_not_named_twice(client):
    """The page sent again from a second device: John is found as the one named
    already, not refused and not added again."""
    case, url = fathers_link()
    client.post(url, household(("John", SHARED), ("Emily", SHARED)))

    again = client.post(url, household(("John", SHARED), ("Emily", SHARED)))

    assert "You cannot name yourself" not in words(again)
    assert Contact.objects.filter(case=case).count() == 2
