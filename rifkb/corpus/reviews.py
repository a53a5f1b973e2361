"""Screening decisions and corrections in the corpus's store, beside (never inside) the
records and their extractions: a re-extraction replaces extractions and leaves these be.

Both are histories: a new decision or correction is a new row, the latest counting, so
who decided what and when is never lost. Every write is one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from rifkb.corpus.store import Store
from rifkb.errors import BadInputError
from rifkb.records import DECISIONS, EXCLUDE, INCLUDE, UNSCREENED, Correction, Record, ScreeningDecision
from rifkb.records.review import FIELDS, ITEM_KINDS, OPERATIONS

_DECISION_COLUMNS = "id, uid, decision, reason, reviewer, at"
_CORRECTION_COLUMNS = "id, uid, op, target, value, was, reason, reviewer, at"


# --- screening ---------------------------------------------------------------------------


def decide(store: Store, decisions: Iterable[ScreeningDecision]) -> list[ScreeningDecision]:
    """Record decisions in one transaction, each for the record its id names (a PMID, a
    DOI, an alias); returns them as stored, with the record's own key and their ids."""
    stored = []
    with store.transaction() as db:
        for d in decisions:
            _check_decision(d)
            uid = store.get(d.uid).uid
            at = d.at or store.now()
            cursor = db.execute(
                "INSERT INTO screening (uid, decision, reason, reviewer, at) VALUES (?, ?, ?, ?, ?)",
                (uid, d.decision, d.reason, d.reviewer, at),
            )
            stored.append(ScreeningDecision(uid, d.decision, d.reason, d.reviewer, at, cursor.lastrowid))
    return stored


def _check_decision(d: ScreeningDecision) -> None:
    if d.decision not in DECISIONS:
        raise BadInputError(f"{d.uid}: decision {d.decision!r} is not one of {', '.join(DECISIONS)}")
    if d.decision == EXCLUDE and not (d.reason or "").strip():
        raise BadInputError(f"{d.uid}: an exclusion needs a reason (PRISMA counts exclusions by reason)")
    if not d.reviewer.strip():
        raise BadInputError(f"{d.uid}: a decision needs a reviewer")


def current_decisions(store: Store) -> dict[str, ScreeningDecision]:
    """uid -> its latest decision; records never screened are absent (unscreened)."""
    rows = store.rows(
        f"SELECT {_DECISION_COLUMNS} FROM screening WHERE id IN (SELECT max(id) FROM screening GROUP BY uid)"
    )
    return {row[1]: _decision(row) for row in rows}


SCREENINGS = ("included", "all")  # which records a bibliography has: `records_screened`


def records_screened(store: Store, screening: str, unscreened_included: bool = True) -> list[Record]:
    """The records, in key order: every one (`all`), or those `included`: not excluded,
    and of those nobody screened yet only when they count as included (`[screening]
    unscreened` of corpus.toml)."""
    if screening not in SCREENINGS:
        raise BadInputError(f"--screening {screening!r}: choose one of {', '.join(SCREENINGS)}")
    records = store.records()
    if screening == "all":
        return list(records)
    decisions = current_decisions(store)
    kept = []
    for record in records:
        state = decisions[record.uid].decision if record.uid in decisions else UNSCREENED
        if state == INCLUDE or (state == UNSCREENED and unscreened_included):
            kept.append(record)
    return kept


def screening_history(store: Store, uid: str | None = None) -> list[ScreeningDecision]:
    """Every decision, oldest first; of one record when `uid` is given."""
    return [_decision(row) for row in _oldest_first(store, "screening", _DECISION_COLUMNS, uid)]


def decision_of(store: Store, uid: str) -> str:
    latest = current_decisions(store).get(store.get(uid).uid)
    return latest.decision if latest else UNSCREENED


def _decision(row: tuple) -> ScreeningDecision:
    id_, uid, decision, reason, reviewer, at = row
    return ScreeningDecision(uid, decision, reason, reviewer, at, id_)


# --- corrections -------------------------------------------------------------------------


def add_corrections(store: Store, corrections: Iterable[Correction]) -> list[Correction]:
    """Store corrections in one transaction; returns them with their record's key and ids."""
    stored = []
    with store.transaction() as db:
        for c in corrections:
            check_correction(c)
            uid = store.get(c.uid).uid
            at = c.at or store.now()
            cursor = db.execute(
                "INSERT INTO corrections (uid, op, target, value, was, reason, reviewer, at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (uid, c.op, c.target, _dump(c.value), _dump(c.was), c.reason, c.reviewer, at),
            )
            stored.append(Correction(uid, c.op, c.target, c.value, c.was, c.reason, c.reviewer, at,
                                     cursor.lastrowid))  # fmt: skip
    return stored


def check_correction(c: Correction) -> None:
    """A correction the store would keep but nothing could apply is refused now, in one line."""
    if c.op not in OPERATIONS:
        raise BadInputError(f"{c.uid}: correction {c.op!r} is not one of {', '.join(OPERATIONS)}")
    if not c.reviewer.strip():
        raise BadInputError(f"{c.uid}: a correction needs a reviewer")
    item = c.kind is not None
    if not item and c.target not in FIELDS:
        known = ", ".join([*FIELDS, *(f"{k}@START:END" for k in ITEM_KINDS)])
        raise BadInputError(f"{c.uid}: cannot correct {c.target!r}; known: {known}")
    if c.op == "set" and item:
        raise BadInputError(f"{c.uid}: {c.target} is an item: edit, add or strike it, not set")
    if c.op in ("edit", "strike") and c.span is None:
        raise BadInputError(f"{c.uid}: {c.op} needs the item's span ({c.target}@START:END)")
    if c.op == "add" and (not item or c.span is not None or not isinstance(c.value, dict)):
        raise BadInputError(f"{c.uid}: add takes a kind ({', '.join(ITEM_KINDS)}) and the whole item")


def corrections(store: Store, uid: str | None = None) -> list[Correction]:
    """Every correction, oldest first; of one record when `uid` is given."""
    return [_correction(row) for row in _oldest_first(store, "corrections", _CORRECTION_COLUMNS, uid)]


def _oldest_first(store: Store, table: str, columns: str, uid: str | None) -> list[tuple]:
    """The rows of a review table in the order they were written; of one record (by any
    of its ids, as `Store.get` resolves them) when `uid` is given."""
    if uid is None:
        return store.rows(f"SELECT {columns} FROM {table} ORDER BY id")
    return store.rows(f"SELECT {columns} FROM {table} WHERE uid = ? ORDER BY id", (store.get(uid).uid,))


def corrections_by_record(store: Store) -> dict[str, list[Correction]]:
    found: dict[str, list[Correction]] = {}
    for c in corrections(store):
        found.setdefault(c.uid, []).append(c)
    return found


def _correction(row: tuple) -> Correction:
    id_, uid, op, target, value, was, reason, reviewer, at = row
    return Correction(uid, op, target, _load(value), _load(was), reason, reviewer, at, id_)


def _dump(value: object) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _load(text: str | None) -> object:
    return None if text is None else json.loads(text)
