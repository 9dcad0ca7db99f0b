"""Reads composed by the ORM once per process (work.compiled) give what the ORM
gives for each call's own values: My work's queue and the caseworker's shift, read
for different people and at different times in one process."""

from __future__ import annotations

import datetime as dt
from functools import partial

import pytest
from django.db.models import Count, Exists, OuterRef
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from calls.models import Script
from calls.selectors import call_history, script_steps
from cases.models import Case, CaseDraft
from contacts.models import Contact, Exposure, IsolationChange
from online.models import OnlineLink
from pages.desk.cases import (
    _contacts_of,
    _drafts_of,
    _my_work_queue,
    _named_elsewhere,
    _visits_of,
)
from pages.desk.isolation import changes_of
from pages.desk.page_reads import calls_of, steps_of
from staffing.models import Shift
from tests import factories as f
from tests.workspace.conftest import CaseFactory, ContactFactory, hold
from work.access.cases import get_case_to_work
from work.access.contacts import get_contact_to_work
from work.compiled import exists_compiled_once, instances_compiled_once
from work.online import online_progress
from work.queues import _shift_under_way

pytestmark = pytest.mark.django_db

NOW = timezone.now()
HOUR = dt.timedelta(hours=1)


def _as_loaded(instance) -> dict:
    """What a read made of an instance: its columns, the deferred ones, the person
    brought with it, and the annotations."""
    loaded = {k: v for k, v in vars(instance).items() if not k.startswith("_")}
    loaded["deferred"] = instance.get_deferred_fields()
    person = instance._state.fields_cache.get("person")
    if person is not None:
        loaded["person"] = {
            k: v for k, v in vars(person).items() if not k.startswith("_")
        }
        loaded["person deferred"] = person.get_deferred_fields()
    return loaded


def _queue(model, user_id, now, key):
    return instances_compiled_once(
        key, model, partial(_my_work_queue, model=model), now, user_id=user_id
    )


@pytest.mark.parametrize(
    ("model", "factory"), [(Case, CaseFactory), (Contact, ContactFactory)]
)
def test_each_persons_queue_is_what_the_orm_reads_for_them(
    model, factory, caseworker, call_handler, other_caseworker
):
    holders = [caseworker, other_caseworker] if model is Case else [call_handler]
    if model is Contact:
        holders.append(f.StaffProfileFactory(user__username="handler.two").user)
    for n, holder in enumerate(holders):
        for m in range(3 + n):
            item = hold(factory(), holder)
            model.objects.filter(pk=item.pk).update(next_attempt_at=NOW + m * HOUR)
    first = model.objects.filter(assignee=holders[0]).order_by("pk").first()
    OnlineLink.objects.create(
        **{model.kind: first},
        person=first.person,
        purpose=model.kind,
        token_hash="x" * 64,
        expires_at=NOW + HOUR,
        created_at=NOW - HOUR,
    )
    key = ("test queue", model.kind)
    for holder in holders:
        for now in (NOW, NOW + 2 * HOUR):  # the link is "sent", then expired
            ours = _queue(model, holder.pk, now, key)
            theirs = list(_my_work_queue(now, holder.pk, model=model))
            assert [_as_loaded(i) for i in ours] == [_as_loaded(i) for i in theirs]
            assert {i.assignee_id for i in ours} == {holder.pk}
    states = [i.online_state for i in _queue(model, holders[0].pk, NOW, key)]
    later = [i.online_state for i in _queue(model, holders[0].pk, NOW + 2 * HOUR, key)]
    assert "sent" in states
    assert "sent" not in later


def test_the_query_is_composed_once_and_sent_once_a_call(
    caseworker, other_caseworker, django_assert_num_queries
):
    built = []

    def build(now, user_id):
        built.append(user_id)
        return Case.objects.filter(assignee_id=user_id, created_at__lte=now)

    hold(CaseFactory(), caseworker)
    with django_assert_num_queries(3):
        mine = instances_compiled_once(
            "test once", Case, build, NOW + HOUR, user_id=caseworker.pk
        )
        theirs = instances_compiled_once(
            "test once", Case, build, NOW + HOUR, user_id=other_caseworker.pk
        )
        before = instances_compiled_once(
            "test once", Case, build, NOW - 365 * 24 * HOUR, user_id=caseworker.pk
        )
    assert (len(mine), len(theirs), len(before)) == (1, 0, 0)
    assert len(built) == 1


