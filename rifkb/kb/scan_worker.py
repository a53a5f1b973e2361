"""What one worker does with one PubMed file for `rifkb scan`: stream it, keep the
articles that concern the corpus, parse those with the full field parser and extract them.

Plain functions on plain values, so that any task runner can call them (rifkb.kb.scan
hands them to Dask). The rules travel as their files' contents (`RulesPayload`), not as a
folder, so a worker on another machine needs rifkb installed (the same version) but not
the corpus; each worker process builds its prefilter and pipeline once per rule set.

spaCy is imported where a pipeline is built or run, not by this module: the process that
writes (rifkb.kb.scan) imports this module for its types and needs no pipeline.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import rifkb
from rifkb.corpus.formats.pubmed_scan import Deletion, PubmedScanner, records_of_xml
from rifkb.errors import RifkbError
from rifkb.kb.prefilter import Prefilter
from rifkb.records import ExtractionFailure, ExtractionText, Record
from rifkb.rules import RULES_DIR, fingerprint, load_rules

if TYPE_CHECKING:
    from spacy.language import Language

PROGRESS_EVERY = 2000  # articles between two progress reports


@dataclass(frozen=True)
class RulesPayload:
    """A rule set as it travels to the workers: its files' bytes, by name, and the
    pipeline version (`pipeline_fingerprint`) the client stamps extractions with."""

    texts: dict[str, bytes]
    fingerprint: str
    version: str


@dataclass(frozen=True)
class FileScan:
    """What scanning one file brought: the records kept and their extractions (in the
    same order), the PMIDs its DeleteCitations name, and what was read."""

    path: str
    sha256: str
    records_read: int
    records: tuple[Record, ...]
    results: tuple[ExtractionText | ExtractionFailure, ...]
    deleted: tuple[str, ...]
    seconds: float
    setup_seconds: float = 0.0  # of `seconds`: building this worker's prefilter and pipeline


# This process's prefilter and pipeline, by pipeline version: built on a worker's first
# file, reused for every file after it (a process-wide cache, as rifkb.kb.runs keeps its
# worker's pipeline; the Doc never sees it).
_TOOLS: dict[str, tuple[Prefilter, Language]] = {}
# The environment variable that marks the fork server (rifkb.kb.scan_preload), set by
# the process that starts it (rifkb.kb.scan._start_fork_server)
FORK_SERVER = "RIFKB_FORK_SERVER"

# Seconds this process spent building tools before its first task: in a fork server
# (`prebuild`), whose children are the workers, it is each worker's share of nothing.
PREBUILT_SECONDS: dict[str, float] = {}


def worker_versions() -> str:
    """rifkb's version and pipeline version on this process: every worker must match the
    client's, or extractions would be stamped with a version that did not make them."""
    from rifkb.nlp.version import PIPELINE_VERSION

    return f"{rifkb.__version__}/{PIPELINE_VERSION}"


def prebuild() -> None:
    """Import spaCy and build the tools of rifkb's own rules, in a process that worker
    processes are forked from (rifkb.kb.scan_preload): each of them starts with both,
    instead of paying ~1 s of imports and ~1.5 s of building (the rule regexes, the
    tokenizer) on its first file. Tools of other rules are built by each worker."""
    from rifkb.nlp import pipeline_fingerprint

    start = time.perf_counter()
    version = pipeline_fingerprint(None, str(RULES_DIR))
    tools(RulesPayload({}, fingerprint(RULES_DIR), version))
    PREBUILT_SECONDS[version] = time.perf_counter() - start


def tools(rules: RulesPayload) -> tuple[Prefilter, Language]:
    """The prefilter and pipeline of this rule set, built once per process."""
    found = _TOOLS.get(rules.version)
    if found is None:
        from rifkb.nlp import build_pipeline, pipeline_fingerprint

        folder = _rules_folder(rules)
        version = pipeline_fingerprint(None, str(folder))
        if version != rules.version:
            raise RifkbError(
                f"this worker would extract as {version}, the client as {rules.version}: "
                "install the same rifkb on the workers"
            )
        found = _TOOLS[rules.version] = (Prefilter(load_rules(folder)), build_pipeline(None, str(folder)))
    return found


def _rules_folder(rules: RulesPayload) -> Path:
    """rifkb's own rules when they are these, else the files written to a folder of this
    process's (removed when it ends)."""
    if fingerprint(RULES_DIR) == rules.fingerprint:
        return RULES_DIR
    folder = Path(tempfile.mkdtemp(prefix="rifkb-rules-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    for name, data in rules.texts.items():
        (folder / name).write_bytes(data)
    return folder


def scan_file(
    path: str,
    rules: RulesPayload,
    held: frozenset[str] = frozenset(),
    progress: Callable[[int, int, int], None] | None = None,
) -> FileScan:
    """Scan one file: keep each article the prefilter says concerns the corpus, and each
    whose PMID the corpus holds (a new revision of a record held is always applied, even
    if it no longer names a concept); parse and extract what is kept, and keep of it
    what the pipeline finds a concept in (`_on_topic`). `progress(bytes read, file size,
    articles read)` is called every PROGRESS_EVERY articles."""
    started = time.perf_counter()
    built = rules.version in _TOOLS
    prefilter, nlp = tools(rules)
    setup = 0.0 if built else time.perf_counter() - started
    scanner = PubmedScanner(Path(path))
    kept: list[tuple[str, bytes]] = []
    deleted: list[str] = []
    read = 0
    for item in scanner:
        if isinstance(item, Deletion):
            deleted.extend(item.pmids)
            continue
        read += 1
        if item.pmid in held or prefilter.concerns(item.text):
            kept.append((item.tag, item.xml()))
        if progress is not None and read % PROGRESS_EVERY == 0:
            progress(scanner.bytes_read, scanner.size, read)
    records, results = _on_topic(records_of_xml(Path(path), kept), nlp, held)
    if progress is not None:
        progress(scanner.size, scanner.size, read)
    return FileScan(path, scanner.sha256, read, records, results, tuple(deleted),
                    time.perf_counter() - started, setup)  # fmt: skip


def _on_topic(records: list[Record], nlp: Language, held: frozenset[str]) -> tuple[tuple, tuple]:
    """The records kept, with their extractions: those in which the pipeline found a
    concept (the prefilter lets through a few in which it finds none: a name inside a
    longer one, a rate word far from its list), those the corpus holds (their revisions
    are taken whatever they name) and those it failed to read (reported, not lost)."""
    from rifkb.kb.runs import extraction_or_failure

    kept: list[tuple[Record, ExtractionText | ExtractionFailure]] = []
    for record in records:
        result = extraction_or_failure(nlp, record)
        if isinstance(result, ExtractionFailure):
            kept.append((record, result))
        elif record.pmid in held or result.mentions:
            # as JSON text, made here: the one writer stores it as it is (the store's own
            # serialisation, ExtractionText.of) instead of serialising every worker's
            kept.append((record, ExtractionText.of(result)))
    return tuple(r for r, _ in kept), tuple(x for _, x in kept)
