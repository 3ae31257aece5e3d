"""Fixtures of the site tests: a local server for _build/html and headless Chromium (see sitecheck)."""

from __future__ import annotations

import functools
import http.server
import threading
from urllib.parse import urlsplit

import pytest
from sitecheck import DESKTOP, SITE, Tab, chromium_path, require_site, unavailable


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # one line per request would drown pytest's output
        pass


@pytest.fixture(scope="session")
def base_url():
    """_build/html served on 127.0.0.1 at a free port, for the whole session."""
    require_site()
    handler = functools.partial(_Quiet, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    require_site()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed: `make venv` installs requirements.txt")
    executable = chromium_path()
    if executable is None:
        unavailable("no Chromium found: `apt-get install chromium` (or set CHROMIUM=/path/to/chrome)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",  # CI runs as root
                # No traffic of Chromium's own (updates, safe browsing...): only the pages' requests.
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def new_tab(browser, base_url):
    """new_tab(viewport=DESKTOP, locale="en-US") -> Tab; closed at the end of the session."""
    contexts = []
    host = urlsplit(base_url).netloc

    def make(viewport=DESKTOP, locale="en-US", clipboard=False) -> Tab:
        context = browser.new_context(viewport=viewport, locale=locale, color_scheme="light")
        if clipboard:
            context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url.rstrip("/"))
        contexts.append(context)
        page = context.new_page()
        tab = Tab(page, base_url)

        def route(route):
            url = route.request.url
            if urlsplit(url).netloc == host and url.startswith(("http://", "https://")):
                route.continue_()
            else:
                tab.outside.append(url)
                route.abort()

        context.route("**/*", route)
        page.on("console", lambda msg: tab.errors.append(f"{msg.text} ({msg.location.get('url')})") if msg.type in ("error", "assert") else None)
        page.on("pageerror", lambda exc: tab.errors.append(f"uncaught {exc}"))
        # net::ERR_ABORTED: cancelled, by the route above or by leaving the page (the favicon, say);
        # a missing file answers 404 instead, caught below.
        page.on("requestfailed", lambda req: tab.failed.append(f"{req.url}: {req.failure}") if req.failure != "net::ERR_ABORTED" else None)
        page.on("response", lambda resp: tab.failed.append(f"{resp.url}: HTTP {resp.status}") if resp.status >= 400 else None)
        return tab

    yield make
    for context in contexts:
        context.close()
