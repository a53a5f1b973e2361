"""The heavy pages kept on disk (`rifkb.web.shelf`), on copies of the bundled corpus: a
server started again on an unchanged corpus takes them from `<corpus>/.cache/web/`
without drawing or pooling anything, byte for byte the page made anew, each session's
messages put in; a write, an edit of corpus.toml or another reviewer is another page; a
broken file is made again; a folder that cannot be written costs only the making; and
the server answers no one before its heavy pages are made.

A restart is a new app after the figures, syntheses and corpus reads kept in memory
are dropped (`_restart`), as in a new process. Figures are drawn by the stand-ins of
test_web_load, which count what they draw; pooling is watched through `synthesize`.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from rifkb.corpus.folder import load_corpus
from rifkb.corpus.reviews import decide
from rifkb.records import ScreeningDecision
from rifkb.web import figures, shelf, views
from rifkb.web.app import WARM_PAGES, create_app
from rifkb.web.cache import Memo
from rifkb.web.security import Sessions
from rifkb.web.server import Server, bind, serving, url_of
from rifkb.web.shelf import FOLDER

# the fixtures of test_web_load too: the same stand-ins for drawing (autouse), probe of the
# pooling and copy of the bundled corpus
from tests.test_web_load import PMID, Probe, corpus, drawn, figure_urls, probe, probe_of_synthesize, stand_ins

FOREST = ("forest", ("rif", "dl"))
PREPARED = {FOREST: 1, ("evidence_map", ()): 1, ("links", ("", "", 3, False)): 1}
SECRET = b"s" * 32


def _restart(monkeypatch) -> None:
    """What a new process starts with: no figure, synthesis or read of the corpus kept."""
    monkeypatch.setattr(figures, "SVGS", Memo(10**7, weight=len))
    monkeypatch.setattr(figures, "SYNTHESES", Memo(16))
    monkeypatch.setattr(figures, "FORESTS", Memo(16))
    monkeypatch.setattr(views, "READ", Memo(2))


def _client(corpus: Path, **options) -> TestClient:  # noqa: ANN003
    return TestClient(create_app(corpus, reviewer="tester", **options), base_url="http://127.0.0.1")


def _kept(corpus: Path) -> list[Path]:
    return sorted((corpus / FOLDER).glob("*.page"))


def _until(done: Callable[[], bool], seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < end, "never happened"
        time.sleep(0.01)


def test_a_restarted_server_on_an_unchanged_corpus_prepares_its_pages_from_disk_without_drawing(
    corpus, monkeypatch, drawn, probe
):
    first = create_app(corpus, reviewer="tester")
    with serving(first, prepare=WARM_PAGES) as url:
        made = httpx.get(url + "forest").content
        shown = [httpx.get(url + src.lstrip("/")).content for src in figure_urls(made.decode())]
    prepared = _figures_apart(first.state.pages.times_made)
    assert prepared == (PREPARED, len(shown)) and probe.calls == 1 and drawn["forest"] == len(shown) > 5
    assert len(_kept(corpus)) == len(PREPARED)
    _restart(monkeypatch)
    drawings = dict(drawn)
    again = create_app(corpus, reviewer="tester")
    with serving(again, prepare=WARM_PAGES) as url:
        assert httpx.get(url + "forest").content == made
        assert [httpx.get(url + src.lstrip("/")).content for src in figure_urls(made.decode())] == shown
    assert dict(again.state.pages.times_loaded) == PREPARED
    assert _figures_apart(again.state.pages.times_made) == ({}, len(shown))  # of the figures kept on disk
    assert dict(drawn) == drawings and probe.calls == 2  # nothing drawn; pooled once, for the figures'
    # addresses (what each is drawn from), which the page kept on disk does not keep


def _figures_apart(made: Counter) -> tuple[dict, int]:
    """The pages made, and how many figures were (each once)."""
    figures_made = [n for key, n in made.items() if key[0] == "forest_figure"]
    assert set(figures_made) <= {1}
    return {key: n for key, n in made.items() if key[0] != "forest_figure"}, len(figures_made)


def _decided(corpus: Path) -> None:
    with load_corpus(corpus).open_store() as store:
        decide(store, [ScreeningDecision(PMID, "exclude", "duplicate", "another reviewer", "")])


def _store_made_anew(corpus: Path) -> None:
    """The store made again (deleted, extracted anew) with a decision in it, its change
    counter where the old one's was: only the store's name tells them apart."""
    with load_corpus(corpus).open_store() as store:
        changes = store.changes
    _decided(corpus)
    with sqlite3.connect(corpus / "store.sqlite") as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'changes'", (changes,))
        db.execute("UPDATE meta SET value = 'another store' WHERE key = 'identity'")
    db.close()


def _settings_edited(corpus: Path) -> None:
    settings = corpus / "corpus.toml"
    settings.write_text(settings.read_text() + '\n[screening]\nunscreened = "exclude"\n')


@pytest.mark.parametrize(
    ("change", "reviewer", "shown"),
    [(_decided, "tester", "1 excluded, left out"), (_store_made_anew, "tester", "1 excluded, left out"),
     (_settings_edited, "tester", "left out (corpus.toml)"),
     (lambda corpus: None, "another", "reviewer <b>another</b>")],
    ids=["a decision stored", "the store made anew", "corpus.toml edited", "another reviewer"],
)  # fmt: skip
def test_a_change_since_the_page_was_kept_makes_it_anew_and_only_the_new_one_is_kept(
    corpus, monkeypatch, probe, change, reviewer, shown
):
    before = _client(corpus).get("/forest").text
    (old,) = _kept(corpus)
    assert shown not in before
    change(corpus)
    _restart(monkeypatch)
    client = TestClient(create_app(corpus, reviewer=reviewer), base_url="http://127.0.0.1")
    assert shown in client.get("/forest").text
    pages = client.app.state.pages
    assert pages.times_made[FOREST] == 1 and not pages.times_loaded and probe.calls == 2
    (new,) = _kept(corpus)
    assert new.name != old.name  # the page of the old state was deleted as the new one was kept


def test_after_a_restart_a_write_that_changes_no_figure_redraws_none(corpus, monkeypatch, drawn, probe):
    """Screening in a record counted as included already makes every heavy page anew, but
    its figures are kept on disk by what they are drawn from: a new process draws none."""
    client = _client(corpus)
    forest, graph = client.get("/forest").text, client.get("/evidence-map").text
    drawings = dict(drawn)
    with load_corpus(corpus).open_store() as store:
        decide(store, [ScreeningDecision(PMID, "include", None, "another reviewer", "")])
    _restart(monkeypatch)
    again = _client(corpus)
    assert again.get("/forest").text != forest and again.get("/evidence-map").text != graph  # the counts
    assert again.app.state.pages.times_made == {FOREST: 1, ("evidence_map", ()): 1}
    assert probe.calls == 2 and dict(drawn) == drawings  # pooled again, not drawn again


def test_the_figures_kept_on_disk_are_the_last_used_within_their_bound(corpus, monkeypatch):
    monkeypatch.setattr(shelf, "FIGURES_KEPT", 2000)
    client = _client(corpus)
    for url in figure_urls(client.get("/forest").text):
        assert client.get(url).status_code == 200
    kept = list((corpus / FOLDER / "figures").iterdir())
    assert kept and sum(p.stat().st_size for p in kept) <= 2000


def _cut_short(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _one_byte_changed(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-100] ^= 1
    path.write_bytes(bytes(data))


def _another_page(path: Path) -> None:
    """The evidence map's file renamed to the forest's: whole, but not what it is named."""
    other = next(p for p in path.parent.glob("*.page") if p != path)
    os.replace(other, path)


@pytest.mark.parametrize(
    "damage",
    [_cut_short, _one_byte_changed, _another_page, lambda path: path.write_bytes(b""),
     lambda path: path.write_bytes(b"not json\n<html>"), lambda path: path.write_bytes(b'["a list"]\n')],
    ids=["cut short", "one byte changed", "another page", "empty", "no header", "a header of another form"],
)  # fmt: skip
def test_a_broken_page_on_disk_is_made_again_and_kept_whole(corpus, monkeypatch, probe, damage):
    client = _client(corpus)
    made = client.get("/forest").content
    (forest,) = _kept(corpus)
    client.get("/evidence-map")
    damage(forest)
    _restart(monkeypatch)
    again = _client(corpus)
    answer = again.get("/forest")
    assert answer.status_code == 200 and answer.content == made and "Traceback" not in answer.text
    assert again.app.state.pages.times_made[FOREST] == 1 and probe.calls == 2
    _restart(monkeypatch)
    third = _client(corpus)
    assert third.get("/forest").content == made and third.app.state.pages.times_loaded[FOREST] == 1


def test_a_page_from_disk_is_the_page_made_anew_with_each_sessions_messages_put_in(corpus, monkeypatch):
    _client(corpus).get("/forest")
    _restart(monkeypatch)
    shelved = _client(corpus, secret=SECRET)
    message = "a message for this session only"
    session = {"csrf": "the-token-of-this-session", "flash": [{"kind": "ok", "text": message}]}
    shelved.cookies.set("rifkb_session_80", Sessions(None, SECRET).dump(session))
    with_message = shelved.get("/forest").content
    without = TestClient(shelved.app, base_url="http://127.0.0.1").get("/forest").content  # another session
    assert shelved.app.state.pages.times_loaded[FOREST] == 1
    _restart(monkeypatch)
    anew = _client(corpus, keep_on_disk=False).get("/forest").content
    assert without == anew
    flash = shelved.app.state.templates.get_template("_flashes.html").render(flashes=session["flash"])
    assert with_message.count(message.encode()) == 1 and with_message.replace(flash.encode(), b"", 1) == anew
    (kept,) = _kept(corpus)
    assert message.encode() not in kept.read_bytes() and b"the-token-of-this-session" not in kept.read_bytes()


def test_a_folder_that_cannot_be_written_costs_only_the_making_and_is_logged_once(corpus, caplog):
    # A file where the folder would be fails as a read-only folder would (root writes those).
    (corpus / ".cache").write_text("not a folder")
    client = _client(corpus)
    with caplog.at_level(logging.WARNING, logger="rifkb.web.shelf"):
        answers = [client.get(url) for url in ("/forest", "/evidence-map", "/forest?method=reml")]
    assert [a.status_code for a in answers] == [200] * 3
    warned = [r for r in caplog.records if r.name == "rifkb.web.shelf"]
    assert len(warned) == 1 and "not kept on disk" in warned[0].getMessage()


def test_the_server_answers_no_one_before_its_heavy_pages_are_made(corpus, monkeypatch):
    """`rifkb serve` prepares the heavy pages, then says it is ready: a visitor who comes
    meanwhile waits (the socket listens) and is answered after, and the first /forest
    after is the page prepared."""
    probe = probe_of_synthesize(monkeypatch, delay=1.0)
    app = create_app(corpus, reviewer="tester")
    made_when_ready: dict = {}
    ready = threading.Event()

    def when_ready() -> None:
        made_when_ready.update(app.state.pages.times_made)
        ready.set()

    sock = bind(0)
    server = Server(app, prepare=WARM_PAGES, ready=when_ready)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        _until(lambda: probe.calls > 0)  # /forest being made
        early = httpx.get(url_of(sock), timeout=60)
        answered_after_ready = ready.is_set()
        forest = httpx.get(url_of(sock) + "forest", timeout=60)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
    assert early.status_code == 200 and answered_after_ready
    assert _figures_apart(made_when_ready) == (PREPARED, len(figure_urls(forest.text)))
    assert forest.status_code == 200
    assert app.state.pages.times_made[FOREST] == 1 and probe.calls == 1  # not made again
