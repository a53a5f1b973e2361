"""What the HTML report shows of each study: its readings as short texts, each with an
anchor and the sentence it was read from (the words read marked), so that every number
in the report links to its evidence; the study's link to PubMed or its DOI.

Plain values for the template (`rifkb.review.report`), which escapes them all.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rifkb.kb.audit import audit
from rifkb.kb.graph import format_effect
from rifkb.kb.papers import Paper
from rifkb.nlp.reading import document_text
from rifkb.records import INCLUDE, EffectEstimate, EventRate, Evidence, Finding, Record
from rifkb.review.labels import study_label
from rifkb.review.tables import rif_text

PUBMED = "https://pubmed.ncbi.nlm.nih.gov/{}/"
DOI = "https://doi.org/{}"
# designs.tsv's ids as a reader writes them
_DESIGNS = {"rct": "RCT", "nrct": "non-randomised trial", "lab": "laboratory study"}


def design_label(design: str) -> str:
    """'RCT', 'case-control', 'meta-analysis', 'systematic review'."""
    if design in _DESIGNS:
        return _DESIGNS[design]
    return design.replace("_", "-" if design in ("case_control", "cross_sectional", "meta_analysis") else " ")


@dataclass(frozen=True)
class Quote:
    """An evidence sentence, split around the words a reading was made from."""

    before: str
    marked: str
    after: str


@dataclass(frozen=True)
class Item:
    """One reading of a study (an effect estimate, an event rate, a finding, the RIF
    definition): `text` as tables write it, `about` what it concerns, its sentence."""

    anchor: str
    text: str
    about: str
    quote: Quote | None  # None: added by a reviewer, with no sentence


FlagRow = tuple["StudyView", str, str | None]  # (study, message, anchor of its number)


@dataclass(frozen=True)
class StudyView:
    anchor: str
    doc_id: str
    label: str
    title: str
    journal: str
    year: int | None
    link: str | None  # PubMed, else the DOI resolver, else the page it was taken from
    link_text: str  # "PMID 38365988", "doi:10.1007/..."
    link_site: str  # "PubMed", "DOI", "source"
    design: str | None
    n: int | None
    n_studies: int | None
    rif: Item | None
    interventions: tuple[str, ...]
    mechanisms: tuple[str, ...]
    outcomes: tuple[str, ...]
    estimates: tuple[Item, ...]
    rates: tuple[Item, ...]
    findings: tuple[Item, ...]
    flags: tuple[tuple[str, str | None], ...]  # (message, anchor of the number it is about)
    screening: str  # "include" | "unscreened"
    corrected: bool
    retracted: bool
    search: str = ""  # what the table's filter also matches: the title, concepts as written

    @property
    def included(self) -> bool:
        return self.screening == INCLUDE

    @property
    def design_label(self) -> str:
        return design_label(self.design) if self.design else ""


def study_views(papers: list[Paper], labels: Mapping[str, str]) -> dict[str, StudyView]:
    """doc id -> its view, in the papers' order; anchors unique within the page."""
    taken: set[str] = set()
    return {p.extraction.doc_id: _view(p, labels, _anchor(p.extraction.doc_id, taken)) for p in papers}


def _view(p: Paper, labels: Mapping[str, str], anchor: str) -> StudyView:
    x, r, name = p.extraction, p.record, lambda c: labels.get(c, c)
    text, _ = document_text(r)
    concepts = x.concepts()
    estimates = tuple(_estimate(e, f"{anchor}-e{i}", text, name) for i, e in enumerate(x.effects))
    rates = tuple(_rate(e, f"{anchor}-r{i}", text, name) for i, e in enumerate(x.event_rates))
    rif = x.rif_definition
    rif_item = None if rif is None else Item(f"{anchor}-rif", rif_text(p), "RIF definition",
                                             _quote(rif.evidence, text))  # fmt: skip
    read = (*zip(x.effects, estimates, strict=True), *zip(x.event_rates, rates, strict=True))
    numbers = {reading.evidence.start: item.anchor for reading, item in read}  # where audit flags point
    link, link_text, link_site = _link(r)
    return StudyView(
        anchor=anchor, doc_id=x.doc_id, label=study_label(p), title=r.title or "", journal=r.journal or "",
        year=r.year, link=link, link_text=link_text, link_site=link_site, design=x.study_design,
        n=x.sample_size, n_studies=x.n_studies, rif=rif_item,
        interventions=tuple(name(c) for c in concepts["intervention"]),
        mechanisms=tuple(name(c) for c in concepts["mechanism"]),
        outcomes=tuple(name(c) for c in concepts["outcome"]),
        estimates=estimates, rates=rates,
        findings=tuple(_finding(f, f"{anchor}-f{i}", text, name) for i, f in enumerate(x.findings)),
        flags=tuple((f.message, numbers.get(f.start)) for f in audit(x)),
        screening=p.screening, corrected=p.corrected, retracted=r.retracted, search=_search(p),
    )  # fmt: skip


