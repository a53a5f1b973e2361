"""rifkb_findings_v1: directional results, one per subject, object and direction.

A sentence stating an aim or a question states no result and is skipped. The rest are
cut into clauses at contrast words ("G-CSF may increase chemical pregnancy ... but
clinical pregnancy rate ... was unaffected"). In each clause:

- direction: a no-difference phrase ("no significant difference", "did not improve",
  "comparable") wins; else an increase or decrease word (negated: no difference); else an
  association phrase ("associated with", positive); else the clause's effect estimate
  (above or below no effect) or its p-value (above 0.05: no difference);
- subject: the clause's interventions (treatment) or else its mechanisms (association);
  with none, those of the sentence, then of the title, then the abstract's most named;
- objects: the clause's outcomes; for an association with no outcome, RIF, RPL or
  infertility ("elevated uNK cells in RIF");
- a direction word next to a mechanism belongs to that mechanism ("elevated
  pro-inflammatory cytokines, decreased anti-inflammatory cytokines").

Significance: "not significant" false, "significantly" or p <= 0.05 or an interval
excluding no effect true, otherwise unknown; a no-difference result is not significant.

Written to `doc._.rifkb_findings`: dicts (kind, subject, object, direction, significant,
hedged, start, end, rule), one per (kind, subject, object, direction).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import asdict, dataclass, replace
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, Hit, RuleComponent, factory_config
from rifkb.records import no_effect
from rifkb.rules import RuleSet

_P = re.compile(r"\bp\s*(?:value\s*)?([<>=≤≥]+)\s*(\d*\.\d+|\d)", re.IGNORECASE)
_PREDICATE_GAP = re.compile(r"^[^\w]*(?:\w+\s+){0,3}?(?:was|were|is|are)(?:\s+\w+ly)*\s+$")


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

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "rule": "rifkb_findings_v1"}


class FindingReader(RuleComponent):
    needs = ("sentences", "mentions", "cues", "effects")

    def compile(self, rules: RuleSet) -> None:
        def before(category: str) -> re.Pattern[str]:  # a cue, then at most one word, then here
            words = "|".join(sorted(map(re.escape, rules.cues[category]), key=len, reverse=True))
            return re.compile(rf"\b(?:{words})\s+(?:\w+\s+)?$")

        # "not improve", "failed to increase": a direction word negated is no difference
        self.negated_cue = before("negation")
        # "no side-effects", "failed to become pregnant": the outcome is absent, not compared
        self.absent = before("absence")
        contrast = "|".join(map(re.escape, rules.cues["contrast"]))
        self.clause_break = re.compile(rf";|,?\s*\b(?:{contrast})\b")
        self.conditions = rules.with_role("condition")

    def read(self, doc: Doc, view: DocView) -> None:
        text, cues = view.lower, view.cues
        focus = self._focus(view)
        results: dict[tuple, Result] = {}
        for start, end in view.sentences:
            if self._states_aim(cues, start, end) or text[start:end].rstrip().endswith("?"):
                continue
            for result in self._sentence(doc, view, start, end, focus):
                results.setdefault((result.kind, result.subject, result.object, result.direction), result)
        doc._.rifkb_findings = [r.to_json() for r in results.values()]

    def _states_aim(self, cues: list, start: int, end: int) -> bool:
        return any(c in ("aim", "need") and start <= s < end for s, _, c in cues)

    def _focus(self, view: DocView) -> tuple[str, list[str]] | None:
        """What the study is about: what its title names (interventions first), else the
        intervention, else the mechanism, the abstract names most."""
        mentions = view.mentions
        titled = _subjects([h for h in mentions if h.start < view.title_end])
        if titled:
            return titled
        for ctype, kind in (("intervention", "treatment"), ("mechanism", "association")):
            counts = Counter(h.concept for h in mentions if h.type == ctype)
            if counts:
                return kind, [counts.most_common(1)[0][0]]
        return None

    def _sentence(self, doc: Doc, view: DocView, start: int, end: int,
                  focus: tuple[str, list[str]] | None) -> list[Result]:  # fmt: skip
        text, cues = view.lower, view.cues
        mentions = [h for h in view.mentions if start <= h.start < end]
        effects = [e for e in doc._.rifkb_effects if start <= e["start"] < end]
        sentence_subjects = _subjects(mentions)
        results: list[Result] = []
        previous: list[Result] = []
        for c_start, c_end in self._clauses(text, start, end):
            clause = _Clause(c_start, c_end, [h for h in mentions if c_start <= h.start < c_end],
                             [(s, e, c) for s, e, c in cues if c_start <= s < c_end],
                             [e for e in effects if c_start <= e["start"] < c_end])  # fmt: skip
            own = _subjects(clause.mentions) or sentence_subjects
            found = self._clause(text, clause, _prefer(own, focus) if own else focus, own is None)
            if not found and previous and _says_not_significant(clause.cues):
                # "higher in the PRP group; however, the difference was not significant"
                results = [r for r in results if r not in previous]
                found = [replace(r, direction="no_difference", significant=False) for r in previous]
            results += found
            previous = found
        return results

    def _clause(self, text: str, clause: _Clause, subjects: tuple[str, list[str]] | None,
                from_focus: bool) -> list[Result]:  # fmt: skip
        if subjects is None:
            return []
        kind, subject_ids = subjects
        objects = self._objects(text, clause.mentions, kind == "association" and not from_focus)
        if not objects:
            return []
        modifiers = _modifiers(text, clause.mentions, clause.cues)
        result_cues = [c for c in clause.cues if c not in modifiers]
        span = (clause.effects, clause.start, clause.end)
        direction = self._direction(text, result_cues, *span) or self._direction(text, clause.cues, *span)
        if direction is None:
            return []
        significant = self._significance(
            text, clause.cues, clause.effects, clause.start, clause.end, direction
        )
        hedged = any(c == "hedge" for _, _, c in clause.cues)
        local = {m.concept: c for c, m in modifiers.items()}
        results = []
        for o, mention in objects.items():
            if direction == "no_difference":
                towards = direction
            elif mention.type == "outcome":
                towards = _nearest(result_cues, mention) or direction
            else:  # "elevated uNK cells in RIF": the direction is the mechanism's own
                towards = None
            for s in subject_ids:
                if s != o:
                    d = towards or local.get(s, (None, None, direction))[2]
                    results.append(Result(kind, s, o, d, significant, hedged, clause.start, clause.end))
        return results

    def _objects(self, text: str, mentions: list[Hit], with_populations: bool) -> dict[str, Hit]:
        """Outcomes (and for an association, the condition: RIF, RPL, infertility) the
        clause reports on; an outcome said to be absent is none."""
        objects: dict[str, Hit] = {}
        for h in mentions:
            if h.type == "outcome":
                if not self.absent.search(text[max(0, h.start - 30) : h.start]):
                    objects.setdefault(h.concept, h)
            elif with_populations and h.concept in self.conditions:
                objects.setdefault(h.concept, h)
        return objects

    def _clauses(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """A sentence cut at ';' and at contrast words ("but", "whereas", "however")."""
        cuts = [start] + [m.start() for m in self.clause_break.finditer(text, start, end)] + [end]
        return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]

    def _direction(self, text: str, cues: list, effects: list, start: int, end: int) -> str | None:
        kinds = [c for _, _, c in cues]
        if "no_difference" in kinds or "not_significant" in kinds:
            return "no_difference"
        for s, _, c in cues:
            if c in ("increase", "decrease"):
                negated = self.negated_cue.search(text[max(start, s - 20) : s])
                return "no_difference" if negated else c
        if "association" in kinds:
            return "increase"
        for effect in effects:
            if effect["ci_low"] is not None:
                null = no_effect(effect["measure"])
                if effect["ci_low"] <= null <= effect["ci_high"]:
                    return "no_difference"
                return "increase" if effect["value"] > null else "decrease"
        p = _p_values(text[start:end])
        if p and min(p) > 0.05:
            return "no_difference"
        return None

    def _significance(self, text: str, cues: list, effects: list, start: int, end: int,
                      direction: str) -> bool | None:  # fmt: skip
        kinds = {c for _, _, c in cues}
        if direction == "no_difference" or "not_significant" in kinds:
            return False
        p = _p_values(text[start:end])
        if "significant" in kinds or (p and min(p) <= 0.05):
            return True
        excludes = [e for e in effects if e["ci_low"] is not None]
        if excludes:
            null = no_effect(excludes[0]["measure"])
            return not excludes[0]["ci_low"] <= null <= excludes[0]["ci_high"]
        return None


@dataclass(frozen=True)
class _Clause:
    start: int
    end: int
    mentions: list[Hit]
    cues: list
    effects: list


def _modifiers(text: str, mentions: list[Hit], cues: list) -> dict[tuple, Hit]:
    """Direction words that describe a mechanism rather than a result: before it
    ('elevated Th1/Th2 ratios') or as its predicate ('uNK cells was significantly higher')."""
    found = {}
    for cue in cues:
        s, e, c = cue
        if c not in ("increase", "decrease"):
            continue
        for h in mentions:
            before = 0 <= h.start - e <= 15
            predicate = 0 <= s - h.end <= 40 and _PREDICATE_GAP.match(text[h.end : s])
            if h.type == "mechanism" and (before or predicate):
                found[cue] = h
                break
    return found


def _says_not_significant(cues: list) -> bool:
    return any(c in ("not_significant", "no_difference") for _, _, c in cues)


def _prefer(own: tuple[str, list[str]] | None, focus: tuple[str, list[str]] | None):  # noqa: ANN202
    """Of several subjects in one clause, those the study is about ('HCQ + prednisone
    versus prednisone alone' in a study of hydroxychloroquine)."""
    if own is None or focus is None or own[0] != focus[0] or len(own[1]) < 2:
        return own
    chosen = [s for s in own[1] if s in focus[1]]
    return (own[0], chosen) if chosen else own


def _nearest(cues: list, mention: Hit) -> str | None:
    """The increase/decrease word closest to an outcome ("lower live birth rates"); one
    before the outcome is preferred to one after it at the same distance."""
    near = [
        (mention.start - e if e <= mention.start else s - mention.end + 1, c)
        for s, e, c in cues
        if c in ("increase", "decrease")
    ]
    return min(near)[1] if near else None


def _subjects(mentions: list[Hit]) -> tuple[str, list[str]] | None:
    interventions = _unique(h.concept for h in mentions if h.type == "intervention")
    if interventions:
        return "treatment", interventions
    mechanisms = _unique(h.concept for h in mentions if h.type == "mechanism")
    return ("association", mechanisms) if mechanisms else None


def _p_values(text: str) -> list[float]:
    values = []
    for rel, value in _P.findall(text):
        number = float(value)
        values.append(number + (1e-9 if ">" in rel else 0.0))
    return values


def _unique(items) -> list[str]:  # noqa: ANN001 - any iterable of ids
    return list(dict.fromkeys(items))


@Language.factory(
    "rifkb_findings_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans", "doc._.rifkb_cues", "doc._.rifkb_effects"],
    assigns=["doc._.rifkb_findings"],
)  # fmt: skip
def make_findings(nlp: Language, name: str, rules_dir: str | None) -> FindingReader:
    return FindingReader(name, rules_dir)
