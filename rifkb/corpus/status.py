"""What a librarian reports about a corpus: the counts a PRISMA flow diagram needs."""

from __future__ import annotations

from dataclasses import dataclass

from rifkb.corpus.folder import Corpus
from rifkb.corpus.store import Store


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
    identified: int  # records brought by all sources together, duplicates included
    by_source: dict[tuple[str, str], int]
    searches: tuple[SearchStatus, ...]
    overlap: dict[tuple[str, str], int]
    retracted: tuple[str, ...]

    @property
    def duplicates_removed(self) -> int:
        return self.identified - self.records


def corpus_status(corpus: Corpus, store: Store) -> CorpusStatus:
    by_source = store.source_counts()
    state = store.searches_state()
    searches = tuple(
        SearchStatus(s.name, s.term, by_source.get(("search", s.name), 0), *state.get(s.name, (None,) * 3))
        for s in corpus.searches
    )
    return CorpusStatus(
        name=corpus.name,
        records=store.count(),
        identified=sum(by_source.values()),
        by_source=by_source,
        searches=searches,
        overlap=store.search_overlap(),
        retracted=tuple(store.retracted()),
    )
