from rest_framework.routers import SimpleRouter

from .views import EscalationViewSet

router = SimpleRouter()
router.register("escalations", EscalationViewSet, basename="api-escalation")

urlpatterns = router.urls
