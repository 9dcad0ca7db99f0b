"""An index on the person of the cases being worked (new, assigned, reached): a
contact still to be reached whose person is one of them is held back from calls
(work.queues.called_as_case), and the pool, the sweep and the board ask so of every
waiting contact. The few open cases only: a small index the NOT EXISTS reads,
never the cases table whole."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0011_symptoms_may_start_after_the_result"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(("status__in", ["new", "assigned", "reached"])),
                fields=["person"],
                name="case_person_worked",
            ),
        ),
    ]
