"""What `rifkb scan` keeps in the corpus's store besides records and extractions: the log
of PubMed files scanned, and the records PubMed deleted.

A file is logged in the same transaction that stores what it brought, so the log never
names a file whose records are not all stored, nor misses one whose records are: a scan
killed half-way resumes with the first file not logged, without duplicates. A file counts
as scanned when its name, size and content (its SHA-256, or else its modification time)
match a logged one scanned by the same pipeline version (rifkb, pipeline, rules).

A `<DeleteCitation>` removes the record from `records` (with its extraction and aliases);
its last data goes to `record_versions`, and `deletions` says which file removed it and
when. Provenance rows stay: the record was identified, then removed (`rifkb status`
counts it apart from duplicates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import astuple, dataclass, fields

from rifkb.corpus.store import Store


@dataclass(frozen=True)
class ScannedFile:
    """One scan of one file, as logged: the file, what read it, when, and what it brought."""

    file: str  # the file's name (PubMed's names are unique: pubmed26n0001.xml.gz)
    size: int
    mtime_ns: int
    sha256: str
    version: str  # the pipeline fingerprint (rifkb, pipeline, rules, model)
    rules_fingerprint: str
    started: str
    finished: str
    records_read: int = 0
    kept: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failed: int = 0  # kept records whose extraction failed


_COLUMNS = ", ".join(f.name for f in fields(ScannedFile))


def scanned_files(store: Store, file: str | None = None) -> list[ScannedFile]:
    """Every logged scan (of one file when `file` is given), oldest first."""
    where, args = (" WHERE file = ?", (file,)) if file is not None else ("", ())
    rows = store.rows(f"SELECT {_COLUMNS} FROM scans{where} ORDER BY id", args)
    return [ScannedFile(*row) for row in rows]


def already_scanned(
    store: Store, file: str, size: int, mtime_ns: int, version: str, sha256: str | None = None
) -> bool | None:
    """True when this file was scanned by this version: same name and size, and the same
    modification time (or, given `sha256`, the same content). None when only the content
    can tell (a copy of the file, with a new modification time): hash it and ask again."""
    logged = [s for s in scanned_files(store, file) if s.size == size and s.version == version]
    if any(s.mtime_ns == mtime_ns or s.sha256 == sha256 for s in logged):
        return True
    return None if logged and sha256 is None else False


def log_scan(store: Store, scanned: ScannedFile) -> None:
    values = astuple(scanned)
    with store.transaction() as db:
        db.execute(f"INSERT INTO scans ({_COLUMNS}) VALUES ({', '.join('?' * len(values))})", values)


def delete_records(store: Store, pmids: Iterable[str], source: str) -> list[str]:
    """Remove the records these PMIDs name (those the corpus holds), keeping each one's
    data in record_versions; returns their keys."""
    deleted = []
    now = store.now()
    with store.transaction() as db:
        for pmid in dict.fromkeys(pmids):
            sql = "SELECT uid, revision_date, data FROM records WHERE pmid = ?"
            row = db.execute(sql, (pmid,)).fetchone()
            if row is None:
                continue
            uid, revision, data = row
            db.execute(
                "INSERT INTO record_versions (uid, revision_date, replaced_at, data) VALUES (?, ?, ?, ?)",
                (uid, revision, now, data),
            )
            for table in ("records", "extractions", "extraction_failures", "aliases"):
                db.execute(f"DELETE FROM {table} WHERE uid = ?", (uid,))
            db.execute("INSERT INTO deletions (uid, source, at) VALUES (?, ?, ?)", (uid, source, now))
            deleted.append(uid)
    return deleted


def deleted_count(store: Store) -> int:
    """Records PubMed deleted that the corpus does not hold (again)."""
    (row,) = store.rows(
        "SELECT count(DISTINCT uid) FROM deletions WHERE uid NOT IN (SELECT uid FROM records)"
    )
    return row[0]
