"""A consistency audit of reported statistics, "statcheck for ratios" (after Nuijten et
al. 2016's statcheck, which recomputes p-values from reported test statistics): each
effect estimate and event rate is checked against the other numbers written with it.

- p-value against interval: p recomputed from the 95 % interval (Altman & Bland 2011,
  "How to obtain the P value from a confidence interval": z = estimate / SE with
  SE = (ln high − ln low) / (2 × 1.96) for a ratio) disagrees with the reported p, even
  allowing for the rounding of every number as printed;
- an estimate outside its own interval;
- an interval not symmetric around a ratio on the log scale (around a difference on its
  own scale), beyond rounding and by more than 10 %;
- a percentage that does not match its n/N;
- a crude (unadjusted) OR or RR that does not match the per-arm counts of the same
  outcome given in the abstract;
- a ratio or an interval bound that is zero or negative (a ratio is positive);
- a row of the study's meta-analysis form (`StudyData`) that cannot be: events above the
  total, a total of 0, a negative count, an SD of 0 or below, a percentage over 100; a
  count derived from a percentage that does not give it back; a total that counts
  cycles, embryos or transfers rather than women (a unit-of-analysis problem, Cochrane
  Handbook 6.2).

A flag is a reason to look, not a verdict: exact or profile-likelihood intervals are
asymmetric by nature, and an adjusted model's p may come from another test.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

from rifkb.records import DIFFERENCE_MEASURES, EffectEstimate, EventRate, Extraction, StudyData

_Z95 = 1.959963984540054
_ASYMMETRY = math.log(1.10)  # beyond rounding, a 10 % difference on the log scale
_COUNT_MISMATCH = 0.10  # a crude estimate 10 % away from the one its counts give


@dataclass(frozen=True)
class AuditFlag:
    """One inconsistency in what an abstract reports, with the sentence it is in."""

    doc_id: str
    kind: str  # p_interval | outside_interval | asymmetric_interval | percent_count | crude_counts
    # | impossible_ratio | impossible_count | percent_over_100 | derived_percent | per_cycle
    message: str
    sentence: str
    start: int  # where the estimate or count stands in the text (its evidence span)


def audit(extraction: Extraction) -> tuple[AuditFlag, ...]:
    """Every flag of one extraction, in text order."""
    flags = [flag for e in extraction.effects for flag in audit_estimate(e)]
    flags += [flag for r in extraction.event_rates if (flag := _percent_flag(r))]
    flags += [flag for e in extraction.effects if (flag := _crude_flag(e, extraction.event_rates))]
    flags += [flag for row in extraction.study_data for flag in study_data_flags(row)]
    return tuple(sorted(flags, key=lambda f: (f.start, f.kind)))


def audit_estimate(e: EffectEstimate) -> list[AuditFlag]:
    if e.ci_low is None or e.ci_high is None:
        return []
    ratio = e.measure not in DIFFERENCE_MEASURES
    if ratio and min(e.value, e.ci_low, e.ci_high) <= 0:
        # a ratio is positive: a misread number, and a log-scale check would be meaningless
        return [_flag(e, "impossible_ratio", f"{_written(e)}: a ratio cannot be zero or negative")]
    found = []
    if not e.ci_low <= e.value <= e.ci_high:
        found.append(_flag(e, "outside_interval", f"{_written(e)}: the estimate lies outside its interval"))
    elif _asymmetric(e, ratio):
        found.append(_flag(e, "asymmetric_interval", f"{_written(e)}: the interval is not symmetric "
                           f"around the estimate{' on the log scale' if ratio else ''}"))  # fmt: skip
    p_range = _p_range(e, ratio)
    reported = _reported_p(e.p)
    if p_range and reported and not _overlap(p_range, reported):
        low, high = p_range
        found.append(_flag(e, "p_interval", f"{_written(e)}: the interval gives p between {low:.2g} and "
                           f"{high:.2g}, the abstract says p {e.p}"))  # fmt: skip
    return found


def p_from_interval(value: float, low: float, high: float, ratio: bool) -> float:
    """The two-sided p-value a 95 % interval implies (normal approximation)."""
    if ratio:
        value, low, high = math.log(value), math.log(low), math.log(high)
    se = (high - low) / (2 * _Z95)
    if se <= 0:
        return 0.0 if value else 1.0
    return math.erfc(abs(value / se) / math.sqrt(2))


def _p_range(e: EffectEstimate, ratio: bool) -> tuple[float, float] | None:
    """The p-values the interval allows, each number anywhere within its rounding."""
    boxes = [_rounding(x) for x in (e.value, e.ci_low, e.ci_high)]
    ps = []
    for v, lo, hi in itertools.product(*boxes):
        if lo < hi and (not ratio or min(v, lo, hi) > 0):
            ps.append(p_from_interval(v, lo, hi, ratio))
    return (min(ps), max(ps)) if ps else None


def _asymmetric(e: EffectEstimate, ratio: bool) -> bool:
    """Whether the estimate stands off its interval's centre by more than rounding
    allows and by more than 10 % (of the ratio, or of a difference's half-width). Risk
    differences are left alone: their intervals (Wilson, Newcombe) are asymmetric by
    design."""
    if e.measure == "RD":
        return False
    scale = math.log if ratio else (lambda x: x)
    (v_lo, v_hi), (l_lo, l_hi), (h_lo, h_hi) = (_rounding(x) for x in (e.value, e.ci_low, e.ci_high))
    if ratio and min(v_lo, l_lo, h_lo) <= 0:
        return False
    value = (scale(v_lo), scale(v_hi))
    centre = ((scale(l_lo) + scale(h_lo)) / 2, (scale(l_hi) + scale(h_hi)) / 2)
    gap = max(value[0] - centre[1], centre[0] - value[1], 0.0)
    limit = _ASYMMETRY if ratio else 0.1 * (e.ci_high - e.ci_low) / 2
    return gap > limit


def _reported_p(p: str | None) -> tuple[float, float] | None:
    """The p-values a reported 'p = 0.03' (0.025 to 0.035), '< 0.001' or '> 0.05' allows."""
    if not p:
        return None
    relation = p[0] if p[0] in "<>≤≥" else ""
    try:
        value = float(p.lstrip("<>≤≥= "))
    except ValueError:
        return None
    if relation in "<≤" and relation:
        return 0.0, value
    if relation in ">≥" and relation:
        return value, 1.0
    half = _half_unit(p.lstrip("<>≤≥= "))
    return max(0.0, value - half), value + half


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> bool:
    return a[0] <= b[1] and b[0] <= a[1]


def _rounding(x: float) -> tuple[float, float]:
    """The range a number printed as `x` may have had before rounding."""
    half = _half_unit(repr(float(x)))
    return x - half, x + half


def _half_unit(written: str) -> float:
    decimals = len(written.split(".")[1]) if "." in written and "e" not in written else 0
    if written.endswith(".0"):
        decimals = 1
    return 0.5 * 10**-decimals


def _percent_flag(r: EventRate) -> AuditFlag | None:
    if r.percent is None or r.total == 0:
        return None
    exact = 100 * r.events / r.total
    half = _half_unit(repr(r.percent)) if r.percent != int(r.percent) else 0.5
    if abs(exact - r.percent) <= half + 1e-9:
        return None
    return AuditFlag(r.evidence.doc_id, "percent_count",
                     f"{r.events}/{r.total} is {exact:.1f}%, the abstract says {r.percent:g}%",
                     r.evidence.sentence, r.evidence.start)  # fmt: skip


def _crude_flag(e: EffectEstimate, rates: tuple[EventRate, ...]) -> AuditFlag | None:
    """A crude OR or RR far from the one the per-arm counts of its outcome give."""
    if e.adjusted or e.measure not in ("OR", "RR") or e.outcome is None or e.intervention is None:
        return None
    arms = {r.group: r for r in rates if r.outcome == e.outcome and r.subgroup == e.subgroup}
    treated, control = arms.get(e.intervention), arms.get("control")
    if treated is None or control is None:
        return None
    computed = crude_ratio(e.measure, treated.events, treated.total, control.events, control.total)
    if computed is None or abs(math.log(computed) - math.log(e.value)) <= math.log(1 + _COUNT_MISMATCH):
        return None
    counts = f"{treated.events}/{treated.total} vs {control.events}/{control.total}"
    return _flag(e, "crude_counts", f"{_written(e)}: the counts {counts} give {e.measure} {computed:.2f}")


def crude_ratio(measure: str, a: int, n1: int, c: int, n2: int) -> float | None:
    """The crude OR or RR of two arms' counts; None where a zero makes it undefined."""
    b, d = n1 - a, n2 - c
    if measure == "RR":
        return (a / n1) / (c / n2) if a and c and n1 and n2 else None
    return (a * d) / (b * c) if a and b and c and d else None


def _flag(e: EffectEstimate, kind: str, message: str) -> AuditFlag:
    return AuditFlag(e.evidence.doc_id, kind, message, e.evidence.sentence, e.evidence.start)


def _written(e: EffectEstimate) -> str:
    interval = f" ({e.ci_low:g} to {e.ci_high:g})" if e.ci_low is not None else ""
    return f"{e.measure} {e.value:g}{interval}"


# Kinds that make a number unusable: the reading is left out of any pooling, with the flag
# as its reason. The others are reasons to look, and the reading is pooled with its flag.
BLOCKING = frozenset({"impossible_ratio", "outside_interval", "impossible_count", "percent_over_100",
                      "per_cycle"})  # fmt: skip


def study_data_flags(row: StudyData) -> list[AuditFlag]:
    """What cannot be, or does not add up, in one row of a study's meta-analysis form."""
    found = [(kind, message) for kind, message in _impossible(row)]
    if row.percent is not None and row.percent > 100:
        found.append(("percent_over_100", f"{row.percent:g}% of {row.group}: a percentage over 100"))
    elif (mismatch := _derived_mismatch(row)) is not None:
        found.append(("derived_percent", mismatch))
    if row.denominator:
        found.append(("per_cycle", f"{row.group} {_counted(row)}: the total counts {row.denominator}, "
                      "not women (a unit-of-analysis problem, Cochrane Handbook 6.2)"))  # fmt: skip
    e = row.evidence
    return [
        AuditFlag(e.doc_id, kind, f"{row.outcome}: {message}", e.sentence, e.start) for kind, message in found
    ]


def _impossible(row: StudyData) -> list[tuple[str, str]]:
    counted = _counted(row)
    if any(x is not None and x < 0 for x in (row.events, row.total)):
        return [("impossible_count", f"{row.group} {counted}: a negative count")]
    if row.total == 0:
        return [("impossible_count", f"{row.group} {counted}: a total of 0")]
    if row.events is not None and row.total is not None and row.events > row.total:
        return [("impossible_count", f"{row.group} {counted}: more events than the total")]
    if row.sd is not None and row.sd <= 0:
        return [("impossible_count", f"{row.group} {counted}: an SD of {row.sd:g}")]
    return []


def _derived_mismatch(row: StudyData) -> str | None:
    """A count derived from a percentage (round(% × n / 100)) that does not give it back
    within the percentage's rounding: a misread percentage or group size."""
    if not row.derived or row.percent is None or row.events is None or not row.total or row.total < 0:
        return None
    back = 100 * row.events / row.total
    half = _half_unit(repr(row.percent)) if row.percent != int(row.percent) else 0.5
    if abs(back - row.percent) <= half + 1e-9:
        return None
    note = f" ({row.note})" if row.note else ""
    return f"{row.group} {row.events}/{row.total} derived from {row.percent:g}% gives back {back:.1f}%{note}"


def _counted(row: StudyData) -> str:
    if row.events is not None:
        return f"{row.events}/{row.total}"
    if row.mean is None:
        return f"{row.percent:g}%" if row.percent is not None else f"n {row.total}"
    sd = "not given" if row.sd is None else f"{row.sd:g}"
    return f"mean {row.mean:g} (SD {sd}, n {row.total})"
