"""The benchmark suite's quick mode as a smoke test: it finishes and reports every row.

Timings are not asserted: the machines are shared and noisy, so the suite reports numbers, it does not
judge them here. A row may lack a number only when it says why (e.g. no browser or no model installed).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.run import METRICS

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmark_produces_every_row(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["mode"] == "quick" and data["machine"]["cpus"]
    rows = data["rows"]
    assert {(r["group"], r["metric"]) for r in rows} == set(METRICS)
    for row in rows:
        assert row["ours"] is not None or row["note"], row
        assert row["ours"] is None or row["ours"] >= 0, row
    table = done.stdout
    assert table.count("\n| ") == len(rows) + 1  # the header and one line per row
