"""The REST API: /api/v1/ for integrations and staff, the schema and its docs."""

from __future__ import annotations

from collections.abc import Callable

from csp.decorators import csp_update
from django.urls import URLPattern, include, path, re_path
from django.urls.resolvers import RoutePattern
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)
from rest_framework.routers import DefaultRouter

from .calls import urls as calls_urls
from .cases import urls as cases_urls
from .contacts import urls as contacts_urls
from .escalations import urls as escalations_urls
from .figures import WeeklyFiguresView
from .notify_callback import notify_receipt

# One browsable root listing every resource; each resource keeps its registrations.
root = DefaultRouter()
for resource_urls in (cases_urls, contacts_urls, calls_urls, escalations_urls):
    root.registry.extend(resource_urls.router.registry)


def unlisted(view: Callable) -> Callable:
    """The view under a second path: the same answer, left out of the schema, whose
    generator lists only DRF's views (this plain function is not one), so each
    operation is documented once, at its slashed path."""

    def answer(request, *args, **kwargs):
        return view(request, *args, **kwargs)

    return csrf_exempt(answer) if getattr(view, "csrf_exempt", False) else answer


def slash_optional(routes: list[URLPattern]) -> list[URLPattern]:
    """The routes, and each ending in a slash again without it, to the same view.

    Clients leave the slash off (POST /api/v1/test-results), and Django's
    APPEND_SLASH cannot redirect a POST: a 500 in development, in production a 301
    that clients follow with a GET, answered 405, and the result was never recorded.
    The slashed route stays the named one, so the links the API gives (and reverse())
    keep their slash: a route `/?` would reverse without it."""
    made = []
    for route in routes:
        made.append(route)
        text = str(route.pattern)
        if isinstance(route.pattern, RoutePattern) and text.endswith("/"):
            made.append(path(text[:-1], unlisted(route.callback), route.default_args))
        elif text.endswith("/$"):
            made.append(
                re_path(text[:-2] + "$", unlisted(route.callback), route.default_args)
            )
    return made


v1 = slash_optional(
    [
        *cases_urls.urlpatterns,
        *contacts_urls.urlpatterns,
        *calls_urls.urlpatterns,
        *escalations_urls.urlpatterns,
        path("figures/weekly/", WeeklyFiguresView.as_view(), name="api-figures-weekly"),
        path("notify/receipts/", notify_receipt, name="api-notify-receipt"),
        path("", root.get_api_root_view(), name="api-root"),
    ]
)
urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI's start-up script is served as a file (no inline script); Redoc styles
    # itself inline and draws in a worker, so its own page is allowed both.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path(
        "redoc/",
        csp_update(
            {"style-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]}
        )(SpectacularRedocView.as_view(url_name="api-schema")),
        name="api-redoc",
    ),
]
