"""The corpus on disk: one SQLite database per corpus.

Every public write runs in one transaction (`Store.transaction`), so a crash or Ctrl-C in
the middle leaves the database as it was before that write. The schema is versioned with
`PRAGMA user_version` and upgraded in place by `MIGRATIONS`, so a newer rifkb opens a
corpus an older one made; a corpus made by a *newer* rifkb is refused, never guessed at.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from rifkb.corpus.rows import (
    ExtractionStamp,
    Merge,
    Overlap,
    Provenance,
    RecordVersion,
    RuleSetRef,
    Run,
    SearchState,
    SourceCount,
    Upsert,
)
from rifkb.corpus.schema import MIGRATIONS, SCHEMA_VERSION
from rifkb.errors import CorpusError, DiskFullError, StoreBusyError
from rifkb.records import Extraction, ExtractionFailure, ExtractionText, Record, normalise_doi

__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "Store",
    "record_hash",
    "text_hash",
    "utc_now",
    "ExtractionStamp",
    "Merge",
    "Overlap",
    "Provenance",
    "RecordVersion",
    "RuleSetRef",
    "Run",
    "SearchState",
    "SourceCount",
    "Upsert",
]


# Seconds a writer waits for another without a word, and in all before giving up; and
# what any other statement waits (in WAL mode readers rarely wait at all).
QUIET_WAIT = 1.0
WAIT_FOR_WRITER = 600.0
STATEMENT_WAIT = 30.0
# Free space under which a failed write is taken for a full disk (SQLite may say only
# "disk I/O error" when it cannot even create its -wal and -shm files).
NEARLY_FULL = 1 << 20
# The count of write transactions committed, bumped inside each one (so a rolled-back write
# never counts): a reader that remembers it knows whether anything changed since (the web
# app's page cache). `PRAGMA data_version` would not do: it is per connection and blind to
# the connection's own commits.
CHANGES_KEY = "changes"
# A name drawn for the store the first time it is asked (`Store.identity`): the change
# counter starts again in a store made anew, so a state remembered outside the process (the
# web app's pages on disk) is the store's name and its counter.
IDENTITY_KEY = "identity"
_COUNT_CHANGE = (
    "INSERT INTO meta (key, value) VALUES (?, 1) "
    "ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
)


def utc_now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Store:
    """A corpus's SQLite database. Use as a context manager, or call `close()`.

    One command writes at a time: a second writer (an extract while an import is under
    way) waits for the first, up to `wait` seconds, calling `on_wait` once when it starts
    waiting so that the user knows why nothing moves; past that it raises StoreBusyError.
    A write that fills the disk is undone and raised as DiskFullError.
    """

    def __init__(
        self,
        path: Path,
        clock: Callable[[], str] = utc_now,
        wait: float = WAIT_FOR_WRITER,
        on_wait: Callable[[], None] | None = None,
    ):
        self.path = Path(path)
        self._clock = clock
        self._depth = 0
        self._wait, self._on_wait = wait, on_wait
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=STATEMENT_WAIT)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            problem = _disk_problem(exc, self.path, "could not be opened")
            if problem is not None:
                raise problem from None
            raise CorpusError(f"{self.path}: not a rifkb store ({exc})") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._conn.close()

    # --- schema ------------------------------------------------------------------------

    @property
    def schema_version(self) -> int:
        return self._conn.execute("PRAGMA user_version").fetchone()[0]

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise CorpusError(
                f"{self.path}: made by a newer rifkb (schema {version}, this one reads "
                f"up to {SCHEMA_VERSION}); upgrade rifkb"
            )
        for target in range(version + 1, SCHEMA_VERSION + 1):
            with self.transaction():
                for statement in MIGRATIONS[target - 1].split(";"):
                    if statement.strip():
                        self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version = {target}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One all-or-nothing write; nested uses join the outermost transaction."""
        if self._depth == 0:
            self._begin()
        self._depth += 1
        try:
            yield self._conn
        except BaseException as exc:
            self._depth -= 1
            if self._depth == 0:
                self._rollback()
                problem = _disk_problem(exc, self.path)
                if problem is not None:
                    raise problem from None
            raise
        self._depth -= 1
        if self._depth == 0:
            try:
                self._conn.execute(_COUNT_CHANGE, (CHANGES_KEY,))
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                self._rollback()
                raise _disk_problem(exc, self.path) or exc from None

    def _begin(self) -> None:
        """BEGIN IMMEDIATE: take the write lock now, waiting for another writer to finish
        (quietly for a moment, then saying so once)."""
        quiet = min(self._wait, QUIET_WAIT)
        try:
            self._begin_within(quiet)
            return
        except sqlite3.OperationalError as exc:
            if not _busy(exc) or self._wait <= quiet:
                raise self._busy_error(exc) from None
        if self._on_wait is not None:
            self._on_wait()
        try:
            self._begin_within(self._wait - quiet)
        except sqlite3.OperationalError as exc:
            raise self._busy_error(exc) from None

    def _begin_within(self, seconds: float) -> None:
        self._conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        finally:
            self._conn.execute(f"PRAGMA busy_timeout = {int(STATEMENT_WAIT * 1000)}")

    def _busy_error(self, exc: sqlite3.OperationalError) -> Exception:
        if _busy(exc):
            return StoreBusyError(
                f"another rifkb command is writing to {self.path}; run this one again when it has finished"
            )
        return _disk_problem(exc, self.path) or exc

    def _rollback(self) -> None:
        """Undo the transaction, if SQLite has not already (it does on a full disk): the
        error that caused it is the one to report, not 'cannot rollback'."""
        if self._conn.in_transaction:
            # should even this fail, closing the connection undoes the write all the same
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("ROLLBACK")

    def now(self) -> str:
        """The time a write is stamped with (the store's clock: tests fix it)."""
        return self._clock()

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        """The rows of one read-only query, for the modules that keep their own tables
        here (`rifkb.corpus.reviews`); writes go through `transaction()`."""
        return self._conn.execute(sql, params).fetchall()

    # --- meta ----------------------------------------------------------------------------

    @property
    def changes(self) -> int:
        """How many writes were ever committed: it grows with every one (one query)."""
        return int(self.get_meta(CHANGES_KEY) or 0)

    def identity(self) -> str:
        """The store's own name, drawn at random the first time it is asked (one write)."""
        found = self.get_meta(IDENTITY_KEY)
        if found is None:
            with self.transaction() as db:  # OR IGNORE: another process may have drawn one first
                db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (IDENTITY_KEY, secrets.token_hex(16)))
            found = self.get_meta(IDENTITY_KEY)
        return found

    def get_meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    # --- records -------------------------------------------------------------------------

    def add_records(
        self, records: Iterable[Record], provenance: Provenance, seen: set[str] | None = None
    ) -> list[Upsert]:
        """Store records in one transaction; duplicates merge into the record they match.

        `seen` holds the records this source has brought so far in this reading of it (see
        `start_reading`; one call on its own is one reading): a record that matches one of
        them is a duplicate inside the source, kept as a merge like a duplicate between
        sources, so that both count among the duplicates removed."""
        seen = set() if seen is None else seen
        with self.transaction():
            return [self._upsert(record, provenance, seen) for record in records]

    def start_reading(self, provenance: Provenance) -> set[str]:
        """Forget the duplicates a source had inside itself when it was last read (reading
        the same file again counts them anew, not twice) and return the set `add_records`
        keeps the records it brings in."""
        with self.transaction() as db:
            db.execute(
                "DELETE FROM merges WHERE same_source = 1 AND kind = ? AND source = ?",
                (provenance.kind, provenance.source),
            )
        return set()

    def _upsert(self, record: Record, provenance: Provenance, seen: set[str]) -> Upsert:
        now = self._clock()
        found = self._find_match(record)
        if found is None:
            self._insert(record, now)
            self._touch_provenance(record.uid, provenance, now)
            seen.add(record.uid)
            return Upsert(record.uid, "new")
        uid, matched_on = found
        stored = self.get(uid)
        is_new_source = not self._has_provenance(uid, provenance)
        same_source = uid in seen
        result = self._replace_if_newer(stored, record, now)
        self._touch_provenance(result.uid, provenance, now)
        seen.update((uid, result.uid))
        if is_new_source or same_source:  # a record already held: a duplicate
            self._conn.execute(
                "INSERT INTO merges (uid, duplicate, matched_on, kind, source, at, same_source) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    result.uid,
                    record.uid,
                    matched_on,
                    provenance.kind,
                    provenance.source,
                    now,
                    int(same_source),
                ),
            )
            return Upsert(result.uid, result.status, matched_on, record.uid, same_source, uid)
        return result

    def _find_match(self, record: Record) -> tuple[str, str] | None:
        """Look for the stored record this one duplicates: by PMID, then DOI, then title+year.

        A DOI or title match is refused when both records carry different PMIDs (or DOIs):
        those are two papers that happen to share a title, such as a paper and its erratum.
        """
        if record.pmid:
            uid = self._resolve(f"pmid:{record.pmid}")
            if uid:
                return uid, "pmid"
        doi = normalise_doi(record.doi)
        candidates: list[tuple[str, str, tuple]] = []
        if doi:
            candidates.append(("doi", "doi = ?", (doi,)))
        if record.title_key:
            candidates.append(("title+year", "title_key = ?", (record.title_key,)))
        for matched_on, where, args in candidates:
            for uid, pmid, other_doi in self._conn.execute(
                f"SELECT uid, pmid, doi FROM records WHERE {where}", args
            ):
                if record.pmid and pmid and pmid != record.pmid:
                    continue
                if doi and other_doi and other_doi != doi:
                    continue
                return uid, matched_on
        if record.source_id:
            uid = self._resolve(record.source_id)
            if uid:
                return uid, "id"
        return None

    def _resolve(self, uid: str) -> str | None:
        row = self._conn.execute(
            "SELECT uid FROM records WHERE uid = ? UNION SELECT uid FROM aliases WHERE alias = ?",
            (uid, uid),
        ).fetchone()
        return row[0] if row else None

    def _resolve_doi(self, uid: str) -> str | None:
        doi = normalise_doi(uid.removeprefix("doi:")) if uid.startswith("doi:") else None
        if doi is None:
            return None
        row = self._conn.execute("SELECT uid FROM records WHERE doi = ? ORDER BY uid", (doi,)).fetchone()
        return row[0] if row else None

    def _insert(self, record: Record, now: str) -> None:
        self._conn.execute(
            "INSERT INTO records (uid, pmid, doi, title_key, revision_date, retracted, "
            "first_seen, last_seen, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*_record_columns(record), now, now, _dump(record)),
        )

    def _replace_if_newer(self, stored: Record, incoming: Record, now: str) -> Upsert:
        """Keep the newest revision; the replaced one stays readable in record_versions."""
        if _older(incoming.revision_date, stored.revision_date):
            self._conn.execute("UPDATE records SET last_seen = ? WHERE uid = ?", (now, stored.uid))
            return Upsert(stored.uid, "unchanged")
        # The same revision from another format (MEDLINE after XML), or a source without
        # revision dates (RIS, JSON Lines), only fills what the stored record left empty.
        if stored.revision_date and incoming.revision_date in (None, stored.revision_date):
            merged = incoming.merged_with(stored)
        else:
            merged = stored.merged_with(incoming)
        # The record keeps its own source id: a duplicate (the same paper later in a RIS
        # file) fills gaps, it does not move a record keyed by that id to its own.
        merged = replace(merged, source_id=stored.source_id or merged.source_id)
        if merged == stored:
            self._conn.execute("UPDATE records SET last_seen = ? WHERE uid = ?", (now, stored.uid))
            return Upsert(stored.uid, "unchanged")
        self._conn.execute(
            "INSERT INTO record_versions (uid, revision_date, replaced_at, data) VALUES (?, ?, ?, ?)",
            (merged.uid, stored.revision_date, now, _dump(stored)),
        )
        if merged.uid != stored.uid:
            self._rekey(stored.uid, merged.uid)
        self._conn.execute(
            "UPDATE records SET uid = ?, pmid = ?, doi = ?, title_key = ?, revision_date = ?, "
            "retracted = ?, last_seen = ?, data = ? WHERE uid = ?",
            (*_record_columns(merged), now, _dump(merged), merged.uid),
        )
        return Upsert(merged.uid, "updated")

    def _rekey(self, old: str, new: str) -> None:
        """A record that gained a better key (a DOI-only record now has a PMID) moves to it."""
        for table in ("records", "record_versions", "provenance", "merges", "extractions",
                      "extraction_failures", "screening", "corrections"):  # fmt: skip
            self._conn.execute(f"UPDATE {table} SET uid = ? WHERE uid = ?", (new, old))
        self._conn.execute("UPDATE aliases SET uid = ? WHERE uid = ?", (new, old))
        self._conn.execute("INSERT OR REPLACE INTO aliases VALUES (?, ?)", (old, new))

    def _has_provenance(self, uid: str, provenance: Provenance) -> bool:
        return bool(
            self._conn.execute(
                "SELECT 1 FROM provenance WHERE uid = ? AND kind = ? AND source = ?",
                (uid, provenance.kind, provenance.source),
            ).fetchone()
        )

    def _touch_provenance(self, uid: str, provenance: Provenance, now: str) -> None:
        self._conn.execute(
            "INSERT INTO provenance VALUES (?, ?, ?, ?, ?) ON CONFLICT (uid, kind, source) "
            "DO UPDATE SET last_seen = excluded.last_seen",
            (uid, provenance.kind, provenance.source, now, now),
        )

    def get(self, uid: str) -> Record:
        """The record of a key or alias (`pmid:N`, `doi:...`, a source's id), of a bare
        PMID as users copy it from PubMed, or of a DOI however written (any case, as a
        resolver URL)."""
        resolved = self._resolve(uid) or self._resolve_doi(uid)
        if resolved is None and uid.strip().isdigit():
            resolved = self._resolve(f"pmid:{uid.strip()}")
        if resolved is None:
            raise CorpusError(f"no record {uid!r} in this corpus")
        (data,) = self._conn.execute("SELECT data FROM records WHERE uid = ?", (resolved,)).fetchone()
        return _record(data)

    def versions(self, uid: str) -> list[RecordVersion]:
        """Earlier versions of a record, oldest first."""
        resolved = self._resolve(uid) or uid
        return [
            RecordVersion(rev, at, Record.from_json(json.loads(data)))
            for rev, at, data in self._conn.execute(
                "SELECT revision_date, replaced_at, data FROM record_versions WHERE uid = ? ORDER BY rowid",
                (resolved,),
            )
        ]

    def record_texts(self) -> list[tuple[str, str]]:
        """(uid, the record's JSON text as stored) of every record, in key order: what
        `records()` decodes, read at once, for a caller that decodes only some."""
        return self._conn.execute("SELECT uid, data FROM records ORDER BY uid").fetchall()

    def records(self) -> Iterator[Record]:
        """Every record, in key order (deterministic exports)."""
        for (data,) in self._conn.execute("SELECT data FROM records ORDER BY uid"):
            yield _record(data)

    def count(self) -> int:
        return self._conn.execute("SELECT count(*) FROM records").fetchone()[0]

    def pmids_held(self, pmids: Iterable[str], search: str | None = None) -> set[str]:
        """Which of these PMIDs are stored (and, given a search, were brought by it)."""
        wanted = list(pmids)
        held: set[str] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            sql = f"SELECT r.pmid FROM records r WHERE r.pmid IN ({marks})"
            args: list[str] = list(chunk)
            if search is not None:
                sql += (
                    " AND EXISTS (SELECT 1 FROM provenance p WHERE p.uid = r.uid "
                    "AND p.kind = 'search' AND p.source = ?)"
                )
                args.append(search)
            held.update(row[0] for row in self._conn.execute(sql, args))
        return held

    # --- saved-search state ----------------------------------------------------------------

    def watermark(self, search: str) -> str | None:
        row = self._conn.execute("SELECT watermark FROM searches WHERE name = ?", (search,)).fetchone()
        return row[0] if row else None

    def save_run(self, run: Run, move_watermark_to: str | None) -> None:
        """Record a finished run; the watermark moves only when the run completed."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO runs (search, started, finished, full, mindate, maxdate, hits, new, "
                "updated, unchanged, failed, failed_pmids, status) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.search, run.started, run.finished or self._clock(), int(run.full),
                    run.mindate, run.maxdate, run.hits, run.new, run.updated, run.unchanged,
                    len(run.failed_pmids), json.dumps(list(run.failed_pmids)), run.status,
                ),
            )  # fmt: skip
            db.execute(
                "INSERT INTO searches (name, last_run, last_status) VALUES (?, ?, ?) "
                "ON CONFLICT (name) DO UPDATE SET last_run = excluded.last_run, "
                "last_status = excluded.last_status",
                (run.search, run.started, run.status),
            )
            if move_watermark_to is not None:
                db.execute(
                    "UPDATE searches SET watermark = ? WHERE name = ?",
                    (move_watermark_to, run.search),
                )

    def runs(self, search: str | None = None) -> list[Run]:
        sql = (
            "SELECT search, started, full, mindate, maxdate, hits, new, updated, unchanged, "
            "failed_pmids, status, finished FROM runs"
        )
        rows = self._conn.execute(
            sql + (" WHERE search = ? ORDER BY id" if search else " ORDER BY id"),
            (search,) if search else (),
        )
        return [
            Run(s, st, bool(f), mi, ma, h, n, u, un, tuple(json.loads(fp)), status, fin)
            for s, st, f, mi, ma, h, n, u, un, fp, status, fin in rows
        ]

    # --- extractions ---------------------------------------------------------------------

    def extraction_state(self) -> dict[str, ExtractionStamp]:
        """uid -> what its stored extraction (or failure) was made from, so a run skips
        records whose stamp is unchanged."""
        rows = self._conn.execute(
            "SELECT uid, version, record_hash FROM extractions UNION ALL "
            "SELECT uid, version, record_hash FROM extraction_failures"
        )
        return {uid: ExtractionStamp(version, digest) for uid, version, digest in rows}

    def save_extractions(
        self,
        results: Iterable[Extraction | ExtractionText | ExtractionFailure],
        stamps: Mapping[str, ExtractionStamp],
        rules: RuleSetRef,
    ) -> None:
        """Store extractions and failures, each with the stamp of its record, and the rule
        set they were made with, in one transaction; a record's newer result replaces its
        older one."""
        now = self._clock()
        # one statement per kind of row for the whole batch (executemany), not four per
        # result: the parent of 2 workers stores for both and must stay out of their way.
        # A record given twice keeps its last result, as when each replaced the one before.
        latest = {(r.uid if isinstance(r, ExtractionFailure) else r.doc_id): r for r in results}
        failed, extracted = [], []
        for uid, result in latest.items():
            stamp = stamps[uid]
            if isinstance(result, ExtractionFailure):
                failed.append((uid, stamp.version, stamp.record_hash, now, result.message))
            else:
                extracted.append((uid, stamp.version, stamp.record_hash, now, _dump_extraction(result),
                                  rules.location, rules.fingerprint))  # fmt: skip
        uids = [(uid,) for uid in latest]
        with self.transaction() as db:
            db.executemany("DELETE FROM extractions WHERE uid = ?", uids)
            db.executemany("DELETE FROM extraction_failures WHERE uid = ?", uids)
            db.executemany(
                "INSERT INTO extraction_failures (uid, version, record_hash, failed_at, message) "
                "VALUES (?, ?, ?, ?, ?)",
                failed,
            )
            db.executemany(
                "INSERT INTO extractions (uid, version, record_hash, extracted_at, data, "
                "rules_location, rules_fingerprint) VALUES (?, ?, ?, ?, ?, ?, ?)",
                extracted,
            )

    def extraction_rules(self) -> list[RuleSetRef]:
        """The rule sets the stored extractions were made with: none before the first
        extraction, one after a complete run, more after an interrupted one."""
        rows = self._conn.execute(
            "SELECT DISTINCT rules_location, rules_fingerprint FROM extractions ORDER BY 1, 2"
        )
        return [RuleSetRef(location, fp) for location, fp in rows]

    def relocate_rules(self, version: str, rules: RuleSetRef) -> None:
        """Name `rules` as the rule set of every extraction made by this pipeline version.
        The version holds the rules' fingerprint, so those extractions were made with the
        same rule files, wherever they were read from then (or before rifkb said where)."""
        with self.transaction() as db:
            db.execute(
                "UPDATE extractions SET rules_location = ?, rules_fingerprint = ? "
                "WHERE version = ? AND rules_fingerprint IN (?, '')",
                (rules.location, rules.fingerprint, version, rules.fingerprint),
            )

    def extractions(self) -> Iterator[Extraction]:
        """Every stored extraction, in key order."""
        for (data,) in self._conn.execute("SELECT data FROM extractions ORDER BY uid"):
            yield _extraction(data)

    def extraction(self, uid: str) -> Extraction | None:
        """The stored extraction of one record (any of its ids), None if it has none yet."""
        key = self.get(uid).uid
        row = self._conn.execute("SELECT data FROM extractions WHERE uid = ?", (key,)).fetchone()
        return _extraction(row[0]) if row else None

    def extraction_failures(self) -> list[ExtractionFailure]:
        rows = self._conn.execute("SELECT uid, message FROM extraction_failures ORDER BY uid")
        return [ExtractionFailure(uid, message) for uid, message in rows]

    # --- figures for `rifkb status` --------------------------------------------------------

    def source_counts(self) -> list[SourceCount]:
        """Records brought by each saved search, import file and snapshot."""
        rows = self._conn.execute(
            "SELECT kind, source, count(*) FROM provenance GROUP BY kind, source ORDER BY 1, 2"
        )
        return [SourceCount(kind, source, n) for kind, source, n in rows]

    def search_overlap(self) -> list[Overlap]:
        """Records brought by both of two saved searches, for each pair."""
        rows = self._conn.execute(
            "SELECT a.source, b.source, count(*) FROM provenance a JOIN provenance b "
            "ON a.uid = b.uid AND a.kind = 'search' AND b.kind = 'search' "
            "AND a.source < b.source GROUP BY 1, 2 ORDER BY 1, 2"
        )
        return [Overlap(a, b, n) for a, b, n in rows]

    def merges(self) -> list[Merge]:
        """Every merge of a duplicate into a stored record, oldest first."""
        rows = self._conn.execute(
            "SELECT uid, duplicate, matched_on, kind, source, at, same_source FROM merges ORDER BY id"
        )
        return [Merge(*row[:6], bool(row[6])) for row in rows]

    def duplicates_within_sources(self) -> int:
        """Duplicates a source held inside itself: merged, and not in any count by source."""
        return self._conn.execute("SELECT count(*) FROM merges WHERE same_source = 1").fetchone()[0]

    def retracted(self) -> list[str]:
        return [r[0] for r in self._conn.execute("SELECT uid FROM records WHERE retracted = 1")]

    def searches_state(self) -> dict[str, SearchState]:
        """Each saved search that has run: its last run, that run's status, its watermark."""
        rows = self._conn.execute("SELECT name, last_run, last_status, watermark FROM searches")
        return {name: SearchState(name, last, status, mark) for name, last, status, mark in rows}


