"""rifkb_numbers_v1: effect estimates and event rates.

Effect estimates start at a measure name (rules/measures.tsv) and read, in the
notations abstracts use: `OR 3.64; 95% CI 1.78-7.67`, `OR = 1.82, 95% CI = 1.14-2.89`,
`(Odds Ratio (OR): 2.97, 2.05–4.29)`, `RR 1.23 [0.98, 1.54]`, `RR = 2.5 (1.23-5.16 CI)`,
`mean difference: 1.14 CI 95% -0.0 to 2.28`, `the adjusted odds ratio for clinical
pregnancy ... was 3.1 (1.02-9.70 95% CI)`. Each estimate is attributed to the outcome
named closest before it, looking no further back than the previous estimate.

Event rates are `n/N` counts; dates (01/2014), decimals (2.6/4 min), ratios written
with ':' and counts larger than their total are not.

Written to `doc._.rifkb_effects` (dicts: measure, value, ci_low, ci_high, p, outcome,
adjusted, start, end, rule) and `doc._.rifkb_event_rates` (events, total, outcome, start,
end, rule).
"""

from __future__ import annotations

import re
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, RuleComponent, factory_config
from rifkb.nlp.text import PhraseIndex
from rifkb.rules import MeasureName, RuleSet

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


class NumberReader(RuleComponent):
    needs = ("sentences", "mentions", "cues")

    def compile(self, rules: RuleSet) -> None:
        measures = [(m.text, m) for m in rules.measures]
        self.folded_measures = PhraseIndex([(n, m) for n, m in measures if not m.case_sensitive], False)
        self.cased_measures = PhraseIndex([(n, m) for n, m in measures if m.case_sensitive], True)
        # what a risk estimate is about when no outcome is named: the condition itself
        self.conditions = rules.with_role("condition")
        self.rate_heads = [(re.compile(rf"\b{re.escape(w)}\b"), c) for w, c in rules.rate_heads.items()]

    def read(self, doc: Doc, view: DocView) -> None:
        doc._.rifkb_effects = self.effects(view)
        doc._.rifkb_event_rates = self.event_rates(view)

    # --- effect estimates --------------------------------------------------------------

    def effects(self, view: DocView) -> list[dict[str, Any]]:
        names = [(m.start, m.end, p) for idx, src in ((self.folded_measures, view.lower),
                 (self.cased_measures, view.cased)) for m in idx.finditer(src)
                 for p in m.payloads]  # fmt: skip
        effects: list[dict[str, Any]] = []
        last_end = 0
        for start, end, measure in sorted(names, key=lambda n: n[0]):
            if start < last_end:
                continue  # a name inside an estimate already read ("risk ratio [RR]")
            effect = self._read(view, start, end, measure, last_end)
            if effect is not None:
                effects.append(effect)
                last_end = effect["end"]
        return effects

    def _read(self, view: DocView, start: int, end: int, measure: MeasureName,
              since: int) -> dict[str, Any] | None:  # fmt: skip
        text, pos = view.cased, end
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
        sentence_start = view.sentence_of(start)[0]
        return {
            "measure": measure.measure, "value": value, "ci_low": low, "ci_high": high,
            "p": _p_value(text, start, pos),
            "outcome": self._outcome(view, max(since, sentence_start), link.start("value"), sentence_start),
            "adjusted": measure.adjusted or self._in_adjusted_model(view, start),
            "start": start, "end": pos, "rule": f"measures.tsv:{measure.measure}",
        }  # fmt: skip

    def _in_adjusted_model(self, view: DocView, start: int) -> bool:
        """'In the logistic regression analysis, IVIg was associated with ... (OR 3.64 ...)'."""
        s, e = view.sentence_of(start)
        return any(c == "adjustment" and s <= c_start < e for c_start, _, c in view.cues)

    def _outcome(self, view: DocView, window_start: int, window_end: int, sentence_start: int) -> str | None:
        """The outcome (or RIF/RPL, for risk estimates) named last before the value: since
        the previous estimate, else earlier in the sentence, else a bare outcome word."""
        named = [h for h in view.mentions if sentence_start <= h.start < window_end
                 and (h.type == "outcome" or h.concept in self.conditions)]  # fmt: skip
        if named:
            return named[-1].concept
        window = view.lower[window_start:window_end]
        heads = [(m.start(), c) for regex, c in self.rate_heads for m in regex.finditer(window)]
        return max(heads)[1] if heads else None

    # --- event rates -------------------------------------------------------------------

    def event_rates(self, view: DocView) -> list[dict[str, Any]]:
        rates = []
        for m in _EVENT_RATE.finditer(view.cased):
            events, total = int(m.group(1)), int(m.group(2))
            if total == 0 or events > total or _looks_like_date(m.group(1), m.group(2)):
                continue
            sentence_start = view.sentence_of(m.start())[0]
            outcome = self._outcome(view, sentence_start, m.start(), sentence_start)
            rates.append({"events": events, "total": total, "outcome": outcome,
                          "start": m.start(), "end": m.end(), "rule": "rifkb_numbers_v1"})  # fmt: skip
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


@Language.factory(
    "rifkb_numbers_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans", "doc._.rifkb_cues"],
    assigns=["doc._.rifkb_effects", "doc._.rifkb_event_rates"],
)  # fmt: skip
def make_numbers(nlp: Language, name: str, rules_dir: str | None) -> NumberReader:
    return NumberReader(name, rules_dir)
