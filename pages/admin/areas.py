from django.contrib import admin, messages
from django.db import transaction

from areas.models import Area, LocalTeam
from figures.weekly import forget_cached_figures
from work.areas import AreaSaved, area_save


class AreaInline(admin.TabularInline):
    model = Area
    fields = ["code", "name"]
    readonly_fields = ["code", "name"]
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(LocalTeam)
class LocalTeamAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_fallback"]
    search_fields = ["name", "code"]
    list_filter = ["is_fallback"]
    inlines = [AreaInline]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "upper_tier_name", "local_team"]
    search_fields = ["name", "code", "upper_tier_name"]
    list_select_related = ["local_team"]
    autocomplete_fields = ["local_team"]

    def save_model(self, request, obj, form, change):
        """Saved by the work core, in the admin's transaction: a move to another
        local team is audited, and the area's open escalations go with it."""
        saved = area_save(area=obj, by=request.user)
        if saved.moved_to is not None:
            # The cached weekly figures counted the area's items for its old team
            # (the teams' cases would not add up to England's). Once committed: a
            # reader before that would cache the old team's figures anew.
            transaction.on_commit(forget_cached_figures)
            self.message_user(request, _escalations_moved(obj, saved), messages.INFO)


def _escalations_moved(area: Area, saved: AreaSaved) -> str:
    """ "Moved 2 open escalations of City of London to Hackney Public Health's
    queue, as new (1 had been picked up at the old team)." """
    team = saved.moved_to
    n = saved.escalations_moved
    if not n:
        return f"{area.name} had no open escalations: none moved to {team}."
    said = (
        f"Moved {n} open escalation{'' if n == 1 else 's'} of {area.name} to "
        f"{team}'s queue, as new"
    )
    if saved.given_back:
        said += f" ({saved.given_back} had been picked up at the old team)"
    return said + "."
