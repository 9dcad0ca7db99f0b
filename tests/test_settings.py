"""The project's configuration: production checks, the services CI runs against."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection

from tests import factories as f
from tests.conftest import IN_CI

ROOT = Path(__file__).resolve().parent.parent


# What production needs besides its secret (tracing/settings.py refuses to start
# without them); the tests of production give them unless they test their absence.
SHARED = {"REDIS_URL": "redis://127.0.0.1:6379/0", "CELERY_BROKER_URL": "redis://"}


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DEBUG", "ENVIRONMENT", "DJANGO_ALLOW_ASYNC_UNSAFE")
    }
    if env.get("ENVIRONMENT") == "production":
        env = {**SHARED, **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_in_production():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        ENVIRONMENT="production",
        SECRET_KEY="x" * 60 + "-a-long-and-random-production-secret",
        ALLOWED_HOSTS="tracing.example.org",
        TRUSTED_PROXY_COUNT="1",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_behind_a_proxy_trusted_by_no_one():
    # As .env.example once left it: behind the TLS proxy (SECURE_SSL_REDIRECT, the
    # production default) with no proxy trusted, every client has the proxy's
    # address, and one person's mistyped passwords lock every member of staff out.
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        ENVIRONMENT="production",
        SECRET_KEY="x" * 60 + "-a-long-and-random-production-secret",
        ALLOWED_HOSTS="tracing.example.org",
        TRUSTED_PROXY_COUNT="0",
    )
    assert result.returncode != 0
    assert "tracing.W001" in result.stderr
    assert "TRUSTED_PROXY_COUNT" in result.stderr


def test_the_example_environment_trusts_its_proxy():
    # The production stack's files say the service is behind one TLS proxy: the
    # example settings and compose both trust it, so lockouts fall per client.
    example = (ROOT / ".env.example").read_text()
    assert "SECURE_SSL_REDIRECT=true" in example
    assert "\nTRUSTED_PROXY_COUNT=1\n" in example
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "TRUSTED_PROXY_COUNT: ${TRUSTED_PROXY_COUNT:-1}" in compose
    # ...and the proxy is the one way in: gunicorn is published on the host's
    # loopback only, so no client writes its own X-Forwarded-For past the lockout.
    assert '- "127.0.0.1:8000:8000"' in compose
    assert '- "8000:8000"' not in compose


def test_check_deploy_warns_trusting_a_proxy_with_none_implied():
    # A trial over plain HTTP (no redirect, so no TLS proxy implied) that still
    # trusts X-Forwarded-For: a client reaching gunicorn directly could write a new
    # address at each guess and never be locked out.
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        ENVIRONMENT="production",
        SECRET_KEY="x" * 60 + "-a-long-and-random-production-secret",
        ALLOWED_HOSTS="tracing.example.org",
        SECURE_SSL_REDIRECT="false",
        TRUSTED_PROXY_COUNT="1",
    )
    assert result.returncode != 0
    assert "tracing.W002" in result.stderr


def test_production_without_a_secret_key_refuses_to_start():
    result = manage("check", ENVIRONMENT="production", SECRET_KEY="")
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


@pytest.mark.parametrize(
    ("missing", "said"),
    [
        ({"REDIS_URL": ""}, "REDIS_URL must be set in production"),
        ({"CELERY_BROKER_URL": "filesystem://"}, "CELERY_BROKER_URL must be a shared"),
    ],
)
def test_production_refuses_what_one_process_alone_would_see(missing, said):
    """More web and worker processes than one: a cache or a broker of a process's
    own would split them (a rate limit per process, a task no worker sees)."""
    result = manage("check", ENVIRONMENT="production", SECRET_KEY="s" * 60, **missing)
    assert result.returncode != 0
    assert said in result.stderr


def test_production_refuses_debug():
    result = manage(
        "check", ENVIRONMENT="production", SECRET_KEY="s" * 60, DEBUG="true"
    )
    assert result.returncode != 0
    assert "DEBUG must be off in production" in result.stderr


def test_ci_runs_against_postgresql(db):
    if not IN_CI:
        pytest.skip("only CI is bound to PostgreSQL")
    assert connection.vendor == "postgresql"


def test_cache_round_trips_through_redis(redis_url, settings):
    if IN_CI:
        assert "RedisCache" in settings.CACHES["default"]["BACKEND"]
    cache.set("tracing-test-key", {"n": 1}, 30)
    assert cache.get("tracing-test-key") == {"n": 1}
    cache.delete("tracing-test-key")


def test_health_endpoint_answers(client, db):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"


def test_login_page_renders(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in" in response.content


def test_pages_need_sign_in(client, db):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_favicon_is_served_at_the_root(client, db):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] in ("image/x-icon", "image/vnd.microsoft.icon")


def test_pages_with_personal_data_are_never_kept_by_the_browser(client, db, caseworker):
    """On a shared computer, Back after signing out must not show a case from the
    browser's cache: every page and API answer says no-store."""
    case = f.CaseFactory(assignee=caseworker, status="assigned")
    client.force_login(caseworker)
    for path in (f"/cases/{case.pk}/", f"/api/v1/cases/{case.pk}/", "/work/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert "no-store" in response["Cache-Control"], path
        assert "private" in response["Cache-Control"], path


def test_without_redis_the_embedded_processes_share_one_cache(tmp_path):
    """run_embedded's web server, worker and beat are three processes: what one
    caches (the beat's forecast), another reads (the dashboard)."""
    env = {"REDIS_URL": "", "CACHE_DIR": str(tmp_path), "DEBUG": "true"}
    wrote = manage(
        "shell",
        "-c",
        "from django.core.cache import cache; cache.set('shared', 'made')",
        **env,
    )
    assert wrote.returncode == 0, wrote.stderr
    read = manage(
        "shell",
        "-c",
        "from django.core.cache import cache; print(cache.get('shared'))",
        **env,
    )
    assert read.stdout.split()[-1] == "made", read.stderr


def test_the_embedded_cache_holds_a_refresh_of_the_weekly_figures(tmp_path):
    # Some 370 entries a refresh: Django's default of 300 dropped a third of them
    # as it went, and the next refresh computed them all again.
    env = {"REDIS_URL": "", "CACHE_DIR": str(tmp_path), "DEBUG": "true"}
    wrote = manage(
        "shell",
        "-c",
        "from django.core.cache import cache\n"
        "cache.set_many({f'week-{n}': n for n in range(400)})\n"
        "print(sum(cache.get(f'week-{n}') == n for n in range(400)))",
        **env,
    )
    assert wrote.returncode == 0, wrote.stderr
    assert wrote.stdout.split()[-1] == "400"


def test_an_administrator_signing_in_is_led_to_the_admin(client, db):
    from tests import factories as f

    admin = f.UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(admin)

    html = client.get("/").content.decode()

    # It said "Your account has no staff profile yet: ask a supervisor...".
    assert "no staff profile" not in html
    assert 'href="/admin/"' in html
    assert 'href="/staff/audit/"' in html


def test_the_production_image_collects_its_static_files(settings, tmp_path):
    # The Dockerfile's collectstatic. Production's storage (WhiteNoise's compressing
    # subclass of this one) follows every url() and source map named in a CSS or
    # JavaScript file, and one it cannot find stops the image's build; compressing
    # every file as well would take minutes here and finds nothing more.
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
        },
    }
    call_command("collectstatic", "--no-input", verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/nhsuk-frontend-10.6.1/nhsuk-frontend.min.css" in manifest
