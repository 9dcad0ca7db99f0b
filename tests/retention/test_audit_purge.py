"""The audit trail is purged only by the retention job, after its days; anything
else that deletes (or changes) a row is still refused by the database."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, connection, transaction

from audit.models import AuditEvent
from retention.services import legal_hold_place, retention_run
from tests import factories as f

from .builders import AUDIT_DAYS, CLOSED, DAY

pytestmark = pytest.mark.django_db

DUE = CLOSED + dt.timedelta(days=AUDIT_DAYS)


def event(at: dt.datetime, person=None) -> AuditEvent:
    return AuditEvent.objects.create(
        at=at,
        action=AuditEvent.Action.VIEW,
        person=person,
        object_type="cases.case",
        object_id="1",
    )


def plain_sql(statement: str, params: list) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_events_exactly_the_days_old_are_purged_and_newer_ones_kept(clock):
    old = event(CLOSED)
    newer = event(CLOSED + DAY)
    clock.move_to(DUE)

    retention_run()

    assert list(AuditEvent.objects.filter(pk__in=[old.pk, newer.pk])) == [newer]


def test_events_about_a_held_person_are_kept(clock, django_user_model):
    person = f.PersonFactory()
    held = event(CLOSED, person=person)
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "x")
    legal_hold_place(person=person, reason="Complaint", by=admin)
    clock.move_to(DUE + 10 * DAY)

    retention_run()

    assert AuditEvent.objects.filter(pk=held.pk).exists()


def test_events_about_a_record_merged_into_a_held_person_are_kept(
    clock, django_user_model
):
    # Their trail is the held person's (their audit page shows it): it was purged.
    person = f.PersonFactory()
    merged = f.PersonFactory(merged_into=person)
    theirs = event(CLOSED, person=merged)
    other = event(CLOSED, person=f.PersonFactory(merged_into=f.PersonFactory()))
    admin = django_user_model.objects.create_superuser("admin", "a@example.org", "x")
    legal_hold_place(person=person, reason="Complaint", by=admin)
    clock.move_to(DUE + 10 * DAY)

    retention_run()

    assert AuditEvent.objects.filter(pk=theirs.pk).exists()
    assert not AuditEvent.objects.filter(pk=other.pk).exists()  # no hold: purged


def test_a_plain_delete_is_still_refused_after_a_purge(clock, requires_postgres):
    old = event(CLOSED)
    kept = event(DUE)
    clock.move_to(DUE)
    retention_run()
    assert not AuditEvent.objects.filter(pk=old.pk).exists()

    with pytest.raises(DatabaseError, match="append-only"):
        plain_sql("DELETE FROM audit_auditevent WHERE id = %s", [kept.pk])
    assert AuditEvent.objects.filter(pk=kept.pk).exists()


def test_an_update_is_refused_even_with_the_purge_setting(requires_postgres):
    kept = event(CLOSED)

    with pytest.raises(DatabaseError, match="append-only: UPDATE"):
        plain_sql(
            "SET LOCAL tracing.audit_purge = 'on'; "
            "UPDATE audit_auditevent SET object_id = 'x' WHERE id = %s",
            [kept.pk],
        )
    kept.refresh_from_db()
    assert kept.object_id == "1"


def test_the_model_refuses_a_delete():
    kept = event(CLOSED)

    with pytest.raises(Exception, match="append-only"):
        AuditEvent.objects.filter(pk=kept.pk).delete()
