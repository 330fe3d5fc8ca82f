"""A sandbox on an SQLite file: seeding is idempotent, restarts work, accounts can be added.

The subprocess tests run ``segments-orm emulator`` as a user would; each waits for a bounded
number of banner lines and stops the server with SIGTERM. The commands that end by
themselves (the account commands, and the refusals at start) mostly run in this process,
through the same ``segments_orm.cli.main`` that ``python -m segments_orm`` calls: a fresh
interpreter importing the emulator costs more CPU than all of their work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Optional

import pytest
import requests

from segments_orm import cli
from segments_orm.emulator import Emulator, EmulatorServer
from segments_orm.emulator import _cli as emulator_cli
from segments_orm.emulator._admin import SeedConflictError

SEED = {
    "users": [{"username": "john", "api_key": "john-key"}, {"username": "mary"}],
    "organizations": [{"name": "acme", "members": [{"username": "john", "role": "admin"}]}],
}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGMENTS_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "segments_orm", "emulator", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(),
        timeout=120,
    )


@pytest.fixture
def cli_here(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``segments-orm emulator ARGS`` in this process: exit status, stdout and stderr."""

    def started_serving() -> None:
        # These commands must end by themselves; a broken one fails here instead of hanging.
        raise AssertionError("the command started serving instead of refusing")

    monkeypatch.setattr(emulator_cli, "_wait_forever", started_serving)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        capfd.readouterr()  # only what this command writes
        code = cli.main(["emulator", *args])
        out, err = capfd.readouterr()
        return subprocess.CompletedProcess(list(args), code, out, err)

    return run


def _user(url: str, key: str) -> requests.Response:
    return requests.get(url + "user", headers={"Authorization": f"APIKey {key}"}, timeout=30)


