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

Written to `doc._.rifkb_findings`: dicts (kind, subject, object, direction, significant,
hedged, start, end, rule), one per (kind, subject, object, direction).
"""

from __future__ import annotations

import re
from collections import Counter
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from spacy.language import Language
from spacy.tokens import Doc

from rifkb.nlp.base import DocView, Hit, RuleComponent, factory_config
from rifkb.records import no_effect
from rifkb.rules import RuleSet

T = TypeVar("T")
_P = re.compile(r"\bp\s*(?:-?\s*value\s*)?([<>=≤≥:]+)\s*(\d*\.\d+|\d)", re.IGNORECASE)
# what may follow a ';' without starting a clause: "(...); p < 0.001", "; 95% CI 1.2-1.8"
_STATISTIC = r"(?:p\b|p-?value|\d+\s*%\s*ci|ci\b|or\b|rr\b|hr\b|i2|i²|n\s*=)"
_OPENING = re.compile(r"[^\w]*(?:\w+(?:\s+\w+)?\s*:\s*)?")  # "Results: " before a sentence's first word
_WORD = re.compile(r"[^\W\d_]{2,}")
_BRACKETS = re.compile(r"\((?:[^()]++|\([^()]*+\))*+\)|\[(?:[^\[\]]++|\[[^\[\]]*+\])*+\]")
_SETTING = re.compile(r"[^\w]*(?:\w+(?:\s+\w+)?\s*:\s*)?(?:in|among|for)\s[^,;:]{3,160},")
_VERB = re.compile(r"(?<!who )(?<!that )(?<!which )\b(?:was|were|is|are|had|has|have|showed|did|does)\b")
_COMPARISON = re.compile(r"\b(?:than|compared (?:to|with)|in comparison (?:to|with)|relative to|versus|vs)\b")
_COORDINATION = re.compile(r"^(?:\s*\w+)?\s*(?:,|,?\s*and|,?\s*or)\s+(?:\S+\s+)?$")
# "decreased ratio of FOXP3+/FOXP3-CD45RA+ ...": a direction word, a measure of, the mechanism
_MEASURED = re.compile(
    r"^\s+(?:\w+\s+)?(?:levels?|ratios?|numbers?|percentages?|proportions?|expressions?|counts?"
    r"|frequenc(?:y|ies)|concentrations?|activity|density|production)\s+of\s+(?:[^\s,;]+\s+){0,3}$"
)
_ADJACENT = re.compile(r"^\s*(?:(?!(?:in|of|than|with|to|for|and|or|by)\s)[^\s,;]+\s+){0,2}$")
_GROUPS = re.compile(r"\b(?:outcomes?|groups?|arms?|cohorts?)\b")
_SELECTION = re.compile(r"\bwith\s+(?:\w+\s+)?$")
_P_NS = re.compile(r"\bp\s*[=:]\s*n\.?s\b", re.IGNORECASE)
# The headings of a structured abstract: what follows BACKGROUND or OBJECTIVE (NLM's
# categories and their usual names) up to the next heading is others' work or an aim, not
# a result of this study ("Background: Women with hypothyroidism are at increased risk").
_BACKGROUND = re.compile(r"(?:background|introduction|context|rationale|purpose|objectives?|aims?|problem)\b")
_HEADING = re.compile(r"\W*((?:[^\W\d][\w()&/-]*\s+){0,4}[^\W\d][\w()&/-]*)\s*(?::|$)")
# "To improve the pregnancy rate, it may be helpful to ...": a purpose, not a result
_PURPOSE = re.compile(r"\W*(?:\w+\s*:\s*)?(?:in order )?to\s+\w+")
_BOTH_GROUPS = re.compile(
    r"\b(?:with (?:or|and)|(?:and|or|vs\.?|versus) (?:those|women|patients))\s+without\s+(?:[\w-]+\s+){0,3}$"
)
# "When stratified by fresh or frozen cycles, ... not significantly different": a comparison
# of strata, not of the treatment the study is about
_STRATA = re.compile(r"\bstratif(?:ied|ying|ication)\b")
_DIRECTED = ("increase", "decrease", "no_difference", "not_significant", "association")
_UMBRELLA = re.compile(r"\boutcomes?\b")
_PREDICATE_GAP = re.compile(r"^[^\w]*(?:\w+\s+){0,3}?(?:was|were|is|are)(?:\s+\w+ly)*\s+$")


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


class FindingReader(RuleComponent):
    needs = ("sentences", "mentions", "cues", "effects")

    def compile(self, rules: RuleSet) -> None:
        def before(category: str, most: int = 1) -> re.Pattern[str]:  # a cue, then at most `most` words
            words = "|".join(sorted(map(re.escape, rules.cues[category]), key=len, reverse=True))
            return re.compile(rf"\b(?:{words})\s+(?:\w+\s+){{0,{most}}}$")

        # "not improve", "failed to increase", "no overall significant improvement", "does not
        # appear to increase": a direction word negated is no difference
        self.negated_cue = before("negation", 3)
        negation = "|".join(sorted(map(re.escape, rules.cues["negation"]), key=len, reverse=True))
        self.negated_subject = re.compile(rf"\b(?:{negation})\s+(?:\w+\s+){{0,2}}$|\bnon-?$")
        # "no side-effects", "failed to become pregnant": the outcome is absent, not compared
        self.absent = before("absence")
        contrast = "|".join(map(re.escape, rules.cues["contrast"]))
        self.clause_break = re.compile(rf";(?!\s*{_STATISTIC})|,?\s*\b(?:{contrast})\b")
        self.contrast_word = re.compile(rf"(?:{contrast})\b")
        self.conditions = rules.with_role("condition")

    def read(self, doc: Doc, view: DocView) -> None:
        text = view.lower
        mentions = _Located(view.mentions, lambda h: h.start)
        study = _Study(self._focus(view), self._legend(view, mentions), mentions,
                       _Located(view.cues, lambda c: c[0]), _Located(doc._.rifkb_effects, lambda e: e["start"]))  # fmt: skip
        results: dict[tuple, Result] = {}
        named: dict[str, Hit] = {}  # the outcomes the last sentence reported on
        background = False
        for start, end in view.sentences:
            heading = _heading(text, start, end)
            background = bool(_BACKGROUND.match(heading)) if heading is not None else background
            if (
                background
                or self._states_aim(study.cues.within(start, end))
                or _PURPOSE.match(text, start, end)
                or (text[start:end].rstrip().endswith("?"))
            ):
                named = {}
                continue
            found, named = self._sentence(doc, view, (start, end), study, named)
            for result in found:
                key = (result.kind, result.subject, result.object, result.direction)
                if key not in results or _better(result, results[key]):
                    results[key] = result
        doc._.rifkb_findings = [r.to_json() for r in _without_restatements(list(results.values()))]

    def _legend(self, view: DocView, mentions: _Located) -> _Legend:
        """The labelled groups of an abstract and what defines each: a numbered group by
        the subjects named between its label and the next ("Group I: ... using both IVIG
        and adalimumab, Group II: ...") or, for "... were reviewed as group 3", before it;
        the levels of a mechanism ("Low", "High group") by the mechanism named with them."""
        text = view.lower
        labels = _labels(text)
        defined: dict[str, tuple[int, tuple[str, list[str]] | None, str | None]] = {}
        levels = next((found for found in (self._defining(mentions, text, *view.sentence_of(label.start), "mechanism")
                                           for label in labels if label.name in _LEVEL_NAMES) if found), None)  # fmt: skip
        for i, label in enumerate(labels):
            if label.name in defined:
                continue
            s_start, s_end = view.sentence_of(label.start)
            if label.name in _LEVEL_NAMES:
                if levels:
                    defined[label.name] = (label.start, levels, _LEVEL_SIGN.get(label.name))
                continue
            after = (label.end, min([s_end] + [o.start for o in labels[i + 1 :] if o.start >= label.end]))
            before = (max([s_start] + [o.end for o in labels[:i] if s_start <= o.end <= label.opening]), label.opening)
            lead = text[max(s_start, label.opening - 4) : label.opening]
            spans = [before, after] if lead.rstrip().endswith("(") else [after, before] if _AS.search(lead) else [after]
            found = [(self._defining(mentions, text, *span, None), bool(_WHO.search(text, *span))) for span in spans]
            subjects = next((subjects for subjects, _ in found if subjects), None)
            if subjects or any(who for _, who in found):
                defined[label.name] = (label.start, subjects, None)
        return _Legend(labels, defined)

    def _defining(self, mentions: _Located, text: str, start: int, end: int,
                  ctype: str | None) -> tuple[str, list[str]] | None:  # fmt: skip
        """The subjects named, not negated, between two offsets ("using no IVIG or Humira"
        names none)."""
        hits = [h for h in mentions.within(start, end) if ctype is None or h.type == ctype]
        # "no IVIG or Humira" names none; "with or without IVIG" names IVIG as optional
        left_out = self._negated_hits(text, hits) | {
            h for h in hits if _BOTH_GROUPS.search(text[max(0, h.start - 40) : h.start])
        }
        for a, b in zip(hits, hits[1:], strict=False):  # "intravenous immunoglobulin (IVIG)"
            if a in left_out and re.fullmatch(r"\s*\(", text[a.end : b.start]):
                left_out.add(b)
        kept = [h for h in hits if h not in left_out]
        return _subjects(kept)

    def _states_aim(self, cues: list) -> bool:
        return any(c in ("aim", "need") for _, _, c in cues)

    def _focus(self, view: DocView) -> tuple[str, list[str]] | None:
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

    def _sentence(self, doc: Doc, view: DocView, span: tuple[int, int], study: _Study,
                  before: dict[str, Hit]) -> tuple[list[Result], dict[str, Hit]]:  # fmt: skip
        """The results of one sentence, clause by clause, and the outcomes it named. A
        clause that names no outcome reports on those of the clause before it ("higher in
        women over 36, while no difference was found in younger women"); a no-difference
        clause also on those of the sentence before ("There were no significant differences
        in outcomes in FETs")."""
        text, (start, end) = view.lower, span
        sentence_subjects = _subjects(study.mentions.within(start, end))
        results: list[Result] = []
        previous: list[Result] = []
        implied = (before, False)
        for c_start, c_end in self._clauses(text, start, end):
            clause = _Clause(c_start, c_end, study.mentions.within(c_start, c_end),
                             study.cues.within(c_start, c_end), study.effects.within(c_start, c_end))  # fmt: skip
            subjects, level = self._subjects_of(text, clause, sentence_subjects, study)
            if previous and _says_not_significant(clause.cues) and not self._outcomes(text, clause):
                # "higher in the PRP group; however, the difference was not significant"
                results = [r for r in results if r not in previous]
                found = [replace(r, direction="no_difference", significant=False) for r in previous]
            else:
                found = self._clause(text, clause, subjects, study.focus, implied)
                found = [replace(r, direction=_flip(r.direction)) for r in found] if level == "decrease" else found
            results += found
            previous = found
            named_here = self._outcomes(text, clause)
            if named_here:
                implied = (named_here, True)
        return results, implied[0] if implied[1] else {}

    def _subjects_of(self, text: str, clause: _Clause, sentence_subjects: tuple[str, list[str]] | None,
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
        own = _compared(text, clause.mentions) or _subjects(clause.mentions) or sentence_subjects
        strata = own is None and _STRATA.search(text, clause.start, clause.end)
        return _Subjects(*(own or (not strata and study.focus) or (None, [])), from_focus=own is None), None

    def _outcomes(self, text: str, clause: _Clause) -> dict[str, Hit]:
        return {h.concept: h for h in clause.mentions if h.type == "outcome" and not self._absent(text, h)}

    def _clause(self, text: str, clause: _Clause, subjects: _Subjects, focus: tuple[str, list[str]] | None,
                implied: tuple[dict[str, Hit], bool]) -> list[Result]:  # fmt: skip
        if subjects.kind is None:
            return []
        modifiers = _modifiers(text, clause.mentions, clause.cues)
        result_cues = [c for c in clause.cues if c not in modifiers]
        span = (clause.effects, clause.start, clause.end)
        direction, by_modifier = self._direction(text, result_cues, *span), False
        if direction is None and subjects.kind == "association":
            # "elevated uNK cells in RIF": the mechanism's own direction is the result
            own = [c for c in clause.cues if not modifiers.get(c, (None, False))[1]]
            direction, by_modifier = self._direction(text, own, *span), True
        if direction is None:
            return []
        objects = self._objects(text, clause, subjects.kind, subjects.from_focus)
        is_implied = (
            not objects
            and direction == "no_difference"
            and (
                implied[1]
                or (subjects.kind == "treatment" and bool(_GROUPS.search(text, clause.start, clause.end)))
            )
        )
        if is_implied and not any(h.type == "outcome" for h in clause.mentions):
            objects = implied[0]
        elif not _directs(result_cues, clause.effects):
            objects = _before_p(text, clause, objects)
        if not objects:
            return []
        significant = self._significance(text, clause.cues, *span, direction)
        hedged = any(c == "hedge" for _, _, c in clause.cues)
        local = {m.concept: c[2] for c, (described, _) in modifiers.items() for m in described}
        results = []
        for s, o, mention in self._pairs(text, clause, subjects, focus, objects):
            if direction == "no_difference":
                d = direction
            elif by_modifier:
                d = local.get(s, direction)
            else:
                d = direction if is_implied else (_nearest(result_cues, mention) or direction)
                d = _flip(d) if local.get(s) == "decrease" else d
            d = _flip(d) if self._negated(text, clause, s) else d
            umbrella = bool(_UMBRELLA.search(text, mention.start, mention.end))
            results.append(
                Result(subjects.kind, s, o, d, significant, hedged, clause.start, clause.end, umbrella)
            )
        return results

    def _pairs(self, text: str, clause: _Clause, subjects: _Subjects, focus: tuple[str, list[str]] | None,
               objects: dict[str, Hit]) -> list[tuple[str, str, Hit]]:  # fmt: skip
        """(subject, object, object mention) of a clause. Subjects each followed by their own
        outcomes pair in turn ("an effect of PBMC on both CPR and LBR, of G-CSF on CPR and of
        PRP on CPR"); otherwise every subject pairs with every object, and of several
        subjects of one kind those the study is about are kept ('HCQ + prednisone versus
        prednisone alone')."""
        ctype = "intervention" if subjects.kind == "treatment" else "mechanism"
        hits = [h for h in clause.mentions if h.type == ctype and h.concept in subjects.ids]
        hits += [h for h in clause.mentions if h.concept in objects and h.type == objects[h.concept].type]
        runs: list[tuple[bool, list[Hit]]] = []
        for h in sorted(hits, key=lambda h: h.start):
            is_subject = h.type == ctype
            if runs and runs[-1][0] == is_subject:
                runs[-1][1].append(h)
            else:
                runs.append((is_subject, [h]))
        if sum(1 for is_subject, _ in runs if is_subject) >= 2 and runs[0][0]:
            pairs = []
            for (_, subject_run), (_, object_run) in zip(runs[::2], runs[1::2], strict=False):
                pairs += [(s.concept, o.concept, o) for s in subject_run for o in object_run]
            return [p for p in dict.fromkeys(pairs) if p[0] != p[1]]
        chosen = subjects.ids
        if subjects.from_focus or len(chosen) < 2:
            pass
        elif subjects.kind == "treatment":
            chosen = self._compared_treatments(text, clause, [h for h in hits if h.type == ctype]) or chosen
        else:
            chosen = _prefer((subjects.kind, subjects.ids), focus)[1]
        return [(s, o, m) for o, m in objects.items() for s in chosen if s != o]

    def _compared_treatments(self, text: str, clause: _Clause, hits: list[Hit]) -> list[str]:
        """Of several treatments in a clause, those given together are all credited ("IVIG
        plus adalimumab versus controls"); one given to both groups is not ("the HCQ+PDN
        group than the PDN alone group": named in the reference, or named more often)."""
        references = _references(text, clause.start, clause.end)
        counts = Counter(h.concept for h in hits)
        if not counts:
            return []
        in_reference = {h.concept for h in hits if any(a <= h.start < b for a, b in references)}
        chosen = [s for s in counts if s not in in_reference] or list(counts)
        fewest = min(counts[s] for s in chosen)
        return [s for s in chosen if counts[s] == fewest]

    def _negated(self, text: str, clause: _Clause, subject: str) -> bool:
        """The group the result is about is the one without the subject: its first mention
        in the clause is negated ("patients ... without IVIG showed lower rates")."""
        first = next((h for h in clause.mentions if h.concept == subject), None)
        if first is None or _BOTH_GROUPS.search(text[max(0, first.start - 30) : first.start]):
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
        clause names no outcome or names it with one: "associated with RIF and pregnancy
        loss") the clause reports on. An outcome said to be absent is none; one in a setting
        that opens the clause ("In women with a clinical pregnancy, ...") counts only when
        the clause names no other; one in the reference of a comparison ("than in those who
        had a live birth") is the other group of an association, and the last resort of a
        treatment; a condition in the reference ("compared to women with male factor
        infertility") never counts."""
        setting = _setting(text, clause.start, clause.end)
        references = _references(text, clause.start, clause.end)

        def place(h: Hit) -> int:
            return 2 if any(a <= h.start < b for a, b in references) else int(h.start < setting)

        outcomes = [h for h in clause.mentions if h.type == "outcome" and not self._absent(text, h)]
        conditions = [h for h in clause.mentions
                      if kind == "association" and not from_focus and h.concept in self.conditions]  # fmt: skip
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

    def _clauses(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """A sentence cut at ';' and at contrast words ("but", "whereas", "however"); a ';'
        inside brackets ("(32/49; 65.3%)") or before statistics ("; p < 0.001") cuts
        nothing, and a sentence opening with a contrast word ("While HCQ may help ..., adding
        it ... did not") ends its first clause at the first comma outside brackets."""
        breaks = [m.start() for m in self.clause_break.finditer(text, start, end)]
        if not breaks:
            return [(start, end)]
        bracketed = _bracketed(text, start, end)
        cuts = {start, end} | {c for c in breaks if not any(a <= c < b for a, b in bracketed)}
        opening = _OPENING.match(text, start, end)
        if opening and self.contrast_word.match(text, opening.end(), end):
            comma = next((m.start() for m in re.finditer(",", text[start:end])
                          if not any(a <= start + m.start() < b for a, b in bracketed)), None)  # fmt: skip
            if comma is not None:
                cuts.add(start + comma)
        ordered = sorted(cuts)
        # "; however," is one cut: a piece with no word in it joins the next
        kept = [c for c, d in zip(ordered, ordered[1:], strict=False) if _WORD.search(text, c, d)]
        return list(zip(kept, [*kept[1:], end], strict=False))

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
        excludes = [e for e in effects if e["ci_low"] is not None]
        if excludes:
            null = no_effect(excludes[0]["measure"])
            return not excludes[0]["ci_low"] <= null <= excludes[0]["ci_high"]
        return None


class _Located(Generic[T]):
    """Items of a Doc sorted by their start offset, taken between two offsets by bisection
    (no scan of the whole Doc for each sentence and clause)."""

    def __init__(self, items: Iterable[T], start_of: Callable[[T], int]):
        self.items = sorted(items, key=start_of)
        self.starts = [start_of(item) for item in self.items]

    def within(self, start: int, end: int) -> list[T]:
        return self.items[bisect_left(self.starts, start) : bisect_left(self.starts, end)]


@dataclass(frozen=True)
class _Study:
    """What every sentence of an abstract is read with: the study's focus, its labelled
    groups, and its mentions, cues and effect estimates by position."""

    focus: tuple[str, list[str]] | None
    legend: _Legend
    mentions: _Located[Hit]
    cues: _Located[tuple]
    effects: _Located[dict]


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


def _modifiers(text: str, mentions: list[Hit], cues: list) -> dict[tuple, tuple[list[Hit], bool]]:
    """Direction words that describe a mechanism rather than a result: before it
    ('elevated Th1/Th2 ratios') or as its predicate ('uNK cells was significantly higher').
    Each with the mechanism (or mechanisms named at one place) and whether it selects whom
    the study took ('RIF patients with elevated Th1/Th2 ratios were recruited'): such a word
    is no result of its own."""
    found: dict[tuple, tuple[list[Hit], bool]] = {}
    for cue in cues:
        s, e, c = cue
        if c not in ("increase", "decrease"):
            continue
        for h in mentions:
            gap = text[e : h.start] if 0 <= h.start - e <= 60 else None
            before = gap is not None and bool(_ADJACENT.match(gap) or _MEASURED.match(gap))
            predicate = 0 <= s - h.end <= 40 and _PREDICATE_GAP.match(text[h.end : s])
            if h.type != "mechanism" or not (before or predicate):
                continue
            if cue in found and found[cue][0][0].start != h.start:
                break
            described = found.get(cue, ([], False))[0] + [h]
            found[cue] = (described, bool(before and _SELECTION.search(text[max(0, s - 12) : s])))
    return found


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
    p = _P.search(text, clause.start, clause.end) or _P_NS.search(text, clause.start, clause.end)
    before = sorted((h for h in objects.values() if p and h.start < p.start()), key=lambda h: h.start)
    if not before:
        return objects
    chosen = [before[-1]]
    for h in reversed(before[:-1]):
        if _coordinated(text, h, chosen[-1]):
            chosen.append(h)
    return {h.concept: h for h in chosen}


def _coordinated(text: str, a: Hit, b: Hit) -> bool:
    """Two mentions in one list: "recurrent implantation failure and pregnancy loss"."""
    first, second = sorted((a, b), key=lambda h: h.start)
    return bool(_COORDINATION.match(text[first.end : second.start]))


def _heading(text: str, start: int, end: int) -> str | None:
    """The heading a sentence opens with ("Results: ...", "Data Extraction and Synthesis"
    on its own line), or None."""
    m = _HEADING.match(text, start, end)
    return m.group(1) if m else None


def _setting(text: str, start: int, end: int) -> int:
    """Where a clause's opening setting ("In women with a clinical pregnancy,", "For
    non-RIF patients,") ends; the clause start when it has none."""
    m = _SETTING.match(text, start, end)
    return m.end() if m and not _VERB.search(m.group(0)) else start


def _references(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The reference groups of comparisons: from "than", "compared with", "versus" to the
    next comma (comparisons inside brackets, "(38.5% vs. 44.4%)", are numbers)."""
    bracketed = _bracketed(text, start, end)
    spans = []
    for m in _COMPARISON.finditer(text, start, end):
        if not any(a <= m.start() < b for a, b in bracketed):
            stop = text.find(",", m.end(), end)
            spans.append((m.start(), end if stop < 0 else stop))
    return spans


def _bracketed(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [m.span() for m in _BRACKETS.finditer(text, start, end)]


def _says_not_significant(cues: list) -> bool:
    return any(c in ("not_significant", "no_difference") for _, _, c in cues)


def _prefer(own: tuple[str, list[str]] | None, focus: tuple[str, list[str]] | None):  # noqa: ANN202
    """Of several subjects in one clause, those the study is about ('HCQ + prednisone
    versus prednisone alone' in a study of hydroxychloroquine)."""
    if own is None or focus is None or own[0] != focus[0] or len(own[1]) < 2:
        return own
    chosen = [s for s in own[1] if s in focus[1]]
    return (own[0], chosen) if chosen else own


def _nearest(cues: list, mention: Hit) -> str | None:
    """The increase/decrease word closest to an outcome ("lower live birth rates"); one
    before the outcome is preferred to one after it at the same distance."""
    near = [
        (mention.start - e if e <= mention.start else s - mention.end + 1, c)
        for s, e, c in cues
        if c in ("increase", "decrease")
    ]
    return min(near)[1] if near else None


def _compared(text: str, mentions: list[Hit]) -> tuple[str, list[str]] | None:
    """What a comparison of women with and without something is about: "similar between
    women treated with antibiotics for CE and those without CE" compares CE, not the
    antibiotics."""
    for h in mentions:
        if h.type in ("intervention", "mechanism") and _BOTH_GROUPS.search(
            text[max(0, h.start - 30) : h.start]
        ):
            return ("treatment" if h.type == "intervention" else "association"), [h.concept]
    return None


def _subjects(mentions: list[Hit]) -> tuple[str, list[str]] | None:
    interventions = _unique(h.concept for h in mentions if h.type == "intervention")
    if interventions:
        return "treatment", interventions
    mechanisms = _unique(h.concept for h in mentions if h.type == "mechanism")
    return ("association", mechanisms) if mechanisms else None


def _p_values(text: str) -> list[float]:
    """The p-values of a text; "p = NS" (not significant) is read as above 0.05."""
    values = [1.0 for _ in _P_NS.finditer(text)]
    for rel, value in _P.findall(text):
        number = float(value)
        values.append(number + (1e-9 if ">" in rel else 0.0))
    return values


def _unique(items) -> list[str]:  # noqa: ANN001 - any iterable of ids
    return list(dict.fromkeys(items))


# --- groups named by a label: "group I vs group IV", "Low group" -------------------------

_GROUP = re.compile(r"\bgroups?\b")
_NUMBERED = re.compile(r"\s+((?:[ivx]+|\d)\b(?:\s*(?:,|,?\s*and|,?\s*or|&)\s*(?:[ivx]+|\d)\b)*)")  # after "group"
_LEVELS = re.compile(r"\b((?:(?:low|middle|intermediate|high)\s*(?:,\s*)?(?:and\s+|or\s+)?)+)$")  # before it
_LABEL_PART = re.compile(r"[ivx]+|\d|low|middle|intermediate|high")
_LEVEL_SIGN = {"low": "decrease", "high": "increase"}
_LEVEL_NAMES = ("low", "middle", "intermediate", "high")
_AS = re.compile(r"\bas\s*$")
_WHO = re.compile(r"\b(?:patients|women|subjects|cases|controls|couples)\b")


@dataclass(frozen=True)
class _Label:
    name: str  # "i", "3", "low"
    start: int  # of the name
    end: int  # of the whole label ("group 1 and 2")
    opening: int  # of the whole label


@dataclass(frozen=True)
class _Legend:
    """What labelled groups are: for each label, where it is first named, the subjects its
    definition names ("Group I: 41 patients using both IVIG and adalimumab"; none for
    "Group IV: patients using no IVIG or Humira") and, for a level ("Low group" of "Th1
    cell levels"), the direction of that level."""

    labels: list[_Label]
    defined: dict[str, tuple[int, tuple[str, list[str]] | None, str | None]]

    def about(self, start: int, end: int) -> tuple[tuple[str, list[str]] | None, str | None] | None:
        """The subjects of a clause that compares labelled groups, taken from the group it
        names first, with that group's level; ((None, []), None) when that group is defined by
        no subject (a population: "Group 3 had a higher IR than group 1 and 2"); None when
        the clause names no defined label or defines the label itself."""
        named = [label for label in self.labels if start <= label.start < end]
        if not named or named[0].name not in self.defined:
            return None
        first, subjects, level = self.defined[named[0].name]
        if start <= first < end:
            return None
        return subjects, level


def _labels(text: str) -> list[_Label]:
    if "group" not in text:
        return []
    labels = []
    for group in _GROUP.finditer(text):
        numbered = _NUMBERED.match(text, group.end())
        level = _LEVELS.search(text, max(0, group.start() - 50), group.start())
        for m, opening, end in ((numbered, group.start(), numbered and numbered.end()),
                                (level, level and level.start(), group.end())):  # fmt: skip
            if m:
                labels += [_Label(p.group(0), m.start(1) + p.start(), end, opening) for p in _LABEL_PART.finditer(m.group(1))]
    return sorted(labels, key=lambda label: label.start)


@Language.factory(
    "rifkb_findings_v1", default_config=factory_config(),
    requires=["token.is_sent_start", "doc.spans", "doc._.rifkb_cues", "doc._.rifkb_effects"],
    assigns=["doc._.rifkb_findings"],
)  # fmt: skip
def make_findings(nlp: Language, name: str, rules_dir: str | None) -> FindingReader:
    return FindingReader(name, rules_dir)
