from django.urls import path
from rest_framework.routers import SimpleRouter

from contacts.models import Contact

from ..person_details import PersonDetailsView
from .views import ContactViewSet

router = SimpleRouter()
router.register("contacts", ContactViewSet, basename="api-contact")

urlpatterns = [
    # Any id reaches the view, which answers a JSON 404 for one it cannot find.
    path(
        "contacts/<str:pk>/person/",
        PersonDetailsView.as_view(model=Contact),
        name="api-contact-person",
    ),
    *router.urls,
]
