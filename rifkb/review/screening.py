"""The screening queue: records to screen, unscreened first, most relevant first.

(Stub with the final interface: ranks by date. The relevance classifier, TF-IDF with
naive Bayes or logistic regression trained on the decisions so far, as ASReview does, is
being built.)
"""

from __future__ import annotations

from dataclasses import dataclass

from rifkb.corpus.reviews import current_decisions
from rifkb.corpus.store import Store
from rifkb.records import Record, ScreeningDecision


@dataclass(frozen=True)
class QueueEntry:
    record: Record
    decision: ScreeningDecision | None  # the latest; None: never screened
    relevance: float | None  # the classifier's probability of inclusion; None before it is trained


@dataclass(frozen=True)
class Queue:
    entries: list[QueueEntry]
    ranked_by: str  # how the unscreened records are ordered, in words


def screening_queue(store: Store, model: str = "nb") -> Queue:
    """Every record: unscreened ones first (newest publication first), then those screened
    (latest decision first)."""
    decisions = current_decisions(store)
    records = list(store.records())
    unscreened = sorted((r for r in records if r.uid not in decisions), key=lambda r: (-(r.year or 0), r.uid))
    screened = sorted((r for r in records if r.uid in decisions), key=lambda r: -(decisions[r.uid].id or 0))
    entries = [QueueEntry(r, None, None) for r in unscreened]
    entries += [QueueEntry(r, decisions[r.uid], None) for r in screened]
    return Queue(entries, "date (newest first)")
