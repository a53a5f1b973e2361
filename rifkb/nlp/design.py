"""rifkb_design_v1: the study design, from publication types, the title and the text.

Every phrase of rules/designs.tsv found votes with its priority; the highest wins. A
phrase is ignored in a question, in a clause calling for future work ("a randomized
controlled trial is needed"), when it cites another study ("the meta-analysis of Clark
et al.") and when it names studies in the plural ("limited data from randomized
studies", "several observational studies"): other people's designs. The abstract's own
structure votes too: patients with a condition (or a failed treatment) compared with
controls and no treatment studied make a case-control study; a treatment given with no
comparison group a non-randomised trial; a prevalence or a record review in one group that
follows no outcome a cross-sectional study. With no vote, a primary study is a cohort and an
abstract with no patients and no statistics a narrative review.

Publication types come from `doc._.rifkb_publication_types` and the title's end from
`doc._.rifkb_title_end`, when the caller sets them. Written to `doc._.rifkb_design`.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, RuleComponent, factory_config
from rifkb.nlp.text import PhraseIndex, alternation
from rifkb.rules import RuleSet

CASE_CONTROL_PRIORITY = 68  # above "retrospective" (65): RIF vs fertile controls
SINGLE_ARM_PRIORITY = 62
ONE_GROUP_PRIORITY = 66  # above "retrospective" (65), below a stated "cohort" (70)
_CITED = re.compile(r"^\W*(?:of|by|from)\s+[A-Z][\w-]+\s+et\s+al", re.UNICODE)
_CLAUSE = 100  # characters: how far a call for future work reaches from a design phrase
_PREPOSITIONS = r"(?:of|in|on|with|for|from|by|to)\b"  # "meta-analysis of 11 studies" is this one
_CLAUSE_BREAK = re.compile(r"[,;:.]")
# ("\bp" and "\b\d" written with the character first and the word start after it: re
# skips to the characters that can open a match)
_STATISTICS = re.compile(r"p(?<!\wp)\s*[<>=≤]|\d\s*%|\d(?<!\w\d)\d*\s*/\s*\d+\b", re.IGNORECASE)


class DesignClassifier(RuleComponent):
    needs = ("sentences", "mentions", "cues", "counts")

    def compile(self, rules: RuleSet) -> None:
        phrases = [(r.phrase, r) for r in rules.designs if r.where != "pubtype"]
        self.phrases = PhraseIndex(phrases, keep_case=False, plural=False)
        self.conditions, self.controls = rules.with_role("condition"), rules.with_role("control")
        # "randomized studies", "cohort studies", "randomized controlled trials": other
        # people's studies (or a review's included ones), not the design of this one
        studies = alternation(rules.nouns["study"])
        self.others = re.compile(rf"(?:[\s-]+(?!{_PREPOSITIONS})[a-z][\w-]*){{0,2}}?\s+(?:{studies})\b")

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
        if _CITED.match(view.text[end : end + 40]) or self.others.match(view.lower, end):
            return True
        s, e = view.sentence_of(start)
        return self._called_for(view, start, end, s, e) or view.lower[s:e].rstrip().endswith("?")

    def _called_for(self, view: DocView, start: int, end: int, s: int, e: int) -> bool:
        """A call for future work in the phrase's own clause: "Future randomized trials
        ... are needed", "a randomized controlled trial (RCT) is needed"; not a "future"
        clauses away ("..., in order to avoid complications in future pregnancies")."""
        for c_start, c_end, category in view.cues_in(s, e):
            if category != "need":
                continue
            between = view.lower[c_end:start] if c_end <= start else view.lower[end:c_start]
            if len(between) <= _CLAUSE and not _CLAUSE_BREAK.search(between):
                return True
        return False

    def _structure_votes(self, doc: Doc, view: DocView) -> list[tuple[int, str]]:
        concepts = {h.concept for h in view.mentions}
        found = {c for _, _, c in view.cues}
        has_controls = bool(concepts & self.controls) or "control_group" in found
        compares = has_controls or "comparison" in found
        primary = doc._.rifkb_sample_size is not None
        treats = self._about_intervention(view)
        # patients with a condition (named, or failed treatment: "women with IVF failure")
        # compared with controls, no treatment studied
        condition = bool(concepts & self.conditions) or "failure" in found
        if not treats and has_controls and condition:
            return [(CASE_CONTROL_PRIORITY, "case_control")]
        if treats and primary and not compares:
            return [(SINGLE_ARM_PRIORITY, "nrct")]
        if primary and not treats and not has_controls and self._one_group_once(view):
            return [(ONE_GROUP_PRIORITY, "cross_sectional")]
        return []

    def _one_group_once(self, view: DocView) -> bool:
        """A prevalence or a record review ("the clinical records ... were retrospectively
        reviewed for 64 women") with no outcome read after it: one group, measured once."""
        found = next((s for s, _, c in view.cues if c == "one_group"), None)
        return found is not None and not any(h.type == "outcome" and h.start > found for h in view.mentions)

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
