"""The living views of one analysis: how its pooled estimate grew study by study, and
whether small studies pull it one way.

- Cumulative meta-analysis (Lau, Schmid & Chalmers 1995): the studies the analysis pools
  (never a study's subgroup readings, which it keeps apart) added one at a time by year of
  publication, then label; a study whose year is not known comes last. Each step is
  pooled as the analysis is (its τ² estimator and Hartung–Knapp setting), as metafor's
  `cumul(rma(...), order = year)` does.
- Small-study effects: the classic Egger test (Egger et al. 1997), a weighted linear
  regression of the estimate on its standard error with weights 1 / SE² and a
  multiplicative dispersion, the t test of the slope on k − 2 df: metafor's
  `regtest(rma(...), model = "lm", predictor = "sei")`. Only with at least 10 studies:
  below that the test is too weak to tell asymmetry from chance (Cochrane Handbook 13.3.5.4;
  10.4.3.1 in v5.1). For odds ratios the test is known to give false positives (the SE of a
  log OR depends on the OR itself, Handbook 10.4.3.0 in v5.1): read it as a flag, not a verdict.
- A cumulative forest plot and a funnel plot (estimate against its SE, the larger studies
  at the top, pseudo 95 % limits around the fixed-effect estimate), PNG and SVG, the same
  analysis giving the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from scipy import stats

matplotlib.use("Agg")  # files only: never open a window
import matplotlib.pyplot as plt  # noqa: E402

from rifkb.review.drawing import save_figure  # noqa: E402
from rifkb.review.forest import estimate_axis, favours, title_of  # noqa: E402
from rifkb.review.meta import pool  # noqa: E402
from rifkb.review.study_inputs import StudyInput  # noqa: E402
from rifkb.review.synthesis import Analysis  # noqa: E402

EGGER_MIN_STUDIES = 10  # Cochrane Handbook 13.3.5.4: "at least 10 studies"
FUNNEL_MIN_STUDIES = 3
EGGER_TEST = ("Egger's regression test: weighted linear regression of the estimate on its standard error "
              "(weights 1/SE², multiplicative dispersion; metafor regtest, model = \"lm\")")  # fmt: skip
_METHODS = {"dl": "DerSimonian–Laird", "reml": "REML", "pm": "Paule–Mandel"}
_Z95 = 1.959963984540054


@dataclass(frozen=True)
class CumulativeStep:
    """The pooled estimate once `added` (the study of `doc_id`, published in `year`) has
    joined the studies before it: `estimate`, `ci_low`, `ci_high` on the reported scale,
    `yi`, `sei` on the analysis scale (log for ratios)."""

    added: str
    doc_id: str
    year: int | None
    k: int
    estimate: float
    ci_low: float
    ci_high: float
    yi: float
    sei: float
    p: float
    tau2: float
    i2: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SmallStudyEffects:
    """Egger's test of one analysis, or `why_not` when it was not run. `intercept` is
    Egger's intercept, the bias coefficient (in the weighted regression of the estimate on
    its SE, the slope on SE); `limit_estimate` the regression's intercept, the effect the
    line gives a study of SE 0 (analysis scale), with its 95 % interval."""

    k: int
    test: str = EGGER_TEST
    intercept: float | None = None
    intercept_se: float | None = None
    statistic: float | None = None  # t = intercept / intercept_se
    df: int | None = None
    p: float | None = None
    limit_estimate: float | None = None
    limit_ci_low: float | None = None
    limit_ci_high: float | None = None
    why_not: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# --- cumulative meta-analysis --------------------------------------------------------------


def by_year(studies: tuple[StudyInput, ...] | list[StudyInput]) -> list[StudyInput]:
    """Publication order: year, then label; a study with no known year last."""
    return sorted(studies, key=lambda s: (s.year is None, s.year or 0, s.label))


def cumulative(analysis: Analysis) -> list[CumulativeStep]:
    """One step per pooled study, in publication order: the random-effects estimate of it
    and every study before it (`analysis.studies` only: a subgroup reading kept apart
    never votes)."""
    ordered = by_year(analysis.studies)
    steps = []
    for k, study in enumerate(ordered, start=1):
        sofar = ordered[:k]
        p = pool([s.yi for s in sofar], [s.sei for s in sofar], analysis.method, analysis.ratio,
                 analysis.hartung_knapp).random  # fmt: skip
        steps.append(CumulativeStep(study.label, study.doc_id, study.year, k, p.estimate, p.ci_low,
                                    p.ci_high, p.yi, p.sei, p.p, p.tau2, p.i2))  # fmt: skip
    return steps


# --- small-study effects -------------------------------------------------------------------


def small_study_effects(analysis: Analysis) -> SmallStudyEffects:
    """Egger's test (see the module's docstring) on the analysis's pooled studies."""
    k = len(analysis.studies)
    if k < EGGER_MIN_STUDIES:
        why = (f"Egger's test needs at least {EGGER_MIN_STUDIES} studies (Cochrane Handbook 13.3.5.4); "
               f"this analysis has k = {k}")  # fmt: skip
        return SmallStudyEffects(k, why_not=why)
    y = np.array([s.yi for s in analysis.studies])
    se = np.array([s.sei for s in analysis.studies])
    if np.ptp(se) == 0:
        return SmallStudyEffects(k, why_not="the studies' standard errors are all equal: no line to fit")
    return egger(y, se)


