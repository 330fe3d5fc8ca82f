"""The one rule that turns a user's values into JSON, or refuses them with their path.

Every value a user writes into metadata, sample and label attributes, scores and
priorities goes through `to_json` (or one of the checks built on it below) before any
request, whatever the path: a single create, ``save()``, a bulk call, the facade. The
rule is documented in docs/pipelines.rst ("Value conversion rules"); in short:

========================================  ===============================================
Given                                     Sent as
========================================  ===============================================
``None``, ``bool``, ``str``               as they are (subclasses, str enums: the plain
                                          ``str``/``int``/``float`` value)
``int``                                   as it is, if it fits in 64 bits; else refused
``float``                                 as it is if finite; NaN and infinities refused
numpy scalars (``np.int64``, ...)         the Python number (``.item()``), same checks
numpy arrays                              nested lists (``.tolist()``), same checks
``list``, ``tuple``                       a list
``dict`` (any mapping) with ``str`` keys  an object; any other key is refused
``datetime``, ``date``, ``time``          ISO 8601 text (``isoformat()``)
``pathlib`` paths, ``uuid.UUID``          ``str(value)``
``bytes``, ``set``, ``Decimal``,          refused, with what to do instead
``complex``, anything else
========================================  ===============================================

numpy is recognised by the module its types come from, never imported: ``import
segments_orm`` must not pay for it, and a user without numpy has no numpy values.

Each check raises `ValidationError` whose ``errors`` list every problem as
``"path: what is wrong"``; a bulk call prefixes each with ``[index].`` of the input.
The check functions are the write checks (``check=``) of the resource fields that carry
user values (metadata, priority, score).
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any, Callable, Optional

from segments_orm.exceptions import ValidationError

__all__ = [
    "INT_RANGE",
    "UNHANDLED",
    "check_json_object",
    "check_optional_score",
    "check_priority",
    "check_score",
    "json_number",
    "prefixed",
    "to_json",
]

#: The integers JSON values may hold: 64-bit signed, what the platform's database and
#: most JSON readers keep exactly (a larger one would come back changed, or not at all).
INT_RANGE = (-(2**63), 2**63 - 1)
# Nesting deeper than this is refused: it is never real data, and a structure that
# contains itself would otherwise recurse until Python's stack ran out.
_MAX_DEPTH = 200
_PLAIN = (str, int, float, bool, type(None))


def _shown(value: Any) -> str:
    if isinstance(value, int) and value.bit_length() > 200:
        # repr() of a huge int is slow, and refused past 4300 digits (Python 3.11+).
        return f"an integer of about {int(value.bit_length() * 0.30103)} digits"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _key_path(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def _is_numpy(value: Any) -> bool:
    # numpy scalars and arrays live in numpy's own modules ("numpy", "numpy.core...").
    module = type(value).__module__
    return module == "numpy" or module.startswith("numpy.")


def _refusal(value: Any) -> str:
    """Say why a value is not JSON, and what to pass instead."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "bytes are not JSON; decode them to text, or upload them as an asset"
    if isinstance(value, (set, frozenset)):
        return "a set has no order in JSON; pass a list (sorted(...))"
    kind = type(value)
    if kind.__module__ == "decimal":
        return "a Decimal is not converted (a float may change its value); pass float(x) or str(x)"
    if isinstance(value, complex):
        return "a complex number is not JSON; pass [x.real, x.imag]"
    return (
        f"a {kind.__name__} is not a JSON value (expected str, int, float, bool, None, "
        "a list or a dict with str keys)"
    )


class _FoundProblemError(Exception):
    """Internal: the quick walk met a problem; walk again, naming every path."""


class _NotPlainError(Exception):
    """Internal: the value holds something other than plain JSON; take the full walk."""


_LOW, _HIGH = INT_RANGE


