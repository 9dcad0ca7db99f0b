"""The escalations earlier withdrawals closed (work.withdraw, before 0017) were left
with no outcome: the team's export, the escalation's page and the API said none.
Each closed one with no outcome whose case or contact is withdrawn gets "withdrawn".
A team's own close keeps its outcome (a safeguarding concern the withdrawal left
open and the team closed since), and one still open is left as it is.

One UPDATE, the escalations joined to their case or contact by primary key: the
table is read once for its closed rows with no outcome (those of withdrawals, and
a few closed before outcomes were kept), whatever the number of cases."""

from django.db import migrations
from django.db.models import Q

WITHDRAWN = "withdrawn"


def withdrawals_closes_said(apps, schema_editor):
    Escalation = apps.get_model("escalations", "Escalation")
    Escalation.objects.filter(
        Q(case__status=WITHDRAWN) | Q(contact__status=WITHDRAWN),
        status="closed",
        outcome="",
    ).update(outcome=WITHDRAWN)


class Migration(migrations.Migration):
    dependencies = [
        ("escalations", "0017_withdrawn_outcome"),
        ("cases", "0013_withdrawn"),
        ("contacts", "0014_withdrawn"),
    ]

    operations = [
        migrations.RunPython(withdrawals_closes_said, migrations.RunPython.noop)
    ]
