"""The REST API: /api/v1/ for integrations and staff, the schema and its docs."""

from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from rest_framework.routers import DefaultRouter

from calls.api import urls as calls_urls
from cases.api import urls as cases_urls
from contacts.api import urls as contacts_urls
from escalations.api import urls as escalations_urls

# One browsable root listing every resource; each app keeps its own registrations.
root = DefaultRouter()
for app_urls in (cases_urls, contacts_urls, calls_urls, escalations_urls):
    root.registry.extend(app_urls.router.registry)

v1 = [
    path("", include("cases.api.urls")),
    path("", include("contacts.api.urls")),
    path("", include("calls.api.urls")),
    path("", include("escalations.api.urls")),
    path("", include("figures.urls")),
    path("", root.get_api_root_view(), name="api-root"),
]

urlpatterns = [
    path("v1/", include(v1)),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"
    ),
    path(
        "redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"
    ),
]
