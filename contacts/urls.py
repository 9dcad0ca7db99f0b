from django.urls import path

from . import views

app_name = "contacts"

urlpatterns = [
    path("contacts/<int:pk>/", views.contact_detail, name="detail"),
    path("contacts/<int:pk>/calls/", views.contact_call, name="call"),
]
