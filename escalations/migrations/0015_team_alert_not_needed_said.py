"""The local team's safeguarding email's "refused" also says when it was not needed
(work.calls.TEAM_ALERT_NOT_NEEDED): help text only, no change to the table."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0014_safeguarding_team_alert_stamped_apart"),
    ]

    operations = [
        migrations.AlterField(
            model_name="escalation",
            name="team_alert_refused",
            field=models.TextField(
                blank=True,
                db_default="",
                default="",
                help_text="Why the local team's email was not sent, and is not "
                "tried again: the mail server refused it for good, or it was not "
                "needed (the team had picked the concern up, closed it or sent it "
                "back before the email could go).",
            ),
        ),
    ]
