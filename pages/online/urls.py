"""The pages a link in a text or email opens (namespace "online"): /o/<token>/."""

from django.urls import path

from . import views

app_name = "online"

urlpatterns = [
    path("<str:token>/", views.link, name="link"),
]