def egger(y: np.ndarray, se: np.ndarray) -> SmallStudyEffects:
    """Weighted least squares of y on [1, SE], weights 1 / SE², residual variance
    Σ w e² / (k − 2) scaling the covariance (the "multiplicative dispersion" of
    Sterne & Egger 2005); t tests on k − 2 df."""
    k = len(y)
    x = np.column_stack([np.ones(k), se])
    w = 1 / se**2
    xtwx = x.T @ (w[:, None] * x)
    beta = np.linalg.solve(xtwx, x.T @ (w * y))
    residuals = y - x @ beta
    df = k - 2
    dispersion = float(np.sum(w * residuals**2) / df)
    cov = dispersion * np.linalg.inv(xtwx)
    limit, bias = (float(b) for b in beta)
    limit_se, bias_se = (math.sqrt(float(cov[i, i])) for i in (0, 1))
    if bias_se == 0:
        return SmallStudyEffects(k, why_not="the estimates lie exactly on a line: no residual variance")
    t = bias / bias_se
    crit = float(stats.t.ppf(0.975, df))
    return SmallStudyEffects(
        k=k, intercept=bias, intercept_se=bias_se, statistic=t, df=df, p=float(2 * stats.t.sf(abs(t), df)),
        limit_estimate=limit, limit_ci_low=limit - crit * limit_se, limit_ci_high=limit + crit * limit_se,
    )  # fmt: skip


# --- figures -------------------------------------------------------------------------------


def cumulative_plot(analysis: Analysis, directory: Path, labels: Mapping[str, str] | None = None,
                    harms: frozenset[str] = frozenset()) -> list[Path]:  # fmt: skip
    """cumulative_<analysis name>.png and .svg."""
    figure = cumulative_figure(analysis, cumulative(analysis), labels, harms)
    return save_figure(figure, directory / f"cumulative_{analysis.name}")


def cumulative_figure(analysis: Analysis, steps: list[CumulativeStep],
                      labels: Mapping[str, str] | None = None,
                      harms: frozenset[str] = frozenset()) -> plt.Figure:  # fmt: skip
    """A cumulative forest plot: one row per step ("+ Peero 2024 (k = 3)"), its pooled
    estimate and 95 % CI, the line of no effect; a log axis for ratios."""
    if not steps:
        raise ValueError(f"{analysis.name}: no pooled study, no cumulative meta-analysis to draw")
    name = _namer(labels)
    height = 2.2 + 0.3 * len(steps)
    fig = plt.figure(figsize=(10.0, height))
    bottom, top = 1.25 / height, 1 - 0.8 / height
    text = fig.add_axes((0.01, bottom, 0.5, top - bottom))
    plot = fig.add_axes((0.55, bottom, 0.42, top - bottom), sharey=text)
    _step_table(text, analysis, steps)
    for y, step in enumerate(steps):
        plot.plot([step.ci_low, step.ci_high], [y, y], color="black", lw=0.9)
        plot.plot([step.estimate], [y], marker="D", markersize=5, color="#1f5fa8")
    plot.axvline(1.0 if analysis.ratio else 0.0, color="black", lw=0.8)
    estimate_axis(plot, analysis.ratio, min(s.ci_low for s in steps), max(s.ci_high for s in steps))
    favours(plot, analysis, name, analysis.outcome in harms)
    plot.tick_params(axis="y", left=False, labelleft=False)
    for side in ("left", "right", "top"):
        plot.spines[side].set_visible(False)
    title = f"Cumulative meta-analysis: {title_of(analysis, name)}"
    fig.suptitle(title, x=0.01, ha="left", fontsize=10, weight="bold")
    fig.text(0.01, 0.25 / height, _cumulative_note(analysis), fontsize=7.5, ha="left", va="bottom")
    return fig


