"""The app's URLs with bench/load.py's yardsticks beside them (bench/settings_load.py
makes this the root URLconf of the benchmark's server only)."""

from django.urls import path

from tracing.urls import urlpatterns as app_urlpatterns

from . import bare

urlpatterns = [
    path("bench/signed-in/", bare.signed_in, name="bench-signed-in"),
    path("bench/bare/<slug:name>/", bare.replay, name="bench-bare"),
    *app_urlpatterns,
]

# The app's error pages, as the app's root URLconf names them.
handler400 = "pages.errors.bad_request"
handler403 = "pages.errors.permission_denied"
handler404 = "pages.errors.page_not_found"
handler500 = "pages.errors.server_error"
