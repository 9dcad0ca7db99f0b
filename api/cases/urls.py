from django.urls import path
from rest_framework.routers import SimpleRouter

from .views import CaseViewSet, LabResultIntakeView
from .withdraw import ResultWithdrawalView

router = SimpleRouter()
router.register("cases", CaseViewSet, basename="api-case")

urlpatterns = [
    path("test-results/", LabResultIntakeView.as_view(), name="api-test-results"),
    path(
        "test-results/<path:lab_reference>/withdrawal/",
        ResultWithdrawalView.as_view(),
        name="api-test-result-withdrawal",
    ),
    *router.urls,
]
