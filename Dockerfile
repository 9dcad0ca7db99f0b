FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
# Every process (gunicorn, celery, manage.py) imports the code from /app, with its
# templates, static files and reference data beside it.
ENV PYTHONPATH=/app
WORKDIR /app
COPY . .
RUN pip install --no-cache-dir . \
 && ENVIRONMENT=production SECRET_KEY=collectstatic-only \
    REDIS_URL=redis://redis:6379/1 CELERY_BROKER_URL=redis://redis:6379/0 \
    python manage.py collectstatic --no-input
RUN useradd --create-home tracing && mkdir -p /app/var/beat /app/var/messages && chown -R tracing /app/var
USER tracing
EXPOSE 8000
# The access log shows paths with their tokens masked, no query strings and no
# Referer beyond its path (tracing/log_masking.py).
CMD ["gunicorn", "tracing.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--access-logfile", "-", "--logger-class", "tracing.gunicorn_logging.MaskedLogger"]
