"""One table of the benchmarks' headline ratios: the app beside its yardstick.

A bench that measures the app against a yardstick in the same run records its median
figures here when it is given `--summary FILE` (or the environment's BENCH_SUMMARY):
one JSON line a row, appended, so several benches can share one file. A row says
what work was done (`work`), how much (`size`), the app's figure with its unit
(`app`), the yardstick's name and figure (`yardstick`, `yardstick_figure`), the
ratio the bench prints (the app's cost over the yardstick's), the target ratio or
None, and whether the ratio is within it (`met`, None without a target); each row
also notes when (UTC) and on which machine it was measured. A fixed limit rather
than a measured yardstick (My work's p95 under load against 100 ms) is a row whose
yardstick says so, its ratio the figure over the limit and its target 1.

    .venv/bin/python bench/summary.py FILE                  # the table of a summary file
    .venv/bin/python bench/summary.py --run [--scale 0.1]   # run the ratio benches, then the table

`--run` runs bench/assignment.py and bench/intake.py (`--scale` passed on),
bench/load.py (`--cases` 100,000 times the scale; below scale 1, `--seconds` cut in
the same proportion, at least 5) and bench/season.py (as `make bench` runs it: no
ratio, and its own `--scale` is a share of England's cases), each without
DATABASE_URL, as `make bench` does, into one summary file in a temporary folder, and
prints the table at the end. A bench that fails is named after the table and the
others still run.

A benchmark's helper, not a test: it prints figures and never fails on a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

FIELDS = (
    "work",
    "size",
    "app",
    "yardstick",
    "yardstick_figure",
    "ratio",
    "target",
    "met",
)


def add_summary_option(parser: argparse.ArgumentParser) -> None:
    """The --summary FILE option of a bench that records its ratios."""
    parser.add_argument(
        "--summary",
        metavar="FILE",
        default=os.environ.get("BENCH_SUMMARY") or None,
        help="Append the headline figures to FILE as JSON lines, for "
        "bench/summary.py's one table (default: $BENCH_SUMMARY; none: not recorded).",
    )


def summary_row(
    *,
    work: str,
    size: str,
    app: str,
    yardstick: str,
    yardstick_figure: str,
    ratio: float,
    target: float | None,
) -> dict[str, Any]:
    """One row: `ratio` is the app's cost over the yardstick's (lower is better);
    met is whether it is within `target` (None without one)."""
    return {
        "work": work,
        "size": size,
        "app": app,
        "yardstick": yardstick,
        "yardstick_figure": yardstick_figure,
        "ratio": float(ratio),
        "target": None if target is None else float(target),
        "met": None if target is None else bool(ratio <= target),
    }


def record(path: str | os.PathLike[str] | None, rows: Iterable[dict[str, Any]]) -> None:
    """Append `rows` to the summary file at `path` (nothing when path is None), each
    with the bench's name, the time (UTC) and the machine."""
    if not path:
        return
    bench = Path(sys.argv[0]).stem
    at = datetime.now(UTC).isoformat(timespec="seconds")
    machine = {"host": platform.node(), "cores": os.cpu_count()}
    with open(path, "a", encoding="utf-8") as handle:
        for row in rows:
            line = {"bench": bench, **row, "at": at, **machine}
            handle.write(json.dumps(line) + "\n")
    print(f"(recorded in {path})", flush=True)


def read(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The rows of a summary file, in the order they were recorded."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


# --- the table ------------------------------------------------------------------------


def _cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}x"


def _target(value: float | None) -> str:
    return "none" if value is None else f"{value:g}x"


def _met(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "NO")


def _when(rows: list[dict[str, Any]]) -> str:
    times = sorted({row["at"] for row in rows if row.get("at")})
    if not times:
        return "no date recorded"
    first, last = (
        datetime.fromisoformat(t).astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        for t in (times[0], times[-1])
    )
    return first if first == last else f"{first} to {last}"


def _machines(rows: list[dict[str, Any]]) -> str:
    seen = []
    for row in rows:
        machine = (
            f"{row.get('host') or 'an unnamed machine'} ({row.get('cores')} cores)"
        )
        if machine not in seen:
            seen.append(machine)
    return ", ".join(seen) or "no machine recorded"


def table(rows: list[dict[str, Any]]) -> str:
    """The rows as one markdown table, after a line saying when and where."""
    lines = [
        f"The benchmarks' ratios, measured {_when(rows)} on {_machines(rows)}; "
        "ratio = the app's cost / the yardstick's, or the figure / a fixed limit "
        "(lower is better):",
        "",
        "| work | size | the app | the yardstick | ratio | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        yardstick = f"{row['yardstick']}: {row['yardstick_figure']}"
        cells = [
            row["work"],
            row["size"],
            row["app"],
            yardstick,
            _ratio(row.get("ratio")),
            _target(row.get("target")),
            _met(row.get("met")),
        ]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    if not rows:
        lines.append("| (nothing recorded) | | | | | | |")
    return "\n".join(lines)


# --- running the ratio benches --------------------------------------------------------


def bench_commands(scale: float, summary: str) -> list[tuple[str, list[str]]]:
    """The benches `--run` runs, in turn: (name, arguments after the Python)."""
    scaled = ["--scale", f"{scale:g}"]
    load = ["bench/load.py", "--cases", str(max(1, round(100_000 * scale)))]
    if scale < 1:
        load += ["--seconds", str(max(5, round(15 * scale)))]
    return [
        ("assignment", ["bench/assignment.py", *scaled, "--summary", summary]),
        ("intake", ["bench/intake.py", *scaled, "--summary", summary]),
        ("load", [*load, "--summary", summary]),
        ("season", ["bench/season.py"]),
    ]


def run(scale: float) -> int:
    # As `make bench` runs them: each bench makes its own database; the file is
    # given by --summary.
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "BENCH_SUMMARY")
    }
    failed = []
    with tempfile.TemporaryDirectory(prefix="bench-summary-") as folder:
        summary = str(Path(folder) / "summary.jsonl")
        Path(summary).touch()
        for name, arguments in bench_commands(scale, summary):
            print(f"\n=== bench/{name}.py: {' '.join(arguments[1:])}", flush=True)
            done = subprocess.run([sys.executable, *arguments], cwd=ROOT, env=env)
            if done.returncode != 0:
                failed.append(f"{name} (exit {done.returncode})")
        print()
        print(table(read(summary)))
    if failed:
        print(f"\nThese benches failed, so their rows are missing: {', '.join(failed)}")
        return 1
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", help="A summary file to print as a table.")
    parser.add_argument(
        "--run",
        action="store_true",
        help="Run the ratio benches (assignment, intake, load, then season) and "
        "print their table.",
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="With --run: fraction of the peak."
    )
    args = parser.parse_args()
    if args.run == bool(args.file):
        parser.error("give a summary FILE, or --run")
    if args.run:
        sys.exit(run(args.scale))
    print(table(read(args.file)))


if __name__ == "__main__":
    main()
