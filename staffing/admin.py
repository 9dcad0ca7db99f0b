from django.contrib import admin

from .models import (
    CallReview,
    HoursCapChange,
    Organisation,
    Shift,
    StaffProfile,
    Team,
    TrainingCompletion,
    TrainingModule,
)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "tier"]
    list_filter = ["tier"]
    search_fields = ["name"]
    autocomplete_fields = ["organisation"]


class TrainingInline(admin.TabularInline):
    model = TrainingCompletion
    extra = 0
    autocomplete_fields = ["module"]


@admin.register(StaffProfile)
class StaffProfileAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "tier",
        "is_supervisor",
        "team",
        "local_team",
        "registration_expires_on",
        "signed_off_at",
        "weekly_hours_cap",
    ]
    list_filter = ["tier", "is_supervisor", "organisation", "registration_body"]
    search_fields = [
        "user__username",
        "user__first_name",
        "user__last_name",
        "=registration_number",
    ]
    list_select_related = ["user", "team", "local_team"]
    autocomplete_fields = ["user", "organisation", "team", "local_team", "languages"]
    raw_id_fields = ["registration_verified_by", "signed_off_by"]
    inlines = [TrainingInline]


@admin.register(HoursCapChange)
class HoursCapChangeAdmin(admin.ModelAdmin):
    list_display = [
        "profile",
        "old_cap",
        "new_cap",
        "reason",
        "changed_by",
        "changed_at",
    ]
    raw_id_fields = ["profile", "changed_by"]


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin):
    list_display = ["__str__", "tier", "team", "staff", "status"]
    list_filter = ["status", "tier", "team"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["staff", "published_by", "cancelled_by"]
    list_select_related = ["team", "staff__user"]
    search_fields = ["staff__user__username", "staff__user__last_name"]
    show_full_result_count = False


@admin.register(TrainingModule)
class TrainingModuleAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "required"]
    list_filter = ["tier", "required"]
    search_fields = ["name"]


@admin.register(CallReview)
class CallReviewAdmin(admin.ModelAdmin):
    list_display = ["call", "reviewer", "reviewed_at", "verdict"]
    list_filter = ["verdict"]
    raw_id_fields = ["call", "reviewer"]
