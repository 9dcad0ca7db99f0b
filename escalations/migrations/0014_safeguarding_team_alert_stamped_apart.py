"""A safeguarding escalation's two emails are stamped apart: the local team's gets
its own sent-stamp and claim (team_alert_*), beside the caller's supervisors'
(alert_*), and each records a refusal for good (*_refused), so one failing never
sends the other again. The sweep's index covers an escalation while either is
unsent.

The escalations before this sent both emails under the one stamp: where that stamp
is set, or a worker holds its claim, the team's is taken as sent, or being sent,
with it. Without this, the first sweeps after the deploy would email the local
teams every concern of the past week again."""

from django.db import migrations, models
from django.db.models import F


def team_alerts_stamped_as_sent_with_the_old_stamp(apps, schema_editor):
    Escalation = apps.get_model("escalations", "Escalation")
    safeguarding = Escalation.objects.filter(reason="safeguarding")
    safeguarding.filter(alert_sent_at__isnull=False).update(
        team_alert_sent_at=F("alert_sent_at")
    )
    safeguarding.filter(alert_claimed_until__isnull=False).update(
        team_alert_claimed_until=F("alert_claimed_until")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0013_open_queue_urgent_first"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="escalation",
            name="escalation_alert_unsent",
        ),
        migrations.AddField(
            model_name="escalation",
            name="alert_refused",
            field=models.TextField(
                blank=True,
                default="",
                db_default="",
                help_text="Why the caller's supervisors' email was not sent, and is not tried again: the mail server refused it for good.",
            ),
        ),
        migrations.AddField(
            model_name="escalation",
            name="team_alert_claimed_until",
            field=models.DateTimeField(
                blank=True,
                help_text="While the team's email is being sent: no other worker sends it before then. A claim whose worker was lost lapses, and it is sent again.",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="escalation",
            name="team_alert_refused",
            field=models.TextField(
                blank=True,
                default="",
                db_default="",
                help_text="Why the local team's email was not sent, and is not tried again: the mail server refused it for good.",
            ),
        ),
        migrations.AddField(
            model_name="escalation",
            name="team_alert_sent_at",
            field=models.DateTimeField(
                blank=True,
                help_text="When the local team was emailed that this safeguarding escalation is in their queue (set once the mail has gone).",
                null=True,
            ),
        ),
        migrations.RunPython(
            team_alerts_stamped_as_sent_with_the_old_stamp, migrations.RunPython.noop
        ),
        migrations.AddIndex(
            model_name="escalation",
            index=models.Index(
                condition=models.Q(
                    ("reason", "safeguarding"),
                    models.Q(
                        models.Q(
                            ("alert_refused", ""), ("alert_sent_at__isnull", True)
                        ),
                        models.Q(
                            ("team_alert_refused", ""),
                            ("team_alert_sent_at__isnull", True),
                        ),
                        _connector="OR",
                    ),
                ),
                fields=["created_at"],
                name="escalation_alert_unsent",
            ),
        ),
    ]
