"""Capacity: the next 14 days' work forecast by the hour against the rota, per tier
(England, or one local team's areas), and open slots published for the short hours
through the shift service, after a confirm step. National supervisors only
(`supervisor_profile`), as every staffing page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from figures import capacity as cap
from figures import capacity_selectors
from figures import capacity_slots as slots_of
from figures.capacity_publish import gap_slots_now, gap_slots_publish
from figures.forecast import INTERVAL, DailyForecast
from staffing.access import supervisor_profile
from staffing.models import StaffProfile
from staffing.services import StaffingRefused

from ..typed import put_typing_back
from .capacity_chart import capacity_chart
from .capacity_forms import CapacityScopeForm, GapSlotsForm

# The dashboard's summary looks this far ahead.
DASHBOARD_HOURS = 48
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SLOTS_REASON = "capacity gap"


def _trend(daily: DailyForecast) -> str:
    change = (daily.growth - 1) * 100
    if abs(change) < 0.05:
        return "Flat"
    days = daily.doubling_days
    way = "doubling" if change > 0 else "halving"
    return f"{change:+.1f}% a day ({way} in {abs(days or 0):.0f} days)"


def _inputs(forecast: cap.WorkForecast) -> list[tuple[str, str, bool]]:
    """What the forecast was made from: (what, the value, measured or the default)."""
    h = forecast.history
    days = len(forecast.history_days) or 1
    rows = [
        (
            f"Cases in the last {days} days",
            f"{h.cases:,} ({h.cases / days:,.1f} a day)",
            True,
        ),
        (
            "Trend of the last two weeks",
            _trend(forecast.daily) if forecast.daily.trend_measured else "Flat",
            forecast.daily.trend_measured,
        ),
        (
            "Weekday pattern (1.00 an average day)",
            ", ".join(
                f"{WEEKDAYS[i]} {f:.2f}"
                for i, f in enumerate(forecast.daily.weekday_factors)
            ),
            forecast.daily.weekdays_measured,
        ),
        (
            "Hour of day cases arrive",
            "measured" if forecast.case_profile_measured else "the default day",
            forecast.case_profile_measured,
        ),
        (
            f"Contacts per case, last {cap.CONTACT_HISTORY_DAYS} days",
            f"{h.contacts_per_case:.2f}",
            h.contacts_per_case_measured,
        ),
    ]
    for tier in cap.TIERS:
        work = forecast.tiers[tier]
        rows.append(
            (
                f"{work.kind.capitalize()}s waiting now, not yet reached",
                f"{work.waiting:,} (needing {work.waiting_calls:,.0f} calls)",
                True,
            )
        )
    for kind in ("case", "contact"):
        rows.append(
            (
                f"Calls per {kind} reached, escalated or closed, "
                f"last {cap.CALL_HISTORY_DAYS} days",
                f"{h.attempts_per_item[kind]:.2f}",
                h.attempts_measured[kind],
            )
        )
    for tier in cap.TIERS:
        handling = h.handling[tier]
        rows.append(
            (
                f"Minutes per call, tier {int(tier)} (talk and write-up), "
                f"last {cap.CALL_HISTORY_DAYS} days",
                f"{handling.minutes_per_call:.1f} ({handling.calls:,} calls)",
                handling.measured,
            )
        )
    for kind in ("case", "contact"):
        rows.append(
            (
                f"Share of {kind}s escalated to a local team, last "
                f"{cap.CONTACT_HISTORY_DAYS} days",
                f"{100 * h.escalated_share[kind]:.0f}%",
                h.escalated_measured[kind],
            )
        )
    return rows


def _common(now) -> dict[str, Any]:
    return {
        "occupancy": round(100 * settings.TRACING_CAPACITY_OCCUPANCY),
        "tolerance": round(100 * settings.TRACING_CAPACITY_TOLERANCE),
        "interval": round(100 * INTERVAL),
        "refresh_minutes": max(1, settings.TRACING_CAPACITY_CACHE_SECONDS // 60),
        "now": now,
    }


def _team_tier(supervisor: StaffProfile) -> int | None:
    """The tier the supervisor's team works, when slots can be published for it."""
    team = supervisor.team
    return team.tier if team is not None and team.tier in cap.TIERS else None


