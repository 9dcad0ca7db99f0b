"""Benchmarks: each prints measured figures beside a yardstick measured in the same
run, and never fails on a time."""

from __future__ import annotations

import argparse
import os


def add_database_url(parser: argparse.ArgumentParser, name: str) -> None:
    """The --database-url option of a bench with its own database `name`
    (BENCH_DATABASE_URL overrides the default)."""
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/{name}"
        ),
    )
