"""Screening decisions in and out of a corpus as files.

- `write_decisions`: rifkb's own CSV, one row per record (unscreened ones too), in key
  order, with the latest decision: `record_id, pmid, doi, title, decision, reason,
  reviewer, time`.
- `import_decisions`: that CSV back (rows matched on record_id, else PMID, DOI, title),
  or the labels of an ASReview LAB export (CSV or TSV, version 1 or 2: its label column,
  found by ASReview's own list of names, matched on DOI, PMID or title; ASReview's
  `record_id` is its row number, never ours). One transaction: a file with one bad row
  stores nothing, and the error names file:line.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from rifkb.corpus.reviews import current_decisions, decide
from rifkb.corpus.store import Store
from rifkb.errors import BadInputError, CorpusError
from rifkb.files import from_spreadsheet, spreadsheet_safe, write_atomic
from rifkb.records import (
    DECISIONS,
    EXCLUDE,
    INCLUDE,
    UNSCREENED,
    ScreeningDecision,
    normalise_doi,
    normalise_title,
)

COLUMNS = ("record_id", "pmid", "doi", "title", "decision", "reason", "reviewer", "time")
FORMATS = ("auto", "rifkb", "asreview")

# ASReview's names for its label column, in the order it looks for them
# (asreview/data/base.py, BaseReader.__alternative_column_names__["included"]).
ASREVIEW_LABELS = ("asreview_label", "included", "label", "final_included", "label_included",
                   "included_label", "included_final", "included_flag", "include")  # fmt: skip
# Label values as ASReview reads them (asreview/data/utils.py standardize_included_label),
# with pandas' float spelling of an integer column that has gaps and spreadsheets' booleans.
LABEL_VALUES = {"1": True, "0": False, "yes": True, "no": False, "y": True, "n": False,
                "1.0": True, "0.0": False, "true": True, "false": False}  # fmt: skip
PMID_COLUMNS = ("pmid", "pubmed_id", "pubmed id", "pubmedid", "pmid_id")
ASREVIEW_EXCLUSION = "excluded in ASReview"
ASREVIEW_REVIEWER = "ASReview"
SHOWN_UNMATCHED = 5


@dataclass(frozen=True)
class DecisionRow:
    """One row of a decisions file, as read: what it identifies the record by, and the
    decision it records."""

    line: int
    record_id: str | None
    pmid: str | None
    doi: str | None
    title: str | None
    decision: str
    reason: str | None
    reviewer: str | None
    time: str | None  # ISO 8601; None: the time of the import


@dataclass(frozen=True)
class DecisionFile:
    path: Path
    flavour: str  # "rifkb" | "asreview"
    rows: list[DecisionRow]
    unlabelled: int  # rows without a decision, skipped


@dataclass(frozen=True)
class DecisionImport:
    """What an import did: decisions stored, rows that repeat the current decision,
    rows without one, rows that name no record here (the first few, as 'file:line id')."""

    flavour: str
    imported: int
    unchanged: int
    unlabelled: int
    unmatched: int
    unmatched_rows: list[str] = field(default_factory=list)
    older: int = 0  # rows dated before the record's current decision: kept out, it is newer


# --- export --------------------------------------------------------------------------------


def write_decisions(store: Store, path: Path) -> int:
    """Every record with its latest decision, in key order, written atomically; returns the
    number of rows."""
    decisions = current_decisions(store)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    count = 0
    for record in store.records():
        d = decisions.get(record.uid)
        row = [record.uid, record.pmid or "", record.doi or "", record.title or "",
               d.decision if d else UNSCREENED, (d.reason or "") if d else "",
               d.reviewer if d else "", d.at if d else ""]  # fmt: skip
        writer.writerow([spreadsheet_safe(cell) for cell in row])  # opened in Excel, read back here
        count += 1
    write_atomic(Path(path), lambda tmp: tmp.write_text(buffer.getvalue(), encoding="utf-8", newline=""))
    return count


# --- import --------------------------------------------------------------------------------


def import_decisions(store: Store, path: Path, reviewer: str, fmt: str = "auto") -> DecisionImport:
    """Read a decisions file and store, in one transaction, each decision that differs from
    the record's current one. `reviewer` signs rows of rifkb's CSV that name nobody."""
    parsed = read_decisions(path, fmt)
    index = _RecordIndex(store)
    latest = current_decisions(store)
    current = {uid: (d.decision, d.reason or None) for uid, d in latest.items()}
    new, unchanged, unmatched, older = [], 0, [], 0
    for row in parsed.rows:
        uid = index.find(row, by_record_id=parsed.flavour == "rifkb")
        if uid is None:
            unmatched.append(f"{parsed.path}:{row.line} {_row_name(row)}")
            continue
        if current.get(uid, (UNSCREENED, None)) == (row.decision, row.reason):
            unchanged += 1
            continue
        if uid in latest and _before(row.time, latest[uid].at):
            older += 1  # an old export read back must not undo a decision made since
            continue
        current[uid] = (row.decision, row.reason)
        new.append(ScreeningDecision(uid, row.decision, row.reason, row.reviewer or reviewer, row.time or ""))
    try:
        decide(store, new)
    except BadInputError as exc:  # a checked row cannot fail here; say where if one does
        raise BadInputError(f"{parsed.path}: {exc}") from None
    return DecisionImport(parsed.flavour, len(new), unchanged, parsed.unlabelled, len(unmatched),
                          unmatched[:SHOWN_UNMATCHED], older)  # fmt: skip


def _before(time: str | None, than: str) -> bool:
    """Whether a row's time is before a stored decision's; a time without a zone is UTC,
    and a row without a (readable) time is taken as new."""
    if not time:
        return False
    try:
        moments = [datetime.fromisoformat(t.strip().replace("Z", "+00:00")) for t in (time, than)]
    except ValueError:
        return False
    row, stored = (m if m.tzinfo else m.replace(tzinfo=UTC) for m in moments)
    return row < stored


def read_decisions(path: Path, fmt: str = "auto") -> DecisionFile:
    """The rows of a decisions file, each checked; the flavour found by its columns (rifkb's
    own has `decision`) unless `fmt` names it."""
    if fmt not in FORMATS:
        raise BadInputError(f"unknown decisions format {fmt!r}; known: {', '.join(FORMATS)}")
    path = Path(path)
    rows = _table(path)
    header = next(rows, None)
    if header is None:
        raise BadInputError(f"{path}: empty file; expected a CSV with a header row")
    columns = [h.strip().lower() for h in header[1]]
    flavour = fmt if fmt != "auto" else ("rifkb" if "decision" in columns else "asreview")
    read_row = _rifkb_row if flavour == "rifkb" else _asreview_row(path, columns)
    if flavour == "rifkb" and "decision" not in columns:
        raise BadInputError(f"{path}:1: no decision column; rifkb's columns are {', '.join(COLUMNS)}")
    decided, unlabelled = [], 0
    for line, values in rows:
        if len(values) > len(columns):
            raise BadInputError(f"{path}:{line}: {len(values)} fields, the header has {len(columns)}")
        cells = {c: v.strip() for c, v in zip(columns, values, strict=False) if c}
        row = read_row(path, line, cells)
        if row is None:
            unlabelled += 1
        else:
            decided.append(row)
    return DecisionFile(path, flavour, decided, unlabelled)


def _table(path: Path) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, its fields) of a CSV, semicolon-separated CSV or TSV,
    UTF-8 with or without a byte-order mark; blank lines skipped."""
    text = _text(path)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else max(",;\t", key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for values in reader:
            if any(v.strip() for v in values):
                yield start, values
            start = reader.line_num + 1
    except csv.Error as exc:
        raise BadInputError(f"{path}:{start}: unreadable CSV ({exc})") from None


def _text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BadInputError(f"{path}: no such file") from None
    except OSError as exc:
        raise BadInputError(f"{path}: cannot be read ({exc.strerror})") from None
    if data.startswith(b"PK\x03\x04"):
        raise BadInputError(f"{path}: a spreadsheet (XLSX) file; export the decisions as CSV or TSV")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadInputError(f"{path}:{line}: not UTF-8 text; save the file as UTF-8 CSV") from None


def _rifkb_row(path: Path, line: int, cells: dict[str, str]) -> DecisionRow | None:
    cells = {name: from_spreadsheet(text) for name, text in cells.items()}  # as write_decisions quoted them
    decision = cells.get("decision", "").lower()
    if not decision:
        return None
    if decision not in DECISIONS:
        raise BadInputError(f"{path}:{line}: decision {decision!r} is not one of {', '.join(DECISIONS)}")
    reason = cells.get("reason") or None
    if decision == EXCLUDE and not reason:
        raise BadInputError(f"{path}:{line}: an exclusion needs a reason (PRISMA counts them by reason)")
    return DecisionRow(line, cells.get("record_id") or None, cells.get("pmid") or None,
                       cells.get("doi") or None, cells.get("title") or None, decision, reason,
                       cells.get("reviewer") or None, _time(path, line, cells.get("time")))  # fmt: skip


def _asreview_row(path: Path, columns: list[str]):  # noqa: ANN202 - the reader of one row
    label = next((name for name in ASREVIEW_LABELS if name in columns), None)
    if label is None:
        raise BadInputError(
            f"{path}:1: no label column: neither rifkb's decision nor ASReview's {', '.join(ASREVIEW_LABELS)}"
        )
    pmid_column = next((name for name in PMID_COLUMNS if name in columns), None)

    def read(path: Path, line: int, cells: dict[str, str]) -> DecisionRow | None:
        value = cells.get(label, "").lower()
        if not value:
            return None
        if value not in LABEL_VALUES:
            raise BadInputError(f"{path}:{line}: {label} {value!r} is not a label: 1 or 0 (yes/no, y/n)")
        note = cells.get("asreview_note") or None
        decision = INCLUDE if LABEL_VALUES[value] else EXCLUDE
        reason = note or (ASREVIEW_EXCLUSION if decision == EXCLUDE else None)
        return DecisionRow(line, None, cells.get(pmid_column or "", "") or None, cells.get("doi") or None,
                           cells.get("title") or cells.get("primary_title") or None, decision, reason,
                           cells.get("asreview_user_name") or ASREVIEW_REVIEWER,
                           _time(path, line, cells.get("asreview_time")))  # fmt: skip

    return read


FUTURE_SKEW = timedelta(days=1)  # a clock ahead by this much is skew, not a made-up date


def _time(path: Path, line: int, text: str | None) -> str | None:
    """A decision's time as the store keeps it (ISO 8601, UTC); ASReview writes UTC as
    '2025-03-01 14:02:11'."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        example = "2025-03-01 14:02:11"
        raise BadInputError(f"{path}:{line}: time {text!r} is not a date and time ({example})") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment > datetime.now(UTC) + FUTURE_SKEW:  # 9999-12-31 would date the corpus forever
        raise BadInputError(f"{path}:{line}: time {text!r} is in the future; a decision is dated when made")
    return moment.astimezone(UTC).isoformat()


class _RecordIndex:
    """The records of a store by key, PMID, DOI and normalised title (a title two records
    share names neither)."""

    def __init__(self, store: Store):
        self.store = store
        self.pmids: dict[str, str] = {}
        self.dois: dict[str, str] = {}
        self.titles: dict[str, str | None] = {}
        for record in store.records():
            if record.pmid:
                self.pmids[record.pmid] = record.uid
            if doi := normalise_doi(record.doi):
                self.dois.setdefault(doi, record.uid)
            if record.title and (key := normalise_title(record.title)):
                self.titles[key] = None if key in self.titles else record.uid

    def find(self, row: DecisionRow, by_record_id: bool) -> str | None:
        if by_record_id and row.record_id:
            try:
                return self.store.get(row.record_id).uid
            except CorpusError:
                pass
        found = (self.pmids.get(_pmid(row.pmid)) or self.dois.get(normalise_doi(row.doi) or "")
                 or self.titles.get(normalise_title(row.title or "")))  # fmt: skip
        return found


def _pmid(text: str | None) -> str:
    """'12345678', '12345678.0' (a spreadsheet's number), 'pmid:12345678'."""
    text = (text or "").strip().lower().removeprefix("pmid:").strip()
    return text[:-2] if text.endswith(".0") else text


def _row_name(row: DecisionRow) -> str:
    for value in (row.record_id, row.pmid and f"PMID {row.pmid}", row.doi, row.title):
        if value:
            return value if len(value) <= 60 else value[:59] + "…"
    return "(no id, PMID, DOI or title)"
