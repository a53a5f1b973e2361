"""Pooling effect estimates: the numbers of one meta-analysis.

Fixed-effect (inverse variance) and random-effects estimates come from statsmodels'
`combine_effects` (DerSimonian–Laird `dl`, Paule–Mandel `pm`), and so do the Q statistic
and the Hartung–Knapp(–Sidik–Jonkman) scale. statsmodels has no REML estimator of τ²: it
is computed here by iterating the REML estimating equation (Viechtbauer 2005, eq. 12),
which reaches the same maximum as metafor's Fisher scoring, and the random-effects
estimate from it. The rest follows the Cochrane
Handbook (chapter 10): I² = τ² / (τ² + s²) with s² the typical within-study variance
(equal to (Q − df) / Q for DerSimonian–Laird), the 95 % prediction interval
θ ± t(k−2) √(τ² + SE²) (Higgins, Thompson & Spiegelhalter 2009; metafor's
`pi.type = "Riley"`), and the test for subgroup differences, Q between the subgroups'
random-effects estimates on k − 1 degrees of freedom (Borenstein et al. 2009, ch. 19).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

METHODS = ("dl", "reml", "pm")
_Z95 = stats.norm.ppf(0.975)


@dataclass(frozen=True)
class Pooled:
    """A pooled estimate on the analysis scale (`yi`: log scale for ratios) with its
    heterogeneity; `estimate`, `ci_low`, `ci_high` back on the reported scale."""

    estimate: float
    ci_low: float
    ci_high: float
    yi: float
    sei: float
    tau2: float
    i2: float
    q: float
    q_p: float | None
    pi_low: float | None
    pi_high: float | None
    k: int
    z: float
    p: float


@dataclass(frozen=True)
class Pooling:
    random: Pooled
    fixed: Pooled
    weights: tuple[float, ...]  # random-effects weights, % of the total


@dataclass(frozen=True)
class SubgroupTest:
    q: float
    df: int
    p: float


def pool(yi: Sequence[float], sei: Sequence[float], method: str = "dl", ratio: bool = True,
         hartung_knapp: bool = False) -> Pooling:  # fmt: skip
    """Random-effects (by `method`) and fixed-effect pooling of k estimates."""
    y, v = np.asarray(yi, float), np.asarray(sei, float) ** 2
    back = math.exp if ratio else float
    if len(y) == 1:
        single = _pooled(float(y[0]), float(math.sqrt(v[0])), 0.0, 0.0, 0.0, 1, back)
        return Pooling(single, single, (100.0,))
    fit = _fit(y, v, method)
    w_re = 1 / (v + fit.tau2)
    estimate = float(np.sum(w_re * y) / np.sum(w_re))
    se = float(math.sqrt(1 / np.sum(w_re)))
    scale = _t_scale(y, w_re, estimate) if hartung_knapp else None
    random = _pooled(estimate, se, fit.tau2, _i2(v, fit.tau2), fit.q, len(y), back, scale)
    fixed = _pooled(fit.fe, fit.fe_se, 0.0, _i2(v, fit.tau2), fit.q, len(y), back)
    weights = tuple(float(w) for w in 100 * w_re / np.sum(w_re))
    return Pooling(random, fixed, weights)


@dataclass(frozen=True)
class _Fit:
    tau2: float
    q: float
    fe: float
    fe_se: float


def _fit(y: np.ndarray, v: np.ndarray, method: str) -> _Fit:
    if method not in METHODS:
        raise ValueError(f"method {method!r}: one of {', '.join(METHODS)}")
    from statsmodels.stats.meta_analysis import combine_effects

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels warns that the API is experimental
        result = combine_effects(y, v, method_re="pm" if method == "pm" else "dl")
    # DerSimonian–Laird's τ² is (Q − df) / C truncated at zero; statsmodels does not
    # truncate it, and a negative τ² would make weights of the wrong sign
    tau2 = max(0.0, float(result.tau2))
    tau2 = _reml_tau2(y, v, tau2) if method == "reml" else tau2
    return _Fit(tau2, float(result.q), float(result.mean_effect_fe), float(result.sd_eff_w_fe))


def _reml_tau2(y: np.ndarray, v: np.ndarray, start: float, steps: int = 500) -> float:
    """τ² by restricted maximum likelihood: the REML equation iterated from the DL value,
    τ² = Σ w² ((y − μ)² − v) / Σ w² + 1 / Σ w with w = 1 / (v + τ²), truncated at zero
    (Viechtbauer 2005, eq. 12)."""
    tau2 = max(start, 0.0)
    for _ in range(steps):
        w = 1 / (v + tau2)
        mu = np.sum(w * y) / np.sum(w)
        new = max(0.0, float(np.sum(w**2 * ((y - mu) ** 2 - v)) / np.sum(w**2) + 1 / np.sum(w)))
        if abs(new - tau2) < 1e-12:
            return new
        tau2 = new
    return tau2


def _i2(v: np.ndarray, tau2: float) -> float:
    """I² = τ² / (τ² + s²), s² the typical within-study variance (Higgins & Thompson 2002)."""
    w = 1 / v
    k = len(v)
    s2 = (k - 1) * np.sum(w) / (np.sum(w) ** 2 - np.sum(w**2))
    return float(tau2 / (tau2 + s2)) if tau2 > 0 else 0.0


def _t_scale(y: np.ndarray, w: np.ndarray, estimate: float) -> float:
    """The Hartung–Knapp factor: the weighted residual variance (Sidik & Jonkman 2002)."""
    return float(np.sum(w * (y - estimate) ** 2) / (len(y) - 1))


def _pooled(estimate: float, se: float, tau2: float, i2: float, q: float, k: int, back,  # noqa: ANN001
            hk_scale: float | None = None) -> Pooled:  # fmt: skip
    if hk_scale is not None:
        se, crit = se * math.sqrt(hk_scale), float(stats.t.ppf(0.975, k - 1))
        p = float(2 * stats.t.sf(abs(estimate / se), k - 1)) if se > 0 else 0.0
    else:
        crit = float(_Z95)
        p = float(2 * stats.norm.sf(abs(estimate / se))) if se > 0 else 0.0
    low, high = estimate - crit * se, estimate + crit * se
    pi = _prediction(estimate, se, tau2, k)
    return Pooled(
        estimate=back(estimate), ci_low=back(low), ci_high=back(high), yi=estimate, sei=se, tau2=tau2,
        i2=i2, q=q, q_p=float(stats.chi2.sf(q, k - 1)) if k > 1 else None,
        pi_low=back(pi[0]) if pi else None, pi_high=back(pi[1]) if pi else None, k=k,
        z=estimate / se if se > 0 else 0.0, p=p,
    )  # fmt: skip


def _prediction(estimate: float, se: float, tau2: float, k: int) -> tuple[float, float] | None:
    """θ ± t(k−2) √(τ² + SE²): where a new study's true effect is expected (k ≥ 3)."""
    if k < 3:
        return None
    half = float(stats.t.ppf(0.975, k - 2)) * math.sqrt(tau2 + se**2)
    return estimate - half, estimate + half


def subgroup_test(strata: Sequence[Pooled]) -> SubgroupTest | None:
    """Q between the strata's random-effects estimates, df = strata − 1."""
    if len(strata) < 2:
        return None
    y = np.array([s.yi for s in strata])
    w = 1 / np.array([s.sei for s in strata]) ** 2
    mean = np.sum(w * y) / np.sum(w)
    q = float(np.sum(w * (y - mean) ** 2))
    df = len(strata) - 1
    return SubgroupTest(q, df, float(stats.chi2.sf(q, df)))
