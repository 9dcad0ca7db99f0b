"""What the figures keep in the database: only the marker of a forgetting of the
cached weekly figures that the cache itself missed (figures/weekly.py)."""

from __future__ import annotations

from django.db import models


class FiguresForgotten(models.Model):
    """The last time the cached weekly figures were forgotten while the cache did not
    answer (Redis down or hung): one row, pk ONE_ROW. Its token is part of every
    cached week's key (figures.weekly.cache_generation), so the figures cached
    before it are never read again once the cache answers, though the cache never
    heard of the forgetting."""

    ONE_ROW = 1

    # A new random token at each forgetting the cache missed.
    token = models.CharField(max_length=32)
    # When (for whoever looks at the row: the keys go by the token).
    at = models.DateTimeField()

    class Meta:
        verbose_name_plural = "figures forgotten"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pk=1), name="figures_forgotten_one_row"
            )
        ]

    def __str__(self) -> str:
        return f"figures forgotten at {self.at:%Y-%m-%d %H:%M:%S}"
