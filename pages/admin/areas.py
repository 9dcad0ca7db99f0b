from django.contrib import admin

from areas.models import Area, LocalTeam
from staffing.services import area_save


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
        """Saved by the staffing service, in the admin's transaction: a move to
        another local team is audited."""
        area_save(area=obj, by=request.user)
