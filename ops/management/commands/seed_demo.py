from django.core.management.base import BaseCommand

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
        self.stdout.write(f"\nDemo sign-ins (password for all: {DEMO_PASSWORD}):")
        for username, name in summary.users:
            self.stdout.write(f"  {username:<18} {name}")
