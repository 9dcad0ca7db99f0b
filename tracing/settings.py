"""Settings for the contact-tracing service, read from the environment.

Safe local defaults (SQLite, a filesystem broker, the local-memory cache) let `make run`
work on a machine with no servers; production sets DATABASE_URL, CELERY_BROKER_URL,
REDIS_URL, SECRET_KEY and ALLOWED_HOSTS.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()

# "production" turns on every safeguard and demands real secrets; "development" (the
# default, used by `make run` and the tests) works with no configuration at all.
ENVIRONMENT = env.str("ENVIRONMENT", default="development")
if ENVIRONMENT not in ("development", "production"):
    raise ImproperlyConfigured("ENVIRONMENT must be 'development' or 'production'.")
PRODUCTION = ENVIRONMENT == "production"
DEBUG = env.bool("DEBUG", default=not PRODUCTION)
SECRET_KEY = env.str(
    "SECRET_KEY",
    default="" if PRODUCTION else "dev-only-insecure-key-never-used-in-production",
)
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production.")
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off in production.")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# A form from a tab older than signing in again comes back with what was typed
# (pages/accounts/csrf.py), never Django's bare page.
CSRF_FAILURE_VIEW = "pages.accounts.csrf.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Its widget templates, found by FORM_RENDERER below after the project's own.
    "django.forms",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "phonenumber_field",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "areas",
    "audit",
    "people",
    "notify",
    "calls",
    "staffing",
    "cases",
    "contacts",
    "escalations",
    "online",
    "figures",
    "accounts",
    "work",
    "retention",
    "api",
    "pages",
    "ops",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: the site's files keep their own caching.
    "pages.accounts.middleware.not_kept_in_caches",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After the session middleware, so that what it marks is saved.
    "pages.accounts.middleware.session_touched",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "pages.accounts.middleware.two_factor_required",
    "pages.accounts.middleware.signed_out_gracefully",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it answers a locked-out sign-in.
    "axes.middleware.AxesMiddleware",
]

# Sign-in: locked out after repeated failures, by username and by address
# (django-axes); the database keeps the counts, so a Redis outage cannot open it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("SIGN_IN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("SIGN_IN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Not axes' own reset on success: it forgets every failure of the address (of the
# username or the address, as the lockout counts them), so a guesser signing in to
# an account of their own between guesses at another's was never locked out. A
# sign-in forgets its own username's failures only (accounts/signals.py).
AXES_RESET_ON_SUCCESS = False
AXES_LOCKOUT_CALLABLE = "pages.accounts.views.locked_out"
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_VERBOSE = False
# Our admin shows the lockouts read only, and lifts them through an audited action.
AXES_ENABLE_ADMIN = False
# Behind trusted proxies, the client's address is the one the nearest of them adds
# to X-Forwarded-For (with none, the header is the client's own word: ignored). One
# reading of it for the sign-in lockout and the link pages' limit: axes' own needs
# django-ipware, which we do not install, and saw only the proxy's address.
TRACING_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "pages.online.limits.sign_in_address"

# Two-factor sign-in (TOTP, django-otp): required for these roles ("supervisor",
# "local", "admin", or "all"); others may enrol.
TRACING_TWO_FACTOR_REQUIRED_FOR = env.list(
    "TWO_FACTOR_REQUIRED_FOR", default=["supervisor", "local", "admin"]
)
OTP_TOTP_ISSUER = "NHS contact tracing"
# The admin never shows an authenticator's key (nor its QR code): an administrator
# who could copy it could give anyone's second factor.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
TRACING_RECOVERY_CODES = 10

# A password reset link works once, for an hour.
PASSWORD_RESET_TIMEOUT = 60 * 60

ROOT_URLCONF = "tracing.urls"
WSGI_APPLICATION = "tracing.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pages.context.layout",
            ],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
}
# A read replica (a PostgreSQL hot standby of the primary) for the reads that may be
# a few seconds behind: the figures, the exports and the people search, inside
# figures.replica.replica_reads(); every other read and every write is the primary's.
# Unset: one database, as before.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db_url_config(DATABASE_REPLICA_URL)
    # A test run makes no replica: the alias reads the test database (committed
    # rows only: it is a connection of its own, as a replica's would be).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    # A replica that is down is passed by (figures/replica.py): it must say so fast.
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    DATABASE_ROUTERS = ["figures.replica.ReplicaRouter"]
# The embedded default's SQLite, shared by the web process, a worker and beat: WAL so
# readers never wait, a busy timeout so writers queue, and transactions that take the
# write lock when they begin (IMMEDIATE). A deferred transaction that reads, then
# writes after another process has committed, cannot wait for the lock: SQLite answers
# "database is locked" at once, whatever the timeout (the assignment run's failure).
SQLITE_OPTIONS = {
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL;",
    "transaction_mode": "IMMEDIATE",
}
for _database in DATABASES.values():  # the primary and the replica alike
    _database["ATOMIC_REQUESTS"] = False
    # Connections kept open between requests (not one new connection a request),
    # checked before reuse so a connection the server dropped is replaced, not an
    # error.
    _database["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _database["CONN_HEALTH_CHECKS"] = True
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        _database.setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
    # PostgreSQL's JIT compiles any query the planner thinks costly, and our costly
    # ones (a week's figures, an export) then spend 0.3-0.8 s compiling to save less
    # than that (EXPLAIN at a month at peak): off unless DATABASE_JIT=true.
    if _database["ENGINE"].startswith("django.db.backends.postgresql") and (
        not env.bool("DATABASE_JIT", default=False)
    ):
        options = _database.setdefault("OPTIONS", {})
        options["options"] = (options.get("options", "") + " -c jit=off").strip()
# Form widgets: the commonest drawn in Python (pages/widgets.py), to the HTML of Django's
# templates; any other through the project's templates, then Django's.
FORM_RENDERER = "pages.widgets.WidgetRenderer"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # Parallel test processes share one Redis: each keeps its own keys.
            "KEY_PREFIX": env.str(
                "CACHE_KEY_PREFIX", default=env.str("PYTEST_XDIST_WORKER", default="")
            ),
            # A Redis that hangs must not hang requests: fail fast (the throttle then
            # fails open; the health check reports it).
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
elif CACHE_DIR := env.str("CACHE_DIR", default=""):
    # Without Redis, the processes of one machine share a folder (run_embedded sets
    # it for its web server, worker and beat: what the beat computes, pages read).
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": CACHE_DIR,
            # Django's default of 300 entries, a third dropped when full, is less
            # than one refresh of the weekly figures writes (some 370: England's
            # weeks and every team's): each refresh recomputed what it had just
            # cached, and pages met cold figures.
            "OPTIONS": {"MAX_ENTRIES": 20_000},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The current week's figures are cached this long (0: never), a closed week's for a
# day at most (figures/weekly.py).
FIGURES_OPEN_WEEK_SECONDS = env.int("FIGURES_OPEN_WEEK_SECONDS", default=300)
# Memory for the sorts and hashes of one week's figures (PostgreSQL's work_mem, set for
# that transaction only): at peak the contacts' sort by person spilled 35 MB to disk.
FIGURES_WORK_MEM = env.str("FIGURES_WORK_MEM", default="128MB")

# After NCSC guidance: length over complexity (three random words make a good one), no
# composition rules, and a list of common passwords refused.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# An idle session expires: a request pushes the expiry on, so only idleness ends it. The
# session is written only when it changes or was last touched SESSION_TOUCH_SECONDS
# ago (pages/accounts/middleware.py session_touched), not on every page view.
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = False
SESSION_TOUCH_SECONDS = env.int("SESSION_TOUCH_SECONDS", default=60)
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files served at the site's root (/favicon.ico), by WhiteNoise.
WHITENOISE_ROOT = BASE_DIR / "static_root"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

PHONENUMBER_DEFAULT_REGION = "GB"
PHONENUMBER_DB_FORMAT = "E164"

# Security: strict in production, so `check --deploy` is clean there.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # the container health check speaks plain HTTP
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=PRODUCTION)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int(
    "SECURE_HSTS_SECONDS", default=31536000 if PRODUCTION else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4): the site's own scripts and styles only, no
# inline script; the API docs relax it for their own pages (pages of the API).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# --- The API's edge ----------------------------------------------------------------
# Bodies: the intake takes a batch of 1,000 results of realistic size; every other
# endpoint far less. Django reads at most the largest; the API's parser holds each
# endpoint to its own limit and answers a JSON 413 past it.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=1024 * 1024)
API_INTAKE_MAX_BODY_BYTES = env.int(
    "API_INTAKE_MAX_BODY_BYTES", default=8 * 1024 * 1024
)
DATA_UPLOAD_MAX_MEMORY_SIZE = max(API_MAX_BODY_BYTES, API_INTAKE_MAX_BODY_BYTES)
# JSON nested deeper than this is refused (400) before it is parsed.
API_MAX_JSON_DEPTH = env.int("API_MAX_JSON_DEPTH", default=32)
# A rotated token keeps working this long, so an integration can switch to the new one.
API_TOKEN_ROTATION_GRACE = timedelta(
    hours=env.int("API_TOKEN_ROTATION_GRACE_HOURS", default=24)
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A request's path is logged with its tokens masked and no query string
    # (tracing/log_masking.py): on django.request ("Not Found: /o/<token>/") and
    # runserver's django.server (the request line) themselves, so every handler of
    # theirs sees it masked, and on the console for whatever else reaches the root.
    "filters": {"mask_paths": {"()": "tracing.log_masking.MaskRequestPaths"}},
    "formatters": {
        # Django's own for runserver (django.utils.log.DEFAULT_LOGGING).
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        }
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["mask_paths"]},
        "django.server": {
            "level": "INFO",
            "class": "logging.StreamHandler",
            "formatter": "django.server",
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # django-axes logs every sign-in at INFO; the audit trail keeps what matters.
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["mask_paths"]},
        # Configured here, it loses Django's default handler: given it back.
        "django.server": {
            "handlers": ["django.server"],
            "level": "INFO",
            "propagate": False,
            "filters": ["mask_paths"],
        },
    },
}

# --- Email ------------------------------------------------------------------------
# EMAIL_URL such as smtp+tls://user:password@smtp.example.org:587; by default mail is
# written to the console, so the embedded default needs no mail server.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST", "localhost")
EMAIL_PORT = _email.get("EMAIL_PORT", 25)
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="NHS contact tracing <no-reply@tracing.invalid>"
)
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Texts and emails to people (notify/) -----------------------------------------
# Each channel's backend: notify.backends.FileBackend (the default: one JSON line per
# message under NOTIFY_FILE_DIR, so the embedded default sends nothing anywhere),
# ConsoleBackend, DjangoEmailBackend (email, through EMAIL_URL) or GovukNotifyBackend.
NOTIFY_SMS_BACKEND = env.str(
    "NOTIFY_SMS_BACKEND", default="notify.backends.FileBackend"
)
NOTIFY_EMAIL_BACKEND = env.str(
    "NOTIFY_EMAIL_BACKEND", default="notify.backends.FileBackend"
)
NOTIFY_FILE_DIR = env.str("NOTIFY_FILE_DIR", default=str(BASE_DIR / "var" / "messages"))
# GOV.UK Notify: the API key ({name}-{service id}-{secret}), and the template for each
# kind of message (JSON: {"default": "<id>", "isolation_advice": "<id>", ...}; a key
# may name its channel, "sms:default", "email:default", since a template has one).
GOVUK_NOTIFY_API_KEY = env.str("GOVUK_NOTIFY_API_KEY", default="")
GOVUK_NOTIFY_BASE_URL = env.str(
    "GOVUK_NOTIFY_BASE_URL", default="https://api.notifications.service.gov.uk"
)
GOVUK_NOTIFY_TEMPLATES = (
    env.json("GOVUK_NOTIFY_TEMPLATES")
    if env.str("GOVUK_NOTIFY_TEMPLATES", default="").strip()
    else {}
)
if not isinstance(GOVUK_NOTIFY_TEMPLATES, dict):
    raise ImproperlyConfigured("GOVUK_NOTIFY_TEMPLATES must be a JSON object.")
# The bearer token Notify sends with its delivery receipts; unset, they are refused.
NOTIFY_CALLBACK_TOKEN = env.str("NOTIFY_CALLBACK_TOKEN", default="")
# Tries after the first when the provider cannot take a message now (backing off).
NOTIFY_MAX_RETRIES = env.int("NOTIFY_MAX_RETRIES", default=6)
if (
    PRODUCTION
    and "GovukNotifyBackend" in NOTIFY_SMS_BACKEND + NOTIFY_EMAIL_BACKEND
    and not GOVUK_NOTIFY_API_KEY
):
    raise ImproperlyConfigured("GOVUK_NOTIFY_API_KEY must be set to send by Notify.")

# --- Celery -----------------------------------------------------------------------
# The filesystem broker's folders (messages, and its control folder for broadcast
# commands) live under var/, which `run_embedded` creates; nothing is made on import.
CELERY_BROKER_DIR = BASE_DIR / "var" / "celery-broker"
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "out"),
        "data_folder_out": str(CELERY_BROKER_DIR / "out"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "control_folder": str(CELERY_BROKER_DIR / "control"),
        "store_processed": False,
        # How often an idle worker looks in the folder (kombu's default, 1 s, let
        # through about two tasks a second: the demo's 300 texts held a new one
        # back for minutes).
        "polling_interval": 0.1,
    }
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
# In production any number of web and worker processes run side by side, on more than
# one machine: they must share their cache (rate limits, cached figures) and their
# broker (a task queued by a web process must reach a worker). A process's own memory
# or a local folder would split them silently, so production refuses to start so.
if PRODUCTION and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL must be set in production (a shared cache).")
if PRODUCTION and CELERY_BROKER_URL.startswith(("filesystem://", "memory://")):
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL must be a shared broker in production (Redis, RabbitMQ)."
    )
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
# Work must not be lost: acknowledge after the task ran, and hand a task back to the
# queue when its worker dies; take one message at a time. Every task is written to
# be safe to run twice, which is what makes redelivery harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A lost broker connection cancels running tasks so their messages are redelivered.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=240)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
if CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # An unacknowledged message whose worker vanished returns after this long; it must
    # outlast the longest task (the hard limit) or a slow task would run twice at once.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
    }
# Separate queues, so a long sweep never delays assignment; a worker started without
# -Q consumes all three. Routes are globs over the whole task name.
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_QUEUES = {
    "default": {"routing_key": "default"},
    "assignment": {"routing_key": "assignment"},
    "escalation": {"routing_key": "escalation"},
}
CELERY_TASK_ROUTES = {
    "work.tasks.assign_*": {"queue": "assignment"},
    "work.tasks.escalate_*": {"queue": "escalation"},
    "escalations.tasks.detect_*": {"queue": "escalation"},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(BASE_DIR / "var" / "celerybeat-schedule")
# A beat message left waiting past its next tick is dropped (the next tick does it).
CELERY_BEAT_SCHEDULE = {
    "assign-work": {
        "task": "work.tasks.assign_work_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 55},
    },
    # The pool by age, for every supervisor's board (work/pool_counts.py).
    "count-pool": {
        "task": "work.tasks.count_pool_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 55},
    },
    "escalate-unreached": {
        "task": "work.tasks.escalate_unreached_task",
        "schedule": timedelta(minutes=env.int("ESCALATION_SWEEP_MINUTES", default=5)),
        "options": {"expires": 4 * 60},
    },
    "safeguarding-alerts": {
        "task": "work.tasks.safeguarding_alerts_sweep_task",
        "schedule": timedelta(minutes=3),
        "options": {"expires": 2 * 60},
    },
    # A safeguarding concern still not picked up at its due time, escalated further
    # (its team's supervisors and the caller's emailed): within a minute of it.
    "safeguarding-overdue": {
        "task": "work.tasks.safeguarding_overdue_sweep_task",
        "schedule": timedelta(minutes=1),
        "options": {"expires": 55},
    },
    "detect-clusters": {
        "task": "escalations.tasks.detect_clusters_task",
        "schedule": timedelta(minutes=15),
    },
    "fail-stuck-messages": {
        "task": "notify.tasks.fail_stuck_messages_task",
        "schedule": timedelta(minutes=10),
        "options": {"expires": 9 * 60},
    },
    # England's capacity forecast, cached afresh before its entry ages out.
    "capacity-forecast": {
        "task": "figures.tasks.capacity_forecast_task",
        "schedule": timedelta(minutes=5),
        "options": {"expires": 4 * 60},
    },
    # Once a day, at night (02:30 UTC); a run left unfinished (its worker lost) is
    # taken up where it stopped. At a time of day, not every 24 hours: a beat started
    # afresh (a deploy, its schedule file lost) counts an interval from its start, so
    # beat restarted daily would never have run it.
    "retention-run": {
        "task": "retention.tasks.retention_run_task",
        "schedule": crontab(hour=2, minute=30),
        "options": {"expires": 23 * 60 * 60},
    },
    # Ended sessions go, with any typing kept in them (accounts/tasks.py).
    "clear-expired-sessions": {
        "task": "accounts.tasks.clear_expired_sessions_task",
        "schedule": timedelta(hours=1),
        "options": {"expires": 55 * 60},
    },
    # Local teams' purge warnings their own task did not send (its worker lost).
    "purge-warnings": {
        "task": "retention.tasks.purge_warnings_sweep_task",
        "schedule": timedelta(minutes=10),
        "options": {"expires": 9 * 60},
    },
    # Sooner than the open week's figures expire, so a reader never computes them.
    "refresh-weekly-figures": {
        "task": "figures.tasks.weekly_figures_refresh_task",
        "schedule": timedelta(minutes=4),
        "options": {"expires": 3 * 60},
    },
}

# --- Domain rules -----------------------------------------------------------------
# Self-isolation (England, winter 2020-21): a case isolates for 10 full days after
# symptom onset (or the specimen date when asymptomatic); a contact for 10 full days
# after their last exposure. The end date is the last day of isolation.
TRACING_ISOLATION_DAYS = {
    "case": env.int("ISOLATION_DAYS_CASE", default=10),
    "contact": env.int("ISOLATION_DAYS_CONTACT", default=10),
}
# The rules over time, by the day isolation counts from (a contact's last exposure, a
# case's onset or test): each period runs from its "from" day until the next one's,
# so old records keep the rule of their time (England: cases 7 days until 29 July
# 2020, 10 from the 30th; contacts 14 days until 13 December 2020, 10 from the 14th).
# The last period is the rule in force now: its days are always
# TRACING_ISOLATION_DAYS above, so ISOLATION_DAYS_* change today's rule and never an
# earlier period's. A change of rule is a new period at the end.
TRACING_ISOLATION_RULES = [
    {"from": "2020-05-28", "case": 7, "contact": 14},
    {"from": "2020-07-30", "case": 10, "contact": 14},
    {"from": "2020-12-14", **TRACING_ISOLATION_DAYS},
]
# Call-attempt rules: how many tries, how far apart, within how many hours of the item
# arriving, before it counts as unreachable and goes to the local team.
TRACING_CALL_RULES = {
    "case": {"max_attempts": 3, "min_gap_hours": 2, "window_hours": 24},
    "contact": {"max_attempts": 3, "min_gap_hours": 4, "window_hours": 24},
}
# Calling hours, local (Europe/London) time, as NHS Test and Trace phoned: an attempt
# the rules would set outside them is due at the next opening, and an item's deadline
# for its local team falls inside them, after the attempts could be made in them
# (work/rules.py). The same time for both ("00:00"): calls at any hour.
TRACING_CALLING_HOURS = {
    "opens": env("CALLING_HOURS_OPEN", default="08:00"),
    "closes": env("CALLING_HOURS_CLOSE", default="20:00"),
}
# How many open items one person may hold at once, by tier; new starters less.
TRACING_OPEN_WORK_CAP = {
    "tier2": env.int("OPEN_WORK_CAP_TIER2", default=4),
    "tier3": env.int("OPEN_WORK_CAP_TIER3", default=10),
    "tier2_new_starter": env.int("OPEN_WORK_CAP_TIER2_NEW", default=2),
    "tier3_new_starter": env.int("OPEN_WORK_CAP_TIER3_NEW", default=4),
}
TRACING_WEEKLY_HOURS_CAP = env.int("WEEKLY_HOURS_CAP", default=42)
TRACING_WEEKLY_HOURS_CEILING = env.int("WEEKLY_HOURS_CEILING", default=60)
# The least time off between one shift's end and the next one's start.
TRACING_MIN_REST_HOURS = env.int("MIN_REST_HOURS", default=11)
TRACING_NEW_STARTER_REVIEW_CALLS = env.int("NEW_STARTER_REVIEW_CALLS", default=5)
# Clusters: this many cases sharing one setting within this many days, in one area.
TRACING_CLUSTER_MIN_CASES = env.int("CLUSTER_MIN_CASES", default=3)
TRACING_CLUSTER_WINDOW_DAYS = env.int("CLUSTER_WINDOW_DAYS", default=14)
# Chains of transmission: a contact became a case when the case is the same person and
# the exposure lies within this many days before the case's symptom onset (or, without
# one, its specimen date), up to that date (contacts/chains.py).
TRACING_CHAIN_DAYS = env.int("CHAIN_DAYS", default=14)
# The online route: a new case with a mobile or email is sent a link to enter their
# contacts; contacts they name are told by message, with a link to confirm. No answer
# within the hours set, and the phones take over. Links last a few days, used once.
TRACING_SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")
TRACING_ONLINE_LINK_DAYS = env.int("ONLINE_LINK_DAYS", default=3)
TRACING_ONLINE_CASE_HOURS = env.int("ONLINE_CASE_HOURS", default=4)
TRACING_ONLINE_CONTACT_HOURS = env.int("ONLINE_CONTACT_HOURS", default=8)
# Requests to the link pages allowed from one address in 10 minutes.
TRACING_ONLINE_RATE = env.int("ONLINE_RATE", default=60)
# Where an item goes when its postcode maps to no area.
TRACING_FALLBACK_TEAM_CODE = "FALLBACK"
# Matching a person arriving (intake, the case and contact forms, online) to the
# people we hold (people/matching.py). Off, every arrival is a new person unless its
# NHS number is held (a unique key), and no possible duplicates are listed: for the
# matching benchmark, or to shed the matching's cost in an emergency.
TRACING_PERSON_MATCHING = env.bool("PERSON_MATCHING", default=True)
# Capacity planning (figures/capacity.py): the staff an hour's forecast work needs is
# its staff-hours over the occupancy (the share of time on calls and writing them up
# that can be kept up); booked staff within the tolerance of that (a share of it, or
# half a person) is about right. The forecast is kept in the cache this long.
TRACING_CAPACITY_OCCUPANCY = env.float("CAPACITY_OCCUPANCY", default=0.85)
TRACING_CAPACITY_TOLERANCE = env.float("CAPACITY_TOLERANCE", default=0.15)
TRACING_CAPACITY_CACHE_SECONDS = env.int("CAPACITY_CACHE_SECONDS", default=600)

# --- Retention (retention/) -----------------------------------------------------------
# How long records are kept once closed (every item of the person done: completed,
# closed, or a contact reached), counted on the local clock from the latest stamp.
# - Identifying fields pseudonymised after 180 days: a new positive test within 90
#   days is the same infection and must find its person, and a breach of the
#   self-isolation regulations (a summary offence) can be prosecuted for six months.
# - Whole records purged: contacts after 5 years, cases after 8, as PHE's privacy
#   notice for contact tracing set (first 20 and 5 years, cut to 8 for cases):
#   calendar years, whatever 29 Februarys they span (retention/rules.py).
# - The audit trail two years beyond the longest, so who saw a record can still be
#   answered after the record has gone.
# - The local team is told this many days before their areas' records are purged.
# The purges were once set in days (RETENTION_*_DAYS, which could not say "5 years"
# across leap days): those names are refused, naming the setting that replaced them.
for _old, _new, _years in (
    ("RETENTION_PURGE_CONTACTS_DAYS", "RETENTION_PURGE_CONTACTS_YEARS", 5),
    ("RETENTION_PURGE_CASES_DAYS", "RETENTION_PURGE_CASES_YEARS", 8),
    ("RETENTION_AUDIT_DAYS", "RETENTION_AUDIT_YEARS", 10),
):
    if _old in env:
        raise ImproperlyConfigured(
            f"{_old} is no longer read: the purges are counted in calendar years. "
            f"Set {_new} instead (whole years, default {_years}) and remove {_old}."
        )
TRACING_RETENTION = {
    "pseudonymise_after_days": env.int("RETENTION_PSEUDONYMISE_DAYS", default=180),
    "purge_contacts_after_years": env.int("RETENTION_PURGE_CONTACTS_YEARS", default=5),
    "purge_cases_after_years": env.int("RETENTION_PURGE_CASES_YEARS", default=8),
    "audit_after_years": env.int("RETENTION_AUDIT_YEARS", default=10),
    "warn_days_before_purge": env.int("RETENTION_WARN_DAYS", default=7),
    # Rows per batch (one transaction each), and how long one task runs batches before
    # it queues the next (well inside CELERY_TASK_SOFT_TIME_LIMIT).
    "batch_size": env.int("RETENTION_BATCH_SIZE", default=5000),
    "task_seconds": env.int("RETENTION_TASK_SECONDS", default=120),
}
_retention_years = [
    TRACING_RETENTION[key]
    for key in (
        "purge_contacts_after_years",
        "purge_cases_after_years",
        "audit_after_years",
    )
]
# A year is 365 days at least: pseudonymisation comes first.
if (
    TRACING_RETENTION["pseudonymise_after_days"] < 1
    or min(_retention_years) < 1
    or _retention_years != sorted(_retention_years)
    or TRACING_RETENTION["pseudonymise_after_days"] > 365 * _retention_years[0]
):
    raise ImproperlyConfigured(
        "Retention periods must be positive and in order: pseudonymise (days) <= "
        "purge contacts <= purge cases <= audit (years)."
    )
# The key of the pseudonyms that keep two pseudonymised records of one phone number
# one person in the figures (a keyed SHA-256): the secret key unless set apart.
TRACING_PSEUDONYM_KEY = env.str("RETENTION_PSEUDONYM_KEY", default=SECRET_KEY)

# --- REST framework ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiClientAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PARSER_CLASSES": ["api.parsers.LimitedJSONParser"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.NewestFirstPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Each client at its own rate (ApiClient.rate_limit_per_minute), counted in the
    # shared cache (Redis in production) so every web process sees the same count.
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiClientRateThrottle"],
    "EXCEPTION_HANDLER": "api.errors.api_exception_handler",
    # Dates as YYYY-MM-DD only, as the results upload reads them. DRF's default,
    # Django's parse_date, falls back on Python's fromisoformat, which reads a week
    # date ("1980-W02") as its Monday and takes a date without dashes ("20261205").
    "DATE_INPUT_FORMATS": ["%Y-%m-%d"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Contact tracing API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "DESCRIPTION": "For labs, dashboards, telephony and notification services. "
    "Authenticate with a client token (`Authorization: Bearer ...`, made in the "
    "admin), or as signed-in staff. Errors: 400 with field errors, 401, 403 for a "
    "missing scope, 404, 409 for an illegal status change, 413 for a batch too "
    "large, 429 with Retry-After past the client's rate.",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "WorkItemStatusEnum": "cases.workitem.Status",
        "EscalationStatusEnum": "escalations.models.Escalation.Status",
        "CallOutcomeEnum": "calls.models.Outcome",
        "EscalationOutcomeEnum": "escalations.models.Escalation.Outcome",
        "EscalationActionKindEnum": "escalations.models.EscalationAction.Kind",
        "FiguresWeekKindEnum": "figures.weekly.KINDS",
        "FiguresScopeKindEnum": "figures.weekly.SCOPE_KINDS",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_error_responses",
    ],
}
