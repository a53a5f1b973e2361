"""A real browser for the web app and the report: Debian's Chromium driven by Playwright
(`executable_path`, so no browser download). Without Chromium these tests skip and say
how to install it; CI sets RIFKB_REQUIRE_BROWSER=1 (and installs Chromium), so there a
missing browser fails instead."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM = os.environ.get("RIFKB_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
INSTALL = "Chromium is not installed (apt-get install chromium, or set RIFKB_CHROMIUM to a Chromium binary)"


def _missing(reason: str) -> None:
    if os.environ.get("RIFKB_REQUIRE_BROWSER") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator:
    if CHROMIUM is None:
        _missing(INSTALL)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        # --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser) -> Iterator:
    """A fresh page (its own context: no cookies or storage shared between tests)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    yield opened
    context.close()
