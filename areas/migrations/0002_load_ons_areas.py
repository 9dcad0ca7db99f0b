from django.db import migrations


def load(apps, schema_editor):
    from areas.services import areas_load

    areas_load(
        area_model=apps.get_model("areas", "Area"),
        team_model=apps.get_model("areas", "LocalTeam"),
    )


class Migration(migrations.Migration):
    dependencies = [("areas", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
