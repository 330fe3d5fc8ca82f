"""``python -m segments_orm``: the same as the ``segments-orm`` command."""

from __future__ import annotations

import sys

from segments_orm.cli import main

if __name__ == "__main__":
    sys.exit(main())
