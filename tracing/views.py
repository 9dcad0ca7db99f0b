import logging

from django.conf import settings
from django.db import DatabaseError, connection, connections
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from figures.replica import REPLICA, replica_answers

logger = logging.getLogger(__name__)

# The Redis check may not hold up a load balancer's probe for longer than this.
REDIS_CHECK_TIMEOUT_SECONDS = 1.0


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        logger.warning("Health check: the database does not answer (%s).", exc)
        return False
    return True


def _cache_state() -> str:
    """ "ok" or "unreachable" for Redis; "local" when there is none (the embedded
    default's in-process cache)."""
    if not settings.REDIS_URL:
        return "local"
    import redis  # noqa: PLC0415 - only deployments with Redis have it in use

    client = redis.Redis.from_url(
        settings.REDIS_URL,
        socket_connect_timeout=REDIS_CHECK_TIMEOUT_SECONDS,
        socket_timeout=REDIS_CHECK_TIMEOUT_SECONDS,
    )
    try:
        client.ping()
    except (redis.RedisError, OSError) as exc:
        logger.warning("Health check: Redis does not answer (%s).", exc)
        return "unreachable"
    finally:
        client.close()
    return "ok"


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and compose health checks.

    200 while the database answers, "degraded" when Redis does not (rate limits are
    then off, the work goes on) or the read replica does not (its readers read the
    primary); 503 when the database does not answer.
    """
    if not _database_answers():
        return JsonResponse(
            {
                "status": "down",
                "database": "unreachable",
                "cache": _cache_state(),
            },
            status=503,
        )
    cache = _cache_state()
    answer = {"status": "ok", "database": "ok", "cache": cache}
    if cache == "unreachable":
        answer["status"] = "degraded"
    if REPLICA in connections:
        # Down, the figures, exports and searches read the primary instead.
        answer["replica"] = "ok" if replica_answers() else "unreachable"
        if answer["replica"] == "unreachable":
            answer["status"] = "degraded"
    return JsonResponse(answer)
