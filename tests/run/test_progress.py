"""The progress line: counts, rates and an ETA that ignores the pipeline's slow start."""

from __future__ import annotations

import io

from synthgen.run.progress import Progress, format_duration


def test_format_duration():
    assert format_duration(42) == "42s"
    assert format_duration(185) == "3m05s"
    assert format_duration(3720) == "1h02m"


def test_line_reports_rows_rates_and_eta(monkeypatch):
    clock = {"t": 100.0}
    monkeypatch.setattr("synthgen.run.progress.time.monotonic", lambda: clock["t"])
    stream = io.StringIO()
    progress = Progress(total=100, stream=stream, log_every=0)
    clock["t"] = 160.0  # a slow start: the first row after 60 s
    progress.update(1, 600, 0)
    clock["t"] = 170.0  # then 10 rows in 10 s
    progress.update(11, 2000, 2)
    line = stream.getvalue().strip().splitlines()[-1]
    assert "rows 11/100 (11%)" in line and "rejected 2" in line
    assert "ETA 1m29s" in line  # 89 rows left at 1 row/s, not at the 70-s average
    assert "tok/s" in line and "rows/s" in line


def test_resumed_run_counts_only_this_sessions_rows(monkeypatch):
    clock = {"t": 0.0}
    monkeypatch.setattr("synthgen.run.progress.time.monotonic", lambda: clock["t"])
    progress = Progress(total=10, done=6, stream=io.StringIO(), log_every=0)
    clock["t"] = 4.0
    progress.update(8, 100, 0)
    assert "0.50 rows/s" in progress.line()