@login_required
@require_GET
def capacity(request: HttpRequest) -> HttpResponse:
    supervisor = supervisor_profile(request.user)
    now = timezone.now()
    earliest, latest = capacity_selectors.horizon_days(now)
    scope = CapacityScopeForm(request.GET or None, earliest=earliest, latest=latest)
    local_team = scope.local_team()
    day = scope.chosen_day()
    plan = capacity_selectors.capacity(now=now, local_team=local_team)
    label = local_team.name if local_team is not None else "England"
    slots_form = GapSlotsForm(
        initial={"first_day": earliest, "last_day": earliest + timedelta(days=1)},
        earliest=earliest,
        latest=latest,
    )
    put_typing_back(request, slots_form, action=reverse("staffing:capacity_slots"))
    team_tier = _team_tier(supervisor)
    return TemplateResponse(
        request,
        "staffing/capacity.html",
        {
            "supervisor": supervisor,
            "scope": scope,
            "scope_label": label,
            "plan": plan,
            "sections": [
                (
                    plan.tiers[t],
                    capacity_chart(plan.tiers[t], scope=label),
                    [h for h in plan.tiers[t].hours if h.local.date() == day],
                )
                for t in cap.TIERS
            ],
            "day": day,
            "day_asked": bool(request.GET.get("day")),
            "team_query": f"team={local_team.pk}&" if local_team else "",
            "inputs": _inputs(plan.forecast),
            "outcomes": [
                (tier, o)
                for tier in cap.TIERS
                for o in plan.forecast.history.handling[tier].by_outcome
            ],
            "defaults": plan.forecast.defaults_used,
            "summaries": plan.summaries(DASHBOARD_HOURS) if plan.gap_known else [],
            "slots_form": slots_form,
            "team_tier": team_tier,
            "team_tier_label": cap.TIER_LABELS[team_tier] if team_tier else "",
            **_common(now),
        },
    )


@login_required
@require_POST
def capacity_slots(request: HttpRequest) -> HttpResponse:
    """Open slots for the short hours of the days chosen, for the supervisor's team:
    first what would be published (and what the weekly caps leave), then, confirmed
    with the same slots, published through the shift service."""
    supervisor = supervisor_profile(request.user)
    team_tier = _team_tier(supervisor)
    if supervisor.team is None or team_tier is None:
        messages.error(
            request, "You are not attached to a tier 2 or 3 team to publish slots for."
        )
        return redirect("staffing:capacity")
    now = timezone.now()
    earliest, latest = capacity_selectors.horizon_days(now)
    form = GapSlotsForm(request.POST, earliest=earliest, latest=latest)
    context: dict[str, Any] = {
        "supervisor": supervisor,
        "form": form,
        "team_tier_label": cap.TIER_LABELS[team_tier],
        **_common(now),
    }
    if not form.is_valid():
        return TemplateResponse(request, "staffing/capacity_slots.html", context)
    days = {
        "first_day": form.cleaned_data["first_day"],
        "last_day": form.cleaned_data["last_day"],
    }
    slots = gap_slots_now(team_tier, **days, now=now)
    digest = slots_of.slots_digest(slots)
    confirmed = form.cleaned_data["confirm"]
    if confirmed and slots and form.cleaned_data["plan"] == digest:
        try:
            shifts = gap_slots_publish(
                team=supervisor.team,
                tier=team_tier,
                **days,
                digest=form.cleaned_data["plan"],
                by=request.user,
                now=now,
                reason=SLOTS_REASON,
            )
        except StaffingRefused as exc:
            form.add_error(None, str(exc))
            shifts = None
        if shifts is None:
            # The gap moved since it was shown (a confirm sent twice finds it
            # covered by the first): shown again, as it is now.
            slots = gap_slots_now(team_tier, **days, now=now)
            digest = slots_of.slots_digest(slots)
        else:
            hours = sum(s.hours for s in shifts)
            messages.success(
                request,
                f"Published {len(shifts)} open slots ({hours:g} hours) for "
                f"{supervisor.team} to cover the gap.",
            )
            return redirect("staffing:capacity")
    context.update(
        {
            "slots": slots,
            "slot_count": sum(s.count for s in slots),
            "slot_hours": sum(s.hours * s.count for s in slots),
            "checks": capacity_selectors.cap_checks(supervisor, slots, now=now),
            "ceiling": settings.TRACING_WEEKLY_HOURS_CEILING,
            "digest": digest,
            # Confirmed, but the gap moved since the page was shown: show it again.
            "changed": confirmed and form.cleaned_data["plan"] != digest,
            # A refusal of the shift service is the form's error: the days again.
            "previewed": not form.errors,
        }
    )
    return TemplateResponse(request, "staffing/capacity_slots.html", context)
