"""Run the whole service on one machine: web server, a Celery worker and beat.

Meant for `make run` on the embedded default (SQLite and the filesystem broker); the
production stack runs each process on its own (see docker-compose.yml).
"""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start the web app with a Celery worker and beat, until Ctrl-C."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")

    def handle(self, *args, host: str, port: str, **options):
        # The filesystem broker's folders, and beat's schedule file beside them.
        for sub in ("out", "processed", "control"):
            (settings.CELERY_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
        python = sys.executable
        queues = "default,assignment,escalation"
        commands = {
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "tracing",
                "worker",
                "-l",
                "info",
                "-Q",
                queues,
                "--concurrency",
                "2",
                "--pool",
                "threads",
            ],
            "beat": [
                python,
                "-m",
                "celery",
                "-A",
                "tracing",
                "beat",
                "-l",
                "info",
                "--schedule",
                settings.CELERY_BEAT_SCHEDULE_FILENAME,
            ],
            "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
        }
        # One cache for the three (a folder; without it each has its own memory and
        # the pages never see what the beat computes ahead of them).
        env = {
            **os.environ,
            "CACHE_DIR": os.environ.get("CACHE_DIR")
            or str(settings.BASE_DIR / "var" / "cache"),
        }
        processes = {
            name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()
        }
        # Stopped by a signal (not only Ctrl-C): take the worker, beat and web down too.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        self.stdout.write(
            self.style.SUCCESS(
                f"\nThe service is at http://{host}:{port}/  (sign in as nurse.ada, "
                "handler.dan, sup.clinical, local.sheffield or admin; password "
                "demo-tracing-2026). Ctrl-C stops it.\n"
            )
        )
        try:
            while all(p.poll() is None for p in processes.values()):
                time.sleep(1)
        except KeyboardInterrupt:
            pass
        finally:
            for p in processes.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in processes.values():
                try:
                    p.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    p.kill()
        failed = [n for n, p in processes.items() if p.returncode not in (0, -15, None)]
        if failed:
            self.stderr.write(f"Stopped because {', '.join(failed)} exited.")
