from django import forms
from django.contrib import admin, messages
from django.db import transaction

from areas.models import Area, LocalTeam
from areas.services import (
    LocalTeamSaved,
    fallback_team_needed_said,
    local_team_save,
)
from audit.models import AuditEvent
from audit.services import audit_record
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


@admin.register(LocalTeam)
class LocalTeamAdmin(admin.ModelAdmin):
    form = LocalTeamForm
    # The model's box is left out of the form (the form's own stands in for it).
    exclude = ["is_fallback"]
    list_display = ["name", "code", "is_fallback"]
    search_fields = ["name", "code"]
    list_filter = ["is_fallback"]
    inlines = [AreaInline]

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
