"""The subject of a finding: whom a clause reports on (rifkb_findings_v1).

The group a clause names first when groups are labelled ("group I versus group IV", "Low
group"), else the factor compared ("women with and those without CE"), else the clause's
interventions (treatment) or mechanisms (association), then those of the sentence, then
the study's focus (its title's, or the one or two the abstract names most). Treatments
given together are all credited ("IVIG plus adalimumab"), one given to both groups is not
("HCQ+PDN group than PDN alone group"); subjects each followed by their own outcomes pair
in turn ("of PBMC on CPR and LBR, of G-CSF on CPR").
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from rifkb.nlp import clauses as grammar
from rifkb.nlp.base import DocView, Hit
from rifkb.nlp.clauses import Clause, Subjects
from rifkb.nlp.directions import Direction
from rifkb.nlp.text import alternation
from rifkb.rules import RuleSet


@dataclass(frozen=True)
class ClauseSubjects:
    """Whom a clause reports on, and whether they are the study's focus rather than named."""

    kind: str | None
    ids: list[str]
    from_focus: bool


class SubjectReader:
    """Subjects read with the rules' negation words: a group without the subject."""

    def __init__(self, rules: RuleSet):
        negation = alternation(rules.cues["negation"])
        self.negated_subject = re.compile(rf"\b(?:{negation})\s+(?:\w+\s+){{0,2}}$|\bnon-?$")

    def defining(self, text: str, hits: list[Hit]) -> Subjects | None:
        """The subjects that define a group: "using no IVIG or Humira" names none, "with or
        without IVIG" names IVIG as optional, not as what defines the group."""
        left_out = self.negated_hits(text, hits) | {
            h for h in hits if grammar.BOTH_GROUPS.search(text[max(0, h.start - 40) : h.start])
        }
        for a, b in zip(hits, hits[1:], strict=False):  # "intravenous immunoglobulin (IVIG)"
            if a in left_out and re.fullmatch(r"\s*\(", text[a.end : b.start]):
                left_out.add(b)
        return subjects_of([h for h in hits if h not in left_out])

    def negated(self, text: str, clause: Clause, subject: str) -> bool:
        """The group the result is about is the one without the subject: its first mention
        in the clause is negated ("patients ... without IVIG showed lower rates")."""
        first = next((h for h in clause.mentions if h.concept == subject), None)
        if first is None or grammar.BOTH_GROUPS.search(text[max(0, first.start - 30) : first.start]):
            return False
        return first in self.negated_hits(text, clause.mentions)

    def negated_hits(self, text: str, hits: list[Hit]) -> set[Hit]:
        """Mentions after a negation ("without IVIG", "non-GH", "not receiving LIT"), and
        those listed with one ("no exposure to Humira or IVIG")."""
        negated: set[Hit] = set()
        previous = None
        for h in sorted(hits, key=lambda h: h.start):
            if self.negated_subject.search(text[max(0, h.start - 30) : h.start]) or (
                previous in negated and grammar.coordinated_hits(text, previous, h)
            ):
                negated.add(h)
            previous = h
        return negated


def study_focus(view: DocView) -> Subjects | None:
    """What the study is about: what its title names (interventions first), else the
    intervention, else the mechanism, the abstract names most: one, or two named as
    often (a study of IVIG and adalimumab together); a review naming eight
    immunotherapies once each is about none of them."""
    mentions, title_end = view.mentions, view.title_end
    titled = subjects_of([h for h in mentions if h.start < title_end])
    if titled:
        return titled
    for ctype, kind in (("intervention", "treatment"), ("mechanism", "association")):
        counts = Counter(h.concept for h in mentions if h.type == ctype)
        if counts:
            most = max(counts.values())
            top = [c for c, n in counts.items() if n == most]
            return (kind, top) if len(top) == 1 or (len(top) == 2 and most > 1) else None
    return None


def clause_subjects(text: str, clause: Clause, sentence_subjects: Subjects | None, legend: grammar.Legend,
                    focus: Subjects | None) -> tuple[ClauseSubjects, str | None]:  # fmt: skip
    """Whom a clause reports on, and the level of a labelled group it is about: the
    group it names first ("for group I versus group IV", "of Low group ... than that of
    High group"), else the factor compared ("with or without CE"), else the subjects it
    names, else those of its sentence, else those of the study (unless it compares
    strata: "When stratified by fresh or frozen cycles, ...")."""
    about = legend.about(clause.start, clause.end)
    if about is not None:
        labelled, level = about
        return ClauseSubjects(*(labelled or (None, [])), from_focus=False), level
    own = grammar.compared(text, clause.mentions) or subjects_of(clause.mentions) or sentence_subjects
    strata = own is None and grammar.STRATA.search(text, clause.start, clause.end)
    return ClauseSubjects(*(own or (not strata and focus) or (None, [])), from_focus=own is None), None


def pairs(text: str, clause: Clause, subjects: ClauseSubjects, stated: Direction, focus: Subjects | None,
          objects: dict[str, Hit]) -> list[tuple[str, str, Hit]]:  # fmt: skip
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
        found = []
        for (_, subject_run), (_, object_run) in zip(runs[::2], runs[1::2], strict=False):
            found += [(s.concept, o.concept, o) for s in subject_run for o in object_run]
        return [p for p in dict.fromkeys(found) if p[0] != p[1]]
    chosen = subjects.ids
    if not subjects.from_focus and len(chosen) > 1:
        if subjects.kind == "treatment":
            chosen = _compared_treatments(text, clause, [h for h in hits if h.type == ctype]) or chosen
        else:  # those the study is about, and those with a direction of their own
            preferred = _prefer((subjects.kind or "", subjects.ids), focus)[1]
            chosen = [s for s in chosen if s in preferred or s in stated.local]
    return [(s, o, m) for o, m in objects.items() for s in chosen if s != o]


def _compared_treatments(text: str, clause: Clause, hits: list[Hit]) -> list[str]:
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


def subjects_of(mentions: list[Hit]) -> Subjects | None:
    """The subjects mentions name: their interventions (treatment), else their mechanisms
    (association), each once, in order."""
    interventions = _unique(h.concept for h in mentions if h.type == "intervention")
    if interventions:
        return "treatment", interventions
    mechanisms = _unique(h.concept for h in mentions if h.type == "mechanism")
    return ("association", mechanisms) if mechanisms else None


def _prefer(own: Subjects, focus: Subjects | None) -> Subjects:
    """Of several mechanisms in one clause, those the study is about."""
    if focus is None or own[0] != focus[0] or len(own[1]) < 2:
        return own
    chosen = [s for s in own[1] if s in focus[1]]
    return (own[0], chosen) if chosen else own


def _unique(items) -> list[str]:  # noqa: ANN001 - any iterable of ids
    return list(dict.fromkeys(items))
