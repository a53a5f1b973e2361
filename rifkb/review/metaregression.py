"""Who benefits (issue 19): random-effects meta-regression of an analysis's effect (log OR,
log RR, or MD) on one study characteristic, as metafor's `rma(yi, sei, mods = ~ x)` fits it.

- The model: yᵢ = β₀ + β₁xᵢ + uᵢ + εᵢ, uᵢ ~ N(0, τ²), εᵢ ~ N(0, vᵢ), fitted by weighted least
  squares with weights 1 / (vᵢ + τ²); τ² residual by REML (Fisher scoring, as metafor's
  `rma.uni`) or DerSimonian–Laird's (QE − (k − p)) / tr(P) truncated at 0 (Viechtbauer 2010,
  J Stat Softw 36(3), section 3.2; Raudenbush 2009). Wald z tests and intervals (metafor's
  default `test = "z"`); QM the test of the moderator, QE of residual heterogeneity
  (inverse-variance weights, df k − 2); I² residual τ² / (τ² + (k − p) / tr(P)); R² the
  proportional reduction of τ² against the model without the moderator, 0 when that τ² is 0
  (metafor's `R2`, Raudenbush 2009).
- Moderators: the minimum failed transfers of the RIF definition, year of publication,
  design (randomised 1, not 0: meaningful in a combined-designs analysis only), and the
  regimen of the analysis's intervention in g/kg (`regimens`).
- Fitted from 4 points with the moderator known, although the Cochrane Handbook (10.11.4)
  advises that meta-regression "should generally not be considered when there are fewer
  than ten studies": below ten the record says it is exploratory. Across studies it is an
  observational association, open to confounding by other study characteristics
  (Handbook 10.11.4; Thompson & Higgins 2002, Stat Med 21:1559).
- A study's own subgroups defined by failed transfers (Peero 2024's "≥5 failed transfers")
  enter the RIF-definition regression as points of their own, with a caveat.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from rifkb.records import DIFFERENCE_MEASURES
from rifkb.review.regimens import BODY_WEIGHT_KG, regimens
from rifkb.review.study_inputs import StudyInput
from rifkb.review.synthesis import Analysis

MODERATORS = ("rif_min_failed_transfers", "year", "design", "dose_g_per_kg")
METHODS = ("reml", "dl")
MIN_POINTS = 4  # fewer leave too few residual degrees of freedom to say anything
ADVISED_POINTS = 10  # Cochrane Handbook 10.11.4
_Z95 = float(stats.norm.ppf(0.975))
SUBGROUP_CAVEAT = ("within-study subgroups enter as points of their own: their comparison is within a study, "
                   "not between studies (Cochrane Handbook 10.11.2)")  # fmt: skip
OBSERVATIONAL_CAVEAT = ("an association across studies, not a causal effect: other study characteristics may "
                        "confound it (Cochrane Handbook 10.11.4; Thompson & Higgins 2002)")  # fmt: skip


@dataclass(frozen=True)
class Coefficient:
    """One regression coefficient with its Wald z test and 95 % interval."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p: float


@dataclass(frozen=True)
class Fit:
    """The numbers of one mixed-effects meta-regression (`fit`)."""

    intercept: Coefficient
    slope: Coefficient
    covariance: float  # of intercept and slope: the fitted line's interval needs it
    tau2: float  # residual
    tau2_without: float  # of the model without the moderator, the same estimator
    i2: float  # residual, a fraction
    r2: float  # the fraction of τ² the moderator accounts for (metafor's R2 / 100)
    qm: float
    qm_p: float
    qe: float
    qe_df: int
    qe_p: float
    weights: tuple[float, ...]  # 1 / (vᵢ + τ²), in the points' order


@dataclass(frozen=True)
class Point:
    """One study (or a study's own subgroup) as the regression sees it."""

    label: str
    doc_id: str
    x: float
    yi: float
    sei: float
    subgroup: str | None = None  # set for a study's own subgroup reading


@dataclass(frozen=True)
class MetaRegression:
    analysis: str  # the analysis's name: 'ivig_live_birth_rct'
    intervention: str
    outcome: str
    moderator: str
    method: str
    measure: str
    k: int  # points with the moderator known
    points: tuple[Point, ...]
    missing: tuple[str, ...]  # labels of the readings left out: moderator not known
    caveats: tuple[str, ...]
    fit: Fit | None  # None when `why_not` says why
    why_not: str | None = None
    body_weight_kg: float = BODY_WEIGHT_KG

    @property
    def ratio(self) -> bool:
        return self.measure not in DIFFERENCE_MEASURES

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"caveats": list(self.caveats), "missing": list(self.missing),
                               "points": [asdict(p) for p in self.points]}  # fmt: skip


# --- the numbers -------------------------------------------------------------------------------


