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
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.concepts import Hit
from rifkb.nlp.context import compiled_rules, cue_hits, folded, register_extensions

_ASSOCIATION_OBJECTS = ("rif", "rpl", "infertility")
_P = re.compile(r"\bp\s*(?:value\s*)?([<>=≤≥]+)\s*(\d*\.\d+|\d)", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r";|,?\s+\b(?:but|whereas|while)\b|\bhowever\b", re.IGNORECASE)


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


class FindingReader:
    def __init__(self, rules_dir: str | None):
        register_extensions()
        self.compiled = compiled_rules(rules_dir)
        self.cues = self.compiled.rules.cues

    def __call__(self, doc: Doc) -> Doc:
        text = folded(doc).lower
        cues = cue_hits(doc, self.compiled)
        focus = self._focus(doc)
        results: dict[tuple, Result] = {}
        for start, end in doc._.rifkb_sentences:
            if self._states_aim(cues, start, end) or text[start:end].rstrip().endswith("?"):
                continue
            for result in self._sentence(doc, text, cues, start, end, focus):
                results.setdefault((result.kind, result.subject, result.object, result.direction), result)
        doc._.rifkb_findings = list(results.values())
        return doc

    def _states_aim(self, cues: list, start: int, end: int) -> bool:
        return any(c in ("aim", "need") and start <= s < end for s, _, c in cues)

    def _focus(self, doc: Doc) -> dict[str, list[str]]:
        """Subjects of a result sentence that names none: the title's, else the most named."""
        mentions = doc._.rifkb_mentions or []
        title_end = doc._.rifkb_title_end or 0
        focus = {}
        for ctype in ("intervention", "mechanism"):
            titled = _unique(h.concept for h in mentions if h.type == ctype and h.start < title_end)
            counts = Counter(h.concept for h in mentions if h.type == ctype)
            focus[ctype] = titled or ([counts.most_common(1)[0][0]] if counts else [])
        return focus

    def _sentence(self, doc: Doc, text: str, cues: list, start: int, end: int,
                  focus: dict[str, list[str]]) -> list[Result]:  # fmt: skip
        mentions = [h for h in doc._.rifkb_mentions or [] if start <= h.start < end]
        effects = [e for e in doc._.rifkb_effects or [] if start <= e.start < end]
        sentence_subjects = _subjects(mentions)
        results = []
        for c_start, c_end in _clauses(text, start, end):
            clause_mentions = [h for h in mentions if c_start <= h.start < c_end]
            clause_cues = [(s, e, c) for s, e, c in cues if c_start <= s < c_end]
            clause_effects = [e for e in effects if c_start <= e.start < c_end]
            subjects = _subjects(clause_mentions) or sentence_subjects or _focus_subjects(focus)
            results += self._clause(text, c_start, c_end, clause_mentions, clause_cues,
                                    clause_effects, subjects)  # fmt: skip
        return results

    def _clause(self, text: str, start: int, end: int, mentions: list[Hit], cues: list,
                effects: list, subjects: tuple[str, list[str]] | None) -> list[Result]:  # fmt: skip
        if subjects is None:
            return []
        kind, subject_ids = subjects
        objects = {h.concept: h for h in reversed(mentions) if h.type == "outcome"}
        by_population = kind == "association" and not objects
        if by_population:
            objects = {h.concept: h for h in reversed(mentions) if h.concept in _ASSOCIATION_OBJECTS}
        if not objects:
            return []
        direction = self._direction(text, cues, effects, start, end)
        if direction is None:
            return []
        significant = self._significance(text, cues, effects, start, end, direction)
        hedged = any(c == "hedge" for _, _, c in cues)
        local = self._local_directions(text, mentions, cues) if by_population else {}
        results = []
        for o, mention in reversed(objects.items()):
            towards = direction if direction == "no_difference" else _nearest(cues, mention) or direction
            for s in subject_ids:
                if s != o:
                    results.append(Result(kind, s, o, local.get(s, towards), significant, hedged, start, end))
        return results

    def _direction(self, text: str, cues: list, effects: list, start: int, end: int) -> str | None:
        kinds = [c for _, _, c in cues]
        if "no_difference" in kinds or "not_significant" in kinds:
            return "no_difference"
        for s, _, c in cues:
            if c in ("increase", "decrease"):
                negated = re.search(r"\b(?:not|no|without)\s+(?:\w+\s+)?$", text[max(start, s - 20) : s])
                return "no_difference" if negated else c
        if "association" in kinds:
            return "increase"
        for effect in effects:
            if effect.ci_low is not None:
                null = 0.0 if effect.measure in ("RD", "MD", "SMD") else 1.0
                if effect.ci_low <= null <= effect.ci_high:
                    return "no_difference"
                return "increase" if effect.value > null else "decrease"
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
        excludes = [e for e in effects if e.ci_low is not None]
        if excludes:
            null = 0.0 if excludes[0].measure in ("RD", "MD", "SMD") else 1.0
            return not excludes[0].ci_low <= null <= excludes[0].ci_high
        return None

    def _local_directions(self, text: str, mentions: list[Hit], cues: list) -> dict[str, str]:
        """'elevated X', 'decreased Y', 'X ... was significantly higher': per mechanism."""
        local: dict[str, str] = {}
        for h in mentions:
            if h.type != "mechanism":
                continue
            near = [(abs(s - h.start if s < h.start else s - h.end), c) for s, _, c in cues
                    if c in ("increase", "decrease") and -25 < s - h.start < 0
                    or c in ("increase", "decrease") and 0 <= s - h.end < 40]  # fmt: skip
            if near:
                local.setdefault(h.concept, min(near)[1])
        return local


def _nearest(cues: list, mention: Hit) -> str | None:
    """The increase/decrease word closest to an outcome ("lower live birth rates"); one
    before the outcome is preferred to one after it at the same distance."""
    near = [
        (mention.start - e if e <= mention.start else s - mention.end + 1, c)
        for s, e, c in cues
        if c in ("increase", "decrease")
    ]
    return min(near)[1] if near else None


def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [start] + [m.start() for m in _CLAUSE_BREAK.finditer(text, start, end)] + [end]
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if b > a]


def _subjects(mentions: list[Hit]) -> tuple[str, list[str]] | None:
    interventions = _unique(h.concept for h in mentions if h.type == "intervention")
    if interventions:
        return "treatment", interventions
    mechanisms = _unique(h.concept for h in mentions if h.type == "mechanism")
    return ("association", mechanisms) if mechanisms else None


def _focus_subjects(focus: dict[str, list[str]]) -> tuple[str, list[str]] | None:
    if focus["intervention"]:
        return "treatment", focus["intervention"]
    if focus["mechanism"]:
        return "association", focus["mechanism"]
    return None


def _p_values(text: str) -> list[float]:
    values = []
    for rel, value in _P.findall(text):
        number = float(value)
        values.append(number + (1e-9 if ">" in rel else 0.0))
    return values


def _unique(items) -> list[str]:  # noqa: ANN001 - any iterable of ids
    return list(dict.fromkeys(items))


@Language.factory("rifkb_findings_v1", default_config={"rules_dir": None})
def make_findings(nlp: Language, name: str, rules_dir: str | None) -> FindingReader:
    return FindingReader(rules_dir)
