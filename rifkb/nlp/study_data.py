"""rifkb_study_data_v1: the meta-analysis form of a study, filled from its abstract.

For a primary study that compares groups, every number a reviewer would copy into
RevMan's "data and analyses" form, per outcome and group (Cochrane Handbook 6.4-6.5):

- counts written "32/49", "eight of 54", "28 patients (35.4%)": events and total as
  written (the total from the group's size when only the events are written);
- percentages with the group's size known ("60 women were randomised to each arm ...
  clinical pregnancy 48.3% vs 23.3%"): events = round(% x n / 100), `derived`, with the
  rule in `note`, and said there when the count does not give back the percentage to its
  decimals;
- means with their SD ("10.5±10.5 cells/mm2 in the case group"); with an SE only where
  the text says SE, then SD = SE x sqrt(n) (Cochrane Handbook 6.5.2.2), `derived`.

Whose number it is (`rifkb.nlp.arms`): the group named just after it ("(32/49) in the
IVIg group", "for women not receiving LIT"), else the one named before it in its clause
("in the intralipid group (40.38%)"); values listed with "respectively" take the groups
listed in order, and "A vs B" pairs the groups in the order the sentence names them.
What it measures: the outcome named last before it (a mechanism, for an association
study). Its subgroup: a sentence that opens on a subset ("In women over 36 years of age",
"For the subset of women failing despite five previous ETs", "In RIF patients," in a
study of several strata) or says it reports one ("stratified", "subgroup").

Written to `doc._.rifkb_study_data` (dicts of the `StudyData` fields with start, end and
rule); each event rate whose count was read gets its `group`; the sizes of the groups a
comparative study compares to `doc._.rifkb_arm_sizes` ([{"group", "total"}], for the
sample size).
"""

from __future__ import annotations

import re
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.arm_sizes import ArmSizes, placebo_apart, resolve_undefined
from rifkb.nlp.arms import (
    CONTROL,
    UNDEFINED,
    Arm,
    GroupRef,
    Reader,
)
from rifkb.nlp.attribution import Attribution
from rifkb.nlp.base import DocView, RuleComponent, extension, factory_config, set_extension
from rifkb.nlp.form import denominator, form_row, one_per_cell, sized_as, told_apart
from rifkb.nlp.reported import ReportedNumbers, Value, bracket_runs, with_listed_events
from rifkb.nlp.text import alternation
from rifkb.rules import RuleSet

COMPARATIVE = ("rct", "nrct", "cohort", "case_control", "cross_sectional", "case_series", "other", None)

_WITHOUT = re.compile(r"\s+without\s*(?:[(,.;]|$)")
_REFERENCE = re.compile(r"\b(?:compared (?:with|to)|in comparison (?:with|to)|than(?: in)?|relative to)\s+"
                        r"(?:the\s+|those\s+)?(?:[\w-]+\s+){0,2}$", re.I)  # fmt: skip
_RESPECTIVELY = re.compile(r"\brespectively\b", re.I)
_VS = re.compile(r"^\W*(?:vs\.?|versus|compared (?:with|to)|and)\W*$", re.I)
# the group named right after a value: "(32/49) in the IVIg group", "(38.3%) patients
# receiving LIT", "(45.9%) group 1 women", never across a comparison ("... compared to")
_AFTER_ARM = re.compile(
    r"\)?\s*(?:\([^()]{0,30}\)\s*)?,?\s*(?:[a-zµ]+/[\w.]+\s+|%\s*)?(?:(?:in|for|among|of|with)\s+)?(?:the\s+)?"
    r"(?!.*\b(?:than|versus|vs|compared|and|or|while|but)\b)(?:[\w/%-]+\s+){0,3}?$", re.I)  # fmt: skip
_OPENING_SUBSET = re.compile(
    r"\W*(?:(?:however|overall|moreover|finally|in addition)\W+)?(?:in|for|among|when)\s+(?:the\s+)?"
    r"(?:(?:subset|subgroup|group)\s+of\s+)?([^,;:]{3,90}?),", re.I)  # fmt: skip
# "When only women with results of pNK ≥12% were evaluated, ...": the results of a subset
_ONLY = re.compile(r"\W*(?:when|if)\s+only\s+([^,;:]{3,90}?)\s+(?:were|was)\s+"
                   r"(?:evaluated|analy[sz]ed|considered|included|assessed|compared)\s*,", re.I)  # fmt: skip