def fit(yi: Sequence[float], sei: Sequence[float], x: Sequence[float], method: str = "reml") -> Fit:
    """Mixed-effects meta-regression of yi on one moderator x (metafor's
    `rma(yi, sei = sei, mods = ~ x, method = "REML" | "DL")`)."""
    if method not in METHODS:
        raise ValueError(f"method {method!r}: one of {', '.join(METHODS)}")
    y, v = np.asarray(yi, float), np.asarray(sei, float) ** 2
    X = np.column_stack([np.ones(len(y)), np.asarray(x, float)])
    if len(y) <= X.shape[1] or np.ptp(X[:, 1]) == 0:
        raise ValueError("meta-regression needs more points than coefficients, and a moderator that varies")
    tau2, tau2_without = _tau2(y, v, X, method), _tau2(y, v, X[:, :1], method)
    w = 1 / (v + tau2)
    beta, vb = _wls(y, w, X)
    qe, tr_p = _residual_q(y, v, X)
    df = len(y) - X.shape[1]
    qm = float(beta[1] ** 2 / vb[1, 1])
    return Fit(
        intercept=_coefficient(beta[0], vb[0, 0]), slope=_coefficient(beta[1], vb[1, 1]),
        covariance=float(vb[0, 1]), tau2=tau2, tau2_without=tau2_without,
        i2=tau2 / (df / tr_p + tau2) if tau2 > 0 else 0.0,
        r2=max(0.0, (tau2_without - tau2) / tau2_without) if tau2_without > 0 else 0.0,
        qm=qm, qm_p=float(stats.chi2.sf(qm, 1)), qe=qe, qe_df=df, qe_p=float(stats.chi2.sf(qe, df)),
        weights=tuple(float(a) for a in w),
    )  # fmt: skip


def _coefficient(estimate: float, variance: float) -> Coefficient:
    se = math.sqrt(variance)
    z = float(estimate) / se
    return Coefficient(float(estimate), se, float(estimate) - _Z95 * se, float(estimate) + _Z95 * se, z,
                       float(2 * stats.norm.sf(abs(z))))  # fmt: skip


