"""``segments-orm shell`` and ``segments-orm emulator``, run as programs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import requests

from segments_orm.cli import main
from segments_orm.emulator import EmulatorServer


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SEGMENTS_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def _run(args: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "segments_orm", *args],
        input=stdin,
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=180,
    )


# What each test types into one `segments-orm shell` on its embedded emulator, and the
# lines it must print; one session serves both (a session costs ~0.9 s CPU to start).
SHELL_INPUTS = {
    "sample dataset": (
        "print(dataset.samples.count())\n"
        "print(dataset.samples.filter(label_status='LABELED').count())\n"
        "print(isinstance(client, so.Client), dataset.full_name)\n",
        ["4", "2", "True demo/flowers"],
    ),
    # The docs pages that run "in segments-orm shell" call so.Client() and so.SegmentsClient().
    "so.Client()": (
        "other = so.Client()\n"
        "print(other.users.me().username, str(other.api_url.root) == str(client.api_url.root))\n"
        "print([d.full_name for d in so.SegmentsClient().get_datasets()])\n",
        ["demo True", "['demo/flowers']"],
    ),
}


@pytest.fixture(scope="module")
def embedded_shell() -> dict[str, object]:
    """One embedded-emulator shell fed every input; its exit status, stderr and lines."""
    result = _run(["shell"], "".join(code for code, _ in SHELL_INPUTS.values()), _env())
    lines = result.stdout.splitlines()
    printed = {}
    for name, (_, expected) in SHELL_INPUTS.items():
        printed[name], lines = lines[: len(expected)], lines[len(expected) :]
    printed["after"] = lines  # nothing is printed beyond what the inputs print
    return {"returncode": result.returncode, "stderr": result.stderr, "printed": printed}


def _check_shell(session: dict[str, object], name: str) -> None:
    assert session["returncode"] == 0, session["stderr"]
    printed = session["printed"]
    assert isinstance(printed, dict)
    assert printed[name] == SHELL_INPUTS[name][1], session["stderr"]
    assert printed["after"] == [], session["stderr"]


def test_shell_evaluates_code_from_standard_input_with_a_sample_dataset(
    embedded_shell: dict[str, object],
) -> None:
    _check_shell(embedded_shell, "sample dataset")
    assert "embedded emulator" in str(embedded_shell["stderr"])  # the banner, not in results


def test_so_client_in_the_shell_connects_to_the_shells_emulator(
    embedded_shell: dict[str, object],
) -> None:
    _check_shell(embedded_shell, "so.Client()")
    assert "so.Client() here connects to it too" in str(embedded_shell["stderr"])


def test_shell_on_a_configured_server_binds_client_and_creates_nothing() -> None:
    with EmulatorServer() as server:
        env = {**_env(), "SEGMENTS_API_URL": server.url, "SEGMENTS_API_KEY": server.api_key}
        code = "print(client.users.me().username)\nprint('dataset' in dir())\n"
        result = _run(["shell"], code, env)
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == ["demo", "False"]
        assert server.api_key not in result.stdout + result.stderr


def test_emulator_command_serves_on_a_free_port_until_interrupted() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "segments_orm", "emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=_env(),
    )
    try:
        assert process.stdout is not None
        url = key = None
        for _ in range(10):  # the banner is a handful of lines
            line = process.stdout.readline()
            if line.startswith("Segments.ai emulator serving at "):
                url = line.split(" at ", 1)[1].strip()
            elif line.startswith("API key of user 'demo': "):
                key = line.split(": ", 1)[1].strip()
                break
        assert url is not None
        assert url.startswith("http://127.0.0.1:"), url
        assert key
        answer = requests.get(url + "user", headers={"Authorization": f"APIKey {key}"}, timeout=30)
        assert answer.status_code == 200
        assert answer.json()["username"] == "demo"
    finally:
        process.terminate()
        process.communicate(timeout=30)


def test_the_emulator_command_takes_the_emulators_own_options(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["emulator", "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "segments-orm emulator" in out
    assert "--port" in out
    assert "--error-rate" in out


def test_no_command_prints_the_commands_and_fails(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    out = capsys.readouterr().out
    for command in ("tour", "shell", "emulator"):
        assert command in out


def test_shell_with_a_url_but_no_key_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SEGMENTS_API_KEY", raising=False)
    monkeypatch.delenv("SEGMENTS_API_URL", raising=False)
    assert main(["shell", "--api-url", "https://api.example.com/"]) == 2
    assert "error: No API key" in capsys.readouterr().err


def test_the_console_script_is_segments_orm_cli_main() -> None:
    from importlib.metadata import entry_points

    found = entry_points()
    # Python 3.9's entry_points() is a dict of groups; 3.10 added select().
    scripts = (
        found.select(group="console_scripts")
        if hasattr(found, "select")
        else found.get("console_scripts", [])
    )
    (script,) = [e for e in scripts if e.name == "segments-orm"]
    assert script.value == "segments_orm.cli:main"
    assert script.load() is main
