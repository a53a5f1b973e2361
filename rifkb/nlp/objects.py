"""The object of a finding: the outcomes, or the condition, a clause reports on
(rifkb_findings_v1).

The clause's outcomes, not those of an opening setting ("In women with a clinical
pregnancy, ...") nor of the reference group of an association ("than in those who had a
live birth"); for an association, the condition (RIF, RPL, infertility) when no outcome is
named or named with one ("associated with RIF and pregnancy loss"), never the reference
group's ("compared to women with male factor infertility"). A clause with no outcome of
its own reports on those just named: the clause before, and for no difference, the
sentence before ("There were no significant differences in outcomes").
"""

from __future__ import annotations

import re

from rifkb.nlp import clauses as grammar
from rifkb.nlp.base import Hit
from rifkb.nlp.clauses import Clause
from rifkb.nlp.directions import Direction, directs
from rifkb.nlp.subjects import ClauseSubjects
from rifkb.nlp.text import phrase_before
from rifkb.rules import RuleSet

_GROUPS = re.compile(r"\b(?:outcomes?|groups?|arms?|cohorts?)\b")  # "no differences in outcomes"
# women grouped by an outcome ("in women who became pregnant than in those who did not"):
# what they are compared on is the clause's own, not the mechanism the study is about
_BY_OUTCOME = re.compile(r"\b(?:who|that)\s+(?:\w+\s+){0,2}$")


class ObjectReader:
    """Objects read with the rules' absence words and conditions."""

    def __init__(self, rules: RuleSet):
        # "no side-effects", "failed to become pregnant": the outcome is absent, not compared
        self.absent = phrase_before(rules.cues["absence"])
        self.conditions = rules.with_role("condition")

    def outcomes(self, text: str, clause: Clause) -> dict[str, Hit]:
        return {h.concept: h for h in clause.mentions if h.type == "outcome" and not self._absent(text, h)}

    def clause_objects(self, text: str, clause: Clause, subjects: ClauseSubjects, stated: Direction,
                       implied: tuple[dict[str, Hit], bool]) -> tuple[dict[str, Hit], bool]:  # fmt: skip
        """The clause's objects, and whether they are implied: named before it."""
        objects = self._objects(text, clause, subjects.kind or "", subjects.from_focus)
        if (
            objects
            or stated.direction != "no_difference"
            or any(h.type == "outcome" for h in clause.mentions)
        ):
            return (
                objects if directs(stated.cues, clause.effects) else _before_p(text, clause, objects)
            ), False
        if implied[1] or (subjects.kind == "treatment" and _GROUPS.search(text, clause.start, clause.end)):
            return implied[0], bool(implied[0])
        return {}, False

    def _objects(self, text: str, clause: Clause, kind: str, from_focus: bool) -> dict[str, Hit]:
        """Outcomes (and for an association, the condition: RIF, RPL, infertility, when the
        clause names no outcome or names it with one) the clause reports on, by where they
        are named: in the clause proper, then in its opening setting, then (a treatment's
        last resort) in the reference of a comparison. An outcome said to be absent is none."""
        setting = grammar.setting(text, clause.start, clause.end)
        references = grammar.references(text, clause.start, clause.end)

        def place(h: Hit) -> int:
            return 2 if grammar.inside(h.start, references) else int(h.start < setting)

        outcomes = [h for h in clause.mentions if h.type == "outcome" and not self._absent(text, h)]
        conditions = [
            h
            for h in clause.mentions
            if kind == "association" and not from_focus and h.concept in self.conditions
        ]
        tiers = [[h for h in outcomes if place(h) == 0], [h for h in conditions if place(h) == 0],
                 [h for h in outcomes if place(h) == 1], [h for h in conditions if place(h) == 1],
                 [h for h in outcomes if place(h) == 2 and kind == "treatment"]]  # fmt: skip
        chosen = next((tier for tier in tiers if tier), [])
        if chosen and chosen is tiers[0]:
            chosen = chosen + [
                c for c in tiers[1] if any(grammar.coordinated_hits(text, c, o) for o in chosen)
            ]
        objects: dict[str, Hit] = {}
        for h in sorted(chosen, key=lambda h: h.start):
            objects.setdefault(h.concept, h)
        return objects

    def _absent(self, text: str, h: Hit) -> bool:
        return bool(self.absent.search(text[max(0, h.start - 30) : h.start]))


def outcome_groups(text: str, clause: Clause, objects: dict[str, Hit]) -> bool:
    """Whether every object is the outcome women are grouped by ("higher in women who
    became pregnant than in those who did not")."""
    return bool(objects) and all(
        h.type == "outcome" and _BY_OUTCOME.search(text[max(clause.start, h.start - 30) : h.start])
        for h in objects.values()
    )


def _before_p(text: str, clause: Clause, objects: dict[str, Hit]) -> dict[str, Hit]:
    """The objects a p-value is about: the outcomes named last before it, with those listed
    with them ("a clinical pregnancy rate of 28%, with live-birth rates of 4/21 (19%) ...
    and 3/18 (17%) ... (P=0.59)" is about live birth)."""
    p = grammar.P.search(text, clause.start, clause.end) or grammar.P_NS.search(
        text, clause.start, clause.end
    )
    before = sorted((h for h in objects.values() if p and h.start < p.start()), key=lambda h: h.start)
    if not before:
        return objects
    chosen = [before[-1]]
    for h in reversed(before[:-1]):
        if grammar.coordinated_hits(text, h, chosen[-1]):
            chosen.append(h)
    return {h.concept: h for h in chosen}
