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
end, rule).
"""

from __future__ import annotations

import re
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, Hit, RuleComponent, factory_config
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


class NumberReader(RuleComponent):
    needs = ("sentences", "mentions", "cues")

    def compile(self, rules: RuleSet) -> None:
        names = [(m.text, m) for m in rules.measures if m.pattern is None]
        self.folded_measures = PhraseIndex([(n, m) for n, m in names if not m.case_sensitive], False,
                                           digit_after=True)  # fmt: skip
        self.cased_measures = PhraseIndex(
            [(n, m) for n, m in names if m.case_sensitive], True, digit_after=True
        )
        self.measure_patterns = [m for m in rules.measures if m.pattern is not None]
        self.conditions = rules.with_role("condition")
        # "in women with RIF", "among RIF patients": the condition names who was studied
        people = alternation(rules.nouns["participant"])
        self.population = re.compile(rf"\b(?:(?:in|among)\s+(?:\w+\s+){{0,2}}|(?:{people})\s+with\s+)$")
        self.population_after = re.compile(rf"\W{{0,3}}(?:{people})\b")
        # "patients with severe uRIF", "women with ≥ 5 previous failures"
        # (a few words after "with", up to a verb or a preposition: closed-class grammar)
        self.described_group = re.compile(
            rf"\b(?:{people})\s+(?:with|aged)\s+(?:(?!(?:had|has|have|were|was|is|are|did|showed|received|"
            rf"benefit\w*|in|from|after|for|at|on)\b)[\w≥≤<>%.'-]+\s*){{1,6}}",
            re.I,
        )
        # "In women over 36 years of age the pregnancy rate was ...": a sentence that opens on
        # people bounded by age reports that age group, a subgroup, without saying "subgroup"
        self.age_group = re.compile(
            rf"\W*(?:in|among)\s+((?:{people})\s+(?:over|older than|above|under|younger than|below|aged|"
            rf"[<>≤≥])\s*\d+(?:\s*(?:years|yr|y)\b)?(?:\s+(?:of age|old)\b)?)",
            re.I,
        )
        # a subset of a meta-analysis's studies: "In studies conducted in RIF patients and
        # controls who had ...", "Combined results from case-control studies showed"
        studies = alternation(rules.nouns["study"])
        self.study_subset = re.compile(
            rf"\b(?:in|from|among)\s+(?:the\s+)?((?:{studies})\s+(?:conducted|performed|carried out)\s+"
            rf"(?:in|on|among|with)\b[^,;(]{{0,80}}|\w+-\w+\s+(?:{studies})\b)"
            # a sensitivity analysis: "When excluding two studies only published as abstracts"
            rf"|\b(?:excluding|excluded|without)\s+((?:\w+\s+){{0,2}}(?:{studies})\b[^,;(]{{0,60}})",
            re.I,
        )
        # a sentence that opens on people with or without something reports them, a subgroup:
        # "In women with a clinical pregnancy (...), there was ...", "In those without defined
        # RIF, ..." (not "In women with RIF,": the study's population, see _names_condition)
        self.restricted_group = re.compile(
            rf"\W*(?:in|among)\s+((?:{people}|those)\s+(?:with|without|who)\s+[^,;(]{{1,60}}?)\s*[,(]", re.I
        )
        self.rate_heads = [(re.compile(rf"\b{re.escape(w)}\b"), c) for w, c in rules.rate_heads.items()]

    def read(self, doc: Doc, view: DocView) -> None:
        effects, rates = self.effects(view), self.event_rates(view)
        self._arms(view, effects, rates)
        doc._.rifkb_effects, doc._.rifkb_event_rates = effects, rates

    # --- effect estimates --------------------------------------------------------------

    def effects(self, view: DocView) -> list[dict[str, Any]]:
        effects: list[dict[str, Any]] = []
        last_end = 0
        for start, end, measure in self._names(view):
            if start < last_end:
                continue  # a name inside an estimate already read ("risk ratio [RR]")
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
        names += [(m.start(), m.end(), name) for name in self.measure_patterns
                  for m in name.pattern.finditer(view.cased)]  # type: ignore[union-attr]  # fmt: skip
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
            e["outcome"] = self._about(view, e["_window"], sentence_start, e["end"])
            since = e["end"]
        self._respectively(view, effects)
        for e in effects:
            del e["_window"]

    def _about(self, view: DocView, window: tuple[int, int], sentence_start: int, end: int) -> str | None:
        """What the estimate whose value starts at window[1] is about, looking back since
        the previous estimate, then to the start of its sentence: the outcome or condition
        named last (a condition that only says who was studied does not count); else a
        bare outcome word ("and implantation (OR ..."); else the mechanism named last; else
        an outcome named just after the estimate ("(aOR = 0.60) in clinical pregnancy")."""
        lows = (window[0], sentence_start)
        for pick in (self._named_outcome, self._bare_outcome, self._mechanism):
            for low in lows:
                found = pick(view, low, window[1])
                if found:
                    return found
        after = [h for h in view.mentions_in(end, end + 40) if h.type == "outcome"]
        return after[0].concept if after else None

    def _named_outcome(self, view: DocView, start: int, end: int) -> str | None:
        found = [h for h in view.mentions_in(start, end) if h.type == "outcome" or self._condition(view, h)]
        return found[-1].concept if found else None

    def _bare_outcome(self, view: DocView, start: int, end: int) -> str | None:
        text = view.lower
        heads = [(m.start(), c) for regex, c in self.rate_heads for m in regex.finditer(text, start, end)]
        return max(heads)[1] if heads else None

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

    # --- which arms and which subgroup ---------------------------------------------------

    def _arms(self, view: DocView, effects: list[dict[str, Any]], rates: list[dict[str, Any]]) -> None:
        """Each event rate's arm ("IVIg (32/49) compared to controls (32/94)"); each
        estimate's intervention and comparator; the subgroup of both, where the sentence
        says so."""
        previous = 0
        for i, rate in enumerate(rates):
            s, e = view.sentence_of(rate["start"])
            following = rates[i + 1]["start"] if i + 1 < len(rates) else e
            rate["group"] = _arm(view, max(previous, s), rate["start"], rate["end"], min(following, e))
            rate["subgroup"] = self._subgroup(view, s, rate["start"])
            previous = rate["end"]
        for i, effect in enumerate(effects):
            effect["intervention"], effect["comparator"] = self._compared(view, effect)
            effect["subgroup"] = self._effect_subgroup(view, effects[i - 1] if i else None, effect)
        _contrasted_strata(view, effects)

    def _compared(self, view: DocView, effect: dict[str, Any]) -> tuple[str | None, str | None]:
        """(intervention, comparator) of an estimate: the treatment its sentence names and
        the arm it is compared with ("IVIG versus placebo", "When compared with the control
        group, intralipid ...", "compared GH to no intervention"); else, for an association
        estimate, the exposure its sentence names ("factor V Leiden was more prevalent ...
        (OR 3.08)"), compared with no concept; else the abstract's one intervention ("the
        treatment group"). A treatment compared with nothing named is compared with what the
        study compares it with (`_study_comparator`)."""
        s, e = view.sentence_of(effect["start"])
        treated, comparator = _sides(view, _named_arms(view, s, e), s, e, effect["end"])
        if treated is None:
            exposure = self._exposure(view, s, e, effect)
            if exposure is not None:
                return exposure, None
            treated = _sole_intervention(view)
            if treated is None:
                return _recent_mechanism(view, s), None
        if treated is not None and comparator is None:
            comparator = _study_comparator(view, treated)
        return treated, comparator

    def _exposure(self, view: DocView, start: int, end: int, effect: dict[str, Any]) -> str | None:
        """What an association estimate is about: the mechanism its sentence names, the last
        before the estimate else the first after ("An increase of Treg cells ... was
        associated with a better outcome (OR 4.3 ...)"); else the condition the women
        compared have ("patients with RPL had ..."). In an abstract about a treatment, not
        the mechanism the estimate measures ("NK cytotoxicity fell after treatment (MD ...)"),
        unless the sentence says it is associated with something, and never a condition
        (there it says who was treated: "women with three or more failures had ...")."""
        associated = any(c == "association" for _, _, c in view.cues_in(start, end))
        treats = any(h.type == "intervention" for h in view.mentions)
        named = [h for h in view.mentions_in(start, end)
                 if associated or not treats or h.concept != effect["outcome"]]  # fmt: skip
        for found in (
            [h for h in named if h.type == "mechanism"],
            [
                h
                for h in named
                if h.concept in self.conditions and h.concept != effect["outcome"] and not treats
            ],
        ):
            before = [h.concept for h in found if h.start < effect["end"]]
            if before or found:
                return before[-1] if before else found[0].concept
        return None

    def _effect_subgroup(
        self, view: DocView, previous: dict[str, Any] | None, effect: dict[str, Any]
    ) -> str | None:
        """The subgroup an estimate is restricted to: as for counts (`_subgroup`); in a
        sentence that says it reports subgroups but describes no group of people, the words
        that qualify the estimate ("Subgroup analysis showed that the live birth rate in
        primary (RR = 0.88 ...) and secondary (RR = 1.26 ...) RSA patients"); in a
        meta-analysis, the subset of its studies the sentence names ("In studies conducted in
        RIF patients and controls who ...", "Combined results from case-control studies")."""
        s, _ = view.sentence_of(effect["start"])
        if found := self._subgroup(view, s, effect["start"]):
            return found
        if any(c == "subgroup" for _, _, c in view.cues_in(s, effect["start"])):
            low = max(s, previous["end"]) if previous else s
            return _qualifier(view.text[low : effect["start"]])
        if subset := self.study_subset.search(view.text, s, effect["start"]):
            return (subset.group(1) or subset.group(2)).strip()
        restricted = self.restricted_group.match(view.text, s, effect["start"])
        return restricted.group(1) if restricted and not self._names_condition(view, restricted) else None

    def _names_condition(self, view: DocView, found: re.Match[str]) -> bool:
        """Whether women said to have something have a condition (RIF, RPL): the study's
        population, not a subgroup ("In women with RIF, ..."; but "In those without RIF")."""
        return " without " not in found.group(1).lower() and any(
            h.concept in self.conditions for h in view.mentions_in(found.start(1), found.end(1))
        )

    def _subgroup(self, view: DocView, start: int, end: int) -> str | None:
        """The subgroup a number is about: an age group the sentence opens on ("In women over
        36 years of age"), or in a sentence that says it reports a subgroup ("subgroup",
        "stratified"), the last group of people described before the number ("patients
        with severe uRIF")."""
        if aged := self.age_group.match(view.text, start, end):
            return aged.group(1)
        if not any(c == "subgroup" for _, _, c in view.cues_in(start, end)):
            return None
        described = list(self.described_group.finditer(view.text, start, end))
        return described[-1].group().strip() if described else None

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


_BRACKETED = re.compile(r"[\(\[]\s*(?:[a-z]{2,5}\s*[\(\[:=]\s*)?(?:n\s*=\s*)?$")
# "(54.8%) in the IVIg group", "for the placebo group": an arm named after its count
_ARM_AFTER = re.compile(
    r"\s*(?:\([^()]{0,20}\))?\s*,?\s*(?:in|for|with|among|on|of)\s+(?:the\s+)?(?:[\w-]+\s+){0,2}?$"
)


def _arm(view: DocView, low: int, start: int, end: int, high: int) -> str | None:
    """The arm a count belongs to: one named just after it with a preposition ("32/49 in
    the IVIg group"), else the intervention or control named nearest it before (since the
    previous count: "receiving IVIg (32/49)", never across a "versus": "15.5% (50/322) in
    nontreated versus 35.7% (10/28)") or just after ("5/25 (20%) for controls")."""
    markers = [(h.start, h.end, h.concept) for h in view.mentions_in(low, high) if h.type == "intervention"]
    markers += [(s, e, "control") for s, e, c in view.cues_in(low, high) if c == "control_arm"]
    if (sole := _sole_intervention(view)) is not None:
        markers += [(s, e, sole) for s, e, c in view.cues_in(low, high) if c == "treated_arm"]
    turns = [s for s, _, c in view.cues_in(low, start) if c == "comparison"]
    before = [(start - e, arm) for s, e, arm in markers if e <= start and not any(e <= t for t in turns)]
    if before and _BRACKETED.search(view.lower, max(low, start - 12), start):
        return min(before)[1]  # "receiving IVIg (32/49; 65.3%)": a bracketed count is of what precedes it
    after = sorted((s, arm) for s, e, arm in markers if s >= end and s - end <= 40)
    if after and _ARM_AFTER.match(view.lower[end : after[0][0]]):
        return after[0][1]
    near = before + [(s - end, arm) for s, arm in after]
    return min(near)[1] if near else None


def _sole_intervention(view: DocView) -> str | None:
    """The one intervention an abstract names, which "the treated" can only mean."""
    named = {h.concept for h in view.mentions if h.type == "intervention"}
    return named.pop() if len(named) == 1 else None


# What introduces the comparator arm of a comparison ("versus placebo", "compared with the
# control group", "than in untreated women"); closed-class grammar, as in
# `rifkb.nlp.clauses`. "compared GH to no intervention": the comparator follows the "to".
_AGAINST = re.compile(r"\b(?:than|versus|vs\b\.?|(?:compared|comparison|relative)\s+(?:with|to)|against)\s")
_COMPARED_X = re.compile(r"\bcompared\s+(?!with\b|to\b)")
_WITH_TO = re.compile(r"\b(?:with|to)\s")
# "not treated with LMWH", "did not receive IVIg": the treatment named is the control arm's
_NEGATED_ARM = re.compile(r"^\s+(?:(?:with|of|any)\s+)?$")


def _named_arms(view: DocView, start: int, end: int) -> list[tuple[int, str]]:
    """(start, concept) of the arms a sentence names: interventions, and control arms
    ("placebo", "untreated", "those who did not") as `control`."""
    controls = [(s, e) for s, e, c in view.cues_in(start, end) if c == "control_arm"]
    arms = [(s, "control") for s, _ in controls]
    for h in view.mentions_in(start, end):
        if h.type == "intervention" and not any(
            ce <= h.start and _NEGATED_ARM.match(view.lower[ce : h.start]) for _, ce in controls
        ):
            arms.append((h.start, h.concept))
    return sorted(arms)


def _against(view: DocView, arms: list[tuple[int, str]], start: int, end: int) -> set[int]:
    """Indices of the arms named as what the others are compared with: the first arm after
    "versus", "compared with", "than", or the "to" of "compared X to Y"."""
    marks = [m.end() for m in _AGAINST.finditer(view.lower, start, end)]
    for m in _COMPARED_X.finditer(view.lower, start, end):
        first = next((a for a, _ in arms if a >= m.end()), None)
        if first is not None and (to := _WITH_TO.search(view.lower, first, end)):
            marks.append(to.end())
    found = set()
    for mark in marks:
        after = [i for i, (a, _) in enumerate(arms) if mark <= a <= mark + 60]
        if after:
            found.add(after[0])
    return found


def _sides(
    view: DocView, arms: list[tuple[int, str]], start: int, end: int, at: int
) -> tuple[str | None, str | None]:
    """(intervention, comparator) among the arms a sentence names. The comparator is the
    arm after "versus" (or a control arm named anywhere: "in the LMWH and control groups");
    the intervention is what differs from it ("HCQ plus prednisone versus prednisone alone"
    is HCQ), the last named before the estimate's end `at`, else the first after. Two
    active arms, one named in both ("between the PDN group and HCQ+PDN group"): the one
    named twice is the background, the other the intervention."""
    against = _against(view, arms, start, end)
    comparators = [arm for i, (_, arm) in enumerate(arms) if i in against]
    treated = [(a, arm) for i, (a, arm) in enumerate(arms) if i not in against and arm != "control"]
    comparator = comparators[0] if comparators else None
    if comparator is None and any(arm == "control" for _, arm in arms):
        comparator = "control"
    named = [arm for _, arm in treated]
    if comparator is None and len(set(named)) == 2:
        twice = [arm for arm in set(named) if named.count(arm) > 1]
        comparator = twice[0] if len(twice) == 1 else None
    differing = [(a, arm) for a, arm in treated if arm != comparator] or treated
    before = [arm for a, arm in differing if a < at]
    if before:
        return before[-1], comparator
    return (differing[0][1] if differing else None), comparator


def _recent_mechanism(view: DocView, before: int) -> str | None:
    """In an abstract that names no treatment, the mechanism named last before `before`
    (the start of an estimate's sentence): what its association estimate is about when the
    sentence names no concept, as a definite noun phrase refers to the nearest antecedent
    ("... the significance of NK activation levels in predicting implantation.
    ... Accentuated CD69stim levels were predictive for implantation failure (OR 6.9)").
    The counterpart of `_sole_intervention`."""
    if any(h.type == "intervention" for h in view.mentions):
        return None
    named = [h.concept for h in view.mentions_in(0, before) if h.type == "mechanism"]
    return named[-1] if named else None


# what qualifies an estimate starts after the last of these: "the live birth rate in
# primary (RR ...)", "when IVIG was administered before conception (RR ...) but not after
# implantation (RR ...)"
_QUALIFIER_LEAD = re.compile(r"\b(?:in|among|for|when|and|but(?:\s+not)?|whereas|while|not)\s+", re.I)


def _qualifier(text: str) -> str | None:
    """The words that qualify an estimate, from the text before it: those after its last
    preposition or conjunction (the last ten of them)."""
    leads = list(_QUALIFIER_LEAD.finditer(text))
    words = text[leads[-1].end() if leads else 0 :].strip(" ,;:([").split()
    return " ".join(words[-10:]) if words else None


def _contrasted_strata(view: DocView, effects: list[dict[str, Any]]) -> None:
    """Estimates of one outcome (an outcome concept) in one sentence, set against each other
    by a contrast word and each qualified, are strata of the population: "Live birth rate was significantly
    different when IVIG was administered before conception (RR = 1.67 ...) but not after
    implantation (RR = 1.10 ...)"."""
    for first, second in zip(effects, effects[1:], strict=False):
        same = (first["outcome"], first["measure"], first["adjusted"]) == (
            second["outcome"], second["measure"], second["adjusted"])  # fmt: skip
        named = first["outcome"] in {h.concept for h in view.mentions if h.type == "outcome"}
        if not same or not named or view.sentence_of(first["start"]) != view.sentence_of(second["start"]):
            continue
        if not any(c == "contrast" for _, _, c in view.cues_in(first["end"], second["start"])):
            continue
        s = view.sentence_of(first["start"])[0]
        labels = (
            _qualifier(view.text[s : first["start"]]),
            _qualifier(view.text[first["end"] : second["start"]]),
        )
        if all(labels):
            first["subgroup"] = first["subgroup"] or labels[0]
            second["subgroup"] = second["subgroup"] or labels[1]


def _study_comparator(view: DocView, treated: str) -> str:
    """What a study compares a treatment with, for an estimate whose sentence names no
    comparator: `control` when the abstract names a control arm anywhere; else another
    treatment the abstract names after "versus" ("G-CSF versus PRP"); else `control`, the
    effect of a treatment being against its absence (the annotation guide's reading of
    "IVIg was associated with higher odds of live birth" in a cohort of treated and
    untreated women, and of a review's pooled "beneficial effect of intrauterine PBMC")."""
    if any(c == "control_arm" for _, _, c in view.cues):
        return "control"
    for s, e in view.sentences:
        arms = _named_arms(view, s, e)
        others = [arms[i][1] for i in sorted(_against(view, arms, s, e)) if arms[i][1] != treated]
        if others:
            return others[0]
    return "control"


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
