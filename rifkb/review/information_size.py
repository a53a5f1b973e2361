"""The required information size of a meta-analysis: how many participants it needs to
detect an effect, as a trial would (Wetterslev, Thorlund, Brok & Gluud, J Clin Epidemiol
2008;61:64–75; TSA manual, Copenhagen Trial Unit 2017).

- Dichotomous outcomes: N = 4 (z₁₋α/₂ + z₁₋β)² P̄(1 − P̄) / δ² with Pe = Pc (1 − RRR),
  P̄ = (Pc + Pe) / 2 and δ = Pc − Pe (Wetterslev et al. 2008; RTSA's `ris()`
  computes the same N: 2 (z₁₋α/₂ + z₁₋β)² · 2 P̄(1 − P̄) / δ², R/ris.R).
- Continuous outcomes: N = 4 (z₁₋α/₂ + z₁₋β)² σ² / δ².
- Heterogeneity: N / (1 − D²), the diversity D² = (V_R − V_F) / V_R of the random- and
  fixed-effect estimates' variances (Wetterslev, Thorlund, Brok & Gluud, BMC Med Res
  Methodol 2009;9:86).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats

from rifkb.review.meta import Pooled


@dataclass(frozen=True)
class InformationSize:
    """The required information size and what it was computed from."""

    participants: float  # diversity-adjusted RIS, unrounded
    unadjusted: float
    control_risk: float | None  # dichotomous outcomes
    control_risk_source: str
    treatment_risk: float | None
    relative_risk_reduction: float | None  # 1 − Pe / Pc: negative when the effect is an increase
    effect_source: str
    alpha: float
    beta: float
    diversity: float
    difference: float | None = None  # continuous outcomes: the difference sought (MD or SMD)
    variance: float | None = None  # and the outcome's variance (1 for an SMD)

    @property
    def required(self) -> int:
        return math.ceil(self.participants)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "required": self.required}


def diversity(random: Pooled, fixed: Pooled) -> float:
    """D² = (V_R − V_F) / V_R (Wetterslev et al. 2009); 0 for one study."""
    if random.k < 2 or random.sei <= 0:
        return 0.0
    v_r, v_f = random.sei**2, fixed.sei**2
    return max(0.0, (v_r - v_f) / v_r)


def required_information_size(control_risk: float, relative_risk_reduction: float, alpha: float = 0.05,
                              beta: float = 0.20, diversity: float = 0.0) -> float:  # fmt: skip
    """Participants (both arms) to detect the relative risk reduction at the control risk
    with two-sided α and power 1 − β, adjusted for diversity D² (Wetterslev et al. 2008)."""
    pc = control_risk
    pe = pc * (1 - relative_risk_reduction)
    if not (0 < pc < 1 and 0 < pe < 1) or pe == pc:
        raise ValueError(f"control risk {pc} and relative risk reduction {relative_risk_reduction} "
                         "must give two different risks strictly between 0 and 1")  # fmt: skip
    mean = (pc + pe) / 2
    return _n(mean * (1 - mean), pc - pe, alpha, beta, diversity)


def required_information_size_continuous(difference: float, variance: float, alpha: float = 0.05,
                                         beta: float = 0.20, diversity: float = 0.0) -> float:  # fmt: skip
    """N = 4 (z₁₋α/₂ + z₁₋β)² σ² / δ² / (1 − D²) for a mean difference δ, variance σ²."""
    if difference == 0 or variance <= 0:
        raise ValueError(f"difference {difference} must be non-zero and variance {variance} positive")
    return _n(variance, difference, alpha, beta, diversity)


def _n(variance: float, difference: float, alpha: float, beta: float, d2: float) -> float:
    if not 0 <= d2 < 1:
        raise ValueError(f"diversity D² = {d2} must be in [0, 1)")
    z = stats.norm.isf(alpha / 2) + stats.norm.isf(beta)
    return float(4 * z**2 * variance / difference**2 / (1 - d2))


def risk_ratio(measure: str, estimate: float, control_risk: float) -> float:
    """A pooled odds ratio as a risk ratio at the control risk (Zhang & Yu 1998)."""
    if measure == "OR":
        return estimate / (1 - control_risk + control_risk * estimate)
    return estimate
