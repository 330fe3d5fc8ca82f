"""Sphinx configuration for segments-orm (built in CI with warnings as errors)."""

from __future__ import annotations

import sys
from pathlib import Path

# Document the checkout being built, even when another copy is installed.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from segments_orm._version import __version__  # noqa: E402

project = "segments-orm"
author = "segments-orm developers"
copyright = "segments-orm developers"  # noqa: A001 - Sphinx's setting name
version = release = __version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]
# No intersphinx: the build must work without a network.

html_theme = "furo"
html_title = f"segments-orm {__version__}"

# `Name` in a docstring is a cross-reference (and plain text when it resolves to nothing).
default_role = "py:obj"
nitpicky = False

napoleon_google_docstring = True
napoleon_numpy_docstring = False
# "Attributes:" sections become :ivar: fields, so attrs fields documented by autodoc are
# not described twice.
napoleon_use_ivar = True

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_class_signature = "mixed"
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
}

exclude_patterns = ["_build"]
