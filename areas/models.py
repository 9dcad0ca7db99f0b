from __future__ import annotations

from django.db import models


class LocalTeam(models.Model):
    """A local public health team (tier 1): by default the upper-tier authority's."""

    code = models.CharField(max_length=16, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    # The team that takes items whose postcode maps to no area; there is one.
    is_fallback = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_fallback"],
                condition=models.Q(is_fallback=True),
                name="one_fallback_team",
            )
        ]

    def __str__(self) -> str:
        return self.name


class AreaQuerySet(models.QuerySet["Area"]):
    def for_code(self, code: str) -> Area | None:
        return self.filter(code=code).select_related("local_team").first()


class Area(models.Model):
    """A lower-tier local authority, from the ONS list."""

    code = models.CharField("ONS code", max_length=9, unique=True)
    name = models.CharField(max_length=200)
    upper_tier_code = models.CharField(max_length=9)
    upper_tier_name = models.CharField(max_length=200)
    local_team = models.ForeignKey(
        LocalTeam, on_delete=models.PROTECT, related_name="areas"
    )
    # Outward codes ("S1", "S10") of the postcodes inside the area, from the ONS
    # Postcode Directory; a district may straddle two areas.
    postcode_districts = models.JSONField(default=list, blank=True)

    objects = AreaQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"
