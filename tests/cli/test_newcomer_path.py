"""The newcomer's path, walked as programs from a fresh virtualenv (issue 14).

One virtualenv, made once for the module: the README's first command installs into it
and runs the tour; then every docs page's examples run in the environment that page names
(``segments-orm shell``'s setup, a real ``segments-orm emulator`` process, or nothing),
with the same runner as tests/docs; then a sandbox is stopped and started again with the
same flags. pip's cache makes the install take seconds, and it needs no network beyond
the package index pip is configured with.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import venv
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path
from typing import NamedTuple, Optional

import pytest

import segments_orm as so

ROOT = Path(__file__).resolve().parents[2]
RUNNER = ROOT / "tests" / "docs" / "docs_examples.py"
sys.path.insert(0, str(RUNNER.parent))
from docs_examples import environment_of, parse  # noqa: E402

pytestmark = [
    pytest.mark.newcomer,
    pytest.mark.skipif(not (ROOT / "README.rst").is_file(), reason="needs a source checkout"),
]

README_FIRST = "pip install -e '.[emulator]' && segments-orm tour"


class Venv(NamedTuple):
    bin: Path
    env: dict[str, str]
    first_command: subprocess.CompletedProcess[str]

    def run(
        self,
        *args: str,
        cwd: Path = ROOT,
        env: Optional[dict[str, str]] = None,
        timeout: float = 300,
    ) -> subprocess.CompletedProcess[str]:
        """Run a program of the venv (or any) with the venv's environment."""
        return _run(list(args), env=self.env if env is None else env, cwd=cwd, timeout=timeout)


