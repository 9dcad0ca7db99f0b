from django.urls import path

from . import views

app_name = "calls"

urlpatterns = [
    path("knowledge/", views.knowledge_search, name="knowledge"),
]
