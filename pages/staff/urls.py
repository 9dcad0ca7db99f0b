from django.urls import path

from . import (
    audit,
    capacity,
    dashboard,
    duplicates,
    people,
    results_upload,
    rota,
    team,
    utilisation,
)

app_name = "staffing"

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
    path("work/", dashboard.work, name="work"),
    path("shifts/", rota.my_shifts, name="my_shifts"),
    path("shifts/<int:pk>/book/", rota.shift_book, name="shift_book"),
    path("shifts/<int:pk>/release/", rota.shift_release, name="shift_release"),
    path("training/", team.my_training, name="my_training"),
    path("team/", team.team, name="team"),
    path("team/<int:pk>/cap/", team.hours_cap, name="hours_cap"),
    path("team/<int:pk>/training/", team.member_training, name="member_training"),
    path("team/<int:pk>/sign-off/", team.sign_off, name="sign_off"),
    path("team/shifts/", rota.team_shifts, name="team_shifts"),
    path("team/shifts/publish/", rota.shifts_publish, name="shifts_publish"),
    path("team/shifts/<int:pk>/cancel/", rota.shift_cancel, name="shift_cancel"),
    path("registrations/", team.registrations, name="registrations"),
    path(
        "registrations/<int:pk>/verify/",
        team.registration_verify,
        name="registration_verify",
    ),
    path("reviews/", team.reviews, name="reviews"),
    path("reviews/<int:pk>/", team.review, name="review"),
    path("utilisation/", utilisation.utilisation, name="utilisation"),
    path("utilisation.csv", utilisation.utilisation_csv, name="utilisation_csv"),
    path("capacity/", capacity.capacity, name="capacity"),
    path("capacity/slots/", capacity.capacity_slots, name="capacity_slots"),
    path("people/<int:pk>/audit/", audit.person_audit, name="person_audit"),
    path("audit/", audit.audit_search_view, name="audit_search"),
    path("people/", people.people_search_view, name="people_search"),
    path("duplicates/", duplicates.duplicates, name="duplicates"),
    path("duplicates/<int:pk>/", duplicates.duplicate, name="duplicate"),
    path(
        "duplicates/<int:pk>/merge/",
        duplicates.duplicate_merge,
        name="duplicate_merge",
    ),
    path(
        "duplicates/<int:pk>/not-same/",
        duplicates.duplicate_not_same,
        name="duplicate_not_same",
    ),
    path("results/upload/", results_upload.results_upload, name="results_upload"),
    path(
        "results/upload/confirm/",
        results_upload.results_upload_confirm_view,
        name="results_upload_confirm",
    ),
    path(
        "results/upload/done/",
        results_upload.results_upload_done,
        name="results_upload_done",
    ),
]
