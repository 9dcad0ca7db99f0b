from django.urls import path

from . import views

app_name = "figures"

urlpatterns = [
    path("", views.weekly, name="weekly"),
    path("weekly.csv", views.weekly_csv, name="weekly_csv"),
]
