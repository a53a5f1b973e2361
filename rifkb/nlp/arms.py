"""The groups a study compares, as its abstract names them, and their sizes.

A study's arms are named in many ways; each way is read as a reference to one group:

- an intervention's name ("in the IVIg group", "patients receiving LIT"), unless negated
  ("not receiving LIT", "no IVIG or Humira", "without intralipid"): then its control;
- a control arm (rules/cues.tsv `control_arm`, `control_group`: "placebo", "the control
  group", "untreated", "comparison patients"); controls called fertile or healthy
  (`control_trait`, or the `fertile_controls` concept) are `fertile_controls`;
- the treated arm left unnamed (`treated_arm`: "the study group", "the intervention
  group", "the treatment group"): the study's intervention, or in a study of no
  intervention its cases (`rif`);
- in a study of no intervention, a population compared (`rif`, `fertile_controls`, ...)
  and the carriers of a factor ("APA-positive", "women with ANA", "patients with CE"): the
  factor's concept id; its non-carriers ("APA-negative", "without ANA") are `control`;
- a label ("group I", "group A", "(group 1)"), through what defines it where it is first
  written ("Group I: 41 patients using both IVIG and Adalimumab", "patients receiving LIT
  (group 1)").

Sizes: "(n = 52)" after a reference, "n = 60 per group" for every arm, a number of
people whose clause names one arm ("Twenty-five patients were treated with tacrolimus",
"52 in the study group and 50 in control group", "Of 169 patients, 84 were assigned to
aspirin treatment and 85 to placebo treatment"). How annotation.md counts a group: the
number allocated or analysed as the text says (Cochrane Handbook 6.4: the denominator).
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cached_property, lru_cache
from typing import NamedTuple

from rifkb.nlp.base import DocView, Hit
from rifkb.nlp.text import words_at_start

CONTROL = "control"
FERTILE = "fertile_controls"
CASES = "rif"
# An arm told apart from another of the same id is written "id:subgroup" here (its rows
# are the id's, with that subgroup): a placebo arm beside an untreated control arm, and
# an arm given a combination beside arms given its parts (annotation.md: "the same drug
# at two doses or timings: the same id, told apart by subgroup").
PLACEBO = "control:placebo arm"
UNDEFINED = "label:"  # a group label the abstract never defines ("group 2")


class GroupRef(NamedTuple):
    """Where the text names a group, and which: "control", a concept id, or a label's."""

    start: int
    end: int
    group: str
    how: str  # "intervention" | "control" | "negated" | "treated" | "population" | "exposure" | "label"
    factor: str | None = None  # the factor a group is without ("patients without CE")


class Arm(NamedTuple):
    group: str
    size: int
    subgroup: str | None
    start: int  # where the size is written


# --- closed-class grammar (not vocabulary): how abstracts write a group's size ------------
_N_AFTER = re.compile(r"\s*(?:arm|group|cohort)?s?\s*[\(\[,]?\s*n\s*=\s*(\d[\d,]*)", re.I)
_NEGATED = re.compile(r"(?:\bno|\bnot|\bnon|\bwithout|\bdid not receive|\bnot receiving|\bnot using|\bnor)"
                      r"\W+(?:\w+\W+){0,2}$",
                      re.I)  # fmt: skip
