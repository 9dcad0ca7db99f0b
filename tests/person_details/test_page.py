"""The "Their details" section of the case page and the contact page: the details
held, in a form closed by default; corrected as the person gives them, with and
without JavaScript; typing that is wrong drawn again with what was typed and each
field's problem, in the NHS.UK pattern."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from people.models import Person, PersonChange
from tests import factories as f

from .conftest import (
    HELD_EMAIL,
    LEEDS,
    LEEDS_POSTCODE,
    details_url,
    form_as_drawn,
    withdrawn,
)

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def their_details_tag(html: str) -> str:
    """The opening tag of the section's <details> element."""
    found = re.search(r'<details[^>]*id="their-details"[^>]*>', html)
    assert found, "no Their details section"
    return found.group(0)


def test_the_case_page_shows_their_details_held_in_a_closed_section(
    client, caseworker, held_case
):
    client.force_login(caseworker)

    html = client.get(reverse("cases:detail", args=[held_case.pk])).content.decode()

    assert " open" not in their_details_tag(html)
    assert "Their details" in html
    assert f'action="{details_url(held_case)}' in html
    assert 'name="details-first_name" value="John"' in html
    assert f'value="{HELD_EMAIL}"' in html
    assert 'value="07911 123456"' in html


def test_details_corrected_without_javascript_say_what_changed(
    client, caseworker, held_case, jon
):
    client.force_login(caseworker)

    response = client.post(
        details_url(held_case),
        form_as_drawn(jon, email="jon.barker@example.org", postcode="LS6 3QE"),
        follow=True,
    )

    assert response.redirect_chain[-1][0].startswith(
        reverse("cases:detail", args=[held_case.pk])
    )
    html = response.content.decode()
    assert "Email and postcode updated." in html
    jon.refresh_from_db()
    assert (jon.email, jon.postcode, jon.area.code) == (
        "jon.barker@example.org",
        LEEDS_POSTCODE,
        LEEDS,
    )
    assert set(PersonChange.objects.values_list("field", "source")) == {
        ("email", "case page"),
        ("postcode", "case page"),
    }