def _plain_copy(value: Any, depth: int) -> Any:
    """Return a copy of a value made only of plain JSON types, or raise `_NotPlainError`.

    Nearly every value a pipeline sends is already plain: dicts with str keys, lists,
    str, bool, None, 64-bit ints and finite floats, by exact type. This walk checks and
    copies only those, without the converter's per-value dispatch; anything else
    (numpy, a subclass, a datetime, a problem) sends the value through the full walk,
    which converts it or names every problem with its path.
    """
    kind = type(value)
    if kind is dict:
        if depth >= _MAX_DEPTH:
            raise _NotPlainError
        out = {}
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlainError
            kind = type(item)
            if kind is str or kind is bool or item is None:
                out[key] = item
            elif kind is int:
                if not _LOW <= item <= _HIGH:
                    raise _NotPlainError
                out[key] = item
            elif kind is float:
                if item - item != 0.0:  # NaN or an infinity
                    raise _NotPlainError
                out[key] = item
            else:
                out[key] = _plain_copy(item, depth + 1)
        return out
    if kind is list:
        if depth >= _MAX_DEPTH:
            raise _NotPlainError
        copied = []
        for item in value:
            kind = type(item)
            if kind is str or kind is bool or item is None:
                copied.append(item)
            elif kind is int:
                if not _LOW <= item <= _HIGH:
                    raise _NotPlainError
                copied.append(item)
            elif kind is float:
                if item - item != 0.0:
                    raise _NotPlainError
                copied.append(item)
            else:
                copied.append(_plain_copy(item, depth + 1))
        return copied
    if kind is str or kind is bool or value is None:
        return value
    if kind is int and _LOW <= value <= _HIGH:
        return value
    if kind is float and value - value == 0.0:
        return value
    raise _NotPlainError


#: What a ``special`` hook of `to_json` returns for a value it does not handle.
UNHANDLED: Any = object()


