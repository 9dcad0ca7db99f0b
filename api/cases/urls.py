from django.urls import path
from rest_framework.routers import SimpleRouter

from cases.models import Case

from ..person_details import PersonDetailsView
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
    # Any id reaches the view, which answers a JSON 404 for one it cannot find.
    path(
        "cases/<str:pk>/person/",
        PersonDetailsView.as_view(model=Case),
        name="api-case-person",
    ),
    *router.urls,
]
