"""What each study brings to a meta-analysis of one intervention (or exposure) and one
outcome.

- From a reported ratio (OR, RR, HR) with its 95 % interval: yi = ln(estimate) and
  SE = (ln high − ln low) / (2 × 1.96); from a mean difference with its interval, on the
  raw scale (Cochrane Handbook, section 6.3).
- From the study's meta-analysis form (`study_data`, see `study_data`): per-arm counts
  as written (`counts`) or computed from a percentage (`derived counts`), or means, SDs
  and sizes (`means`), each comparison's effect size as metafor's escalc computes it.
  Per-arm `event_rates` with their group are the fallback for a study with no form rows
  for the outcome.
- An impossible number (a ratio of zero or below, an estimate outside its interval,
  events above the total, a total of 0, a percentage over 100, per-cycle denominators)
  never enters the pooling: it is left out, its audit flag the reason (`kb.audit`).
- One study, one vote: of a study's readings one enters the pooled analysis, chosen in
  this order: the whole study population before a subgroup; for an observational study,
  an adjusted estimate before a crude one; an estimate the authors report before one
  computed from counts or means, written counts before derived ones; the first written.
  The reason is kept. Subgroup readings ("patients with severe RIF") are kept apart, as
  strata of their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from rifkb.kb.audit import BLOCKING, AuditFlag, audit_estimate, study_data_flags
from rifkb.kb.papers import Paper
from rifkb.records import DIFFERENCE_MEASURES, Dose, EffectEstimate, EventRate
from rifkb.review.study_data import (
    COUNT_MEASURES,
    MEAN_MEASURES,
    Comparison,
    comparison_effect,
    comparisons,
    rif_threshold,
    table_effect,
)

RATIO_MEASURES = ("OR", "RR", "HR")
SOURCES = ("interval", "counts", "derived counts", "means")
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class Question:
    """What an analysis compares: `group` (an intervention, or for an association an
    exposure) against `reference` ("control", or "fertile_controls") on `outcome`."""

    kind: str  # "treatment" | "association"
    group: str
    reference: str
    outcome: str
    measure: str


@dataclass(frozen=True)
class StudyInput:
    """One study's reading for one analysis, on the analysis scale (log for ratios)."""

    doc_id: str
    label: str
    measure: str
    yi: float
    sei: float
    source: str  # "interval" | "counts" | "derived counts" | "means"
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
    means: tuple[tuple[float, float], tuple[float, float]] | None = None  # (mean, SD) per arm
    rif_from_subgroup: bool = False  # the RIF definition is the subgroup's ("≥5 failed transfers")
    year: int | None = None  # of publication: the order of cumulative and sequential analyses
    sample_size: int | None = None  # the study's, when its arms' totals are not read
    risk_of_bias: str | None = None  # a reviewer's judgement (RISK_OF_BIAS), else not assessed
    doses: tuple[Dose, ...] = ()  # the study's regimens as read (of every intervention it names)

    @property
    def participants(self) -> int | None:
        """Who the reading counts: its arms' totals, else the study's sample size."""
        return sum(self.totals) if self.totals else self.sample_size

    @property
    def interval(self) -> tuple[float, float, float]:
        """The estimate and 95 % interval as written, else as yi ± 1.96 SE gives them."""
        if self.reported:
            return self.reported
        back = float if self.measure in DIFFERENCE_MEASURES else math.exp
        return back(self.yi), back(self.yi - _Z95 * self.sei), back(self.yi + _Z95 * self.sei)


def readings(paper: Paper, label: str, q: Question) -> tuple[list[StudyInput], list[str]]:
    """(every reading of a study for the question, why others could not be read)."""
    x = paper.extraction
    found, problems = [], []
    for e in x.effects:
        if _asks(paper, e, q):
            reading, problem = _from_estimate(paper, label, e, q.measure)
            found += [reading] if reading else []
            problems += [problem] if problem else []
    counted, count_problems = _from_form(paper, label, q)
    if not any(r.outcome == q.outcome for r in x.study_data) and q.kind == "treatment":
        counted = _from_counts(paper, label, q.group, q.outcome, q.measure)
    arms = {r.subgroup: r for r in counted}
    # a reported estimate shows its study's per-arm counts too, where the abstract gives them
    found = [replace(r, events=arms[r.subgroup].events, totals=arms[r.subgroup].totals,
                     means=arms[r.subgroup].means)
             if r.subgroup in arms and r.events is None else r for r in found]  # fmt: skip
    return found + counted, problems + count_problems


