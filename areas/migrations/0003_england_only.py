"""Only England's current areas are the service's.

Earlier loads made the 22 Welsh areas, each with its own team (so a Welsh postcode went
to a team nobody was in rather than to the fallback team), and kept the districts and
counties that the 2023 unitary authorities replaced (no postcode maps to them, and
"North Yorkshire Public Health" and "Somerset Public Health" were two teams each).
This removes them where nothing refers to them, and names any it keeps.
"""

from django.db import migrations

from areas.services import areas_prune


def remove_areas_outside_the_service(apps, schema_editor):
    kept = areas_prune(
        area_model=apps.get_model("areas", "Area"),
        team_model=apps.get_model("areas", "LocalTeam"),
    )
    for line in kept:
        print(f"\n  Kept, as records refer to it: {line}.")


class Migration(migrations.Migration):
    # Every app with a key to an area or a local team, so that what refers to one is
    # seen here before it is removed.
    dependencies = [
        ("areas", "0002_load_ons_areas"),
        ("cases", "0009_taken_from"),
        ("contacts", "0011_taken_from"),
        ("escalations", "0011_escalations_picked_up_index"),
        ("integrations", "0003_api_client_name"),
        ("people", "0010_name_search_folds_accents"),
        ("retention", "0003_purge_warning_claim"),
        ("staffing", "0005_staffprofile_last_assigned_at"),
    ]
    operations = [
        migrations.RunPython(
            remove_areas_outside_the_service, migrations.RunPython.noop
        )
    ]
