from django.urls import path

from . import views

app_name = "staffing"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("work/", views.work, name="work"),
    path("shifts/", views.my_shifts, name="my_shifts"),
    path("shifts/<int:pk>/book/", views.shift_book, name="shift_book"),
    path("shifts/<int:pk>/release/", views.shift_release, name="shift_release"),
    path("training/", views.my_training, name="my_training"),
    path("team/", views.team, name="team"),
    path("team/<int:pk>/cap/", views.hours_cap, name="hours_cap"),
    path("team/<int:pk>/training/", views.member_training, name="member_training"),
    path("team/<int:pk>/sign-off/", views.sign_off, name="sign_off"),
    path("team/shifts/", views.team_shifts, name="team_shifts"),
    path("team/shifts/publish/", views.shifts_publish, name="shifts_publish"),
    path("team/shifts/<int:pk>/cancel/", views.shift_cancel, name="shift_cancel"),
    path("registrations/", views.registrations, name="registrations"),
    path(
        "registrations/<int:pk>/verify/",
        views.registration_verify,
        name="registration_verify",
    ),
    path("reviews/", views.reviews, name="reviews"),
    path("reviews/<int:pk>/", views.review, name="review"),
    path("utilisation/", views.utilisation, name="utilisation"),
    path("utilisation.csv", views.utilisation_csv, name="utilisation_csv"),
]
