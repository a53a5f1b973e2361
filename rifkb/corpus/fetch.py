"""Run saved searches against PubMed and keep the corpus complete.

For each saved search:

1. plan: the query's Entrez-date window (from the search's watermark, unless `full`) is
   cut into date ranges that each hold at most 10,000 hits, the most PubMed will page
   through; the ranges must add up to the query's total, or the run stops;
2. fetch: each range is searched with usehistory=y and fetched in batches from the
   history server, each batch stored in its own transaction (an interruption loses
   nothing already stored, and the next run skips batches already held);
3. complete: ids that batches left out are fetched again by id; what still cannot be had
   is reported by PMID;
4. the watermark moves to the day the run started only when every hit is held, so a run
   cut short never becomes a silent gap.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from rifkb.corpus.eutils import PUBMED_RETRIEVAL_CAP, MalformedResponse, PubMedClient, SearchResult
from rifkb.corpus.folder import SavedSearch, edat
from rifkb.corpus.store import Provenance, Run, Store, utc_now
from rifkb.errors import FetchError
from rifkb.records import Record

EARLIEST = date(1800, 1, 1)
Progress = Callable[[str, int, int], None]  # (search name, ids done, ids in all)


@dataclass(frozen=True)
class Window:
    mindate: date
    maxdate: date
    count: int


@dataclass
class _Tally:
    new: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, store: Store, records: list[Record], provenance: Provenance) -> set[str]:
        results = store.add_records(records, provenance)
        for r in results:
            setattr(self, r.status, getattr(self, r.status) + 1)
        return {rec.pmid for rec in records if rec.pmid}


def fetch_search(
    store: Store,
    client: PubMedClient,
    search: SavedSearch,
    *,
    full: bool = False,
    batch_size: int = 500,
    today: date | None = None,
    progress: Progress | None = None,
) -> Run:
    """Run one saved search; returns the run as it was recorded in the store."""
    today = today or datetime.now(UTC).date()
    watermark = None if full else store.watermark(search.name)
    mindate = _parse_edat(watermark) if watermark else None
    run = Run(search.name, utc_now(), full, watermark, edat(today))
    tally = _Tally()
    try:
        windows = plan_windows(client, search.term, mindate, today)
        run = replace(run, hits=sum(w.count for w in windows))
        wanted = _fetch_windows(store, client, search, windows, tally, full, batch_size, progress)
        failed = sorted(wanted - store.pmids_held(wanted, search.name), key=int)
    except (FetchError, KeyboardInterrupt):
        _save(store, run, tally, (), "interrupted", None)
        raise
    status = "complete" if not failed else "incomplete"
    return _save(store, run, tally, tuple(failed), status, edat(today) if not failed else None)


def _save(
    store: Store, run: Run, tally: _Tally, failed: tuple[str, ...], status: str, mark: str | None
) -> Run:
    run = replace(
        run, new=tally.new, updated=tally.updated, unchanged=tally.unchanged,
        failed_pmids=failed, status=status, finished=utc_now(),
    )  # fmt: skip
    store.save_run(run, move_watermark_to=mark)
    return run


def plan_windows(client: PubMedClient, term: str, mindate: date | None, today: date) -> list[Window]:
    """Entrez-date ranges of at most 10,000 hits each that together hold every hit."""
    total = client.count(term, edat(mindate) if mindate else None, edat(today) if mindate else None)
    if total <= PUBMED_RETRIEVAL_CAP:
        return [Window(mindate or EARLIEST, today, total)] if total else []
    windows = _bisect(client, term, mindate or EARLIEST, today, None)
    if sum(w.count for w in windows) != total:
        raise FetchError(
            f"date ranges hold {sum(w.count for w in windows)} hits but the query has {total}; "
            "records without an Entrez date in range cannot be paged: narrow the query"
        )
    return windows


def _bisect(client: PubMedClient, term: str, low: date, high: date, known: int | None) -> list[Window]:
    count = known if known is not None else client.count(term, edat(low), edat(high))
    if count <= PUBMED_RETRIEVAL_CAP:
        return [Window(low, high, count)] if count else []
    if low == high:
        raise FetchError(f"{count} hits share the Entrez date {edat(low)}, more than PubMed pages through")
    middle = low + (high - low) // 2
    return _bisect(client, term, low, middle, None) + _bisect(
        client, term, middle + timedelta(days=1), high, None
    )


def _fetch_windows(
    store: Store,
    client: PubMedClient,
    search: SavedSearch,
    windows: list[Window],
    tally: _Tally,
    full: bool,
    batch_size: int,
    progress: Progress | None,
) -> set[str]:
    provenance = Provenance("search", search.name)
    total = sum(w.count for w in windows)
    wanted: set[str] = set()
    done = 0
    for window in windows:
        dated = len(windows) > 1 or window.mindate != EARLIEST
        result = client.search(
            search.term,
            edat(window.mindate) if dated else None,
            edat(window.maxdate) if dated else None,
        )
        wanted.update(result.ids)
        received, done = _fetch_batches(
            store, client, result, tally, provenance, full, batch_size, (done, total), progress
        )
        missing = [i for i in result.ids if i not in received]
        missing = sorted(set(missing) - store.pmids_held(missing, search.name), key=int)
        _refetch_by_id(store, client, missing, tally, provenance, batch_size)
    return wanted


def _fetch_batches(
    store: Store,
    client: PubMedClient,
    result: SearchResult,
    tally: _Tally,
    provenance: Provenance,
    full: bool,
    batch_size: int,
    counter: tuple[int, int],
    progress: Progress | None,
) -> tuple[set[str], int]:
    done, total = counter
    received: set[str] = set()
    for start in range(0, len(result.ids), batch_size):
        ids = result.ids[start : start + batch_size]
        held = store.pmids_held(ids, provenance.source)
        if not full and len(held) == len(ids):
            tally.unchanged += len(ids)  # held since an earlier, interrupted run: resume
            received.update(ids)
        else:
            # a batch malformed on every try: its ids are fetched again by id below
            with contextlib.suppress(MalformedResponse):
                batch = client.fetch_batch(result, start, len(ids))
                received |= tally.add(store, batch, provenance)
        done += len(ids)
        if progress:
            progress(provenance.source, done, total)
    return received, done


def _refetch_by_id(
    store: Store,
    client: PubMedClient,
    missing: list[str],
    tally: _Tally,
    provenance: Provenance,
    batch_size: int,
) -> None:
    for start in range(0, len(missing), batch_size):
        chunk = missing[start : start + batch_size]
        try:
            tally.add(store, client.fetch_ids(chunk), provenance)
        except MalformedResponse:
            for pmid in chunk:  # one bad record should not take its neighbours down
                try:
                    tally.add(store, client.fetch_ids([pmid]), provenance)
                except MalformedResponse:
                    continue


def _parse_edat(text: str) -> date:
    return datetime.strptime(text, "%Y/%m/%d").date()
