"""Before the next trial: for each treatment analysis, how conclusive the evidence is
(trial sequential analysis), how many women per arm the next RCT needs in each stratum of
RIF severity, how certain the evidence is (a GRADE summary of findings row), and how the
answer moved as the studies came in (cumulative meta-analysis, small-study effects).

This module puts the parts together (`sequential`, `next_trial`, `certainty`, `living`)
with one set of assumptions: the control risk is the corpus's control arms pooled (the
TSA's and GRADE's alike); the optimal information size GRADE compares participants with
is the size a single trial needs to detect a relative change of 25 % (or `--rrr`) at that
control risk, α 5 %, power 80 %, never the observed effect, which would make a large
chance finding look precise (GRADE Handbook 5.2.4.1; Guyatt et al. 2011, GRADE guidelines
6); and the risk-of-bias domain comes from the reviewers' judgements of the studies,
never from an abstract.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rifkb.corpus.folder import Stewardship
from rifkb.kb.papers import Paper
from rifkb.review.certainty import SoFRow, sof_table_rows, summary_of_findings
from rifkb.review.information_size import required_information_size
from rifkb.review.living import (
    FUNNEL_MIN_STUDIES,
    CumulativeStep,
    SmallStudyEffects,
    cumulative,
    cumulative_plot,
    funnel_plot,
    small_study_effects,
)
from rifkb.review.metaregression import MetaRegression, bubble_plot, meta_regressions
from rifkb.review.next_trial import TrialSize, next_trial, pooled_control_risk
from rifkb.review.regimens import BODY_WEIGHT_KG, Regimen
from rifkb.review.sequential import SequentialAnalysis, sequential_analysis, sequential_plot
from rifkb.review.stewardship import StewardshipRow, paper_regimens, stewardship
from rifkb.review.study_inputs import StudyInput
from rifkb.review.synthesis import Analysis

OIS_CHANGE = 0.25  # GRADE guidelines 6: "a relative risk reduction of 25%" when none is given
NON_RANDOMISED_CAVEAT = ("Non-randomised studies: a trial sequential analysis bounds the play of chance, not "
                         "confounding; it cannot make them evidence of benefit.")  # fmt: skip
POOLED_EFFECT_CAVEAT = (
    "The effect assumed is the pooled estimate itself; early, small meta-analyses "
    "overestimate effects, so --rrr with a minimal important effect is the safer basis."
)


@dataclass(frozen=True)
class Assumptions:
    """What the user may set (`rifkb plan --rrr --beta --futility --effect`)."""

    rrr: float | None = None  # a minimal important relative change, instead of the pooled estimate
    beta: float = 0.20  # 1 − power of the TSA's required information size
    futility: bool = False  # β-spending futility boundaries
    effect: float | None = None  # an effect (on the analysis's measure) the next trial should detect
    difference: float | None = None  # a minimal relevant difference (MD, SMD) for continuous outcomes
    # stewardship (corpus.toml [stewardship], `--regimen`, `--body-weight`)
    regimen: Regimen | None = None  # the regimen grams per patient assume; else the corpus's median
    body_weight_kg: float = BODY_WEIGHT_KG
    price_per_gram: float | None = None
    currency: str | None = None

    def __post_init__(self) -> None:
        if self.beta not in (0.10, 0.20):
            raise ValueError(f"--beta {self.beta}: choose 0.1 or 0.2 (90 % or 80 % power)")
        if self.rrr is not None and not 0 < self.rrr < 1:
            raise ValueError(f"--rrr {self.rrr}: a relative change between 0 and 1 (0.2 is 20 %)")
        if self.effect is not None and self.effect <= 0:
            raise ValueError(f"--effect {self.effect}: a ratio above 0 (an OR or RR)")


@dataclass(frozen=True)
class Plan:
    analysis: Analysis
    sequential: SequentialAnalysis
    trials: tuple[TrialSize, ...]
    summary: SoFRow | None
    summary_why_not: str | None
    cumulative: tuple[CumulativeStep, ...]
    small_study: SmallStudyEffects
    assumptions: Assumptions = field(default_factory=Assumptions)
    stewardship: tuple[StewardshipRow, ...] = ()
    meta_regressions: tuple[MetaRegression, ...] = ()  # who benefits: by RIF severity, year, dose

    def to_json(self) -> dict[str, Any]:
        return {
            "analysis": self.analysis.name, "intervention": self.analysis.intervention,
            "outcome": self.analysis.outcome, "population": self.analysis.population,
            "design": self.analysis.design, "measure": self.analysis.measure,
            "sequential": self.sequential.to_json(),
            "next_trial": [t.to_json() for t in self.trials],
            "summary_of_findings": self.summary.to_json() if self.summary else None,
            "summary_of_findings_why_not": self.summary_why_not,
            "cumulative": [s.to_json() for s in self.cumulative],
            "small_study_effects": self.small_study.to_json(),
            "stewardship": [r.to_json() for r in self.stewardship],
            "meta_regressions": [m.to_json() for m in self.meta_regressions],
        }  # fmt: skip


def plans(analyses: Iterable[Analysis], harms: frozenset[str] = frozenset(),
          assumptions: Assumptions = Assumptions(),
          corpus_regimens: Mapping[str, Sequence[Regimen]] | None = None) -> list[Plan]:  # fmt: skip
    """One plan per treatment analysis with a pooled estimate (an association, RIF versus
    fertile controls, plans no trial). `corpus_regimens`: each intervention's regimens read
    in the whole corpus (`stewardship.paper_regimens`), whose median grams per patient the
    stewardship rows assume unless a regimen is given."""
    regimens = corpus_regimens or {}
    return [_plan(a, a.outcome in harms, assumptions, regimens.get(a.intervention, ())) for a in analyses
            if a.kind == "treatment" and a.pooled is not None]  # fmt: skip


def corpus_plans(analyses: Sequence[Analysis], papers: Sequence[Paper], harms: frozenset[str],
                 settings: Stewardship, **given: Any) -> list[Plan]:  # fmt: skip
    """The plans of a corpus: its [stewardship] settings (body weight, price per gram) and
    its regimens of each intervention, with what the user gives (`rifkb plan --rrr ...`)."""
    corpus = {"body_weight_kg": settings.body_weight_kg, "price_per_gram": settings.price_per_gram,
              "currency": settings.currency}  # fmt: skip
    assume = Assumptions(**(corpus | given))
    regimens = {i: paper_regimens(papers, i) for i in sorted({a.intervention for a in analyses})}
    return plans(analyses, harms, assume, regimens)


def _plan(a: Analysis, harmful: bool, assume: Assumptions, regimens: Sequence[Regimen] = ()) -> Plan:
    control = pooled_control_risk(a.studies)
    s = sequential_analysis(a, harmful=harmful, rrr=assume.rrr, beta=assume.beta, futility=assume.futility,
                            difference=assume.difference)  # fmt: skip
    small = small_study_effects(a)
    ois = optimal_information_size(control.risk if control else None, harmful, assume.rrr)
    try:
        row: SoFRow | None = summary_of_findings(
            a, control_risk=control.risk if control else None,
            control_risk_source=control.source if control else "", optimal_information_size=ois,
            small_study=small, risk_of_bias=risk_of_bias_of(a.studies), harmful=harmful,
        )  # fmt: skip
        why = None
    except ValueError as exc:  # an analysis of subgroups only
        row, why = None, str(exc)
    trials = tuple(next_trial(a, effect=assume.effect, harmful=harmful))
    steward = stewardship(a, harmful=harmful, regimen=assume.regimen, body_weight_kg=assume.body_weight_kg,
                          price_per_gram=assume.price_per_gram, currency=assume.currency,
                          corpus_regimens=regimens)  # fmt: skip
    regressions = tuple(meta_regressions(a, body_weight_kg=assume.body_weight_kg))
    return Plan(a, s, trials, row, why, tuple(cumulative(a)), small, assume, tuple(steward), regressions)


def optimal_information_size(control_risk: float | None, harmful: bool, rrr: float | None) -> float | None:
    """Participants one adequately powered trial needs (α 5 %, power 80 %, no heterogeneity
    adjustment) to detect a relative change of `rrr` (default 25 %) in the direction of
    benefit: a decrease of a harm, an increase of live birth."""
    if control_risk is None:
        return None
    change = rrr if rrr is not None else OIS_CHANGE
    try:
        return required_information_size(control_risk, change if harmful else -change)
    except ValueError:  # a 25 % increase of a control risk above 80 % passes 100 %
        return None


def risk_of_bias_of(studies: Sequence[StudyInput]) -> str | None:
    """GRADE's risk-of-bias domain from the reviewers' judgements of the studies, by their
    weight in the analysis (Guyatt et al. 2011, GRADE guidelines 4: the studies that give
    most of the information decide): "very serious" when studies at high risk carry more
    than half the weight, "serious" when those at high risk or with some concerns do,
    else "not serious"; None (not assessed) while any study is unjudged."""
    if not studies or any(s.risk_of_bias is None for s in studies):
        return None
    total = sum(s.weight for s in studies) or len(studies)
    share = {j: sum(s.weight or 1 for s in studies if s.risk_of_bias == j) / total
             for j in ("high", "some concerns")}  # fmt: skip
    if share["high"] > 0.5:
        return "very serious"
    return "serious" if share["high"] + share["some concerns"] > 0.5 else "not serious"


# --- tables and figures --------------------------------------------------------------------

SEQUENTIAL_COLUMNS = [
    "analysis", "intervention", "outcome", "design", "measure", "studies", "participants",
    "required information size", "control risk", "control risk source", "effect assumed", "diversity (D²)",
    "verdict", "verdict in words", "more needed", "TSA-adjusted 95% CI",
]  # fmt: skip
NEXT_TRIAL_COLUMNS = [
    "analysis", "stratum", "control risk (95% CI)", "control arms", "effect", "basis", "per arm, 80% power",
    "per arm, 90% power", "per arm, 80% power (arcsine)", "information before → after", "why not",
]  # fmt: skip
CUMULATIVE_COLUMNS = ["analysis", "study added", "year", "k", "estimate", "ci_low", "ci_high", "p", "i2"]
STEWARDSHIP_COLUMNS = [
    "analysis", "intervention", "outcome", "stratum", "control risk", "relative effect (95% CI)",
    "NNT (95% CI)",
    "regimen", "grams per patient", "grams per benefit (95% CI)", "cost per benefit (95% CI)", "certainty",
    "notes",
]  # fmt: skip


def plan_tables(found: Sequence[Plan], labels: Mapping[str, str] | None = None) -> dict[str, list[dict]]:
    """The review tables of the plans: summary of findings, sequential analyses, next trial
    sizes, cumulative meta-analyses (rows as dicts, columns in order)."""
    rows = [p.summary for p in found if p.summary is not None]
    return {
        "summary_of_findings": sof_table_rows(rows, labels),
        "sequential": [_sequential_row(p) for p in found],
        "next_trial": [r for p in found for r in _trial_rows(p)],
        "cumulative": [_cumulative_row(p, s) for p in found for s in p.cumulative],
        "stewardship": [_stewardship_row(p, r) for p in found for r in p.stewardship],
        "meta_regression": [_regression_row(p, m) for p in found for m in p.meta_regressions],
    }


META_REGRESSION_COLUMNS = [
    "analysis", "moderator", "k", "slope (95% CI)", "p", "tau2 residual", "R2", "why not", "caveats",
]  # fmt: skip


def _regression_row(p: Plan, m: MetaRegression) -> dict[str, Any]:
    f = m.fit
    slope = f"{f.slope.estimate:.4f} ({f.slope.ci_low:.4f} to {f.slope.ci_high:.4f})" if f else ""
    return {
        "analysis": p.analysis.name, "moderator": m.moderator, "k": m.k, "slope (95% CI)": slope,
        "p": round(f.slope.p, 6) if f else None, "tau2 residual": round(f.tau2, 6) if f else None,
        "R2": round(f.r2, 4) if f else None, "why not": m.why_not or "", "caveats": " ".join(m.caveats),
    }  # fmt: skip


def _stewardship_row(p: Plan, r: StewardshipRow) -> dict[str, Any]:
    """One stratum's NNT, grams and cost per benefit, with the certainty of the estimate
    behind it (GRADE's, or "not graded")."""
    e = r.effect
    effect = f"{p.analysis.measure} {e.estimate:.2f} ({e.ci_low:.2f} to {e.ci_high:.2f})" if e else ""
    notes = "; ".join(n for n in (r.why_not, r.grams_note, r.cost_note) if n)
    return {
        "analysis": p.analysis.name, "intervention": p.analysis.intervention, "outcome": p.analysis.outcome,
        "stratum": r.stratum, "control risk": f"{r.control.risk:.1%}" if r.control else "",
        "relative effect (95% CI)": effect, "NNT (95% CI)": r.nnt.text if r.nnt else "",
        "regimen": f"{r.regimen} ({r.regimen_source})" if r.regimen else "",
        "grams per patient": round(r.grams_per_patient, 1) if r.grams_per_patient is not None else None,
        "grams per benefit (95% CI)": _interval(r.grams, r.grams_low, r.grams_high, "g", r.benefit),
        "cost per benefit (95% CI)": _interval(r.cost, r.cost_low, r.cost_high, r.currency or "", r.benefit),
        "certainty": p.summary.certainty_text() if p.summary else "not graded", "notes": notes,
    }  # fmt: skip


def _interval(value: float | None, low: float | None, high: float | None, unit: str, per: str) -> str:
    """'101 g per extra live birth (69 to 220)'; an interval with no upper bound: '… to no bound'."""
    if value is None:
        return ""
    bounds = (
        f" ({low:,.0f} to {f'{high:,.0f}' if high is not None else 'no bound'})" if low is not None else ""
    )
    return f"{value:,.0f} {unit} per {per}{bounds}".replace("  ", " ")


def _sequential_row(p: Plan) -> dict[str, Any]:
    s, info, a = p.sequential, p.sequential.information, p.analysis
    ci = f"{s.adjusted_ci[0]:.2f} to {s.adjusted_ci[1]:.2f}" if s.adjusted_ci else ""
    return {
        "analysis": a.name, "intervention": a.intervention, "outcome": a.outcome, "design": a.design,
        "measure": a.measure, "studies": len(a.studies), "participants": s.accrued or None,
        "required information size": info.required if info else None,
        "control risk": round(info.control_risk, 4) if info and info.control_risk is not None else None,
        "control risk source": info.control_risk_source if info else "",
        "effect assumed": _effect_assumed(info) if info else "",
        "diversity (D²)": round(info.diversity, 4) if info else None,
        "verdict": s.verdict or "", "verdict in words": s.verdict_text, "more needed": s.more_needed,
        "TSA-adjusted 95% CI": ci,
    }  # fmt: skip


def _effect_assumed(info: Any) -> str:
    if info.relative_risk_reduction is None:  # a continuous outcome
        return f"difference {info.difference:.2f}, variance {info.variance:.2f} ({info.effect_source})"
    change = -info.relative_risk_reduction
    return f"relative {'increase' if change > 0 else 'reduction'} {abs(change):.0%} ({info.effect_source})"


def _trial_rows(p: Plan) -> list[dict[str, Any]]:
    rows = []
    for t in p.trials:
        base = {"analysis": p.analysis.name, "stratum": t.stratum,
                "control risk (95% CI)": _risk_text(t), "control arms": _arms_text(t)}  # fmt: skip
        if t.why_not or not t.scenarios:
            rows.append({**base, "why not": t.why_not or "no scenario"})
            continue
        for sc in t.scenarios:
            rows.append({**base, **_scenario_cells(p, sc)})
    return [{c: r.get(c) for c in NEXT_TRIAL_COLUMNS} for r in rows]


def _scenario_cells(p: Plan, sc: Any) -> dict[str, Any]:
    effect = f"{p.analysis.measure} {sc.effect:.2f}" if sc.effect is not None else ""
    if sc.why_not:
        return {"effect": effect, "basis": sc.basis, "why not": sc.why_not}
    moved = f"{sc.before:.0%} → {sc.after:.0%}" if sc.before is not None and sc.after is not None else ""
    return {
        "effect": effect, "basis": sc.basis,
        "per arm, 80% power": sc.power80.to_json()["normal_ceil"] if sc.power80 else None,
        "per arm, 90% power": sc.power90.to_json()["normal_ceil"] if sc.power90 else None,
        "per arm, 80% power (arcsine)": sc.power80.to_json()["arcsine_ceil"] if sc.power80 else None,
        "information before → after": moved,
    }  # fmt: skip


def _risk_text(t: TrialSize) -> str:
    c = t.control
    return f"{c.risk:.1%} ({c.ci_low:.1%} to {c.ci_high:.1%})" if c else ""


def _arms_text(t: TrialSize) -> str:
    c = t.control
    return f"{c.events}/{c.total} in {c.k} {'study' if c.k == 1 else 'studies'}" if c else ""


def _cumulative_row(p: Plan, s: CumulativeStep) -> dict[str, Any]:
    return {"analysis": p.analysis.name, "study added": s.added, "year": s.year, "k": s.k,
            "estimate": round(s.estimate, 4), "ci_low": round(s.ci_low, 4), "ci_high": round(s.ci_high, 4),
            "p": round(s.p, 6), "i2": round(s.i2, 4)}  # fmt: skip


def plan_figures(found: Sequence[Plan], directory: Path, labels: Mapping[str, str] | None = None,
                 harms: frozenset[str] = frozenset()) -> list[Path]:  # fmt: skip
    """tsa_<analysis>, cumulative_<analysis> and funnel_<analysis> (k ≥ 3), PNG and SVG."""
    written: list[Path] = []
    for p in found:
        if p.sequential.why_not is None:
            written += sequential_plot(p.sequential, directory, labels)
        if len(p.cumulative) >= 2:
            written += cumulative_plot(p.analysis, directory, labels, harms)
        if len(p.analysis.studies) >= FUNNEL_MIN_STUDIES:
            written += funnel_plot(p.analysis, directory, labels)
        written += [
            path
            for m in p.meta_regressions
            if m.fit is not None
            for path in bubble_plot(m, directory, labels)
        ]
    return written


def plan_summary(p: Plan) -> list[str]:
    """The plan in a few sentences, as the report and the terminal say it."""
    lines = [p.sequential.verdict_text]
    info = p.sequential.information
    if info is not None and p.assumptions.rrr is None:
        lines.append(POOLED_EFFECT_CAVEAT)
    if p.analysis.design != "rct" and p.sequential.why_not is None:
        lines.append(NON_RANDOMISED_CAVEAT)
    for t in p.trials:
        lines.append(_trial_sentence(p, t))
    if p.summary is not None:
        lines.append(f"Certainty of the evidence (GRADE): {p.summary.certainty_text()}.")
    lines += [_stewardship_sentence(p, r) for r in p.stewardship if r.nnt is not None]
    lines += [
        _regression_sentence(m) for m in p.meta_regressions if m.moderator == "rif_min_failed_transfers"
    ]
    if p.small_study.why_not:
        lines.append(f"Small-study effects: {p.small_study.why_not}.")
    return lines


def _regression_sentence(m: MetaRegression) -> str:
    """Who benefits, by RIF severity: the slope per failed transfer, or why there is none."""
    if m.fit is None:
        return f"Who benefits (meta-regression on failed transfers): {m.why_not}."
    s = m.fit.slope
    return (
        f"Who benefits (meta-regression on failed transfers, k = {m.k}): slope {s.estimate:.3f} "
        f"(95% CI {s.ci_low:.3f} to {s.ci_high:.3f}), p = {s.p:.3f}; exploratory below 10 studies."
    )


def _stewardship_sentence(p: Plan, r: StewardshipRow) -> str:
    grams = _interval(r.grams, r.grams_low, r.grams_high, "g", r.benefit)
    cost = _interval(r.cost, r.cost_low, r.cost_high, r.currency or "", r.benefit)
    text = f"{r.stratum}: {r.nnt.text} for one {r.benefit}"
    if grams:
        text += f"; {grams} at {r.regimen} ({r.regimen_source})"
    elif r.grams_note:
        text += f"; no grams: {r.grams_note}"
    return text + (f"; {cost}" if cost else "") + "."


def _trial_sentence(p: Plan, t: TrialSize) -> str:
    if t.why_not or t.control is None:
        return f"{t.stratum}: {t.why_not or 'no control arm'}."
    pooled = next((s for s in t.scenarios if s.basis == "pooled"), None)
    risk = f"control risk {t.control.risk:.0%} ({t.control.source})"
    if pooled is None or pooled.why_not or pooled.power80 is None or pooled.power90 is None:
        why = pooled.why_not if pooled and pooled.why_not else "no pooled effect"
        return f"{t.stratum}: {risk}; {why}."
    n80, n90 = pooled.power80.to_json()["normal_ceil"], pooled.power90.to_json()["normal_ceil"]
    return (f"{t.stratum}: {risk}; to detect {p.analysis.measure} {pooled.effect:.2f} a two-arm RCT needs "
            f"{n80:,} women per arm at 80 % power, {n90:,} at 90 %.")  # fmt: skip
