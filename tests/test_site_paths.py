"""No page of the built site shows a path of the machine that built it.

A warning's file and line, a traceback or an absolute path in an output would print where the build
ran (``/work/...``, ``.../.venv/lib/python3.11/...``): meaningless to a reader, and different on every
machine.  After ``make html``, every text file under ``_build/html`` (pages, search index, downloads)
of every language is searched for the prefixes below; ``_sources`` (Sphinx's copies of the sources,
not written by this site's settings) is left out.  Skipped when the site has not been built.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
TEXT = {".html", ".js", ".txt", ".ipynb", ".py", ".json", ".svg"}
# A build path: one of these directories, as an absolute path or inside one (".../.venv/lib/...").
BUILD_PATH = re.compile(r"(?<![\w.-])(?:/work/|/tmp/|/root/|/home/)|/\.venv/")


def built_files() -> list[Path]:
    if not SITE.is_dir():
        return []
    return sorted(p for p in SITE.rglob("*")
                  if p.is_file() and p.suffix in TEXT and "_sources" not in p.relative_to(SITE).parts)


FILES = built_files()

pytestmark = pytest.mark.skipif(not FILES, reason="no built site: run `make html` first (this checks _build/html)")


def test_no_build_path_on_any_page():
    found = []
    for path in FILES:
        text = path.read_text(encoding="utf-8", errors="replace")
        for match in BUILD_PATH.finditer(text):
            line = text[max(0, match.start() - 60): match.end() + 60].replace("\n", " ")
            found.append(f"{path.relative_to(SITE)}: ...{line}...")
            break
    assert not found, "build paths on the built site:\n" + "\n".join(found)
