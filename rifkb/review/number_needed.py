"""The number needed to treat, from a pooled odds or risk ratio at a control risk.

- The point value: the Cochrane Handbook's conversions (15.4.4.2 for a risk ratio,
  NNT = 1 / (ACR × (1 − RR)); 15.4.4.3 for an odds ratio,
  NNT = (1 − ACR(1 − OR)) / ((1 − ACR) ACR (1 − OR))), taken in absolute value. Both are
  1 / |Pe − ACR| with Pe the risk with the intervention (Handbook 14.1.5.1, as
  `certainty.risk_with_intervention` computes it: an RR that would take Pe above 1 is
  held at 1, so a limit gives the smallest NNT possible, 1 / (1 − ACR), not a negative one).
- Benefit or harm: the change in risk counts as benefit when it goes the good way, up for
  an outcome where more is better (live birth), down for a harmful one (miscarriage:
  `harmful=True`); a number needed to treat for one extra benefit is an NNTB, for one
  extra harm an NNTH (Altman, BMJ 1998;317:1309).
- The interval: the conversion applied to the ratio's 95 % limits at the same ACR
  (Handbook 15.4.4; 12.5.4.5 of version 5.1, after Altman 1998; the uncertainty of the
  ACR itself is not carried). When the ratio's interval includes no effect, the NNT's
  runs through infinity, written as Altman writes it: "NNTB 23 (NNTH 11 to ∞ to NNTB 5)".
  An estimate of exactly no effect is "NNTB ∞" (value `math.inf`, null in JSON).
- Display: whole patients, rounded up, limits too (Handbook 5.1, 12.5.4: "by convention
  always rounded up to the next whole number"); the record keeps the unrounded values.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from rifkb.review.certainty import risk_with_intervention

NNTB, NNTH = "NNTB", "NNTH"
INFINITY = "∞"


@dataclass(frozen=True)
class NumberNeeded:
    """An NNTB or NNTH with its interval; limits are patients (unrounded, `math.inf` when
    a limit is no effect), the low limit on the harm side when the interval crosses ∞."""

    measure: str  # "OR" | "RR"
    estimate: float  # the ratio and its interval, as pooled
    ci_low: float
    ci_high: float
    control_risk: float  # the assumed control risk (ACR)
    harmful: bool  # the outcome is a harm (fewer is better)
    risk_difference: float  # Pe − ACR at the estimate: signed, on the outcome's own scale
    kind: str  # "NNTB" | "NNTH"
    value: float
    low_kind: str
    low: float
    high_kind: str
    high: float

    @property
    def crosses_no_effect(self) -> bool:
        """The interval includes no effect: it runs from harm through ∞ to benefit."""
        return self.low_kind != self.high_kind

    @property
    def text(self) -> str:
        """'NNTB 6 (4 to 12)', or Altman's 'NNTB 23 (NNTH 11 to ∞ to NNTB 5)'."""
        if self.crosses_no_effect:
            between = (
                f"{self.low_kind} {whole(self.low)} to {INFINITY} to {self.high_kind} {whole(self.high)}"
            )
        else:
            between = f"{whole(self.low)} to {whole(self.high)}"
        return f"{self.kind} {whole(self.value)} ({between})"

    def to_json(self) -> dict[str, Any]:
        found = {k: _finite(v) for k, v in asdict(self).items()}
        return {**found, "crosses_no_effect": self.crosses_no_effect, "text": self.text}


def whole(patients: float) -> str:
    """Patients rounded up, '∞' for no effect (a hair of float error is not a patient)."""
    return INFINITY if math.isinf(patients) else str(math.ceil(patients - 1e-9))


def _finite(value: Any) -> Any:  # noqa: ANN401
    """JSON has no infinity: an infinite limit is written null."""
    return None if isinstance(value, float) and math.isinf(value) else value


def _benefit(measure: str, ratio: float, control_risk: float, harmful: bool) -> float:
    """The change in risk that the ratio implies, positive when it is benefit."""
    change = risk_with_intervention(measure, ratio, control_risk) - control_risk
    return -change if harmful else change


def _patients(benefit: float) -> float:
    return math.inf if benefit == 0 else 1 / abs(benefit)


def number_needed(measure: str, estimate: float, low: float, high: float, control_risk: float,
                  harmful: bool = False) -> NumberNeeded:  # fmt: skip
    """The NNTB or NNTH of a pooled OR or RR (and its 95 % limits) at a control risk."""
    if measure not in ("OR", "RR"):
        raise ValueError(f"a number needed to treat comes from an OR or an RR, not {measure}")
    if not 0 < control_risk < 1:
        raise ValueError(f"the control risk must lie strictly between 0 and 1, not {control_risk}")
    if not 0 < low <= estimate <= high:
        raise ValueError(f"ratios must be positive and ordered: {low} ≤ {estimate} ≤ {high}")
    point = _benefit(measure, estimate, control_risk, harmful)
    worst, best = sorted(_benefit(measure, r, control_risk, harmful) for r in (low, high))
    if worst > 0:  # benefit throughout: the smallest NNTB first
        limits = (NNTB, 1 / best, NNTB, 1 / worst)
    elif best < 0:  # harm throughout: the smallest NNTH first
        limits = (NNTH, 1 / -worst, NNTH, 1 / -best)
    else:  # through no effect: harm side, ∞, benefit side (Altman 1998)
        limits = (NNTH, _patients(worst), NNTB, _patients(best))
    change = point if not harmful else -point
    return NumberNeeded(measure, estimate, low, high, control_risk, harmful, change,
                        NNTH if point < 0 else NNTB, _patients(point), *limits)  # fmt: skip
