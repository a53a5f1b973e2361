"""Trial sequential analysis (TSA): is the evidence of one meta-analysis firm, or how many
more participants would make it so? A meta-analysis is read as an interim analysis on its
way to a required information size (Wetterslev, Thorlund, Brok & Gluud, J Clin Epidemiol
2008;61:64–75; TSA manual, Copenhagen Trial Unit 2017; RTSA, Sørensen et al.).

- Required information size (RIS): see `information_size`, diversity-adjusted with the
  analysis's own D².
- The studies enter in publication order (year, then label); after each the random-effects
  pooled Z (the analysis's estimator) is a point of the Z-curve, at the cumulative number
  of participants.
- Monitoring boundaries: Lan–DeMets O'Brien–Fleming type, two-sided α, at the studies'
  information fractions (see `group_sequential`). A study that adds less than 1 % of the
  RIS is no analysis time and has no boundary (RTSA's `time_tf = 0.01`: "interim analyses
  will not be made with less than 1% increase in information").
- The control risk, unless given, is that of the analysis's control arms (`control_risk`);
  the effect, unless a minimal important one is given, is the pooled estimate, an odds
  ratio turned into a risk ratio at the control risk, RR = OR / (1 − Pc + Pc·OR) (Zhang &
  Yu, JAMA 1998;280:1690).
- Verdict: the Z-curve's first crossing of the boundary is firm evidence of benefit or
  harm (the outcome's direction decides which); entering the futility wedge, or reaching
  the RIS without crossing, says no effect of the size assumed; else not conclusive, with
  the participants still needed. The TSA-adjusted interval is the estimate ± the last
  boundary × its SE (TSA manual).
"""

from __future__ import annotations

import itertools
import math
import textwrap
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rifkb.review.control_risk import pooled_control_risk
from rifkb.review.group_sequential import futility_boundaries, obrien_fleming_boundaries
from rifkb.review.information_size import (
    InformationSize,
    diversity,
    required_information_size,
    required_information_size_continuous,
    risk_ratio,
)
from rifkb.review.meta import Pooled, pool
from rifkb.review.study_inputs import StudyInput
from rifkb.review.synthesis import FAMILIES, Analysis

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "InformationSize", "SequentialAnalysis", "SequentialLook", "diversity", "futility_boundaries",
    "obrien_fleming_boundaries", "required_information_size", "required_information_size_continuous",
    "sequential_analysis", "sequential_figure", "sequential_plot",
]  # fmt: skip
VERDICTS = ("benefit", "harm", "no_effect", "not_conclusive")
MIN_STEP = 0.01  # of the RIS: less is no analysis time (RTSA)
_RATIOS = ("OR", "RR")
_DIFFERENCES = ("MD", "SMD")
GIVEN = "minimal important effect (given)"


@dataclass(frozen=True)
class SequentialLook:
    """The meta-analysis after one more study: its Z and the boundaries there."""

    doc_id: str
    label: str
    year: int | None
    participants: int
    cumulative: int
    fraction: float  # of the RIS
    z: float
    efficacy: float | None  # |Z| ≥ it is firm evidence; None: no analysis time (< 1 % more)
    futility: float | None  # |Z| < it: no effect of the size assumed; None: wedge not open

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SequentialAnalysis:
    analysis: str  # the analysis's name, "ivig_live_birth_rct"
    intervention: str
    outcome: str
    design: str
    measure: str
    method: str
    harmful: bool
    futility: bool
    information: InformationSize | None
    looks: tuple[SequentialLook, ...]
    accrued: int
    verdict: str | None  # one of VERDICTS; None with why_not
    verdict_text: str
    more_needed: int | None
    crossed_at: float | None  # the fraction of the RIS where the verdict was reached
    estimate: float | None  # the pooled estimate, reported scale
    adjusted_ci: tuple[float, float] | None  # TSA-adjusted interval, reported scale
    why_not: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            **{k: v for k, v in asdict(self).items() if k not in ("information", "looks", "adjusted_ci")},
            "information": self.information.to_json() if self.information else None,
            "looks": [look.to_json() for look in self.looks],
            "adjusted_ci": list(self.adjusted_ci) if self.adjusted_ci else None,
        }


