"""`rifkb scan`: PubMed baseline and update files, one Dask task per file, into the corpus.

Each task streams its file on a worker, keeps the records that concern the corpus (the
prefilter, rifkb.kb.prefilter) and extracts them there (rifkb.kb.scan_worker). Results
come back to one writer, this process, which stores each file whole in one transaction:
its records (provenance `scan:<file name>`), their extractions (stamped as `rifkb
extract` stamps them, so a later extract finds nothing to do), the records its
DeleteCitations remove, and its row in the scan log (rifkb.corpus.scans). Files are
committed in name order (PubMed numbers them: pubmed26n0001 … the updates after the
baseline) even when tasks finish out of order; a failed task is retried, then reported
by file while the others are committed. A file already logged with the same pipeline
version is skipped, so a second run does nothing and a killed one resumes.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rifkb.corpus.folder import Corpus
from rifkb.corpus.scans import ScannedFile, already_scanned, delete_records, log_scan
from rifkb.corpus.store import ExtractionStamp, Provenance, RuleSetRef, Store, record_hash
from rifkb.errors import BadInputError, RifkbError
from rifkb.kb.rulesets import rule_set_ref, rules_to_extract_with
from rifkb.kb.scan_worker import FileScan, RulesPayload
from rifkb.nlp import pipeline_fingerprint
from rifkb.records import ExtractionFailure
from rifkb.rules import load_rules

RETRIES = 2
PROGRESS_TOPIC = "rifkb-scan-progress"
SUFFIXES = (".xml.gz", ".xml")
CONNECT_SECONDS = 10


@dataclass(frozen=True)
class FileOutcome:
    """What became of one file: "scanned", "skipped" (scanned before) or "failed"."""

    path: Path
    status: str
    log: ScannedFile | None = None
    error: str | None = None


@dataclass(frozen=True)
class ScanProgress:
    """A file's progress: "skipped" (scanned before) or "queued" before the scan starts,
    then "reading" (`done` bytes of `size`, `read` articles so far), then "scanned" (its
    results committed) or "failed"."""

    file: str
    status: str
    done: int = 0
    size: int = 0
    read: int = 0


@dataclass
class ScanReport:
    files: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    def total(self, what: str) -> int:
        """A count (records_read, kept, new, updated, deleted, failed) over the files scanned."""
        return sum(getattr(f.log, what) for f in self.files if f.log is not None)

    @property
    def failures(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "failed"]


def scan_inputs(paths: list[Path]) -> list[Path]:
    """The files to scan, in name order: each file given, and the *.xml.gz and *.xml files
    of each folder given. Raises BadInputError naming what is missing or not PubMed XML."""
    files: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.name.endswith(SUFFIXES))
            if not found:
                raise BadInputError(f"{path}: no PubMed files (*.xml.gz, *.xml) in this folder")
            files.update(dict.fromkeys(found))
        elif not path.exists():
            raise BadInputError(f"{path}: no such file or folder")
        else:
            files[path] = None
    for path in files:
        _check_pubmed(path)
    return sorted(files, key=lambda p: (p.name, str(p)))


def _check_pubmed(path: Path) -> None:
    """Refuse at once a file that is not PubMed XML (a corrupt one fails in its task)."""
    import gzip

    try:
        with open(path, "rb") as handle:
            magic = handle.read(2)
        opener: Any = gzip.open if magic == b"\x1f\x8b" else open
        with opener(path, "rb") as stream:
            head = stream.read(8192)
    except (OSError, EOFError) as exc:
        raise BadInputError(f"{path}: cannot be read ({exc})") from None
    if b"<PubmedArticleSet" not in head:
        raise BadInputError(f"{path}: not a PubMed file (no <PubmedArticleSet> at its start)")


def scan_corpus(
    corpus: Corpus,
    store: Store,
    paths: list[Path],
    scheduler: str | None = None,
    workers: int | None = None,
    progress: Callable[[ScanProgress], None] | None = None,
) -> ScanReport:
    """Scan the files into the corpus on a Dask cluster: the one at `scheduler`, else a
    local one of `workers` processes (default: one per CPU, no more than files to scan)."""
    files = scan_inputs(paths)
    folder = rules_to_extract_with(corpus)
    rules = load_rules(folder)
    version = pipeline_fingerprint(None, str(folder))
    payload = RulesPayload(dict(rules.texts), rules.fingerprint, version)
    report = ScanReport()
    todo = []
    for path in files:
        if _done_before(store, path, version):
            report.files.append(FileOutcome(path, "skipped"))
            if progress:
                progress(ScanProgress(path.name, "skipped"))
        else:
            todo.append(path)
    for path in todo if progress else ():
        progress(ScanProgress(path.name, "queued", 0, path.stat().st_size))
    if todo:
        writer = _Writer(store, payload, rule_set_ref(corpus, folder), folder)
        with _client(scheduler, workers or min(len(todo), _cpus())) as client:
            report.files.extend(_run(client, todo, payload, writer, _held(store), progress))
    report.files.sort(key=lambda f: (f.path.name, str(f.path)))
    return report


def _done_before(store: Store, path: Path, version: str) -> bool:
    stat = path.stat()
    done = already_scanned(store, path.name, stat.st_size, stat.st_mtime_ns, version)
    if done is None:  # a copy, with a modification time of its own: compare contents
        done = already_scanned(store, path.name, stat.st_size, stat.st_mtime_ns, version, _sha256(path))
    return bool(done)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _held(store: Store) -> frozenset[str]:
    """PMIDs the corpus holds: their new revisions are taken whatever they name."""
    return frozenset(row[0] for row in store.rows("SELECT pmid FROM records WHERE pmid IS NOT NULL"))


@contextlib.contextmanager
def _client(scheduler: str | None, workers: int) -> Iterator[Any]:
    """A Dask client of the scheduler at `scheduler`, else of a local cluster of `workers`
    single-threaded processes (quiet: a failed task is reported by file, not logged);
    RifkbError when the scheduler cannot be reached."""
    from distributed import Client, LocalCluster

    if scheduler is None:
        # its dashboard on a free port: 8787 may be another cluster's (a second scan, a
        # notebook's), and Dask would take another port only after a failed try
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=":0", silence_logs=logging.CRITICAL)  # fmt: skip
        with cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RifkbError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
    with client:
        yield client


def _run(client: Any, todo: list[Path], payload: RulesPayload, writer: _Writer, held: frozenset[str],
         progress: Callable[[ScanProgress], None] | None) -> list[FileOutcome]:  # fmt: skip
    """Submit one task per file and commit the results in file order as they come."""
    from distributed import as_completed

    _check_workers(client)
    if progress is not None:
        fields = ("file", "status", "done", "size", "read")  # Dask adds the worker's address
        client.subscribe_topic(
            PROGRESS_TOPIC, lambda event: progress(ScanProgress(*(event[1][k] for k in fields)))
        )
    rules_future, held_future = client.scatter([payload, held], broadcast=True, hash=False)
    started = writer.store.now()
    futures = [
        client.submit(
            _task,
            str(path),
            rules_future,
            held_future,
            retries=RETRIES,
            pure=False,
            key=f"rifkb-scan-{path.name}-{os.urandom(4).hex()}",
        )  # fmt: skip
        for path in todo
    ]
    order = {future.key: i for i, future in enumerate(futures)}
    arrived: dict[int, FileScan | str] = {}
    outcomes: list[FileOutcome] = []
    for future in as_completed(futures):
        arrived[order[future.key]] = _result(future)
        future.release()
        while len(outcomes) in arrived:  # the next file in order is here: commit it
            path = todo[len(outcomes)]
            outcome = writer.commit(path, started, arrived.pop(len(outcomes)))
            outcomes.append(outcome)
            if progress is not None:
                progress(ScanProgress(path.name, outcome.status, path.stat().st_size, path.stat().st_size,
                                      outcome.log.records_read if outcome.log else 0))  # fmt: skip
    return outcomes


def _result(future: Any) -> FileScan | str:
    """A task's result, or what made it fail (after its retries), in one line."""
    try:
        return future.result()
    except RifkbError as exc:
        return str(exc)
    except Exception as exc:  # a worker died, a bug: reported by file, the others go on
        return f"{type(exc).__name__}: {exc}".strip()


