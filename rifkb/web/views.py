"""What the pages share: the site (corpus folder and reviewer), a page (its query, and
how it is made), a page made and a write done, the store opened for one request, and links.

The store is opened for each page made and closed after it, in the thread that makes the
page: SQLite connections are not shared between threads. A page made is kept until the
corpus changes (`rifkb.web.cache`), so a write by another rifkb command (an extract, a
refresh) shows at the next page too.
"""

from __future__ import annotations

import threading
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from starlette.requests import Request

from rifkb.corpus.folder import CONFIG_FILE, Corpus, load_corpus
from rifkb.corpus.reviews import corrections
from rifkb.corpus.store import Store
from rifkb.errors import RifkbError
from rifkb.kb.corrections import apply_corrections
from rifkb.kb.papers import Reviewed, reviewed_papers
from rifkb.kb.rulesets import rules_of_extraction
from rifkb.records import Conflict, Extraction, Record
from rifkb.rules import RuleSet
from rifkb.web.cache import Memo, State, digest

# The papers as reviewed and their rules, by corpus and state: what every heavy page reads
# first (a tenth of a second on the bundled corpus), read once for all of one state; of
# the last state only (on a large corpus they are hundreds of megabytes).
READ = Memo(1)

_WATCHING = threading.local()  # the stores `Site.state` reads, by corpus folder, in each thread

# The reasons reviewers give most (PRISMA 2020 counts exclusions by reason); any other
# can be typed. Numbered: after `x`, a digit picks one.
EXCLUSION_REASONS = (
    "population not RIF",
    "intervention not of interest",
    "no outcome of interest",
    "wrong study design",
    "animal or laboratory study",
    "duplicate",
    "not in English",
)


@dataclass(frozen=True)
class Site:
    corpus_dir: Path
    name: str  # the corpus's
    reviewer: str
    cache: Path | None = None  # where heavy pages and figures are kept on disk (rifkb.web.shelf)

    @contextmanager
    def open(self) -> Iterator[tuple[Corpus, Store]]:
        corpus = load_corpus(self.corpus_dir)
        with corpus.open_store() as store:
            yield corpus, store

    def state(self) -> State:
        """The corpus as of now, as the page cache tells states apart: a stat and one query,
        on a connection to the store kept open for it in each thread that asks (SQLite's
        connections stay in their thread), since it is asked at every request."""
        settings = self._settings()
        kept = _WATCHING.__dict__.setdefault("stores", {})
        if self.corpus_dir not in kept:
            kept[self.corpus_dir] = load_corpus(self.corpus_dir).open_store()
        return State(kept[self.corpus_dir].changes, settings)

    def reviewed(self) -> tuple[Reviewed, RuleSet]:
        """The papers as reviewed (excluded records set apart, corrections applied) and the
        rules they were extracted with, as of now; read once for every page of one state."""
        settings = self._settings()
        with self.open() as (corpus, store):

            def read() -> tuple[Reviewed, RuleSet]:
                return reviewed_papers(store, corpus.unscreened_included), rules_of_extraction(corpus, store)

            return READ.get(digest(str(self.corpus_dir), State(store.changes, settings)), read)

    def _settings(self) -> tuple[int, int, int]:
        """corpus.toml's stamp, taken before the corpus is read: what is read is never older."""
        stat = (self.corpus_dir / CONFIG_FILE).stat()
        return stat.st_mtime_ns, stat.st_size, stat.st_ino


@dataclass(frozen=True)
class View:
    """A page: its template, what it shows, and the status it is sent with."""

    template: str
    context: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    error: str | None = None  # a message for the reviewer, in one line (status 400)


@dataclass(frozen=True)
class Made:
    """A page made and rendered once for every session: its HTML, with marks where each
    session's token and messages go (a forest page is megabytes: rendering it for every
    request would cost more than putting two strings in), and the status and message it
    is sent with. The marks are random, so that no text of the corpus can hold them, and
    go with the page: one kept on disk has the marks it was made with."""

    html: bytes
    token_mark: str
    flashes_mark: str
    status: int = 200
    error: str | None = None


@dataclass(frozen=True)
class Page:
    """A page of the app: its query read from a request (checked: a BadInputError is the
    reviewer's to read; equal queries are the same page), and the page made from it;
    heavy pages (figures, syntheses, the graph) are made one at a time."""

    name: str
    query: Callable[[Request], tuple]
    make: Callable[..., View]  # (site, *query) -> View
    heavy: bool = False


@dataclass(frozen=True)
class Done:
    """A write done: the message to flash and the page to go to (POST-redirect-GET)."""

    message: str
    url: str
    kind: str = "ok"  # "ok" | "info"


def rules_or_none(corpus: Corpus, store: Store) -> RuleSet | None:
    """The rules the corpus was extracted with; None before its first extraction."""
    try:
        return rules_of_extraction(corpus, store)
    except RifkbError:
        return None


def concept_labels(rules: RuleSet | None) -> dict[str, str]:
    return {cid: c.label for cid, c in rules.concepts.items()} if rules else {}


def corrected_extraction(store: Store, uid: str) -> tuple[Extraction | None, list[Conflict]]:
    """A record's extraction as the reviewers corrected it (None: not extracted yet)."""
    automatic = store.extraction(uid)
    if automatic is None:
        return None, []
    return apply_corrections(automatic, corrections(store, uid))


def record_url(uid: str) -> str:
    return "/record/" + urllib.parse.quote(uid, safe=":/")


def pubmed_url(record: Record) -> str | None:
    return f"https://pubmed.ncbi.nlm.nih.gov/{record.pmid}/" if record.pmid else None


def doi_url(record: Record) -> str | None:
    return "https://doi.org/" + urllib.parse.quote(record.doi, safe="/:;()") if record.doi else None


def authors_line(record: Record, most: int = 6) -> str:
    """'Peero EK, Banjar S, ... et al.' as PubMed lists authors."""
    names = [a.display for a in record.authors if a.display]
    return ", ".join(names[:most]) + (", et al." if len(names) > most else "")


def local_url(text: str | None, default: str = "/") -> str:
    """A page of this app to go back to; anything else (another site) is refused for the default."""
    if not text or not text.startswith("/") or text.startswith("//") or "\\" in text:
        return default
    return text
