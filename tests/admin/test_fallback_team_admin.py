"""The fallback local team (the one the work of people in no area of the service goes
to) is moved in the admin in one step, by ticking "Is fallback" on the team to take
over, and never left without one.

Before, unticking "Is fallback" on the fallback team was saved with no warning: a
result for someone in Cardiff was then answered with a 404 and lost, and the
escalation sweep failed its whole batch, so nothing in England was escalated. And
ticking another team first was refused with 'Constraint “one_fallback_team” is
violated.', so the only way to move the fallback went through a moment with none."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from areas.models import LocalTeam
from audit.models import AuditEvent
from escalations.models import Escalation
from tests import factories as f
from work.escalation import escalate_unreached

pytestmark = pytest.mark.django_db

OLD = "Regional Health Protection (no area found)"
LEEDS = "Leeds Public Health"


@pytest.fixture
def admin(django_user_model):
    return django_user_model.objects.create_superuser("admin", "a@example.org", "x")


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def team(name: str) -> LocalTeam:
    return LocalTeam.objects.get(name=name)


def change_url(local_team: LocalTeam) -> str:
    return reverse("admin:areas_localteam_change", args=[local_team.pk])


class _FormAsSent(HTMLParser):
    """The fields a browser sends for the local team's change form, as drawn."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.data: dict[str, list[str]] = defaultdict(list)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == "localteam_form"
        name = a.get("name")
        if not self.inside or tag != "input" or not name:
            return
        kind = a.get("type", "text")
        if kind in ("submit", "button", "image", "file"):
            return
        if kind in ("checkbox", "radio") and "checked" not in a:
            return
        self.data[name].append(a.get("value") or ("on" if kind == "checkbox" else ""))

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def drawn(client, local_team: LocalTeam) -> dict[str, list[str]]:
    """The team's change form as the browser would send it, unchanged."""
    page = client.get(change_url(local_team))
    assert page.status_code == 200
    form = _FormAsSent()
    form.feed(page.content.decode())
    assert form.data, "the change form was not found"
    return dict(form.data)


def sent(client, local_team: LocalTeam, data: dict[str, list[str]], **changes):
    """Send the form drawn, with the fields given changed (None: unticked)."""
    data = dict(data)
    for name, value in changes.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = [str(value)]
    data["_save"] = ["Save"]
    return client.post(change_url(local_team), data, follow=True)


def messages_shown(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def fallback_names() -> list[str]:
    return list(
        LocalTeam.objects.filter(is_fallback=True).values_list("name", flat=True)
    )


def escalated_to(contact) -> str:
    return Escalation.objects.get(contact=contact).local_team.name


def contact_in_cardiff():
    """A contact whose postcode is in no area of the service, not reached in time."""
    past = timezone.now() - dt.timedelta(days=3)
    return f.ContactFactory(
        person=f.PersonFactory(area=None, postcode="CF10 1EP"),
        created_at=past,
        escalate_due_at=past,
    )


def test_unticking_the_only_fallback_team_is_refused_saying_what_to_do(admin_client):
    fallback = team(OLD)

    answer = sent(
        admin_client, fallback, drawn(admin_client, fallback), is_fallback=None
    )

    assert answer.redirect_chain == []
    errors = answer.context["adminform"].form.errors["is_fallback"]
    assert errors == [
        f"{OLD} is the fallback team: the work of people whose postcode is in no "
        "area of the service goes to it, and there must always be one. To make "
        "another team the fallback, tick “Is fallback” on that team instead: this "
        "one is unticked then."
    ]
    assert fallback_names() == [OLD]
    # The work of no area still has a team to go to.
    contact = contact_in_cardiff()
    escalate_unreached()
    assert escalated_to(contact) == OLD


def test_ticking_another_team_moves_the_fallback_in_one_step(admin_client, admin):
    leeds, old = team(LEEDS), team(OLD)

    answer = sent(admin_client, leeds, drawn(admin_client, leeds), is_fallback="on")

    assert answer.redirect_chain == [(reverse("admin:areas_localteam_changelist"), 302)]
    assert (
        f"{LEEDS} is now the fallback team, in place of {OLD} (unticked): the work "
        f"of people in no area of the service is escalated to {LEEDS} from now on; "
        f"escalations already open stay in {OLD}'s queue."
    ) in messages_shown(answer)
    assert fallback_names() == [LEEDS]
    contact = contact_in_cardiff()
    escalate_unreached()
    assert escalated_to(contact) == LEEDS
    # Both changes are the administrator's, in the audit trail.
    changed = AuditEvent.objects.filter(
        action=AuditEvent.Action.UPDATE, object_type="areas.localteam", user=admin
    )
    assert {
        (e.object_id, e.detail["is_fallback"]["from"], e.detail["is_fallback"]["to"])
        for e in changed
    } == {(str(leeds.pk), False, True), (str(old.pk), True, False)}


def test_a_form_of_the_old_fallback_sent_later_does_not_take_it_back(admin_client):
    """The old fallback's form, drawn with the box ticked before the fallback moved,
    is saved afterwards (a new email): the fallback stays where it was moved."""
    leeds, old = team(LEEDS), team(OLD)
    stale = drawn(admin_client, old)
    sent(admin_client, leeds, drawn(admin_client, leeds), is_fallback="on")

    answer = sent(admin_client, old, stale, email="hpt@example.org")

    assert answer.redirect_chain
    assert fallback_names() == [LEEDS]
    assert team(OLD).email == "hpt@example.org"


def test_the_fallback_team_cannot_be_deleted(admin_client):
    fallback = team(OLD)

    answer = admin_client.post(
        reverse("admin:areas_localteam_delete", args=[fallback.pk]), {"post": "yes"}
    )

    assert answer.status_code == 403
    assert fallback_names() == [OLD]


def test_a_new_team_added_as_the_fallback_takes_over(admin_client):
    answer = admin_client.post(
        reverse("admin:areas_localteam_add"),
        {
            "code": "HPT-NW",
            "name": "North West Health Protection",
            "email": "",
            "is_fallback": "on",
            "initial-is_fallback": "False",
            "areas-TOTAL_FORMS": "0",
            "areas-INITIAL_FORMS": "0",
            "_save": "Save",
        },
        follow=True,
    )

    assert answer.redirect_chain
    assert fallback_names() == ["North West Health Protection"]
    assert any(
        m.startswith(
            f"North West Health Protection is now the fallback team, in "
            f"place of {OLD} (unticked)"
        )
        for m in messages_shown(answer)
    )
