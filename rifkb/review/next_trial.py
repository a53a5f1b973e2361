"""The next randomised trial, by RIF severity: how many women per arm it needs, for each
stratum of an analysis (all studies, then each RIF definition and subgroup, such as
"RIF: ≥5 failed transfers"), and how far such a trial would take the evidence towards its
required information size (`information_size`).

- The control risk is the stratum's control arms pooled (`control_risk`).
- The effect to detect: the stratum's pooled estimate; the limit of its 95 % interval
  nearer no effect (the conservative one); and an effect the reader gives. A ratio becomes
  a treatment risk at the control risk: p_t = OR·p_c / (1 − p_c + OR·p_c) for an odds
  ratio, RR·p_c for a risk ratio.
- Per-arm n, two-sided α = 0.05, two ways: the normal approximation for two proportions
  as R's `power.prop.test` (strict = FALSE) solves it,
  n = (z₁₋α/₂ √(2 p̄ q̄) + z₁₋β √(p₁q₁ + p₂q₂))² / (p₁ − p₂)² (Fleiss, Levin & Paik 2003,
  ch. 4, without continuity correction); and Cohen's
  arcsine effect size h = 2 asin √p₁ − 2 asin √p₂ as `pwr::pwr.2p.test` solves it, both
  tails counted (Cohen 1988, ch. 6).
- The information view: the stratum's participants now, and with a trial of 80 % power
  (2 × n per arm, normal approximation), as fractions of the RIS for the same control risk,
  effect and the stratum's diversity D².
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from scipy import optimize, stats

from rifkb.review.control_risk import ControlRisk, pooled_control_risk
from rifkb.review.information_size import diversity, required_information_size
from rifkb.review.meta import Pooled
from rifkb.review.study_inputs import StudyInput
from rifkb.review.synthesis import Analysis

__all__ = ["ControlRisk", "PerArm", "Scenario", "TrialSize", "next_trial", "per_arm_n", "pooled_control_risk"]
OVERALL = "All studies"
NO_CONTROL = "no control arm with counts in this stratum"
_Group = tuple[str, Sequence[StudyInput], Pooled | None, Pooled | None, bool]  # name, studies, pooled, fixed
INCLUDES_NO_EFFECT = "the interval includes no effect: no size can be computed from it"


@dataclass(frozen=True)
class PerArm:
    """Women per arm, unrounded: enrol `math.ceil` of them."""

    normal: float  # power.prop.test (strict = FALSE)
    arcsine: float  # pwr.2p.test with Cohen's h

    def to_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "normal_ceil": math.ceil(self.normal),
            "arcsine_ceil": math.ceil(self.arcsine),
        }


@dataclass(frozen=True)
class Scenario:
    """One effect to detect and the trial that would detect it."""

    basis: str  # "pooled" | "conservative" | "given"
    effect: float | None  # on the analysis's measure (OR, RR)
    direction: str | None  # "benefit" | "harm": what the effect would be for women
    treatment_risk: float | None
    power80: PerArm | None
    power90: PerArm | None
    required: int | None  # the RIS for this effect (diversity-adjusted)
    added: int | None  # participants a trial of 80 % power adds (both arms)
    before: float | None  # the stratum's participants as a fraction of the RIS
    after: float | None  # with that trial
    why_not: str | None = None

    def to_json(self) -> dict[str, Any]:
        found = asdict(self)
        found["power80"] = self.power80.to_json() if self.power80 else None
        found["power90"] = self.power90.to_json() if self.power90 else None
        return found


@dataclass(frozen=True)
class TrialSize:
    stratum: str
    subgroup: bool  # a study's own subgroup
    control: ControlRisk | None
    accrued: int  # participants in the stratum's studies
    scenarios: tuple[Scenario, ...]
    why_not: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "stratum": self.stratum, "subgroup": self.subgroup, "accrued": self.accrued,
            "control": self.control.to_json() if self.control else None,
            "scenarios": [s.to_json() for s in self.scenarios], "why_not": self.why_not,
        }  # fmt: skip


def per_arm_n(p_control: float, p_treatment: float, power: float = 0.8, alpha: float = 0.05) -> PerArm:
    """Per-arm sizes of a two-arm trial comparing two proportions (two-sided α)."""
    if not (0 < p_control < 1 and 0 < p_treatment < 1) or p_control == p_treatment:
        raise ValueError(f"two different proportions strictly between 0 and 1: {p_control}, {p_treatment}")
    return PerArm(
        _normal_n(p_control, p_treatment, power, alpha), _arcsine_n(p_control, p_treatment, power, alpha)
    )


def _normal_n(p1: float, p2: float, power: float, alpha: float) -> float:
    """power.prop.test's equation, Φ((√n |p₁ − p₂| − z₁₋α/₂ √(2 p̄ q̄)) / √(p₁q₁ + p₂q₂)) = power,
    solved for n in closed form."""
    z_a, z_b = stats.norm.isf(alpha / 2), stats.norm.ppf(power)
    mean = (p1 + p2) / 2
    root_n = z_a * math.sqrt(2 * mean * (1 - mean)) + z_b * math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))
    return float((root_n / abs(p1 - p2)) ** 2)


def _arcsine_n(p1: float, p2: float, power: float, alpha: float) -> float:
    """pwr.2p.test: Φ̄(z₁₋α/₂ − h√(n/2)) + Φ(−z₁₋α/₂ − h√(n/2)) = power, solved for n."""
    h = abs(2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2)))
    z_a = stats.norm.isf(alpha / 2)

    def short(n: float) -> float:
        shift = h * math.sqrt(n / 2)
        return float(stats.norm.sf(z_a - shift) + stats.norm.cdf(-z_a - shift)) - power

    one_tail = 2 * ((z_a + stats.norm.ppf(power)) / h) ** 2  # counts one tail: enough power
    return float(optimize.brentq(short, 1e-9, one_tail + 1, xtol=1e-12, rtol=1e-14))


def treatment_risk(measure: str, ratio: float, control_risk: float) -> float:
    """The risk with the intervention that a ratio implies at the control risk."""
    if measure == "OR":
        return ratio * control_risk / (1 - control_risk + ratio * control_risk)
    return ratio * control_risk


def next_trial(analysis: Analysis, *, effect: float | None = None, harmful: bool = False) -> list[TrialSize]:
    """One TrialSize for the whole analysis, then one for each of its strata."""
    groups: list[_Group] = [(OVERALL, analysis.studies, analysis.pooled, analysis.fixed, False)]
    groups += [(s.name, s.studies, s.pooled, s.fixed, s.subgroup) for s in analysis.strata]
    why = _why_not(analysis)
    return [_size(group, analysis.measure, effect, harmful, why) for group in groups]


def _why_not(a: Analysis) -> str | None:
    if a.kind != "treatment":
        return "an association (an exposure against its reference group) sizes no trial"
    if a.measure not in ("OR", "RR"):
        return f"per-arm sizes are computed for odds or risk ratios, not {a.measure}"
    return None


def _size(group: _Group, measure: str, effect: float | None, harmful: bool, why: str | None) -> TrialSize:
    name, studies, pooled, fixed, subgroup = group
    accrued = sum(s.participants or 0 for s in studies)
    control = pooled_control_risk(studies) if why is None else None
    if why is None and control is None:
        why = NO_CONTROL
    if why or pooled is None:
        return TrialSize(name, subgroup, control, accrued, (), why or "nothing pooled in this stratum")
    d2 = diversity(pooled, fixed) if fixed else 0.0
    wanted = [("pooled", pooled.estimate), ("conservative", _nearer_no_effect(pooled))]
    wanted += [("given", effect)] if effect is not None else []
    scenarios = tuple(
        _scenario(basis, ratio, measure, control.risk, accrued, d2, harmful) for basis, ratio in wanted
    )
    return TrialSize(name, subgroup, control, accrued, scenarios)


def _nearer_no_effect(pooled: Pooled) -> float | None:
    """The interval's limit nearer 1; None when the interval includes 1."""
    if pooled.ci_low <= 1 <= pooled.ci_high:
        return None
    return pooled.ci_low if pooled.ci_low > 1 else pooled.ci_high


def _scenario(basis: str, ratio: float | None, measure: str, pc: float, accrued: int, d2: float,
              harmful: bool) -> Scenario:  # fmt: skip
    blank = Scenario(basis, ratio, None, None, None, None, None, None, None, None)
    if ratio is None:
        return Scenario(**{**asdict(blank), "why_not": INCLUDES_NO_EFFECT})
    pt = treatment_risk(measure, ratio, pc)
    if not 0 < pt < 1 or pt == pc:
        why = f"{measure} {ratio:.2f} at a control risk of {pc:.3f} gives a risk of {pt:.3f}: no trial"
        return Scenario(**{**asdict(blank), "why_not": why})
    at80, at90 = per_arm_n(pc, pt, 0.8), per_arm_n(pc, pt, 0.9)
    ris = required_information_size(pc, 1 - pt / pc, 0.05, 0.20, d2)
    added = 2 * math.ceil(at80.normal)
    direction = "benefit" if (pt > pc) != harmful else "harm"
    return Scenario(basis, ratio, direction, pt, at80, at90, math.ceil(ris), added, accrued / ris,
                    (accrued + added) / ris)  # fmt: skip
