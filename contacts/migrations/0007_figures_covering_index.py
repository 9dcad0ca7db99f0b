# The weekly figures' contacts query reads its week from an index holding every
# column it needs (an index-only scan). The covering indexes are made before the
# plain ones they replace are dropped, so the week is never without an index.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("contacts", "0006_pool_index_shape"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                fields=["created_at"],
                include=("area", "person", "reached_at", "reached_route", "case", "id"),
                name="contact_created_covering",
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(
                fields=["area", "created_at"],
                include=("person", "reached_at", "reached_route", "case", "id"),
                name="contact_area_created_covering",
            ),
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="contact_created",
        ),
        migrations.RemoveIndex(
            model_name="contact",
            name="contact_area_created",
        ),
    ]
