"""Welsh (cy) as a language a person may speak: the online route writes to people in
Welsh, and intake refuses a language code the service has no language of, so
without this row Welsh could never be anyone's language. Added as the demo seeder
adds its languages (get_or_create by code): a database where an administrator
added it already keeps theirs."""

from django.db import migrations


def add_welsh(apps, schema_editor):
    Language = apps.get_model("people", "Language")
    Language.objects.get_or_create(code="cy", defaults={"name": "Welsh"})


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0007_person_email_index"),
    ]

    operations = [
        # Not removed on the way back: people may have it as their language by then.
        migrations.RunPython(add_welsh, migrations.RunPython.noop),
    ]
