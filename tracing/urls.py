from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("health/", views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include("cases.urls")),
    path("", include("contacts.urls")),
    path("", include("calls.urls")),
    path("staff/", include("staffing.urls")),
    path("local/", include("escalations.urls")),
    path("api/", include("tracing.api_urls")),
]
