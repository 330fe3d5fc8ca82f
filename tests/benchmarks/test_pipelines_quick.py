"""Run the pipeline benchmarks in quick mode: they must work and print their ratios."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("werkzeug")

RUNNER = Path(__file__).resolve().parent / "pipelines.py"
RATIO_LINE = re.compile(r"^(P\d) ratio (\S+)\s+(\d+\.\d+)\s")


def test_quick_pipeline_benchmarks_print_their_ratios() -> None:
    result = subprocess.run(
        [sys.executable, str(RUNNER), "--quick"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    found = {m.group(1, 2) for m in map(RATIO_LINE.match, result.stdout.splitlines()) if m}
    assert found == {("P1", "upload_many/loop"), ("P2", "prepare/send")}, result.stdout
