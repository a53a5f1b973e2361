"""The living meta-analysis: for each intervention and outcome (and each exposure and
outcome of an association), the studies' readings pooled (see `meta` for the numbers and
`study_inputs` for what each study brings), stratified by RIF definition or design,
beside the syntheses others have published.

- Population: by default only studies in RIF populations (`rif` among their populations);
  `rpl` for recurrent pregnancy loss; `all`.
- Primary studies only are pooled; meta-analyses and systematic reviews are never pooled
  again with them: their estimates are listed beside the analysis as published syntheses.
- Treatment and association apart: a treatment analysis compares an intervention with
  control; an association compares an exposure (a population or a mechanism: RIF,
  ANA-positive women) with its reference group (fertile controls, or controls).
- Designs apart: randomised and non-randomised studies are never pooled together unless
  asked (`combine_designs`, with a warning): one analysis per design family, as the
  Cochrane Handbook advises (24.6: "randomized trials and non-randomized studies should
  not be combined in the same meta-analysis").
- One measure per analysis: the one most studies report (counts make an OR, means an MD,
  or Hedges' g with `continuous="smd"` when the studies measure on different scales); a
  study that reports only another measure is listed as left out, with the reason, and so
  is every other study that names the comparison but gives nothing to pool.
- Strata: the minimum failed transfers of the study's RIF definition (2, 3, 4, ≥ 5, not
  stated), a subgroup defined by failed transfers ("severe RIF, ≥ 5 failed transfers")
  joining its stratum, or design (RCT, non-randomised), with the test for subgroup
  differences (not done when a study stands in two strata: they would not be
  independent); each study's other subgroup readings are strata of their own, outside
  that test.
- One study is "1 study", its own estimate and interval, never a pooled one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

from rifkb.kb.audit import audit
from rifkb.kb.papers import Paper
from rifkb.records import DIFFERENCE_MEASURES, Extraction
from rifkb.review.labels import study_label
from rifkb.review.meta import Pooled, SubgroupTest, pool, subgroup_test
from rifkb.review.reading import once_per_synthesis, read_once
from rifkb.review.study_data import comparisons, unpaired_reason
from rifkb.review.study_inputs import Question, StudyInput, choose, readings, with_flags

POPULATIONS = ("rif", "rpl", "all")
STRATIFY_BY = ("rif_definition", "design")
CONTINUOUS = ("md", "smd")
PUBLISHED = ("meta_analysis", "systematic_review")
PRIMARY = ("rct", "nrct", "cohort", "case_control", "cross_sectional", "case_series")
FAMILIES = {"rct": "RCT", "non_randomised": "non-randomised", "all_designs": "all designs"}
_MEASURE_ORDER = ("OR", "RR", "HR", "MD", "SMD", "RD")
COMBINED_WARNING = ("randomised and non-randomised studies pooled together, as asked (--combine-designs); "
                    "the Cochrane Handbook (24.6) advises against it")  # fmt: skip


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
    intervention: str  # the intervention, or for an association the exposure
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
    kind: str = "treatment"  # "treatment" | "association"
    comparator: str = "control"  # "control" | "fertile_controls"
    design: str = "all_designs"  # "rct" | "non_randomised" | "all_designs" (--combine-designs)
    warnings: tuple[str, ...] = ()

    @property
    def ratio(self) -> bool:
        return self.measure not in DIFFERENCE_MEASURES

    @property
    def name(self) -> str:
        """'ivig_live_birth_rct', 'rif_antiphospholipid_vs_fertile_controls_non_randomised':
        the stem of its files, unique among the analyses of one synthesis."""
        versus = "" if self.comparator == "control" else f"_vs_{self.comparator}"
        return f"{self.intervention}_{self.outcome}{versus}_{self.design}"

    @property
    def single(self) -> bool:
        """One study: its own estimate, not a pooled one."""
        return self.pooled is not None and self.pooled.k == 1

    def to_json(self) -> dict[str, Any]:
        return _analysis_json(self)


@dataclass(frozen=True)
class _Settings:
    population: str
    by: str
    method: str
    hartung_knapp: bool


def synthesize(papers: Iterable[Paper], *, intervention: str | None = None, outcome: str | None = None,
               population: str = "rif", by: str = "rif_definition", method: str = "dl",
               hartung_knapp: bool = False, continuous: str = "md",
               combine_designs: bool = False) -> list[Analysis]:  # fmt: skip
    """Every analysis the papers allow, or those of one intervention (or exposure) and/or
    outcome: one per design family unless `combine_designs`."""
    if population not in POPULATIONS or by not in STRATIFY_BY or continuous not in CONTINUOUS:
        raise ValueError(f"population {population!r}, by {by!r} or continuous {continuous!r} unknown")
    with once_per_synthesis():
        return _synthesize(list(papers), intervention, outcome, population, by, method, hartung_knapp,
                           continuous, combine_designs)  # fmt: skip


def _synthesize(papers: list[Paper], intervention: str | None, outcome: str | None, population: str,
                by: str, method: str, hartung_knapp: bool, continuous: str,
                combine_designs: bool) -> list[Analysis]:  # fmt: skip
    every = [p for p in papers if p.extraction.study_design in PRIMARY]
    primary = [p for p in every if _in(p, population)]
    published = [p for p in papers if p.extraction.study_design in PUBLISHED]
    keys = sorted({key for p in primary for key in _pairs(p)})
    keys = [k for k in keys if intervention in (None, k[1]) and outcome in (None, k[3])]
    settings = _Settings(population, by, method, hartung_knapp)
    found = []
    for kind, group, reference, out in keys:
        measure = _measure(primary, kind, group, reference, out, continuous)
        q = Question(kind, group, reference, out, measure)
        found += _question(q, every, primary, published, settings, combine_designs)
    return found


def family(design: str | None) -> str:
    return "rct" if design == "rct" else "non_randomised"


def _question(q: Question, every: list[Paper], primary: list[Paper], published: list[Paper],
              settings: _Settings, combine: bool) -> list[Analysis]:  # fmt: skip
    """The analyses of one question, one per design family (or one of all designs)."""
    families = ["all_designs"] if combine else ["rct", "non_randomised"]
    analyses, left_out = [], []
    for name in families:
        members = [p for p in primary if combine or family(p.extraction.study_design) == name]
        studies, subgroups, out = _studies(members, q)
        left_out += [(name, doc, why) for doc, why in out]
        if studies or subgroups:
            analyses.append(_analysis(q, name, studies, subgroups, published, settings))
    # by identity: `in` would compare papers field by field, every paper with every other
    chosen = {id(p) for p in primary}
    left_out += [(family(p.extraction.study_design), p.extraction.doc_id, _elsewhere(p, settings.population))
                 for p in every if id(p) not in chosen and _touches(p, q)]  # fmt: skip
    return [_with_left_out(a, left_out, combine, len(analyses)) for a in analyses]


def _with_left_out(a: Analysis, left_out: list[tuple[str, str, str]], combine: bool, n: int) -> Analysis:
    """Each study left out is listed with the analysis of its design family (with every
    analysis of the question when its family has none)."""
    has_own = {f for f, _, _ in left_out if n == 2 or f == a.design}
    mine = [(doc, why) for f, doc, why in left_out if combine or f == a.design or f not in has_own]
    return replace(a, left_out=tuple(dict.fromkeys(mine)))


def _elsewhere(paper: Paper, population: str) -> str:
    found = paper.extraction.concepts()["population"]
    return f"not a {population} population (populations: {', '.join(found) or 'not named'})"


def _in(paper: Paper, population: str) -> bool:
    found = paper.extraction.concepts()["population"]
    return population == "all" or population in found


def _pairs(paper: Paper) -> frozenset[tuple[str, str, str, str]]:
    """(kind, intervention or exposure, reference, outcome): the comparisons a study
    reports an estimate, per-arm counts or means for."""
    return _pairs_of(paper.extraction)


@read_once
def _pairs_of(x: Extraction) -> frozenset[tuple[str, str, str, str]]:
    only = x.concepts()["intervention"]
    found = set()
    for e in x.effects:
        if e.outcome and e.ci_low is not None:
            named = e.intervention or (only[0] if len(only) == 1 else "")
            treatment = e.intervention is None or e.intervention in only
            if treatment and e.comparator in (None, "control"):
                found.add(("treatment", named, "control", e.outcome))
            elif not treatment:
                found.add(("association", named, e.comparator or "control", e.outcome))
    found |= {(c.kind, c.group, c.reference, c.outcome) for c in comparisons(x)}
    groups = {(r.group, r.outcome) for r in x.event_rates if r.group and r.outcome}
    found |= {
        ("treatment", g, "control", o) for g, o in groups if g != "control" and ("control", o) in groups
    }
    # (an exposure measured as its own outcome, "the incidence of thrombophilia in group A
    # ... (odds ratio 2.9)", compares groups the estimate does not name: no analysis)
    return frozenset(k for k in found if k[1] and k[3] and k[1] != k[3])


def _touches(paper: Paper, q: Question) -> bool:
    """Whether a study names the comparison: an estimate, counts or form rows of it (rows
    that pair with no reference group: those that pair belong to that comparison)."""
    pairs = _pairs(paper)
    if (q.kind, q.group, q.reference, q.outcome) in pairs:
        return True
    paired = any(k[1] == q.group and k[3] == q.outcome for k in pairs)
    return not paired and any(
        r.group == q.group and r.outcome == q.outcome for r in paper.extraction.study_data
    )


def _analysis(q: Question, design: str, studies: list[StudyInput], subgroups: list[StudyInput],
              published: list[Paper], settings: _Settings) -> Analysis:  # fmt: skip
    ratio = q.measure not in DIFFERENCE_MEASURES
    method, hk, by = settings.method, settings.hartung_knapp, settings.by
    pooled = fixed = None
    if studies:
        pooling = pool([s.yi for s in studies], [s.sei for s in studies], method, ratio, hk)
        pooled, fixed = pooling.random, pooling.fixed
        studies = [replace(s, weight=w, stratum=_stratum(s, by))
                   for s, w in zip(studies, pooling.weights, strict=True)]  # fmt: skip
    joining = [
        replace(s, stratum=_stratum(s, by))
        for s in subgroups
        if by == "rif_definition" and s.rif_from_subgroup
    ]
    strata = _strata(studies + joining, by, method, ratio, hk)
    in_two = len({s.doc_id for s in studies + joining}) < len(studies + joining)
    test = None if in_two else subgroup_test([s.pooled for s in strata])
    apart = [s for s in subgroups if not _joins(s, joining)]
    strata += [_one(s, f"subgroup: {s.subgroup} ({s.label})", method, ratio, True) for s in apart]
    syntheses = tuple(p for paper in published for p in _published(paper, q))
    analysis = Analysis(q.group, q.outcome, settings.population, q.measure, method, hk, by,
                        tuple(studies), pooled, fixed, tuple(strata), test, syntheses, (), q.kind,
                        q.reference, design)  # fmt: skip
    return replace(analysis, warnings=_warnings(analysis, in_two and len(strata) > 1))


def _joins(s: StudyInput, joining: list[StudyInput]) -> bool:
    return any((j.doc_id, j.subgroup) == (s.doc_id, s.subgroup) for j in joining)


def _warnings(a: Analysis, in_two: bool) -> tuple[str, ...]:
    found = (
        [COMBINED_WARNING]
        if a.design == "all_designs" and len({family(s.design) for s in a.studies}) > 1
        else []
    )
    if a.hartung_knapp:
        parts = [("all studies", a.pooled)] if a.pooled else []
        parts += [(s.name, s.pooled) for s in a.strata if not s.subgroup]
        found += [f"{name}: Hartung–Knapp with 2 studies gives a t interval on 1 degree of freedom "
                  "(12.7 × its SE), too wide to inform"
                  for name, p in parts if p is not None and p.k == 2]  # fmt: skip
    if in_two:
        found.append("no test for subgroup differences: a study's subgroup stands in a stratum beside "
                     "its whole population")  # fmt: skip
    return tuple(found)


def _measure(
    primary: list[Paper], kind: str, group: str, reference: str, outcome: str, continuous: str
) -> str:
    """The measure most studies report for the comparison (counts make an OR, means an MD
    or, with `continuous="smd"`, an SMD)."""
    counts: Counter[str] = Counter()
    for p in primary:
        reported = {e.measure for e in p.extraction.effects if e.outcome == outcome and e.ci_low is not None
                    and e.intervention in (None, group)}  # fmt: skip
        rows = [c for c in comparisons(p.extraction) if (c.kind, c.group, c.reference, c.outcome)
                == (kind, group, reference, outcome)]  # fmt: skip
        form = {"OR" if c.dichotomous else continuous.upper() for c in rows if c.dichotomous or c.continuous}
        if (
            reported
            or form
            or any(r.group == group and r.outcome == outcome for r in p.extraction.event_rates)
        ):
            counts.update(reported or form or {"OR"})
    if not counts:
        return "OR"
    return max(counts, key=lambda m: (counts[m], -_MEASURE_ORDER.index(m)))


_audit = read_once(audit)  # a study's flags, asked for every question it answers


def _studies(
    members: list[Paper], q: Question
) -> tuple[list[StudyInput], list[StudyInput], list[tuple[str, str]]]:
    studies, subgroups, left_out = [], [], []
    for paper in sorted(members, key=lambda p: (p.record.year or 0, study_label(p))):
        found, problems = readings(paper, study_label(paper), q)
        flags = _audit(paper.extraction)
        found = [with_flags(r, flags) for r in found]
        chosen, kept_apart = choose(found, paper.extraction.study_design)
        if chosen is not None:
            studies.append(chosen)
        subgroups += kept_apart
        if chosen is None and _touches(paper, q):
            left_out.append((paper.extraction.doc_id, _left_out_reason(paper, q, problems, bool(kept_apart))))
    return studies, subgroups, left_out


def _left_out_reason(paper: Paper, q: Question, problems: list[str], subgroups_only: bool) -> str:
    if problems:
        return "; ".join(dict.fromkeys(problems))
    if subgroups_only:
        return "subgroups only: no reading of the whole study population (its subgroups are shown apart)"
    reason = unpaired_reason(paper.extraction, q.group, q.outcome)
    return reason or f"reports no {q.measure} with an interval or per-arm counts"


def _stratum(study: StudyInput, by: str) -> str:
    if by == "design":
        return "RCT" if study.design == "rct" else "non-randomised"
    n = study.rif_min_failed_transfers
    return "RIF definition not stated" if n is None else f"RIF: ≥{min(n, 5)} failed transfers"


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


def _published(paper: Paper, q: Question) -> list[PublishedSynthesis]:
    x = paper.extraction
    if q.kind == "treatment" and q.group not in x.concepts()["intervention"]:
        return []
    named = (None, q.group) if q.kind == "treatment" else (q.group,)
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
        if e.outcome == q.outcome and e.intervention in named and e.subgroup is None
    ]


# --- rows of a table ----------------------------------------------------------------------

SYNTHESIS_COLUMNS = [
    "kind", "intervention", "comparator", "outcome", "population", "design", "measure", "method", "stratum",
    "result", "k", "estimate", "ci_low",
    "ci_high", "pi_low", "pi_high", "tau2", "i2", "q", "q_p", "fixed_estimate", "fixed_ci_low",
    "fixed_ci_high", "subgroup_difference_p", "studies", "flags", "warnings",
]  # fmt: skip


def synthesis_rows(analyses: Iterable[Analysis]) -> list[dict[str, Any]]:
    """One row per analysis (stratum "all studies") and per stratum; `result` says "1 study"
    (its own estimate and interval) or "pooled"."""
    rows = []
    for a in analyses:
        parts = [("all studies", a.studies, a.pooled, a.fixed)] if a.pooled else []
        parts += [(s.name, s.studies, s.pooled, s.fixed) for s in a.strata]
        test = a.subgroup_test.p if a.subgroup_test else None
        for name, studies, pooled, fixed in parts:
            rows.append({
                "kind": a.kind, "intervention": a.intervention, "comparator": a.comparator,
                "outcome": a.outcome, "population": a.population, "design": FAMILIES[a.design],
                "measure": a.measure, "method": a.method, "stratum": name,
                "result": "1 study" if pooled.k == 1 else "pooled", "k": pooled.k,
                "estimate": pooled.estimate, "ci_low": pooled.ci_low, "ci_high": pooled.ci_high,
                "pi_low": pooled.pi_low, "pi_high": pooled.pi_high, "tau2": pooled.tau2, "i2": pooled.i2,
                "q": pooled.q, "q_p": pooled.q_p, "fixed_estimate": fixed.estimate,
                "fixed_ci_low": fixed.ci_low, "fixed_ci_high": fixed.ci_high,
                "subgroup_difference_p": test if name == "all studies" else None,
                "studies": "; ".join(s.label for s in studies),
                "flags": "; ".join(f for s in studies for f in s.flags),
                "warnings": "; ".join(a.warnings) if name == "all studies" else "",
            })  # fmt: skip
    return rows


# --- JSON -------------------------------------------------------------------------------


def _analysis_json(a: Analysis) -> dict[str, Any]:
    return {
        "kind": a.kind, "intervention": a.intervention, "comparator": a.comparator, "outcome": a.outcome,
        "population": a.population, "design": a.design, "measure": a.measure, "method": a.method,
        "hartung_knapp": a.hartung_knapp, "result": _result(a), "warnings": list(a.warnings),
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
        "weight": s.weight, "source": s.source, "adjusted": s.adjusted, "design": s.design,
        "subgroup": s.subgroup, "means": [list(m) for m in s.means] if s.means else None,
        "reported": list(s.reported) if s.reported else None,
        "events": list(s.events) if s.events else None, "totals": list(s.totals) if s.totals else None,
        "stratum": s.stratum, "flags": list(s.flags), "choice": s.choice, "sentence": s.sentence,
    }  # fmt: skip


def _result(a: Analysis) -> str:
    """'1 study', 'pooled (k = 3)', or 'subgroups only'."""
    if a.pooled is None:
        return "subgroups only"
    return "1 study" if a.pooled.k == 1 else f"pooled (k = {a.pooled.k})"


def _pooled_json(p: Pooled | None) -> dict[str, Any] | None:
    return None if p is None else asdict(p)


def labels_of(concepts: Mapping[str, Any]) -> dict[str, str]:
    """Concept id -> label, as concepts.tsv writes it."""
    return {cid: c.label for cid, c in concepts.items()}