class _NotComputable(Exception):
    """Why no TSA can be computed: carried to the record's `why_not`."""


def sequential_analysis(
    analysis: Analysis, *, harmful: bool = False, rrr: float | None = None, beta: float = 0.20,
    futility: bool = False, control_risk: float | None = None, alpha: float = 0.05,
    difference: float | None = None,
) -> SequentialAnalysis:  # fmt: skip
    """The TSA of one treatment analysis of a dichotomous outcome (odds or risk ratios) or
    a continuous one (mean differences, SMD); for any other, the record with `why_not`.
    `rrr`: a minimal important relative change in the direction of benefit (a decrease for
    a harmful outcome such as miscarriage, an increase for live birth), instead of the
    pooled estimate; `difference`:
    a minimal relevant mean difference (or SMD) for a continuous outcome."""
    record = _empty(analysis, harmful, futility)
    try:
        _check_analysis(analysis, control_risk)
        studies = sorted(analysis.studies, key=lambda s: (s.year is None, s.year or 0, s.label))
        ris = _information(analysis, control_risk, rrr, harmful, alpha, beta, difference)
    except _NotComputable as why:
        return replace(record, why_not=str(why), verdict_text=f"No trial sequential analysis: {why}.")
    looks = _looks(studies, analysis.method, ris, alpha, beta, futility)
    pooled = pool([s.yi for s in studies], [s.sei for s in studies], analysis.method).random
    done = replace(record, information=ris, looks=looks, accrued=looks[-1].cumulative)
    return _concluded(done, pooled, harmful)


def _empty(a: Analysis, harmful: bool, futility: bool) -> SequentialAnalysis:
    return SequentialAnalysis(
        analysis=a.name, intervention=a.intervention, outcome=a.outcome, design=a.design, measure=a.measure,
        method=a.method, harmful=harmful, futility=futility, information=None, looks=(), accrued=0,
        verdict=None, verdict_text="", more_needed=None, crossed_at=None, estimate=None, adjusted_ci=None,
    )  # fmt: skip


def _check_analysis(a: Analysis, control_risk: float | None) -> None:
    if a.kind != "treatment":
        raise _NotComputable("an association (an exposure against its reference group) sizes no trial")
    if a.measure not in (*_RATIOS, *_DIFFERENCES):
        raise _NotComputable(f"it needs odds or risk ratios, or a mean difference, not {a.measure}")
    if not a.studies or a.pooled is None:
        raise _NotComputable("no study to analyse")
    unsized = [s.label for s in a.studies if not s.participants]
    if unsized:
        raise _NotComputable(f"{', '.join(unsized)} gives no number of participants")
    if a.measure in _RATIOS and control_risk is None and pooled_control_risk(a.studies) is None:
        raise _NotComputable("no control arm gives counts, so the control risk must be given")


def _information(a: Analysis, given_risk: float | None, rrr: float | None, harmful: bool,
                 alpha: float, beta: float, difference: float | None = None) -> InformationSize:  # fmt: skip
    if a.measure in _DIFFERENCES:
        return _continuous_information(a, difference, alpha, beta)
    found = pooled_control_risk(a.studies) if given_risk is None else None
    pc, source = (given_risk, "given") if found is None else (found.risk, found.source)
    if rrr is not None:
        pe, effect = pc * (1 - rrr if harmful else 1 + rrr), GIVEN
    else:
        rr = risk_ratio(a.measure, a.pooled.estimate, pc)
        pe = pc * rr
        effect = f"pooled estimate ({a.measure} {a.pooled.estimate:.2f}; RR {rr:.2f} at the control risk)"
    if not (0 < pc < 1 and 0 < pe < 1) or pe == pc:
        raise _NotComputable(f"a control risk of {pc:.3f} and an intervention risk of {pe:.3f} size no trial")
    d2 = diversity(a.pooled, a.fixed) if a.fixed else 0.0
    n = required_information_size(pc, 1 - pe / pc, alpha, beta, d2)
    return InformationSize(n, n * (1 - d2), pc, source, pe, 1 - pe / pc, effect, alpha, beta, d2)


