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
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rifkb.corpus.folder import Corpus
from rifkb.corpus.formats.pubmed_scan import encoding_problem
from rifkb.corpus.rows import Upsert
from rifkb.corpus.scans import ScannedFile, already_scanned, delete_records, log_scan, scanned_files
from rifkb.corpus.store import ExtractionStamp, Provenance, RuleSetRef, Store, record_hash
from rifkb.errors import BadInputError, RifkbError
from rifkb.kb.rulesets import rule_set_ref, rules_to_extract_with
from rifkb.kb.scan_worker import FORK_SERVER, FileScan, RulesPayload
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
    """The files' outcomes, and where the time went (`timings`, seconds): "cluster start"
    (to a client of ready workers), "worker setup" (the longest a worker spent building
    its prefilter and pipeline in a task: nothing when its fork server built them),
    "file" (the median seconds of a worker on one file, its setup left out), "writer"
    (this process committing), "scan" (from the first task submitted to the last file
    committed) and "cluster close"."""

    files: list[FileOutcome] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

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
    problem = encoding_problem(path, head)
    if problem:  # refused here, in one line, not by every retry of its task
        raise BadInputError(problem)


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
    if scheduler is None and files:
        # First the workers' fork server: its imports and pipeline build (~3.5 s) are most
        # of a local cluster's start, and go on, on another core, while this process
        # imports Dask and starts the scheduler
        _start_fork_server()
    with contextlib.ExitStack() as stack:
        early = None
        if scheduler is None and files and not any(scanned_files(store, p.name) for p in files):
            # None of the files scanned before, so all are to scan: the local cluster
            # starts now, while this process reads the rules and what the store holds
            early = stack.enter_context(_EarlyCluster(workers or min(len(files), _cpus())))
        return _scan(corpus, store, files, scheduler, workers, progress, early)


def _scan(corpus: Corpus, store: Store, files: list[Path], scheduler: str | None, workers: int | None,
          progress: Callable[[ScanProgress], None] | None,
          early: _EarlyCluster | None) -> ScanReport:  # fmt: skip
    from rifkb.nlp.version import pipeline_fingerprint

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
        with _client(scheduler, workers or min(len(todo), _cpus()), report.timings, early) as client:
            report.files.extend(_run(client, todo, payload, writer, _held(store), progress, report.timings))
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
def _client(
    scheduler: str | None, workers: int, timings: dict[str, float], early: _EarlyCluster | None = None
) -> Iterator[Any]:
    """A Dask client of the scheduler at `scheduler`, else of a local cluster of `workers`
    single-threaded processes (quiet: a failed task is reported by file, not logged), the
    one `early` started if given; RifkbError when the scheduler cannot be reached.
    `timings` gets "cluster start" (what this process waited for it) and "cluster close"
    (seconds)."""
    from distributed import Client

    start = time.perf_counter()
    if scheduler is None:
        cluster = early.cluster() if early is not None else _local_cluster(workers)
        try:
            with Client(cluster) as client:
                timings["cluster start"] = time.perf_counter() - start
                yield client
                start = time.perf_counter()
        finally:
            cluster.close()
            timings["cluster close"] = time.perf_counter() - start
        return
    try:
        client = Client(scheduler, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as exc:
        raise RifkbError(f"cannot reach the Dask scheduler at {scheduler} ({exc})") from None
    timings["cluster start"] = time.perf_counter() - start
    with client:
        yield client


def _local_cluster(workers: int) -> Any:
    from distributed import LocalCluster

    # No dashboard: nobody looks at it during a scan, and its server (Bokeh, imported and
    # started in this process, which also writes) costs start-up. The scheduler's HTTP
    # server (health, metrics) starts all the same, on port 8787 unless told otherwise,
    # and warns "Port 8787 is already in use" when a Jupyter dashboard or another scan
    # holds it: a port of the system's choosing. The workers are forked from a fork
    # server that has imported rifkb and spaCy and built the pipeline once
    # (rifkb.kb.scan_preload), not spawned afresh.
    with _forked_workers():
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                            dashboard_address=None, scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                            silence_logs=logging.CRITICAL)  # fmt: skip


class _EarlyCluster:
    """A local cluster started in a thread while this process goes on; `cluster()` waits
    for it (and raises what starting it raised). Closed on exit unless taken."""

    def __init__(self, workers: int):
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(1, thread_name_prefix="rifkb-scan-cluster")
        self._future = self._pool.submit(_local_cluster, workers)
        self._taken = False

    def cluster(self) -> Any:
        self._taken = True
        return self._future.result()

    def __enter__(self) -> _EarlyCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self._pool.shutdown(wait=True)
        if not self._taken and self._future.exception() is None:
            self._future.result().close()  # nothing to scan after all, or a rule file failed


_PRELOAD = ["distributed", "rifkb.kb.scan_preload"]


def _start_fork_server() -> bool:
    """Start, in the background, the fork server that the local cluster's workers will be
    forked from (`_forked_workers`); false where there is none (Windows). Started before
    this process imports spaCy and Dask for itself, it imports its own and builds the
    pipeline meanwhile (rifkb.kb.scan_preload)."""
    import multiprocessing
    from multiprocessing import forkserver

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return False
    # What Dask's nanny sets in its own environment before it starts a worker process,
    # for libraries that read it once, at start (one BLAS thread, glibc giving freed
    # memory back): the fork server's environment is its workers'.
    for name, value in _pre_spawn_environ().items():
        if value is not None:
            os.environ.setdefault(name, str(value))
    forkserver.set_forkserver_preload(_PRELOAD)
    # The server is `python -c …`, which puts the working directory first on its path,
    # and Python before 3.12.8 and 3.13.1 drops the path it is given (CPython gh-117378,
    # whose workaround this is): run from a folder holding a `rifkb` package (a checkout,
    # another version), the workers would import that one. It starts with this
    # process's path, and no working directory in it.
    path = os.pathsep.join(p for p in sys.path if p)
    with _environ(PYTHONSAFEPATH="1", PYTHONPATH=path, **{FORK_SERVER: "1"}):
        forkserver.ensure_running()
    return True


