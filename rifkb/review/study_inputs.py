"""What each study brings to a meta-analysis of one intervention and one outcome.

- From a reported ratio (OR, RR, HR) with its 95 % interval: yi = ln(estimate) and
  SE = (ln high − ln low) / (2 × 1.96); from a mean difference with its interval, on the
  raw scale (Cochrane Handbook, section 6.3).
- From per-arm event counts of the intervention and its control: log OR or log RR and
  their variance from the 2×2 table (statsmodels' `effectsize_2proportions`); a table
  with a zero cell gets 0.5 added to every cell, as RevMan does (Cochrane Handbook
  10.4.4.2), and a study with no events in either arm, or only events, is left out (it
  says nothing about the ratio).
- One study, one vote: of a study's readings one enters the pooled analysis, chosen in
  this order: the whole study population before a subgroup; for an observational study,
  an adjusted estimate before a crude one; an estimate the authors report before one
  computed from counts; the first written. The reason is kept. Subgroup readings
  ("patients with severe RIF") are kept apart, as strata of their own.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

from rifkb.kb.audit import AuditFlag
from rifkb.kb.papers import Paper
from rifkb.records import DIFFERENCE_MEASURES, EffectEstimate, EventRate

RATIO_MEASURES = ("OR", "RR", "HR")
COUNT_MEASURES = {"OR": "odds-ratio", "RR": "risk-ratio"}
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class StudyInput:
    """One study's reading for one analysis, on the analysis scale (log for ratios)."""

    doc_id: str
    label: str
    measure: str
    yi: float
    sei: float
    source: str  # "interval" | "counts"
    adjusted: bool
    subgroup: str | None
    events: tuple[int, int] | None  # intervention, control
    totals: tuple[int, int] | None
    design: str | None
    rif_min_failed_transfers: int | None
    sentence: str
    start: int
    reported: tuple[float, float, float] | None = None  # estimate, low, high as written
    flags: tuple[str, ...] = ()
    choice: str = ""
    stratum: str = ""
    weight: float = 0.0


def readings(paper: Paper, label: str, intervention: str, outcome: str, measure: str) -> list[StudyInput]:
    """Every reading of a study for (intervention, outcome) in `measure`."""
    x = paper.extraction
    found = [r for e in x.effects if (r := _from_estimate(paper, label, e, intervention, outcome, measure))]
    in_counts = measure if measure in COUNT_MEASURES else "OR"
    counted = _from_counts(paper, label, intervention, outcome, in_counts)
    arms = {r.subgroup: r for r in counted}
    # a reported estimate shows its study's per-arm counts too, where the abstract gives them
    found = [replace(r, events=arms[r.subgroup].events, totals=arms[r.subgroup].totals)
             if r.subgroup in arms and r.events is None else r for r in found]  # fmt: skip
    return found + (counted if measure in COUNT_MEASURES else [])


def choose(found: list[StudyInput], design: str | None) -> tuple[StudyInput | None, list[StudyInput]]:
    """(the reading that votes, the subgroups' readings kept apart)."""
    whole = [r for r in found if r.subgroup is None]
    subgroups = _first_per_subgroup([r for r in found if r.subgroup is not None])
    if not whole:
        return None, subgroups
    observational = design not in ("rct", None)
    ranked = sorted(whole, key=lambda r: (not (observational and r.adjusted), r.source != "interval",
                                          r.start))  # fmt: skip
    chosen = ranked[0]
    return replace(chosen, choice=_why(chosen, ranked[1:], observational)), subgroups


def _why(chosen: StudyInput, others: list[StudyInput], observational: bool) -> str:
    kind = ("adjusted " if chosen.adjusted else "crude ") + chosen.measure
    what = f"{kind} {'reported with its interval' if chosen.source == 'interval' else 'from per-arm counts'}"
    if not others:
        return f"{what}, the study's only reading"
    if observational and chosen.adjusted and any(not o.adjusted for o in others):
        return f"{what}: an observational study's adjusted estimate, before {len(others)} other reading(s)"
    return f"{what}, before {len(others)} other reading(s) of the whole population"


def _first_per_subgroup(found: list[StudyInput]) -> list[StudyInput]:
    kept: dict[str, StudyInput] = {}
    for r in sorted(found, key=lambda r: (r.source != "interval", r.start)):
        kept.setdefault(r.subgroup or "", replace(r, choice="a subgroup, kept apart"))
    return list(kept.values())