def _continuous_information(a: Analysis, given: float | None, alpha: float, beta: float) -> InformationSize:
    """N = 4 (z₁₋α/₂ + z₁₋β)² σ² / δ² / (1 − D²) (TSA manual: continuous outcomes): δ the
    pooled difference or a minimal relevant one given, σ² the studies' pooled variance (each
    study's SD² from its arms' SDs, or from its SE and arm sizes: SE² / (1/n₁ + 1/n₂)); for
    a standardised mean difference σ² = 1."""
    delta = given if given is not None else a.pooled.estimate
    variance = 1.0 if a.measure == "SMD" else pooled_variance(a.studies)
    if variance is None or delta == 0:
        raise _NotComputable("no study gives the arm sizes its outcome's variance needs")
    d2 = diversity(a.pooled, a.fixed) if a.fixed else 0.0
    n = required_information_size_continuous(delta, variance, alpha, beta, d2)
    source = GIVEN if given is not None else f"pooled estimate ({a.measure} {a.pooled.estimate:.2f})"
    return InformationSize(n, n * (1 - d2), None, "", None, None, source, alpha, beta, d2, delta, variance)


def pooled_variance(studies: tuple[StudyInput, ...] | list[StudyInput]) -> float | None:
    """The outcome's variance pooled over the studies' arms, weighted by their degrees of
    freedom (Cochrane Handbook 6.5.2.9's pooled SD, squared)."""
    num = den = 0.0
    for s in studies:
        if not s.totals or min(s.totals) < 2:
            return None
        n1, n2 = s.totals
        if s.means:
            (_, sd1), (_, sd2) = s.means
            num += (n1 - 1) * sd1**2 + (n2 - 1) * sd2**2
        else:
            num += (n1 + n2 - 2) * s.sei**2 / (1 / n1 + 1 / n2)
        den += n1 + n2 - 2
    return num / den if den > 0 else None


def analysis_times(fractions: list[float]) -> list[int]:
    """The looks that are analysis times: each adds at least 1 % of the RIS to the last."""
    kept, last = [], 0.0
    for i, t in enumerate(fractions):
        if t - last >= MIN_STEP:
            kept.append(i)
            last = t
    return kept


def _looks(studies: list[StudyInput], method: str, ris: InformationSize, alpha: float, beta: float,
           futility: bool) -> tuple[SequentialLook, ...]:  # fmt: skip
    cumulative = list(itertools.accumulate(s.participants for s in studies))
    fractions = [n / ris.participants for n in cumulative]
    times = analysis_times(fractions)
    t = [fractions[i] for i in times]
    efficacy = obrien_fleming_boundaries(t, alpha) if t else []
    wedge = futility_boundaries(t, alpha, beta, efficacy) if t and futility else [None] * len(t)
    at = {i: (efficacy[j], wedge[j]) for j, i in enumerate(times)}
    looks = []
    for k, s in enumerate(studies):
        z = pool([x.yi for x in studies[: k + 1]], [x.sei for x in studies[: k + 1]], method).random.z
        c, b = at.get(k, (None, None))
        looks.append(SequentialLook(s.doc_id, s.label, s.year, s.participants, cumulative[k], fractions[k],
                                    z, c, b))  # fmt: skip
    return tuple(looks)


