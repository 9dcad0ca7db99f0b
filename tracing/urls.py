from django.contrib import admin
from django.urls import include, path

from pages.desk.urls import case_urls, contact_urls, knowledge_urls
from pages.home import home

from . import views

urlpatterns = [
    path("", home, name="home"),
    path("health/", views.health, name="health"),
    path("accounts/", include("pages.accounts.urls")),
    path("admin/", admin.site.urls),
    path("", include(case_urls)),
    path("", include(contact_urls)),
    path("", include(knowledge_urls)),
    path("staff/", include("pages.staff.urls")),
    path("local/", include("pages.local.urls")),
    path("figures/", include("pages.figures.urls")),
    path("api/", include("api.urls")),
    path("o/", include("pages.online.urls")),
]

handler400 = "pages.errors.bad_request"
handler403 = "pages.errors.permission_denied"
handler404 = "pages.errors.page_not_found"
handler500 = "pages.errors.server_error"
