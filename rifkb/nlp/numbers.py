"""rifkb_numbers_v1: effect estimates and event rates.

Effect estimates start at a measure name (rules/measures.tsv: "OR", "hazard ratios",
"the relative live-birth rate") and are read by the grammar of `rifkb.nlp.statistics`:
`OR 3.64; 95% CI 1.78-7.67`, `RR 1.41, P = 0.03, 95% CI 1.04-1.91`, `95%CI (1.23, 7.64,
P = .02]`, `HRs 1.62 [1.10–2.38] and 0.91 [0.60–1.38], respectively`, `adjusted HR (95% CI)
for live birth [1.42 (1.05–1.92)] and ...`. Each estimate is attributed to what it is
about, looking back from its value no further than the previous estimate or the start of
its sentence: the outcome named last; else the condition (RIF, RPL: a risk estimate) or
the mechanism named last ("CD3+ [OR = .4 ...]"). Estimates listed after as many outcomes
("ongoing pregnancy and live birth rates were higher: RR = 1.71 ... and RR = 1.85 ...")
take them in order.

Event rates are `n/N` counts; dates (01/2014), decimals (2.6/4 min), ratios written
with ':' and counts larger than their total are not.

Written to `doc._.rifkb_effects` (dicts: measure, value, ci_low, ci_high, p, outcome,
adjusted, start, end, rule) and `doc._.rifkb_event_rates` (events, total, outcome, start,
end, rule). Who each number belongs to (an estimate's intervention, comparator and
subgroup, a count's arm and subgroup) is read by `rifkb.nlp.attribution`.
"""

from __future__ import annotations

import re
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.attribution import Attribution
from rifkb.nlp.base import DocView, Hit, RuleComponent, factory_config, set_extension
from rifkb.nlp.openings import OpenedPattern
from rifkb.nlp.statistics import Estimate, read_estimates
from rifkb.nlp.text import PhraseIndex, alternation
from rifkb.rules import MeasureName, RuleSet

# (the first digit comes before what may not precede it, so that re skips to digits
# instead of trying the look-behind at every character: the matches of
# `(?<![\w.,/])(\d{1,6})...`)
_EVENT_RATE = re.compile(r"(\d(?<![\w.,/]\d)\d{0,5})\s?/\s?(\d{1,6})(?![\w/]|\.\d|\s?%)")
# a percentage beside a count: "(32/49; 65.3%)", "65.3% (32/49)"
_PERCENT_AFTER = re.compile(r"\s*(?:[;,]\s*|\(\s*)(?P<p>\d{1,3}(?:[.·]\d+)?)\s?%")
_PERCENT_BEFORE = re.compile(r"(?P<p>\d{1,3}(?:[.·]\d+)?)\s?%\s*[\(\[,]?\s*$")
_P_BEFORE = re.compile(r"p\s*(?P<rel>[<>=≤≥]+)\s*(?P<p>\d*\.\d+|\d)\W{0,6}$", re.I)


_RATIOS = ("OR", "RR", "HR")


