"""People whose call was logged "Wrong number" before their record kept the numbers
(people 0012 added Person.wrong_numbers empty) are marked from those calls, so no
message about them goes to the stranger who answered: each call still logged
"Wrong number" (a call corrected to another outcome is not: its number is theirs
again) adds the number it rang, as the call recorded it (work.calls
number_logged_wrong), to its case's or contact's person, once, after any numbers
already on their list, in the order they were first logged wrong.

On PostgreSQL one statement over the whole table, not a loop over people: it runs
in seconds at the national route's millions of calls. On the embedded SQLite
database (`make run`'s demo, a few hundred calls) the same, a call at a time. A call's number blanked by pseudonymising
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


def backfill(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKFILL)
        return
    call_attempt = apps.get_model("calls", "CallAttempt")
    person = apps.get_model("people", "Person")
    wrong = (
        call_attempt.objects.filter(outcome="wrong_number")
        .exclude(phone="")
        .order_by("started_at", "phone")
        .values_list("case__person_id", "contact__person_id", "phone")
    )
    numbers: dict[int, list[str]] = {}
    for case_person, contact_person, phone in wrong:
        held = numbers.setdefault(case_person or contact_person, [])
        if phone not in held:
            held.append(phone)
    for someone in person.objects.filter(pk__in=numbers):
        added = [n for n in numbers[someone.pk] if n not in someone.wrong_numbers]
        if added:
            someone.wrong_numbers = [*someone.wrong_numbers, *added]
            someone.save(update_fields=["wrong_numbers"])


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0008_call_correction_db_defaults"),
        ("people", "0012_person_wrong_numbers"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