def _about(paper: Paper, named: str | None, intervention: str) -> bool:
    """An estimate is about the intervention when its sentence names it, or names no
    intervention in a study of that one intervention."""
    if named is not None:
        return named == intervention
    return paper.extraction.concepts()["intervention"] == [intervention]


def _from_estimate(paper: Paper, label: str, e: EffectEstimate, intervention: str, outcome: str,
                   measure: str) -> StudyInput | None:  # fmt: skip
    if e.measure != measure or e.outcome != outcome or e.ci_low is None or e.ci_high is None:
        return None
    if e.comparator not in (None, "control") or not _about(paper, e.intervention, intervention):
        return None
    if measure in DIFFERENCE_MEASURES:
        yi, sei = e.value, (e.ci_high - e.ci_low) / (2 * _Z95)
    elif min(e.value, e.ci_low, e.ci_high) > 0:
        yi, sei = math.log(e.value), (math.log(e.ci_high) - math.log(e.ci_low)) / (2 * _Z95)
    else:
        return None
    if sei <= 0:
        return None
    found = _input(paper, label, measure, yi, sei, "interval", e.adjusted, e.subgroup, None,
                   e.evidence.sentence, e.evidence.start)  # fmt: skip
    return replace(found, reported=(e.value, e.ci_low, e.ci_high))


def _from_counts(paper: Paper, label: str, intervention: str, outcome: str, measure: str) -> list[StudyInput]:
    rates = [r for r in paper.extraction.event_rates if r.outcome == outcome]
    found = []
    for treated in (r for r in rates if r.group == intervention):
        control = next((r for r in rates if r.group == "control" and r.subgroup == treated.subgroup
                        and r.evidence.sentence == treated.evidence.sentence), None)  # fmt: skip
        if control is None:
            continue
        table = two_by_two(measure, treated, control)
        if table is not None:
            evidence = treated.evidence
            found.append(_input(paper, label, measure, *table, "counts", False, treated.subgroup,
                                (treated, control), evidence.sentence, evidence.start))  # fmt: skip
    return found


def two_by_two(measure: str, treated: EventRate, control: EventRate) -> tuple[float, float] | None:
    """(yi, sei) of two arms' counts; None when neither arm or both arms are all events."""
    a, n1, c, n2 = treated.events, treated.total, control.events, control.total
    if (a == 0 and c == 0) or (a == n1 and c == n2) or not n1 or not n2:
        return None
    from statsmodels.stats.meta_analysis import effectsize_2proportions

    # statsmodels adds `zero_correction` to the counts of every table, zero cell or not (its
    # zero mask reaches only the totals; zero handling is open there: statsmodels issues
    # #6639, #7011): ask for it only where a cell is zero, where it then adds 0.5 to each cell
    zero = 0 in (a, n1 - a, c, n2 - c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yi, vi = effectsize_2proportions(a, n1, c, n2, statistic=COUNT_MEASURES[measure],
                                         zero_correction=0.5 if zero else None)  # fmt: skip
    return float(yi), float(math.sqrt(vi))


def _input(paper: Paper, label: str, measure: str, yi: float, sei: float, source: str, adjusted: bool,
           subgroup: str | None, arms: tuple[EventRate, EventRate] | None, sentence: str,
           start: int) -> StudyInput:  # fmt: skip
    rif = paper.extraction.rif_definition
    return StudyInput(
        doc_id=paper.extraction.doc_id, label=label, measure=measure, yi=yi, sei=sei, source=source,
        adjusted=adjusted, subgroup=subgroup,
        events=(arms[0].events, arms[1].events) if arms else None,
        totals=(arms[0].total, arms[1].total) if arms else None,
        design=paper.extraction.study_design,
        rif_min_failed_transfers=rif.min_failed_transfers if rif else None,
        sentence=sentence, start=start,
    )  # fmt: skip


def with_flags(reading: StudyInput, flags: tuple[AuditFlag, ...]) -> StudyInput:
    """The audit's flags on a reading: on its estimate, or on the sentence of its counts."""
    counts = reading.source == "counts"
    own = tuple(f.message for f in flags
                if f.start == reading.start or (counts and f.sentence == reading.sentence))  # fmt: skip
    return replace(reading, flags=own) if own else reading
