from django.core.management.base import BaseCommand

from areas.services import areas_load


class Command(BaseCommand):
    help = "Create or update the ONS local authority areas and their local teams."

    def handle(self, *args, **options):
        areas, teams = areas_load()
        self.stdout.write(f"{areas} areas, {teams} local teams loaded.")