def choose(found: list[StudyInput], design: str | None) -> tuple[StudyInput | None, list[StudyInput]]:
    """(the reading that votes, the subgroups' readings kept apart)."""
    whole = [r for r in found if r.subgroup is None]
    subgroups = _first_per_subgroup([r for r in found if r.subgroup is not None])
    if not whole:
        return None, subgroups
    observational = design not in ("rct", None)
    ranked = sorted(whole, key=lambda r: (not (observational and r.adjusted), SOURCES.index(r.source),
                                          r.start))  # fmt: skip
    chosen = ranked[0]
    return replace(chosen, choice=_why(chosen, ranked[1:], observational)), subgroups


_FROM = {"interval": "reported with its interval", "counts": "from per-arm counts",
         "derived counts": "from per-arm counts derived from percentages",
         "means": "from per-arm means and SDs"}  # fmt: skip


def _why(chosen: StudyInput, others: list[StudyInput], observational: bool) -> str:
    kind = (
        chosen.measure
        if chosen.source == "means"
        else ("adjusted " if chosen.adjusted else "crude ") + chosen.measure
    )
    what = f"{kind} {_FROM[chosen.source]}"
    if not others:
        return f"{what}, the study's only reading"
    if observational and chosen.adjusted and any(not o.adjusted for o in others):
        return f"{what}: an observational study's adjusted estimate, before {len(others)} other reading(s)"
    return f"{what}, before {len(others)} other reading(s) of the whole population"


def _first_per_subgroup(found: list[StudyInput]) -> list[StudyInput]:
    kept: dict[str, StudyInput] = {}
    for r in sorted(found, key=lambda r: (SOURCES.index(r.source), r.start)):
        kept.setdefault(r.subgroup or "", replace(r, choice="a subgroup, kept apart"))
    return list(kept.values())


def _about(paper: Paper, named: str | None, intervention: str) -> bool:
    """An estimate is about the intervention when its sentence names it, or names no
    intervention in a study of that one intervention."""
    if named is not None:
        return named == intervention
    return paper.extraction.concepts()["intervention"] == [intervention]


def _asks(paper: Paper, e: EffectEstimate, q: Question) -> bool:
    """Whether a reported estimate answers the question: its measure and outcome, and its
    intervention (an association's exposure must be named) against the reference."""
    if e.measure != q.measure or e.outcome != q.outcome or e.ci_low is None or e.ci_high is None:
        return False
    if q.kind == "association":
        return e.intervention == q.group and e.comparator in (None, q.reference)
    return e.comparator in (None, "control") and _about(paper, e.intervention, q.group)


def _from_estimate(
    paper: Paper, label: str, e: EffectEstimate, measure: str
) -> tuple[StudyInput | None, str | None]:
    blocking = [f.message for f in audit_estimate(e) if f.kind in BLOCKING]
    if blocking:
        return None, blocking[0]
    if measure in DIFFERENCE_MEASURES:
        yi, sei = e.value, (e.ci_high - e.ci_low) / (2 * _Z95)  # type: ignore[operator]
    else:
        yi, sei = math.log(e.value), (math.log(e.ci_high) - math.log(e.ci_low)) / (2 * _Z95)  # type: ignore[arg-type]
    if sei <= 0:
        return None, f"{measure} {e.value:g} ({e.ci_low:g} to {e.ci_high:g}): an interval of no width"
    found = _input(paper, label, measure, yi, sei, "interval", e.adjusted, e.subgroup, None,
                   e.evidence.sentence, e.evidence.start)  # fmt: skip
    return replace(found, reported=(e.value, e.ci_low, e.ci_high)), None  # type: ignore[arg-type]


