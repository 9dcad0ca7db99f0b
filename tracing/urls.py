from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from pages.desk.urls import case_urls, contact_urls, knowledge_urls
from pages.home import home

from . import views

urlpatterns = [
    path("", home, name="home"),
    path("health/", views.health, name="health"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("", include(case_urls)),
    path("", include(contact_urls)),
    path("", include(knowledge_urls)),
    path("staff/", include("pages.staff.urls")),
    path("local/", include("pages.local.urls")),
    path("api/", include("api.urls")),
]