_OPTIONAL = re.compile(r"\bwith\s+or\s+without\s+(?:\S+\s+){0,4}$", re.I)
# ... and its short form in brackets after it: "with or without intravenous immunoglobulin (IVIG)"
_OPTIONAL_SHORT = re.compile(r"\bwith\s+or\s+without\s+(?:\S+\s+){0,6}?\S+\s*\(\s*$", re.I)
_BOTH = re.compile(r"\bwith\s+(?:and|or)\s+without\s+$", re.I)
_WITH = re.compile(r"\b(?:with|had|having|carr(?:y|ying|ied))\s+(?:\w+\s+){0,2}$", re.I)
# "\bgroups? ...", written from its first letter, which re skips to (see
# text.digits_not_after; ignoring case, a letter opens no set it can skip to); "\b(?:the|a|an)
# ..." the same way, by text.words_at_start
_LABEL = re.compile(
    r"(?-i:[gG])(?<!\w[gG])roups?\s+((?:[ivx]+|[a-d]|\d)\b(?:\s*(?:,|,?\s*and|,?\s*or|&)\s*(?:[ivx]+|[a-d]|\d)\b)*)",
    re.I,
)
_LABEL_PART = re.compile(r"\b(?:[ivx]+|[a-d]|\d)\b", re.I)
_DESIGN_WORD = re.compile(r"(?:case-?\s?control|case-)", re.I)
_ARTICLE = words_at_start(("the", "a", "an"))
_NAMED_GROUP = re.compile(
    rf"(?:{_ARTICLE})\s+((?!(?:two|three|four|both|all|each|same|other|whole|study|first|second|control|"
    r"comparison|healthy|fertile)\b)[a-z][\w-]*(?:\s+(?!group)[a-z][\w-]*)?)\s+group\b"
)
# "group 1, including patients diagnosed with CE": a definition after the label
_DEFINED_AFTER = re.compile(
    r"\s*(?:,\s*)?(?:including|included|comprising|comprised|consisting of|of|with|:)\s"
)
# two treatments given together: "prednisone and aspirin", "prednisone, 10 mg per day, and
# aspirin", "IVIG plus adalimumab", "LIT combined with progesterone"
_TOGETHER = re.compile(r"(?:,[^,;.()]{0,30},)?\s*(?:and|plus|\+|combined with|together with|with)\s+", re.I)
_CLAUSE = re.compile(r"[;:]|,\s*(?:and|while|whereas|but)\b|\.\s")


class Legend(NamedTuple):
    labels: list[tuple[int, int, str]]  # (start, end, label) of every label written
    defined: dict[str, str]  # label -> group


def labels(view: DocView) -> list[tuple[int, int, str]]:
    """Every group label written: "group I", "groups I, II and IV", "group A"."""
    found = []
    for m in _LABEL.finditer(view.cased):
        parts = list(_LABEL_PART.finditer(m.group(1)))
        if len(parts) == 1 and parts[0].group() in ("a", "b", "c", "d"):
            continue  # "group a" in running text is an article, not a label
        for p in parts:
            found.append((m.start(1) + p.start(), m.start(1) + p.end(), p.group().lower()))
    return found


@lru_cache(maxsize=8)
def _people(people: str) -> re.Pattern[str]:
    # made once per rule set, not per abstract: re's own cache hashes and compares the
    # whole expression, a new string each time (~20 µs a Reader)
    return re.compile(rf"\b(?:{people})\b", re.I)


