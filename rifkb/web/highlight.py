"""A record's title and abstract as the reviewer reads them, with what rifkb read in them
marked: concept mentions by type, effect estimates, event rates, the RIF definition.

Evidence spans count characters of the text the pipeline read (`document_text`: the
title, a blank line, the abstract with each labelled section on its own line), so the
title and the abstract are cut from that same text. A span is marked only where its
evidence sentence still stands around it: after a refresh brings a new version of a
record and before it is extracted again, a stale span is left unmarked rather than
marked on the wrong words. Marks may overlap (a mention inside an estimate's sentence,
an estimate inside the RIF definition's): the text is cut at every mark's ends, and
each piece carries the classes of every mark that covers it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rifkb.records import EffectEstimate, EventRate, Evidence, Extraction, Record, describe_rif
from rifkb.records.bibliographic import document_text


@dataclass(frozen=True)
class Mark:
    start: int
    end: int
    css: str  # "m-outcome" (a mention, by type), "x-effect", "x-rate", "x-rif", "sec" (a section label)
    note: str  # what was read there, in words (shown on hover)
    sentence: str = ""  # the evidence sentence the span lies in


@dataclass(frozen=True)
class Segment:
    start: int  # offset in the text read
    text: str
    css: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Highlighted:
    title: list[Segment]
    abstract: list[Segment]


def highlight(
    record: Record, extraction: Extraction | None, labels: Mapping[str, str] | None = None
) -> Highlighted:
    """The record's title and abstract cut into segments, marked with `extraction`'s readings."""
    text, title_end = document_text(record)
    marks = [*section_marks(record, title_end + 2)]
    if extraction is not None:
        marks += [m for m in reading_marks(extraction, labels or {}) if placed(text, m)]
    return Highlighted(segments(text, marks, 0, title_end), segments(text, marks, title_end + 2, len(text)))


def section_marks(record: Record, offset: int) -> Iterable[Mark]:
    """The labels of a structured abstract's sections ('METHODS:'), where `abstract_text` puts them."""
    for section in (s for s in record.abstract if s.text):
        if section.label:
            yield Mark(offset, offset + len(section.label) + 1, "sec", "")
        offset += len(f"{section.label}: {section.text}" if section.label else section.text) + 1


def reading_marks(x: Extraction, labels: Mapping[str, str]) -> Iterable[Mark]:
    name = lambda concept: labels.get(concept, concept) if concept else "?"  # noqa: E731
    for m in x.mentions:
        yield _mark(m.evidence, f"m-{m.type}", f"{m.type}: {name(m.concept)}")
    for e in x.effects:
        yield _mark(e.evidence, "x-effect", effect_text(e, name))
    for r in x.event_rates:
        yield _mark(r.evidence, "x-rate", rate_text(r, name))
    if x.rif_definition is not None:
        rif = x.rif_definition
        words = describe_rif(rif.min_failed_transfers, rif.min_embryos, rif.embryo_quality, rif.max_age)
        yield _mark(rif.evidence, "x-rif", f"RIF definition: {words}")


def _mark(evidence: Evidence, css: str, note: str) -> Mark:
    return Mark(evidence.start, evidence.end, css, note, evidence.sentence)


def effect_text(e: EffectEstimate, name=str) -> str:  # noqa: ANN001 - concept id -> words
    """'OR 3.64 [1.78, 7.67], p 0.0004, live birth (adjusted)'."""
    text = f"{e.measure} {e.value:g}"
    if e.ci_low is not None and e.ci_high is not None:
        text += f" [{e.ci_low:g}, {e.ci_high:g}]"
    text += f", p {e.p}" if e.p else ""
    text += f", {name(e.outcome)}" if e.outcome else ""
    return text + (" (adjusted)" if e.adjusted else "")


def rate_text(r: EventRate, name=str) -> str:  # noqa: ANN001
    """'32/49 live birth, ivig arm'."""
    text = f"{r.events}/{r.total}" + (f" {name(r.outcome)}" if r.outcome else "")
    return text + (f", {name(r.group)} arm" if r.group else "") + (f", {r.subgroup}" if r.subgroup else "")


def placed(text: str, mark: Mark) -> bool:
    """Whether a mark's span lies in `text` and starts inside its evidence sentence (the
    last place the sentence starts at or before the span: a sentence said twice is no
    trouble). Its end may run past the sentence: the sentence is stripped of the blank
    line a span can take in, and a few readings run on into the next sentence."""
    if not (0 <= mark.start < mark.end <= len(text) and mark.sentence):
        return False
    at = text.rfind(mark.sentence, 0, mark.start + len(mark.sentence))
    return at >= 0 and mark.start < at + len(mark.sentence)


def segments(text: str, marks: Iterable[Mark], start: int, end: int) -> list[Segment]:
    """text[start:end] cut at every end of a mark inside it; each piece with the marks over it."""
    inside = [m for m in marks if m.start < end and m.end > start]
    cuts = sorted({start, end, *(max(m.start, start) for m in inside), *(min(m.end, end) for m in inside)})
    pieces = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        over = [m for m in inside if m.start <= a and m.end >= b]
        css = tuple(dict.fromkeys(m.css for m in over))
        notes = tuple(dict.fromkeys(m.note for m in over if m.note))
        pieces.append(Segment(a, text[a:b], css, notes))
    return pieces
