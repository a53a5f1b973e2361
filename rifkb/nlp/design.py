"""rifkb_design_v1: the study design, from publication types, the title and the text.

rules/designs.tsv is a decision list: its rules are read from the top and the first that
applies gives the design. A rule applies when its phrase is found where it says (a
publication type, the title, the abstract's own words, or either) and the abstract's
structure shows what its `when` asks. A phrase is ignored in a question, in a clause
calling for future work ("a randomized controlled trial is needed"), when it cites
another study ("the meta-analysis of Clark et al.") and when it names studies in the
plural ("limited data from randomized studies", "several observational studies"): other
people's designs. The structures a rule may ask for: a treatment studied in a count of
people with no comparison (`one_arm`); patients with a condition (or a failed treatment)
compared with controls and no treatment studied (`cases_vs_controls`); a prevalence or a
record review in one group that follows no outcome (`one_group_once`); a primary study, a
count of people or statistics (`primary`), and one of no treatment (`untreated`). With no rule that
applies, a primary study is a cohort and an abstract with no patients and no statistics a
narrative review.

Publication types come from `doc._.rifkb_publication_types` and the title's end from
`doc._.rifkb_title_end`, when the caller sets them. Written to `doc._.rifkb_design`.
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, RuleComponent, counted, extension, factory_config, set_extension
from rifkb.nlp.text import PhraseIndex, alternation
from rifkb.rules import RuleSet
from rifkb.rules.loader import ANY_WORDS

_CITED = re.compile(r"^\W*(?:of|by|from)\s+[A-Z][\w-]+\s+et\s+al", re.UNICODE)
_CLAUSE = 100  # characters: how far a call for future work reaches from a design phrase
_PREPOSITIONS = r"(?:of|in|on|with|for|from|by|to)\b"  # "meta-analysis of 11 studies" is this one
_CLAUSE_BREAK = re.compile(r"[,;:.]")
# a design said not to have been done: "Owing to heterogeneity, a meta-analysis was not
# performed", "no meta-analysis was possible"
_NOT_DONE = re.compile(
    r"\s+(?:was|were|could)\s+not\s+(?:be\s+)?"
    r"(?:performed|possible|feasible|conducted|undertaken|done|carried out)\b"
)
_NO_BEFORE = re.compile(r"\b(?:no|without|not\s+(?:perform|conduct|undertake|do))\s+(?:a\s+|any\s+)?$")
# "p <", "5%", "12/40": "\bp" and "\b\d" written as the set of their first characters, then
# the word start looked back at, so that re skips to those characters (see
# text.digits_not_after; ignoring case, a "p" opened no set it could skip to)
_STATISTICS = re.compile(
    r"[pP\d](?:(?<=[pP])(?<!\w[pP])\s*[<>=≤]|(?<=\d)\s*%|(?<=\d)(?<!\w\d)\d*\s*/\s*\d+\b)"
)


class DesignClassifier(RuleComponent):
    needs = ("sentences", "mentions", "cues", "counts")

    def compile(self, rules: RuleSet) -> None:
        # the decision list as it is read, each rule's phrase lower-cased once (None: any
        # words); an abstract goes through ~90 rules before the one that applies
        self.decisions = [(r, r.when, None if r.phrase == ANY_WORDS else r.phrase.lower(), r.where)
                          for r in rules.designs]  # fmt: skip
        phrases = {phrase for _, _, phrase, where in self.decisions if phrase and where != "pubtype"}
        self.phrases = PhraseIndex(((p, p) for p in sorted(phrases)), keep_case=False, plural=False)
        self.conditions, self.controls = rules.with_role("condition"), rules.with_role("control")
        # "randomized studies", "cohort studies", "randomized controlled trials": other
        # people's studies (or a review's included ones), not the design of this one
        studies = alternation(rules.nouns["study"])
        self.others = re.compile(rf"(?:[\s-]+(?!{_PREPOSITIONS})[a-z][\w-]*){{0,2}}?\s+(?:{studies})\b")

    def read(self, doc: Doc, view: DocView) -> None:
        found = self._found(doc, view)
        structure = self._structure(doc, view)
        chosen = next(
            (r for r, when, phrase, where in self.decisions
             if (not when or structure[when]) and (phrase is None or phrase in found[where])),
            None,
        )  # fmt: skip
        set_extension(doc, "rifkb_design", chosen.design if chosen else self._default(doc, view))

    def _found(self, doc: Doc, view: DocView) -> dict[str, set[str]]:
        """The phrases found, by where: publication types, the title, the methods (the
        abstract's own words), the text (title or methods)."""
        types = extension(doc, "rifkb_publication_types") or ()
        found: dict[str, set[str]] = {"pubtype": {t.lower() for t in types}, "title": set(), "methods": set()}
        for m in self.phrases.finditer(view.lower):
            if not self._ignored(view, m.start, m.end):
                found["title" if m.start < view.title_end else "methods"].update(m.payloads)
        found["text"] = found["title"] | found["methods"]
        return found

    def _ignored(self, view: DocView, start: int, end: int) -> bool:
        # (a title's phrase reads on to the title's end only: "…: a systematic review" is
        # not "review eleven studies")
        if _CITED.match(view.text[end : end + 40]) or self.others.match(
            view.lower, end, view.title_end if end <= view.title_end else len(view.lower)
        ):
            return True
        if _NOT_DONE.match(view.lower, end) or _NO_BEFORE.search(view.lower, max(0, start - 24), start):
            return True  # "a meta-analysis was not performed", "no meta-analysis": not this study's
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

    def _structure(self, doc: Doc, view: DocView) -> dict[str, bool]:
        """What the abstract's structure shows, by the names designs.tsv's `when` uses."""
        concepts = {h.concept for h in view.mentions}
        found = {c for _, _, c in view.cues}
        has_controls = bool(concepts & self.controls) or "control_group" in found
        compares = has_controls or "comparison" in found
        primary = counted(doc, "sample_size") is not None
        treats = self._about_intervention(view)
        # patients with a condition (named, or failed treatment: "women with IVF failure")
        condition = bool(concepts & self.conditions) or "failure" in found
        reports = primary or bool(_STATISTICS.search(view.text))
        structure = {
            "primary": reports,
            "untreated": reports and not treats,
            "one_arm": treats and primary and not compares,
            "cases_vs_controls": not treats and has_controls and condition,
            "one_group_once": primary and not treats and not has_controls and self._one_group_once(view),
        }
        return structure

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
        primary = counted(doc, "sample_size") is not None or _STATISTICS.search(view.text)
        return "cohort" if primary else "review"


@Language.factory(
    "rifkb_design_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans", "doc._.rifkb_cues", "doc._.rifkb_counts"],
    assigns=["doc._.rifkb_design"],
)  # fmt: skip
def make_design(nlp: Language, name: str, rules_dir: str | None) -> DesignClassifier:
    return DesignClassifier(name, rules_dir)
