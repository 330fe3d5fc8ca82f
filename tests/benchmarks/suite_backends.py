"""Time test suites side by side: the emulator suite in-process vs over sockets, and the
README's test command in another checkout (before) vs this one (after).

Run from the repository root::

    python tests/benchmarks/suite_backends.py                  # emulator suite, 2 rounds
    python tests/benchmarks/suite_backends.py --before /path/to/old/checkout \
        --before-venv /path/to/old/venv --skip-emulator        # + the README's command

The README's command is read out of each checkout's README.rst (the line ``pip install -e
'.[test]' && <command>``, as .ci/run reads it) and run as CI runs it (``CI=true``), with
``python`` the one of that side's virtualenv (``--before-venv``, ``--after-venv``; by
default the one running this script), which must have that checkout installed ``[test]``.

Runs alternate (in-process, sockets, in-process, ...) so that a machine busy with other
work slows both sides alike; each figure is the median of its rounds, for the whole pytest
process (start-up and collection included): wall-clock time, and CPU time (user + system,
of pytest and everything it started), which a machine shared with other work disturbs
less. Nothing is judged: the script prints the times and the ratios. Results go to
docs/performance.rst by hand.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

ROOT = Path(__file__).resolve().parents[2]
README_LINE = "pip install -e '.[test]' && "
# Tests that stay on sockets whichever backend is chosen (HTTP serving itself, and bare
# requests to issued URLs): left out, so both sides run exactly the same tests.
SOCKET_ONLY = [
    "--ignore=tests/emulator/test_emu_server.py",
    "--ignore=tests/emulator/hostile",
    "--deselect=tests/emulator/test_emu_resources.py::test_asset_upload_accepts_the_security_token",
    "--deselect=tests/emulator/test_emu_resources.py::test_asset_upload_checks_the_issued_fields",
    "--deselect=tests/emulator/test_emu_resources.py::test_asset_upload_flow",
    "--deselect=tests/emulator/test_emu_resources.py::"
    "test_release_is_pending_then_succeeds_and_serves_the_release_file",
    # The sandbox tests that never ask for the plugin's emulator: they start
    # `segments-orm emulator` processes or open their own Emulator, the same either way.
    *(
        f"--deselect=tests/emulator/test_emu_sandbox.py::{name}"
        for name in (
            "test_the_same_seed_applies_once_and_then_changes_nothing",
            "test_the_sandbox_restarts_with_the_same_flags",
            "test_a_conflicting_seed_at_start_is_one_line_and_exit_2",
            "test_a_database_that_cannot_be_opened_is_one_line_and_exit_2",
            "test_add_user_and_add_key_reach_a_running_sandbox",
            "test_add_user_needs_an_existing_emulator_database",
            "test_the_command_sets_the_lifetime_of_signed_urls",
        )
    ),
]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def readme_command(checkout: Path) -> str:
    """Return the test command of ``checkout``'s README (what follows ``&&`` on its line)."""
    for line in (checkout / "README.rst").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith(README_LINE):
            return line[len(README_LINE) :]
    raise SystemExit(f"{checkout}/README.rst has no line starting {README_LINE!r}")


def shell_command(command: str, venv: Optional[Path]) -> list[str]:
    """Return argv running ``command`` with ``python`` the one of ``venv`` (or this one)."""
    bin_dir = (venv / "bin") if venv is not None else Path(sys.executable).parent
    return ["bash", "-c", f'PATH="{bin_dir}:$PATH" CI=true {command}']


def run(
    arguments: Sequence[str], cwd: Path, argv: Optional[list[str]] = None
) -> tuple[float, float, str]:
    """Run pytest with ``arguments`` (or ``argv``) in ``cwd``; return wall and CPU seconds,
    and its last line."""
    cpu = children_cpu()
    started = time.perf_counter()
    result = subprocess.run(
        argv or [sys.executable, "-m", "pytest", "-q", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    seconds = time.perf_counter() - started
    cpu = children_cpu() - cpu
    lines = result.stdout.strip().splitlines()
    last = lines[-1] if lines else result.stderr.strip()[-200:]
    if result.returncode != 0:
        raise SystemExit(f"pytest {' '.join(arguments)} failed in {cwd}:\n{result.stdout[-3000:]}")
    return seconds, cpu, last


Side = tuple[list[str], Path, Optional[list[str]]]


def side_by_side(name: str, sides: dict[str, Side], rounds: int) -> None:
    walls: dict[str, list[float]] = {label: [] for label in sides}
    cpus: dict[str, list[float]] = {label: [] for label in sides}
    for round_number in range(rounds):
        for label, (arguments, cwd, argv) in sides.items():
            seconds, cpu, last = run(arguments, cwd, argv)
            walls[label].append(seconds)
            cpus[label].append(cpu)
            print(
                f"{name} round {round_number + 1} {label:<10} wall {seconds:7.1f} s  "
                f"cpu {cpu:7.1f} s  ({last})"
            )
    first, second = list(sides)
    for what, times in (("wall", walls), ("cpu", cpus)):
        medians = {label: statistics.median(values) for label, values in times.items()}
        for label, value in medians.items():
            print(f"{name} median {what} {label:<10} {value:7.1f} s")
        print(f"{name} ratio {what} {first}/{second} {medians[first] / medians[second]:.2f}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="runs of each side (default 2)")
    parser.add_argument(
        "--before", type=Path, help="a checkout to time the README's command in, against this one"
    )
    parser.add_argument(
        "--before-venv", type=Path, help="the virtualenv the --before checkout is installed in"
    )
    parser.add_argument(
        "--after-venv", type=Path, help="the virtualenv this checkout is installed in"
    )
    parser.add_argument(
        "--skip-emulator", action="store_true", help="time only the README's command"
    )
    args = parser.parse_args(argv)
    if not args.skip_emulator:
        emulator = ["tests/emulator", *SOCKET_ONLY]
        side_by_side(
            "emulator-suite",
            {
                "inprocess": ([*emulator, "--segments-backend=inprocess"], ROOT, None),
                "sockets": ([*emulator, "--segments-backend=http"], ROOT, None),
            },
            args.rounds,
        )
    if args.before is not None:
        before = args.before.resolve()
        commands = {"after": readme_command(ROOT), "before": readme_command(before)}
        for label, command in commands.items():
            print(f"readme-command {label}: {command}")
        side_by_side(
            "readme-command",
            {
                "after": ([], ROOT, shell_command(commands["after"], args.after_venv)),
                "before": ([], before, shell_command(commands["before"], args.before_venv)),
            },
            args.rounds,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
