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
    # The longest files first, in the order below (see pytest_collection_modifyitems).
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


#: The files that take longest, longest first (wall seconds on the 2-core machine of
#: docs/performance.rst). ``--dist loadfile`` hands out whole files in collection order;
#: xdist's own order (the files with the most tests first) started these few-test files
#: last, and the run ended waiting on one of them alone. A file missing here runs after
#: these, in the usual order; a name that no longer exists is ignored.
_LONGEST_FIRST = (
    "tests/cli/test_newcomer_path.py",
    "tests/pipelines/test_resumable_ingest.py",
    "tests/docs/test_examples.py",
    "tests/contract/test_platform_suites.py",
    "tests/benchmarks/test_quick.py",
    "tests/reliability/test_shared_backoff.py",
    "tests/pipelines/test_bulk_samples.py",
    "tests/emulator/hostile/test_hostile.py",
    "tests/emulator/test_emu_sandbox.py",
    "tests/unit/types/test_types_properties.py",
    "tests/emulator/test_emu_server.py",
    "tests/reliability/test_fault_soak.py",
    "tests/reliability/test_bounded_waits.py",
    "tests/benchmarks/test_pipelines_quick.py",
    "tests/reliability/test_secrets_in_tracebacks.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, put the longest files first (each worker sorts its collection alike)."""
    if not hasattr(config, "workerinput"):
        return  # a plain run keeps pytest's order
    rank = {path: index for index, path in enumerate(_LONGEST_FIRST)}
    last = len(rank)
    order = {id(item): index for index, item in enumerate(items)}
    items.sort(key=lambda item: (rank.get(item.nodeid.split("::", 1)[0], last), order[id(item)]))
