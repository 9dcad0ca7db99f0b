"""The outcome of an escalation closed by the withdrawal of the positive result behind
it (sent in error, work.withdraw): "withdrawn", never a team's choice. Choices only,
no change to the table; 0018 gives it to the escalations earlier withdrawals closed."""

from django.db import migrations, models

OUTCOMES = [
    ("reached", "Reached and advised"),
    ("not_found", "Not found"),
    ("moved_away", "Moved away"),
    ("refused", "Refused"),
    ("already_isolating", "Already isolating"),
    ("returned", "Sent back to the national queue"),
    ("withdrawn", "Result withdrawn (sent in error)"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0016_safeguarding_overdue_alert"),
    ]

    operations = [
        migrations.AlterField(
            model_name="escalation",
            name="outcome",
            field=models.CharField(blank=True, choices=OUTCOMES, max_length=20),
        ),
        migrations.AlterField(
            model_name="escalationaction",
            name="undone_outcome",
            field=models.CharField(blank=True, choices=OUTCOMES, max_length=20),
        ),
    ]
