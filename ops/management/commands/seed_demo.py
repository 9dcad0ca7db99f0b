from django.core.management.base import BaseCommand
from django.utils import timezone

from figures.tasks import capacity_forecast_task
from ops.bulk import bulk_seed
from ops.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = (
        "Create the demo data (idempotent). With --cases N, also bulk-insert N more "
        "cases with their contacts, for benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--demo-cases",
            type=int,
            default=300,
            help="how many worked demo cases to make (default 300)",
        )
        parser.add_argument(
            "--cases",
            type=int,
            default=0,
            help="bulk-insert this many extra cases (3 contacts each)",
        )

    def handle(self, *args, cases: int, demo_cases: int, **options):
        summary = seed_demo(cases=demo_cases)
        self.stdout.write(f"Demo data ready ({summary.cases_created} new demo cases).")
        if cases:
            made = bulk_seed(cases=cases, stdout=self.stdout)
            self.stdout.write(f"Bulk data: {made} cases added.")
        # What the beat makes every five minutes, made now: the supervisor's
        # dashboard shows it from the first sign-in (a cache the web server shares,
        # as `make run` gives both).
        capacity_forecast_task()
        self.stdout.write(f"Capacity forecast made from {timezone.localtime():%H:00}.")
        self.stdout.write(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD}):")
        for username, name in summary.users:
            self.stdout.write(f"  {username:<18} {name}")
