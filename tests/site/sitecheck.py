"""Helpers of the site tests (tests/site): where the built site is, its pages, skipping.

The site tests check ``_build/html`` as a reader gets it.  Where it has not been built they are
skipped (``make html`` builds it); ``make test-site`` sets ``CUSTOMGRAD_SITE_TESTS=required``,
and then a missing site, browser, Playwright or Java fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
REPORTS = ROOT / "_build" / "site-report"
SCREENSHOTS = ROOT / "_build" / "screenshots"
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
# Folders of each language's output that hold assets, not pages.
NOT_PAGES = {"_static", "_downloads", "_sources", "_images"}
REQUIRED = os.environ.get("CUSTOMGRAD_SITE_TESTS") == "required"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def languages() -> list[str]:
    """Each folder of _build/html with an index.html: en first."""
    if not SITE.is_dir():
        return []
    found = sorted(p.name for p in SITE.iterdir() if p.is_dir() and (p / "index.html").is_file())
    return sorted(found, key=lambda code: code != "en")


def pages(lang: str | None = None) -> list[str]:
    """Every page of the site, as a path relative to _build/html ("en/tutorials/pitfalls.html")."""
    found = []
    for code in [lang] if lang else languages():
        for path in sorted((SITE / code).rglob("*.html")):
            rel = path.relative_to(SITE)
            if not NOT_PAGES.intersection(rel.parts):
                found.append(rel.as_posix())
    return found


def unavailable(reason: str) -> None:
    """Skip, or fail under ``make test-site``."""
    if REQUIRED:
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


def require_site() -> None:
    if not (SITE / "index.html").is_file() or not languages():
        unavailable(f"the site is not built ({SITE.relative_to(ROOT)}/index.html is missing): run `make html`")


def require_site_for_module() -> None:
    """At the top of a test module: skip it whole (or fail, under make test-site) with no site."""
    if not (SITE / "index.html").is_file() or not languages():
        reason = f"the site is not built ({SITE.relative_to(ROOT)}/index.html is missing): run `make html`"
        if REQUIRED:
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason, allow_module_level=True)


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@dataclass
class Tab:
    """A browser page and everything that went wrong while it was open."""

    page: object
    base_url: str
    errors: list[str] = field(default_factory=list)  # console errors and uncaught exceptions
    failed: list[str] = field(default_factory=list)  # requests that failed or answered >= 400
    outside: list[str] = field(default_factory=list)  # requests to anything but the local server

    def reset(self) -> None:
        self.errors.clear(), self.failed.clear(), self.outside.clear()

    def open(self, rel: str):
        """Go to a page of the site (relative to _build/html), forgetting the previous page's problems."""
        self.reset()
        response = self.page.goto(self.base_url + rel, wait_until="load")
        assert response is not None and response.ok, f"{rel}: HTTP {response and response.status}"
        return response

    def problems(self) -> list[str]:
        return (
            [f"console/page error: {e}" for e in self.errors]
            + [f"failed request: {f}" for f in self.failed]
            + [f"request outside the site (aborted): {o}" for o in self.outside]
        )


def write_report(name: str, text: str) -> Path:
    REPORTS.mkdir(parents=True, exist_ok=True)
    path = REPORTS / name
    path.write_text(text, encoding="utf-8")
    return path
