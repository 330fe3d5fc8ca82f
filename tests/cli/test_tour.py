"""``segments-orm tour``: the whole labeling session runs and checks itself."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import segments_orm as so
from segments_orm import tour
from segments_orm.cli import main
from segments_orm.emulator import EmulatorServer

STEPS = [
    "Who am I",
    "Create a bboxes dataset with two categories",
    "Upload images as assets",
    "Add samples: one, then the rest in bulk",
    "Write prelabels in a second labelset",
    "Write ground-truth labels and read them back",
    "Filter samples by label status and metadata",
    "Open an issue, then close it",
    "Add a reviewer as collaborator",
    "Create a release and wait until it is built",
    "Download the release and check its labels",
    "Delete the tour's dataset",
]


@pytest.fixture
def no_server_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SEGMENTS_API_KEY", raising=False)
    monkeypatch.delenv("SEGMENTS_API_URL", raising=False)


def passed_steps(output: str) -> list[str]:
    """Return the titles of the steps the output marks as passed, in order."""
    found = []
    for line in output.splitlines():
        if not line.startswith("  "):  # steps are indented, the summary is not
            continue
        text = line.strip()
        for mark in ("✓ ", "ok "):
            if text.startswith(mark):
                found.append(text[len(mark) :].split("  (")[0])
    return found


def test_tour_runs_on_the_embedded_emulator(
    no_server_configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["tour"]) == 0
    out = capsys.readouterr().out
    assert "embedded emulator" in out
    assert passed_steps(out) == STEPS
    assert "Tour passed: 12 steps checked." in out
    assert "skipped" not in out.lower()
    assert "Created: 1 dataset, 4 assets, 4 samples, 7 labels, 1 issue, 1 release." in out
    assert " requests in " in out


def test_python_m_segments_orm_tour_runs_as_a_program() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGMENTS_")}
    env["PYTHONIOENCODING"] = "utf-8"
    result = subprocess.run(
        [sys.executable, "-m", "segments_orm", "tour"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert passed_steps(result.stdout) == STEPS
    assert "Tour passed" in result.stdout


def test_tour_against_a_configured_server_cleans_up_and_hides_the_key(
    segments_emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    segments_emulator.emulator.add_user("maria")
    monkeypatch.setenv("SEGMENTS_API_KEY", segments_emulator.api_key)
    code = main(["tour", "--api-url", segments_emulator.url, "--collaborator", "maria"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert passed_steps(out) == STEPS
    assert "maria as reviewer" in out
    assert segments_emulator.api_key not in out
    with so.Client(api_key=segments_emulator.api_key, api_url=segments_emulator.url) as client:
        assert list(client.datasets) == []  # the tour deleted what it created


def test_tour_on_a_real_server_skips_the_collaborator_without_a_username(
    segments_emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SEGMENTS_API_URL", raising=False)
    monkeypatch.delenv("SEGMENTS_API_KEY", raising=False)
    code = main(
        ["tour", "--api-url", segments_emulator.url, "--api-key", segments_emulator.api_key]
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Add a reviewer as collaborator" not in passed_steps(out)
    assert "skipped: a real server needs an existing user: pass --collaborator NAME" in out
    # The summary counts what ran, and lists what did not and why.
    assert f"Tour passed: {len(STEPS) - 1} steps checked, 1 skipped." in out
    assert (
        "  Skipped: Add a reviewer as collaborator (a real server needs an existing user:"
        " pass --collaborator NAME)." in out.splitlines()
    )


def test_a_failed_check_names_the_step_exits_1_and_still_cleans_up(
    segments_emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A server that returned other labels than those written: the read-back check fails.
    monkeypatch.setattr(tour, "dump", lambda attributes: {"annotations": []})
    monkeypatch.setenv("SEGMENTS_API_KEY", segments_emulator.api_key)
    code = main(["tour", "--api-url", segments_emulator.url])
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "Write ground-truth labels and read them back: check failed: rose.png: "
        "the label read back differs from the one written" in out
    )
    assert "Tour FAILED at: Write ground-truth labels and read them back" in out
    assert "Filter samples" not in out  # the tour stops at the first failed step
    assert passed_steps(out)[-1] == "Delete the tour's dataset"
    with so.Client(api_key=segments_emulator.api_key, api_url=segments_emulator.url) as client:
        assert list(client.datasets) == []


def test_a_request_error_fails_the_step_with_the_servers_words(
    segments_emulator: EmulatorServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("SEGMENTS_API_URL", raising=False)
    monkeypatch.setenv("SEGMENTS_API_KEY", "not-a-key")
    code = main(["tour", "--api-url", segments_emulator.url])
    out = capsys.readouterr().out
    assert code == 1
    assert "Who am I: AuthenticationError" in out
    assert "Tour FAILED at: Who am I" in out


def test_png_is_a_valid_image() -> None:
    image = tour.png(3, 2, (10, 20, 30))
    pil = pytest.importorskip("PIL.Image")
    import io

    with pil.open(io.BytesIO(image)) as opened:
        assert opened.size == (3, 2)
        assert opened.convert("RGB").getpixel((2, 1)) == (10, 20, 30)


def test_a_server_url_without_a_key_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SEGMENTS_API_KEY", raising=False)
    monkeypatch.delenv("SEGMENTS_API_URL", raising=False)
    assert main(["tour", "--api-url", "https://api.example.com/"]) == 2
    captured = capsys.readouterr()
    assert "error: No API key" in captured.err
    assert captured.out == ""
