"""Regenerate the README's screenshots (docs/app.png, docs/record.png, docs/report.png)
from a copy of the bundled corpus, in Debian's Chromium driven by Playwright:

    python docs/screenshots.py            # needs `pip install -e '.[test]'` and chromium

A few decisions are made first so that the queue shows its relevance ranking.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from typer.testing import CliRunner

from rifkb.cli import app
from rifkb.corpus.folder import load_corpus
from rifkb.corpus.reviews import decide
from rifkb.records import EXCLUDE, INCLUDE, ScreeningDecision
from rifkb.web.app import create_app
from rifkb.web.server import serving

DOCS = Path(__file__).resolve().parent
VIEWPORT = {"width": 1280, "height": 860}
DECISIONS = [  # two of each: enough for the classifier to rank the queue
    ("pmid:38365988", INCLUDE, None), ("pmid:36029201", INCLUDE, None),
    ("pmid:38823361", EXCLUDE, "no treatment studied"), ("pmid:14747183", EXCLUDE, "no treatment studied"),
]  # fmt: skip


def main() -> None:
    chromium = shutil.which("chromium") or sys.exit("chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(shutil.copytree(DOCS.parent / "corpora" / "rif-ivig", Path(tmp) / "rif-ivig",
                                      ignore=shutil.ignore_patterns("store.sqlite*")))  # fmt: skip
        runner = CliRunner()
        assert runner.invoke(app, ["extract", "-c", str(corpus)]).exit_code == 0
        with load_corpus(corpus).open_store() as store:
            decide(
                store, [ScreeningDecision(uid, what, why, "A Reviewer", "") for uid, what, why in DECISIONS]
            )
        report = Path(tmp) / "report.html"
        assert runner.invoke(app, ["report", "-c", str(corpus), "-o", str(report)]).exit_code == 0
        with sync_playwright() as pw, serving(create_app(corpus, reviewer="A Reviewer")) as url:
            browser = pw.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport=VIEWPORT)
            page.goto(url.rstrip("/") + "/")
            page.screenshot(path=str(DOCS / "app.png"))
            page.goto(url.rstrip("/") + "/record/pmid:38365988")  # its extraction, with the forms
            heading = page.locator("h2", has_text="Extraction").first
            page.evaluate("y => window.scrollTo(0, y - 60)", heading.bounding_box()["y"])
            page.screenshot(path=str(DOCS / "record.png"))
            page.goto(report.as_uri())
            page.screenshot(path=str(DOCS / "report.png"))
            browser.close()
    print("wrote docs/app.png, docs/record.png, docs/report.png")


if __name__ == "__main__":
    main()