_REACHED = re.compile(
    r"\)?\s*(?:\([^()]*\)\s*)?(?:[\w-]+\s+){0,4}?"
    r"(?:had|achieved|developed|conceived|became|resulted in|reached|(?:were|was|tested) positive for)\b"
)
# "In women over 36 years of age the pregnancy rate was ...": an age group, a subgroup
_AGE_GROUP = re.compile(
    r"\W*(?:in|among)\s+((?:patients|women|subjects)\s+"
    r"(?:over|older than|above|under|younger than|below|aged|"
    r"[<>≤≥])\s*\d+(?:\s*(?:years|yr|y)\b)?(?:\s+(?:of age|old)\b)?)", re.I)  # fmt: skip
_COUNTED = re.compile(r"\s*(?:all\s+)?\d")
# a share of the people that took a treatment, not an outcome's events: "82 of 157 chose ..."
_TOOK = re.compile(
    r"\s*(?:women|patients|couples)?\s*(?:chose|opted|elected|decided|consented|"
    r"received|underwent|were (?:treated|given|allocated|assigned))\b"
)
_MEDIAN = re.compile(r"\b(?:median|interquartile|iqr)\b")
_PEOPLE_WORD = re.compile(r"\b(?:patients|women|couples|subjects|participants|cases|controls)\b", re.I)
_VERB = re.compile(r"\b(?:was|were|is|are|had|has|have|showed|did|received|underwent)\b", re.I)


