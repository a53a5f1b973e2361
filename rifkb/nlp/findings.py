"""rifkb_findings_v1: directional results, one per subject, object and direction.

What is not a result of the study is skipped: a sentence stating an aim, a purpose ("To
improve ..."), a question, others' work ("Several studies suggested ...") or a gap in
knowledge, and every sentence under a BACKGROUND or OBJECTIVE heading. The rest are cut
into clauses (rifkb.nlp.clauses). In each clause:

- direction: a no-difference phrase ("no significant difference", "did not improve",
  "comparable") wins; else an increase or decrease word (negated, even words apart: no
  difference); else an association phrase ("associated with", positive); else the clause's
  effect estimate (above or below no effect) or its p-value (above 0.05 or "NS": no
  difference, about the outcomes named just before it);
- subject: the group a clause names first when groups are labelled ("group I versus group
  IV", "Low group"), else the factor compared ("women with and those without CE"), else the
  clause's interventions (treatment) or mechanisms (association), then those of the
  sentence, then the study's focus (its title's, or the one or two the abstract names
  most). Treatments given together are all credited ("IVIG plus adalimumab"), one given to
  both groups is not ("HCQ+PDN group than PDN alone group"); subjects each followed by
  their own outcomes pair in turn ("of PBMC on CPR and LBR, of G-CSF on CPR");
- objects: the clause's outcomes, not those of an opening setting ("In women with a
  clinical pregnancy, ...") nor of the reference group of an association ("than in those
  who had a live birth"); for an association, the condition (RIF, RPL, infertility) when
  no outcome is named or named with one ("associated with RIF and pregnancy loss"), never
  the reference group's ("compared to women with male factor infertility"). A clause with
  no outcome of its own reports on those just named: the clause before, and for no
  difference, the sentence before ("There were no significant differences in outcomes");
- a direction word next to a mechanism belongs to that mechanism ("elevated pro-inflammatory
  cytokines"; "RIF patients with elevated Th1/Th2 ratios were recruited" is no result), and
  a low level turns an association around ("inadequate vitamin D ... associated with
  pregnancy loss" is a decrease); so does a result about the group without the subject
  ("lower rates ... without IVIG" is IVIG increasing them).

Sides of a comparison (rifkb.nlp.sides, with arms.Reader's groups): direction words said
of the comparator arm ("the abortion rate was significantly higher in the placebo group")
are turned for the treatment; with no direction word, the groups' values give it when the
clause says the difference is significant ("40% in the sildenafil group versus 22% in the
control group (p = 0.03)", "... were 37.5% and 16.7%, respectively"). A finding the
groups' study-data numbers contradict is a warning (rifkb.nlp.verdicts).

A hedged increase or decrease with nothing measured ("may improve pregnancy rate", no
p-value, no interval, not "significantly") is a speculation, not a result.

Significance: "not significant" false, "significantly" or p <= 0.05 or an interval
excluding no effect true, otherwise unknown; a no-difference result is not significant. A
result stated twice keeps the statement that says whether it is significant; one about
"pregnancy outcomes" as a whole stands only when the abstract has no specific result.

Written to `doc._.rifkb_findings`: dicts (kind, subject, object, direction, significant,
hedged, start, end, rule), one per (kind, subject, object, direction).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp import clauses as grammar
from rifkb.nlp import sides
from rifkb.nlp.arms import GroupRef, Reader
from rifkb.nlp.base import DocView, Hit, RuleComponent, factory_config
from rifkb.nlp.clauses import Located, Subjects
from rifkb.nlp.text import alternation
from rifkb.nlp.verdicts import disagreements
from rifkb.records import no_effect
from rifkb.rules import RuleSet

_GROUPS = re.compile(r"\b(?:outcomes?|groups?|arms?|cohorts?)\b")  # "no differences in outcomes"
# "pregnancy outcomes" as a whole (not "neonatal outcomes", an outcome of its own)
_UMBRELLA = re.compile(r"\bpregnancy outcomes?\b")
_DIRECTED = ("increase", "decrease", "no_difference", "not_significant", "association")


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
    umbrella: bool = False  # about "pregnancy outcomes" as a whole, not one outcome

    def to_json(self) -> dict[str, Any]:
        names = ("kind", "subject", "object", "direction", "significant", "hedged", "start", "end")
        return {**{name: getattr(self, name) for name in names}, "rule": "rifkb_findings_v1"}


@dataclass(frozen=True)
class _Study:
    """What every sentence of an abstract is read with: the study's focus, its labelled
    groups, and its mentions, cues and effect estimates by position."""

    focus: Subjects | None
    legend: grammar.Legend
    mentions: Located[Hit]
    cues: Located[tuple]
    effects: Located[dict]
    refs: list[GroupRef]  # which text names which group (arms.Reader), for the sides of a comparison


@dataclass(frozen=True)
class _Subjects:
    kind: str | None
    ids: list[str]
    from_focus: bool


@dataclass(frozen=True)
class _Clause:
    start: int
    end: int
    mentions: list[Hit]
    cues: list
    effects: list


@dataclass(frozen=True)
class _Direction:
    direction: str
    by_modifier: bool  # the mechanism's own direction word is the result
    local: dict[str, list[str]]  # mechanism -> the directions of the words describing it
    cues: list  # the clause's direction words that are results
    numeric: str | None = None  # read from the groups' values: the group of the treated side


class FindingReader(RuleComponent):
    needs = ("sentences", "mentions", "cues", "effects", "study_data")

    def compile(self, rules: RuleSet) -> None:
        def before(category: str, most: int = 1) -> re.Pattern[str]:  # a cue, then at most `most` words
            words = alternation(rules.cues[category])
            return re.compile(rf"\b(?:{words})\s+(?:\w+\s+){{0,{most}}}$")

        # "not improve", "failed to increase", "no overall significant improvement", "does not
        # appear to increase": a direction word negated is no difference
        self.negated_cue = before("negation", 3)
        negation = alternation(rules.cues["negation"])
        self.negated_subject = re.compile(rf"\b(?:{negation})\s+(?:\w+\s+){{0,2}}$|\bnon-?$")
        # "no side-effects", "failed to become pregnant": the outcome is absent, not compared
        self.absent = before("absence")
        contrast = "|".join(map(re.escape, rules.cues["contrast"]))
        self.clause_break = re.compile(rf";(?!\s*{grammar.STATISTIC})|\b(?:{contrast})\b")
        self.contrast_word = re.compile(rf"(?:{contrast})\b")
        self.conditions = rules.with_role("condition")
        self.controls = rules.with_role("control")
        self.people = alternation(rules.nouns["participant"])

    def read(self, doc: Doc, view: DocView) -> None:
        text, study = view.lower, self._study(doc, view)
        results: dict[tuple, Result] = {}
        named: dict[str, Hit] = {}  # the outcomes the last sentence reported on
        sentences = view.sentences
        for (start, end), background in zip(
            sentences, grammar.in_background(text, view.text, sentences), strict=True
        ):
            if background or self._no_result(text, study.cues.within(start, end), start, end):
                named = {}
                continue
            found, named = self._sentence(text, (start, end), study, named)
            for result in found:
                key = (result.kind, result.subject, result.object, result.direction)
                if key not in results or _better(result, results[key]):
                    results[key] = result
        found = [r.to_json() for r in _without_restatements(list(results.values()))]
        doc._.rifkb_findings = found
        doc._.rifkb_warnings = disagreements(found, doc._.rifkb_study_data or [])

    def _study(self, doc: Doc, view: DocView) -> _Study:
        mentions = Located(view.mentions, lambda h: h.start)

        def defining(start: int, end: int, ctype: str | None) -> Subjects | None:
            hits = [h for h in mentions.within(start, end) if ctype is None or h.type == ctype]
            return self._defining(view.lower, hits)

        legend = grammar.legend(view.lower, view.sentence_of, defining)
        cues = Located(view.cues, lambda c: c[0])
        refs = Reader(view, self.controls, self.conditions, self.people).references()
        effects = Located(doc._.rifkb_effects, lambda e: e["start"])
        return _Study(self._focus(view), legend, mentions, cues, effects, refs)

    def _no_result(self, text: str, cues: list, start: int, end: int) -> bool:
        """An aim, others' work, a gap in knowledge, a purpose or a question."""
        return (
            any(c in ("aim", "need") for _, _, c in cues)
            or bool(grammar.PURPOSE.match(text, start, end))
            or text[start:end].rstrip().endswith("?")
        )

    def _defining(self, text: str, hits: list[Hit]) -> Subjects | None:
        """The subjects that define a group: "using no IVIG or Humira" names none, "with or
        without IVIG" names IVIG as optional, not as what defines the group."""
        left_out = self._negated_hits(text, hits) | {
            h for h in hits if grammar.BOTH_GROUPS.search(text[max(0, h.start - 40) : h.start])
        }
        for a, b in zip(hits, hits[1:], strict=False):  # "intravenous immunoglobulin (IVIG)"
            if a in left_out and re.fullmatch(r"\s*\(", text[a.end : b.start]):
                left_out.add(b)
        return _subjects([h for h in hits if h not in left_out])

    def _focus(self, view: DocView) -> Subjects | None:
        """What the study is about: what its title names (interventions first), else the
        intervention, else the mechanism, the abstract names most: one, or two named as
        often (a study of IVIG and adalimumab together); a review naming eight
        immunotherapies once each is about none of them."""
        mentions, title_end = view.mentions, view.title_end
        titled = _subjects([h for h in mentions if h.start < title_end])
        if titled:
            return titled
        for ctype, kind in (("intervention", "treatment"), ("mechanism", "association")):
            counts = Counter(h.concept for h in mentions if h.type == ctype)
            if counts:
                most = max(counts.values())
                top = [c for c, n in counts.items() if n == most]
                return (kind, top) if len(top) == 1 or (len(top) == 2 and most > 1) else None
        return None

    def _sentence(self, text: str, span: tuple[int, int], study: _Study,
                  before: dict[str, Hit]) -> tuple[list[Result], dict[str, Hit]]:  # fmt: skip
        """The results of one sentence, clause by clause, and the outcomes it named. A
        clause that names no outcome reports on those of the clause before it ("higher in
        women over 36, while no difference was found in younger women"); a no-difference
        clause also on those of the sentence before ("There were no significant differences
        in outcomes in FETs")."""
        sentence_subjects = _subjects(study.mentions.within(*span))
        results: list[Result] = []
        previous: list[Result] = []
        implied = (before, False)
        for c_start, c_end in grammar.clauses(text, *span, self.clause_break, self.contrast_word):
            clause = _Clause(c_start, c_end, study.mentions.within(c_start, c_end),
                             study.cues.within(c_start, c_end),
                             study.effects.within(c_start, c_end))  # fmt: skip
            if previous and _says_not_significant(clause.cues) and not self._outcomes(text, clause):
                # "higher in the PRP group; however, the difference was not significant"
                results = [r for r in results if r not in previous]
                found = [replace(r, direction="no_difference", significant=False) for r in previous]
            elif not clause.cues and not clause.effects and not grammar.P.search(text, c_start, c_end):
                found = []  # no word, estimate or p-value in it states a direction (`_direction`)
            else:
                subjects, level = self._subjects_of(text, clause, sentence_subjects, study)
                found = self._clause(text, clause, subjects, study, implied)
                if level == "decrease":  # "Low group ... higher than High group"
                    found = [replace(r, direction=_flip(r.direction)) for r in found]
            results += found
            previous = found
            named = self._outcomes(text, clause)
            implied = (named, True) if named else implied
        return results, implied[0] if implied[1] else {}

    def _subjects_of(self, text: str, clause: _Clause, sentence_subjects: Subjects | None,
                     study: _Study) -> tuple[_Subjects, str | None]:  # fmt: skip
        """Whom a clause reports on, and the level of a labelled group it is about: the
        group it names first ("for group I versus group IV", "of Low group ... than that of
        High group"), else the factor compared ("with or without CE"), else the subjects it
        names, else those of its sentence, else those of the study (unless it compares
        strata: "When stratified by fresh or frozen cycles, ...")."""
        about = study.legend.about(clause.start, clause.end)
        if about is not None:
            labelled, level = about
            return _Subjects(*(labelled or (None, [])), from_focus=False), level
        own = grammar.compared(text, clause.mentions) or _subjects(clause.mentions) or sentence_subjects
        strata = own is None and grammar.STRATA.search(text, clause.start, clause.end)
        return _Subjects(*(own or (not strata and study.focus) or (None, [])), from_focus=own is None), None

    def _outcomes(self, text: str, clause: _Clause) -> dict[str, Hit]:
        return {h.concept: h for h in clause.mentions if h.type == "outcome" and not self._absent(text, h)}

    def _clause(self, text: str, clause: _Clause, subjects: _Subjects, study: _Study,
                implied: tuple[dict[str, Hit], bool]) -> list[Result]:  # fmt: skip
        if subjects.kind is None:
            return []
        stated = self._clause_direction(text, clause, subjects.kind) or self._by_numbers(
            text, clause, subjects, study
        )
        if stated is None:
            return []
        objects, is_implied = self._clause_objects(text, clause, subjects, stated, implied)
        if subjects.kind == "association" and subjects.from_focus and _outcome_groups(text, clause, objects):
            return []  # "embryos ... higher in women who became pregnant than in those who did not"
        significant = self._significance(text, clause.cues, clause.effects, clause.start, clause.end,
                                         stated.direction)  # fmt: skip
        hedged = any(c == "hedge" for _, _, c in clause.cues)
        if hedged and significant is None and stated.direction != "no_difference":
            return []  # "may improve pregnancy rate", with nothing measured: a speculation
        results = []
        side = self._side(text, clause, study, stated)
        for s, o, mention in self._pairs(text, clause, subjects, stated, study.focus, objects):
            if stated.numeric and subjects.kind == "association" and o != stated.numeric:
                continue  # numbers of "RIF and control groups" are about RIF, not another outcome
            for d in self._pair_directions(text, clause, stated, s, mention, is_implied):
                if side and (subjects.kind == "treatment" or o in self.conditions):
                    d = d if self._negated(text, clause, s) else _flip(d)
                umbrella = bool(_UMBRELLA.search(text, mention.start, mention.end))
                results.append(
                    Result(subjects.kind, s, o, d, significant, hedged, clause.start, clause.end, umbrella)
                )
        return results

    def _side(self, text: str, clause: _Clause, study: _Study, stated: _Direction) -> bool:
        """Whether a clause's direction words are said of the comparator: "the abortion rate
        was significantly higher in the placebo group", "lower in fertile controls than in RIF"
        (the group named first outside the reference of the comparison)."""
        if stated.direction not in ("increase", "decrease") or not stated.cues:
            return False
        first = sides.first_side(text, study.refs, clause.start, clause.end)
        return first is not None and first.how == "control" and sides.control_side(first)

    def _by_numbers(self, text: str, clause: _Clause, subjects: _Subjects,
                    study: _Study) -> _Direction | None:  # fmt: skip
        """The direction the groups' values state ("40% in the sildenafil group versus 22% in
        the control group (p = 0.03)"), when the clause says the difference is significant."""
        p = grammar.p_values(text[clause.start : clause.end])
        if not (p and min(p) <= 0.05) and not any(c == "significant" for _, _, c in clause.cues):
            return None
        found = sides.numeric_direction(text, study.refs, clause.start, clause.end, subjects.ids)
        return _Direction(found[0], False, {}, [], numeric=found[1]) if found else None

    def _pair_directions(self, text: str, clause: _Clause, stated: _Direction, subject: str, mention: Hit,
                         is_implied: bool) -> list[str]:  # fmt: skip
        """The directions of one subject towards one object: the mechanism's own ("elevated
        pro-inflammatory cytokines, decreased anti-inflammatory cytokines" are both), else
        the direction word nearest the outcome, turned by a low level of the subject and by
        a result about the group without it."""
        own = stated.local.get(subject, [])
        if stated.numeric:  # already the treated side's, against the control side
            return [stated.direction]
        if stated.direction == "no_difference":
            directions = [stated.direction]
        elif stated.by_modifier:
            directions = own or [stated.direction]
        else:
            d = (
                stated.direction
                if is_implied
                else (grammar.nearest(stated.cues, mention) or stated.direction)
            )
            directions = [_flip(d) if own[:1] == ["decrease"] else d]
        return [_flip(d) if self._negated(text, clause, subject) else d for d in directions]

    def _clause_direction(self, text: str, clause: _Clause, kind: str) -> _Direction | None:
        """The direction a clause states, and the direction words describing its mechanisms."""
        modifiers = grammar.modifiers(text, clause.mentions, clause.cues)
        result_cues = [c for c in clause.cues if c not in modifiers]
        span = (clause.effects, clause.start, clause.end)
        direction, by_modifier = self._direction(text, result_cues, *span), False
        if direction is None and kind == "association":
            # "elevated uNK cells in RIF": the mechanism's own direction is the result
            own = [c for c in clause.cues if not modifiers.get(c, (None, False))[1]]
            direction, by_modifier = self._direction(text, own, *span), True
        if direction is None:
            return None
        local: dict[str, list[str]] = {}
        for (_, _, c), (described, _) in modifiers.items():
            for m in described:
                local.setdefault(m.concept, []).extend([c] if c not in local.get(m.concept, []) else [])
        return _Direction(direction, by_modifier, local, result_cues)

    def _clause_objects(self, text: str, clause: _Clause, subjects: _Subjects, stated: _Direction,
                        implied: tuple[dict[str, Hit], bool]) -> tuple[dict[str, Hit], bool]:  # fmt: skip
        """The clause's objects, and whether they are implied: named before it."""
        objects = self._objects(text, clause, subjects.kind or "", subjects.from_focus)
        if (
            objects
            or stated.direction != "no_difference"
            or any(h.type == "outcome" for h in clause.mentions)
        ):
            return (
                objects if _directs(stated.cues, clause.effects) else _before_p(text, clause, objects)
            ), False
        if implied[1] or (subjects.kind == "treatment" and _GROUPS.search(text, clause.start, clause.end)):
            return implied[0], bool(implied[0])
        return {}, False

    def _pairs(self, text: str, clause: _Clause, subjects: _Subjects, stated: _Direction,
               focus: Subjects | None, objects: dict[str, Hit]) -> list[tuple[str, str, Hit]]:  # fmt: skip
        """(subject, object, object mention) of a clause. Subjects each followed by their own
        outcomes pair in turn ("an effect of PBMC on both CPR and LBR, of G-CSF on CPR and of
        PRP on CPR"); otherwise every subject pairs with every object."""
        ctype = "intervention" if subjects.kind == "treatment" else "mechanism"
        hits = [h for h in clause.mentions if h.type == ctype and h.concept in subjects.ids]
        hits += [h for h in clause.mentions if h.concept in objects and h.type == objects[h.concept].type]
        runs: list[tuple[bool, list[Hit]]] = []
        for h in sorted(hits, key=lambda h: h.start):
            if runs and runs[-1][0] == (h.type == ctype):
                runs[-1][1].append(h)
            else:
                runs.append((h.type == ctype, [h]))
        if sum(1 for is_subject, _ in runs if is_subject) >= 2 and runs[0][0]:
            pairs = []
            for (_, subject_run), (_, object_run) in zip(runs[::2], runs[1::2], strict=False):
                pairs += [(s.concept, o.concept, o) for s in subject_run for o in object_run]
            return [p for p in dict.fromkeys(pairs) if p[0] != p[1]]
        chosen = subjects.ids
        if not subjects.from_focus and len(chosen) > 1:
            if subjects.kind == "treatment":
                chosen = _compared_treatments(text, clause, [h for h in hits if h.type == ctype]) or chosen
            else:  # those the study is about, and those with a direction of their own
                preferred = _prefer((subjects.kind or "", subjects.ids), focus)[1]
                chosen = [s for s in chosen if s in preferred or s in stated.local]
        return [(s, o, m) for o, m in objects.items() for s in chosen if s != o]

    def _negated(self, text: str, clause: _Clause, subject: str) -> bool:
        """The group the result is about is the one without the subject: its first mention
        in the clause is negated ("patients ... without IVIG showed lower rates")."""
        first = next((h for h in clause.mentions if h.concept == subject), None)
        if first is None or grammar.BOTH_GROUPS.search(text[max(0, first.start - 30) : first.start]):
            return False
        return first in self._negated_hits(text, clause.mentions)

    def _negated_hits(self, text: str, hits: list[Hit]) -> set[Hit]:
        """Mentions after a negation ("without IVIG", "non-GH", "not receiving LIT"), and
        those listed with one ("no exposure to Humira or IVIG")."""
        negated: set[Hit] = set()
        previous = None
        for h in sorted(hits, key=lambda h: h.start):
            if self.negated_subject.search(text[max(0, h.start - 30) : h.start]) or (
                previous in negated and _coordinated(text, previous, h)
            ):
                negated.add(h)
            previous = h
        return negated

    def _objects(self, text: str, clause: _Clause, kind: str, from_focus: bool) -> dict[str, Hit]:
        """Outcomes (and for an association, the condition: RIF, RPL, infertility, when the
        clause names no outcome or names it with one) the clause reports on, by where they
        are named: in the clause proper, then in its opening setting, then (a treatment's
        last resort) in the reference of a comparison. An outcome said to be absent is none."""
        setting = grammar.setting(text, clause.start, clause.end)
        references = grammar.references(text, clause.start, clause.end)

        def place(h: Hit) -> int:
            return 2 if grammar.inside(h.start, references) else int(h.start < setting)

        outcomes = [h for h in clause.mentions if h.type == "outcome" and not self._absent(text, h)]
        conditions = [
            h
            for h in clause.mentions
            if kind == "association" and not from_focus and h.concept in self.conditions
        ]
        tiers = [[h for h in outcomes if place(h) == 0], [h for h in conditions if place(h) == 0],
                 [h for h in outcomes if place(h) == 1], [h for h in conditions if place(h) == 1],
                 [h for h in outcomes if place(h) == 2 and kind == "treatment"]]  # fmt: skip
        chosen = next((tier for tier in tiers if tier), [])
        if chosen and chosen is tiers[0]:
            chosen = chosen + [c for c in tiers[1] if any(_coordinated(text, c, o) for o in chosen)]
        objects: dict[str, Hit] = {}
        for h in sorted(chosen, key=lambda h: h.start):
            objects.setdefault(h.concept, h)
        return objects

    def _absent(self, text: str, h: Hit) -> bool:
        return bool(self.absent.search(text[max(0, h.start - 30) : h.start]))

    def _direction(self, text: str, cues: list, effects: list, start: int, end: int) -> str | None:
        kinds = [c for _, _, c in cues]
        if "no_difference" in kinds or "not_significant" in kinds:
            return "no_difference"
        for s, _, c in cues:
            if c in ("increase", "decrease"):
                negated = self.negated_cue.search(text[max(start, s - 40) : s])
                return "no_difference" if negated else c
        if "association" in kinds:
            return "increase"
        for effect in effects:
            if effect["ci_low"] is not None:
                null = no_effect(effect["measure"])
                if effect["ci_low"] <= null <= effect["ci_high"]:
                    return "no_difference"
                return "increase" if effect["value"] > null else "decrease"
        p = grammar.p_values(text[start:end])
        if p and min(p) > 0.05:
            return "no_difference"
        return None

    def _significance(self, text: str, cues: list, effects: list, start: int, end: int,
                      direction: str) -> bool | None:  # fmt: skip
        kinds = {c for _, _, c in cues}
        if direction == "no_difference" or "not_significant" in kinds:
            return False
        p = grammar.p_values(text[start:end])
        if "significant" in kinds or (p and min(p) <= 0.05):
            return True
        excludes = [e for e in effects if e["ci_low"] is not None]
        if excludes:
            null = no_effect(excludes[0]["measure"])
            return not excludes[0]["ci_low"] <= null <= excludes[0]["ci_high"]
        return None