def _concluded(s: SequentialAnalysis, pooled: Pooled, harmful: bool) -> SequentialAnalysis:
    """The verdict, its sentence and the TSA-adjusted interval (estimate ± last boundary × SE)."""
    ris = s.information
    verdict, at, how = _verdict(s.looks, s.accrued >= ris.participants, harmful)
    more = ris.required - s.accrued if verdict == "not_conclusive" else None
    last = next((look.efficacy for look in reversed(s.looks) if look.efficacy is not None), None)
    adjusted = None
    back = math.exp if s.measure in _RATIOS else float
    if last is not None:
        adjusted = (back(pooled.yi - last * pooled.sei), back(pooled.yi + last * pooled.sei))
    crossing = next((look.cumulative for look in s.looks if look.fraction == at), s.accrued)
    text = _sentence(verdict, how, at, ris.required, crossing if at is not None else s.accrued, more)
    return replace(s, verdict=verdict, crossed_at=at, more_needed=more, verdict_text=text,
                   estimate=back(pooled.yi), adjusted_ci=adjusted)  # fmt: skip


def _verdict(
    looks: tuple[SequentialLook, ...], reached: bool, harmful: bool
) -> tuple[str, float | None, str]:
    """(verdict, fraction where it was reached, how): the first crossing of the efficacy
    boundary wins, since the futility wedge is non-binding."""
    for look in looks:
        if look.efficacy is not None and abs(look.z) >= look.efficacy:
            return ("benefit" if (look.z > 0) != harmful else "harm"), look.fraction, "boundary"
    for look in looks:
        if look.futility is not None and look.fraction < 1 and abs(look.z) < look.futility:
            return "no_effect", look.fraction, "futility"
    if reached:
        return "no_effect", None, "ris"
    return "not_conclusive", None, ""


def _percent(fraction: float) -> str:
    return "<1%" if fraction < 0.005 else f"{100 * fraction:.0f}%"


def _sentence(verdict: str, how: str, at: float | None, required: int, accrued: int, more: int | None) -> str:
    """One sentence a reader can act on; `accrued` is the participants where it was reached."""
    if verdict in ("benefit", "harm") and at >= 1:
        return (f"Firm evidence of {verdict}: the Z-curve crosses the O'Brien–Fleming boundary at "
                f"{accrued:,} participants, beyond the required {required:,}.")  # fmt: skip
    if verdict in ("benefit", "harm"):
        return (f"Firm evidence of {verdict}: the Z-curve crosses the O'Brien–Fleming boundary at "
                f"{_percent(at)} of the required {required:,} participants.")  # fmt: skip
    if how == "futility":
        return (f"No effect of the size assumed: the Z-curve enters the futility wedge at {_percent(at)} "
                f"of the required {required:,} participants.")  # fmt: skip
    if verdict == "no_effect":
        return (f"No effect of the size assumed: {accrued:,} participants reach the required {required:,} "
                "and the Z-curve does not cross the O'Brien–Fleming boundary.")  # fmt: skip
    return (f"Not conclusive: {accrued:,} of {required:,} required participants "
            f"({_percent(accrued / required)}); about {more:,} more needed.")  # fmt: skip


# --- the figure ------------------------------------------------------------------------

_FUTURE = 10  # looks drawn ahead, evenly to the RIS: the boundary as the next analyses meet it
_CLIP = 8.0  # |Z| drawn; the earliest boundaries run far above it


def sequential_plot(
    s: SequentialAnalysis, directory: Path, labels: Mapping[str, str] | None = None
) -> list[Path]:  # noqa: E501
    """tsa_<analysis name>.png and .svg."""
    from rifkb.review.drawing import save_figure

    return save_figure(sequential_figure(s, labels), directory / f"tsa_{s.analysis}")