class StudyDataReader(RuleComponent):
    needs = ("sentences", "mentions", "cues")

    def compile(self, rules: RuleSet) -> None:
        self.reader: Reader | None = None  # the abstract being read (set per call)
        self.reported = ReportedNumbers(rules.numbers)
        self.attribution = Attribution(rules)
        self.controls = rules.with_role("control")
        self.conditions = rules.with_role("condition")
        self.people = alternation(rules.nouns["participant"])
        self.rate_heads = [(re.compile(rf"\b{re.escape(w)}\b"), c) for w, c in rules.rate_heads.items()]
        self.not_per_woman = rules.with_role("not_per_woman")

    def read(self, doc: Doc, view: DocView) -> None:
        rows, owners, sizes = self.study_data(view, extension(doc, "rifkb_design"))
        set_extension(doc, "rifkb_study_data", rows)
        set_extension(doc, "rifkb_arm_sizes", sizes)
        for rate in extension(doc, "rifkb_event_rates") or []:
            if rate["start"] in owners:
                rate["group"] = owners[rate["start"]]

    def study_data(
        self, view: DocView, design: str | None
    ) -> tuple[list[dict[str, Any]], dict[int, str], list[dict[str, Any]]]:
        """The rows, the group of each event rate read, and the sizes of the groups compared."""
        reader = self.reader = Reader(view, self.controls, self.conditions, self.people)
        refs = reader.references()
        if not refs:
            return [], {}, []
        # (a group's size belongs to a stratum only where the bracket says so: "n=73 in RIF
        # patients"; "Among RIF patients, two groups were formed ..." sizes the groups)
        arms = ArmSizes(reader).sizes(refs, self.reported.people_numbers(view), lambda at: None)
        refs, arms = placebo_apart(refs, arms)
        refs = resolve_undefined(refs, arms)
        values = self.reported.values(view)
        owners: dict[int, str] = {}
        rows: list[dict[str, Any]] = []
        listed: list[str] = []  # the groups of the last "respectively" list
        for sentence in view.sentences:
            if sentence[0] < view.title_end:
                continue  # a title announces; its numbers are the results' own
            found = [v for v in values if sentence[0] <= v.start < sentence[1]]
            if found:
                rows += self._sentence_rows(view, sentence, found, refs, arms, owners, listed)
        rows = one_per_cell([told_apart(r) for r in rows if not r["group"].startswith(UNDEFINED)])
        # a study that compares groups, though it may give numbers of one only ("lower
        # rates ... for the patients ... without IVIG", no size given)
        compared = _study_arms(refs, arms)
        grouped = {r["group"] for r in rows}
        rows = [r for r in rows if r["outcome"] not in grouped]  # the factor that defines the groups
        if design not in COMPARATIVE or len(compared) < 2:
            return [], owners, []
        sizes = _arm_sizes(arms, self.conditions)
        return (rows, owners, sizes) if _comparative(rows, reader, compared) else ([], owners, sizes)

    # --- one sentence -------------------------------------------------------------------

    def _sentence_rows(self, view: DocView, sentence: tuple[int, int], values: list[Value],
                       refs: list[GroupRef], arms: list[Arm], owners: dict[int, str],
                       listed: list[str]) -> list[dict[str, Any]]:  # fmt: skip
        values = with_listed_events(view.cased, values)
        outcomes = self._outcomes(view, sentence, values)
        groups = self._groups(view, sentence, values, refs, arms, listed, outcomes)
        rows = []
        for value, outcome, group in zip(values, outcomes, groups, strict=True):
            group = group or sized_as(value, arms)
            if group is None:
                continue
            subgroup = self._subgroup(view, refs, value.start)
            if value.events is not None and value.total is not None and not group.startswith(UNDEFINED):
                # "82 of 157 chose PBMC": the arm is the share that took the treatment
                size = value.events if _TOOK.match(view.lower, value.end) else value.total
                owners[value.count_at] = group.partition(":")[0]
                if not any(a.group == group and a.subgroup == subgroup for a in arms):
                    arms.append(Arm(group, size, subgroup, value.start))  # "98 of 341 ... 19.7% for group 2"
            if outcome is None or outcome == group:
                continue  # nothing measured, or the factor that defines the group
            if value.events is None and _MEDIAN.search(view.lower, *sentence):
                continue  # medians and ranges give no row (annotation.md)
            if outcome in self.not_per_woman and value.events is None:
                continue  # a percentage of embryos or pregnancies, their number not written
            row = form_row(value, outcome, group, subgroup, arms)
            if row is not None:
                rows.append(row | {"denominator": denominator(view.lower[sentence[0] : sentence[1]])})
        return rows

    def _outcomes(self, view: DocView, sentence: tuple[int, int], values: list[Value]) -> list[str | None]:
        """What each value measures: the outcome named last before it in its sentence (for
        a mean, a mechanism too); values in a bracket listed with 'and' take the outcomes
        the sentence named first, in order ("CPR and LBR ... (48.6% and 40.5%)")."""
        ends = [v.start for v in values[1:]] + [sentence[1]]
        found = [self._about(view, sentence[0], v, end) for v, end in zip(values, ends, strict=True)]
        if self.reader is not None and not self.reader.treatment_study:
            # "the polymorphism", "the antibodies": a study of no intervention measures its factor
            found = [f or self.reader.main_factor for f in found]
        named = _distinct(
            h.concept for h in view.mentions_in(sentence[0], values[0].start) if h.type == "outcome"
        )
        for run in bracket_runs(view.cased, values):
            if len(named) >= len(run) >= 2:
                for i, outcome in zip(run, named[: len(run)], strict=True):
                    found[i] = outcome
        return found

    def _about(self, view: DocView, low: int, value: Value, high: int) -> str | None:
        """The outcome a value's people reached ("28 patients (35.4%) had an ongoing
        pregnancy"), else the one named last before it."""
        reached = _REACHED.match(view.lower, value.end, high)
        if reached:
            after = [h for h in view.mentions_in(reached.end(), high) if h.type in ("outcome", "mechanism")]
            if after and after[0].start - reached.end() < 30:
                return after[0].concept
        mentions = view.mentions_in(low, value.start)
        kinds = ("outcome", "mechanism") if value.mean is not None else ("outcome",)
        outcomes = [h for h in mentions if h.type in kinds]
        if outcomes:
            return outcomes[-1].concept
        heads = [
            (m.start(), c)
            for regex, c in self.rate_heads
            for m in regex.finditer(view.lower, low, value.start)
        ]
        if heads:
            return max(heads)[1]
        mechanisms = [h for h in mentions if h.type == "mechanism"]
        if mechanisms:
            return mechanisms[-1].concept
        # "The anomaly rate was 2.44% (1/41) ..., comparable to the expected birth defect
        # rate": the one outcome its sentence names, after it
        after = _distinct(h.concept for h in view.mentions_in(value.end, view.sentence_of(value.start)[1])
                          if h.type == "outcome")  # fmt: skip
        return after[0] if len(after) == 1 else None

    def _groups(self, view: DocView, sentence: tuple[int, int], values: list[Value],
                refs: list[GroupRef], arms: list[Arm], listed: list[str],
                outcomes: list[str | None]) -> list[str | None]:  # fmt: skip
        named = [r for r in refs if sentence[0] <= r.start < sentence[1]]
        runs = bracket_runs(view.cased, values)
        in_runs = sum(len(r) for r in runs)
        # "respectively" of outcomes listed in brackets ("(46.24% and 23.66%, respectively)") is not of groups
        if _RESPECTIVELY.search(view.lower, sentence[0], sentence[1]) and in_runs < len(values):
            found = _respectively([r.group for r in named] or listed, values, arms)
            if found is not None:
                listed[:] = _distinct(found)
                return found
        paired = _versus_pairs(view.cased, values)
        groups = [self._arm(view, sentence, values, i, named, i not in paired) for i in range(len(values))]
        for run in runs:  # "in the PBMC-treated group (46.24% and 23.66%, ...)": one group's values
            groups[run[0] + 1 : run[-1] + 1] = [g or groups[run[0]] for g in groups[run[0] + 1 : run[-1] + 1]]
        return _pair_versus(view.cased, values, groups, named, _study_arms(refs, arms), outcomes)

    def _arm(self, view: DocView, sentence: tuple[int, int], values: list[Value], i: int,
             named: list[GroupRef], before_too: bool = True) -> str | None:  # fmt: skip
        """The group named just after a value with a preposition, else (unless the value is
        one of a "vs" pair) the one named last before it since the previous value, not
        across a comparison."""
        value = values[i]
        following = values[i + 1].start if i + 1 < len(values) else sentence[1]
        after = [r for r in named if value.end <= r.start < following]
        if after and _AFTER_ARM.match(view.lower[value.end : after[0].start]):
            return after[0].group
        if _WITHOUT.match(view.lower, value.end):  # "35.8% with intralipid and 28.0% without"
            return CONTROL
        if not before_too:
            return None
        previous = values[i - 1].end if i else sentence[0]
        before = [r for r in named if previous <= r.start and r.end <= value.start]
        if before:
            between = view.lower[before[-1].end : value.start]
            if not re.search(r"\b(?:than|versus|vs|compared)\b", between):
                return before[-1].group
        # "In the treatment group, the miscarriage rate was 6.3%, the live birthrate was
        # 60.0%": the one group a sentence names, before its values, is theirs
        groups = {r.group for r in named}
        if len(groups) == 1 and named[0].end <= values[0].start:
            return named[0].group
        return None

    def _subgroup(self, view: DocView, refs: list[GroupRef], at: int) -> str | None:
        """The subset a number is about, where its sentence says so."""
        s, e = view.sentence_of(at)
        aged = _AGE_GROUP.match(view.text, s, e)
        if aged and aged.end() <= at:
            return aged.group(1)
        only = _ONLY.match(view.text, s, e)
        if only and only.end() <= at:
            return only.group(1)
        opening = _OPENING_SUBSET.match(view.text, s, e)
        # (not "In 193 women entering embryo transfer,": the people analysed, counted)
        if (
            opening
            and opening.end() <= at
            and _PEOPLE_WORD.search(opening.group(1))
            and not _COUNTED.match(opening.group(1))
        ):
            inside = [
                r for r in refs if opening.start(1) <= r.start < opening.end(1) and r.how != "population"
            ]
            if not inside and not _VERB.search(opening.group(1)):
                return opening.group(1).strip()
        cues = view.cues_in(s, at)
        subset = [(a, b) for a, b, c in cues if c == "subset"]
        if subset:
            return view.text[subset[-1][0] : subset[-1][1]]
        if any(c == "subgroup" for _, _, c in cues):
            # the group described ("only patients with severe uRIF benefited"), as for estimates
            return self.attribution.subgroup(view, s, at) or "subgroup"
        return None