def _step_table(ax: plt.Axes, a: Analysis, steps: list[CumulativeStep]) -> None:
    """The text beside the plot: the study each step adds, its estimate [95 % CI] and I²."""
    ax.set_axis_off()
    ax.set_ylim(len(steps) - 0.5, -1.3)
    heads = ((0.0, "Study added (by year)", "left"), (0.86, f"{a.measure} [95% CI]", "right"),
             (1.0, "I²", "right"))  # fmt: skip
    for x, head, align in heads:
        ax.text(x, -1.0, head, fontsize=8, weight="bold", va="bottom", ha=align)
    for y, step in enumerate(steps):
        cells = ((0.0, _step_label(step), "left"),
                 (0.86, f"{step.estimate:.2f} [{step.ci_low:.2f}, {step.ci_high:.2f}]", "right"),
                 (1.0, f"{100 * step.i2:.0f}%", "right"))  # fmt: skip
        for x, cell, align in cells:
            ax.text(x, y, cell, fontsize=8, va="center", ha=align)


def _step_label(step: CumulativeStep) -> str:
    unknown = "; year not known" if step.year is None else ""
    return _clip(f"+ {step.added} (k = {step.k}{unknown})", 60)


def _cumulative_note(a: Analysis) -> str:
    model = _METHODS[a.method] + (", Hartung–Knapp" if a.hartung_knapp else "")
    return (f"Each row pools the studies up to the one added, by year of publication (studies with no "
            f"known year last); random effects ({model}).")  # fmt: skip


def funnel_plot(analysis: Analysis, directory: Path, labels: Mapping[str, str] | None = None) -> list[Path]:
    """funnel_<analysis name>.png and .svg (an analysis of at least 3 studies)."""
    return save_figure(funnel_figure(analysis, labels), directory / f"funnel_{analysis.name}")


def funnel_figure(analysis: Analysis, labels: Mapping[str, str] | None = None) -> plt.Figure:
    """Each study's estimate (a log axis for ratios) against its SE, 0 at the top; the
    fixed-effect estimate θ and the pseudo 95 % limits θ ± 1.96 SE; under it, Egger's test
    or why it was not run (Cochrane Handbook 13.3.5.4)."""
    k = len(analysis.studies)
    if k < FUNNEL_MIN_STUDIES or analysis.fixed is None:
        raise ValueError(f"{analysis.name}: a funnel plot needs at least {FUNNEL_MIN_STUDIES} pooled "
                         f"studies; it has {k}")  # fmt: skip
    back = math.exp if analysis.ratio else float
    theta, top = analysis.fixed.yi, 1.1 * max(s.sei for s in analysis.studies)
    fig, ax = plt.subplots(figsize=(6.5, 5.6))
    fig.subplots_adjust(left=0.12, right=0.96, top=0.88, bottom=0.24)
    se = np.linspace(0.0, top, 50)
    for sign in (-1, 1):
        ax.plot([back(theta + sign * _Z95 * s) for s in se], se, color="grey", lw=0.8, ls="--")
    ax.plot([back(theta), back(theta)], [0, top], color="black", lw=0.8)
    for s in by_year(analysis.studies):
        ax.plot([back(s.yi)], [s.sei], marker="o", markersize=5, color="#1f5fa8", ls="none")
        ax.annotate(_clip(s.label, 24), (back(s.yi), s.sei), xytext=(4, 2), textcoords="offset points",
                    fontsize=6)  # fmt: skip
    ax.set_ylim(top, 0)
    ax.set_ylabel("Standard error")
    ends = [theta - _Z95 * top, theta + _Z95 * top] + [s.yi for s in analysis.studies]
    estimate_axis(ax, analysis.ratio, back(min(ends)), back(max(ends)))
    ax.set_xlabel(f"{analysis.measure} ({'log scale' if analysis.ratio else 'difference'})", fontsize=8)
    name = _namer(labels)
    fig.suptitle(f"Funnel plot: {title_of(analysis, name)}", x=0.02, ha="left", fontsize=9, weight="bold",
                 wrap=True)  # fmt: skip
    fig.text(0.02, 0.03, _funnel_caption(analysis), fontsize=7.5, ha="left", va="bottom", wrap=True)
    return fig


def _funnel_caption(a: Analysis) -> str:
    lines = ["Solid line: fixed-effect estimate; dashed: pseudo 95% confidence limits (estimate ± 1.96 SE)."]
    test = small_study_effects(a)
    if test.why_not:
        lines.append(f"Funnel-plot asymmetry cannot be tested: {test.why_not}.")
    else:
        lines.append(f"Egger's test: intercept {test.intercept:.2f} (SE {test.intercept_se:.2f}), "
                     f"t = {test.statistic:.2f}, df = {test.df}, p = {test.p:.3f}.")  # fmt: skip
    return "\n".join(lines)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _namer(labels: Mapping[str, str] | None):  # noqa: ANN202
    return lambda concept: (labels or {}).get(concept, concept)
