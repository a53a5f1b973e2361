"""Who an effect estimate or an event rate belongs to: an estimate's intervention (or,
for an association estimate, its exposure) and comparator, a count's arm, and the
subgroup of both, in the ways abstracts name them (`shared/spec/extraction.md`,
effects[].intervention, .comparator, .subgroup; event_rates[].group, .subgroup).

Read by `rifkb_numbers_v1` (`rifkb.nlp.numbers`) after it has read the numbers and what
each is about; the comparison words are closed-class grammar, as in `rifkb.nlp.clauses`.
"""

from __future__ import annotations

import re
from typing import Any

from rifkb.nlp.base import DocView
from rifkb.nlp.text import alternation
from rifkb.rules import RuleSet


class Attribution:
    """The arms and subgroups of one rule set's numbers; compiled from its rules (the nouns
    for people and for studies, the conditions), kept by the component that reads them."""

    def __init__(self, rules: RuleSet) -> None:
        self.conditions = rules.with_role("condition")
        people = alternation(rules.nouns["participant"])
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

    def attribute(self, view: DocView, effects: list[dict[str, Any]], rates: list[dict[str, Any]]) -> None:
        """Each event rate's arm ("IVIg (32/49) compared to controls (32/94)"); each
        estimate's intervention and comparator; the subgroup of both, where the sentence
        says so."""
        previous = 0
        for i, rate in enumerate(rates):
            s, e = view.sentence_of(rate["start"])
            following = rates[i + 1]["start"] if i + 1 < len(rates) else e
            rate["group"] = _arm(view, max(previous, s), rate["start"], rate["end"], min(following, e))
            rate["subgroup"] = self.subgroup(view, s, rate["start"])
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
        if found := self.subgroup(view, s, effect["start"]):
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

    def subgroup(self, view: DocView, start: int, end: int) -> str | None:
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
