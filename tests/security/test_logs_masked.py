"""The logs never hold a link's token or what staff searched for: the gunicorn access
log of the production command, Django's django.request and runserver's
django.server all show a request's path with its token masked and no query string,
and no Referer beyond its path (tracing.log_masking)."""

from __future__ import annotations

import http.client
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml
from django.core.handlers.wsgi import WSGIHandler
from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
from django.db import connection
from gunicorn.config import Config

from tracing.gunicorn_logging import MaskedLogger
from tracing.log_masking import mask_path, mask_text, mask_url

ROOT = Path(__file__).resolve().parents[2]

TOKEN = "FT0l6tJ07jsYEQ5MMn6jOAtXC7PmLrXkp6_48Lkd_4g"
RESET_TOKEN = "cn5x1b-0a4f5e5b2d8f6c1e9a7b3d2c4e6f8a0b"
SEARCH = "/staff/people/?q=Sian+OBrien&date_of_birth=1984-03-02"
REFERER = f"https://tracing.example.org{SEARCH}"


def production_command() -> list[str]:
    """The Dockerfile's CMD, which docker-compose.yml's web service repeats."""
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    command = json.loads(next(line for line in lines if line.startswith("CMD "))[4:])
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    assert compose["services"]["web"]["command"] == command
    return command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, headers: dict[str, str] | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def test_the_production_access_log_masks_tokens_searches_and_referers(
    django_db_setup, tmp_path
):
    command = production_command()
    port = free_port()
    # The production command as it stands, on a free port with one worker.
    command[command.index("--bind") + 1] = f"127.0.0.1:{port}"
    command[command.index("--workers") + 1] = "1"
    command[0] = str(Path(sys.executable).parent / "gunicorn")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "DEBUG": "false",
        "ENVIRONMENT": "development",  # no HTTPS redirect on 127.0.0.1
        "ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONWARNINGS": "ignore:No directory at",
    }
    env.pop("DATABASE_REPLICA_URL", None)
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    get(port, "/health/")
                    break
                except OSError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise
                    time.sleep(0.3)
            assert get(port, f"/o/{TOKEN}/?x=1", {"Referer": REFERER}) == 404
            get(port, f"/accounts/password/reset/MQ/{RESET_TOKEN}/?y=2")
            get(port, SEARCH, {"Referer": REFERER})
        finally:
            server.terminate()
            server.wait(timeout=30)
    logged = log_path.read_text()

    assert '"GET /o/[masked]/ HTTP/1.1" 404' in logged
    assert '"GET /accounts/password/reset/[masked]/[masked]/ HTTP/1.1"' in logged
    assert '"GET /staff/people/ HTTP/1.1"' in logged
    assert '"/staff/people/"' in logged  # the Referer, as its path
    for secret in (TOKEN, RESET_TOKEN, "x=1", "y=2", "Sian", "1984", "q="):
        assert secret not in logged


@pytest.mark.django_db
def test_a_refused_link_logs_no_token(client, caplog):
    with caplog.at_level(logging.INFO):
        response = client.get(f"/o/{TOKEN}/?lang=cy")

    assert response.status_code == 404
    assert "Not Found: /o/[masked]/" in [
        record.getMessage()
        for record in caplog.records
        if record.name == "django.request"
    ]
    assert TOKEN not in caplog.text


def test_runserver_logs_a_people_search_without_its_terms(caplog):
    """runserver's request line (django.server, its own handler, not propagated)."""
    server_log = logging.getLogger("django.server")
    server_log.addHandler(caplog.handler)
    server = WSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    # WSGIHandler, not get_wsgi_application(): setting Django up again would set
    # its logging up again, taking the test's capture off the loggers.
    server.set_app(WSGIHandler())
    thread = threading.Thread(target=server.handle_request)
    try:
        with caplog.at_level(logging.INFO):
            thread.start()
            status = get(server.server_address[1], SEARCH, {"Referer": REFERER})
            thread.join(timeout=30)
    finally:
        server.server_close()
        server_log.removeHandler(caplog.handler)

    assert status == 302  # to the sign-in page: no one is signed in
    lines = [r.getMessage() for r in caplog.records if r.name == "django.server"]
    assert lines == ['"GET /staff/people/ HTTP/1.1" 302 0']
    for secret in ("Sian", "1984", "q=", "date_of_birth"):
        assert secret not in caplog.text


@pytest.mark.parametrize(
    ("logged", "shown"),
    [
        (f"/o/{TOKEN}/?lang=cy", "/o/[masked]/"),
        (f"/o/{TOKEN}", "/o/[masked]"),
        (
            f"/accounts/password/reset/MQ/{RESET_TOKEN}/",
            "/accounts/password/reset/[masked]/[masked]/",
        ),
        (
            "/accounts/password/reset/MQ/set-password/",
            "/accounts/password/reset/[masked]/set-password/",
        ),
        ("/accounts/password/reset/sent/", "/accounts/password/reset/sent/"),
        ("/accounts/password/reset/done/", "/accounts/password/reset/done/"),
        (SEARCH, "/staff/people/"),
    ],
)
def test_paths_keep_their_shape_and_lose_their_secrets(logged, shown):
    assert mask_path(logged) == shown
    assert mask_text(f'"GET {logged} HTTP/1.1" 200') == f'"GET {shown} HTTP/1.1" 200'
    assert mask_url(f"https://tracing.example.org{logged}") == shown


def test_gunicorn_error_log_masks_the_request_it_failed_on(caplog):
    """A worker's "Error handling request <uri>" (gunicorn.error) too."""
    masked = MaskedLogger(Config())
    masked.error_log.addHandler(caplog.handler)
    try:
        masked.error("Error handling request %s", f"/o/{TOKEN}/?x=1")
    finally:
        masked.error_log.removeHandler(caplog.handler)
    assert "Error handling request /o/[masked]/" in caplog.text
    assert TOKEN not in caplog.text
    assert "x=1" not in caplog.text
