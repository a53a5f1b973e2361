"""rifkb_findings_v1: directional results, one per subject, object and direction.

What is not a result of the study is skipped: a sentence stating an aim, a purpose ("To
improve ..."), a question, others' work ("Several studies suggested ...") or a gap in
knowledge, and every sentence under a BACKGROUND or OBJECTIVE heading. The rest are cut
into clauses (rifkb.nlp.clauses). In each clause:

- direction: what it states in words, estimates or p-values, and of which side of a
  comparison; and whether it is significant (rifkb.nlp.directions);
- subject: the labelled group, the factor compared, the treatments or mechanisms it names,
  else those of its sentence or the study's focus (rifkb.nlp.subjects);
- objects: its outcomes, or for an association the condition, else those just named
  (rifkb.nlp.objects).

A result about the group defined by a low level ("Low group ... higher than High group")
is turned around. A finding the groups' study-data numbers contradict is a warning
(rifkb.nlp.verdicts).

A hedged increase or decrease with nothing measured ("may improve pregnancy rate", no
p-value, no interval, not "significantly") is a speculation, not a result.

A result stated twice keeps the statement that says whether it is significant; one about
"pregnancy outcomes" as a whole stands only when the abstract has no specific result.

Written to `doc._.rifkb_findings`: dicts (kind, subject, object, direction, significant,
hedged, start, end, rule), one per (kind, subject, object, direction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp import clauses as grammar
from rifkb.nlp.arms import GroupRef, Reader
from rifkb.nlp.base import DocView, Hit, RuleComponent, extension, factory_config, set_extension
from rifkb.nlp.clauses import Clause, Located, Subjects
from rifkb.nlp.directions import (
    DirectionReader,
    by_numbers,
    flip,
    pair_directions,
    said_of_comparator,
    says_not_significant,
    significance,
)
from rifkb.nlp.objects import ObjectReader, outcome_groups
from rifkb.nlp.subjects import ClauseSubjects, SubjectReader, clause_subjects, pairs, study_focus, subjects_of
from rifkb.nlp.text import alternation, words_at_start
from rifkb.nlp.verdicts import disagreements
from rifkb.rules import RuleSet

# "pregnancy outcomes" as a whole (not "neonatal outcomes", an outcome of its own)
_UMBRELLA = re.compile(r"\bpregnancy outcomes?\b")


@dataclass(frozen=True)
class Result:
    kind: str
    subject: str
    object: str
    direction: str
    significant: bool | None
    hedged: bool
    start: int
    end: int
    umbrella: bool = False  # about "pregnancy outcomes" as a whole, not one outcome

    def to_json(self) -> dict[str, Any]:
        names = ("kind", "subject", "object", "direction", "significant", "hedged", "start", "end")
        return {**{name: getattr(self, name) for name in names}, "rule": "rifkb_findings_v1"}


@dataclass(frozen=True)
class _Study:
    """What every sentence of an abstract is read with: the study's focus, its labelled
    groups, and its mentions, cues and effect estimates by position."""

    focus: Subjects | None
    legend: grammar.Legend
    mentions: Located[Hit]
    cues: Located[tuple]
    effects: Located[dict]
    refs: list[GroupRef]  # which text names which group (arms.Reader), for the sides of a comparison


class FindingReader(RuleComponent):
    needs = ("sentences", "mentions", "cues", "effects", "study_data")

    def compile(self, rules: RuleSet) -> None:
        self.direction_reader = DirectionReader(rules)
        self.subject_reader = SubjectReader(rules)
        self.object_reader = ObjectReader(rules)
        contrast = "|".join(map(re.escape, rules.cues["contrast"]))
        contrast_words = words_at_start(rules.cues["contrast"], after=r"\b")  # each "\bbut\b"
        self.clause_break = re.compile(rf";(?!\s*{grammar.STATISTIC})|{contrast_words}")
        self.contrast_word = re.compile(rf"(?:{contrast})\b")
        self.conditions = rules.with_role("condition")
        self.controls = rules.with_role("control")
        self.people = alternation(rules.nouns["participant"])

    def read(self, doc: Doc, view: DocView) -> None:
        text, study = view.lower, self._study(doc, view)
        results: dict[tuple, Result] = {}
        named: dict[str, Hit] = {}  # the outcomes the last sentence reported on
        sentences = view.sentences
        for (start, end), background in zip(
            sentences, grammar.in_background(text, view.text, sentences), strict=True
        ):
            if background or self._no_result(text, study.cues.within(start, end), start, end):
                named = {}
                continue
            found, named = self._sentence(text, (start, end), study, named)
            for result in found:
                key = (result.kind, result.subject, result.object, result.direction)
                if key not in results or _better(result, results[key]):
                    results[key] = result
        found = [r.to_json() for r in _without_restatements(list(results.values()))]
        set_extension(doc, "rifkb_findings", found)
        set_extension(doc, "rifkb_warnings", disagreements(found, extension(doc, "rifkb_study_data") or []))

    def _study(self, doc: Doc, view: DocView) -> _Study:
        mentions = Located(view.mentions, lambda h: h.start)

        def defining(start: int, end: int, ctype: str | None) -> Subjects | None:
            hits = [h for h in mentions.within(start, end) if ctype is None or h.type == ctype]
            return self.subject_reader.defining(view.lower, hits)

        legend = grammar.legend(view.lower, view.sentence_of, defining)
        cues = Located(view.cues, lambda c: c[0])
        refs = Reader(view, self.controls, self.conditions, self.people).references()
        effects = Located(extension(doc, "rifkb_effects"), lambda e: e["start"])
        return _Study(study_focus(view), legend, mentions, cues, effects, refs)

    def _no_result(self, text: str, cues: list, start: int, end: int) -> bool:
        """An aim, others' work, a gap in knowledge, a purpose or a question."""
        return (
            any(c in ("aim", "need") for _, _, c in cues)
            or bool(grammar.PURPOSE.match(text, start, end))
            or text[start:end].rstrip().endswith("?")
        )

    def _sentence(self, text: str, span: tuple[int, int], study: _Study,
                  before: dict[str, Hit]) -> tuple[list[Result], dict[str, Hit]]:  # fmt: skip
        """The results of one sentence, clause by clause, and the outcomes it named. A
        clause that names no outcome reports on those of the clause before it ("higher in
        women over 36, while no difference was found in younger women"); a no-difference
        clause also on those of the sentence before ("There were no significant differences
        in outcomes in FETs")."""
        sentence_subjects = subjects_of(study.mentions.within(*span))
        results: list[Result] = []
        previous: list[Result] = []
        implied = (before, False)
        for c_start, c_end in grammar.clauses(text, *span, self.clause_break, self.contrast_word):
            clause = Clause(c_start, c_end, study.mentions.within(c_start, c_end),
                            study.cues.within(c_start, c_end),
                            study.effects.within(c_start, c_end))  # fmt: skip
            if (
                previous
                and says_not_significant(clause.cues)
                and not self.object_reader.outcomes(text, clause)
            ):
                # "higher in the PRP group; however, the difference was not significant"
                results = [r for r in results if r not in previous]
                found = [replace(r, direction="no_difference", significant=False) for r in previous]
            elif not clause.cues and not clause.effects and not grammar.P.search(text, c_start, c_end):
                found = []  # no word, estimate or p-value in it states a direction (directions)
            else:
                subjects, level = clause_subjects(text, clause, sentence_subjects, study.legend, study.focus)
                found = self._clause(text, clause, subjects, study, implied)
                if level == "decrease":  # "Low group ... higher than High group"
                    found = [replace(r, direction=flip(r.direction)) for r in found]
            results += found
            previous = found
            named = self.object_reader.outcomes(text, clause)
            implied = (named, True) if named else implied
        return results, implied[0] if implied[1] else {}

    def _clause(self, text: str, clause: Clause, subjects: ClauseSubjects, study: _Study,
                implied: tuple[dict[str, Hit], bool]) -> list[Result]:  # fmt: skip
        if subjects.kind is None:
            return []
        stated = self.direction_reader.clause_direction(text, clause, subjects.kind) or by_numbers(
            text, clause, subjects.ids, study.refs
        )
        if stated is None:
            return []
        objects, is_implied = self.object_reader.clause_objects(text, clause, subjects, stated, implied)
        if subjects.kind == "association" and subjects.from_focus and outcome_groups(text, clause, objects):
            return []  # "embryos ... higher in women who became pregnant than in those who did not"
        significant = significance(text, clause.cues, clause.effects, clause.start, clause.end,
                                   stated.direction)  # fmt: skip
        hedged = any(c == "hedge" for _, _, c in clause.cues)
        if hedged and significant is None and stated.direction != "no_difference":
            return []  # "may improve pregnancy rate", with nothing measured: a speculation
        results = []
        side = said_of_comparator(text, clause, study.refs, stated)
        for s, o, mention in pairs(text, clause, subjects, stated, study.focus, objects):
            if stated.numeric and subjects.kind == "association" and o != stated.numeric:
                continue  # numbers of "RIF and control groups" are about RIF, not another outcome
            negated = self.subject_reader.negated(text, clause, s)  # the group without the subject
            for d in pair_directions(stated, s, mention, is_implied, negated):
                if side and (subjects.kind == "treatment" or o in self.conditions):
                    d = d if negated else flip(d)
                umbrella = bool(_UMBRELLA.search(text, mention.start, mention.end))
                results.append(
                    Result(subjects.kind, s, o, d, significant, hedged, clause.start, clause.end, umbrella)
                )
        return results


def _better(new: Result, old: Result) -> bool:
    """Of two statements of one result, the one about the outcome itself rather than
    "pregnancy outcomes", then the one that says whether it is significant (a title's
    "IVIG increased live birth" and the results' "higher live birth rate (p < 0.001)")."""
    return (new.umbrella, new.significant is None) < (old.umbrella, old.significant is None)


def _without_restatements(results: list[Result]) -> list[Result]:
    """A result about "pregnancy outcomes" as a whole restates the specific results of the
    abstract ("tacrolimus improved pregnancy outcome" after higher clinical pregnancy and
    live birth rates); it stands only in an abstract with no specific result."""
    if all(r.umbrella for r in results):
        return results
    return [r for r in results if not r.umbrella]


@Language.factory(
    "rifkb_findings_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans", "doc._.rifkb_cues", "doc._.rifkb_effects",
              "doc._.rifkb_study_data"],
    assigns=["doc._.rifkb_findings", "doc._.rifkb_warnings"],
)  # fmt: skip
def make_findings(nlp: Language, name: str, rules_dir: str | None) -> FindingReader:
    return FindingReader(name, rules_dir)