class Reader:
    """References to groups and their sizes in one abstract, read with the rules."""

    def __init__(self, view: DocView, controls: frozenset[str], conditions: frozenset[str], people: str):
        self.view = view
        self._given = (controls, conditions, people)
        self.controls = controls  # concept ids of fertile or healthy control populations
        self.conditions = conditions
        self.people = _people(people)
        self.interventions = [h for h in view.mentions if h.type == "intervention"]
        self.main = _main(self.interventions, view.lower)
        self.treatment_study = bool(self.interventions)

    @cached_property
    def _contrasted(self) -> set[str]:
        """Factors a study compares women with and without ("in women with CE compared with
        ... in women without CE"), whatever treatment it names."""
        text, found = self.view.lower, {"with": set(), "without": set()}
        for h in self.view.mentions:
            if h.type == "mechanism":
                m = re.search(r"\b(with|without)\s+(?:\w+\s+)?$", text[max(0, h.start - 20) : h.start])
                if m:
                    found[m.group(1)].add(h.concept)
        return found["with"] & found["without"]

    @property
    def main_factor(self) -> str | None:
        """The factor a study of no intervention is about: the mechanism it names most."""
        named = Counter(h.concept for h in self.view.mentions if h.type == "mechanism").most_common(2)
        return named[0][0] if len(named) == 1 or (named and named[0][1] > named[1][1]) else None

    # --- references -----------------------------------------------------------------

    def references(self) -> list[GroupRef]:
        """Every reference to a group, in text order. Read once per Doc: the study data and
        the findings both need them, from the same mentions, cues and sentences."""
        return list(self.view.derived("group references", self._given, self._references))

    def _references(self) -> list[GroupRef]:
        refs = self._named() + self._cued()
        refs = _without_overlaps(sorted(refs, key=lambda r: (r.start, -r.end)))
        legend = self._legend(refs)
        refs += [GroupRef(s, e, legend.defined.get(name, UNDEFINED + name), "label")
                 for s, e, name in legend.labels]  # fmt: skip
        refs = _without_overlaps(sorted(refs, key=lambda r: (r.start, -r.end)))
        if self.treatment_study:
            return refs
        return self._as_compared(
            _without_overlaps(sorted(refs + self._case_groups(refs), key=lambda r: r.start))
        )

    def _case_groups(self, refs: list[GroupRef]) -> list[GroupRef]:
        """ "From the IVF failure group, 11/42 ...": in a study of no intervention, a group
        named by what its women have, not a control group, is the cases."""
        found: list[GroupRef] = []
        if "group" not in self.view.lower:
            return found  # the expression ends with it (two abstracts in three never write it)
        for m in _NAMED_GROUP.finditer(self.view.lower):
            if not any(r.start < m.end() and m.start() < r.end for r in refs):
                found.append(GroupRef(m.start(1), m.end(), CASES, "treated"))
        return found

    def _as_compared(self, refs: list[GroupRef]) -> list[GroupRef]:
        """In a study of no intervention, its cases are one population (the condition it is
        about: "infertile women with at least three unsuccessful IVF attempts" are its RIF
        patients), and its controls are fertile controls wherever it calls them so once."""
        cases = self.cases()
        fertile = any(r.group == FERTILE for r in refs)
        out = []
        for r in refs:
            if r.group in self.conditions:
                r = r._replace(group=cases)
            elif r.group == CONTROL and fertile and r.how == "control":
                r = r._replace(group=FERTILE)
            out.append(r)
        return out

    def cases(self) -> str:
        named = [
            h.concept for h in self.view.mentions if h.type == "population" and h.concept in self.conditions
        ]
        if CASES in named or not named:
            return CASES
        return max(set(named), key=named.count)

    def _named(self) -> list[GroupRef]:
        text, found = self.view.lower, []
        for h in self.view.mentions:
            before = text[max(0, h.start - 30) : h.start]
            if h.type == "intervention":
                found.append(self._intervention(h, before))
            elif h.type in ("population", "mechanism") and (
                not self.treatment_study or h.concept in self._contrasted
            ):
                ref = self._exposure(h, before)
                found += ref if isinstance(ref, list) else [ref]
        return [r for r in found if r is not None]

    def _intervention(self, h: Hit, before: str) -> GroupRef:
        wider = self.view.lower[max(0, h.start - 70) : h.start]
        if _OPTIONAL.search(wider) or _OPTIONAL_SHORT.search(wider):  # "Adalimumab with or without ... IVIG"
            return GroupRef(h.start, h.end, h.concept, "optional")
        if _NEGATED.search(before) and not _BOTH.search(before):
            return GroupRef(h.start, h.end, CONTROL, "negated")
        return GroupRef(h.start, h.end, h.concept, "intervention")

    def _exposure(self, h: Hit, before: str) -> GroupRef | list[GroupRef] | None:
        after = self.view.lower[h.end : h.end + 14]
        both = _BOTH.search(before)
        if both and h.type == "mechanism":  # "women with and without ANA": carriers, then the others
            at = h.start - len(before) + both.start()
            return [
                GroupRef(at, at + 4, h.concept, "exposure"),
                GroupRef(h.start, h.end, CONTROL, "exposure"),
            ]
        if h.type == "population":
            if h.concept not in self.controls and h.concept not in self.conditions:
                return None
            group = FERTILE if h.concept in self.controls else h.concept
            if h.concept.startswith("non") or re.match(r"non-?\s*$", before[-5:]):
                return None
            return GroupRef(h.start, h.end, group, "population")
        # "APA-negative" is one token and one mention; "ANA negative" two
        named = self.view.lower[h.start : h.end] + after[:12]
        if re.search(r"[\s-]negative\b", named) or (_NEGATED.search(before) and not _BOTH.search(before)):
            return GroupRef(h.start, h.end, CONTROL, "exposure")
        if re.search(r"[\s-]positive\b", named) or _WITH.search(before):
            return GroupRef(h.start, h.end, h.concept, "exposure")
        return None

    def _cued(self) -> list[GroupRef]:
        found = []
        for s, e, cue in self.view.cues:
            if _DESIGN_WORD.match(self.view.lower, max(0, s - 5)) or _DESIGN_WORD.match(self.view.lower, s):
                continue  # "a case-control study" names a design, not a group
            if cue == "control_trait" and not self.treatment_study:
                if self.people.match(
                    self.view.lower, _skip_words(self.view.lower, e)
                ):  # "44 apparently healthy women"
                    found.append(GroupRef(s, e, FERTILE, "control"))
            elif cue == "case_arm" and not self.treatment_study:
                found.append(GroupRef(s, e, CASES, "treated"))
            elif cue in ("control_arm", "control_group") and "case" not in self.view.lower[s:e]:
                fertile = self._fertile(s, e)
                placebo = "placebo" in self.view.lower[s:e]
                found.append(
                    GroupRef(s, e, FERTILE if fertile else PLACEBO if placebo else CONTROL, "control")
                )
            elif (
                cue == "treated_arm" and self.view.lower[s - 1 : s] != "-"
            ):  # not "hCG-treated": named by its head
                # the study's intervention: with two named as often, "treated" names neither
                group = self.main if self.treatment_study else CASES
                if group:
                    found.append(GroupRef(s, e, group, "treated"))
        return found

    def _fertile(self, start: int, end: int) -> bool:
        """Controls called fertile or healthy where they are named ("healthy fertile women
        (n = 160) were included as controls", "fertile controls")."""
        s, e = self.view.sentence_of(start)
        near = self.view.lower[max(s, start - 60) : min(e, end + 10)]
        fertile = any(
            c == "control_trait" for _, _, c in self.view.cues_in(max(s, start - 60), min(e, end + 10))
        )
        named = any(
            h.concept in self.controls for h in self.view.mentions_in(max(s, start - 60), min(e, end + 10))
        )
        return (fertile or named) and "infertil" not in near.replace("fertile", "", 0)

    def _legend(self, refs: list[GroupRef]) -> Legend:
        """What each label means, from where it is first written: the group named before
        "(group 1)" or "as group 3" in its clause, or after "Group I:" up to the next
        label. Labels are read with every factor and population a definition may name
        ("group 2, including patients without CE"), and a factor that one label's
        definition has and another's lacks is what tells them apart ("group 1, including
        patients diagnosed with CE and treated by antibiotics")."""
        found = labels(self.view)
        named = sorted(refs + self._factors(), key=lambda r: r.start)
        spans: dict[str, list[GroupRef]] = {}
        for i, (_, _, name) in enumerate(found):
            if name not in spans:
                span = self._definition(found, i)
                spans[name] = [r for r in named if span[0] <= r.start < span[1] and r.how != "label"]
        lacking = {r.factor for inside in spans.values() for r in inside if r.how == "without"}
        defined: dict[str, str] = {}
        for name, inside in spans.items():
            contrasted = [r.group for r in inside if r.how == "exposure" and r.group in lacking]
            chosen = [r for r in inside if r.how not in ("without", "exposure", "population_any")]
            if contrasted:
                defined[name] = contrasted[0]
            elif any(r.how == "without" for r in inside):
                defined[name] = CONTROL
            elif chosen:
                defined[name] = self._combination(chosen, name) or defining(chosen)
            elif inside:
                defined[name] = inside[0].group
        return Legend(found, defined)

    def _definition(self, found: list[tuple[int, int, str]], i: int) -> tuple[int, int]:
        s, e, name = found[i]
        sentence = self.view.sentence_of(s)
        lead = self.view.lower[max(sentence[0], s - 12) : s]
        defined_after = _DEFINED_AFTER.match(self.view.lower, e)
        if "(" in lead or (re.search(r"\bas\s+(?:the\s+)?groups?\s+$", lead) and not defined_after):
            previous = max([sentence[0]] + [o_end for _, o_end, _ in found[:i] if o_end <= s])
            return max(previous, clause_start(self.view.lower, sentence[0], s)), s
        nxt = next((o for o, _, n in found[i + 1 :] if o > e and n != name), sentence[1])
        return e, min(nxt, sentence[1])

    def _factors(self) -> list[GroupRef]:
        """Factors and populations a label's definition may name, whatever the study: "with
        CE" (how "exposure"), "without CE" ("without", its concept kept), "patients with the
        first IVF cycle" ("population_any")."""
        found = []
        for h in self.view.mentions:
            before = self.view.lower[max(0, h.start - 30) : h.start]
            if h.type == "mechanism":
                if re.search(r"\bwithout\s+(?:\w+\s+)?$", before):
                    found.append(GroupRef(h.start, h.end, CONTROL, "without", h.concept))
                elif _WITH.search(before):
                    found.append(GroupRef(h.start, h.end, h.concept, "exposure"))
            elif h.type == "population":
                found.append(GroupRef(h.start, h.end, h.concept, "population_any"))
        return found

    def _combination(self, inside: list[GroupRef], label: str) -> str | None:
        """A group given two interventions ("Group I: 41 patients using both IVIG and
        Adalimumab"): the one the abstract names first, as a combination subgroup."""
        given = distinct(r.group for r in inside if r.how == "intervention")
        if len(given) < 2 or any(r.how == "negated" for r in inside):
            return None
        first = min(given, key=lambda g: next(h.start for h in self.interventions if h.concept == g))
        return f"{first}:combination ({' + '.join(sorted(given))}, group {label.upper()})"


