from django.core.management.base import BaseCommand

from areas.services import areas_load, areas_prune


class Command(BaseCommand):
    help = (
        "Create the missing ONS areas of England and their local teams, and remove "
        "those outside the service (Wales, the counties replaced in 2019-2023) where "
        "nothing refers to them. Safe to run again: an area moved to another team in "
        "the admin stays there."
    )

    def handle(self, *args, **options):
        areas, teams = areas_load()
        kept = areas_prune()
        self.stdout.write(f"{areas} areas, {teams} local teams loaded.")
        for line in kept:
            self.stdout.write(
                f"Kept, as records refer to it: {line}. Move those records to an "
                "area of England or the fallback team, then run this again."
            )