def _compared_treatments(text: str, clause: _Clause, hits: list[Hit]) -> list[str]:
    """Of several treatments in a clause, those given together are all credited ("IVIG
    plus adalimumab versus controls"); one given to both groups is not ("the HCQ+PDN
    group than the PDN alone group": named in the reference, or named more often)."""
    references = grammar.references(text, clause.start, clause.end)
    counts = Counter(h.concept for h in hits)
    if not counts:
        return []
    in_reference = {h.concept for h in hits if grammar.inside(h.start, references)}
    chosen = [s for s in counts if s not in in_reference] or list(counts)
    fewest = min(counts[s] for s in chosen)
    return [s for s in chosen if counts[s] == fewest]


def _flip(direction: str) -> str:
    return {"increase": "decrease", "decrease": "increase"}.get(direction, direction)


def _better(new: Result, old: Result) -> bool:
    """Of two statements of one result, the one about the outcome itself rather than
    "pregnancy outcomes", then the one that says whether it is significant (a title's
    "IVIG increased live birth" and the results' "higher live birth rate (p < 0.001)")."""
    return (new.umbrella, new.significant is None) < (old.umbrella, old.significant is None)


def _without_restatements(results: list[Result]) -> list[Result]:
    """A result about "pregnancy outcomes" as a whole restates the specific results of the
    abstract ("tacrolimus improved pregnancy outcome" after higher clinical pregnancy and
    live birth rates); it stands only in an abstract with no specific result."""
    if all(r.umbrella for r in results):
        return results
    return [r for r in results if not r.umbrella]


