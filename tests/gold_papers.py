"""Hand-made gold extraction records (`shared/spec/extraction.md`) as the Papers the
synthesis reads: every fact with a dummy Evidence (the sentence is the document id), the
concepts as mentions, the authors and years of dev.jsonl. The synthesis can then be run
on the study data a careful reader copied from real abstracts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rifkb.kb.papers import Paper
from rifkb.records import (
    Author,
    EffectEstimate,
    EventRate,
    Evidence,
    Extraction,
    Mention,
    Record,
    RifDefinition,
    StudyData,
)


def gold_papers(gold: Path, corpus: Path) -> list[Paper]:
    """Every gold record of `gold` with its bibliographic record from `corpus`."""
    records = {r["id"]: r for r in _lines(corpus)}
    return [gold_paper(g, records.get(g["doc_id"], {})) for g in _lines(gold)]


def gold_paper(gold: dict[str, Any], record: dict[str, Any]) -> Paper:
    doc = gold["doc_id"]
    at = _evidence(doc)
    rif = gold.get("rif_definition")
    x = Extraction(
        doc_id=doc, study_design=gold["study_design"], sample_size=gold.get("sample_size"),
        n_studies=gold.get("n_studies"),
        rif_definition=RifDefinition(**rif, evidence=at) if rif else None,
        mentions=tuple(Mention(c, kind, c, at) for kind, ids in gold["concepts"].items() for c in ids),
        effects=tuple(EffectEstimate(**e, evidence=at) for e in gold.get("effects", [])),
        event_rates=tuple(EventRate(**r, evidence=at) for r in gold.get("event_rates", [])),
        findings=(),
        study_data=tuple(study_row(r, doc) for r in gold.get("study_data", [])),
    )  # fmt: skip
    author = (record.get("first_author") or "").split(" ")[0] or None
    bibliographic = Record(source_id=doc, title=record.get("title"), year=record.get("year"),
                           authors=(Author(last_name=author),) if author else ())  # fmt: skip
    return Paper(bibliographic, x)


def study_row(row: dict[str, Any], doc: str = "gold:1", **changes: Any) -> StudyData:
    """A StudyData from a gold row (`extraction.md`'s form), with `changes` made."""
    values = {"events": None, "total": None, "mean": None, "sd": None, "subgroup": None, "derived": False}
    return StudyData(**{**values, **row, **changes}, evidence=_evidence(doc))


def _evidence(doc: str) -> Evidence:
    return Evidence(doc, 0, 1, doc, "gold")


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
