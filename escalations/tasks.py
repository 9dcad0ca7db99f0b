"""The local teams' beat task: the cluster search, on the `escalation` queue."""

from __future__ import annotations

from celery import shared_task

from .clusters import clusters_detect


@shared_task(name="escalations.tasks.detect_clusters_task")
def detect_clusters_task() -> dict[str, int]:
    """The beat's cluster search; idempotent, so a repeated run records nothing new."""
    report = clusters_detect()
    return {"created": report.created, "cases_added": report.cases_added}
