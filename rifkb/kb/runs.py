"""Extraction runs: the pipeline applied to records, in one process or several, and to a
whole corpus, storing results as they come."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from spacy.language import Language

from rifkb.corpus.store import Store, record_hash
from rifkb.nlp import build_pipeline, pipeline_fingerprint
from rifkb.nlp.reading import extract_record
from rifkb.records import Extraction, Record
from rifkb.rules import load_rules

CHUNK = 64  # records sent to a worker at a time


@dataclass(frozen=True)
class Failure:
    """A record the pipeline could not read; the run goes on without it."""

    uid: str
    message: str


def extract_records(
    records: Iterable[Record],
    model: str | None = None,
    rules_dir: str | None = None,
    workers: int = 1,
) -> Iterator[Extraction | Failure]:
    """Extractions in the order of the records; a failing record yields a Failure."""
    if workers <= 1:
        nlp = build_pipeline(model, rules_dir)
        for record in records:
            yield _safe(nlp, record)
        return
    # Fail here, with one clear error, rather than in every worker: the rules compile in
    # milliseconds; a model has to be loaded to know it loads.
    if model:
        build_pipeline(model, rules_dir)
    else:
        load_rules(Path(rules_dir) if rules_dir else None)
    with ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(model, rules_dir)) as pool:
        for results in pool.map(_extract_chunk, _chunks(records, CHUNK)):
            yield from results


def _safe(nlp: Language, record: Record) -> Extraction | Failure:
    try:
        return extract_record(nlp, record)
    except Exception as exc:  # one bad document must not stop a corpus run
        return Failure(record.uid, f"{type(exc).__name__}: {exc}")


_worker_nlp: Language | None = None


def _init_worker(model: str | None, rules_dir: str | None) -> None:
    global _worker_nlp
    _worker_nlp = build_pipeline(model, rules_dir)


def _extract_chunk(records: list[Record]) -> list[Extraction | Failure]:
    assert _worker_nlp is not None
    return [_safe(_worker_nlp, r) for r in records]


def _chunks(records: Iterable[Record], size: int) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(islice(iterator, size)):
        yield chunk


@dataclass(frozen=True)
class ExtractReport:
    version: str
    extracted: int
    unchanged: int
    failures: tuple[Failure, ...]


def extract_corpus(
    store: Store,
    model: str | None = None,
    rules_dir: str | None = None,
    workers: int = 1,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ExtractReport:
    """Extract every record whose text, rules, pipeline or model changed since its last
    extraction, storing results as they come (a batch per transaction)."""
    version = pipeline_fingerprint(model, rules_dir)
    state = store.extraction_state()
    todo = [r for r in store.records()
            if force or state.get(r.uid) != (version, record_hash(r))]  # fmt: skip
    hashes = {r.uid: record_hash(r) for r in todo}
    done, failures, batch = 0, [], []
    for result in extract_records(todo, model, rules_dir, workers):
        uid = result.uid if isinstance(result, Failure) else result.doc_id
        payload = result.message if isinstance(result, Failure) else result.to_json()
        batch.append((uid, version, hashes[uid], payload))
        if isinstance(result, Failure):
            failures.append(result)
        done += 1
        if len(batch) >= 200:
            store.save_extractions(batch)
            batch = []
        if progress:
            progress(done, len(todo))
    store.save_extractions(batch)
    return ExtractReport(version, done - len(failures), store.count() - len(todo), tuple(failures))
