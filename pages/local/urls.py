from django.urls import path

from . import contacts, details, views

app_name = "escalations"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("complex/", views.complex_cases, name="complex"),
    path("export.csv", views.export_csv, name="export"),
    path("escalations/<int:pk>/", views.escalation_detail, name="detail"),
    path("escalations/<int:pk>/claim/", views.escalation_claim_view, name="claim"),
    path("escalations/<int:pk>/action/", views.escalation_action_view, name="action"),
    path("escalations/<int:pk>/close/", views.escalation_close_view, name="close"),
    path("escalations/<int:pk>/return/", views.escalation_return_view, name="return"),
    path(
        "escalations/<int:pk>/contacts/",
        contacts.escalation_contacts_view,
        name="contacts",
    ),
    path(
        "escalations/<int:pk>/details/",
        details.escalation_details_view,
        name="details",
    ),
    path("escalations/<int:pk>/reopen/", views.escalation_reopen_view, name="reopen"),
    path(
        "escalations/<int:pk>/reassign/",
        views.escalation_reassign_view,
        name="reassign",
    ),
    path("clusters/", views.cluster_list, name="clusters"),
    path("clusters/<int:pk>/", views.cluster_detail, name="cluster"),
    path(
        "clusters/<int:pk>/reviewed/",
        views.cluster_reviewed_view,
        name="cluster_reviewed",
    ),
]
