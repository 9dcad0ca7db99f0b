from django.urls import path
from rest_framework.routers import SimpleRouter

from cases.models import Case
from contacts.models import Contact

from .views import CallAttemptViewSet, CallCorrectionView

router = SimpleRouter()
router.register("calls", CallAttemptViewSet, basename="api-call")

urlpatterns = [
    *router.urls,
    # Any id reaches the view, which answers a JSON 404 for one it cannot find.
    path(
        "cases/<str:pk>/calls/<str:call_id>/correction/",
        CallCorrectionView.as_view(model=Case),
        name="api-case-call-correction",
    ),
    path(
        "contacts/<str:pk>/calls/<str:call_id>/correction/",
        CallCorrectionView.as_view(model=Contact),
        name="api-contact-call-correction",
    ),
]
