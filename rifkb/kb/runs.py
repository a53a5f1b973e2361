"""Extraction runs: the pipeline applied to records, in one process or several, and to a
whole corpus, storing results as they come."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from spacy.language import Language

from rifkb.corpus.folder import Corpus
from rifkb.corpus.store import ExtractionStamp, Store, record_hash
from rifkb.kb.rulesets import rule_set_ref, rules_to_extract_with
from rifkb.nlp import build_pipeline, pipeline_fingerprint
from rifkb.nlp.reading import extract_record
from rifkb.records import Extraction, ExtractionFailure, Record
from rifkb.rules import load_rules

CHUNK = 64  # records sent to a worker at a time


def extract_records(
    records: Iterable[Record],
    model: str | None = None,
    rules_dir: str | None = None,
    workers: int = 1,
) -> Iterator[Extraction | ExtractionFailure]:
    """Extractions in the order of the records; a failing record yields an ExtractionFailure."""
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


def _safe(nlp: Language, record: Record) -> Extraction | ExtractionFailure:
    try:
        return extract_record(nlp, record)
    except Exception as exc:  # one bad document must not stop a corpus run
        return ExtractionFailure(record.uid, f"{type(exc).__name__}: {exc}")


_worker_nlp: Language | None = None


def _init_worker(model: str | None, rules_dir: str | None) -> None:
    global _worker_nlp
    _worker_nlp = build_pipeline(model, rules_dir)


def _extract_chunk(records: list[Record]) -> list[Extraction | ExtractionFailure]:
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
    failures: tuple[ExtractionFailure, ...]


def extract_corpus(
    corpus: Corpus,
    store: Store,
    model: str | None = None,
    rules_dir: Path | None = None,
    workers: int = 1,
    force: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ExtractReport:
    """Extract every record whose text, rules, pipeline or model changed since its last
    extraction, storing results as they come (a batch per transaction) with the rule set
    that made them: `rules_dir`, else the corpus's own rules, else rifkb's."""
    folder = rules_to_extract_with(corpus, rules_dir)
    version = pipeline_fingerprint(model, str(folder))
    rules = rule_set_ref(corpus, folder)
    state = store.extraction_state()
    records = list(store.records())
    stamps = {r.uid: ExtractionStamp(version, record_hash(r)) for r in records}
    todo = [r for r in records if force or state.get(r.uid) != stamps[r.uid]]
    done, failures, batch = 0, [], []
    for result in extract_records(todo, model, str(folder), workers):
        batch.append(result)
        if isinstance(result, ExtractionFailure):
            failures.append(result)
        done += 1
        if len(batch) >= 200:
            store.save_extractions(batch, stamps, rules)
            batch = []
        if progress:
            progress(done, len(todo))
    store.save_extractions(batch, stamps, rules)
    store.relocate_rules(version, rules)  # unchanged records keep their extraction, read from here now
    return ExtractReport(version, done - len(failures), store.count() - len(todo), tuple(failures))
