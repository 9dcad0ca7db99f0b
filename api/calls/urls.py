from rest_framework.routers import SimpleRouter

from .views import CallAttemptViewSet

router = SimpleRouter()
router.register("calls", CallAttemptViewSet, basename="api-call")

urlpatterns = router.urls
