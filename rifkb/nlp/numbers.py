"""rifkb_numbers_v1: effect estimates and event rates.

Effect estimates start at a measure name (rules/measures.tsv) and read, in the
notations abstracts use: `OR 3.64; 95% CI 1.78-7.67`, `OR = 1.82, 95% CI = 1.14-2.89`,
`(Odds Ratio (OR): 2.97, 2.05–4.29)`, `RR 1.23 [0.98, 1.54]`, `RR = 2.5 (1.23-5.16 CI)`,
`mean difference: 1.14 CI 95% -0.0 to 2.28`, `the adjusted odds ratio for clinical
pregnancy ... was 3.1 (1.02-9.70 95% CI)`. Each estimate is attributed to the outcome
named closest before it, looking no further back than the previous estimate.

Event rates are `n/N` counts; dates (01/2014), decimals (2.6/4 min), ratios written
with ':' and counts larger than their total are not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.context import compiled_rules, cue_hits, folded, register_extensions, sentence_of
from rifkb.rules import MeasureName

_NUM = r"-?\s?(?:\d+(?:\.\d+)?|\.\d+)"
_BRACKETED_ABBREVIATION = re.compile(r"\s*[\(\[][A-Za-z]{1,5}s?[\)\]]")
_LINK = re.compile(rf"\s*[:=,]?\s*(?:(?:was|were|is|of)\s+)?[:=]?\s*(?P<value>{_NUM})(?![\d/])")
_LONG_LINK = re.compile(
    rf"\s+(?:for|of|in|between|with|among|regarding)\b[^\d;.]{{0,110}}?\b(?:was|were|is)\s+"
    rf"(?P<value>{_NUM})(?![\d/])"
)
_CI_LABEL = r"(?:95\s*%\s*(?:CI|confidence intervals?)|CI\s*95\s*%|95\s*%\s*CI|CI|confidence intervals?)"
_CI = re.compile(
    rf"\s*%?\s*[,;]?\s*(?P<open>[\(\[])?\s*(?P<label>{_CI_LABEL})?\s*(?:\[CI\])?\s*[:=,]?\s*"
    rf"(?P<low>{_NUM})\s*%?\s*(?:-|to|,|;)\s*(?P<high>{_NUM})\s*%?(?P<after>\s*(?:95\s*%\s*)?CI)?",
    re.IGNORECASE,
)
_P_AFTER = re.compile(
    r"^[\s%\)\]]*[,;]?\s*[\(\[]?\s*p(?:\s*value)?\s*(?P<rel>[<>=≤≥]+)\s*(?P<p>\d*\.\d+|\d)", re.I
)
_P_BEFORE = re.compile(r"p\s*(?P<rel>[<>=≤≥]+)\s*(?P<p>\d*\.\d+|\d)\W{0,6}$", re.I)
_EVENT_RATE = re.compile(r"(?<![\w.,/])(\d{1,6})\s?/\s?(\d{1,6})(?![\w/]|\.\d|\s?%)")


@dataclass(frozen=True)
class Effect:
    measure: str
    value: float
    ci_low: float | None
    ci_high: float | None
    p: str | None
    outcome: str | None
    adjusted: bool
    start: int
    end: int
    rule: str


@dataclass(frozen=True)
class Rate:
    events: int
    total: int
    outcome: str | None
    start: int
    end: int


class NumberReader:
    def __init__(self, rules_dir: str | None):
        register_extensions()
        self.compiled = compiled_rules(rules_dir)

    def __call__(self, doc: Doc) -> Doc:
        doc._.rifkb_effects = self.effects(doc)
        doc._.rifkb_event_rates = self.event_rates(doc)
        return doc

    # --- effect estimates --------------------------------------------------------------

    def effects(self, doc: Doc) -> list[Effect]:
        text = folded(doc)
        names = [(m.start, m.end, p) for idx, src in ((self.compiled.measures_folded, text.lower),
                 (self.compiled.measures_cased, text.cased)) for m in idx.finditer(src)
                 for p in m.payloads]  # fmt: skip
        effects: list[Effect] = []
        last_end = 0
        for start, end, measure in sorted(names, key=lambda n: n[0]):
            if start < last_end:
                continue  # a name inside an estimate already read ("risk ratio [RR]")
            effect = self._read(doc, text.cased, start, end, measure, last_end)
            if effect is not None:
                effects.append(effect)
                last_end = effect.end
        return effects

    def _read(self, doc: Doc, text: str, start: int, end: int, measure: MeasureName,
              since: int) -> Effect | None:  # fmt: skip
        pos = end
        bracket = _BRACKETED_ABBREVIATION.match(text, pos)
        if bracket:
            pos = bracket.end()
        link = _LINK.match(text, pos) or _LONG_LINK.match(text, pos)
        if link is None:
            return None
        value = _float(link.group("value"))
        pos = link.end()
        low = high = None
        ci = _CI.match(text, pos)
        if ci and (ci.group("open") or ci.group("label") or ci.group("after") or _brackets(ci, value)):
            low, high = _float(ci.group("low")), _float(ci.group("high"))
            pos = ci.end()
        p = _p_value(text, start, pos)
        adjusted = measure.adjusted or self._in_adjusted_model(doc, start)
        sentence_start = sentence_of(doc, start)[0]
        outcome = self._outcome(doc, max(since, sentence_start), link.start("value"), sentence_start)
        return Effect(measure.measure, value, low, high, p, outcome, adjusted, start,
                      pos, f"measures.tsv:{measure.measure}")  # fmt: skip

    def _in_adjusted_model(self, doc: Doc, start: int) -> bool:
        """'In the logistic regression analysis, IVIg was associated with ... (OR 3.64 ...)'."""
        s, e = sentence_of(doc, start)
        return any(c == "adjustment" and s <= c_start < e for c_start, _, c in cue_hits(doc, self.compiled))

    def _outcome(self, doc: Doc, window_start: int, window_end: int, sentence_start: int) -> str | None:
        """The outcome (or RIF/RPL, for risk estimates) named last before the value: since
        the previous estimate, else earlier in the sentence, else a bare outcome word."""
        named = [h for h in doc._.rifkb_mentions or ()
                 if sentence_start <= h.start < window_end
                 and (h.type == "outcome" or h.concept in ("rif", "rpl"))]  # fmt: skip
        if named:
            return named[-1].concept
        window = folded(doc).lower[window_start:window_end]
        heads = [(m.start(), c) for w, c in self.compiled.rules.rate_heads.items()
                 for m in re.finditer(rf"\b{w}\b", window)]  # fmt: skip
        return max(heads)[1] if heads else None

    # --- event rates -------------------------------------------------------------------

    def event_rates(self, doc: Doc) -> list[Rate]:
        rates = []
        text = folded(doc).cased
        for m in _EVENT_RATE.finditer(text):
            events, total = int(m.group(1)), int(m.group(2))
            if total == 0 or events > total or _looks_like_date(m.group(1), m.group(2)):
                continue
            sentence_start = sentence_of(doc, m.start())[0]
            outcome = self._outcome(doc, sentence_start, m.start(), sentence_start)
            rates.append(Rate(events, total, outcome, m.start(), m.end()))
        return rates


def _brackets(ci: re.Match[str], value: float) -> bool:
    """An unlabelled pair is an interval when it brackets the estimate: 'OR: 2.97, 2.05-4.29'."""
    return _float(ci.group("low")) <= value <= _float(ci.group("high"))


def _looks_like_date(first: str, second: str) -> bool:
    """'01/2014', '12/2021': a month and a year."""
    return len(second) == 4 and second[:2] in ("19", "20") and int(first) <= 12


def _float(text: str) -> float:
    return float(text.replace(" ", ""))


def _p_value(text: str, start: int, end: int) -> str | None:
    after = _P_AFTER.match(text[end : end + 40])
    before = _P_BEFORE.search(text[max(0, start - 30) : start])
    found = after or before
    if not found:
        return None
    relation = found.group("rel").replace("=", "") if found.group("rel") != "=" else ""
    value = found.group("p")
    return f"{relation}{'0' + value if value.startswith('.') else value}"


@Language.factory("rifkb_numbers_v1", default_config={"rules_dir": None})
def make_numbers(nlp: Language, name: str, rules_dir: str | None) -> NumberReader:
    return NumberReader(rules_dir)
