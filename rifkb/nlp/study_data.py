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
rule); each event rate whose count was read gets its `group`.
"""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.arms import (
    CONTROL,
    UNDEFINED,
    Arm,
    GroupRef,
    Reader,
    placebo_apart,
    resolve_undefined,
)
from rifkb.nlp.base import DocView, RuleComponent, factory_config
from rifkb.nlp.text import alternation, number_words, parse_number
from rifkb.rules import RuleSet

RULE = "rifkb_study_data_v1"
COMPARATIVE = ("rct", "nrct", "cohort", "case_control", "cross_sectional", "case_series", "other", None)

# --- closed-class grammar of reported numbers ---------------------------------------------
_NUM = r"\d+(?:[.·]\d+)?"
_PERCENT = re.compile(rf"(?<![\w.])({_NUM})\s?%")
_BARE_BEFORE_VS = re.compile(rf"(?<![\w.%])({_NUM})(?=\s*(?:vs\.?|versus)\s*{_NUM}\s?%)")
_MEAN_SD = re.compile(rf"(?<![\w.])({_NUM})\s*(?:±|\+/-|\+-|\u2213)\s*({_NUM})(?:\s?%)?")
_COUNT_OF = r"(?<![\w.,])({n})\s+(?:out\s+)?of\s+(?:the\s+)?(\d+)\b(?!\s*%)"
# "Clinical pregnancy occurred in 14 women in the G-CSF group": events, their group after them
_EVENTS_IN = re.compile(
    r"(?<![\w.,/])(\d+)\s+(?:women|patients|couples|subjects|participants)\s+(?=(?:in|of|from)\s)", re.I
)
_EVENTS_PERCENT = re.compile(rf"(?<![\w.,/])(\d+)\s+(?:[a-z-]+\s+){{0,2}}\(\s*({_NUM})\s?%\s*\)", re.I)
# a number of women that sizes a group rather than counts its events
_BARE_SIZE = re.compile(
    r"\b(?:of|total|enrolled|included|randomi[sz]ed|allocated|recruited|comprised)\W*$", re.I
)
_WITHOUT = re.compile(r"\s+without\s*(?:[(,.;]|$)")
_REFERENCE = re.compile(r"\b(?:compared (?:with|to)|in comparison (?:with|to)|than(?: in)?|relative to)\s+"
                        r"(?:the\s+|those\s+)?(?:[\w-]+\s+){0,2}$", re.I)  # fmt: skip
_PER_UNIT = re.compile(r"\bper\s+(?:et\s+)?(embryos?|cycles?|et|transfer)\b|\bin\s+(?:\w+\s+)?(cycles)\b")
_NOT_A_RESULT = re.compile(r"\s*(?:ci|confidence|of (?:the )?(?:cases|patients|women) (?:were|had)\b)", re.I)
_THRESHOLD = re.compile(r"[≥≤<>]\s*$")
_CI_BEFORE = re.compile(r"(?:ci|confidence interval)\W{0,6}$", re.I)
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
_LISTED_N = re.compile(r"\bn\s*=\s*\d+(?:\s*(?:,|and|,\s*and)\s*\d+)+")
_MEDIAN = re.compile(r"\b(?:median|interquartile|iqr)\b")
_SE = re.compile(r"\b(?:s\.?e\.?m?|standard error)\b", re.I)
_PEOPLE_WORD = re.compile(r"\b(?:patients|women|couples|subjects|participants|cases|controls)\b", re.I)
_VERB = re.compile(r"\b(?:was|were|is|are|had|has|have|showed|did|received|underwent)\b", re.I)


class Value(NamedTuple):
    start: int
    end: int
    events: int | None
    total: int | None
    percent: float | None
    mean: float | None
    sd: float | None
    se: bool = False
    count_at: int = -1  # where its n/N starts (an event rate's start), when it is a count


class StudyDataReader(RuleComponent):
    needs = ("sentences", "mentions", "cues")

    def compile(self, rules: RuleSet) -> None:
        self.reader: Reader | None = None  # the abstract being read (set per call)
        self.numbers = rules.numbers
        word = number_words(rules.numbers)
        self.count_of = re.compile(_COUNT_OF.format(n=rf"\d+|{word}"), re.I)
        self.of_them = re.compile(rf"(?<![\w.,])(\d+|{word})\s+of\s+(?:them|whom)\s+(?:were\s+)?in\b", re.I)
        self.more_of_them = re.compile(rf"[^,;.]*?[,;]\s*(?:and\s+)?(\d+|{word})\s+(?:were\s+)?in\b", re.I)
        self.number = re.compile(rf"(?<![\w.,/])(?:\d+|{word})(?![\w.,/%])", re.I)
        self.controls = rules.with_role("control")
        self.conditions = rules.with_role("condition")
        self.people = alternation(rules.nouns["participant"])
        self.rate_heads = [(re.compile(rf"\b{re.escape(w)}\b"), c) for w, c in rules.rate_heads.items()]
        self.not_per_woman = rules.with_role("not_per_woman")

    def read(self, doc: Doc, view: DocView) -> None:
        rows, owners = self.study_data(view, doc._.rifkb_design)
        doc._.rifkb_study_data = rows
        for rate in doc._.rifkb_event_rates or []:
            if rate["start"] in owners:
                rate["group"] = owners[rate["start"]]

    def study_data(self, view: DocView, design: str | None) -> tuple[list[dict[str, Any]], dict[int, str]]:
        reader = self.reader = Reader(view, self.controls, self.conditions, self.people)
        refs = reader.references()
        if not refs:
            return [], {}
        # (a group's size belongs to a stratum only where the bracket says so: "n=73 in RIF
        # patients"; "Among RIF patients, two groups were formed ..." sizes the groups)
        arms = reader.sizes(refs, self._numbers(view), lambda at: None)
        refs, arms = placebo_apart(refs, arms)
        refs = resolve_undefined(refs, arms)
        values = self._values(view)
        owners: dict[int, str] = {}
        rows: list[dict[str, Any]] = []
        listed: list[str] = []  # the groups of the last "respectively" list
        for sentence in view.sentences:
            if sentence[0] < view.title_end:
                continue  # a title announces; its numbers are the results' own
            found = [v for v in values if sentence[0] <= v.start < sentence[1]]
            if found:
                rows += self._sentence_rows(view, sentence, found, refs, arms, owners, listed)
        rows = _one_per_cell([_told_apart(r) for r in rows if not r["group"].startswith(UNDEFINED)])
        # a study that compares groups, though it may give numbers of one only ("lower
        # rates ... for the patients ... without IVIG", no size given)
        compared = _study_arms(refs, arms)
        grouped = {r["group"] for r in rows}
        rows = [r for r in rows if r["outcome"] not in grouped]  # the factor that defines the groups
        if design not in COMPARATIVE or len(compared) < 2 or not _comparative(rows, reader, compared):
            return [], owners
        return rows, owners

    # --- numbers ------------------------------------------------------------------------

    def _numbers(self, view: DocView) -> list[tuple[int, int, int]]:
        found = []
        for m in self.number.finditer(view.cased):
            value = int(m.group()) if m.group().isdigit() else parse_number(m.group(), self.numbers)
            if value is not None and 0 < value < 100000 and not 1900 <= value <= 2100:
                found.append((m.start(), m.end(), value))
        return found

    def _values(self, view: DocView) -> list[Value]:
        """Every reported result of a group: counts, percentages and means, in text order;
        a percentage written beside a count is that count's."""
        text, taken, values = view.cased, [], []

        def free(s: int, e: int) -> bool:
            return not any(a < e and s < b for a, b in taken)

        for m in _MEAN_SD.finditer(text):
            s, e = view.sentence_of(m.start())
            values.append(Value(m.start(), m.end(), None, None, None, float(_dot(m.group(1))),
                                float(_dot(m.group(2))), bool(_SE.search(text, s, e))))  # fmt: skip
            taken.append(m.span())
        for m in self._counts(view):
            events, total = m
            taken.append((events[0], total[1]))
            percent = _percent_beside(text, events[0], total[1])
            span = (
                (events[0], total[1])
                if not percent
                else (min(events[0], percent[1][0]), max(total[1], percent[1][1]))
            )
            values.append(Value(*span, events[2], total[2], percent[0] if percent else None, None, None,
                                count_at=events[0]))  # fmt: skip
            taken.append(span)
        for start, end, events in self._breakdown(view):
            if free(start, end):
                values.append(Value(start, end, events, None, None, None, None))
                taken.append((start, end))
        for m in _EVENTS_IN.finditer(text):
            if free(*m.span()) and not _BARE_SIZE.search(text, max(0, m.start() - 25), m.start()):
                values.append(Value(m.start(), m.end(), int(m.group(1)), None, None, None, None))
                taken.append(m.span())
        for m in _EVENTS_PERCENT.finditer(text):
            if free(*m.span()):
                values.append(
                    Value(m.start(), m.end(), int(m.group(1)), None, float(_dot(m.group(2))), None, None)
                )
                taken.append(m.span())
        for regex in (_PERCENT, _BARE_BEFORE_VS):
            for m in regex.finditer(text):
                if free(*m.span()) and _a_result(text, m):
                    values.append(Value(m.start(), m.end(), None, None, float(_dot(m.group(1))), None, None))
                    taken.append(m.span())
        return sorted(values)

    def _breakdown(self, view: DocView) -> list[tuple[int, int, int]]:
        """Events broken down by group: "abortion rates was 17.6% (3), two of them in G-CSF,
        one in saline group" (the number, where it stands, and what it counts)."""
        found = []
        for m in self.of_them.finditer(view.cased):
            end = view.sentence_of(m.start())[1]
            found.append((m.start(1), m.end(1), self._value(m.group(1))))
            more = self.more_of_them.match(view.cased, m.end(), end)
            while more:
                found.append((more.start(1), more.end(1), self._value(more.group(1))))
                more = self.more_of_them.match(view.cased, more.end(), end)
        return [f for f in found if f[2] is not None]

    def _value(self, word: str) -> int | None:
        return int(word) if word.isdigit() else parse_number(word, self.numbers)

    def _counts(self, view: DocView) -> list[tuple[tuple, tuple]]:
        """(events, total) spans and values of 'n/N' (the event rates rifkb_numbers read) and
        'n of N' ("Thirty-six of 94")."""
        found = [((r["start"], r["start"], r["events"]), (r["end"], r["end"], r["total"]))
                 for r in (view.doc._.rifkb_event_rates or [])]  # fmt: skip
        for m in self.count_of.finditer(view.cased):
            word = m.group(1)
            events = int(word) if word.isdigit() else parse_number(word, self.numbers)
            if events is not None and events <= int(m.group(2)):
                found.append(((m.start(), m.start(1), events), (m.end(), m.end(), int(m.group(2)))))
        return sorted(found)

    # --- one sentence -------------------------------------------------------------------

    def _sentence_rows(self, view: DocView, sentence: tuple[int, int], values: list[Value],
                       refs: list[GroupRef], arms: list[Arm], owners: dict[int, str],
                       listed: list[str]) -> list[dict[str, Any]]:  # fmt: skip
        values = _with_listed_events(view.cased, values)
        outcomes = self._outcomes(view, sentence, values)
        groups = self._groups(view, sentence, values, refs, arms, listed, outcomes)
        rows = []
        for value, outcome, group in zip(values, outcomes, groups, strict=True):
            group = group or _sized_as(value, arms)
            if group is None:
                continue
            subgroup = self._subgroup(view, refs, value.start)
            if value.events is not None and value.total is not None and not group.startswith(UNDEFINED):
                owners[value.count_at] = group.partition(":")[0]
                if not any(a.group == group and a.subgroup == subgroup for a in arms):
                    arms.append(
                        Arm(group, value.total, subgroup, value.start)
                    )  # "98 of 341 ... 19.7% for group 2"
            if outcome is None or outcome == group:
                continue  # nothing measured, or the factor that defines the group
            if value.events is None and _MEDIAN.search(view.lower, *sentence):
                continue  # medians and ranges give no row (annotation.md)
            if outcome in self.not_per_woman and value.events is None:
                continue  # a percentage of embryos or pregnancies, their number not written
            row = _row(value, outcome, group, subgroup, arms)
            if row is not None:
                rows.append(row | {"denominator": _denominator(view.lower[sentence[0] : sentence[1]])})
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
        for run in _bracket_runs(view.cased, values):
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
        runs = _bracket_runs(view.cased, values)
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
            return "subgroup"
        return None


