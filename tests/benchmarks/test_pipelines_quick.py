"""Run the pipeline benchmarks in quick mode: they must work and print their ratios."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("werkzeug")

from .pipelines import main

RATIO_LINE = re.compile(r"^(P\d) ratio (\S+)\s+(\d+\.\d+)\s")


def test_quick_pipeline_benchmarks_print_their_ratios(capsys: pytest.CaptureFixture[str]) -> None:
    # In this process, as test_quick.py runs the main benchmarks: the emulators they time
    # against are still processes of their own.
    assert main(["--quick"]) == 0
    stdout = capsys.readouterr().out
    found = {m.group(1, 2) for m in map(RATIO_LINE.match, stdout.splitlines()) if m}
    assert found == {("P1", "upload_many/loop"), ("P2", "prepare/send")}, stdout
