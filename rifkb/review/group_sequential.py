"""Group sequential boundaries by error spending: the monitoring boundaries of a trial
sequential analysis (see `sequential`), for looks at any information fractions.

- Efficacy, two-sided and symmetric: the Lan–DeMets O'Brien–Fleming-type spending
  function (Lan & DeMets 1983), each side spending s(t) = 2 − 2Φ(z₁₋α/₄ / √t), so that the
  two sides together spend α at t = 1. It is gsDesign's `sfLDOF` given the one-sided α/2,
  RTSA's `esOF(alpha / side)` (R/RTSA_helperfunctions.R) and the boundary the TSA software
  draws (TSA manual, Copenhagen Trial Unit 2017). A look's boundary c_k solves
  P(|Z_j| < c_j for j < k, |Z_k| ≥ c_k) = 2 (s(t_k) − s(t_{k−1})) under no effect.
- Futility, on request: the inner wedge by β-spending with the same O'Brien–Fleming-type
  function, β(t) = 2 − 2Φ(z₁₋β/₂ / √t), under the drift the required information size
  was computed for, θ = z₁₋α/₂ + z₁₋β (E Z_t = θ√t). It is non-binding: the efficacy
  boundaries ignore it (RTSA's `futility = "non-binding"`). RTSA then inflates the
  information until the wedge meets the efficacy boundary at the end; here the wedge is
  closed at the required information size instead (at t ≥ 1 it is the efficacy boundary),
  so that the fractions stay those of the RIS the reader is shown.
- Looks beyond the required information size: as RTSA (`alpha_boundary`), the spending
  is of t / max t, so the last look spends whatever α is left.

The probabilities come from the recursive numerical integration of the density of the
sequence of Z statistics on the continuation region (Armitage, McPherson & Rowe 1969;
Jennison & Turnbull 2000, ch. 19): Simpson's rule on Jennison & Turnbull's grid of
6r − 1 points (r = 18 as gsDesign), normal kernels between looks, so that unequally
spaced looks cost nothing extra.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from scipy import optimize, stats

_R = 18  # grid size of Jennison & Turnbull (2000, ch. 19); gsDesign's default
_TOL = 1e-10


def spent(t: float, level: float) -> float:
    """What one side of an O'Brien–Fleming-type spending function with total two-sided
    `level` has spent at information fraction t: 2 − 2Φ(z₁₋level/₄ / √t), capped at t = 1."""
    if t <= 0:
        return 0.0
    return float(2 * stats.norm.sf(stats.norm.isf(level / 4) / math.sqrt(min(t, 1.0))))


def _grid(mean: float, low: float, high: float) -> tuple[np.ndarray, np.ndarray]:
    """Jennison & Turnbull's (2000, ch. 19) points around `mean` (dense within ±3, sparse
    in the tails to ±(3 + 4 ln r)), cut to [low, high], with Simpson's weights."""
    i = np.arange(1, 6 * _R)
    x = np.where(i < _R, mean - 3 - 4 * np.log(_R / np.maximum(i, 1)),
                 np.where(i <= 5 * _R, mean - 3 + 3 * (i - _R) / (2 * _R),
                          mean + 3 + 4 * np.log(_R / np.maximum(6 * _R - i, 1)))).astype(float)  # fmt: skip
    x = np.concatenate(([low], x[(x > low) & (x < high)], [high]))
    x = x[np.isfinite(x)]
    z = np.empty(2 * len(x) - 1)
    z[0::2], z[1::2] = x, (x[:-1] + x[1:]) / 2
    w = np.zeros_like(z)
    w[0::2][:-1] += np.diff(x)
    w[0::2][1:] += np.diff(x)
    w[1::2] = 4 * np.diff(x)
    return z, w / 6


