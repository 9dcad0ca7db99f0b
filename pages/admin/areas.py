from dataclasses import dataclass

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.http import urlencode

from areas.models import Area, LocalTeam
from areas.services import (
    LocalTeamSaved,
    fallback_team_needed_said,
    local_team_save,
)
from audit.models import AuditEvent
from audit.services import audit_record
from figures.local_staffing import OPEN, UNSTAFFED, unstaffed_local_teams, with_staffing
from figures.weekly import forget_cached_figures
from work.areas import AreaSaved, area_save


class AreaInline(admin.TabularInline):
    model = Area
    fields = ["code", "name"]
    readonly_fields = ["code", "name"]
    extra = 0
    can_delete = False
    show_change_link = True


class LocalTeamForm(forms.ModelForm):
    """A local team; its "Is fallback" box is the form's own, saved by
    `local_team_save`: ticked, the fallback moves to this team in one step (the
    database allows one at a time, so checking the model's constraint here refused
    it); unticked on the fallback team, refused, there must always be one. The box
    as drawn is sent back hidden, and only a change from it counts: a form drawn
    before the fallback moved does not move it back."""

    is_fallback = forms.BooleanField(
        required=False,
        label="Is fallback",
        show_hidden_initial=True,
        help_text=(
            "The team the work of people in no area of the service goes to: there "
            "is always one. Tick it here to make this team the fallback in place of "
            "the one now."
        ),
    )

    class Meta:
        model = LocalTeam
        fields = ["code", "name", "email"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_fallback"].initial = self.instance.is_fallback

    def fallback_asked(self) -> bool | None:
        """The box as changed on the form (None: left as it was drawn)."""
        if "is_fallback" not in self.changed_data:
            return None
        return self.cleaned_data["is_fallback"]

    def clean(self):
        cleaned = super().clean()
        if self.instance.is_fallback and self.fallback_asked() is False:
            self.add_error("is_fallback", fallback_team_needed_said(self.instance))
        return cleaned


class StaffingFilter(admin.SimpleListFilter):
    """The teams whose open escalations nobody can see, to staff them first."""

    title = "staffing"
    parameter_name = "staffing"

    def lookups(self, request, model_admin):
        return [("unstaffed", "Open escalations, no active member")]

    def queryset(self, request, queryset):
        if self.value() == "unstaffed":
            return queryset.filter(UNSTAFFED)
        return queryset


@admin.register(LocalTeam)
class LocalTeamAdmin(admin.ModelAdmin):
    """The local teams, each with its active members and open work: a team with open
    escalations and no active member is flagged (nobody else sees its escalations)."""

    form = LocalTeamForm
    # The model's box is left out of the form (the form's own stands in for it).
    exclude = ["is_fallback"]
    list_display = [
        "name",
        "code",
        "is_fallback",
        "active_members",
        "open_escalations",
        "overdue_escalations",
    ]
    search_fields = ["name", "code"]
    list_filter = ["is_fallback", StaffingFilter]
    inlines = [AreaInline]

    def get_queryset(self, request):
        """Each team with its counts, read in the list's own query (no query per
        team), so the columns sort and filter in the database."""
        return with_staffing(super().get_queryset(request))

    @admin.display(description="Active members", ordering="active_members")
    def active_members(self, team: LocalTeam):
        if team.open_escalations and not team.active_members:
            return format_html(
                "<strong>{}: nobody can work its open escalations</strong>", 0
            )
        return team.active_members

    @admin.display(description="Open escalations", ordering="open_escalations")
    def open_escalations(self, team: LocalTeam):
        if not team.open_escalations:
            return 0
        return format_html(
            '<a href="{}">{}</a>', open_escalations_url(team), team.open_escalations
        )

    @admin.display(description="Overdue", ordering="overdue_escalations")
    def overdue_escalations(self, team: LocalTeam) -> int:
        return team.overdue_escalations

    def has_delete_permission(self, request, obj=None) -> bool:
        """The fallback team is never deleted (there must always be one)."""
        if obj is not None and obj.is_fallback:
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        """Saved by `local_team_save`, in the admin's transaction: a move of the
        fallback is audited on both teams, as the administrator's."""
        saved = local_team_save(team=obj, fallback=form.fallback_asked())
        if not saved.became_fallback:
            return
        _fallback_moved_audited(saved, team=obj, by=request.user)
        # The cached weekly figures counted the items of no area for the old team.
        transaction.on_commit(forget_cached_figures)
        self.message_user(request, _fallback_moved(obj, saved), messages.INFO)


def open_escalations_url(team: LocalTeam) -> str:
    """The team's open escalations, in the admin's list of escalations."""
    query = urlencode({"local_team__id__exact": team.pk, "status__in": ",".join(OPEN)})
    return f"{reverse('admin:escalations_escalation_changelist')}?{query}"


@dataclass(frozen=True)
class UnstaffedTeam:
    """A team the admin's home page warns of, with where to act on it."""

    name: str
    open: int
    overdue: int
    team_url: str
    open_url: str
    members_url: str


def unstaffed_teams_said(request) -> list[UnstaffedTeam]:
    """The local teams with open escalations and no active member, for those who may
    see the teams (the administrators, who staff them); one query."""
    if not request.user.has_perm("areas.view_localteam"):
        return []
    members = reverse("admin:staffing_staffprofile_changelist")
    return [
        UnstaffedTeam(
            name=team.name,
            open=team.open_escalations,
            overdue=team.overdue_escalations,
            team_url=reverse("admin:areas_localteam_change", args=[team.pk]),
            open_url=open_escalations_url(team),
            members_url=f"{members}?{urlencode({'local_team__id__exact': team.pk})}",
        )
        for team in unstaffed_local_teams(now=timezone.now())
    ]


_admin_index = admin.site.index


def _admin_index_warning_of_unstaffed_teams(request, extra_context=None):
    """The admin's home page (templates/admin/index.html), naming at its top each
    local team with open escalations and no active member: nobody else would notice
    (national supervisors do not see escalations). The site's own view, with its
    access rules, draws it."""
    context = {
        "unstaffed_teams": unstaffed_teams_said(request),
        **(extra_context or {}),
    }
    return _admin_index(request, extra_context=context)


# Before the site's URLs are read (the admin's autodiscovery imports this module).
admin.site.index = _admin_index_warning_of_unstaffed_teams  # type: ignore[method-assign]


def _fallback_moved_audited(saved: LocalTeamSaved, *, team: LocalTeam, by) -> None:
    """One event on each team, old and new, as an area's move is audited."""
    before = saved.fallback_before
    moved = {
        "from": None if before is None else before.pk,
        "to": team.pk,
        "from_name": None if before is None else before.name,
        "to_name": team.name,
    }
    for changed, was in ((before, True), (team, False)):
        if changed is None:
            continue
        audit_record(
            user=by,
            action=AuditEvent.Action.UPDATE,
            obj=changed,
            detail={"is_fallback": {"from": was, "to": not was}, "fallback": moved},
        )


def _fallback_moved(team: LocalTeam, saved: LocalTeamSaved) -> str:
    """ "Leeds Public Health is now the fallback team, in place of Regional Health
    Protection (no area found) (unticked): ..." """
    before = saved.fallback_before
    said = f"{team.name} is now the fallback team"
    if before is not None:
        said += f", in place of {before.name} (unticked)"
    said += (
        f": the work of people in no area of the service is escalated to {team.name} "
        "from now on"
    )
    if before is not None:
        said += f"; escalations already open stay in {before.name}'s queue"
    return said + "."


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
