"""spaCy Doc -> Extraction: the one place a processed Doc becomes typed records with their
evidence (document, character span, sentence, rule), so Docs never leave this layer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span

from rifkb.nlp.base import MENTIONS, DocView, extension, register_extensions, remember_text, set_extension
from rifkb.nlp.counts import total_of_groups
from rifkb.records import (
    Dose,
    EffectEstimate,
    EventRate,
    Evidence,
    Extraction,
    Finding,
    Mention,
    Record,
    RifDefinition,
    StudyData,
)
from rifkb.records.bibliographic import document_text


def record_doc(nlp: Language, record: Record) -> Doc:
    """A Doc of a record's text, not yet processed, with what the components read
    besides the text: its id, where the title ends, its publication types."""
    register_extensions()
    text, title_end = document_text(record)
    doc = nlp.make_doc(text)
    remember_text(doc, text)
    set_extension(doc, "rifkb_doc_id", record.uid)
    set_extension(doc, "rifkb_title_end", title_end)
    set_extension(doc, "rifkb_publication_types", list(record.publication_types))
    return doc


def extract_record(nlp: Language, record: Record) -> Extraction:
    return to_extraction(nlp(record_doc(nlp, record)))


def to_extraction(doc: Doc) -> Extraction:
    """The extraction record of a Doc processed by rifkb's components."""
    view = DocView(doc)
    doc_id = extension(doc, "rifkb_doc_id") or ""
    sentences: dict[tuple[int, int], str] = {}  # each sentence's text made once, shared

    def evidence(item: dict[str, Any]) -> Evidence:
        span = view.sentence_of(item["start"])
        sentence = sentences.get(span)
        if sentence is None:
            sentence = sentences[span] = view.text[span[0] : span[1]].strip()
        return Evidence(doc_id, item["start"], item["end"], sentence, item["rule"])

    def fields(item: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in item.items() if k not in ("start", "end", "rule")}

    rif = extension(doc, "rifkb_rif_definition")
    counts = extension(doc, "rifkb_counts") or {}
    spans = doc.spans.get(MENTIONS, ())
    return Extraction(
        doc_id=doc_id,
        study_design=extension(doc, "rifkb_design"),
        sample_size=total_of_groups(counts.get("sample_size"), extension(doc, "rifkb_arm_sizes")),
        n_studies=counts.get("n_studies"),
        rif_definition=None if rif is None else RifDefinition(**fields(rif), evidence=evidence(rif)),
        mentions=tuple(_mention(doc, view.text, s, evidence) for s in spans),
        effects=tuple(EffectEstimate(**fields(x), evidence=evidence(x)) for x in _items(doc, "effects")),
        event_rates=tuple(EventRate(**fields(x), evidence=evidence(x)) for x in _items(doc, "event_rates")),
        findings=tuple(Finding(**fields(x), evidence=evidence(x)) for x in _items(doc, "findings")),
        study_data=tuple(StudyData(**fields(x), evidence=evidence(x)) for x in _items(doc, "study_data")),
        doses=tuple(Dose(**fields(x), evidence=evidence(x)) for x in _items(doc, "doses")),
        warnings=tuple(extension(doc, "rifkb_warnings") or ()),
    )  # fmt: skip


def _mention(doc: Doc, text: str, span: Span, evidence: Callable[[dict[str, Any]], Evidence]) -> Mention:
    start, end = span.start_char, span.end_char
    rule = extension(doc, "rifkb_rule", start, end) or ""  # `span._.rifkb_rule`
    where = {"start": start, "end": end, "rule": rule}
    return Mention(span.id_, span.label_, text[start:end], evidence(where))


def _items(doc: Doc, reading: str) -> list[dict[str, Any]]:
    return extension(doc, f"rifkb_{reading}") or []
