from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CaseViewSet, LabResultIntakeView

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="api-case")

urlpatterns = [
    path("test-results/", LabResultIntakeView.as_view(), name="api-test-results"),
    *router.urls,
]