# --- helpers ------------------------------------------------------------------------------


def _respectively(groups: list[str], values: list[Value], arms: list[Arm]) -> list[str | None] | None:
    """Values listed with 'respectively' take the groups listed, in order (those of the
    last list when the sentence names none: "... were 28% and 54.2%, respectively"); when
    no groups were listed ("the above three groups"), the arms as the study defined them."""
    if len(groups) == len(values):
        return groups
    if len(values) % max(len(groups), 1) == 0 and groups and len(values) > len(groups):
        return groups * (len(values) // len(groups))
    defined = _distinct(a.group for a in sorted(arms, key=lambda a: a.start))  # as the text defines them
    if not groups and len(defined) == len(values):
        return list(defined)
    return None


def _comparative(rows: list[dict[str, Any]], reader: Reader, compared: list[str]) -> bool:
    """Rows of two groups or more; or of a treated arm only, in a study that names its
    control arm without numbers ("lower rates ... for the patients ... without IVIG")."""
    groups = {r["group"] for r in rows}
    treated = {h.concept for h in reader.interventions}
    return len(groups) >= 2 or (len(groups) == 1 and groups <= treated and CONTROL in compared)


def _arm_sizes(arms: list[Arm], conditions: frozenset[str]) -> list[dict[str, Any]]:
    """Each compared group's size as first written, whole population only: what the sample
    size adds up (rifkb.nlp.counts.total_of_groups). Not a group named by the condition
    all patients share ("108 infertile women ... 25 with ANA, 63 without"): that is all of
    them."""
    sizes: dict[str, int] = {}
    for a in arms:
        if a.subgroup is None and a.group not in conditions:
            sizes.setdefault(a.group, a.size)
    return [{"group": g, "total": n} for g, n in sizes.items()] if len(sizes) >= 2 else []


def _study_arms(refs: list[GroupRef], arms: list[Arm]) -> list[str]:
    """The groups a study compares: those given a size, else those its text names."""
    sized = _distinct(a.group for a in arms)
    if len(sized) >= 2:
        return sized
    return _distinct(
        r.group for r in refs if r.how in ("intervention", "control", "negated", "label", "exposure")
    )


def _versus_pairs(text: str, values: list[Value]) -> set[int]:
    """Indexes of values joined to the next or the previous by "vs", "versus"."""
    found = set()
    for i in range(len(values) - 1):
        if re.match(r"^\W*(?:vs\.?|versus)\W*$", text[values[i].end : values[i + 1].start], re.I):
            found |= {i, i + 1}
    return found


def _is_reference(text: str, ref: GroupRef) -> bool:
    """Whether a group is the reference of a comparison: named right after "compared
    with", "than", "versus" (comparisons inside brackets are numbers)."""
    return bool(_REFERENCE.search(text, max(0, ref.start - 30), ref.start))


def _pair_versus(text: str, values: list[Value], groups: list[str | None], named: list[GroupRef],
                 arms: list[str], outcomes: list[str | None]) -> list[str | None]:  # fmt: skip
    """Two values joined by "vs" with no group of their own take the sentence's first two
    groups, in the order it names them ("between the atosiban and placebo groups (42.3% vs
    35.1%)")."""
    out = list(groups)
    for i in range(len(values) - 1):
        a, b = values[i], values[i + 1]
        if not _VS.match(text[a.end : b.start]):
            continue
        # (not a factor the values measure: "patients with pNK cells ≥12% ... higher in RIF
        # than in Control (66.6% vs 20%)")
        # groups in the order the comparison sets them: the reference of "compared with
        # controls (n = 70), women given hydroxychloroquine ... (42.6% vs 27.1%)" second
        ordered = sorted(named, key=lambda r: _is_reference(text, r))
        distinct = _distinct(r.group for r in ordered if r.group not in (outcomes[i], outcomes[i + 1]))
        if out[i] is None and out[i + 1] is None and len(distinct) >= 2:
            out[i], out[i + 1] = distinct[0], distinct[1]
        elif (out[i] is None) != (out[i + 1] is None) and len(arms) == 2:
            # "30.8% (39/94) vs 19.7% for group 2": the other of a study's two arms
            known = out[i] or out[i + 1]
            other = next(g for g in arms if g != known) if known in arms else None
            out[i], out[i + 1] = out[i] or other, out[i + 1] or other
    return out


def _distinct(items: Any) -> list:
    return list(dict.fromkeys(items))


@Language.factory(
    "rifkb_study_data_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans", "doc._.rifkb_cues", "doc._.rifkb_event_rates"],
    assigns=["doc._.rifkb_study_data", "doc._.rifkb_event_rates", "doc._.rifkb_arm_sizes"],
)  # fmt: skip
def make_study_data(nlp: Language, name: str, rules_dir: str | None) -> StudyDataReader:
    return StudyDataReader(name, rules_dir)
