"""spaCy Doc -> Extraction: the one place a processed Doc becomes typed records with their
evidence, so that Docs never leave the nlp layer."""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.context import folded, register_extensions, sentence_of
from rifkb.records import (
    EffectEstimate,
    EventRate,
    Evidence,
    Extraction,
    Finding,
    Mention,
    Record,
    RifDefinition,
)


def document_text(record: Record) -> tuple[str, int]:
    """The text read: the title, a blank line, the abstract; and where the title ends."""
    title = (record.title or "").strip()
    return f"{title}\n\n{record.abstract_text}", len(title)


def extract_record(nlp: Language, record: Record) -> Extraction:
    register_extensions()
    text, title_end = document_text(record)
    doc = nlp.make_doc(text)
    doc._.rifkb_doc_id = record.uid
    doc._.rifkb_title_end = title_end
    doc._.rifkb_publication_types = record.publication_types
    return to_extraction(nlp(doc))


def to_extraction(doc: Doc) -> Extraction:
    doc_id = doc._.rifkb_doc_id or ""
    text = folded(doc).text

    def evidence(start: int, end: int, rule: str) -> Evidence:
        s, e = sentence_of(doc, start)
        return Evidence(doc_id, start, end, text[s:e].strip(), rule)

    rif = doc._.rifkb_rif_definition
    return Extraction(
        doc_id=doc_id,
        study_design=doc._.rifkb_design,
        sample_size=doc._.rifkb_sample_size,
        n_studies=doc._.rifkb_n_studies,
        rif_definition=None if rif is None else RifDefinition(
            rif.min_failed_transfers, rif.min_embryos, rif.embryo_quality, rif.max_age,
            evidence(rif.start, rif.end, "rifkb_rif_definition_v1"),
        ),
        mentions=tuple(
            Mention(h.concept, h.type, text[h.start : h.end], evidence(h.start, h.end, h.rule))
            for h in doc._.rifkb_mentions
        ),
        effects=tuple(
            EffectEstimate(e.measure, e.value, e.ci_low, e.ci_high, e.p, e.outcome, e.adjusted,
                           evidence(e.start, e.end, e.rule))
            for e in doc._.rifkb_effects
        ),
        event_rates=tuple(
            EventRate(r.events, r.total, r.outcome, evidence(r.start, r.end, "rifkb_numbers_v1"))
            for r in doc._.rifkb_event_rates
        ),
        findings=tuple(
            Finding(f.kind, f.subject, f.object, f.direction, f.significant, f.hedged,
                    evidence(f.start, f.end, "rifkb_findings_v1"))
            for f in doc._.rifkb_findings
        ),
    )  # fmt: skip