def _directs(cues: list, effects: list) -> bool:
    """Whether a clause states its direction in words or estimates, not by a p-value alone."""
    return any(c in _DIRECTED for _, _, c in cues) or any(e["ci_low"] is not None for e in effects)


def _before_p(text: str, clause: _Clause, objects: dict[str, Hit]) -> dict[str, Hit]:
    """The objects a p-value is about: the outcomes named last before it, with those listed
    with them ("a clinical pregnancy rate of 28%, with live-birth rates of 4/21 (19%) ...
    and 3/18 (17%) ... (P=0.59)" is about live birth)."""
    p = grammar.P.search(text, clause.start, clause.end) or grammar.P_NS.search(
        text, clause.start, clause.end
    )
    before = sorted((h for h in objects.values() if p and h.start < p.start()), key=lambda h: h.start)
    if not before:
        return objects
    chosen = [before[-1]]
    for h in reversed(before[:-1]):
        if _coordinated(text, h, chosen[-1]):
            chosen.append(h)
    return {h.concept: h for h in chosen}


def _coordinated(text: str, a: Hit, b: Hit) -> bool:
    first, second = sorted((a, b), key=lambda h: h.start)
    return grammar.coordinated(text, first.end, second.start)


# women grouped by an outcome ("in women who became pregnant than in those who did not"):
# what they are compared on is the clause's own, not the mechanism the study is about
_BY_OUTCOME = re.compile(r"\b(?:who|that)\s+(?:\w+\s+){0,2}$")


