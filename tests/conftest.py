"""Options of the whole test suite.

They live here, at the top of ``tests/``, because pytest reads ``pytest_addoption`` only
from conftest files it loads at start-up: ``python -m pytest --soak-full`` from the
repository root must work as well as ``pytest tests/reliability --soak-full``.
"""

from __future__ import annotations

import fnmatch
import gc
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

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
    _warm_the_rewrite_cache(config)


#: Run by `_warm_the_rewrite_cache` in a child process, on the files named as arguments:
#: what pytest's import hook does for a test module whose cached pyc is missing or stale,
#: without importing (running) the module. pytest's own functions write pytest's own
#: format, and every worker still checks each pyc against its source's hash on import.
_WARM = """
import sys, types
from pathlib import Path
from _pytest.assertion import rewrite as r
state = types.SimpleNamespace(trace=lambda message: None)
for name in sys.argv[1:]:
    fn = Path(name)
    cache = r.get_cache_dir(fn)
    pyc = cache / (fn.name[:-3] + r.PYC_TAIL)
    if r._read_pyc(fn, pyc) is None and r.try_makedirs(cache):
        source_hash, code = r._rewrite_test(fn, None)
        r._write_pyc(state, code, source_hash, pyc)
if {charmap!r}:
    # hypothesis' table of Unicode categories, computed on first use and kept in
    # .hypothesis/: computed here once, instead of in every worker at the same moment.
    try:
        from hypothesis.internal.charmap import charmap
        charmap()
    except Exception:
        pass
"""


def _warm_the_rewrite_cache(config: pytest.Config) -> None:
    """Rewrite the test files' asserts once, on every core, before xdist starts its workers.

    Every worker imports every test file to collect it, and pytest rewrites a file's
    asserts on import unless ``__pycache__`` holds the result. In a fresh clone (CI) it
    does not: all the workers then rewrite all 25,000 lines at the same moment, about
    4 s of CPU each. Done here first, split over the cores, that is paid once.

    pytest's rewriter is private (as in Arize-ai/phoenix#15889, which does the same): if
    a pytest release changes it, the children fail, this returns, and the workers rewrite
    as before. Nothing else depends on it; a plain run (no ``-n``) does not come here.
    """
    if hasattr(config, "workerinput") or config.getoption("collectonly"):
        return
    workers = len(config.getoption("tx", None) or ())
    if workers < 2 or config.getoption("dist", "no") == "no" or sys.dont_write_bytecode:
        return
    if config.getoption("assertmode") != "rewrite" or config.getini("enable_assertion_pass_hook"):
        return  # other rewritten code than the children's; the workers do it
    _warm(_files_to_warm(config))


def _files_to_warm(config: pytest.Config) -> list[Path]:
    """Return the files pytest rewrites when it collects the run's arguments."""
    patterns = [*config.getini("python_files"), "conftest.py"]
    files: set[Path] = set()
    for arg in config.args:
        path = Path(config.invocation_params.dir, arg.split("::", 1)[0])
        found = [path] if path.is_file() else path.rglob("*.py") if path.is_dir() else []
        files.update(
            f
            for f in found
            if "__pycache__" not in f.parts
            and any(fnmatch.fnmatch(f.name, pattern) for pattern in patterns)
        )
    return sorted(files)


def _warm(files: list[Path]) -> None:
    """Write the rewritten pyc of each file, one child process per core, 2 minutes at most."""
    cores = os.cpu_count() or 1
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _WARM.format(charmap=i == 0), *map(str, files[i::cores])],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(min(cores, len(files)))
    ]
    deadline = time.monotonic() + 120
    for child in children:
        try:
            child.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:  # the workers will rewrite what is left
            child.kill()
            child.wait()


#: The files that take longest, longest first (wall seconds on the 2-core machine of
#: docs/performance.rst). ``--dist loadfile`` hands out whole files in collection order;
#: xdist's own order (the files with the most tests first) started these few-test files
#: last, and the run ended waiting on one of them alone. A file missing here runs after
#: these, in the usual order; tests/meta checks that every name still names a file.
_LONGEST_FIRST = (
    "tests/cli/test_newcomer_path.py",
    "tests/benchmarks/test_quick.py",
    "tests/contract/test_platform_suites.py",
    "tests/pipelines/test_resumable_ingest.py",
    "tests/docs/test_examples.py",
    "tests/emulator/hostile/test_hostile.py",
    "tests/emulator/test_emu_server.py",
    "tests/unit/types/test_types_properties.py",
    "tests/reliability/test_shared_backoff.py",
    "tests/notebooks/test_tour_notebook.py",
    "tests/reliability/test_bounded_waits.py",
    "tests/notebooks/test_browser.py",
    "tests/unit/test_requests_backend_answers.py",
    "tests/contract/test_requests_match.py",
    "tests/exports/test_release_export.py",
    "tests/emulator/test_emu_route_table_bad_input.py",
    "tests/pipelines/test_bulk_samples.py",
    "tests/cli/test_tour.py",
    "tests/exports/test_compare_platform.py",
    "tests/benchmarks/test_pipelines_quick.py",
    "tests/reliability/test_fault_soak.py",
    "tests/pipelines/test_values.py",
    "tests/reliability/test_sdk_bad_input.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist, put the longest files first (each worker sorts its collection alike)."""
    if not hasattr(config, "workerinput"):
        return  # a plain run keeps pytest's order
    rank = {path: index for index, path in enumerate(_LONGEST_FIRST)}
    last = len(rank)
    order = {id(item): index for index, item in enumerate(items)}
    items.sort(key=lambda item: (rank.get(item.nodeid.split("::", 1)[0], last), order[id(item)]))


@pytest.hookimpl(hookwrapper=True, tryfirst=True)  # old style: pytest 7.4's pluggy too
def pytest_collection(session: pytest.Session) -> Iterator[None]:
    """Collect with the cyclic GC off: collection makes objects that all stay alive.

    Each worker imports every test module and builds 2,800 items; the GC's young
    collections walked those survivors 320 times per worker (0.3 to 0.45 s of CPU
    each), freeing next to nothing. `pytest_collection_finish` collects once and
    freezes what is left; the GC is back on whatever happens.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move what collection made (modules, test items, libraries) out of the GC's sight.

    Those objects live until the run ends; every full collection during the tests walked
    them again, seconds of CPU per worker over a run. ``gc.freeze`` leaves them out of
    every later collection (they are never freed before the process ends anyway). The
    young generation is then collected every 10,000 allocations instead of every 700:
    the tests' own objects are mostly freed by reference counting, and in one run the
    three workers spent 3.7 s in the GC with the default thresholds, 2.5 s with these.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 20, 20)
