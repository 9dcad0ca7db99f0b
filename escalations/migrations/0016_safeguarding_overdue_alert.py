"""A safeguarding concern still not picked up at its due time is emailed to its local
team's supervisors and the caller's, once: the email's own stamps (sent, claimed,
refused) and the partial index its sweep reads (work.calls.safeguarding_overdue_unsent),
built CONCURRENTLY as 0013's: the table is written by every escalation and pick-up.

The concerns already overdue when this is deployed, due within the sweep's window
(work.calls.ALERT_SWEPT_FOR), are emailed by its first sweep: they are waiting at
their teams now, and that is what the email is for."""

from importlib import import_module

from django.db import migrations, models

_concurrent = import_module("audit.migrations.0006_keyset_indexes")
AddIndexConcurrently = _concurrent.AddIndexConcurrently


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("escalations", "0015_team_alert_not_needed_said"),
        ("audit", "0006_keyset_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="escalation",
            name="overdue_alert_claimed_until",
            field=models.DateTimeField(
                blank=True,
                help_text="While the overdue email is being sent: no other worker sends it before then. A claim whose worker was lost lapses, and it is sent again.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="escalation",
            name="overdue_alert_refused",
            field=models.TextField(
                blank=True,
                db_default="",
                default="",
                help_text="Why the overdue email was not sent, and is not tried again: nobody to email (no supervisor at the team nor of the caller's team has an address), the mail server refused it for good, or it was not needed (the team had picked the concern up, closed it or sent it back before the email could go).",
            ),
        ),
        migrations.AddField(
            model_name="escalation",
            name="overdue_alert_sent_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the local team's supervisors and the caller's were emailed that this safeguarding escalation was still not picked up at its due time (set once the mail has gone).",
                null=True,
            ),
        ),
        AddIndexConcurrently(
            model_name="escalation",
            index=models.Index(
                condition=models.Q(
                    ("overdue_alert_refused", ""),
                    ("overdue_alert_sent_at__isnull", True),
                    ("reason", "safeguarding"),
                    ("status", "new"),
                ),
                fields=["due_at", "id"],
                name="escalation_overdue_unsent",
            ),
        ),
    ]
