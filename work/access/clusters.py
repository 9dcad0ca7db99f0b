"""Who may see clusters: the local team of the setting's area, every local team one
of whose cases is in the cluster (each seeing only the cases it may see), and
administrators. Only the team of the setting's area marks a cluster reviewed."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from areas.models import Area
from escalations.models import Cluster

from .actor import Actor
from .cases import cases_visible_to


def clusters_visible_to(who: Actor | Any) -> QuerySet[Cluster]:
    actor = Actor.of(who)
    if actor.sees_everything:
        return Cluster.objects.all()
    team_id = actor.local_team_id
    if team_id is not None:
        # Two indexed lookups: the clusters of the team's areas (cluster_area), and
        # those holding a case the team may see (the cases' links, by case).
        return Cluster.objects.filter(
            Q(area__in=Area.objects.filter(local_team_id=team_id).values("pk"))
            | Q(
                pk__in=Cluster.cases.through.objects.filter(
                    case__in=cases_visible_to(actor)
                ).values("cluster_id")
            )
        )
    return Cluster.objects.none()


def get_cluster_for(who: Actor | Any, pk: Any) -> Cluster:
    try:
        return (
            clusters_visible_to(who)
            .select_related("setting", "area__local_team")
            .get(pk=pk)
        )
    except (Cluster.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such cluster.") from None


def may_review_cluster(who: Actor | Any, cluster: Cluster) -> bool:
    """The team of the setting's area (or an administrator) reviews the cluster:
    one review for all the teams that see it, so another team's marking it would
    take it off that team's new clusters unseen."""
    actor = Actor.of(who)
    if actor.sees_everything:
        return True
    team_id = actor.local_team_id
    return team_id is not None and team_id == cluster.area.local_team_id