# --- helpers ------------------------------------------------------------------------------


def _denominator(sentence: str) -> str | None:
    """What a sentence's rates count other than women: "per embryo transferred", "per ET
    cycle", "in treated cycles" (a unit-of-analysis problem for a meta-analysis of women,
    Cochrane Handbook 6.2)."""
    found = _PER_UNIT.search(sentence)
    if not found:
        return None
    unit = found.group(1) or found.group(2)
    return "embryos" if unit.startswith("embryo") else "transfers" if unit in ("et", "transfer") else "cycles"


def _a_result(text: str, m: re.Match[str]) -> bool:
    """A percentage that reports a result: not a threshold ("pNK cells ≥12%"), a confidence
    level ("95% CI") or a share over 100."""
    before = text[max(0, m.start() - 12) : m.start()]
    return (
        not (
            _THRESHOLD.search(before[-3:]) or _CI_BEFORE.search(before) or _NOT_A_RESULT.match(text, m.end())
        )
        and float(_dot(m.group(1))) <= 100
    )


def _dot(number: str) -> str:
    return number.replace("·", ".")


def _percent_beside(text: str, start: int, end: int) -> tuple[float, tuple[int, int]] | None:
    after = re.compile(rf"\s*(?:[;,]\s*|\(\s*)({_NUM})\s?%").match(text, end)
    if after:
        return float(_dot(after.group(1))), after.span()
    before = re.compile(rf"({_NUM})\s?%\s*[\(\[,]?\s*$").search(text, max(0, start - 16), start)
    if before:
        return float(_dot(before.group(1))), before.span()
    return None