def test_details_corrected_with_htmx_redraw_the_section_and_the_person(
    client, caseworker, held_case, jon
):
    client.force_login(caseworker)

    response = client.post(
        details_url(held_case),
        form_as_drawn(jon, first_name="Jon"),
        headers=HTMX,
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "First name updated." in html
    assert 'name="details-first_name" value="Jon"' in html
    # The person's card elsewhere on the page is drawn again, out of band.
    assert 'hx-swap-oob="true"' in html
    assert "Jon Barker" in html
    assert "<html" not in html


def test_wrong_typing_is_drawn_again_with_each_fields_problem(
    client, caseworker, held_case, jon
):
    client.force_login(caseworker)

    response = client.post(
        details_url(held_case),
        form_as_drawn(jon, email="jon at example", postcode="S10 2HE"),
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert " open" in their_details_tag(html)
    assert 'value="jon at example"' in html
    assert 'value="S10 2HE"' in html
    assert 'href="#id_details-email"' in html
    assert 'href="#id_details-postcode"' in html
    assert 'id="id_details-email-error"' in html
    assert "We cannot find this postcode" in html
    assert "<title>Error: " in html
    jon.refresh_from_db()
    assert jon.email == HELD_EMAIL
    assert not PersonChange.objects.exists()


def test_wrong_typing_with_htmx_is_the_section_with_its_errors(
    client, caseworker, held_case, jon
):
    client.force_login(caseworker)

    response = client.post(
        details_url(held_case), form_as_drawn(jon, phone="not a number"), headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert " open" in their_details_tag(html)
    assert 'id="id_details-phone-error"' in html
    assert 'value="not a number"' in html


def test_a_number_logged_wrong_is_refused_on_the_phone_field(
    client, caseworker, held_case, jon
):
    Person.objects.filter(pk=jon.pk).update(wrong_numbers=["+447911123499"])
    client.force_login(caseworker)

    html = client.post(
        details_url(held_case), form_as_drawn(jon, phone="07911 123499")
    ).content.decode()

    assert "Wrong number" in html
    assert 'id="id_details-phone-error"' in html
    assert not PersonChange.objects.exists()


def test_details_sent_as_held_say_there_is_nothing_to_change(
    client, caseworker, held_case, jon
):
    client.force_login(caseworker)

    response = client.post(details_url(held_case), form_as_drawn(jon), follow=True)

    assert "Nothing to change" in response.content.decode()
    assert not PersonChange.objects.exists()


def test_someone_who_may_not_work_the_case_is_refused_with_a_reason(
    client, other_caseworker, held_case, jon
):
    client.force_login(other_caseworker)

    response = client.post(details_url(held_case), form_as_drawn(jon, first_name="X"))

    assert response.status_code == 403
    assert "not yours to work" in response.content.decode()
    jon.refresh_from_db()
    assert jon.first_name == "John"


def test_a_call_handler_may_not_correct_a_cases_person(
    client, call_handler, held_case, jon
):
    client.force_login(call_handler)

    response = client.post(details_url(held_case), form_as_drawn(jon, first_name="X"))

    assert response.status_code == 403


def test_a_withdrawn_case_draws_no_form_and_refuses_one_sent(
    client, caseworker, held_case, jon
):
    withdrawn(held_case)
    client.force_login(caseworker)

    page = client.get(reverse("cases:detail", args=[held_case.pk])).content.decode()
    assert 'name="details-first_name"' not in page

    response = client.post(
        details_url(held_case), form_as_drawn(jon, first_name="Jon"), follow=True
    )
    assert "withdrawn" in response.content.decode()
    jon.refresh_from_db()
    assert jon.first_name == "John"


def test_the_contact_page_corrects_the_persons_details_too(
    client, call_handler, held_contact, jon
):
    client.force_login(call_handler)
    page = client.get(
        reverse("contacts:detail", args=[held_contact.pk])
    ).content.decode()
    assert " open" not in their_details_tag(page)

    response = client.post(
        details_url(held_contact),
        form_as_drawn(jon, phone_alt="07911 765432"),
        follow=True,
    )

    assert "Other phone updated." in response.content.decode()
    jon.refresh_from_db()
    assert str(jon.phone_alt) == "+447911765432"
    assert PersonChange.objects.get().source == "contact page"


def test_a_caseworker_may_not_correct_a_contacts_person_from_its_page(
    client, caseworker, held_contact, jon
):
    client.force_login(caseworker)

    response = client.post(
        details_url(held_contact), form_as_drawn(jon, first_name="X")
    )

    assert response.status_code == 403


def _ended_session(user) -> Client:
    """Signed in, then the session ended by idleness (its cookie still sent)."""
    client = Client()
    client.force_login(user)
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    return client


@pytest.mark.parametrize("kind", ["case", "contact"])
def test_details_typed_as_the_session_ended_come_back_into_the_form(request, kind, jon):
    item = request.getfixturevalue(f"held_{kind}")
    user = item.assignee
    page = reverse(f"{kind}s:detail", args=[item.pk])
    client = _ended_session(user)

    sent_away = client.post(
        details_url(item),
        form_as_drawn(jon, email="jon.new@example.org"),
        HTTP_REFERER=f"http://testserver{page}",
    )
    (back_to,) = parse_qs(urlsplit(sent_away["Location"]).query)["next"]
    signed_in = client.post(
        sent_away["Location"],
        {"username": user.username, "password": f.PASSWORD, "next": back_to},
        follow=True,
    )

    html = signed_in.content.decode()
    assert 'value="jon.new@example.org"' in html
    assert "What you typed is back in the form" in html
    jon.refresh_from_db()
    assert jon.email == HELD_EMAIL  # not saved: they check it and save it again
