"""Run the benchmarks in quick mode: they must work and print every ratio (never judged)."""

from __future__ import annotations

import re

import pytest

from .run import main

pytest.importorskip("segments")
pytest.importorskip("werkzeug")

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


def test_quick_run_prints_every_ratio(capsys: pytest.CaptureFixture[str]) -> None:
    # In this process rather than as ``python run.py --quick``: the runner's own imports
    # (segments, pandas, pydantic, the emulator) are already here, and they cost more CPU
    # than most benchmarks; the emulators and B1/B6's measured processes are still their
    # own processes, as in a full run.
    assert main(["--quick"]) == 0
    stdout = capsys.readouterr().out
    found: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        match = RATIO_LINE.match(line)
        if match:
            assert float(match.group(3)) >= 0
            found.setdefault(match.group(1), []).append(match.group(2).strip())
    for bench, labels in EXPECTED.items():
        for label in labels:
            assert any(f.startswith(label) for f in found.get(bench, [])), (
                f"{bench} printed no ratio {label!r}:\n{stdout}"
            )
    assert "Summary" in stdout