def _busy(exc: sqlite3.Error) -> bool:
    return getattr(exc, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or (
        "database is locked" in str(exc)
    )


def _disk_problem(exc: BaseException, path: Path, what: str = "") -> DiskFullError | None:
    """A DiskFullError for SQLite's SQLITE_FULL (or an I/O error with no room left on the
    store's disk); None for anything else."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return None
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    full = code == sqlite3.SQLITE_FULL or "database or disk is full" in str(exc)
    if not full and (code == sqlite3.SQLITE_IOERR or "disk I/O error" in str(exc)):
        try:
            stats = os.statvfs(path.parent)
            full = stats.f_bavail * stats.f_frsize < NEARLY_FULL
        except OSError:
            full = False
    if not full:
        return None
    where = f"{path} {what}" if what else f"the write to {path} was undone"
    return DiskFullError(f"the disk is full: nothing stored changed ({where}); free some space and run again")


# Records and extractions decoded, by the very text the store keeps: `rifkb serve` reads
# every record and extraction again at each state of the corpus (the queue, the papers of
# its heavy pages), and decoding them was most of that. Both are frozen, so one decoded
# object is shared by all who read that text; the least used go past DECODED of each.
DECODED = 2048


@lru_cache(maxsize=DECODED)
def _record(data: str) -> Record:
    return Record.from_json(json.loads(data))


@lru_cache(maxsize=DECODED)
def _extraction(data: str) -> Extraction:
    return Extraction.from_json(json.loads(data))


def record_hash(record: Record) -> str:
    """What extraction depends on in a record: a changed record is extracted again."""
    return text_hash(_dump(record))


def text_hash(stored: str) -> str:
    """`record_hash` of a record from its text as the store keeps it (`_dump` of it: a
    record read back is dumped to the same text)."""
    return hashlib.sha256(stored.encode()).hexdigest()[:16]


def _record_columns(record: Record) -> tuple:
    return (
        record.uid,
        record.pmid,
        normalise_doi(record.doi),
        record.title_key,
        record.revision_date,
        int(record.retracted),
    )


def _dump(record: Record) -> str:
    return json.dumps(record.to_json(), ensure_ascii=False, sort_keys=True)


def _dump_extraction(extraction: Extraction | ExtractionText) -> str:
    text = extraction if isinstance(extraction, ExtractionText) else ExtractionText.of(extraction)
    return text.data


def _older(candidate: str | None, current: str | None) -> bool:
    """True when both dates are known and the candidate revision predates the stored one."""
    return bool(candidate and current and candidate < current)
