"""Options of the whole test suite.

They live here, at the top of ``tests/``, because pytest reads ``pytest_addoption`` only
from conftest files it loads at start-up: ``python -m pytest --soak-full`` from the
repository root must work as well as ``pytest tests/reliability --soak-full``.
"""

from __future__ import annotations

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
