"""The escalations earlier withdrawals closed (work.withdraw, before 0017) were left
with no outcome: the team's export, the escalation's page and the API said none.
Each closed one with no outcome whose note is the withdrawal's own (work.withdraw
ESCALATION_NOTE, then the reason) gets "withdrawn".

The withdrawal's note marks its closes, not the item's status today: a contact a
merge folded another into since is open again, though the withdrawal closed its
escalation; and a team's close with no outcome (from before outcomes were kept) of
a case withdrawn later was the team's. A team's own close keeps its outcome, and
one still open is left as it is.

One UPDATE of the escalations table alone: read once for its closed rows with no
outcome (those of withdrawals, and a few closed before outcomes were kept),
whatever the number of cases."""

from django.db import migrations

WITHDRAWN = "withdrawn"
# work.withdraw.ESCALATION_NOTE as the withdrawals wrote it (a migration imports no
# app code: the note may be reworded there, the rows keep these words).
WITHDRAWALS_NOTE = (
    "Closed: the positive result behind it was withdrawn (sent in error): "
)


def withdrawals_closes_said(apps, schema_editor):
    Escalation = apps.get_model("escalations", "Escalation")
    Escalation.objects.filter(
        status="closed", outcome="", outcome_note__startswith=WITHDRAWALS_NOTE
    ).update(outcome=WITHDRAWN)


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0017_withdrawn_outcome"),
    ]

    operations = [
        migrations.RunPython(withdrawals_closes_said, migrations.RunPython.noop)
    ]
