"""The safeguarding escalations recorded before the beat's alert sweep came: their
supervisors were emailed by the alert's own task, which did not record it until
0006 added alert_sent_at. Without this, the first sweeps after the deploy would email
every concern of the past week again. Marked as sent when they were recorded."""

from django.db import migrations
from django.db.models import F


def mark_earlier_alerts_sent(apps, schema_editor):
    Escalation = apps.get_model("escalations", "Escalation")
    Escalation.objects.filter(reason="safeguarding", alert_sent_at__isnull=True).update(
        alert_sent_at=F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [("escalations", "0008_closed_by_action_submission")]

    operations = [
        migrations.RunPython(mark_earlier_alerts_sent, migrations.RunPython.noop)
    ]