def _check_workers(client: Any) -> None:
    """Every worker runs this rifkb (a worker without rifkb, or another version, is said
    here in one line, not by every task)."""
    from rifkb.kb.scan_worker import worker_versions

    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except TimeoutError:
        raise RifkbError(f"the Dask scheduler has no workers (waited {CONNECT_SECONDS} s)") from None
    try:
        found = client.run(worker_versions)
    except Exception as exc:  # noqa: BLE001 - what a worker without rifkb raises is not ours
        raise RifkbError(f"the Dask workers cannot run rifkb ({type(exc).__name__}: {exc}); "
                         "install rifkb on every worker") from None  # fmt: skip
    ours = worker_versions()
    other = {address: v for address, v in found.items() if v != ours}
    if other:
        address, theirs = sorted(other.items())[0]
        raise RifkbError(
            f"worker {address} runs rifkb {theirs}, this one {ours}: install the same on every worker"
        )


_last_report: dict[str, float] = {}


def _task(path: str, rules: RulesPayload, held: frozenset[str]) -> FileScan:
    """The Dask task of one file, on a worker."""
    from rifkb.kb.scan_worker import scan_file

    name = Path(path).name

    def report(done: int, size: int, read: int) -> None:
        now = time.monotonic()
        if done < size and now - _last_report.get(name, 0.0) < 0.5:
            return
        _last_report[name] = now
        with contextlib.suppress(ValueError):  # not on a Dask worker: no one to tell
            from distributed import get_worker

            event = {"file": name, "status": "reading", "done": done, "size": size, "read": read}
            get_worker().log_event(PROGRESS_TOPIC, event)

    return scan_file(path, rules, held, report)


