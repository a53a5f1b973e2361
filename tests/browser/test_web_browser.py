"""`rifkb serve` in a real browser (Chromium, driven by Playwright): the app served by
uvicorn on a free port of 127.0.0.1, a copy of the bundled corpus behind it. Screening
by click and by keyboard, a field corrected and an estimate struck on a record's page,
each checked on the page and in the store; the figures drawn; nothing requested from
anywhere but the app. Each page is photographed to $RIFKB_SCREENSHOTS (default: the
temporary folder) as web-*.png, to be looked at."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from rifkb.corpus.folder import load_corpus
from rifkb.corpus.reviews import current_decisions
from rifkb.kb.papers import reviewed_papers
from rifkb.web.app import create_app
from rifkb.web.server import serving

PMID = "pmid:38365988"
SHOTS = Path(os.environ.get("RIFKB_SCREENSHOTS") or tempfile.gettempdir())


@pytest.fixture
def corpus(extracted_bundle, tmp_path) -> Path:
    return Path(shutil.copytree(extracted_bundle, tmp_path / "rif-ivig"))


@pytest.fixture
def served(corpus) -> Iterator[str]:
    with serving(create_app(corpus, reviewer="browser")) as url:
        yield url


@pytest.fixture
def requests_made(page) -> list[str]:
    made: list[str] = []
    page.on("request", lambda request: made.append(request.url))
    return made


def _shot(page, name: str) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # else the sticky header is drawn where the page was scrolled
    page.screenshot(path=str(SHOTS / f"web-{name}.png"), full_page=True)


def _decisions(corpus: Path) -> dict:
    with load_corpus(corpus).open_store() as store:
        return current_decisions(store)


def _paper(corpus: Path):
    with load_corpus(corpus).open_store() as store:
        return next(p for p in reviewed_papers(store).papers if p.record.uid == PMID)


def _current_uid(page) -> str:
    return page.locator("article.entry.current").get_attribute("data-uid")


def test_screening_by_keyboard_and_by_click(page, served, corpus, requests_made):
    page.goto(served)
    _shot(page, "queue")
    assert page.locator("article.entry").count() == 20
    first = _current_uid(page)
    page.keyboard.press("j")
    page.keyboard.press("k")
    assert _current_uid(page) == first
    page.keyboard.press("i")  # include the first, by keyboard
    page.wait_for_selector(f".flash.ok:has-text('{first}: included')")
    assert (_decisions(corpus)[first].decision, _decisions(corpus)[first].reviewer) == ("include", "browser")
    assert page.locator("article.entry").first.get_attribute("data-uid") != first  # it left the queue

    second = _current_uid(page)  # the next one took its place, and has the focus
    page.keyboard.press("x")
    page.keyboard.press("4")  # exclude, reason 4, by keyboard
    page.wait_for_selector(f".flash.ok:has-text('{second}: excluded (wrong study design)')")
    assert _decisions(corpus)[second].reason == "wrong study design"

    entry = page.locator("article.entry").nth(2)  # exclude by clicking, with a reason typed
    third = entry.get_attribute("data-uid")
    entry.locator("select[name=reason_choice]").select_option("population not RIF")
    entry.locator("input[name=reason_text]").fill("healthy donors")
    entry.locator("button.exclude").click()
    page.wait_for_selector(f".flash.ok:has-text('{third}: excluded')")
    assert _decisions(corpus)[third].reason == "population not RIF: healthy donors"

    page.click("nav.filters a:has-text('excluded')")
    assert {e.get_attribute("data-uid") for e in page.locator("article.entry").all()} == {second, third}
    badge = page.locator(f"article[data-uid='{third}'] .badge").inner_text()
    assert badge == "excluded: population not RIF: healthy donors"
    _shot(page, "queue-excluded")
    assert all(u.startswith(served) for u in requests_made), requests_made


def test_an_exclusion_without_a_reason_is_a_message_on_the_page(page, served, corpus):
    page.goto(served)
    page.locator("article.entry").first.locator("button.exclude").click()
    assert "an exclusion needs a reason" in page.locator(".flash.error").inner_text()
    assert _decisions(corpus) == {}


def test_correcting_a_field_and_striking_an_estimate(page, served, corpus, requests_made):
    page.goto(f"{served}record/{PMID}")
    _shot(page, "record")
    row = page.locator("#field-sample_size")
    assert row.locator("td.value").inner_text() == "143"
    row.locator("input[name=value]").fill("150")
    row.locator("input[name=reason]").fill("150 enrolled, 143 analysed")
    row.locator("button:has-text('Save')").click()
    page.wait_for_selector(".flash.ok:has-text('sample size (participants) set to 150')")
    assert page.locator("#field-sample_size td.value").inner_text() == "150"
    assert "150 enrolled, 143 analysed" in page.locator("#corrections").inner_text()
    assert _paper(corpus).extraction.sample_size == 150

    estimate = page.locator("#effects tbody tr").first
    assert "OR 3.64" in estimate.inner_text()
    estimate.locator("summary:has-text('Correct')").click()  # the edit form opens, over the table
    assert estimate.locator("form.edit input[name='f.value']").input_value() == "3.64"
    _shot(page, "record-edit")
    estimate.locator("button:has-text('Strike')").click()
    page.wait_for_selector(".flash.ok:has-text('effect estimate struck')")
    assert page.locator("#effects tbody tr").count() == 0
    assert _paper(corpus).extraction.effects == ()
    _shot(page, "record-corrected")
    assert all(u.startswith(served) for u in requests_made), requests_made


def test_the_figures_and_the_links_query(page, served, requests_made):
    # (the forest plots are images of their own, drawn when the browser asks for them: the
    # first ones a few tenths of a second each on a loaded machine; give them time)
    page.goto(f"{served}forest", timeout=120_000)
    img = page.locator("img.figure").first
    img.scroll_into_view_if_needed()
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=img.element_handle(),
                           timeout=60_000)  # fmt: skip
    assert img.is_visible() and img.bounding_box()["width"] > 600
    assert img.get_attribute("alt").startswith("Forest plot: ")
    assert re.search(r"\d\.\d\d \[\d", page.locator("table.pooled").first.inner_text())
    ids = page.eval_on_selector_all("[id]", "nodes => nodes.map(n => n.id)")
    assert len(ids) == len(set(ids))
    _shot(page, "forest")
    page.goto(f"{served}evidence-map")
    assert page.locator("svg.figure").count() == 2
    _shot(page, "evidence-map")
    page.goto(f"{served}links")
    page.fill("input[name=from]", "nk_uterine")
    page.fill("input[name=to]", "live birth")
    page.click("button:has-text('Find links')")
    assert "path 1:" in page.locator("main").inner_text()
    _shot(page, "links")
    assert all(u.startswith(served) for u in requests_made), requests_made
