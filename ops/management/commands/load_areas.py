from django.core.management.base import BaseCommand

from areas.services import areas_load
from figures.weekly import forget_cached_figures
from work.areas import areas_outside_service_prune

# Said once after the lines of what is kept: what keeps it, and that its open work
# is already where it is worked (the command moved it), so nothing is asked of the
# administrator.
KEPT_ADVICE = (
    "These stay because records name them: a person keeps the area of their "
    "address as it was recorded, and cases, contacts and escalations, closed ones "
    "as history, keep the area and team they were worked in. Those records are not "
    "to be moved. Each kept area is served by the team named above (one an "
    "administrator moved stays where they put it), and its open escalations, with "
    "their cases and contacts, are with that team: nothing is needed from you for "
    "open work."
)


class Command(BaseCommand):
    help = (
        "Create the missing ONS areas of England and their local teams, and remove "
        "those outside the service (Wales, the counties replaced in 2019-2023) where "
        "nothing refers to them. One kept for its records goes to the team serving "
        "its people now (a replaced district to its new authority's, a Welsh one to "
        "the fallback team), its open escalations with it; so does a replaced "
        "district an earlier load gave the fallback team. Safe to run again: an "
        "area moved to another team in the admin stays there."
    )

    def handle(self, *args, **options):
        areas, teams = areas_load()
        # Here, not in areas: moving a kept area's open escalations is the work
        # core's (work.areas), which the areas app may not import.
        kept = areas_outside_service_prune()
        if kept:
            # An area kept may have moved team, its work with it: the teams' cached
            # figures are worked out again, as after a move in the admin.
            forget_cached_figures()
        self.stdout.write(f"{areas} areas, {teams} local teams loaded.")
        for line in kept:
            self.stdout.write(f"Kept, as records refer to it: {line}.")
        if kept:
            self.stdout.write(KEPT_ADVICE)
