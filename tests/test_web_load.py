"""The web app under load, on copies of the bundled corpus: a page is made once per state
of the corpus and served again byte for byte; a write (the app's own post, another
command's, corpus.toml edited) makes the next page anew; requests for one page at once
make it once; heavy pages are made at most `heavy` at a time while light ones are
answered; a full backlog is a 503; a client leaving mid-post leaves no traceback; the
favicon is where browsers ask for it.

Figures are drawn by stand-ins that count what they draw (matplotlib takes seconds per
page), and the making of a forest page is watched through `synthesize`, which it calls
once unless its data is unchanged: a `Probe` counts the calls, and how many ran at once.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import shutil
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

import rifkb.review.drawing
import rifkb.review.figures
import rifkb.review.forest
from rifkb.corpus.folder import load_corpus
from rifkb.corpus.reviews import decide
from rifkb.kb.graph import build_graph
from rifkb.records import ScreeningDecision
from rifkb.web import figures, views
from rifkb.web.app import create_app
from rifkb.web.cache import Memo, Pages, State, digest
from rifkb.web.server import serving

PMID = "pmid:38365988"  # Peero 2024: IVIg in unexplained RIF, in the forest plots
FOREST_QUERIES = [f"/forest?population={p}&method={m}" for p in ("rif", "all") for m in ("dl", "reml")]


class Probe:
    """Stands in for `synthesize`: counts the calls, and the most running at once,
    each held `delay` seconds."""

    def __init__(self, real: Callable, delay: float = 0.0):
        self.real, self.delay = real, delay
        self.calls = self.running = self.most = 0
        self._lock = threading.Lock()

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        with self._lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(self.delay)
            return self.real(*args, **kwargs)
        finally:
            with self._lock:
                self.running -= 1


@pytest.fixture(autouse=True)
def drawn(monkeypatch) -> Counter:
    return stand_ins(monkeypatch)


def stand_ins(monkeypatch) -> Counter:
    """Figures drawn, by kind: stand-ins whose SVG names what they were drawn from, kept
    in memos of this test's own (the app's are shared by every app of the process)."""
    counts: Counter = Counter()

    def stand_in(kind: str) -> Callable:
        def draw(*args, **kwargs) -> str:  # noqa: ANN002, ANN003
            counts[kind] += 1
            return f'<svg id="{kind}"><!-- {digest(*args).hex()} --></svg>'

        return draw

    monkeypatch.setattr(figures, "SVGS", Memo(10**7, weight=len))
    monkeypatch.setattr(figures, "SYNTHESES", Memo(16))
    monkeypatch.setattr(figures, "FORESTS", Memo(16))
    monkeypatch.setattr(views, "READ", Memo(2))
    monkeypatch.setattr(rifkb.review.drawing, "svg_text", lambda drawing, title=None: drawing)
    monkeypatch.setattr(rifkb.review.forest, "forest_figure", stand_in("forest"))
    monkeypatch.setattr(rifkb.review.figures, "evidence_map_figure", stand_in("map"))
    monkeypatch.setattr(rifkb.review.figures, "rif_definitions_figure", stand_in("rif"))
    return counts


def probe_of_synthesize(monkeypatch, delay: float = 0.0) -> Probe:
    probe = Probe(figures.synthesize, delay)
    monkeypatch.setattr(figures, "synthesize", probe)
    return probe


@pytest.fixture
def probe(monkeypatch) -> Probe:
    return probe_of_synthesize(monkeypatch)


@pytest.fixture
def corpus(extracted_bundle, tmp_path) -> Path:
    return Path(shutil.copytree(extracted_bundle, tmp_path / "rif-ivig"))


@pytest.fixture
def client(corpus) -> TestClient:
    return TestClient(create_app(corpus, reviewer="tester"), base_url="http://127.0.0.1")


def _post(client: TestClient, url: str, **fields: str) -> httpx.Response:
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)[1]
    return client.post(url, data={"csrf": token, **fields}, follow_redirects=False)


def _served(corpus: Path, heavy: int = 1, backlog: int = 32, figure_backlog: int = 64) -> Iterator[str]:
    app = create_app(corpus, reviewer="tester")
    app.state.pages = Pages(app.state.site.state, heavy=heavy, backlog=backlog, figure_backlog=figure_backlog)
    return serving(app)


def figure_urls(page: str) -> list[str]:
    """The forest plots a page shows, as the browser asks for them."""
    return [html.unescape(src) for src in re.findall(r'<img class="figure" src="([^"]+)"', page)]


def _figures(client: TestClient, page: str) -> list[httpx.Response]:
    answers = [client.get(url) for url in figure_urls(page)]
    assert answers and {a.status_code for a in answers} == {200}
    return answers


def _at_once(urls: list[str], base: str) -> list[httpx.Response]:
    """Every url asked at the same moment, each on a connection (and session) of its own."""
    start = threading.Barrier(len(urls))

    def ask(url: str) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=60) as http:
            start.wait()
            return http.get(url)

    with ThreadPoolExecutor(len(urls)) as pool:
        return list(pool.map(ask, urls))


# --- once per state ----------------------------------------------------------------------


def test_a_page_asked_again_is_the_same_bytes_and_not_made_again(client, probe, drawn):
    first, again = client.get("/forest"), client.get("/forest?method=dl&population=rif")  # the same query
    assert first.status_code == 200 and first.content == again.content
    assert probe.calls == 1 and client.app.state.pages.times_made[("forest", ("rif", "dl"))] == 1
    plots = first.text.count('<section class="analysis"')
    assert plots > 5 and len(figure_urls(first.text)) == plots and drawn["forest"] == 0
    shown = [a.content for a in _figures(client, first.text)]
    assert [a.content for a in _figures(client, again.text)] == shown
    assert drawn["forest"] == plots and probe.calls == 1  # each drawn once, of the page's synthesis
    client.get("/forest?method=reml")  # another query is another page
    assert probe.calls == 2
    pages = ("/", f"/record/{PMID}", "/evidence-map", "/links?from=nk_uterine&to=live+birth")
    for url in pages:
        assert client.get(url).content == client.get(url).content
    made = client.app.state.pages.times_made
    assert [made[k] for k in made if k[0] not in ("forest", "forest_figure")] == [1] * len(pages)
    assert {made[k] for k in made if k[0] == "forest_figure"} == {1}


def test_a_post_makes_the_next_page_anew_redrawing_only_what_it_changed(client, probe, drawn):
    before = client.get("/forest").text
    _figures(client, before)
    plots, drawn_before = before.count('<section class="analysis"'), drawn["forest"]
    assert "excluded, left out" not in before
    done = _post(client, "/decide", uid=PMID, decision="exclude", reason_choice="duplicate", back="/")
    assert done.status_code == 303
    after = client.get("/forest").text
    _figures(client, after)
    assert "1 excluded, left out" in after and probe.calls == 2
    assert 0 < drawn["forest"] - drawn_before < plots  # Peero 2024's analyses only
    assert PMID in client.get("/?status=exclude").text


def test_screening_in_a_record_counted_as_included_already_redraws_nothing(client, probe, drawn):
    forest, graph = client.get("/forest").text, client.get("/evidence-map").text
    shown = [a.content for a in _figures(client, forest)]
    drawings = dict(drawn)
    assert _post(client, "/decide", uid=PMID, decision="include", back="/").status_code == 303
    assert client.get("/forest").text != forest and client.get("/evidence-map").text != graph  # the counts
    assert [a.content for a in _figures(client, client.get("/forest").text)] == shown
    made = client.app.state.pages.times_made
    assert (made[("forest", ("rif", "dl"))], made[("evidence_map", ())]) == (2, 2)  # made again, but
    assert probe.calls == 1 and dict(drawn) == drawings  # neither synthesised nor drawn again


def test_the_links_graph_is_built_again_only_when_the_papers_change(client, monkeypatch):
    # building it was most of a links query; screening in a record counted as included
    # already changes nothing the graph reads, excluding one does
    from rifkb.web import links

    built = []
    monkeypatch.setattr(links, "GRAPHS", Memo(4))
    monkeypatch.setattr(
        links, "build_graph", lambda papers, rules: built.append(len(papers)) or build_graph(papers, rules)
    )
    asked = ["/links?from=nk_uterine&to=live+birth", "/links?from=chronic+endometritis&to=clinical+pregnancy"]
    pages = [client.get(url).text for url in asked]
    assert len(built) == 1 and all("paper" in page for page in pages)
    assert _post(client, "/decide", uid=PMID, decision="include", back="/").status_code == 303
    assert [client.get(url).status_code for url in asked] == [200, 200] and len(built) == 1
    assert (
        _post(
            client, "/decide", uid=PMID, decision="exclude", reason_choice="duplicate", back="/"
        ).status_code
        == 303
    )
    assert client.get(asked[0]).status_code == 200 and built == [built[0], built[0] - 1]


def test_a_write_by_another_command_shows_at_the_next_page(client, corpus):
    assert PMID not in client.get("/?status=exclude").text
    with load_corpus(corpus).open_store() as store:
        decide(store, [ScreeningDecision(PMID, "exclude", "duplicate", "another reviewer", "")])
    assert PMID in client.get("/?status=exclude").text


def test_corpus_toml_edited_shows_at_the_next_page(client, corpus, probe):
    assert "unscreened, left out (corpus.toml)" not in client.get("/forest").text
    settings = corpus / "corpus.toml"
    settings.write_text(settings.read_text() + '\n[screening]\nunscreened = "exclude"\n')
    assert "unscreened, left out (corpus.toml)" in client.get("/forest").text and probe.calls == 2


def test_a_page_asked_at_an_older_state_takes_the_newer_one_made_meanwhile():
    """While one page is made, the corpus changes twice and three more requests come: the
    first of them waits for a new page, the others take that one (made from the store as
    it was when it started), rather than each having one made."""
    state, made, go = [0], [], threading.Event()
    pages = Pages(lambda: State(state[0]), heavy=1)

    def make() -> int:
        made.append(state[0])
        go.wait(10)
        return len(made)

    async def until(done: Callable[[], bool]) -> None:
        for _ in range(1000):
            if done():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("never happened")

    async def scenario() -> list[int]:
        asked = [asyncio.create_task(pages.get("k", make, "heavy"))]
        await until(lambda: len(made) == 1)  # the first is being made, at state 0
        for now in (1, 2, 2):
            state[0] = now
            asked.append(asyncio.create_task(pages.get("k", make, "heavy")))
            await asyncio.sleep(0.05)
        go.set()
        return await asyncio.gather(*asked)

    assert asyncio.run(scenario()) == [1, 2, 2, 2]
    assert made == [0, 2] and pages.times_made["k"] == 2
    pages.close()


# --- at once -----------------------------------------------------------------------------


def test_many_requests_for_one_page_at_once_make_it_once(corpus, monkeypatch):
    probe = probe_of_synthesize(monkeypatch, delay=0.3)
    with _served(corpus) as url:
        answers = _at_once(["/forest"] * 12, url)
    assert [a.status_code for a in answers] == [200] * 12
    assert len({a.content for a in answers}) == 1 and probe.calls == 1


@pytest.mark.parametrize("heavy", [1, 2])
def test_heavy_pages_are_made_at_most_heavy_at_once_while_light_ones_are_answered(corpus, monkeypatch, heavy):
    # No analyses, and the pooling (one at a time, whatever the lanes) stood in for: the
    # probe counts the forest pages being made at once.
    probe = Probe(lambda papers, read, population, method: [], delay=0.3)
    monkeypatch.setattr(figures, "_pooled", probe)
    with _served(corpus, heavy=heavy) as url, ThreadPoolExecutor(1) as pool:
        burst = pool.submit(_at_once, FOREST_QUERIES, url)
        while probe.calls == 0:
            time.sleep(0.01)
        record = httpx.get(f"{url}record/{PMID}", timeout=60)
        unfinished = probe.calls < len(FOREST_QUERIES) or probe.running > 0
        answers = burst.result()
    assert record.status_code == 200 and unfinished  # answered before the heavy pages were all made
    assert [a.status_code for a in answers] == [200] * len(FOREST_QUERIES)
    assert probe.calls == len(FOREST_QUERIES) and probe.most == heavy


def test_a_full_backlog_is_told_to_come_back_later(corpus, monkeypatch):
    probe_of_synthesize(monkeypatch, delay=0.5)
    with _served(corpus, backlog=2) as url:
        answers = _at_once(FOREST_QUERIES, url)
    codes = Counter(a.status_code for a in answers)
    assert set(codes) == {200, 503} and codes[200] >= 2
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.headers["retry-after"] == "5" and "try again" in busy.text and "Traceback" not in busy.text


# --- a client that leaves, the favicon ---------------------------------------------------


class _Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_client_leaving_in_the_middle_of_a_post_leaves_no_traceback(corpus):
    heard = _Records()
    with _served(corpus) as url:
        for name in ("uvicorn", "uvicorn.error", ""):  # uvicorn's loggers, set up as the server starts
            logging.getLogger(name).addHandler(heard)
        try:
            port = int(url.rstrip("/").rsplit(":", 1)[1])
            with socket.create_connection(("127.0.0.1", port)) as leaving:
                leaving.sendall(b"POST /decide HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                b"Content-Type: application/x-www-form-urlencoded\r\n"
                                b"Content-Length: 1000\r\n\r\nuid=pmid:1")  # fmt: skip
                time.sleep(0.2)
            time.sleep(0.3)
            assert httpx.get(url, timeout=30).status_code == 200  # still serving
        finally:
            for name in ("uvicorn", "uvicorn.error", ""):
                logging.getLogger(name).removeHandler(heard)
    assert [r.getMessage() for r in heard.records if r.levelno >= logging.WARNING or r.exc_info] == []


def test_the_favicon_is_where_browsers_ask_for_it(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.content == client.get("/static/favicon.svg").content and icon.content.startswith(b"<svg")


def test_the_heavy_pages_are_made_before_the_server_answers_and_kept_for_the_first_visitors(
    corpus, probe, drawn
):
    """A fresh server drew the forest plots for its first visitors, who waited seconds:
    `rifkb serve` now makes them before it answers anyone (WARM_PAGES)."""
    from rifkb.web.app import WARM_PAGES

    app = create_app(corpus, reviewer="tester")
    with serving(app, prepare=WARM_PAGES) as url:
        made = dict(app.state.pages.times_made)
        assert {key[0] for key in made} == {"forest", "evidence_map", "links", "forest_figure"}
        assert set(made.values()) == {1} and drawn["forest"] > 5  # the first forest page's figures too
        forest = httpx.get(url + "forest").text
        answers = _at_once(["/forest", "/evidence-map", "/links", *figure_urls(forest)] * 3, url)
    assert {a.status_code for a in answers} == {200}
    assert dict(app.state.pages.times_made) == made and probe.calls == 1  # none made again
    assert drawn["forest"] == len(figure_urls(forest))


# --- forest plots, images of their own ---------------------------------------------------


def test_the_forest_page_of_a_query_not_prepared_draws_no_figure(client, drawn):
    """It drew its 39 plots inline (9 s) while the heavy pages waited behind it: now its
    figures are images, drawn when the browser asks for them."""
    page = client.get("/forest?population=all&method=reml")
    assert page.status_code == 200 and drawn["forest"] == 0
    urls = figure_urls(page.text)
    assert len(urls) == page.text.count('<section class="analysis"') > 5
    assert all(url.startswith("/forest/figure?population=all&method=reml&n=") for url in urls)
    assert 'alt="Forest plot: intravenous immunoglobulin versus' in page.text
    assert page.text.count('loading="lazy"') == len(urls)


def test_a_figure_is_an_svg_kept_for_good_while_its_address_names_it(client, drawn):
    url = figure_urls(client.get("/forest").text)[0]
    figure = client.get(url)
    assert figure.status_code == 200 and figure.headers["content-type"] == "image/svg+xml"
    assert figure.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert figure.content.startswith(b"<svg") and drawn["forest"] == 1
    stale = client.get(re.sub(r"v=\w+", "v=0123456789abcdef", url))  # a page older than the corpus
    assert stale.headers["cache-control"] == "no-cache" and stale.content == figure.content
    unnamed = client.get(url.split("&v=")[0])
    assert unnamed.headers["cache-control"] == "no-cache" and unnamed.content == figure.content


def test_a_figure_after_a_write_that_changed_it_is_the_new_one_never_kept(client, drawn):
    """Peero 2024 excluded: the old page's address of its plot is answered with the plot
    drawn without it, which the browser is told to ask for again."""
    before = figure_urls(client.get("/forest").text)
    old = {url: client.get(url).content for url in before}
    _post(client, "/decide", uid=PMID, decision="exclude", reason_choice="duplicate", back="/")
    after = figure_urls(client.get("/forest").text)
    changed = [(b, a) for b, a in zip(before, after, strict=False) if b != a]
    assert changed
    old_url, new_url = changed[0]
    again = client.get(old_url)
    assert again.headers["cache-control"] == "no-cache" and again.content != old[old_url]
    assert again.content == client.get(new_url).content


@pytest.mark.parametrize(
    ("query", "status"),
    [("population=all&method=reml&n=999", 404), ("n=x", 404), ("n=-1", 404), ("n=", 404), ("n=12345", 404),
     ("population=mars&n=0", 400), ("method=guess&n=0", 400)],
)  # fmt: skip
def test_a_figure_that_is_not_there_is_a_message(client, query, status):
    answer = client.get(f"/forest/figure?{query}")
    assert answer.status_code == status and "Traceback" not in answer.text
    assert answer.headers["content-type"].startswith("text/html")


def test_many_requests_for_one_figure_at_once_draw_it_once(corpus, monkeypatch):
    calls = Probe(figures.forest_drawing, delay=0.3)
    monkeypatch.setattr(figures, "forest_drawing", calls)
    with _served(corpus) as url:
        (first, *_) = figure_urls(httpx.get(url + "forest", timeout=60).text)
        answers = _at_once([first] * 40, url)
    assert [a.status_code for a in answers] == [200] * 40
    assert len({a.content for a in answers}) == 1 and calls.calls == 1


def test_a_page_is_answered_while_a_figure_is_being_drawn(corpus, monkeypatch, drawn):
    """Figures are drawn in a lane of their own: a slow one holds no page back."""
    drawing, go = threading.Event(), threading.Event()
    real = rifkb.review.forest.forest_figure

    def slow(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        drawing.set()
        go.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(rifkb.review.forest, "forest_figure", slow)
    with _served(corpus) as url, ThreadPoolExecutor(1) as pool:
        (first, *_) = figure_urls(httpx.get(url + "forest", timeout=60).text)
        figure = pool.submit(httpx.get, url + first.lstrip("/"), timeout=60)
        assert drawing.wait(30)
        page = httpx.get(url + "forest?population=all&method=reml", timeout=10)
        drawn_meanwhile = figure.done()
        go.set()
        assert figure.result().status_code == 200
    assert page.status_code == 200 and not drawn_meanwhile


def test_a_full_figure_backlog_is_told_to_come_back_later(corpus, monkeypatch):
    monkeypatch.setattr(figures, "forest_drawing", Probe(figures.forest_drawing, delay=0.5))
    with _served(corpus, figure_backlog=2) as url:
        urls = figure_urls(httpx.get(url + "forest", timeout=60).text)[:6]
        answers = _at_once(urls, url)
    codes = Counter(a.status_code for a in answers)
    assert set(codes) == {200, 503} and codes[200] >= 2
    busy = next(a for a in answers if a.status_code == 503)
    assert busy.headers["retry-after"] == "5" and "try again" in busy.text


def test_a_page_and_a_figure_asking_for_one_synthesis_at_once_pool_once(corpus, monkeypatch):
    """The forest page (heavy lane) and its figures (their lane) may ask at once; pooling
    is one at a time (statsmodels' warnings are silenced in a way that is not
    thread-safe), and the second takes the first's."""
    probe = probe_of_synthesize(monkeypatch, delay=0.5)
    with _served(corpus) as url:
        asked = ["/forest?population=all&method=reml", "/forest/figure?population=all&method=reml&n=0"]
        answers = _at_once(asked, url)
    assert [a.status_code for a in answers] == [200, 200]
    assert probe.calls == 1 and probe.most == 1
