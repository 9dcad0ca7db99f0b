from django.urls import path

from .api import WeeklyFiguresView

urlpatterns = [
    path("figures/weekly/", WeeklyFiguresView.as_view(), name="api-figures-weekly"),
]
