"""The direction of a finding and whether it is significant (rifkb_findings_v1).

- direction: a no-difference phrase ("no significant difference", "did not improve",
  "comparable") wins; else an increase or decrease word (negated, even words apart: no
  difference); else an association phrase ("associated with", positive); else the clause's
  effect estimate (above or below no effect) or its p-value (above 0.05 or "NS": no
  difference, about the outcomes named just before it);
- a direction word next to a mechanism belongs to that mechanism ("elevated pro-inflammatory
  cytokines"; "RIF patients with elevated Th1/Th2 ratios were recruited" is no result), and
  a low level turns an association around ("inadequate vitamin D ... associated with
  pregnancy loss" is a decrease); so does a result about the group without the subject
  ("lower rates ... without IVIG" is IVIG increasing them).

Sides of a comparison (rifkb.nlp.sides, with arms.Reader's groups): direction words said
of the comparator arm ("the abortion rate was significantly higher in the placebo group")
are turned for the treatment; with no direction word, the groups' values give it when the
clause says the difference is significant ("40% in the sildenafil group versus 22% in the
control group (p = 0.03)", "... were 37.5% and 16.7%, respectively").

Significance: "not significant" false, "significantly" or p <= 0.05 or an interval
excluding no effect true, otherwise unknown; a no-difference result is not significant.
"""

from __future__ import annotations

from dataclasses import dataclass

from rifkb.nlp import clauses as grammar
from rifkb.nlp import sides
from rifkb.nlp.arms import GroupRef
from rifkb.nlp.base import Hit
from rifkb.nlp.clauses import Clause
from rifkb.nlp.text import phrase_before
from rifkb.records import no_effect
from rifkb.rules import RuleSet

_DIRECTED = ("increase", "decrease", "no_difference", "not_significant", "association")


@dataclass(frozen=True)
class Direction:
    """The direction a clause states."""

    direction: str
    by_modifier: bool  # the mechanism's own direction word is the result
    local: dict[str, list[str]]  # mechanism -> the directions of the words describing it
    cues: list  # the clause's direction words that are results
    numeric: str | None = None  # read from the groups' values: the group of the treated side


class DirectionReader:
    """Directions read with the rules' negation words."""

    def __init__(self, rules: RuleSet):
        # "not improve", "failed to increase", "no overall significant improvement", "does not
        # appear to increase": a direction word negated is no difference
        self.negated_cue = phrase_before(rules.cues["negation"], 3)

    def clause_direction(self, text: str, clause: Clause, kind: str) -> Direction | None:
        """The direction a clause states, and the direction words describing its mechanisms."""
        modifiers = grammar.modifiers(text, clause.mentions, clause.cues)
        result_cues = [c for c in clause.cues if c not in modifiers]
        span = (clause.effects, clause.start, clause.end)
        direction, by_modifier = self._direction(text, result_cues, *span), False
        if direction is None and kind == "association":
            # "elevated uNK cells in RIF": the mechanism's own direction is the result
            own = [c for c in clause.cues if not modifiers.get(c, (None, False))[1]]
            direction, by_modifier = self._direction(text, own, *span), True
        if direction is None:
            return None
        local: dict[str, list[str]] = {}
        for (_, _, c), (described, _) in modifiers.items():
            for m in described:
                local.setdefault(m.concept, []).extend([c] if c not in local.get(m.concept, []) else [])
        return Direction(direction, by_modifier, local, result_cues)

    def _direction(self, text: str, cues: list, effects: list, start: int, end: int) -> str | None:
        kinds = [c for _, _, c in cues]
        if "no_difference" in kinds or "not_significant" in kinds:
            return "no_difference"
        for s, _, c in cues:
            if c in ("increase", "decrease"):
                negated = self.negated_cue.search(text[max(start, s - 40) : s])
                return "no_difference" if negated else c
        if "association" in kinds:
            return "increase"
        for effect in effects:
            if effect["ci_low"] is not None:
                null = no_effect(effect["measure"])
                if effect["ci_low"] <= null <= effect["ci_high"]:
                    return "no_difference"
                return "increase" if effect["value"] > null else "decrease"
        p = grammar.p_values(text[start:end])
        if p and min(p) > 0.05:
            return "no_difference"
        return None


def by_numbers(text: str, clause: Clause, treated: list[str], refs: list[GroupRef]) -> Direction | None:
    """The direction the groups' values state ("40% in the sildenafil group versus 22% in
    the control group (p = 0.03)"), when the clause says the difference is significant."""
    p = grammar.p_values(text[clause.start : clause.end])
    if not (p and min(p) <= 0.05) and not any(c == "significant" for _, _, c in clause.cues):
        return None
    found = sides.numeric_direction(text, refs, clause.start, clause.end, treated)
    return Direction(found[0], False, {}, [], numeric=found[1]) if found else None


def said_of_comparator(text: str, clause: Clause, refs: list[GroupRef], stated: Direction) -> bool:
    """Whether a clause's direction words are said of the comparator: "the abortion rate
    was significantly higher in the placebo group", "lower in fertile controls than in RIF"
    (the group named first outside the reference of the comparison)."""
    if stated.direction not in ("increase", "decrease") or not stated.cues:
        return False
    first = sides.first_side(text, refs, clause.start, clause.end)
    return first is not None and first.how == "control" and sides.control_side(first)


def pair_directions(stated: Direction, subject: str, mention: Hit, is_implied: bool,
                    negated: bool) -> list[str]:  # fmt: skip
    """The directions of one subject towards one object: the mechanism's own ("elevated
    pro-inflammatory cytokines, decreased anti-inflammatory cytokines" are both), else
    the direction word nearest the outcome, turned by a low level of the subject and by
    a result about the group without it (`negated`: subjects.SubjectReader.negated)."""
    own = stated.local.get(subject, [])
    if stated.numeric:  # already the treated side's, against the control side
        return [stated.direction]
    if stated.direction == "no_difference":
        directions = [stated.direction]
    elif stated.by_modifier:
        directions = own or [stated.direction]
    else:
        d = stated.direction if is_implied else (grammar.nearest(stated.cues, mention) or stated.direction)
        directions = [flip(d) if own[:1] == ["decrease"] else d]
    return [flip(d) if negated else d for d in directions]


def significance(text: str, cues: list, effects: list, start: int, end: int,
                 direction: str) -> bool | None:  # fmt: skip
    """Whether a result is significant: false when not or no difference, true by
    "significantly", p <= 0.05 or an interval excluding no effect; else unknown (None)."""
    kinds = {c for _, _, c in cues}
    if direction == "no_difference" or "not_significant" in kinds:
        return False
    p = grammar.p_values(text[start:end])
    if "significant" in kinds or (p and min(p) <= 0.05):
        return True
    excludes = [e for e in effects if e["ci_low"] is not None]
    if excludes:
        null = no_effect(excludes[0]["measure"])
        return not excludes[0]["ci_low"] <= null <= excludes[0]["ci_high"]
    return None


def directs(cues: list, effects: list) -> bool:
    """Whether a clause states its direction in words or estimates, not by a p-value alone."""
    return any(c in _DIRECTED for _, _, c in cues) or any(e["ci_low"] is not None for e in effects)


def says_not_significant(cues: list) -> bool:
    return any(c in ("not_significant", "no_difference") for _, _, c in cues)


def flip(direction: str) -> str:
    return {"increase": "decrease", "decrease": "increase"}.get(direction, direction)