def _main(interventions: list[Hit], text: str) -> str | None:
    """The intervention a study is about: the one named most; on a tie, of two given
    together ("prednisone and aspirin", "IVIG plus adalimumab") the first named, as for a
    combination arm; of two offered as alternatives ("IVIg or intralipid"), none."""
    if not interventions:
        return None
    counts = Counter(h.concept for h in interventions).most_common(2)
    if len(counts) == 1 or counts[0][1] > counts[1][1]:
        return counts[0][0]
    tied = {counts[0][0], counts[1][0]}
    named = [h for h in interventions if h.concept in tied]
    together = any(a.concept != b.concept and _TOGETHER.fullmatch(text, a.end, b.start)
                   for a, b in zip(named, named[1:], strict=False))  # fmt: skip
    return named[0].concept if together else None


# which of the groups a span names it defines: a control first ("no IVIG or Humira"), then
# a treatment or a factor, an arm named by its role, a population, a co-treatment offered
# "with or without"
_PRECEDENCE = {"control": 0, "negated": 0, "without": 0, "intervention": 1, "exposure": 1, "treated": 2,
               "label": 2, "population": 3, "population_any": 3, "optional": 4}  # fmt: skip


def defining(inside: list[GroupRef]) -> str:
    """The group a span names: a control before anything else ("no IVIG or Humira"), then
    an intervention or exposure, then the population."""
    controls = [r for r in inside if r.group == CONTROL]
    if controls and controls[0].start == inside[0].start:
        return CONTROL
    return min(inside, key=lambda r: (_PRECEDENCE[r.how], r.start)).group


def clause_start(text: str, low: int, at: int) -> int:
    cuts = [m.end() for m in _CLAUSE.finditer(text, low, at)]
    commas = [i + 1 for i in range(low, at) if text[i] == ","]
    return max([low] + cuts + commas[-1:])


def _skip_words(text: str, at: int, most: int = 2) -> int:
    """Past up to `most` words ("healthy [fertile] women")."""
    m = re.match(rf"(?:\s+[\w-]+){{0,{most}}}?\s+(?=\w)", text[at : at + 40])
    return at + (m.end() if m else 0)


def _without_overlaps(refs: list[GroupRef]) -> list[GroupRef]:
    kept: list[GroupRef] = []
    for r in refs:
        if kept and r.start < kept[-1].end:
            continue
        kept.append(r)
    return kept


def distinct(items) -> list:  # type: ignore[no-untyped-def]
    return list(dict.fromkeys(items))
