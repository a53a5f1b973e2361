"""Extraction runs: the pipeline applied to records, in one process or several, and to a
whole corpus, storing results as they come."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice, repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from rifkb.corpus.folder import Corpus
from rifkb.corpus.store import ExtractionStamp, RuleSetRef, Store, text_hash
from rifkb.errors import DiskFullError
from rifkb.kb.rulesets import rule_set_ref, rules_to_extract_with
from rifkb.nlp.version import pipeline_fingerprint
from rifkb.records import Extraction, ExtractionFailure, ExtractionText, Record
from rifkb.rules import load_rules

if TYPE_CHECKING:
    from spacy.language import Language

# Records sent to a worker at a time: enough that sending them costs nothing next to
# reading them, few enough that the worker given the last chunk does not work on alone
# for long while the other waits (64 abstracts are a third of a second).
CHUNK = 16
WATCHDOG_SECONDS = 0.5  # how often a worker checks that its parent is still there


def extract_records(
    records: Iterable[Record],
    model: str | None = None,
    rules_dir: str | None = None,
    workers: int = 1,
) -> Iterator[Extraction | ExtractionFailure]:
    """Extractions in the order of the records; a failing record yields an ExtractionFailure."""
    return _results(records, model, rules_dir, workers, as_text=False)


def _results(records: Iterable[Record | StoredRecord], model: str | None, rules_dir: str | None, workers: int,
             as_text: bool) -> Iterator[Any]:  # fmt: skip
    """Extractions (or, `as_text`, ExtractionTexts, made where the extraction is) in the
    order of the records."""
    if workers <= 1:
        nlp = None  # built for the first record: a run with nothing to read builds none
        for record in records:
            if nlp is None:
                nlp = _pipeline(model, rules_dir)
            yield extraction_or_failure(nlp, record, as_text)
        return
    # Fail here, with one clear error, rather than in every worker. Where workers are
    # forked, the pipeline built here is the one they use (copied with the process, not
    # built again in each); elsewhere (spawn) each builds its own, and rules that compile
    # in milliseconds are only checked here, while a model has to be loaded to know it loads.
    global _worker_nlp
    fork = multiprocessing.get_start_method() == "fork"
    nlp = _pipeline(model, rules_dir) if model or fork else None
    if nlp is None:
        load_rules(Path(rules_dir) if rules_dir else None)
    pool = ProcessPoolExecutor(workers, initializer=_init_worker, initargs=(model, rules_dir))
    try:
        _worker_nlp = nlp if fork else None
        try:
            # the pool starts its processes when given its first work: here, forked with
            # the pipeline above, which this process then no longer holds
            results = pool.map(_extract_chunk, _chunks(records, CHUNK), repeat(as_text))
        finally:
            _worker_nlp = nlp = None
        for chunk in results:
            yield from chunk
    except BaseException:  # Ctrl-C, SIGTERM, or the caller stopped reading: stop at once
        _stop(pool)
        raise
    pool.shutdown()


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel what is queued and end the workers now, rather than after their chunks."""
    pool.shutdown(wait=False, cancel_futures=True)
    processes = list((getattr(pool, "_processes", None) or {}).values())  # no public way before 3.14
    for process in processes:
        process.terminate()
    for process in processes:
        process.join(timeout=5)


def _pipeline(model: str | None, rules_dir: str | None) -> Language:
    # spaCy imported only here and in extraction_or_failure: an extract that finds every
    # record extracted already (a refresh with nothing new) does not import it (~1.3 s)
    from rifkb.nlp import build_pipeline

    return build_pipeline(model, rules_dir)


def extraction_or_failure(nlp: Language, record: Record | StoredRecord, as_text: bool = False) -> Any:
    """The extraction of a record (or of a record as the store keeps it, decoded here: in
    a worker, not in the process that feeds them all), or the failure in its place."""
    from rifkb.nlp.reading import extract_record

    uid = record.uid
    try:
        if isinstance(record, StoredRecord):
            record = Record.to_read_from_json(json.loads(record.text))
        extraction = extract_record(nlp, record)
        return ExtractionText.of(extraction) if as_text else extraction
    except Exception as exc:  # one bad document must not stop a corpus run
        return ExtractionFailure(uid, f"{type(exc).__name__}: {exc}")


class StoredRecord(NamedTuple):
    """A record as the store keeps it: its key and its JSON text."""

    uid: str
    text: str


_worker_nlp: Language | None = None


def _init_worker(model: str | None, rules_dir: str | None) -> None:
    """A worker leaves Ctrl-C to its parent (which ends the workers in one go, without a
    traceback from each), and ends itself when the parent dies however it died."""
    global _worker_nlp
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    parent = os.getppid()
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="rifkb-watchdog").start()
    if _worker_nlp is None:  # not forked from a parent that built it
        _worker_nlp = _pipeline(model, rules_dir)


def _watch_parent(parent: int) -> None:
    """SIGKILL gives the parent no chance to end its workers: once it is gone (a worker
    is then adopted by another process), the worker ends itself."""
    while os.getppid() == parent:
        time.sleep(WATCHDOG_SECONDS)
    os._exit(1)


def _extract_chunk(records: list[Record | StoredRecord], as_text: bool) -> list[Any]:
    assert _worker_nlp is not None
    return [extraction_or_failure(_worker_nlp, r, as_text) for r in records]


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
    arrived: int = 0  # records stored by another command during the run, not read by it


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
    # Which records to read is decided on the stored texts (their hash is the record's);
    # each is decoded where it is read, by a worker (decoding all of them here first
    # would leave 2 workers waiting for a twentieth of the run).
    texts = store.record_texts()
    stamps = {uid: ExtractionStamp(version, text_hash(data)) for uid, data in texts}
    todo = [StoredRecord(uid, data) for uid, data in texts if force or state.get(uid) != stamps[uid]]
    done, failures, batch = 0, [], []
    # nothing to read, no worker started (nor a pipeline built: a second of every refresh)
    workers = workers if todo else 1
    # the JSON the store keeps is made with each extraction (in the workers), not by the
    # one process that stores them all: it would hold back 2 workers by a tenth
    with contextlib.closing(_results(todo, model, str(folder), workers, as_text=True)) as results:
        for result in results:
            batch.append(result)
            if isinstance(result, ExtractionFailure):
                failures.append(result)
            done += 1
            if len(batch) >= 200:
                _save(store, batch, stamps, rules, done - len(batch))
                batch = []
            if progress:
                progress(done, len(todo))
    _save(store, batch, stamps, rules, done - len(batch))
    store.relocate_rules(version, rules)  # unchanged records keep their extraction, read from here now
    # records stored while this run went on (an import at the same time) were not read:
    # they are neither extracted nor unchanged, and the next run reads them
    arrived = max(0, store.count() - len(texts))
    return ExtractReport(version, done - len(failures), len(texts) - len(todo), tuple(failures), arrived)


def _save(store: Store, batch: list, stamps: dict, rules: RuleSetRef, saved: int) -> None:
    """Store a batch; on a full disk, say that the batches before it are kept."""
    try:
        store.save_extractions(batch, stamps, rules)
    except DiskFullError as exc:
        if not saved:
            raise
        raise DiskFullError(f"{exc} ({saved} extractions stored before it are kept)") from None