@contextlib.contextmanager
def _environ(**names: str) -> Iterator[None]:
    """These environment variables set for what this process starts meanwhile."""
    before = {name: os.environ.get(name) for name in names}
    os.environ.update(names)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _pre_spawn_environ() -> dict[str, Any]:
    """Dask's setting distributed.nanny.pre-spawn-environ, without importing distributed
    (0.6 s, which the fork server is started before): its default from distributed's own
    configuration file, what the user's Dask configuration sets over it."""
    import importlib.util

    import dask.config
    import yaml

    spec = importlib.util.find_spec("distributed")
    defaults: dict[str, Any] = {}
    if spec is not None and spec.origin is not None:
        file = Path(spec.origin).with_name("distributed.yaml")
        unreadable = (OSError, yaml.YAMLError, KeyError, TypeError)  # workers then start without them
        with contextlib.suppress(*unreadable), open(file, encoding="utf-8") as f:
            defaults = dict(yaml.safe_load(f)["distributed"]["nanny"]["pre-spawn-environ"])
    return {**defaults, **(dask.config.get("distributed.nanny.pre-spawn-environ", None) or {})}


@contextlib.contextmanager
def _forked_workers() -> Iterator[None]:
    """Dask's worker processes started by the "forkserver" method (its setting
    distributed.worker.multiprocessing-method) from the fork server `_start_fork_server`
    started, instead of spawned afresh (Dask's default)."""
    import dask
    from distributed import utils

    if not _start_fork_server():  # started already: this only checks it runs
        yield
        return
    with dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"}):
        # On its first use of the fork server Dask imports every package it knows of
        # (pandas, numpy, lz4…: ~1.5 s of this process's time while the cluster starts)
        # only to name them as the server's preload; ours runs already, with its own
        if hasattr(utils, "_forkserver_preload_set"):
            utils._forkserver_preload_set = True
        yield


def _run(client: Any, todo: list[Path], payload: RulesPayload, writer: _Writer, held: frozenset[str],
         progress: Callable[[ScanProgress], None] | None,
         timings: dict[str, float]) -> list[FileOutcome]:  # fmt: skip
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
    start = time.perf_counter()
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
    setups, files = [0.0], []
    for future in as_completed(futures):
        scan = arrived[order[future.key]] = _result(future)
        future.release()
        if not isinstance(scan, str):
            setups.append(scan.setup_seconds)
            files.append(scan.seconds - scan.setup_seconds)
        while len(outcomes) in arrived:  # the next file in order is here: commit it
            path = todo[len(outcomes)]
            outcome = writer.commit(path, started, arrived.pop(len(outcomes)))
            outcomes.append(outcome)
            if progress is not None:
                progress(ScanProgress(path.name, outcome.status, path.stat().st_size, path.stat().st_size,
                                      outcome.log.records_read if outcome.log else 0))  # fmt: skip
    timings.update(scan=time.perf_counter() - start, writer=writer.seconds)
    timings["worker setup"] = max(setups)
    if files:
        timings["file"] = statistics.median(files)
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
        self.seconds = 0.0  # committing, over all files

    def commit(self, path: Path, started: str, scan: FileScan | str) -> FileOutcome:
        start = time.perf_counter()
        try:
            return self._commit(path, started, scan)
        finally:
            self.seconds += time.perf_counter() - start

    def _commit(self, path: Path, started: str, scan: FileScan | str) -> FileOutcome:
        if isinstance(scan, str):
            return FileOutcome(path, "failed", error=scan)
        stat = path.stat()
        provenance = Provenance("scan", path.name)
        with self.store.transaction():
            upserts = self.store.add_records(scan.records, provenance, self.store.start_reading(provenance))
            results, stamps = self._extractions(scan, upserts)
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

    def _extractions(self, scan: FileScan, upserts: list[Upsert]) -> tuple[list, dict[str, ExtractionStamp]]:
        """The extractions to store, with their stamps: the worker's, for a record stored as
        it came; for a record that merged with one held (another source's, a newer
        revision), one made here of the record as stored; none for a record whose stored
        extraction is current."""
        results, stamps, redo = [], {}, []
        done: set[str] = set()
        # A record stored new, and met by no later record of the file, is stored as it came:
        # its stored text is its own (`_dump`), not read back and hashed again (a third of
        # the writer's time, most records of a scan being new)
        merged = {key for u in upserts if u.status != "new" for key in (u.uid, u.matched) if key}
        for record, result, upsert in reversed(list(zip(scan.records, scan.results, upserts, strict=True))):
            uid = upsert.uid
            if uid in done:  # a file listing a record twice: its last version counts
                continue
            done.add(uid)
            own = record_hash(record)
            as_came = upsert.status == "new" and uid not in merged
            stored = None if as_came else self.store.get(uid)
            stored_hash = own if stored is None else record_hash(stored)
            stamp = stamps[uid] = ExtractionStamp(self.payload.version, stored_hash)
            if self._current(uid) == stamp:
                continue
            if stamp.record_hash == own:
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
