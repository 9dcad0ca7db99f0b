import os

from celery import Celery
from kombu.transport import TRANSPORT_ALIASES

# "filesystem://" (the embedded default) is kombu's transport with whole writes.
TRANSPORT_ALIASES["filesystem"] = "tracing.broker:Transport"

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tracing.settings")

app = Celery("tracing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
