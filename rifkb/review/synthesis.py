"""The living meta-analysis: for each intervention and outcome, the studies' readings
pooled (see `meta` for the numbers and `study_inputs` for what each study brings),
stratified by RIF definition or design, beside the syntheses others have published.

- Population: by default only studies in RIF populations (`rif` among their populations);
  `rpl` for recurrent pregnancy loss; `all`.
- Primary studies only are pooled; meta-analyses and systematic reviews are never pooled
  again with them: their estimates are listed beside the analysis as published syntheses.
- One measure per analysis: the one most studies report (counts make an OR or an RR);
  a study that reports only another measure is listed as left out, with the reason.
- Strata: the minimum failed transfers of the study's RIF definition (2, 3, ≥ 4, not
  stated) or its design (RCT, non-randomised), with the test for subgroup differences;
  each study's subgroup readings are strata of their own, outside that test.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from rifkb.kb.audit import audit
from rifkb.kb.papers import Paper
from rifkb.records import DIFFERENCE_MEASURES
from rifkb.review.labels import study_label
from rifkb.review.meta import Pooled, SubgroupTest, pool, subgroup_test
from rifkb.review.study_inputs import StudyInput, choose, readings, with_flags

POPULATIONS = ("rif", "rpl", "all")
STRATIFY_BY = ("rif_definition", "design")
PUBLISHED = ("meta_analysis", "systematic_review")
PRIMARY = ("rct", "nrct", "cohort", "case_control", "cross_sectional", "case_series")
_MEASURE_ORDER = ("OR", "RR", "HR", "MD", "SMD", "RD")


@dataclass(frozen=True)
class Stratum:
    name: str
    studies: tuple[StudyInput, ...]
    pooled: Pooled
    fixed: Pooled
    subgroup: bool = False  # a study's own subgroup, outside the test for differences


@dataclass(frozen=True)
class PublishedSynthesis:
    doc_id: str
    label: str
    measure: str
    estimate: float
    ci_low: float | None
    ci_high: float | None
    p: str | None
    populations: tuple[str, ...]
    sentence: str

    def summary(self) -> str:
        """'Label: RR 1.25 [1.00, 1.56] (rpl)', two decimals as RevMan prints them."""
        interval = f" [{self.ci_low:.2f}, {self.ci_high:.2f}]" if self.ci_low is not None else ""
        who = ", ".join(self.populations) or "population not named"
        return f"{self.label}: {self.measure} {self.estimate:.2f}{interval} ({who})"


@dataclass(frozen=True)
class Analysis:
    intervention: str
    outcome: str
    population: str
    measure: str
    method: str
    hartung_knapp: bool
    by: str
    studies: tuple[StudyInput, ...]
    pooled: Pooled | None
    fixed: Pooled | None
    strata: tuple[Stratum, ...]
    subgroup_test: SubgroupTest | None
    published_syntheses: tuple[PublishedSynthesis, ...]
    left_out: tuple[tuple[str, str], ...]  # (doc_id, why)

    @property
    def ratio(self) -> bool:
        return self.measure not in DIFFERENCE_MEASURES

    def to_json(self) -> dict[str, Any]:
        return _analysis_json(self)


def synthesize(papers: Iterable[Paper], *, intervention: str | None = None, outcome: str | None = None,
               population: str = "rif", by: str = "rif_definition", method: str = "dl",
               hartung_knapp: bool = False) -> list[Analysis]:  # fmt: skip
    """Every analysis the papers allow, or those of one intervention and/or outcome."""
    if population not in POPULATIONS or by not in STRATIFY_BY:
        raise ValueError(f"population {population!r} or by {by!r} unknown")
    papers = list(papers)
    primary = [p for p in papers if p.extraction.study_design in PRIMARY and _in(p, population)]
    published = [p for p in papers if p.extraction.study_design in PUBLISHED]
    pairs = sorted({pair for p in primary for pair in _pairs(p)})
    pairs = [(i, o) for i, o in pairs if intervention in (None, i) and outcome in (None, o)]
    settings = (population, by, method, hartung_knapp)
    return [a for i, o in pairs if (a := _analysis(primary, published, i, o, *settings)) is not None]


def _in(paper: Paper, population: str) -> bool:
    found = paper.extraction.concepts()["population"]
    return population == "all" or population in found


def _pairs(paper: Paper) -> set[tuple[str, str]]:
    """(intervention, outcome) pairs a study reports an estimate or per-arm counts for."""
    x = paper.extraction
    only = x.concepts()["intervention"]
    found = {(e.intervention or (only[0] if len(only) == 1 else ""), e.outcome)
             for e in x.effects if e.outcome and e.ci_low is not None}  # fmt: skip
    groups = {(r.group, r.outcome) for r in x.event_rates if r.group and r.outcome}
    found |= {(g, o) for g, o in groups if g != "control" and ("control", o) in groups}
    return {(i, o) for i, o in found if i and o}


def _analysis(primary: list[Paper], published: list[Paper], intervention: str, outcome: str,
              population: str, by: str, method: str, hartung_knapp: bool) -> Analysis | None:  # fmt: skip
    measure = _measure(primary, intervention, outcome)
    studies, subgroups, left_out = _studies(primary, intervention, outcome, measure)
    if not studies and not subgroups:
        return None
    ratio = measure not in DIFFERENCE_MEASURES
    pooled = fixed = None
    if studies:
        pooling = pool([s.yi for s in studies], [s.sei for s in studies], method, ratio, hartung_knapp)
        pooled, fixed = pooling.random, pooling.fixed
        studies = [
            replace(s, weight=w, stratum=_stratum(s, by))
            for s, w in zip(studies, pooling.weights, strict=True)
        ]
    strata = _strata(studies, by, method, ratio, hartung_knapp)
    test = subgroup_test([s.pooled for s in strata])
    strata += [_one(s, f"subgroup: {s.subgroup} ({s.label})", method, ratio, True) for s in subgroups]
    syntheses = tuple(p for paper in published for p in _published(paper, intervention, outcome))
    return Analysis(intervention, outcome, population, measure, method, hartung_knapp, by, tuple(studies),
                    pooled, fixed, tuple(strata), test, syntheses, tuple(left_out))  # fmt: skip


def _measure(primary: list[Paper], intervention: str, outcome: str) -> str:
    """The measure most studies report for the pair (counts make an OR)."""
    counts: Counter[str] = Counter()
    for p in primary:
        reported = {e.measure for e in p.extraction.effects if e.outcome == outcome and e.ci_low is not None
                    and e.intervention in (None, intervention)}  # fmt: skip
        counts.update(reported or {"OR"})
    return max(counts, key=lambda m: (counts[m], -_MEASURE_ORDER.index(m)))


def _studies(primary: list[Paper], intervention: str, outcome: str,
             measure: str) -> tuple[list[StudyInput], list[StudyInput], list[tuple[str, str]]]:  # fmt: skip
    studies, subgroups, left_out = [], [], []
    for paper in sorted(primary, key=lambda p: (p.record.year or 0, study_label(p))):
        label, flags = study_label(paper), audit(paper.extraction)
        found = [with_flags(r, flags) for r in readings(paper, label, intervention, outcome, measure)]
        chosen, kept_apart = choose(found, paper.extraction.study_design)
        if chosen is not None:
            studies.append(chosen)
        subgroups += kept_apart
        if not found and (intervention, outcome) in _pairs(paper):
            left_out.append(
                (paper.extraction.doc_id, f"reports no {measure} with an interval or per-arm counts")
            )
    return studies, subgroups, left_out


def _stratum(study: StudyInput, by: str) -> str:
    if by == "design":
        return "RCT" if study.design == "rct" else "non-randomised"
    n = study.rif_min_failed_transfers
    return "RIF definition not stated" if n is None else f"RIF: ≥{min(n, 4)} failed transfers"


def _strata(studies: list[StudyInput], by: str, method: str, ratio: bool, hk: bool) -> list[Stratum]:
    names = sorted({s.stratum for s in studies}, key=_stratum_order)
    if len(names) < 2:
        return []
    strata = []
    for name in names:
        members = [s for s in studies if s.stratum == name]
        pooling = pool([s.yi for s in members], [s.sei for s in members], method, ratio, hk)
        strata.append(Stratum(name, tuple(members), pooling.random, pooling.fixed))
    return strata


def _stratum_order(name: str) -> tuple[int, str]:
    return ("not stated" in name, name)


def _one(study: StudyInput, name: str, method: str, ratio: bool, subgroup: bool) -> Stratum:
    pooling = pool([study.yi], [study.sei], method, ratio)
    return Stratum(
        name, (replace(study, weight=100.0, stratum=name),), pooling.random, pooling.fixed, subgroup
    )


def _published(paper: Paper, intervention: str, outcome: str) -> list[PublishedSynthesis]:
    x = paper.extraction
    if intervention not in x.concepts()["intervention"]:
        return []
    return [
        PublishedSynthesis(
            x.doc_id,
            study_label(paper),
            e.measure,
            e.value,
            e.ci_low,
            e.ci_high,
            e.p,
            tuple(x.concepts()["population"]),
            e.evidence.sentence,
        )  # fmt: skip
        for e in x.effects
        if e.outcome == outcome and e.intervention in (None, intervention) and e.subgroup is None
    ]


# --- rows of a table ----------------------------------------------------------------------

SYNTHESIS_COLUMNS = [
    "intervention", "outcome", "population", "measure", "method", "stratum", "k", "estimate", "ci_low",
    "ci_high", "pi_low", "pi_high", "tau2", "i2", "q", "q_p", "fixed_estimate", "fixed_ci_low",
    "fixed_ci_high", "subgroup_difference_p", "studies", "flags",
]  # fmt: skip


def synthesis_rows(analyses: Iterable[Analysis]) -> list[dict[str, Any]]:
    """One row per analysis (stratum "all studies") and per stratum."""
    rows = []
    for a in analyses:
        parts = [("all studies", a.studies, a.pooled, a.fixed)] if a.pooled else []
        parts += [(s.name, s.studies, s.pooled, s.fixed) for s in a.strata]
        test = a.subgroup_test.p if a.subgroup_test else None
        for name, studies, pooled, fixed in parts:
            rows.append({
                "intervention": a.intervention, "outcome": a.outcome, "population": a.population,
                "measure": a.measure, "method": a.method, "stratum": name, "k": pooled.k,
                "estimate": pooled.estimate, "ci_low": pooled.ci_low, "ci_high": pooled.ci_high,
                "pi_low": pooled.pi_low, "pi_high": pooled.pi_high, "tau2": pooled.tau2, "i2": pooled.i2,
                "q": pooled.q, "q_p": pooled.q_p, "fixed_estimate": fixed.estimate,
                "fixed_ci_low": fixed.ci_low, "fixed_ci_high": fixed.ci_high,
                "subgroup_difference_p": test if name == "all studies" else None,
                "studies": "; ".join(s.label for s in studies),
                "flags": "; ".join(f for s in studies for f in s.flags),
            })  # fmt: skip
    return rows


# --- JSON -------------------------------------------------------------------------------


def _analysis_json(a: Analysis) -> dict[str, Any]:
    return {
        "intervention": a.intervention, "outcome": a.outcome, "population": a.population,
        "measure": a.measure, "method": a.method, "hartung_knapp": a.hartung_knapp,
        "studies": [_study_json(s) for s in a.studies],
        "pooled": _pooled_json(a.pooled), "fixed": _pooled_json(a.fixed),
        "strata": {
            "by": a.by,
            "groups": [{"name": s.name, "subgroup": s.subgroup, "studies": [x.doc_id for x in s.studies],
                        "pooled": _pooled_json(s.pooled), "fixed": _pooled_json(s.fixed)} for s in a.strata],
            "test": asdict(a.subgroup_test) if a.subgroup_test else None,
        },
        "published_syntheses": [asdict(p) for p in a.published_syntheses],
        "left_out": [{"doc_id": d, "why": why} for d, why in a.left_out],
    }  # fmt: skip


def _study_json(s: StudyInput) -> dict[str, Any]:
    return {
        "doc_id": s.doc_id, "label": s.label, "measure": s.measure, "yi": s.yi, "sei": s.sei,
        "weight": s.weight, "source": s.source, "adjusted": s.adjusted,
        "reported": list(s.reported) if s.reported else None,
        "events": list(s.events) if s.events else None, "totals": list(s.totals) if s.totals else None,
        "stratum": s.stratum, "flags": list(s.flags), "choice": s.choice, "sentence": s.sentence,
    }  # fmt: skip


def _pooled_json(p: Pooled | None) -> dict[str, Any] | None:
    return None if p is None else asdict(p)


def labels_of(concepts: Mapping[str, Any]) -> dict[str, str]:
    """Concept id -> label, as concepts.tsv writes it."""
    return {cid: c.label for cid, c in concepts.items()}
