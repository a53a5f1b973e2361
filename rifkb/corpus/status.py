"""What a librarian reports about a corpus: the counts a PRISMA flow diagram needs."""

from __future__ import annotations

from dataclasses import dataclass

from rifkb.corpus.folder import Corpus
from rifkb.corpus.scans import deleted_count
from rifkb.corpus.store import Overlap, SearchState, SourceCount, Store


@dataclass(frozen=True)
class SearchStatus:
    name: str
    query: str
    records: int
    last_run: str | None
    last_status: str | None
    watermark: str | None


@dataclass(frozen=True)
class CorpusStatus:
    name: str
    records: int
    identified: int  # records brought by all sources together, duplicates included (also
    # those inside one source: a file that lists a paper twice brought it twice)
    by_source: tuple[SourceCount, ...]
    searches: tuple[SearchStatus, ...]
    overlap: tuple[Overlap, ...]
    retracted: tuple[str, ...]
    deleted: int = 0  # records an update file's DeleteCitation removed (`rifkb scan`)

    @property
    def duplicates_removed(self) -> int:
        return self.identified - self.records - self.deleted


def corpus_status(corpus: Corpus, store: Store) -> CorpusStatus:
    by_source = store.source_counts()
    return CorpusStatus(
        name=corpus.name,
        records=store.count(),
        identified=sum(c.records for c in by_source) + store.duplicates_within_sources(),
        by_source=tuple(by_source),
        searches=_searches(corpus, store, by_source),
        overlap=tuple(store.search_overlap()),
        retracted=tuple(store.retracted()),
        deleted=deleted_count(store),
    )


def _searches(corpus: Corpus, store: Store, by_source: list[SourceCount]) -> tuple[SearchStatus, ...]:
    """Every saved search of corpus.toml, run or not, with what its runs brought."""
    brought = {c.source: c.records for c in by_source if c.kind == "search"}
    state = store.searches_state()
    never_run = SearchState("", None, None, None)
    return tuple(
        SearchStatus(s.name, s.term, brought.get(s.name, 0), run.last_run, run.last_status, run.watermark)
        for s in corpus.searches
        for run in [state.get(s.name, never_run)]
    )


def last_change(store: Store) -> str | None:
    """When the corpus last changed, by the store's clock: its newest record, extraction,
    screening decision or correction; None for an empty corpus. Outputs that name the
    state they show (the HTML report) use it, never the time they were written at."""
    (newest,) = store.rows(
        "SELECT max(t) FROM (SELECT max(last_seen) AS t FROM records UNION ALL "
        "SELECT max(extracted_at) FROM extractions UNION ALL SELECT max(at) FROM screening "
        "UNION ALL SELECT max(at) FROM corrections)"
    )
    return newest[0]