def _run(
    args: list[str], *, env: dict[str, str], cwd: Path = ROOT, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run a program to its end, its output captured as text, nothing on its input."""
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=timeout,
    )


def _make_venv(where: Path, bin_dir: Path, env: dict[str, str]) -> None:
    """Make a virtualenv with pip in it, as ``python -m venv`` does, for less CPU.

    ``venv.create(with_pip=True)`` runs ensurepip, which installs the pip (and setuptools)
    bundled with Python and byte-compiles them: 5-6 s of CPU. The pip running this test
    installs a pip into a venv made without one in about half of that (``--python``, pip
    22.3 and later, with byte-compiling off as for every install here), and the pip it
    installs is the index's newest, which installs the README's packages faster too.
    """
    venv.create(where, with_pip=False)
    python = str(bin_dir / "python")
    try:
        outer_pip = tuple(int(part) for part in metadata.version("pip").split(".")[:2])
    except (metadata.PackageNotFoundError, ValueError):
        outer_pip = (0, 0)
    if outer_pip >= (22, 3):
        command = [sys.executable, "-m", "pip", "--python", python, "install", "-q", "pip"]
    else:
        command = [python, "-m", "ensurepip", "--default-pip"]
    made = _run(command, env=env, timeout=600)
    assert made.returncode == 0, made.stdout[-3000:] + made.stderr[-3000:]


@pytest.fixture(scope="module")
def newcomer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Venv]:
    """Make a fresh virtualenv and run the README's first command in the checkout.

    The virtualenv (about 340 MB with the extras the pages name) is deleted afterwards:
    pytest keeps the temporary folders of the last three runs, and would otherwise keep
    a gigabyte of them, then spend seconds deleting each at the start of a later run.
    """
    readme = (ROOT / "README.rst").read_text(encoding="utf-8")
    assert f"    {README_FIRST}\n" in readme, "the README's first command changed"
    home = tmp_path_factory.mktemp("newcomer")
    bin_dir = home / "venv" / ("Scripts" if os.name == "nt" else "bin")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("SEGMENTS_", "PYTEST_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}",
        VIRTUAL_ENV=str(home / "venv"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        # pip would byte-compile every module of every wheel (numpy, pandas, opencv...),
        # most of which no example imports; Python compiles what is imported, when it is.
        # This is --no-compile: pip reads PIP_NO_COMPILE=1 as "compile" (a known quirk of
        # its negative options), PIP_COMPILE=false as intended. About 30 s of CPU less.
        PIP_COMPILE="false",
        PYTHONIOENCODING="utf-8",
    )
    _make_venv(home / "venv", bin_dir, env)
    first = _run(["bash", "-c", README_FIRST], env=env, timeout=900)
    yield Venv(bin_dir, env, first)
    shutil.rmtree(home / "venv", ignore_errors=True)


def test_the_readmes_first_command_installs_and_passes_the_tour(newcomer: Venv) -> None:
    result = newcomer.first_command
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Tour passed: 12 steps checked." in result.stdout
    # It ran the venv's own copy, not the one running this test.
    where = newcomer.run(str(newcomer.bin / "python"), "-c", "import sys; print(sys.prefix)")
    assert Path(where.stdout.strip()).parent == newcomer.bin.parent.parent


class _Background:
    """A program of the venv run while the test does something else; output in files."""

    def __init__(self, newcomer: Venv, *args: str, cwd: Path) -> None:
        self.args = list(args)
        self._out, self._err = cwd / "stdout.txt", cwd / "stderr.txt"
        with self._out.open("wb") as out, self._err.open("wb") as err:
            self.process = subprocess.Popen(
                self.args,
                cwd=cwd,
                env=newcomer.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
            )

    def finish(self, timeout: float) -> subprocess.CompletedProcess[str]:
        """Wait for the program to end (at most ``timeout`` seconds); give its result."""
        code = self.process.wait(timeout=timeout)
        read = {"encoding": "utf-8", "errors": "replace"}
        return subprocess.CompletedProcess(
            self.args, code, self._out.read_text(**read), self._err.read_text(**read)
        )

    def kill(self) -> None:
        """Stop the program if it still runs (a failure elsewhere, or a timeout)."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=60)


#: Run a program with Ctrl-C (SIGINT) at its default, as from a terminal. A shell starts
#: background jobs with SIGINT ignored and every child inherits that, and Python then
#: never turns SIGINT into KeyboardInterrupt: under ``pytest ... &`` the emulator would
#: ignore the Ctrl-C this test sends it. Set in the child just before exec, so no thread
#: of the test process is involved.
_INTERRUPTIBLE = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


class _Emulator:
    """A ``segments-orm emulator`` process of the fresh venv, stopped with Ctrl-C."""

    def __init__(self, newcomer: Venv, *args: str) -> None:
        program = [str(newcomer.bin / "segments-orm"), "emulator", "--port", "0", *args]
        self.process = subprocess.Popen(
            [sys.executable, "-c", _INTERRUPTIBLE, *program],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            # If it ever fails to stop, SIGABRT makes it print every thread's stack.
            env={**newcomer.env, "PYTHONFAULTHANDLER": "1"},
        )
        self.banner: list[str] = []
        self.exports: dict[str, str] = {}
        assert self.process.stdout is not None
        for _ in range(20):  # the banner is a handful of lines
            line = self.process.stdout.readline()
            if not line:
                break
            self.banner.append(line.rstrip("\n"))
            if line.strip().startswith("export "):
                pairs = line.split("export ", 1)[1].split()
                self.exports = dict(pair.split("=", 1) for pair in pairs)
            if line.startswith("Press Ctrl-C"):
                break

    def stop(self) -> tuple[int, str]:
        """Interrupt it as Ctrl-C does; return its exit status and standard error."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            _, err = self.process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            # Still running a minute after Ctrl-C: a hang to diagnose, so get its stacks.
            self.process.send_signal(signal.SIGABRT)
            try:
                _, err = self.process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                _, err = self.process.communicate(timeout=60)
            err = f"did not stop within 60 s of Ctrl-C; its threads then:\n{err}"
        return self.process.returncode, err


@pytest.fixture
def emulators(newcomer: Venv) -> Iterator[list[_Emulator]]:
    started: list[_Emulator] = []
    yield started
    for emulator in started:
        emulator.stop()


#: A console line of a page that installs extras: ``$ pip install 'segments-orm[a,b]'``.
_INSTALL_EXTRAS = re.compile(r"^\s*\$ pip install '?segments-orm\[(?P<extras>[\w,-]+)\]'?", re.M)


def _extras_named(pages: list[Path]) -> list[str]:
    """Return the extras the pages tell their reader to install, sorted."""
    extras = set()
    for page in pages:
        for match in _INSTALL_EXTRAS.finditer(page.read_text(encoding="utf-8")):
            extras.update(match["extras"].split(","))
    return sorted(extras)


def _pages() -> dict[str, list[Path]]:
    pages = [ROOT / "README.rst", *sorted((ROOT / "docs").glob("*.rst"))]
    by_environment: dict[str, list[Path]] = {}
    for page in pages:
        if any(not e.skip for e in parse(page)):
            kind = environment_of(page)
            assert kind is not None, f"{page.name} does not say where its examples run"
            by_environment.setdefault(kind, []).append(page)
    return by_environment


def _assert_the_checkout_is_installed(newcomer: Venv) -> None:
    """Check the venv's segments-orm is still this checkout, installed editable."""
    prefix = newcomer.bin.parent
    site = [*prefix.glob("lib/python*/site-packages"), *prefix.glob("Lib/site-packages")]
    found = [
        d
        for d in metadata.distributions(path=[str(p) for p in site])
        if d.metadata["Name"] == "segments-orm"
    ]
    assert len(found) == 1, f"{len(found)} segments-orm installed in {site}"
    origin = json.loads(found[0].read_text("direct_url.json") or "{}")
    assert origin.get("url") == ROOT.as_uri(), origin
    assert origin.get("dir_info", {}).get("editable") is True, origin


def test_every_docs_page_runs_in_the_environment_it_names(
    newcomer: Venv, emulators: list[_Emulator], tmp_path: Path
) -> None:
    assert newcomer.first_command.returncode == 0, "the README's first command failed"
    pages = _pages()
    # A reader who runs the pytest examples has pytest, and has installed the extras the
    # pages say their examples need, as their `$ pip install 'segments-orm[...]'` lines
    # say: into the venv where the README's command installed this checkout, so pip keeps
    # that segments-orm and installs only what the extras add.
    extras = _extras_named([page for kind in pages.values() for page in kind])
    installed = newcomer.run(
        str(newcomer.bin / "python"),
        "-m",
        "pip",
        "install",
        "-q",
        "pytest",
        f"segments-orm[{','.join(extras)}]",
        timeout=900,
    )
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    _assert_the_checkout_is_installed(newcomer)
    assert set(pages) == {"shell", "emulator", "own"}
    python = str(newcomer.bin / "python")

    # The shell's and own-emulator pages run in one process while the emulator pages run
    # one after the other: both mostly wait (for releases to build, for processes to
    # start), so side by side they take the time of the longer, not of both.
    in_process = [str(p) for p in pages["shell"] + pages["own"]]
    (tmp_path / "in-process").mkdir()
    background = _Background(
        newcomer, python, str(RUNNER), *in_process, cwd=tmp_path / "in-process"
    )
    try:
        for page in pages["emulator"]:
            # As the page says: start `segments-orm emulator`, export what it prints, run.
            emulator = _Emulator(newcomer)
            emulators.append(emulator)
            exports = set(emulator.exports)
            assert exports == {"SEGMENTS_API_URL", "SEGMENTS_API_KEY"}, emulator.banner
            env = {**newcomer.env, **emulator.exports}
            result = newcomer.run(
                python, str(RUNNER), "--use-exported", str(page), cwd=tmp_path, env=env
            )
            assert result.returncode == 0, result.stdout + result.stderr
            assert any(line.startswith(f"ok {page}: ") for line in result.stdout.splitlines())
            code, err = emulator.stop()
            assert code == 0, err[-5000:]
        result = background.finish(timeout=900)
    finally:
        background.kill()
    assert result.returncode == 0, result.stdout + result.stderr
    passed = [line for line in result.stdout.splitlines() if line.startswith("ok ")]
    assert len(passed) == len(in_process), result.stdout


def test_a_sandbox_stops_and_starts_again_with_the_same_flags(
    newcomer: Venv, emulators: list[_Emulator], tmp_path: Path
) -> None:
    db, seed = tmp_path / "sandbox.sqlite3", tmp_path / "seed.json"
    seed.write_text(json.dumps({"users": [{"username": "john"}]}), encoding="utf-8")
    flags = ("--db", str(db), "--seed", str(seed))

    first = _Emulator(newcomer, *flags)
    emulators.append(first)
    assert first.exports, first.banner
    url, key = first.exports["SEGMENTS_API_URL"], first.exports["SEGMENTS_API_KEY"]
    with so.Client(api_key=key, api_url=url) as client:
        client.datasets.create("kept").collaborators.add("john", role=so.Role.REVIEWER)
    code, err = first.stop()
    assert code == 0, err[-5000:]

    again = _Emulator(newcomer, *flags)
    emulators.append(again)
    if not again.exports:
        code, err = again.stop()
        pytest.fail(f"the second start failed (exit {code}): {err.strip()[-500:]}")
    with so.Client(
        api_key=again.exports["SEGMENTS_API_KEY"], api_url=again.exports["SEGMENTS_API_URL"]
    ) as client:
        kept = client.datasets.get("demo/kept")
        assert kept.collaborators.get("john").role == so.Role.REVIEWER
    code, err = again.stop()
    assert code == 0, err