def sequential_figure(s: SequentialAnalysis, labels: Mapping[str, str] | None = None) -> Figure:
    """The Z-curve against the cumulative participants, with the O'Brien–Fleming boundaries
    (red), the futility wedge when computed, the conventional ±1.96 (dashed) and the RIS."""
    import matplotlib.pyplot as plt

    from rifkb.review import drawing  # noqa: F401  (Agg and deterministic SVG settings)

    name = lambda c: (labels or {}).get(c, c.replace("_", " "))  # noqa: E731
    fig, ax = plt.subplots(figsize=(9, 5.6))
    fig.subplots_adjust(bottom=0.22, top=0.9)
    title = f"{name(s.intervention)} versus control, {name(s.outcome)} ({FAMILIES.get(s.design, s.design)})"
    fig.suptitle(f"Trial sequential analysis: {title}", x=0.02, ha="left", fontsize=11, weight="bold")
    if s.information is None:
        ax.set_axis_off()
    else:
        _draw(ax, s)
    fig.text(0.02, 0.04, textwrap.fill(s.verdict_text, 130), fontsize=9, va="bottom")
    return fig


def _draw(ax, s: SequentialAnalysis) -> None:  # noqa: ANN001
    ris = s.information.participants
    xs, efficacy, wedge = _boundary_curve(s)
    for sign in (1, -1):
        ax.plot(xs, [sign * min(c, _CLIP) for c in efficacy], color="tab:red", lw=1.6,
                label="O'Brien–Fleming boundary" if sign == 1 else None)  # fmt: skip
        ax.axhline(sign * 1.96, color="tab:green", ls="--", lw=1, label="Z = ±1.96" if sign == 1 else None)
        if s.futility:
            pts = [(x, sign * b) for x, b in zip(xs, wedge, strict=True) if b is not None]
            if pts:
                ax.plot(*zip(*pts, strict=True), color="tab:red", ls=":", lw=1.4,
                        label="futility wedge" if sign == 1 else None)  # fmt: skip
    ax.axvline(ris, color="0.3", lw=1)
    ax.annotate(f"RIS = {s.information.required:,}", (ris, _CLIP - 0.4), ha="right", fontsize=8,
                xytext=(-3, 0), textcoords="offset points")  # fmt: skip
    cumulative = [0] + [look.cumulative for look in s.looks]
    ax.plot(cumulative, [0.0] + [look.z for look in s.looks], color="tab:blue", marker="o", lw=1.8,
            markevery=list(range(1, len(cumulative))), label="Z-curve")  # fmt: skip
    for i, look in enumerate(s.looks):  # labels alternate above and below: small studies crowd
        ax.annotate(look.label, (look.cumulative, max(min(look.z, _CLIP), -_CLIP)), fontsize=7,
                    xytext=(3, 5 if i % 2 == 0 else -11), textcoords="offset points")  # fmt: skip
    ax.set_xlim(0, max(ris, s.accrued) * 1.1)
    ax.set_ylim(-_CLIP, _CLIP)
    ax.set_xlabel("Cumulative number of participants")
    ax.set_ylabel("Cumulative Z-score")
    ax.legend(loc="lower right", fontsize=8, frameon=False)


def _boundary_curve(s: SequentialAnalysis) -> tuple[list[float], list[float], list[float | None]]:
    """The boundaries at the analysis times, then at looks every tenth of the way to the RIS."""
    ris, info = s.information.participants, s.information
    looks = [look for look in s.looks if look.efficacy is not None]
    t = [look.fraction for look in looks]
    last = t[-1] if t else 0.0
    ahead = [last + (1 - last) * (i + 1) / _FUTURE for i in range(_FUTURE - 1)] + [1.0] if last < 1 else []
    ahead = [x for x in ahead if x - last >= MIN_STEP]
    fractions = t + ahead
    if not fractions:
        return [], [], []
    efficacy = obrien_fleming_boundaries(fractions, info.alpha)
    wedge = futility_boundaries(fractions, info.alpha, info.beta, efficacy) if s.futility else []
    return [f * ris for f in fractions], efficacy, wedge or [None] * len(fractions)