def _search(p: Paper) -> str:
    """The words a reader may filter a study by that its row does not show: its title, and
    its concepts as the abstract writes them ('IVIg') and by id ('ivig', 'live_birth')."""
    words = {m.text for m in p.extraction.mentions} | {m.concept for m in p.extraction.mentions}
    return " ".join([p.record.title or "", *sorted(words)])


def _anchor(doc_id: str, taken: set[str]) -> str:
    """'study-pmid-38365988' from 'pmid:38365988': an id a URL fragment carries as it is."""
    base = "study-" + (re.sub(r"[^A-Za-z0-9]+", "-", doc_id).strip("-").lower() or "x")
    anchor, n = base, 1
    while anchor in taken:
        n += 1
        anchor = f"{base}-{n}"
    taken.add(anchor)
    return anchor


def _link(r: Record) -> tuple[str | None, str, str]:
    """(url, what it names, the site): PubMed for a PMID, else the DOI resolver, else the
    page the record was taken from (Stephenson 2000 has neither PMID nor DOI)."""
    if r.pmid:
        return PUBMED.format(urllib.parse.quote(r.pmid, safe="")), f"PMID {r.pmid}", "PubMed"
    if r.doi:
        return DOI.format(urllib.parse.quote(r.doi, safe="/:;()._-")), f"doi:{r.doi}", "DOI"
    if r.source_url:
        return r.source_url, urllib.parse.urlsplit(r.source_url).netloc, "source"
    return None, "", ""


def _estimate(e: EffectEstimate, anchor: str, text: str, name) -> Item:  # noqa: ANN001
    about = [name(e.outcome) if e.outcome else "outcome not named"]
    if e.intervention:
        about.append(f"{name(e.intervention)} vs {name(e.comparator) if e.comparator else 'control'}")
    if e.subgroup:
        about.append(f"subgroup: {e.subgroup}")
    return Item(anchor, format_effect(e), "; ".join(about), _quote(e.evidence, text))


def _rate(r: EventRate, anchor: str, text: str, name) -> Item:  # noqa: ANN001
    percent = f" ({r.percent:g}%)" if r.percent is not None else ""
    about = [name(r.outcome) if r.outcome else "outcome not named"]
    if r.group:
        about.append(name(r.group))
    if r.subgroup:
        about.append(f"subgroup: {r.subgroup}")
    return Item(anchor, f"{r.events}/{r.total}{percent}", "; ".join(about), _quote(r.evidence, text))


def _finding(f: Finding, anchor: str, text: str, name) -> Item:  # noqa: ANN001
    significance = {True: ", significant", False: ", not significant", None: ""}[f.significant]
    words = f"{name(f.subject)} → {name(f.object)}: {f.direction.replace('_', ' ')}"
    about = f"{f.kind}{significance}{', hedged' if f.hedged else ''}"
    return Item(anchor, words, about, _quote(f.evidence, text))


def _quote(evidence: Evidence, text: str) -> Quote | None:
    """The sentence with the span read marked, found where the evidence says it is in the
    text read (`document_text`); unmarked when the span is the whole sentence (a finding,
    a RIF definition) or cannot be placed."""
    sentence = evidence.sentence
    if not sentence:
        return None
    at = text.find(sentence)
    while at != -1 and not at <= evidence.start < at + len(sentence):
        at = text.find(sentence, at + 1)
    start, end = evidence.start - at, min(evidence.end - at, len(sentence))
    if at == -1 or end <= start or (start == 0 and end >= len(sentence.rstrip())):
        return Quote(sentence, "", "")
    return Quote(sentence[:start], sentence[start:end], sentence[end:])


def rif_rows(studies: Sequence[StudyView]) -> list[StudyView]:
    """The studies that define RIF, in the order given (the evidence table's: by year, then
    study, as `tables.rif_definitions_table` orders them)."""
    return [s for s in studies if s.rif is not None]


def flag_rows(studies: Sequence[StudyView]) -> list[FlagRow]:
    """(study, message, anchor of its number) for every consistency flag, study by study."""
    return [(s, message, anchor) for s in studies for message, anchor in s.flags]