def test_an_id_that_does_not_reach_the_sql_is_refused(caseworker):
    # A queryset that left the id out would answer every caller with one person's
    # rows; the read fails instead.
    with pytest.raises(ValueError, match="user_id"):
        instances_compiled_once(
            "test unused id",
            Case,
            lambda now, user_id: Case.objects.all(),
            NOW,
            user_id=1,
        )


def test_a_prefetching_queryset_is_refused(caseworker):
    with pytest.raises(ValueError, match="prefetching"):
        instances_compiled_once(
            "test prefetch",
            Case,
            lambda user_id: Case.objects.filter(assignee_id=user_id).prefetch_related(
                "contacts"
            ),
            user_id=caseworker.pk,
        )


def test_whether_a_row_exists_is_answered_for_each_id(caseworker, other_caseworker):
    hold(CaseFactory(), caseworker)

    def build(user_id):
        return Case.objects.filter(assignee_id=user_id)

    assert exists_compiled_once("test exists", Case, build, user_id=caseworker.pk)
    assert not exists_compiled_once(
        "test exists", Case, build, user_id=other_caseworker.pk
    )


def test_the_shift_under_way_is_each_persons_at_each_time(caseworker, other_caseworker):
    mine = Shift.objects.get(staff__user=caseworker)
    theirs = Shift.objects.get(staff__user=other_caseworker)
    Shift.objects.filter(pk=theirs.pk).update(
        starts_at=mine.ends_at, ends_at=mine.ends_at + 4 * HOUR
    )
    during_mine = mine.starts_at + HOUR
    during_theirs = mine.ends_at + HOUR

    def shift_of(user, at):
        found = instances_compiled_once(
            "test shift", Shift, _shift_under_way, at, staff_id=user.staff.pk
        )
        return [s.pk for s in found]

    assert shift_of(caseworker, during_mine) == [mine.pk]
    assert shift_of(other_caseworker, during_mine) == []
    assert shift_of(caseworker, during_theirs) == []
    assert shift_of(other_caseworker, during_theirs) == [theirs.pk]


def test_my_work_shows_each_caseworker_their_own_queue(
    client, caseworker, other_caseworker
):
    mine = hold(CaseFactory(person__last_name="Mine"), caseworker)
    theirs = hold(CaseFactory(person__last_name="Theirs"), other_caseworker)
    client.force_login(caseworker)
    page = client.get(reverse("cases:queue")).content.decode()
    assert mine.person.full_name in page
    assert theirs.person.full_name not in page
    client.force_login(other_caseworker)
    page = client.get(reverse("cases:queue")).content.decode()
    assert theirs.person.full_name in page
    assert mine.person.full_name not in page
    counts = Case.objects.values("assignee").annotate(n=Count("pk"))
    assert {row["n"] for row in counts} == {1}


def _loaded_deep(instance, depth=3) -> dict:
    """An instance as read: its columns, deferred ones, annotations, and the related
    objects it was read with (select_related), to a few levels."""
    if instance is None:
        return {}
    loaded = {k: v for k, v in vars(instance).items() if not k.startswith("_")}
    loaded["deferred"] = instance.get_deferred_fields()
    if depth:
        for name, related in instance._state.fields_cache.items():
            loaded[f"with {name}"] = _loaded_deep(related, depth - 1)
    return loaded


