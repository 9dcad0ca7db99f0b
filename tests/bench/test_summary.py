"""bench/summary.py's one table, from a summary file: pure Python, no database."""

from __future__ import annotations

import json

from bench.summary import bench_commands, read, record, summary_row, table


def test_the_table_shows_each_recorded_row_with_its_target_and_whether_it_is_met(
    tmp_path,
):
    path = tmp_path / "summary.jsonl"
    record(
        path,
        [
            summary_row(
                work="intake through the API",
                size="60,000 results",
                app="1,161 results/s",
                yardstick="set-based SQL",
                yardstick_figure="2,060 results/s",
                ratio=1.774,
                target=3.0,
            ),
            summary_row(
                work="intake through the API",
                size="60,000 results",
                app="1,161 results/s",
                yardstick="COPY | people and cases",
                yardstick_figure="16,263 results/s",
                ratio=14.0,
                target=10,
            ),
        ],
    )
    # A row another bench wrote without a target.
    with path.open("a", encoding="utf-8") as handle:
        no_target = summary_row(
            work="the season replayed",
            size="21 days",
            app="12.0 s",
            yardstick="nothing",
            yardstick_figure="-",
            ratio=1.5,
            target=None,
        )
        line = {**no_target, "at": "2026-12-02T19:40:00+00:00", "host": "h", "cores": 2}
        handle.write(json.dumps(line) + "\n")

    rows = read(path)
    lines = table(rows).splitlines()

    assert [row["met"] for row in rows] == [True, False, None]
    assert lines[0].startswith("The benchmarks' ratios, measured 2026-")
    assert "(2 cores)" in lines[0]
    assert (
        lines[2] == "| work | size | the app | the yardstick | ratio | target | met |"
    )
    assert lines[3] == "| --- | --- | --- | --- | --- | --- | --- |"
    assert lines[4] == (
        "| intake through the API | 60,000 results | 1,161 results/s | "
        "set-based SQL: 2,060 results/s | 1.77x | 3x | yes |"
    )
    assert lines[5] == (
        "| intake through the API | 60,000 results | 1,161 results/s | "
        "COPY \\| people and cases: 16,263 results/s | 14.00x | 10x | NO |"
    )
    assert lines[6] == (
        "| the season replayed | 21 days | 12.0 s | nothing: - | 1.50x | none | - |"
    )
    assert len(lines) == 7


def test_nothing_is_recorded_without_a_summary_file(tmp_path):
    record(None, [{"work": "anything"}])

    assert list(tmp_path.iterdir()) == []


def test_a_run_at_a_tenth_loads_the_pages_with_a_tenth_of_the_cases():
    commands = dict(bench_commands(0.1, "s.jsonl"))

    assert commands["load"] == [
        "bench/load.py",
        "--cases",
        "10000",
        "--seconds",
        "5",
        "--summary",
        "s.jsonl",
    ]
    assert commands["intake"][1:3] == ["--scale", "0.1"]
    assert commands["season"] == ["bench/season.py"]
    assert list(commands) == ["assignment", "intake", "load", "season"]
