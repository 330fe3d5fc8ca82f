"""The server itself: concurrency, persistence, lifecycle, the CLI and the pytest plugin."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from segments_orm.emulator import EmulatorServer, Faults

THREADS = 16


def test_sixteen_threads_writing_at_once_lose_nothing(server, api):
    api.dataset("flowers", task_type="vector")
    barrier = threading.Barrier(THREADS)
    key = server.api_key

    def work(worker):
        session = requests.Session()
        session.headers["Authorization"] = f"APIKey {key}"
        barrier.wait()
        made = []
        for index in range(10):
            name = f"w{worker}-s{index}"
            response = session.post(
                f"{server.url}datasets/demo/flowers/samples/",
                json={"name": name, "attributes": {"image": {"url": name}}},
                timeout=60,
            )
            assert response.status_code == 201, response.text
            sample_uuid = response.json()["uuid"]
            label = session.put(
                f"{server.url}labels/{sample_uuid}/ground-truth/",
                json={"label_status": "LABELED", "attributes": {"annotations": []}},
                timeout=60,
            )
            assert label.status_code == 201, label.text
            made.append((name, sample_uuid))
        session.close()
        return made

    with ThreadPoolExecutor(THREADS) as pool:
        results = [item for chunk in pool.map(work, range(THREADS)) for item in chunk]
    samples = api.get("datasets/demo/flowers/samples/?labelset=ground-truth").json()
    assert len(samples) == THREADS * 10
    assert sorted((s["name"], s["uuid"]) for s in samples) == sorted(results)
    assert all(s["label"]["label_status"] == "LABELED" for s in samples)
    stats = api.get("datasets/demo/flowers/").json()["label_stats"]
    assert (stats["LABELED"], stats["TOTAL"]) == (THREADS * 10, THREADS * 10)
    assert len(api.get("datasets/demo/flowers/workunits/").json()) == THREADS * 10


def test_sixteen_threads_on_a_file_database(tmp_path):
    with EmulatorServer(db=str(tmp_path / "busy.sqlite3")) as server:
        headers = {"Authorization": f"APIKey {server.api_key}"}
        requests.post(
            f"{server.url}user/datasets/", json={"name": "d"}, headers=headers, timeout=10
        )
        barrier = threading.Barrier(THREADS)

        def work(worker):
            barrier.wait()
            items = [
                {"name": f"w{worker}-{index}", "attributes": {"image": {"url": "u"}}}
                for index in range(25)
            ]
            response = requests.post(
                f"{server.url}datasets/demo/d/samples_bulk/",
                json=items,
                headers=headers,
                timeout=60,
            )
            assert response.status_code == 201
            return len(response.json())

        with ThreadPoolExecutor(THREADS) as pool:
            assert sum(pool.map(work, range(THREADS))) == THREADS * 25
        dataset = requests.get(f"{server.url}datasets/demo/d/", headers=headers, timeout=10).json()
        assert dataset["samples_count"] == THREADS * 25


def test_concurrent_duplicate_creates_make_exactly_one(server, api):
    barrier = threading.Barrier(THREADS)

    def create(_):
        barrier.wait()
        return requests.post(
            f"{server.url}user/datasets/",
            json={"name": "contested"},
            headers={"Authorization": f"APIKey {server.api_key}"},
            timeout=60,
        ).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        codes = list(pool.map(create, range(THREADS)))
    assert sorted(codes) == [201] + [400] * (THREADS - 1)


def test_concurrent_bulk_creates_of_the_same_names(server, api):
    api.dataset("flowers")
    items = [{"name": f"s{i}", "attributes": {"image": {"url": "u"}}} for i in range(20)]
    barrier = threading.Barrier(8)

    def bulk(_):
        barrier.wait()
        response = requests.post(
            f"{server.url}datasets/demo/flowers/samples_bulk/",
            json=items,
            headers={"Authorization": f"APIKey {server.api_key}"},
            timeout=60,
        )
        assert response.status_code == 201
        return [s["uuid"] for s in response.json()]

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(bulk, range(8)))
    assert all(answer == answers[0] for answer in answers)
    assert api.get("datasets/demo/flowers/").json()["samples_count"] == 20


def test_state_survives_a_restart_with_a_file_database(tmp_path):
    db = str(tmp_path / "sandbox.sqlite3")
    with EmulatorServer(db=db) as first:
        key = first.api_key
        john_key = first.emulator.add_user("john")
        headers = {"Authorization": f"APIKey {key}"}
        requests.post(
            f"{first.url}user/datasets/", json={"name": "kept"}, headers=headers, timeout=10
        )
        sample = requests.post(
            f"{first.url}datasets/demo/kept/samples/",
            json={"name": "a", "attributes": {"image": {"url": "u"}}},
            headers=headers,
            timeout=10,
        ).json()
    with EmulatorServer(db=db) as second:
        assert second.api_key == key
        headers = {"Authorization": f"APIKey {key}"}
        fetched = requests.get(
            f"{second.url}samples/{sample['uuid']}/", headers=headers, timeout=10
        )
        assert fetched.json()["name"] == "a"
        me = requests.get(
            f"{second.url}user", headers={"Authorization": f"APIKey {john_key}"}, timeout=10
        )
        assert me.json()["username"] == "john"


def test_stopping_leaves_no_thread_behind():
    before = set(threading.enumerate())
    with EmulatorServer(faults=Faults(latency=0.001)) as server:
        for _ in range(5):
            requests.get(
                f"{server.url}user",
                headers={"Authorization": f"APIKey {server.api_key}"},
                timeout=10,
            )
        # A connection left open by a client must not keep a thread alive either.
        import socket

        idle = socket.create_connection(("127.0.0.1", server.port))
        assert server.emulator.stats.faults["latency"] == 5
    idle.close()
    leftovers = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert leftovers == []


def test_server_url_and_repr():
    server = EmulatorServer()
    assert "stopped" in repr(server)
    with pytest.raises(RuntimeError):
        _ = server.url
    with server:
        assert server.url == f"http://127.0.0.1:{server.port}/"
        assert server.url in repr(server)


def test_port_in_use_raises_oserror():
    with EmulatorServer() as first:
        taken = EmulatorServer(port=first.port)
        with pytest.raises(OSError, match="in use"):
            taken.start()
        taken.emulator.close()


def test_seed_file(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"users": [{"username": "john", "api_key": "k-john"}]}))
    with EmulatorServer(seed=str(seed)) as server:
        me = requests.get(
            f"{server.url}user", headers={"Authorization": "APIKey k-john"}, timeout=10
        )
        assert me.json()["username"] == "john"


def test_bad_seed_raises_value_error(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"organizations": [{"name": "demo"}]}))
    with pytest.raises(ValueError, match="conflicts"):
        EmulatorServer(seed=str(seed))
    seed.write_text("[1, 2]")
    with pytest.raises(ValueError, match="JSON object"):
        EmulatorServer(seed=str(seed))
    with pytest.raises(ValueError, match="malformed seed"):
        EmulatorServer(seed={"users": [{"email": "no-username@x.org"}]})


def test_cli_serves_and_prints_url_and_key(tmp_path):
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"users": [{"username": "john", "api_key": "k-john"}]}))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "segments_orm.emulator._cli",
            "--port",
            "0",
            "--seed",
            str(seed),
            "--error-rate",
            "503=0.0",
            "--latency",
            "0,0.001",
            "--fault-seed",
            "3",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        url = key = None
        for _ in range(10):
            line = process.stdout.readline()
            if "serving at" in line:
                url = line.split("serving at", 1)[1].strip()
            if line.startswith("API key"):
                key = line.rsplit(" ", 1)[1].strip()
            if url and key:
                break
        assert url is not None
        assert key is not None
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/")
        me = requests.get(f"{url}user", headers={"Authorization": f"APIKey {key}"}, timeout=10)
        assert me.json()["username"] == "demo"
        john = requests.get(f"{url}user", headers={"Authorization": "APIKey k-john"}, timeout=10)
        assert john.json()["username"] == "john"
        process.terminate()  # SIGTERM stops it cleanly, like Ctrl-C
        assert process.wait(timeout=30) == 0
        assert "Stopping." in process.stdout.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
        process.stdout.close()
        process.stderr.close()


def test_cli_seed_integer_seeds_the_faults(monkeypatch, capsys):
    from segments_orm.emulator import _cli

    seen = {}

    def fake_wait():
        raise KeyboardInterrupt

    real_start = EmulatorServer.start

    def spy_start(self):
        seen["faults"] = self.emulator.faults
        return real_start(self)

    monkeypatch.setattr(_cli, "_wait_forever", fake_wait)
    monkeypatch.setattr(EmulatorServer, "start", spy_start)
    assert _cli.main(["--port", "0", "--seed", "7", "--drop-rate", "0.1"]) == 0
    assert seen["faults"].seed == 7
    out = capsys.readouterr().out
    assert "serving at http://127.0.0.1:" in out
    assert _cli.main(["--port", "0", "--seed", "no-such-file.json"]) == 2


def test_cli_rejects_bad_fault_settings(capsys):
    from segments_orm.emulator._cli import main

    assert main(["--port", "0", "--error-rate", "418=0.5"]) == 2
    assert "error" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--error-rate", "nonsense"])


def test_plugin_fixture_gives_a_fresh_emulator(segments_emulator):
    response = requests.get(
        f"{segments_emulator.url}user/datasets/",
        headers={"Authorization": f"APIKey {segments_emulator.api_key}"},
        timeout=10,
    )
    assert response.json() == []
    requests.post(
        f"{segments_emulator.url}user/datasets/",
        json={"name": "leftover"},
        headers={"Authorization": f"APIKey {segments_emulator.api_key}"},
        timeout=10,
    )


def test_plugin_fixture_is_reset_between_tests(segments_emulator):
    response = requests.get(
        f"{segments_emulator.url}user/datasets/",
        headers={"Authorization": f"APIKey {segments_emulator.api_key}"},
        timeout=10,
    )
    assert response.json() == []


def test_plugin_client_fixture(request):
    pytest.importorskip("segments_orm.client")
    client = request.getfixturevalue("segments_client")
    assert client.ping() == {}
    users = getattr(client, "users", None)
    if users is not None:
        assert users.me().username == "demo"


def test_plugin_module_is_cheap_to_import():
    code = (
        "import sys, segments_orm.testing; "
        "heavy = ('werkzeug', 'segments_orm.emulator', 'sqlite3'); "
        "print(any(m.startswith(heavy) for m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "False"


def test_plugin_end_to_end_in_a_user_test_suite(tmp_path):
    """Run a small user test suite that relies only on the installed plugin."""
    (tmp_path / "test_user_suite.py").write_text(
        """
import pytest
import requests


def datasets(server, create=None):
    session = requests.Session()
    session.headers["Authorization"] = f"APIKey {server.api_key}"
    if create:
        assert session.post(server.url + "user/datasets/", json={"name": create}).ok
    return [d["name"] for d in session.get(server.url + "user/datasets/").json()]


def test_first(segments_emulator):
    assert datasets(segments_emulator, create="mine") == ["mine"]


def test_fresh_state(segments_emulator):
    assert datasets(segments_emulator, create="kept") == ["kept"]


@pytest.mark.segments_keep_state
def test_kept_state(segments_emulator):
    assert datasets(segments_emulator) == ["kept"]
"""
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "--strict-markers",
            "-p",
            "no:cacheprovider",
            # Every other installed plugin still loads, ours by its entry point; hypothesis'
            # alone costs more CPU than the suite (pytest rewrites each of its modules).
            "-p",
            "no:hypothesispytest",
            "test_user_suite.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
