"""The REST API: /api/v1/ for integrations and staff, the schema and its docs."""

from csp.decorators import csp_update
from django.urls import include, path
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

v1 = [
    path("", include(cases_urls)),
    path("", include(contacts_urls)),
    path("", include(calls_urls)),
    path("", include(escalations_urls)),
    path("figures/weekly/", WeeklyFiguresView.as_view(), name="api-figures-weekly"),
    path("notify/receipts/", notify_receipt, name="api-notify-receipt"),
    path("", root.get_api_root_view(), name="api-root"),
]

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