def test_the_case_and_contact_pages_reads_are_the_orms(
    caseworker, other_caseworker, call_handler
):
    """Each read the pages compose once (the item to work, its contacts, who it named
    that another case named first, its latest link, its isolation changes) gives the
    instances the ORM's own queryset gives, with what they were read with; and so do
    the caseworker's drafts, the settings visited, the calls and the scripts' steps."""
    case = hold(CaseFactory(), caseworker)
    other = hold(CaseFactory(), caseworker)
    own = [ContactFactory(case=case) for _ in range(2)]
    hold(own[0], call_handler)
    elsewhere = ContactFactory(case=other)
    Exposure.objects.create(
        contact=elsewhere,
        case=case,
        exposure_date=timezone.localdate(),
        exposure=elsewhere.exposure,
        created_at=NOW,
    )
    for item in (case, own[0]):
        IsolationChange.objects.create(
            **{item.kind: item},
            kind=IsolationChange.Kind.OVERRIDE,
            ends_on=timezone.localdate(),
            replaced=timezone.localdate(),
            by=caseworker,
            at=NOW,
            reason="Tested negative again.",
        )
        OnlineLink.objects.create(
            **{item.kind: item},
            person=item.person,
            purpose=item.kind,
            token_hash=f"{item.kind}{item.pk}".ljust(64, "0"),
            expires_at=NOW + HOUR,
            message=f.MessageFactory(person=item.person),
        )
    for n in range(2):
        f.CallAttemptFactory(
            contact=None, case=case, caller=caseworker, started_at=NOW - n * HOUR
        )
        f.CallAttemptFactory(contact=own[0], caller=call_handler)
        f.SettingVisitFactory(
            case=case, visited_on=timezone.localdate() - dt.timedelta(n)
        )
    for audience in (Script.Audience.CASE, Script.Audience.CONTACT):
        script = f.ScriptFactory(audience=audience, name=f"{audience} call")
        f.ScriptStepFactory(script=script, order=2, title="Then")
        f.ScriptStepFactory(script=script, order=1, title="First")
    CaseDraft.objects.create(
        case=case, user=caseworker, section=CaseDraft.Section.CONTACTS, data={"a": 1}
    )
    CaseDraft.objects.create(
        case=case, user=other_caseworker, section=CaseDraft.Section.CONTACTS
    )
    changed = IsolationChange.objects.filter(contact=OuterRef("pk"))
    pairs = [
        (
            _drafts_of(case, caseworker),
            list(CaseDraft.objects.filter(case=case, user=caseworker)),
        ),
        (
            _visits_of(case),
            list(case.visits.select_related("setting").order_by("visited_on", "pk")),
        ),
        (
            get_case_to_work(caseworker, case.pk),
            Case.objects.with_person()
            .select_related("assessment", "person__language")
            .get(pk=case.pk),
        ),
        (
            get_contact_to_work(call_handler, own[0].pk),
            Contact.objects.select_related(
                "person", "person__language", "assignee"
            ).get(pk=own[0].pk),
        ),
        (
            _contacts_of(case),
            list(
                case.contacts.select_related("person", "assignee")
                .annotate(isolation_changed=Exists(changed))
                .order_by("pk")
            ),
        ),
        (
            [n.exposure for n in _named_elsewhere(case, caseworker)],
            list(
                Exposure.objects.filter(case=case)
                .select_related("contact__person", "contact__case")
                .order_by("pk")
            ),
        ),
    ]
    for audience in (Script.Audience.CASE, Script.Audience.CONTACT):
        pairs.append((steps_of(audience), script_steps(audience)))
    for item in (case, own[0]):
        pairs.append((calls_of(item), list(call_history(item))))
        pairs.append(
            (
                online_progress(item),
                OnlineLink.objects.select_related("message")
                .filter(**{item.kind: item})
                .order_by("-created_at", "-pk")
                .first(),
            )
        )
        pairs.append(
            (
                changes_of(item),
                list(IsolationChange.objects.of_item(item).select_related("by")[:20]),
            )
        )
    for ours, theirs in pairs:
        if isinstance(theirs, list):
            assert theirs  # something to compare
            assert [_loaded_deep(i) for i in ours] == [_loaded_deep(i) for i in theirs]
        else:
            assert theirs is not None
            assert _loaded_deep(ours) == _loaded_deep(theirs)
    # And each contact and visit knows its case without a query, as case.contacts
    # and case.visits give them.
    assert all(contact.case is case for contact in _contacts_of(case))
    assert all(visit.case is case for visit in _visits_of(case))


def test_a_case_or_contact_that_does_not_exist_is_not_found(caseworker):
    with pytest.raises(Http404):
        get_case_to_work(caseworker, 987_654_321)
    with pytest.raises(Http404):
        get_contact_to_work(caseworker, 987_654_321)
