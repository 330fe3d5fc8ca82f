"""docs/mapping.rst answers "how do I ..." for every method of the platform's client."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import segments_orm as so

PAGE = Path(__file__).resolve().parents[2] / "docs" / "mapping.rst"


def facade_methods() -> list[str]:
    """The methods SegmentsClient adds to Client: the platform client's, one for one."""
    return sorted(
        name
        for name, _ in inspect.getmembers(so.SegmentsClient, inspect.isfunction)
        if not name.startswith("_") and not hasattr(so.Client, name)
    )


def test_every_method_is_in_the_table_and_runs_in_an_example() -> None:
    text = PAGE.read_text(encoding="utf-8")
    table, _, examples = text.partition("\nUsers and datasets\n")
    methods = facade_methods()
    assert len(methods) >= 36
    missing_from_table = [m for m in methods if f"``legacy.{m}(" not in table]
    assert not missing_from_table, f"add a row to docs/mapping.rst for {missing_from_table}"
    called = set(re.findall(r"\blegacy\.([a-z_]+)\(", examples))
    not_run = [m for m in methods if m not in called]
    assert not not_run, f"call these in a docs/mapping.rst example: {not_run}"