class _Density:
    """The sub-density of Z_k on the continuation region of the looks so far, on a grid
    (Jennison & Turnbull 2000, ch. 19), under drift θ."""

    def __init__(self, theta: float) -> None:
        self.theta, self.info = theta, 0.0
        self.z: np.ndarray | None = None
        self.h: np.ndarray | None = None

    def _step(self, info: float) -> tuple[np.ndarray, np.ndarray]:
        """(mean, SD) of Z at `info` given each grid point of the last look."""
        delta = info - self.info
        mean = (self.z * math.sqrt(self.info) + self.theta * delta) / math.sqrt(info)
        return mean, np.full_like(mean, math.sqrt(delta / info))

    def above(self, info: float, c: float) -> float:
        """P(still going before this look, Z ≥ c at it)."""
        if self.z is None:
            return float(stats.norm.sf(c - self.theta * math.sqrt(info)))
        mean, sd = self._step(info)
        return float(np.sum(self.h * stats.norm.sf((c - mean) / sd)))

    def below(self, info: float, c: float) -> float:
        """P(still going before this look, Z < c at it)."""
        if self.z is None:
            return float(stats.norm.cdf(c - self.theta * math.sqrt(info)))
        mean, sd = self._step(info)
        return float(np.sum(self.h * stats.norm.cdf((c - mean) / sd)))

    def carry(self, info: float, low: float, high: float) -> None:
        """Move on to this look, keeping the paths that continue (low < Z < high)."""
        z, w = _grid(self.theta * math.sqrt(info), low, high)
        if self.z is None:
            h = w * stats.norm.pdf(z - self.theta * math.sqrt(info))
        else:
            delta = info - self.info
            kernel = stats.norm.pdf((z[:, None] * math.sqrt(info) - self.z[None, :] * math.sqrt(self.info)
                                     - self.theta * delta) / math.sqrt(delta))  # fmt: skip
            h = w * math.sqrt(info / delta) * (kernel @ self.h)
        self.z, self.h, self.info = z, h, info


def _check(fractions: Sequence[float]) -> list[float]:
    t = [float(f) for f in fractions]
    if not t or t[0] <= 0 or any(b <= a for a, b in zip(t, t[1:], strict=False)):
        raise ValueError(f"information fractions must be positive and increasing: {t}")
    return t


def _spending_times(t: list[float]) -> list[float]:
    """Beyond the required information size the last look spends all that is left (RTSA)."""
    return [x / t[-1] for x in t] if t[-1] > 1 else t


def obrien_fleming_boundaries(fractions: Sequence[float], alpha: float = 0.05) -> list[float]:
    """The two-sided O'Brien–Fleming-type boundaries (|Z| ≥ c_k rejects) at looks taken at
    `fractions` of the required information, total two-sided type I error `alpha`.
    A look where nothing is left to spend (the increment underflows) gets math.inf."""
    t = _check(fractions)
    spend = _spending_times(t)
    density, bounds, before = _Density(0.0), [], 0.0
    for info, s in zip(t, spend, strict=True):
        now = spent(s, alpha)
        increment = now - before
        if increment <= 1e-300:
            c = math.inf
        else:
            # the two sides are mirror images under no effect: solve one of them
            c = optimize.brentq(lambda c, info=info, inc=increment: density.above(info, c) - inc,
                                0.0, 40.0, xtol=_TOL)  # fmt: skip
        bounds.append(float(c))
        density.carry(info, -c, c)
        before = now
    return bounds


def futility_boundaries(fractions: Sequence[float], alpha: float = 0.05, beta: float = 0.20,
                        efficacy: Sequence[float] | None = None) -> list[float | None]:  # fmt: skip
    """The inner wedge: |Z_k| < b_k at a look before the required information size says
    the effect assumed is unlikely; None where the wedge is not yet open (b_k ≤ 0). At
    t ≥ 1 the wedge is closed: b_k = c_k."""
    t = _check(fractions)
    c = list(efficacy) if efficacy is not None else obrien_fleming_boundaries(t, alpha)
    theta = float(stats.norm.isf(alpha / 2) + stats.norm.isf(beta))
    density, wedge, before = _Density(theta), [], 0.0
    for k, info in enumerate(t):
        if info >= 1:
            wedge.append(c[k])
            continue
        now = _beta_spent(info, beta)
        increment = now - before
        if increment <= 1e-300:
            b = -40.0
        else:
            b = optimize.brentq(lambda b, info=info, inc=increment: density.below(info, b) - inc,
                                -40.0, 40.0, xtol=_TOL)  # fmt: skip
        b = min(b, c[k])
        wedge.append(float(b) if b > 0 else None)
        density.carry(info, b, c[k])
        before = now
    return wedge


def _beta_spent(t: float, beta: float) -> float:
    """O'Brien–Fleming-type β-spending (gsDesign `sfLDOF` with β; RTSA `esOF(beta)`)."""
    return float(2 * stats.norm.sf(stats.norm.isf(beta / 2) / math.sqrt(min(t, 1.0))))


def crossing_probability(fractions: Sequence[float], bounds: Sequence[float], drift: float = 0.0) -> float:
    """P(|Z_k| ≥ c_k at some look) under drift θ (E Z_t = θ√t): α when θ = 0 and the
    boundaries are those above."""
    t = _check(fractions)
    density, total = _Density(drift), 0.0
    for info, c in zip(t, bounds, strict=True):
        total += density.above(info, c) + density.below(info, -c)
        density.carry(info, -c, c)
    return total