class _Converter:
    """One walk over a value: the converted copy, and every problem with its path.

    The first walk builds no paths (a bulk call walks every item, and nearly all are
    fine); at its first problem it stops, and a second walk, with paths, lists them all.
    """

    __slots__ = ("problems", "root", "special", "track")

    def __init__(self, root: str, special: Optional[Callable[[Any], Any]], *, track: bool) -> None:
        self.problems: list[str] = []
        self.root = root  # what a problem of the value as a whole is called
        self.special = special
        self.track = track

    def problem(self, path: str, text: str) -> None:
        if not self.track:
            raise _FoundProblemError
        self.problems.append(f"{path or self.root}: {text}")

    def convert(self, value: Any, path: str, depth: int = 0) -> Any:
        kind = type(value)
        # The common cases first, by exact type: this walk runs over every item of a bulk.
        if kind is str or kind is bool or value is None:
            return value
        if kind is int:
            return self._int(value, path)
        if kind is float:
            return self._float(value, path)
        if kind is dict or kind is list or kind is tuple or isinstance(value, Mapping):
            if depth >= _MAX_DEPTH:
                self.problem(path, f"nested more than {_MAX_DEPTH} levels deep")
                return None
            if kind is dict or (kind is not list and kind is not tuple):
                return self._mapping(value, path, depth)
            if not self.track:
                return [self.convert(item, path, depth + 1) for item in value]
            return [
                self.convert(item, f"{path}[{index}]", depth + 1)
                for index, item in enumerate(value)
            ]
        return self._other(value, path, depth)

    def _int(self, value: int, path: str) -> Any:
        if not INT_RANGE[0] <= value <= INT_RANGE[1]:
            self.problem(
                path,
                f"the integer {_shown(value)} does not fit in 64 bits "
                "(JSON readers would not keep it exactly); pass it as a string",
            )
        return value

    def _float(self, value: float, path: str) -> Any:
        if value - value != 0.0:  # NaN or an infinity (a faster test than isfinite)
            word = "NaN" if value != value else "an infinity"
            self.problem(path, f"{word} is not valid JSON")
        return value

    def _mapping(self, value: Mapping[Any, Any], path: str, depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        track = self.track
        for key, item in value.items():
            if type(key) is not str:
                if not isinstance(key, str):
                    # {1: "a"} would come back as {"1": "a"}: refused, not changed silently.
                    self.problem(
                        path,
                        f"keys must be strings, got {_shown(key)} ({type(key).__name__}); "
                        "JSON object keys are text",
                    )
                    continue
                key = str.__str__(key)  # a str enum or numpy.str_ key: its text
            kind = type(item)
            if kind is str or kind is bool or item is None:
                out[key] = item
            else:
                out[key] = self.convert(item, _key_path(path, key) if track else path, depth + 1)
        return out

    def _other(self, value: Any, path: str, depth: int) -> Any:
        if isinstance(value, bool):
            return bool(value)
        if isinstance(value, str):
            return str.__str__(value)
        if isinstance(value, int):
            return self._int(int(value), path)
        if isinstance(value, float):
            return self._float(float(value), path)
        if _is_numpy(value):
            return self._numpy(value, path, depth)
        if isinstance(value, (list, tuple)):
            return self.convert(list(value), path, depth)
        if isinstance(value, (dt.datetime, dt.date, dt.time)):
            return value.isoformat()
        if isinstance(value, (PurePath, uuid.UUID)):
            return str(value)
        if self.special is not None:
            handled = self.special(value)
            if handled is not UNHANDLED:
                return self.convert(handled, path, depth + 1)
        self.problem(path, _refusal(value))
        return None

    def _numpy(self, value: Any, path: str, depth: int) -> Any:
        tolist = getattr(value, "tolist", None)
        dtype = getattr(value, "dtype", None)
        if dtype is not None and callable(tolist):
            if dtype.kind in "OV":  # object or structured: no rule
                self.problem(
                    path,
                    f"a numpy {dtype} value is not converted; pass plain numbers, lists or dicts",
                )
                return None
            # A scalar's tolist() is its Python value; an array's, nested lists.
            return self.convert(tolist(), path, depth)
        self.problem(path, _refusal(value))
        return None


def to_json(
    value: Any,
    path: str,
    root: str = "",
    special: Optional[Callable[[Any], Any]] = None,
) -> Any:
    """Return ``value`` converted by the value rule, or raise listing every problem.

    Args:
        value: What the user passed.
        path: Where it is, for messages (``"metadata"``); empty for paths that start
            at the value's own keys (attributes: ``annotations[0].points``).
        root: What to call the value itself when ``path`` is empty.
        special: Called with a value the rule does not know, before refusing it: returns
            its JSON-able replacement (converted in turn), or `UNHANDLED`.

    Returns:
        A fresh value made only of dict, list, str, int, float, bool and None.

    Raises:
        ValidationError: Some part is refused; ``errors`` has one ``"path: why"`` each.
    """
    try:
        return _plain_copy(value, 0)
    except _NotPlainError:
        pass
    name = root or path or "value"
    try:
        return _Converter(name, special, track=False).convert(value, path)
    except _FoundProblemError:
        walk = _Converter(name, special, track=True)
        walk.convert(value, path)
        raise ValidationError.from_errors(walk.problems, f"Invalid value for {name}") from None


def check_json_object(value: Any, path: str) -> dict[str, Any]:
    """Return a mapping converted by the value rule (metadata); refuse anything else."""
    if not isinstance(value, Mapping):
        raise ValidationError(f"{path}: expected a dict, got {type(value).__name__}")
    converted: dict[str, Any] = to_json(value, path)
    return converted


def json_number(value: Any, path: str) -> float:
    """Return a finite number (an int or a float, numpy's too), refusing bools and text.

    An integer that no float can hold (``10**400``) is refused here, by name, instead of
    surfacing as an ``OverflowError``.
    """
    kind = type(value)
    if (kind is int and _LOW <= value <= _HIGH) or (kind is float and value - value == 0.0):
        return value  # type: ignore[no-any-return]  # the common case, by exact type
    if _is_numpy(value) and getattr(value, "shape", None) == ():
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationError(f"{path}: expected a number, got {_shown(value)}")
    if isinstance(value, int):
        value = int(value)
        try:
            float(value)
        except OverflowError:
            raise ValidationError(
                f"{path}: {_shown(value)} is too large for a number (at most about 1.8e308)"
            ) from None
        return value  # type: ignore[no-any-return]
    number = float(value)
    if not math.isfinite(number):
        word = "NaN" if number != number else "an infinity"
        raise ValidationError(f"{path}: {word} is not valid JSON")
    return number


def check_priority(value: Any, path: str = "priority") -> float:
    """Return a sample's priority: a finite number."""
    return json_number(value, path)


def check_score(value: Any, path: str = "score") -> float:
    """Return a label's score: a finite number."""
    return json_number(value, path)


def check_optional_score(value: Any, path: str = "score") -> Optional[float]:
    """Return a label's score, or None (no score)."""
    return None if value is None else json_number(value, path)


def prefixed(error: ValidationError, prefix: str) -> list[str]:
    """Return the problems of ``error`` with ``prefix`` (``"[95]."``) before each path."""
    return [f"{prefix}{problem}" for problem in error.errors]
