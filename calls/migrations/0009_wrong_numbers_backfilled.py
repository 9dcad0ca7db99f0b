"""People whose call was logged "Wrong number" before their record kept the numbers
(people 0012 added Person.wrong_numbers empty) are marked from those calls, so no
message about them goes to the stranger who answered: each call still logged
"Wrong number" (a call corrected to another outcome is not: its number is theirs
again) adds the number it rang, as the call recorded it (work.calls
number_logged_wrong), to its case's or contact's person, once, after any numbers
already on their list, in the order they were first logged wrong.

One statement over the whole table, not a loop over people: it runs in seconds at
the national route's millions of calls. A call's number blanked by pseudonymising
is left out (their list was cleared then too). Undone as nothing: the numbers were
logged wrong either way, and the code before this keeps the list as it is."""

from django.db import migrations

BACKFILL = """
WITH logged_wrong AS (
    SELECT ca.person_id, k.phone, k.started_at
      FROM calls_callattempt k
      JOIN cases_case ca ON ca.id = k.case_id
     WHERE k.outcome = 'wrong_number' AND k.phone <> ''
    UNION ALL
    SELECT co.person_id, k.phone, k.started_at
      FROM calls_callattempt k
      JOIN contacts_contact co ON co.id = k.contact_id
     WHERE k.outcome = 'wrong_number' AND k.phone <> ''
),
first_logged AS (
    SELECT person_id, phone, min(started_at) AS at
      FROM logged_wrong
     GROUP BY person_id, phone
)
UPDATE people_person p
   SET wrong_numbers = p.wrong_numbers || added.numbers
  FROM (
    SELECT w.person_id, jsonb_agg(w.phone ORDER BY w.at, w.phone) AS numbers
      FROM first_logged w
      JOIN people_person q ON q.id = w.person_id
     WHERE NOT q.wrong_numbers @> jsonb_build_array(w.phone)
     GROUP BY w.person_id
  ) added
 WHERE p.id = added.person_id
"""


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0008_call_correction_db_defaults"),
        ("people", "0012_person_wrong_numbers"),
    ]

    operations = [migrations.RunSQL(BACKFILL, migrations.RunSQL.noop)]
