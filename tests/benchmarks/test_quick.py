"""Run the benchmarks in quick mode: they must work and print every ratio (never judged)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("segments")
pytest.importorskip("werkzeug")

RUNNER = Path(__file__).resolve().parent / "run.py"
# Each benchmark and the ratios it must print (see run.py).
EXPECTED = {
    "B1": ["ours/platform"],
    "B2": ["ours/platform (TypeAdapter)", "ours/json.loads"],
    "B3": ["ours/platform", "ours/raw"],
    "B4": ["ours/add_samples"],
    "B5": ["ours/loop", "ours/ideal"],
    "B6": ["iterator/list"],
    "B7": ["ours/raw DataFrame"],
    "B8": ["ours/platform"],
}
RATIO_LINE = re.compile(r"^(B\d) ratio (.+?)\s+(\d+\.\d+)\s")


def test_quick_run_prints_every_ratio() -> None:
    result = subprocess.run(
        [sys.executable, str(RUNNER), "--quick"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found: dict[str, list[str]] = {}
    for line in result.stdout.splitlines():
        match = RATIO_LINE.match(line)
        if match:
            assert float(match.group(3)) >= 0
            found.setdefault(match.group(1), []).append(match.group(2).strip())
    for bench, labels in EXPECTED.items():
        for label in labels:
            assert any(f.startswith(label) for f in found.get(bench, [])), (
                f"{bench} printed no ratio {label!r}:\n{result.stdout}"
            )
    assert "Summary" in result.stdout
