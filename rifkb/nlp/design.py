"""rifkb_design_v1: the study design, from publication types, the title and the text.

Every phrase of rules/designs.tsv found votes with its priority; the highest wins. A
phrase is ignored in a question, in a sentence calling for future work ("a randomized
controlled trial is needed") and when it cites another study ("the meta-analysis of
Clark et al."). With no phrase, the abstract's own structure decides: patients compared
with fertile controls and no treatment make a case-control study; a treatment given
with no comparison group a non-randomised trial; a primary study otherwise a cohort;
and an abstract with no patients and no statistics a narrative review.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.context import compiled_rules, cue_hits, folded, register_extensions, sentence_of

CASE_CONTROL_PRIORITY = 68  # above "retrospective" (65): RIF vs fertile controls
SINGLE_ARM_PRIORITY = 62
_CITED = re.compile(r"^\W*(?:of|by|from)\s+[A-Z][\w-]+\s+et\s+al", re.UNICODE)
_STATISTICS = re.compile(r"\bp\s*[<>=≤]|\d\s*%|\b\d+\s*/\s*\d+\b", re.IGNORECASE)


class DesignClassifier:
    def __init__(self, rules_dir: str | None):
        register_extensions()
        self.compiled = compiled_rules(rules_dir)
        self.rules = self.compiled.rules.designs

    def __call__(self, doc: Doc) -> Doc:
        votes = self._pubtype_votes(doc) + self._phrase_votes(doc) + self._structure_votes(doc)
        doc._.rifkb_design = max(votes)[1] if votes else self._default(doc)
        return doc

    def _pubtype_votes(self, doc: Doc) -> list[tuple[int, str]]:
        types = {t.lower() for t in doc._.rifkb_publication_types or ()}
        return [(r.priority, r.design) for r in self.rules
                if r.where == "pubtype" and r.phrase.lower() in types]  # fmt: skip

    def _phrase_votes(self, doc: Doc) -> list[tuple[int, str]]:
        title_end = doc._.rifkb_title_end or 0
        votes = []
        for m in self.compiled.designs.finditer(folded(doc).lower):
            for rule in m.payloads:
                if rule.where == "title" and m.start >= title_end:
                    continue
                if not self._ignored(doc, m.start, m.end):
                    votes.append((rule.priority, rule.design))
        return votes

    def _ignored(self, doc: Doc, start: int, end: int) -> bool:
        if _CITED.match(folded(doc).text[end : end + 40]):
            return True
        s, e = sentence_of(doc, start)
        needs = any(c == "need" and s <= c_start < e for c_start, _, c in cue_hits(doc, self.compiled))
        return needs or folded(doc).lower[s:e].rstrip().endswith("?")

    def _structure_votes(self, doc: Doc) -> list[tuple[int, str]]:
        mentions = doc._.rifkb_mentions or []
        concepts = {h.concept for h in mentions}
        types = {h.type for h in mentions}
        found = {c for _, _, c in cue_hits(doc, self.compiled)}
        has_controls = "fertile_controls" in concepts or "control_group" in found
        compares = has_controls or "comparison" in found
        primary = doc._.rifkb_sample_size is not None
        if "intervention" not in types and has_controls and concepts & {"rif", "infertility", "rpl"}:
            return [(CASE_CONTROL_PRIORITY, "case_control")]
        if self._about_intervention(doc) and primary and not compares:
            return [(SINGLE_ARM_PRIORITY, "nrct")]
        return []

    def _about_intervention(self, doc: Doc) -> bool:
        """The title names an intervention; or, with a title naming no intervention and no
        mechanism (or no title), the abstract names one."""
        mentions = doc._.rifkb_mentions or []
        title = {h.type for h in mentions if h.start < (doc._.rifkb_title_end or 0)}
        if "intervention" in title:
            return True
        return "mechanism" not in title and any(h.type == "intervention" for h in mentions)

    def _default(self, doc: Doc) -> str:
        primary = doc._.rifkb_sample_size is not None or _STATISTICS.search(folded(doc).text)
        return "cohort" if primary else "review"


@Language.factory("rifkb_design_v1", default_config={"rules_dir": None})
def make_design(nlp: Language, name: str, rules_dir: str | None) -> DesignClassifier:
    return DesignClassifier(rules_dir)
