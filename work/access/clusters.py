"""Who may see clusters: the local team of the setting's area, and administrators."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from escalations.models import Cluster

from .actor import Actor


def clusters_visible_to(who: Actor | Any) -> QuerySet[Cluster]:
    actor = Actor.of(who)
    if actor.sees_everything:
        return Cluster.objects.all()
    team_id = actor.local_team_id
    if team_id is not None:
        return Cluster.objects.filter(area__local_team_id=team_id)
    return Cluster.objects.none()


def get_cluster_for(who: Actor | Any, pk: Any) -> Cluster:
    try:
        return clusters_visible_to(who).select_related("setting", "area").get(pk=pk)
    except (Cluster.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such cluster.") from None