def _from_form(paper: Paper, label: str, q: Question) -> tuple[list[StudyInput], list[str]]:
    """Readings from the study's meta-analysis form, and why a comparison gave none."""
    found, problems = [], []
    for c in comparisons(paper.extraction):
        if (c.kind, c.group, c.reference, c.outcome) != (q.kind, q.group, q.reference, q.outcome):
            continue
        flags = [f for row in (c.treated, c.control) for f in study_data_flags(row)]
        blocking = [f.message for f in flags if f.kind in BLOCKING]
        if blocking:
            problems.append(blocking[0])
            continue
        reading = _from_comparison(paper, label, c, q.measure)
        if reading is None:
            problems.append(_no_effect(c, q.measure))
            continue
        found.append(replace(reading, flags=tuple(f.message for f in flags)))
    return found, problems


def _from_comparison(paper: Paper, label: str, c: Comparison, measure: str) -> StudyInput | None:
    effect = comparison_effect(measure, c)
    if effect is None:
        return None
    t, r = c.treated, c.control
    source = "means" if measure in MEAN_MEASURES else "derived counts" if c.derived else "counts"
    found = _input(paper, label, measure, *effect, source, False, c.subgroup, None, t.evidence.sentence,
                   t.evidence.start)  # fmt: skip
    if c.dichotomous:
        return replace(found, events=(t.events, r.events), totals=(t.total, r.total))  # type: ignore[arg-type]
    return replace(found, totals=(t.total, r.total), means=((t.mean, t.sd), (r.mean, r.sd)))  # type: ignore[arg-type]


def _no_effect(c: Comparison, measure: str) -> str:
    t, r = c.treated, c.control
    if not c.dichotomous and not c.continuous:
        sizes = any(x.events is None and x.mean is None and x.percent is not None for x in (t, r))
        return "percentages without group sizes" if sizes else f"{c.outcome}: no counts or means"
    if measure in COUNT_MEASURES and c.dichotomous and t.total and r.total:
        counts = f"{t.events}/{t.total} vs {r.events}/{r.total}"
        return f"{c.outcome}: no events, or only events, in both groups ({counts})"
    if measure in MEAN_MEASURES and c.continuous:
        return f"{c.outcome}: means without an SD or a group size"
    kind = "dichotomous" if c.dichotomous else "continuous"
    return f"{c.outcome}: {kind} data, the analysis pools {measure}"


def _from_counts(paper: Paper, label: str, intervention: str, outcome: str, measure: str) -> list[StudyInput]:
    """The fallback: per-arm event rates of one sentence, with their group."""
    if measure not in COUNT_MEASURES:
        return []
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
    """(log OR or log RR, its SE) of two arms' event rates (see `study_data.table_effect`)."""
    if treated.events > treated.total or control.events > control.total:
        return None
    return table_effect(measure, treated.events, treated.total, control.events, control.total)


def _input(paper: Paper, label: str, measure: str, yi: float, sei: float, source: str, adjusted: bool,
           subgroup: str | None, arms: tuple[EventRate, EventRate] | None, sentence: str,
           start: int) -> StudyInput:  # fmt: skip
    rif = paper.extraction.rif_definition
    threshold = rif_threshold(subgroup, sentence)
    return StudyInput(
        doc_id=paper.extraction.doc_id, label=label, measure=measure, yi=yi, sei=sei, source=source,
        adjusted=adjusted, subgroup=subgroup,
        events=(arms[0].events, arms[1].events) if arms else None,
        totals=(arms[0].total, arms[1].total) if arms else None,
        design=paper.extraction.study_design,
        rif_min_failed_transfers=threshold or (rif.min_failed_transfers if rif else None),
        sentence=sentence, start=start, rif_from_subgroup=threshold is not None,
        year=paper.record.year, sample_size=paper.extraction.sample_size,
        risk_of_bias=paper.extraction.risk_of_bias, doses=paper.extraction.doses,
    )  # fmt: skip


def with_flags(reading: StudyInput, flags: tuple[AuditFlag, ...]) -> StudyInput:
    """The audit's flags on a reading: on its estimate, or on the sentence of its counts."""
    counts = reading.source != "interval"
    own = tuple(f.message for f in flags
                if f.start == reading.start or (counts and f.sentence == reading.sentence))  # fmt: skip
    return replace(reading, flags=tuple(dict.fromkeys((*reading.flags, *own)))) if own else reading