class _Sandbox:
    """``segments-orm emulator --port 0 ARGS`` in a subprocess, with its banner read."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "segments_orm", "emulator", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=_env(),
        )
        self.url: Optional[str] = None
        self.banner: list[str] = []
        assert self.process.stdout is not None
        for _ in range(10):  # the banner is a handful of lines
            line = self.process.stdout.readline()
            if not line:
                break
            self.banner.append(line.rstrip("\n"))
            if line.startswith("Segments.ai emulator serving at "):
                self.url = line.split(" at ", 1)[1].strip()
            if line.startswith("Press Ctrl-C"):
                break

    def stop(self) -> tuple[int, str]:
        self.process.terminate()
        _, err = self.process.communicate(timeout=30)
        return self.process.returncode, err


@pytest.fixture
def sandbox_files(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps(SEED), encoding="utf-8")
    yield tmp_path / "sandbox.sqlite3", seed


# --- seeding an existing database ---------------------------------------------------------


def test_the_same_seed_applies_once_and_then_changes_nothing(tmp_path):
    db = tmp_path / "s.sqlite3"
    first = Emulator(db)
    try:
        report = first.load_seed(SEED)
        assert (report.users, report.organizations) == (["john", "mary"], ["acme"])
        assert report.members == [("acme", "john")]
    finally:
        first.close()
    again = Emulator(db, seed=SEED)  # as a restart with --seed does
    try:
        report = again.load_seed(SEED)
        assert not report.changed
        with again.store.transaction() as tx:
            assert tx.scalar("SELECT COUNT(*) FROM api_keys WHERE username = 'mary'") == 1
            assert tx.scalar("SELECT COUNT(*) FROM api_keys WHERE username = 'john'") == 1
    finally:
        again.close()


def test_a_seed_applies_only_what_is_missing(server, keyed):
    server.emulator.add_user("john", "john@example.com")
    report = server.emulator.load_seed(SEED)
    assert report.users == ["mary"]
    assert report.keys == ["john"]  # the seed's key is added to the existing user
    assert keyed("john-key").get("user").json()["username"] == "john"


@pytest.mark.parametrize(
    ("before", "seed", "message"),
    [
        (
            lambda e: e.add_user("john", "j@x.org"),
            {"users": [{"username": "john", "email": "other@x.org"}]},
            "user 'john' has the email 'j@x.org' in the database, 'other@x.org' in the seed",
        ),
        (
            lambda e: e.add_organization("john"),
            {"users": [{"username": "john"}]},
            "'john' is an organization in the database, a user in the seed",
        ),
        (
            lambda e: e.add_user("acme"),
            {"organizations": [{"name": "acme"}]},
            "'acme' is a user in the database, an organization in the seed",
        ),
        (
            lambda e: e.add_user("mary", api_key="shared"),
            {"users": [{"username": "john", "api_key": "shared"}]},
            "the API key the seed gives 'john' belongs to 'mary'",
        ),
        (
            lambda e: (
                e.add_user("john"),
                e.add_organization("acme"),
                e.add_member("acme", "john"),
            ),
            {
                "organizations": [
                    {"name": "acme", "members": [{"username": "john", "role": "admin"}]}
                ]
            },
            "'john' is 'labeler' of 'acme' in the database, 'admin' in the seed",
        ),
    ],
)
def test_a_real_conflict_is_refused_naming_it_and_applies_nothing(server, before, seed, message):
    before(server.emulator)
    # A first, harmless part of the seed must not stay behind when a later part conflicts.
    seed = {
        "users": [{"username": "zoe"}, *seed.get("users", [])],
        **{k: v for k, v in seed.items() if k != "users"},
    }
    with pytest.raises(SeedConflictError) as caught:
        server.emulator.load_seed(seed)
    assert str(caught.value) == f"the seed conflicts with the database: {message}"
    with server.emulator.store.transaction() as tx:
        assert tx.one("SELECT 1 FROM users WHERE username = 'zoe'") is None


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ({"users": [{"email": "x@y"}]}, "malformed seed"),
        ({"users": {"john": {}}}, "'users' must be a list of objects"),
        ({"organizations": [{"name": "acme", "members": [{"username": "nobody"}]}]}, "no user"),
    ],
)
def test_a_malformed_seed_is_a_value_error(server, seed, message):
    with pytest.raises(ValueError, match=message):
        server.emulator.load_seed(seed)


def test_a_seed_file_that_is_not_json_says_so(server, tmp_path):
    bad = tmp_path / "seed.json"
    bad.write_text("{users: [", encoding="utf-8")
    with pytest.raises(ValueError, match=r"the seed file .*seed\.json' is not JSON"):
        server.emulator.load_seed(bad)


# --- the command line ---------------------------------------------------------------------


def test_the_sandbox_restarts_with_the_same_flags(sandbox_files):
    db, seed = sandbox_files
    first = _Sandbox("--db", str(db), "--seed", str(seed))
    try:
        assert first.url is not None, first.banner
        assert "Seed " in "\n".join(first.banner) and "added 2 user(s)" in "\n".join(first.banner)
        assert _user(first.url, "john-key").json()["username"] == "john"
        made = requests.post(
            first.url + "user/datasets/",
            json={"name": "kept"},
            headers={"Authorization": "APIKey john-key"},
            timeout=30,
        )
        assert made.status_code == 201, made.text
    finally:
        code, err = first.stop()
    assert code == 0, err
    second = _Sandbox("--db", str(db), "--seed", str(seed))
    try:
        assert second.url is not None, second.banner + [second.stop()[1]]
        assert "already applied, nothing to add" in "\n".join(second.banner)
        assert _user(second.url, "john-key").json()["username"] == "john"
        kept = requests.get(
            second.url + "datasets/john/kept/",
            headers={"Authorization": "APIKey john-key"},
            timeout=30,
        )
        assert kept.status_code == 200
    finally:
        code, err = second.stop()
    assert code == 0, err


def test_a_conflicting_seed_at_start_is_one_line_and_exit_2(sandbox_files, cli_here):
    db, seed = sandbox_files
    Emulator(db).close()
    conflicting = seed.with_name("other.json")
    conflicting.write_text(json.dumps({"organizations": [{"name": "demo"}]}), encoding="utf-8")
    result = cli_here("--db", str(db), "--seed", str(conflicting), "--port", "0")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: the seed conflicts with the database: 'demo' is a user in the database, an"
        " organization in the seed"
    )


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (None, "the folder '/nonexistent' does not exist"),
        ("not a database", "file is not a database"),
    ],
)
def test_a_database_that_cannot_be_opened_is_one_line_and_exit_2(
    tmp_path, make, expected, cli_here
):
    db = "/nonexistent/x.sqlite3"
    if make is not None:
        db = str(tmp_path / "junk.sqlite3")
        Path(db).write_text(make, encoding="utf-8")
    result = cli_here("--db", db, "--port", "0")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: cannot open the emulator database '{db}': ")
    assert expected in lines[0]


def test_add_user_and_add_key_reach_a_running_sandbox(tmp_path, cli_here):
    db = tmp_path / "sandbox.sqlite3"
    with EmulatorServer(db=db) as server:  # a server on the file, as `emulator --db` runs
        # The first as a user runs it (the key alone on the process's stdout), the rest here.
        created = _cli("add-user", "alice", "--db", str(db), "--email", "a@x.org")
        assert created.returncode == 0, created.stderr
        key = created.stdout.strip()
        assert len(created.stdout.splitlines()) == 1 and key  # the key, once, alone
        assert "Created user 'alice'" in created.stderr
        assert key not in created.stderr
        me = _user(server.url, key)
        assert me.status_code == 200, me.text
        assert (me.json()["username"], me.json()["email"]) == ("alice", "a@x.org")

        again = cli_here("add-user", "alice", "--db", str(db))
        assert again.returncode == 2
        assert again.stderr.strip() == (
            "error: the username 'alice' is taken; for another key: segments-orm emulator"
            f" add-key alice --db {db}"
        )
        second = cli_here("add-key", "alice", "--db", str(db))
        assert second.returncode == 0, second.stderr
        other = second.stdout.strip()
        assert other != key
        for each in (key, other):
            assert _user(server.url, each).json()["username"] == "alice"
        unknown = cli_here("add-key", "nobody", "--db", str(db))
        assert (unknown.returncode, unknown.stderr.strip()) == (2, "error: no user named 'nobody'")


def test_add_user_needs_an_existing_emulator_database(tmp_path, cli_here):
    missing = tmp_path / "none.sqlite3"
    result = cli_here("add-user", "alice", "--db", str(missing))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: no emulator database at '{missing}' (start `segments-orm emulator --db"
        f" {missing}` once to create it)"
    )
    assert not missing.exists()
    other = tmp_path / "other.sqlite3"
    import sqlite3

    sqlite3.connect(other).close()
    other.write_bytes(other.read_bytes())  # an empty SQLite file that is not ours
    result = cli_here("add-user", "alice", "--db", str(other))
    assert result.returncode == 2
    assert "is not an emulator database" in result.stderr


def test_the_command_sets_the_lifetime_of_signed_urls(tmp_path):
    sandbox = _Sandbox("--signed-url-ttl", "-1")
    try:
        assert sandbox.url is not None, sandbox.banner
        key = next(
            line.split(": ", 1)[1] for line in sandbox.banner if line.startswith("API key of")
        )
        headers = {"Authorization": f"APIKey {key}"}
        file = requests.post(
            sandbox.url + "assets/", json={"filename": "a.png"}, headers=headers, timeout=30
        ).json()
        form = file["presignedPostFields"]
        upload = requests.post(form["url"], data=form["fields"], files={"file": b"x"}, timeout=30)
        assert upload.status_code == 403
        assert "Policy expired" in upload.json()["detail"]
    finally:
        code, err = sandbox.stop()
    assert code == 0, err