class _Writer:
    """Commits each file's results in one transaction (see the module's docstring)."""

    def __init__(self, store: Store, payload: RulesPayload, rules_ref: RuleSetRef, folder: Path):
        self.store, self.payload, self.rules_ref, self.folder = store, payload, rules_ref, folder
        self._nlp: Any = None

    def commit(self, path: Path, started: str, scan: FileScan | str) -> FileOutcome:
        if isinstance(scan, str):
            return FileOutcome(path, "failed", error=scan)
        stat = path.stat()
        provenance = Provenance("scan", path.name)
        with self.store.transaction():
            upserts = self.store.add_records(scan.records, provenance, self.store.start_reading(provenance))
            results, stamps = self._extractions(scan, [u.uid for u in upserts])
            self.store.save_extractions(results, stamps, self.rules_ref)
            deleted = delete_records(self.store, scan.deleted, path.name)
            statuses = [u.status for u in upserts]
            log = ScannedFile(
                path.name, stat.st_size, stat.st_mtime_ns, scan.sha256, self.payload.version,
                self.payload.fingerprint, started, self.store.now(), scan.records_read, len(scan.records),
                statuses.count("new"), statuses.count("updated"), statuses.count("unchanged"), len(deleted),
                sum(isinstance(r, ExtractionFailure) for r in scan.results),
            )  # fmt: skip
            log_scan(self.store, log)
        return FileOutcome(path, "scanned", log)

    def _extractions(self, scan: FileScan, uids: list[str]) -> tuple[list, dict[str, ExtractionStamp]]:
        """The extractions to store, with their stamps: the worker's, for a record stored as
        it came; for a record that merged with one held (another source's, a newer
        revision), one made here of the record as stored; none for a record whose stored
        extraction is current."""
        results, stamps, redo = [], {}, []
        done: set[str] = set()
        for record, result, uid in reversed(list(zip(scan.records, scan.results, uids, strict=True))):
            if uid in done:  # a file listing a record twice: its last version counts
                continue
            done.add(uid)
            stored = self.store.get(uid)
            stamp = stamps[uid] = ExtractionStamp(self.payload.version, record_hash(stored))
            if self._current(uid) == stamp:
                continue
            if stamp.record_hash == record_hash(record):
                results.append(result)
            else:
                redo.append(stored)
        return results + self._extract_here(redo), stamps

    def _current(self, uid: str) -> ExtractionStamp | None:
        rows = self.store.rows(
            "SELECT version, record_hash FROM extractions WHERE uid = ? UNION ALL "
            "SELECT version, record_hash FROM extraction_failures WHERE uid = ?",
            (uid, uid),
        )
        return ExtractionStamp(*rows[0]) if rows else None

    def _extract_here(self, records: list) -> list:
        if not records:
            return []
        from rifkb.kb.runs import extraction_or_failure
        from rifkb.nlp import build_pipeline

        if self._nlp is None:
            self._nlp = build_pipeline(None, str(self.folder))
        return [extraction_or_failure(self._nlp, r) for r in records]