def _bracket_runs(text: str, values: list[Value]) -> list[list[int]]:
    """Indexes of values listed together in one bracket with 'and' or ','."""
    runs: list[list[int]] = []
    for i, v in enumerate(values):
        if runs and re.fullmatch(r"\s*(?:,|and|,\s*and)\s*", text[values[runs[-1][-1]].end : v.start]):
            runs[-1].append(i)
        else:
            runs.append([i])
    return [
        r for r in runs if len(r) >= 2 and "(" in text[max(0, values[r[0]].start - 3) : values[r[0]].start]
    ]


def _respectively(groups: list[str], values: list[Value], arms: list[Arm]) -> list[str | None] | None:
    """Values listed with 'respectively' take the groups listed, in order (those of the
    last list when the sentence names none: "... were 28% and 54.2%, respectively"); when
    no groups were listed ("the above three groups"), the arms as the study defined them."""
    if len(groups) == len(values):
        return groups
    if len(values) % max(len(groups), 1) == 0 and groups and len(values) > len(groups):
        return groups * (len(values) // len(groups))
    defined = _distinct(a.group for a in arms)
    if not groups and len(defined) == len(values):
        return list(defined)
    return None


def _with_listed_events(text: str, values: list[Value]) -> list[Value]:
    """Percentages listed in a bracket with their counts after them: "(46.24% and 23.66%,
    n=43 and 22, respectively)" are 43 and 22 events."""
    out = list(values)
    for run in _bracket_runs(text, values):
        close = text.find(")", values[run[-1]].end)
        listed = _LISTED_N.search(text, values[run[-1]].end, close if close > 0 else len(text))
        counts = [int(n) for n in re.findall(r"\d+", listed.group(0))] if listed else []
        if len(counts) == len(run):
            for i, events in zip(run, counts, strict=True):
                out[i] = out[i]._replace(events=events)
    return out


def _comparative(rows: list[dict[str, Any]], reader: Reader, compared: list[str]) -> bool:
    """Rows of two groups or more; or of a treated arm only, in a study that names its
    control arm without numbers ("lower rates ... for the patients ... without IVIG")."""
    groups = {r["group"] for r in rows}
    treated = {h.concept for h in reader.interventions}
    return len(groups) >= 2 or (len(groups) == 1 and groups <= treated and CONTROL in compared)


def _sized_as(value: Value, arms: list[Arm]) -> str | None:
    """A count whose sentence names no group, over a total that is one arm's size and no
    other's ("The study group comprised 52 patients ... 32.7% (17/52)")."""
    if value.total is None:
        return None
    matching = {a.group for a in arms if a.size == value.total and a.subgroup is None}
    return matching.pop() if len(matching) == 1 else None


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


def _row(
    value: Value, outcome: str, group: str, subgroup: str | None, arms: list[Arm]
) -> dict[str, Any] | None:
    size = _size(arms, group, subgroup)
    base = {"outcome": outcome, "group": group, "subgroup": subgroup, "start": value.start, "end": value.end,
            "rule": RULE, "events": None, "total": None, "mean": None, "sd": None, "derived": False,
            "percent": value.percent, "note": None, "denominator": None}  # fmt: skip
    if value.mean is not None:
        sd, derived, note = value.sd, False, None
        if value.se:
            if size is None:
                return None
            sd, derived = round(value.sd * math.sqrt(size), 4), True  # Cochrane Handbook 6.5.2.2
            note = f"SD = SE {value.sd} x sqrt({size})"
        return base | {"mean": value.mean, "sd": sd, "total": size, "derived": derived, "note": note}
    if value.events is not None:
        total = value.total if value.total is not None else size
        if total is None:
            return None
        return base | {"events": value.events, "total": total}
    if size is None or value.percent is None:
        return None
    events = math.floor(value.percent * size / 100 + 0.5)
    return base | {
        "events": events,
        "total": size,
        "derived": True,
        "note": _derivation(value.percent, size, events),
    }


def _derivation(percent: float, total: int, events: int) -> str:
    """How the count was derived, and whether it gives back the percentage as printed."""
    text = f"events = round({percent:g}% x {total} / 100) = {events}"
    decimals = len(f"{percent:g}".partition(".")[2])
    back = round(100 * events / total, decimals)
    if abs(back - percent) > 0.5 * 10**-decimals + 1e-9:
        text += f"; {events}/{total} is {back:.{decimals}f}%, not the {percent:g}% printed"
    return text


def _size(arms: list[Arm], group: str, subgroup: str | None) -> int | None:
    own = [a.size for a in arms if a.group == group and a.subgroup == subgroup]
    if own:
        return own[0]
    whole = [a.size for a in arms if a.group == group and a.subgroup is None]
    return whole[0] if whole and subgroup is None else None


def _told_apart(row: dict[str, Any]) -> dict[str, Any]:
    """An arm told apart from another of its id ("control:placebo arm"): the id's row, with
    that subgroup."""
    group, _, subgroup = row["group"].partition(":")
    return row | {"group": group, "subgroup": row["subgroup"] or subgroup} if subgroup else row


def _one_per_cell(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per outcome x group x subgroup: the first written; a second whole-group
    count of another total is a subset of the group."""
    kept: dict[tuple, dict[str, Any]] = {}
    for row in rows:
        key = (row["outcome"], row["group"], row["subgroup"], row["mean"] is None)
        if (
            key in kept
            and row["subgroup"] is None
            and row["total"] != kept[key]["total"]
            and row["events"] is not None
        ):
            row = row | {"subgroup": "part of the group"}
            key = (row["outcome"], row["group"], row["subgroup"], row["mean"] is None)
        kept.setdefault(key, row)
    return list(kept.values())


def _distinct(items: Any) -> list:
    return list(dict.fromkeys(items))


@Language.factory(
    "rifkb_study_data_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans", "doc._.rifkb_cues", "doc._.rifkb_event_rates"],
    assigns=["doc._.rifkb_study_data", "doc._.rifkb_event_rates"],
)  # fmt: skip
def make_study_data(nlp: Language, name: str, rules_dir: str | None) -> StudyDataReader:
    return StudyDataReader(name, rules_dir)
