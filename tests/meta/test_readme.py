"""The README's two newcomer commands exist, in the form .ci/run reads, and it renders."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.rst"
# The test line: installs the test extra, then runs the suite on every core (pytest-xdist),
# a file per worker at a time, so module fixtures are made once.
TEST_LINE = "pip install -e '.[test]' && python -m pytest -q -n auto --dist loadfile"

pytestmark = pytest.mark.skipif(not README.is_file(), reason="run from a source checkout")


def literal_lines() -> list[str]:
    return [line.strip() for line in README.read_text(encoding="utf-8").splitlines()]


def test_readme_opens_with_the_two_commands() -> None:
    lines = [line for line in literal_lines() if line.startswith("pip install")]
    assert lines[:2] == [
        "pip install -e '.[emulator]' && segments-orm tour",
        TEST_LINE,
    ]


def test_ci_reads_the_test_command_from_the_readme() -> None:
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "README.rst" in script
    pattern = re.search(r"grep -E \"(.+?)\" README\.rst", script)
    assert pattern is not None, ".ci/run no longer greps the test line out of README.rst"
    if shutil.which("grep") is None:
        pytest.skip("no grep here")
    found = subprocess.run(
        ["grep", "-E", pattern.group(1).replace("\\\\", "\\"), str(README)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.stdout.strip() == TEST_LINE


def test_readme_is_valid_restructuredtext() -> None:
    import docutils.core as docutils_core  # in the test extra: this check never skips
    # halt_level 2: a warning (bad markup, a broken link target) raises.
    docutils_core.publish_doctree(
        README.read_text(encoding="utf-8"),
        settings_overrides={"halt_level": 2, "report_level": 5},
    )
