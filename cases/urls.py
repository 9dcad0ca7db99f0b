from django.urls import path

from . import views

app_name = "cases"

urlpatterns = [
    path("work/", views.my_work, name="queue"),
    path("work/next/", views.next_item, name="next"),
    path("cases/<int:pk>/", views.case_detail, name="detail"),
    path("cases/<int:pk>/calls/", views.case_call, name="call"),
    path("cases/<int:pk>/assessment/", views.case_assessment, name="assessment"),
    path("cases/<int:pk>/contacts/", views.case_contacts, name="contacts"),
    path("cases/<int:pk>/visits/", views.case_visit, name="visit"),
    path("cases/<int:pk>/complete/", views.case_complete, name="complete"),
]
