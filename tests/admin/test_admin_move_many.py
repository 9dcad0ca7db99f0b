"""The admin's "Return to the pool…" and "Give to a member of staff…" for hundreds of
chosen items.

The confirmation carries each chosen item's holder as the form showed it, so an item
that changed hands since is left with its new holder (test_admin_move_as_shown.py).
It carried them as a hidden field per item, on top of each chosen id: past about
497 items the sending went over Django's 1,000 fields (DATA_UPLOAD_MAX_NUMBER_FIELDS)
and was refused whole, a 400 (TooManyFieldsSent). "Select all" of a leaver's 510
contacts could not be returned to the pool. Now the holders go in one field."""

from __future__ import annotations

from html import unescape

import pytest
from django.utils import timezone

from cases.workitem import Status
from contacts.models import Contact
from tests import factories as f
from tests.admin.test_admin_move_as_shown import (
    URL,
    action_form,
    call_handler_on_shift,
    said,
)

pytestmark = pytest.mark.django_db

MANY = 510


def held_by(profile, how_many: int) -> list[int]:
    """`how_many` contacts held by `profile`, each of their own person: the rest made
    as copies of the first one's row (fast)."""
    first = f.ContactFactory(
        status=Status.ASSIGNED, assignee=profile.user, assigned_at=timezone.now()
    )
    pks = [first.pk]
    for _ in range(how_many - 1):
        contact = Contact.objects.get(pk=first.pk)
        contact.pk = None
        contact.id = None
        contact.person = f.PersonFactory()
        contact.save()
        pks.append(contact.pk)
    return pks


def test_returning_510_contacts_to_the_pool_is_not_refused_whole(admin_client):
    gus = call_handler_on_shift("Gus")
    pks = held_by(gus, MANY)
    data = action_form(admin_client, "return_to_pool", pks, reason="Gus has left")

    answer = admin_client.post(URL, data, follow=True)

    assert answer.status_code == 200, answer.status_code  # not 400
    assert answer.redirect_chain == [(URL, 302)]
    assert said(answer) == [f"Returned {MANY} to the pool."]
    assert not Contact.objects.filter(pk__in=pks, assignee=gus.user).exists()


def test_giving_510_contacts_to_someone_is_answered_not_refused_whole(admin_client):
    """Dan may hold ten: the form is drawn again with why, not refused as a 400."""
    gus, dan = call_handler_on_shift("Gus"), call_handler_on_shift("Dan")
    pks = held_by(gus, MANY)
    data = action_form(admin_client, "move_to", pks, to=dan.pk, reason="Gus has left")

    answer = admin_client.post(URL, data)

    assert answer.status_code == 200, answer.status_code  # not 400
    assert (
        f"Dan Handler holds 0 and may hold at most 10: {MANY} more would put them "
        "over their cap." in unescape(answer.content.decode())
    )
    assert Contact.objects.filter(pk__in=pks, assignee=gus.user).count() == MANY


def test_of_many_the_one_that_changed_hands_stays_with_its_new_holder(admin_client):
    gus, dan = call_handler_on_shift("Gus"), call_handler_on_shift("Dan")
    pks = held_by(gus, MANY)
    data = action_form(admin_client, "return_to_pool", pks, reason="Gus has left")
    Contact.objects.filter(pk=pks[7]).update(assignee=dan.user)

    answer = admin_client.post(URL, data, follow=True)

    (message,) = said(answer)
    assert message.startswith(
        f"Returned {MANY - 1} to the pool. 1 left where it is, as it changed hands"
    )
    assert Contact.objects.get(pk=pks[7]).assignee == dan.user


def test_a_holder_no_form_draws_leaves_the_item_and_one_sent_without_moves(
    admin_client,
):
    """The holders as a hand-made sending gives them: one no form draws reads as a
    holder nobody is (the item stays); an item given none is not checked."""
    gus = call_handler_on_shift("Gus")
    kept, moved = held_by(gus, 2)
    data = action_form(
        admin_client, "return_to_pool", [kept, moved], reason="Gus has left"
    )
    data["shown_holders"] = [f"{kept}:someone"]

    answer = admin_client.post(URL, data, follow=True)

    (message,) = said(answer)
    assert message.startswith("Returned 1 to the pool. 1 left where it is")
    assert Contact.objects.get(pk=kept).assignee == gus.user
    assert Contact.objects.get(pk=moved).assignee is None