def _wls(y: np.ndarray, w: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """β = (XᵀWX)⁻¹XᵀWy and its covariance (XᵀWX)⁻¹."""
    vb = np.linalg.inv((X.T * w) @ X)
    return vb @ (X.T * w) @ y, vb


def _projection(w: np.ndarray, X: np.ndarray) -> np.ndarray:
    """P = W − WX(XᵀWX)⁻¹XᵀW: the residual-maker whose quadratic form is the weighted RSS."""
    wx = X * w[:, None]
    return np.diag(w) - wx @ np.linalg.inv(X.T @ wx) @ wx.T


def _residual_q(y: np.ndarray, v: np.ndarray, X: np.ndarray) -> tuple[float, float]:
    """QE (inverse-variance weights, as metafor's test of residual heterogeneity) and tr(P)."""
    p = _projection(1 / v, X)
    return max(0.0, float(y @ p @ y)), float(np.trace(p))


def _tau2(y: np.ndarray, v: np.ndarray, X: np.ndarray, method: str, steps: int = 1000) -> float:
    """DL: (QE − (k − p)) / tr(P) truncated at 0. REML: Fisher scoring from the DL value,
    τ² += (yᵀPPy − tr P) / tr(PP), kept at 0 or above (metafor's rma.uni; it starts from
    the Hedges estimate, which reaches the same maximum)."""
    qe, tr_p = _residual_q(y, v, X)
    tau2 = max(0.0, (qe - (len(y) - X.shape[1])) / tr_p)
    if method == "dl":
        return tau2
    for _ in range(steps):
        p = _projection(1 / (v + tau2), X)
        pp = p @ p
        new = max(0.0, tau2 + float((y @ pp @ y - np.trace(p)) / np.trace(pp)))
        if abs(new - tau2) < 1e-12:
            return new
        tau2 = new
    return tau2


# --- the record --------------------------------------------------------------------------------


def meta_regressions(analysis: Analysis, *, body_weight_kg: float = BODY_WEIGHT_KG) -> list[MetaRegression]:
    """Each moderator in MODERATORS' order; design only for a combined-designs analysis."""
    wanted = [m for m in MODERATORS if m != "design" or analysis.design == "all_designs"]
    return [meta_regression(analysis, m, body_weight_kg=body_weight_kg) for m in wanted]


def meta_regression(analysis: Analysis, moderator: str, *, method: str = "reml",
                    body_weight_kg: float = BODY_WEIGHT_KG) -> MetaRegression:  # fmt: skip
    """The analysis's effect regressed on one moderator, or `why_not` when it cannot be."""
    if moderator not in MODERATORS or method not in METHODS:
        raise ValueError(f"moderator {moderator!r} (one of {', '.join(MODERATORS)}) or method {method!r} "
                         f"(one of {', '.join(METHODS)}) unknown")  # fmt: skip
    points, missing = [], []
    for s in _readings(analysis, moderator):
        x = moderator_value(s, moderator, analysis.intervention, body_weight_kg)
        if x is None:
            missing.append(_label(s))
        else:
            points.append(
                Point(_label(s), s.doc_id, x, s.yi, s.sei, s.subgroup if s.rif_from_subgroup else None)
            )
    record = MetaRegression(analysis.name, analysis.intervention, analysis.outcome, moderator, method,
                            analysis.measure, len(points), tuple(points), tuple(missing), (), None, None,
                            body_weight_kg)  # fmt: skip
    record = replace(record, caveats=_caveats(record, analysis))
    why = _why_not(record)
    if why:
        return replace(record, why_not=why)
    return replace(record, fit=fit([p.yi for p in points], [p.sei for p in points], [p.x for p in points],
                                   method))  # fmt: skip


def moderator_value(s: StudyInput, moderator: str, intervention: str,
                    body_weight_kg: float = BODY_WEIGHT_KG) -> float | None:  # fmt: skip
    """A reading's value of the moderator, None when the study does not give it."""
    if moderator == "rif_min_failed_transfers":
        return None if s.rif_min_failed_transfers is None else float(s.rif_min_failed_transfers)
    if moderator == "year":
        return None if s.year is None else float(s.year)
    if moderator == "design":
        return None if s.design is None else float(s.design == "rct")
    found = regimens(s.doses, intervention)  # the first regimen the text gives
    return found[0].g_per_kg(body_weight_kg) if found else None


def _readings(analysis: Analysis, moderator: str) -> list[StudyInput]:
    """The analysis's studies and, for the RIF definition, the subgroup readings defined by
    failed transfers that its strata hold (each once). For the other moderators a subgroup
    shares its study's value and would only count its patients twice."""
    found = list(analysis.studies)
    if moderator != "rif_min_failed_transfers":
        return found
    seen = {_key(s) for s in found}
    for stratum in analysis.strata:
        for s in stratum.studies:
            if s.rif_from_subgroup and s.rif_min_failed_transfers is not None and _key(s) not in seen:
                seen.add(_key(s))
                found.append(s)
    return found


def _key(s: StudyInput) -> tuple:
    return s.doc_id, s.subgroup, s.yi, s.sei


def _label(s: StudyInput) -> str:
    return f"{s.label} ({s.subgroup})" if s.rif_from_subgroup and s.subgroup else s.label


def _why_not(m: MetaRegression) -> str | None:
    if m.k < MIN_POINTS:
        return (f"meta-regression needs at least {MIN_POINTS} studies with the moderator known; "
                f"this analysis has {m.k}")  # fmt: skip
    if len({p.x for p in m.points}) < 2:
        return (
            f"the moderator takes one value only ({m.points[0].x:g}) in the {m.k} studies: nothing to regress"
        )
    return None


def _caveats(m: MetaRegression, analysis: Analysis) -> tuple[str, ...]:
    found = []
    if m.missing:
        found.append(f"{len(m.missing)} left out, moderator not known: {', '.join(m.missing)}")
    within = [p for p in m.points if p.subgroup]
    if within:
        twice = sorted({q.label for p in within for q in m.points if q.doc_id == p.doc_id and not q.subgroup})
        found.append(SUBGROUP_CAVEAT + "; " + ", ".join(p.label for p in within)
                     + (f"; so these studies enter twice: {', '.join(twice)}" if twice else ""))  # fmt: skip
    if MIN_POINTS <= m.k < ADVISED_POINTS:
        found.append(
            f"exploratory: {m.k} points, fewer than the ten the Cochrane Handbook (10.11.4) asks for "
            "(meta-regression 'should generally not be considered when there are fewer than ten studies')"
        )
    if m.moderator == "dose_g_per_kg":
        found.append(f"doses given per patient are turned into g/kg at {m.body_weight_kg:g} kg")
    if m.moderator == "design" and analysis.design != "all_designs":
        found.append(f"design is a moderator of a combined-designs analysis; this one is {analysis.design}")
    return tuple(found + [OBSERVATIONAL_CAVEAT])


# --- the bubble plot ---------------------------------------------------------------------------

_AXIS_LABELS = {
    "rif_min_failed_transfers": "Minimum failed transfers of the RIF definition",
    "year": "Year of publication",
    "design": "Design (0 = not randomised, 1 = randomised)",
    "dose_g_per_kg": "Regimen, g/kg (total of the first regimen read)",
}

_PER = {"rif_min_failed_transfers": "per failed transfer", "year": "per year",
        "design": "randomised against not", "dose_g_per_kg": "per g/kg"}  # fmt: skip


def bubble_plot(m: MetaRegression, directory: Path, labels: Mapping[str, str] | None = None) -> list[Path]:
    """bubble_<analysis name>_<moderator>.png and .svg."""
    from rifkb.review.drawing import save_figure

    return save_figure(bubble_figure(m, labels), directory / f"bubble_{m.analysis}_{m.moderator}")


def bubble_figure(m: MetaRegression, labels: Mapping[str, str] | None = None) -> Any:
    """Points sized by their random-effects weight, the fitted line with its 95 % interval,
    the effect on the y axis (log for ratios), and the numbers in a caption."""
    import matplotlib.pyplot as plt

    from rifkb.review.forest import estimate_axis

    if m.fit is None:
        raise ValueError(f"no meta-regression to draw for {m.analysis} on {m.moderator}: {m.why_not}")
    back = np.exp if m.ratio else (lambda a: a)
    lines = caption(m)
    height = 4.2 + 0.13 * len(lines)
    fig, ax = plt.subplots(figsize=(6.5, height))
    fig.subplots_adjust(bottom=(0.65 + 0.13 * len(lines)) / height, top=1 - 0.45 / height, right=0.95)
    xs, ys, w = (np.array([getattr(p, f) for p in m.points]) for f in ("x", "yi", "sei"))
    w = np.array(m.fit.weights)
    grid, low, line, high = _band(m.fit, xs)
    ax.fill_between(grid, back(low), back(high), color="#9ecae1", alpha=0.5, linewidth=0)
    ax.plot(grid, back(line), color="#08519c", linewidth=1.2)
    ax.axhline(back(0.0), color="grey", linestyle="--", linewidth=0.8)
    ax.scatter(xs, back(ys), s=20 + 380 * w / w.max(), facecolor="#fdae6b", edgecolor="black", linewidth=0.6,
               alpha=0.8, zorder=3)  # fmt: skip
    right = xs.min() + 0.75 * np.ptp(xs)  # labels of the rightmost points go to their left
    for p in m.points:
        left = p.x > right
        ax.annotate(p.label, (p.x, back(p.yi)), xytext=(-4 if left else 4, 4), textcoords="offset points",
                    fontsize=6, ha="right" if left else "left")  # fmt: skip
    estimate_axis(
        ax, m.ratio, float(back(min(low.min(), ys.min()))), float(back(max(high.max(), ys.max()))), "y"
    )
    ax.set_xlabel(_AXIS_LABELS[m.moderator], fontsize=9)
    ax.set_ylabel(m.measure + (" (log scale)" if m.ratio else ""), fontsize=9)
    ax.tick_params(axis="x", labelsize=8)
    ax.margins(x=0.1)  # room for the labels of the points at either end
    name = lambda concept: (labels or {}).get(concept, concept)  # noqa: E731 - id -> label
    by = _AXIS_LABELS[m.moderator]
    ax.set_title(f"{name(m.intervention)} versus control: {name(m.outcome)}, by {by[0].lower()}{by[1:]}",
                 fontsize=9, loc="left")  # fmt: skip
    fig.text(0.01, 0.1 / height, "\n".join(lines), fontsize=7, ha="left", va="bottom")
    return fig


def _band(f: Fit, xs: np.ndarray) -> tuple[np.ndarray, ...]:
    """The fitted line over the moderator's range and its 95 % interval,
    SE² = var β₀ + 2x cov + x² var β₁."""
    grid = np.linspace(xs.min(), xs.max(), 101)
    line = f.intercept.estimate + f.slope.estimate * grid
    se = np.sqrt(f.intercept.se**2 + 2 * grid * f.covariance + grid**2 * f.slope.se**2)
    return grid, line - _Z95 * se, line, line + _Z95 * se


def caption(m: MetaRegression) -> list[str]:
    """The caption's lines: slope (95 % CI) and p, τ², I², R², QE, and the caveats."""
    f = m.fit
    if f is None:
        return [m.why_not or ""]
    s = f.slope
    per = f" ({m.measure} × {math.exp(s.estimate):.3g} {_PER[m.moderator]})" if m.ratio else ""
    return [
        f"Slope {s.estimate:.3f} (95% CI {s.ci_low:.3f} to {s.ci_high:.3f}){per}, {_p(s.p)}; "
        f"k = {m.k}, {m.method.upper()}",
        f"τ² residual {f.tau2:.3f} (without the moderator {f.tau2_without:.3f}); "
        f"I² residual {100 * f.i2:.0f}%; R² {100 * f.r2:.0f}%; QE({f.qe_df}) = {f.qe:.2f}, {_p(f.qe_p)}",
        *(textwrap.fill(c, 125) for c in m.caveats),
    ]


def _p(p: float) -> str:
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}"
