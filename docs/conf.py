"""Sphinx configuration of the isacsim documentation.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (the ``docs``
extra). Two pages are generated at build time, never committed: the CLI
reference, from the argparse parsers of ``isacsim`` (so every subcommand and
flag appears as the code defines it), and the gallery, whose figures are
computed with ``isacsim reproduce NAME --quick`` into ``docs/_build/gallery``
(resumable: a rebuild reuses the finished runs). ``ISACSIM_DOCS_GALLERY=0``
leaves the figures out (the page then says so).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import isacsim  # noqa: E402
from _ext import cli_reference, gallery  # noqa: E402

project = "isacsim"
author = "the isacsim authors"
copyright = "the isacsim authors"  # noqa: A001
release = version = isacsim.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "_ext", "_generated/guide-toctree.md", "README.md"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

html_theme = "furo"
html_title = f"isacsim {release}"
html_static_path = []

autodoc_member_order = "bysource"
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_validation_checks = set()
numpydoc_xref_param_type = False

nitpicky = False
suppress_warnings = ["myst.header"]

GENERATED = HERE / "_generated"
#: The user guide, in order. Adding a page is one line here; a listed page
#: that does not exist (yet) is left out, so a page written on another
#: branch appears as soon as it is merged.
GUIDE = ["model", "conventions", "formats", "cli", "clusters", "robustness", "formulations", "solvers", "designers", "datasets", "targets"]


def _guide_toctree():
    pages = [("_generated/cli" if page == "cli" else page) for page in GUIDE if page == "cli" or (HERE / f"{page}.md").exists()]
    return "\n".join(["```{toctree}", ":caption: User guide", ":maxdepth: 1", ":hidden:", "", *pages, "```", ""])


def _generate(app):
    GENERATED.mkdir(exist_ok=True)
    _write_if_changed(GENERATED / "guide-toctree.md", _guide_toctree())
    cli_reference.write(GENERATED / "cli.md")
    enabled = os.environ.get("ISACSIM_DOCS_GALLERY", "1") not in ("0", "")
    gallery.write(GENERATED, HERE / "_build" / "gallery", enabled=enabled)
    gallery.tutorial_figures(HERE, GENERATED, HERE / "_build" / "tutorial-runs")


def _write_if_changed(path, text):
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def setup(app):
    app.connect("builder-inited", _generate)
