"""The papers every output reads: each stored record with its extraction as the
reviewers corrected it, less the records they excluded.

Outputs (graph, tables, figures, synthesis, report) all start from `reviewed_papers`,
so a screening decision or a correction shows everywhere at once, and a record
excluded is counted (with its reason) rather than silently missing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rifkb.corpus.reviews import corrections_by_record, current_decisions
from rifkb.corpus.store import Store
from rifkb.kb.corrections import apply_corrections
from rifkb.records import EXCLUDE, INCLUDE, UNSCREENED, Conflict, Extraction, Record, ScreeningDecision


@dataclass(frozen=True)
class Paper:
    record: Record
    extraction: Extraction
    screening: str = UNSCREENED  # "include" | "unscreened" (excluded papers are not Papers)
    corrected: bool = False  # a reviewer corrected its extraction


@dataclass(frozen=True)
class Reviewed:
    papers: list[Paper]
    excluded: list[tuple[Record, ScreeningDecision]] = field(default_factory=list)
    unscreened_left_out: list[Record] = field(default_factory=list)  # `[screening] unscreened = "exclude"`
    conflicts: list[Conflict] = field(default_factory=list)
    decisions: dict[str, ScreeningDecision] = field(default_factory=dict)


def reviewed_papers(store: Store, unscreened_included: bool = True) -> Reviewed:
    """Every record that has an extraction, in key order, with the reviewers' corrections
    applied; excluded records (and unscreened ones, unless they count as included) set
    apart."""
    extractions = {x.doc_id: x for x in store.extractions()}
    decisions = current_decisions(store)
    corrections = corrections_by_record(store)
    reviewed = Reviewed([], decisions=decisions)
    for record in store.records():
        decision = decisions.get(record.uid)
        state = decision.decision if decision else UNSCREENED
        if state == EXCLUDE:
            reviewed.excluded.append((record, decision))
            continue
        if state == UNSCREENED and not unscreened_included:
            reviewed.unscreened_left_out.append(record)
            continue
        if record.uid not in extractions:
            continue
        x, conflicts = apply_corrections(extractions[record.uid], corrections.get(record.uid, ()))
        reviewed.conflicts.extend(conflicts)
        screening = INCLUDE if state == INCLUDE else UNSCREENED
        reviewed.papers.append(Paper(record, x, screening, record.uid in corrections))
    return reviewed


def papers_from_store(store: Store, unscreened_included: bool = True) -> list[Paper]:
    """The papers outputs are made of (see `reviewed_papers`)."""
    return reviewed_papers(store, unscreened_included).papers