class NumberReader(RuleComponent):
    needs = ("sentences", "mentions", "cues")

    def compile(self, rules: RuleSet) -> None:
        names = [(m.text, m) for m in rules.measures if m.pattern is None]
        self.folded_measures = PhraseIndex([(n, m) for n, m in names if not m.case_sensitive], False,
                                           digit_after=True)  # fmt: skip
        self.cased_measures = PhraseIndex(
            [(n, m) for n, m in names if m.case_sensitive], True, digit_after=True
        )
        # each tried only where it can match (see openings)
        self.measure_patterns = [
            (m, OpenedPattern(m.pattern)) for m in rules.measures if m.pattern is not None
        ]
        self.conditions = rules.with_role("condition")
        # "in women with RIF", "among RIF patients": the condition names who was studied
        people = alternation(rules.nouns["participant"])
        self.population = re.compile(rf"\b(?:(?:in|among)\s+(?:\w+\s+){{0,2}}|(?:{people})\s+with\s+)$")
        self.population_after = re.compile(rf"\W{{0,3}}(?:{people})\b")
        self.rate_heads = [(re.compile(rf"\b{re.escape(w)}\b"), c) for w, c in rules.rate_heads.items()]
        self.attribution = Attribution(rules)

    def read(self, doc: Doc, view: DocView) -> None:
        effects, rates = self.effects(view), self.event_rates(view)
        self.attribution.attribute(view, effects, rates)
        _subgroup_outcomes(view, effects)
        set_extension(doc, "rifkb_effects", effects)
        set_extension(doc, "rifkb_event_rates", rates)

    # --- effect estimates --------------------------------------------------------------

    def effects(self, view: DocView) -> list[dict[str, Any]]:
        effects: list[dict[str, Any]] = []
        last_end = 0
        for start, end, measure in self._names(view):
            if start < last_end or self._planned(view, start):
                continue  # a name inside an estimate already read ("risk ratio [RR]"), a power calculation's
            plural = view.lower[end - 1 : end] == "s" and not view.lower[start:end].endswith("odds")
            estimates = read_estimates(view.cased, end, view.sentence_of(start)[1], plural)
            for i, estimate in enumerate(estimates):
                effects.append(
                    self._effect(view, measure, start if i == 0 else estimate.value_start, estimate)
                )
            if estimates:
                last_end = estimates[-1].end
        self._attribute(view, effects)
        return effects

    def _names(self, view: DocView) -> list[tuple[int, int, MeasureName]]:
        indexes = ((self.folded_measures, view.lower), (self.cased_measures, view.cased))
        names = [(m.start, m.end, p) for index, text in indexes for m in index.finditer(text)
                 for p in m.payloads]  # fmt: skip
        names += [(m.start(), m.end(), name) for name, opened in self.measure_patterns
                  for m in opened.finditer(view.cased, view.lower, view.plain)]  # fmt: skip
        return sorted(names, key=lambda n: (n[0], -n[1]))

    def _effect(self, view: DocView, measure: MeasureName, start: int, estimate: Estimate) -> dict[str, Any]:
        return {
            "measure": measure.measure, "value": estimate.value, "ci_low": estimate.ci_low,
            "ci_high": estimate.ci_high, "p": estimate.p or _p_before(view.cased, start),
            "outcome": None, "adjusted": measure.adjusted or self._in_adjusted_model(view, start),
            "start": start, "end": estimate.end, "rule": f"measures.tsv:{measure.measure}",
            "value_start": estimate.value_start,
        }  # fmt: skip

    def _in_adjusted_model(self, view: DocView, start: int) -> bool:
        """'In the logistic regression analysis, IVIg was associated with ... (OR 3.64 ...)'."""
        s, e = view.sentence_of(start)
        return any(c == "adjustment" for _, _, c in view.cues_in(s, e))

    # --- what an estimate is about ------------------------------------------------------

    def _attribute(self, view: DocView, effects: list[dict[str, Any]]) -> None:
        since = 0
        for e in effects:
            sentence_start = view.sentence_of(e["start"])[0]
            value = e.pop("value_start")
            e["_window"] = (max(since, sentence_start), value)
            e["outcome"] = self._about(view, e["_window"], sentence_start, e["end"], e["measure"])
            since = e["end"]
        self._respectively(view, effects)
        for e in effects:
            del e["_window"]

    def _about(
        self, view: DocView, window: tuple[int, int], sentence_start: int, end: int, measure: str = ""
    ) -> str | None:
        """What the estimate whose value starts at window[1] is about, looking back since
        the previous estimate, then to the start of its sentence: nothing for a composite
        outcome; the outcome or condition named last (a condition that only says who was
        studied does not count); else a bare outcome word ("and implantation (OR ...");
        else, in a study of no treatment, the condition its sentence names (a risk ratio of
        it); else the mechanism named last; else "the main outcome" the header named; else
        an outcome named just after the estimate in its sentence ("(aOR = 0.60) in clinical
        pregnancy")."""
        lows = (window[0], sentence_start)
        cues = {c for _, _, c in view.cues_in(sentence_start, window[1])}
        if "composite" in cues:
            return None  # "the composite of ongoing pregnancy or live birth": no one outcome
        for pick in (self._named_outcome, self._bare_outcome):
            for low in lows:
                found = pick(view, low, window[1])
                if found:
                    return found
        risk = self._risk_of_condition(view, sentence_start) if measure in _RATIOS else None
        if risk:  # (a difference of means, MD or SMD, measures the factor itself)
            return risk
        for low in lows:
            found = self._mechanism(view, low, window[1])
            if found:
                return found
        if "main_outcome" in cues:
            return self._main_outcome(view)
        sentence_end = view.sentence_of(sentence_start)[1]
        after = [h for h in view.mentions_in(end, min(end + 40, sentence_end)) if h.type == "outcome"]
        return after[0].concept if after else None

    def _planned(self, view: DocView, start: int) -> bool:
        """A difference a power calculation plans to detect ("Sample size was calculated to
        detect an absolute difference of 20%")."""
        s = view.sentence_of(start)[0]
        return any(c == "planned" for _, _, c in view.cues_in(s, start))

    def _main_outcome(self, view: DocView) -> str | None:
        """ "higher odds of the main outcome": the one outcome the abstract's "Main outcome
        measure(s): Clinical pregnancy rate" or "The primary outcome was ..." names."""
        for start, end, category in view.cues:
            if category != "main_outcome":
                continue
            named = _distinct(h.concept for h in _outcomes(view, end, view.sentence_of(start)[1]))
            if len(named) == 1:
                return named[0]
        return None

    def _named_outcome(self, view: DocView, start: int, end: int) -> str | None:
        found = [h for h in view.mentions_in(start, end) if h.type == "outcome" or self._condition(view, h)]
        return found[-1].concept if found else None

    def _bare_outcome(self, view: DocView, start: int, end: int) -> str | None:
        text = view.lower
        heads = [(m.start(), c) for regex, c in self.rate_heads for m in regex.finditer(text, start, end)]
        return max(heads)[1] if heads else None

    def _risk_of_condition(self, view: DocView, sentence_start: int) -> str | None:
        """In a study of no treatment, an estimate in a sentence naming the condition is the
        risk of it, whatever factor it measures: "The KIR AA genotype was more frequent in
        women with RIF (OR 2.31 ...)", "... (OR=3.12 ...) were independent risk factors for
        RIF" (as dev's HLA-G odds ratios for RIF are coded)."""
        if any(h.type == "intervention" for h in view.mentions):
            return None
        end = view.sentence_of(sentence_start)[1]
        found = [h.concept for h in view.mentions_in(sentence_start, end) if h.concept in self.conditions]
        return found[0] if len(set(found)) == 1 else None

    def _mechanism(self, view: DocView, start: int, end: int) -> str | None:
        found = [h for h in view.mentions_in(start, end) if h.type == "mechanism"]
        return found[-1].concept if found else None

    def _condition(self, view: DocView, hit: Hit) -> bool:
        """A condition the estimate is about: not one that says who was studied ("in women
        with RIF", "RIF patients")."""
        if hit.concept not in self.conditions:
            return False
        before = view.lower[max(0, hit.start - 40) : hit.start]
        return not (self.population.search(before) or self.population_after.match(view.lower, hit.end))

    def _respectively(self, view: DocView, effects: list[dict[str, Any]]) -> None:
        """The first estimates of a sentence, in a row with no outcome named between them,
        after a sentence start that named at least as many outcomes, take those outcomes
        in order ("ongoing pregnancy and live birth rates were higher: RR = 1.71 ... and
        RR = 1.85 ...")."""
        for run in _runs(view, effects):
            s = view.sentence_of(run[0]["start"])[0]
            first = run[0]["_window"][0] == s
            named = _distinct(h.concept for h in _outcomes(view, s, run[0]["_window"][1]))
            if first and len(run) >= 2 and len(named) >= len(run):
                for e, outcome in zip(run, named[-len(run) :], strict=True):
                    e["outcome"] = outcome

    # --- event rates -------------------------------------------------------------------

    def event_rates(self, view: DocView) -> list[dict[str, Any]]:
        rates = []
        for m in _EVENT_RATE.finditer(view.cased):
            events, total = int(m.group(1)), int(m.group(2))
            if total == 0 or events > total or _looks_like_date(m.group(1), m.group(2)):
                continue
            sentence_start = view.sentence_of(m.start())[0]
            outcome = self._about(view, (sentence_start, m.start()), sentence_start, m.end())
            rates.append({"events": events, "total": total, "outcome": outcome, "percent": _percent(view, m),
                          "start": m.start(), "end": m.end(), "rule": "rifkb_numbers_v1"})  # fmt: skip
        return rates


