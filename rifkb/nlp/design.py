"""rifkb_design_v1: the study design, from publication types, the title and the text.

Every phrase of rules/designs.tsv found votes with its priority; the highest wins. A
phrase is ignored in a question, in a sentence calling for future work ("a randomized
controlled trial is needed") and when it cites another study ("the meta-analysis of
Clark et al."). With no phrase, the abstract's own structure decides: patients compared
with fertile controls and no treatment make a case-control study; a treatment given
with no comparison group a non-randomised trial; a primary study otherwise a cohort;
and an abstract with no patients and no statistics a narrative review.

Publication types come from `doc._.rifkb_publication_types` and the title's end from
`doc._.rifkb_title_end`, when the caller sets them. Written to `doc._.rifkb_design`.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, RuleComponent, factory_config
from rifkb.nlp.text import PhraseIndex
from rifkb.rules import RuleSet

CASE_CONTROL_PRIORITY = 68  # above "retrospective" (65): RIF vs fertile controls
SINGLE_ARM_PRIORITY = 62
_CITED = re.compile(r"^\W*(?:of|by|from)\s+[A-Z][\w-]+\s+et\s+al", re.UNICODE)
_STATISTICS = re.compile(r"\bp\s*[<>=≤]|\d\s*%|\b\d+\s*/\s*\d+\b", re.IGNORECASE)


class DesignClassifier(RuleComponent):
    needs = ("sentences", "mentions", "cues", "counts")

    def compile(self, rules: RuleSet) -> None:
        phrases = [(r.phrase, r) for r in rules.designs if r.where != "pubtype"]
        self.phrases = PhraseIndex(phrases, keep_case=False, plural=False)
        self.conditions, self.controls = rules.with_role("condition"), rules.with_role("control")

    def read(self, doc: Doc, view: DocView) -> None:
        votes = self._pubtype_votes(doc) + self._phrase_votes(view) + self._structure_votes(doc, view)
        doc._.rifkb_design = max(votes)[1] if votes else self._default(doc, view)

    def _pubtype_votes(self, doc: Doc) -> list[tuple[int, str]]:
        types = {t.lower() for t in doc._.rifkb_publication_types or ()}
        return [(r.priority, r.design) for r in self.rules.designs
                if r.where == "pubtype" and r.phrase.lower() in types]  # fmt: skip

    def _phrase_votes(self, view: DocView) -> list[tuple[int, str]]:
        votes = []
        for m in self.phrases.finditer(view.lower):
            for rule in m.payloads:
                if rule.where == "title" and m.start >= view.title_end:
                    continue
                if not self._ignored(view, m.start, m.end):
                    votes.append((rule.priority, rule.design))
        return votes

    def _ignored(self, view: DocView, start: int, end: int) -> bool:
        if _CITED.match(view.text[end : end + 40]):
            return True
        s, e = view.sentence_of(start)
        needs = any(c == "need" and s <= c_start < e for c_start, _, c in view.cues)
        return needs or view.lower[s:e].rstrip().endswith("?")

    def _structure_votes(self, doc: Doc, view: DocView) -> list[tuple[int, str]]:
        concepts = {h.concept for h in view.mentions}
        types = {h.type for h in view.mentions}
        found = {c for _, _, c in view.cues}
        has_controls = bool(concepts & self.controls) or "control_group" in found
        compares = has_controls or "comparison" in found
        primary = doc._.rifkb_sample_size is not None
        if "intervention" not in types and has_controls and concepts & self.conditions:
            return [(CASE_CONTROL_PRIORITY, "case_control")]
        if self._about_intervention(view) and primary and not compares:
            return [(SINGLE_ARM_PRIORITY, "nrct")]
        return []

    def _about_intervention(self, view: DocView) -> bool:
        """The title names an intervention; or, with a title naming no intervention and no
        mechanism (or no title), the abstract names one."""
        title = {h.type for h in view.mentions if h.start < view.title_end}
        if "intervention" in title:
            return True
        return "mechanism" not in title and any(h.type == "intervention" for h in view.mentions)

    def _default(self, doc: Doc, view: DocView) -> str:
        primary = doc._.rifkb_sample_size is not None or _STATISTICS.search(view.text)
        return "cohort" if primary else "review"


@Language.factory(
    "rifkb_design_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans", "doc._.rifkb_cues", "doc._.rifkb_counts"],
    assigns=["doc._.rifkb_design"],
)  # fmt: skip
def make_design(nlp: Language, name: str, rules_dir: str | None) -> DesignClassifier:
    return DesignClassifier(name, rules_dir)
