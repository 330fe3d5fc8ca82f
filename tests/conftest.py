"""Options of the whole test suite.

They live here, at the top of ``tests/``, because pytest reads ``pytest_addoption`` only
from conftest files it loads at start-up: ``python -m pytest --soak-full`` from the
repository root must work as well as ``pytest tests/reliability --soak-full``.
"""

from __future__ import annotations

import os

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("segments-orm")
    group.addoption(
        "--soak-full",
        action="store_true",
        default=False,
        help="run the fault soak at full size (5,000 samples, 50-500 ms latency)",
    )
    group.addoption(
        "--record-mode",
        choices=("none", "rewrite"),
        default=None,
        help="cassette tests: 'none' replays (default), 'rewrite' records them again",
    )


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """Give ``-n auto`` (the README's command) one worker more than the machine has cores.

    A good part of the suite waits rather than computes (emulated latency, Retry-After
    pauses, subprocesses, pip): a spare worker runs while another one waits, so the cores
    stay busy. More would only add collections (each worker collects the whole suite).
    """
    return (os.cpu_count() or 1) + 1


def pytest_configure(config: pytest.Config) -> None:
    """Rewrite the asserts of test files only, not of every module of the installed plugins.

    pytest marks every module of a distribution that registers a plugin (hypothesis, and
    segments-orm itself through `segments_orm.testing`) for assertion rewriting; each
    worker would parse and rewrite all of them on import, a few seconds per process, for
    asserts whose messages no test reads. Test files and conftests are rewritten as ever.
    """
    hook = config.pluginmanager.rewrite_hook
    marked = getattr(hook, "_must_rewrite", None)  # pytest's own set; absent, nothing to do
    if isinstance(marked, set):
        marked.difference_update({"hypothesis", "segments_orm", "xdist"})