def _subgroup_outcomes(view: DocView, effects: list[dict[str, Any]]) -> None:
    """An estimate of a subgroup whose sentence names no outcome, only the mechanism that
    selects the subgroup ("The effect of IVIG was particularly marked in the subgroup of
    studies including patients based on presence of elevated NK-cell percentage (RR 2.32
    ...)"), measures what the estimate before it measured, not the mechanism."""
    mechanisms = {h.concept for h in view.mentions if h.type == "mechanism"}
    for i, e in enumerate(effects):
        s, _ = view.sentence_of(e["start"])
        if i == 0 or e["outcome"] not in mechanisms or not e.get("subgroup"):
            continue
        if any(h.type == "outcome" for h in view.mentions_in(s, e["end"])):
            continue
        previous = effects[i - 1]["outcome"]
        if previous and previous not in mechanisms:
            e["outcome"] = previous


def _runs(view: DocView, effects: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Effects of one sentence in a row, with no outcome named between their values."""
    runs: list[list[dict[str, Any]]] = []
    for e in effects:
        previous = runs[-1][-1] if runs else None
        if (previous is not None and view.sentence_of(previous["start"]) == view.sentence_of(e["start"])
                and not _outcomes(view, previous["_window"][1], e["_window"][1])):  # fmt: skip
            runs[-1].append(e)
        else:
            runs.append([e])
    return runs


def _outcomes(view: DocView, start: int, end: int) -> list[Hit]:
    return [h for h in view.mentions_in(start, end) if h.type == "outcome"]


def _distinct(items: Any) -> list[str]:
    return list(dict.fromkeys(items))


def _percent(view: DocView, count: re.Match[str]) -> float | None:
    """The percentage written right beside a count, if any."""
    found = _PERCENT_AFTER.match(view.cased, count.end()) or _PERCENT_BEFORE.search(
        view.cased, max(0, count.start() - 16), count.start()
    )
    return float(found.group("p").replace("·", ".")) if found else None


def _looks_like_date(first: str, second: str) -> bool:
    """'01/2014', '12/2021': a month and a year."""
    return len(second) == 4 and second[:2] in ("19", "20") and int(first) <= 12


def _p_before(text: str, start: int) -> str | None:
    """A p-value written just before the measure: 'p < 0.01 (OR 2.1 ...)'."""
    found = _P_BEFORE.search(text[max(0, start - 30) : start])
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
