"""The lifecycle state of a resource object, and the one way to write a field quietly.

Every resource is in exactly one `State`, held in its ``_state`` slot:

- ``NEW``: built locally (``manager.new(...)``, or by hand); ``save()`` creates it.
- ``SHELL``: built from its identity alone (``get(..., lazy=True)``, ``Issue.shell``), with
  no request. It knows the fields it was given; reading any other field raises
  `NotLoadedError` (``refresh()`` loads it). Assigned fields are saved as on a loaded
  object, so ``shell.update(...)`` sends only what was assigned.
- ``LOADED``: built from a full answer of the server (decoded field by field on first
  read, which is a detail of decoding, not a state).

``refresh()``, ``save()`` and any other adoption of a server answer make an object LOADED.
"""

from __future__ import annotations

import enum
from typing import Any, Callable

__all__ = ["State", "write_clean"]


class State(enum.Enum):
    """Where a resource object stands: see the module's docstring."""

    NEW = "new"
    SHELL = "shell"
    LOADED = "loaded"


#: Set an attribute of a resource without marking it dirty (no ``on_setattr`` hook): for
#: values that come from the server or are the object's own bookkeeping, never for a
#: user's edit. It is ``object.__setattr__`` itself (decoding a page of 1000 objects calls
#: it thousands of times, and a wrapper would cost a frame each), named so that every such
#: write is one grep away.
write_clean: Callable[[Any, str, Any], None] = object.__setattr__