def _outcome_groups(text: str, clause: _Clause, objects: dict[str, Hit]) -> bool:
    return bool(objects) and all(
        h.type == "outcome" and _BY_OUTCOME.search(text[max(clause.start, h.start - 30) : h.start])
        for h in objects.values()
    )


def _says_not_significant(cues: list) -> bool:
    return any(c in ("not_significant", "no_difference") for _, _, c in cues)


def _prefer(own: Subjects, focus: Subjects | None) -> Subjects:
    """Of several mechanisms in one clause, those the study is about."""
    if focus is None or own[0] != focus[0] or len(own[1]) < 2:
        return own
    chosen = [s for s in own[1] if s in focus[1]]
    return (own[0], chosen) if chosen else own


def _subjects(mentions: list[Hit]) -> Subjects | None:
    interventions = _unique(h.concept for h in mentions if h.type == "intervention")
    if interventions:
        return "treatment", interventions
    mechanisms = _unique(h.concept for h in mentions if h.type == "mechanism")
    return ("association", mechanisms) if mechanisms else None


def _unique(items) -> list[str]:  # noqa: ANN001 - any iterable of ids
    return list(dict.fromkeys(items))


@Language.factory(
    "rifkb_findings_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans", "doc._.rifkb_cues", "doc._.rifkb_effects",
              "doc._.rifkb_study_data"],
    assigns=["doc._.rifkb_findings", "doc._.rifkb_warnings"],
)  # fmt: skip
def make_findings(nlp: Language, name: str, rules_dir: str | None) -> FindingReader:
    return FindingReader(name, rules_dir)
