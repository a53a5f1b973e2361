"""Typed rows the store takes and hands out (frozen dataclasses, standard library only)."""

from __future__ import annotations

from dataclasses import dataclass

from rifkb.records import Record


@dataclass(frozen=True)
class Provenance:
    """Where a record came from: a saved search, an import file, or the bundled snapshot."""

    kind: str  # "search" | "import" | "snapshot"
    source: str


@dataclass(frozen=True)
class Upsert:
    """What storing one record did. `matched_on` says how a duplicate was recognised."""

    uid: str
    status: str  # "new" | "updated" | "unchanged"
    matched_on: str | None = None
    duplicate: str | None = None  # the incoming record's own id when it was merged
    same_source: bool = False  # a duplicate of a record the same source brought before
    matched: str | None = None  # the key of the record it matched, before the merge re-keyed it


@dataclass(frozen=True)
class RecordVersion:
    revision_date: str | None
    replaced_at: str
    record: Record


@dataclass(frozen=True)
class Run:
    """One run of a saved search, as `rifkb fetch` reports it."""

    search: str
    started: str
    full: bool
    mindate: str | None
    maxdate: str | None
    hits: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed_pmids: tuple[str, ...] = ()
    status: str = "running"  # "complete" | "incomplete" | "interrupted"
    finished: str | None = None


@dataclass(frozen=True)
class Merge:
    """A duplicate merged into a stored record: how it was recognised and who brought it."""

    uid: str  # the record kept
    duplicate: str  # the incoming record's own id
    matched_on: str  # "pmid" | "doi" | "title+year" | "id"
    kind: str
    source: str
    at: str
    same_source: bool = False  # a duplicate inside one source (one file listing a paper twice)


@dataclass(frozen=True)
class SearchState:
    name: str
    last_run: str | None
    last_status: str | None
    watermark: str | None  # the Entrez date the next incremental run starts from


@dataclass(frozen=True)
class SourceCount:
    """How many records one source (a saved search, an import file, the snapshot) brought."""

    kind: str
    source: str
    records: int


@dataclass(frozen=True)
class Overlap:
    """Records brought by both of two saved searches."""

    a: str
    b: str
    records: int


@dataclass(frozen=True)
class ExtractionStamp:
    """What an extraction was made from: the pipeline version (rifkb, pipeline, rules and
    model) and the hash of the record. A record whose stamp changed is read again."""

    version: str
    record_hash: str


@dataclass(frozen=True)
class RuleSetRef:
    """The rule set an extraction was made with: where its folder is and the fingerprint
    of its files. The store keeps `location` as given (kb.rulesets decides how to name a
    folder); '' means an extraction stored before rifkb recorded its rules."""

    location: str
    fingerprint: str
