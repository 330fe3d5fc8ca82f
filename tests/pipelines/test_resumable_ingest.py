"""The resumable ingest of docs/examples/ingest_folder.py survives kill -9 at any moment.

For several seeds: a folder of images, then the script killed (SIGKILL) at random moments
a few times, then run to the end. The final state must be exact: every image is one
sample whose asset holds its bytes, and the only assets beyond those are uploads that
were in flight at a kill (at most the client's worker count per kill).

The moments are chosen by what the emulator has received, not by the clock, so that a
kill lands where it was drawn however loaded the machine is: during start-up, when the
run's n-th request reaches the server (the uploads: two requests per image), or when its
bulk create does (the samples, committed by the server after the client is gone).
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import segments_orm as so
from segments_orm.emulator import EmulatorServer, Faults

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "docs" / "examples" / "ingest_folder.py"
SEEDS = range(3)
IMAGES = 30
KILLS = 3
WORKERS = 8  # the client's default max_workers


class _Watched(Faults):
    """The test's faults, also keeping the path of every request as the emulator gets it."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.paths: list[str] = []

    def decide(self, path: str) -> Any:
        self.paths.append(path)
        return super().decide(path)


def _kill_at_a_drawn_moment(
    process: subprocess.Popen[bytes], watched: _Watched, chance: random.Random
) -> bool:
    """SIGKILL ``process`` at a moment drawn from ``chance``; False if it ended first."""
    kind = chance.choice(("start", "request", "request", "samples"))
    started, first = time.monotonic(), len(watched.paths)
    wait = chance.uniform(0.0, 0.3)
    count = chance.randint(1, 2 * IMAGES)

    def reached() -> bool:
        seen = watched.paths[first:]
        if kind == "start":
            return time.monotonic() - started >= wait
        if kind == "request":
            return len(seen) >= count
        return any(path.endswith("/samples_bulk/") for path in seen)

    deadline = started + 60
    while process.poll() is None and time.monotonic() < deadline:
        if reached():
            process.kill()  # SIGKILL: no cleanup, no finally
            return True
        time.sleep(0.002)
    return False


def _run(env: dict[str, str], dataset: str, folder: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), dataset, str(folder)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_kill_9_then_the_same_command_leaves_an_exact_state(tmp_path: Path, seed: int) -> None:
    chance = random.Random(seed)
    db = tmp_path / "emulator.sqlite3"
    folder = tmp_path / "images"
    folder.mkdir()
    for i in range(IMAGES):
        (folder / f"{i:03}.jpg").write_bytes(f"jpeg {seed} {i}".encode() * 50)
    watched = _Watched(latency=(0.005, 0.03), seed=seed)
    with EmulatorServer(db=db, faults=watched) as server:
        client = so.Client(api_key=server.api_key, api_url=server.url)
        client.datasets.create("photos", task_type="bboxes")
        env = {
            **os.environ,
            "SEGMENTS_API_KEY": server.api_key,
            "SEGMENTS_API_URL": server.url,
            "PYTHONPATH": str(ROOT),
        }
        kills = 0
        for _ in range(KILLS):
            process = _run(env, "demo/photos", folder)
            kills += _kill_at_a_drawn_moment(process, watched, chance)
            process.communicate(timeout=60)
        final = _run(env, "demo/photos", folder)
        out, err = final.communicate(timeout=120)
        assert final.returncode == 0, err.decode()[-2000:]

        samples = list(client.datasets.get("demo/photos").samples.all())
        assert sorted(s.name for s in samples) == sorted(p.name for p in folder.glob("*.jpg"))
        for sample in samples:
            url = sample.attributes.image.url
            assert client.transport.download(url) == (folder / sample.name).read_bytes()
        used = {s.attributes.image.url.rsplit("/", 1)[-1] for s in samples}
        client.close()
    with sqlite3.connect(db) as connection:
        keys = [row[0].rsplit("/", 1)[-1] for row in connection.execute("SELECT key FROM assets")]
    orphans = [k for k in keys if k not in used]
    print(f"seed {seed}: {kills} kills, {len(orphans)} orphaned assets")
    assert len(keys) == len(set(keys))
    assert len(orphans) <= kills * WORKERS, (kills, orphans)
