"""Pooling: a published worked example, the other estimators against R's metafor, 2×2
tables with zero cells, and a cross-check with metafor itself when R is installed."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess

import numpy as np
import pytest

from rifkb.records import EventRate, Evidence
from rifkb.review.meta import pool, subgroup_test
from rifkb.review.study_inputs import two_by_two

# BCG vaccine trials (Colditz et al. 1994), the worked example of Viechtbauer (2010),
# "Conducting meta-analyses in R with the metafor package", J Stat Softw 36(3): log risk
# ratios, DerSimonian–Laird: estimate −0.7141, SE 0.1787, τ² 0.3088, Q(12) = 152.2330.
BCG = [  # tpos, tneg, cpos, cneg
    (4, 119, 11, 128), (6, 300, 29, 274), (3, 228, 11, 209), (62, 13536, 248, 12619),
    (33, 5036, 47, 5761), (180, 1361, 372, 1079), (8, 2537, 10, 619), (505, 87886, 499, 87892),
    (29, 7470, 45, 7232), (17, 1699, 65, 1600), (186, 50448, 141, 27197), (5, 2493, 3, 2338),
    (27, 16886, 29, 17825),
]  # fmt: skip


def _bcg() -> tuple[np.ndarray, np.ndarray]:
    t, tn, c, cn = (np.array(col, float) for col in zip(*BCG, strict=True))
    yi = np.log((t / (t + tn)) / (c / (c + cn)))
    vi = 1 / t - 1 / (t + tn) + 1 / c - 1 / (c + cn)
    return yi, np.sqrt(vi)


def test_dersimonian_laird_reproduces_the_published_bcg_example():
    pooled = pool(*_bcg(), method="dl").random
    assert pooled.yi == pytest.approx(-0.7141, abs=1e-4)
    assert pooled.sei == pytest.approx(0.1787, abs=1e-4)
    assert pooled.tau2 == pytest.approx(0.3088, abs=1e-4)
    assert pooled.q == pytest.approx(152.2330, abs=1e-4)
    assert pooled.i2 == pytest.approx((152.2330 - 12) / 152.2330, abs=1e-4)
    assert pooled.estimate == pytest.approx(math.exp(-0.7141), abs=1e-4)


# metafor 3.8-1 on the same yi and SE: rma(yi, sei = sei, method = m, test = "z" or "knha")
METAFOR = [
    # method, Hartung–Knapp, estimate, SE, tau2, I2, lower bound of the interval
    ("dl", False, -0.714117, 0.178742, 0.308760, 0.921173, -1.064445),
    ("dl", True, -0.714117, 0.180697, 0.308760, 0.921173, -1.107821),
    ("reml", False, -0.714532, 0.179782, 0.313243, 0.922214, -1.066898),
    ("reml", True, -0.714532, 0.180792, 0.313243, 0.922214, -1.108444),
    ("pm", False, -0.714970, 0.180898, 0.318094, 0.923309, -1.069524),
]


@pytest.mark.parametrize(("method", "hk", "estimate", "se", "tau2", "i2", "low"), METAFOR)
def test_every_estimator_agrees_with_metafor(method, hk, estimate, se, tau2, i2, low):
    pooled = pool(*_bcg(), method=method, hartung_knapp=hk).random
    got = (pooled.yi, pooled.sei, pooled.tau2, pooled.i2, math.log(pooled.ci_low))
    assert got == pytest.approx((estimate, se, tau2, i2, low), abs=1e-4)


def test_fixed_effect_and_prediction_interval():
    result = pool(*_bcg(), method="dl")
    assert result.fixed.yi == pytest.approx(-0.4303, abs=1e-4)  # metafor: rma(method = "FE")
    assert result.fixed.sei == pytest.approx(0.0405, abs=1e-4)
    # Higgins, Thompson & Spiegelhalter (2009): θ ± t(k−2) √(τ² + SE²)
    half = 2.200985 * math.sqrt(0.308760 + 0.178742**2)
    assert math.log(result.random.pi_low) == pytest.approx(-0.714117 - half, abs=1e-4)
    assert sum(result.weights) == pytest.approx(100.0)


@pytest.mark.parametrize("method", ["dl", "reml", "pm"])
def test_less_heterogeneity_than_chance_gives_tau2_zero(method):
    """Q < df: τ² is truncated at zero, and random effects equal the fixed effect."""
    result = pool([0.288, 0.742], [0.8211, 0.3293], method=method)
    assert result.random.q < 1 and result.random.tau2 == 0.0 and result.random.i2 == 0.0
    assert result.random.yi == pytest.approx(result.fixed.yi)
    assert result.random.sei == pytest.approx(result.fixed.sei)


def test_a_single_study_is_its_own_estimate():
    result = pool([math.log(2.0)], [0.3], method="dl")
    assert result.random.estimate == pytest.approx(2.0) and result.random.k == 1
    assert result.random.q_p is None and result.random.pi_low is None and result.weights == (100.0,)


def test_subgroup_difference_test():
    """Two homogeneous strata of two studies (SE 0.1): each pools to variance 0.1²/2, so
    Q_between = Σ (θ_g − θ̄)² / v_g = 2 · 0.5² / 0.005 = 100 on 1 df."""
    strata = [pool([0.0, 0.1], [0.1, 0.1]).random, pool([1.0, 1.1], [0.1, 0.1]).random]
    test = subgroup_test(strata)
    assert test.df == 1 and test.q == pytest.approx(2 * 0.5**2 / (0.1**2 / 2), rel=1e-6)
    assert test.p < 1e-6


def _arm(events: int, total: int) -> EventRate:
    return EventRate(events, total, "live_birth", Evidence("t:1", 0, 5, "", "test"))


@pytest.mark.parametrize(
    ("treated", "control", "measure", "expected"),
    [
        # no zero cell: log OR and its variance from the 2×2 table
        ((32, 49), (32, 94), "OR", (math.log(32 * 62 / (17 * 32)),
                                    math.sqrt(1 / 32 + 1 / 17 + 1 / 32 + 1 / 62))),
        # a zero cell: 0.5 added to every cell (RevMan, Cochrane Handbook 10.4.4.2)
        ((0, 20), (5, 20), "OR", (math.log(0.5 * 15.5 / (20.5 * 5.5)),
                                  math.sqrt(1 / 0.5 + 1 / 20.5 + 1 / 5.5 + 1 / 15.5))),
        ((4, 26), (3, 25), "RR", (math.log((4 / 26) / (3 / 25)), math.sqrt(1 / 4 - 1 / 26 + 1 / 3 - 1 / 25))),
    ],
)  # fmt: skip
def test_two_by_two_tables(treated, control, measure, expected):
    assert two_by_two(measure, _arm(*treated), _arm(*control)) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("treated", "control"), [((0, 20), (0, 18)), ((20, 20), (18, 18))])
def test_studies_with_no_events_or_only_events_in_both_arms_are_left_out(treated, control):
    assert two_by_two("OR", _arm(*treated), _arm(*control)) is None


def _metafor(script: str) -> list[float]:
    """Run an R script with metafor loaded; its stdout is a JSON list. CI sets
    RIFKB_REQUIRE_METAFOR=1 (and installs R), so there a missing R fails instead of skipping."""
    required = os.environ.get("RIFKB_REQUIRE_METAFOR") == "1"
    missing = pytest.fail if required else pytest.skip
    if shutil.which("Rscript") is None:
        missing("R is not installed (apt-get install r-base-core r-cran-metafor)")
    done = subprocess.run(["Rscript", "-e", f"suppressMessages(library(metafor)); {script}"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0 and "metafor" in done.stderr:
        missing("R's metafor package is not installed (apt-get install r-cran-metafor)")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("method", ["DL", "REML", "PM"])
def test_metafor_itself_agrees(tmp_path, method):
    """The independent check: metafor, given the same yi and SE."""
    yi, sei = _bcg()
    data = tmp_path / "studies.csv"
    data.write_text("".join(f"{y!r},{s!r}\n" for y, s in zip(yi, sei, strict=True)))
    expected = _metafor(f'd <- read.csv("{data}", header = FALSE); '
                        f'r <- rma(yi = d$V1, sei = d$V2, method = "{method}"); '
                        'cat(sprintf("[%.10f, %.10f, %.10f, %.10f, %.10f]", r$b, r$se, r$tau2, r$I2 / 100, '
                        'r$QE))')  # fmt: skip
    pooled = pool(yi, sei, method=method.lower()).random
    assert [pooled.yi, pooled.sei, pooled.tau2, pooled.i2, pooled.q] == pytest.approx(expected, abs=1e-4)


# Small RIF-sized trials, one with a zero cell: metafor's escalc adds 1/2 to the cells of
# that table only (add = 1/2, to = "only0"), as RevMan does and as two_by_two must.
_TABLES = [((12, 40), (6, 41)), ((0, 18), (4, 20)), ((9, 25), (9, 26)), ((15, 30), (7, 29))]


@pytest.mark.parametrize("measure", ["OR", "RR"])
def test_metafor_pools_the_same_two_by_two_tables(measure):
    inputs = [two_by_two(measure, _arm(*t), _arm(*c)) for t, c in _TABLES]
    pooled = pool([y for y, _ in inputs], [s for _, s in inputs], method="dl").random
    # ai, bi: events and non-events of the treated arm; ci, di: of the control arm
    cells = {"ai": (0, False), "bi": (0, True), "ci": (1, False), "di": (1, True)}
    tables = ", ".join(
        f"{name} = c({', '.join(str(t[arm][1] - t[arm][0] if non else t[arm][0]) for t in _TABLES)})"
        for name, (arm, non) in cells.items()
    )
    expected = _metafor(f'e <- escalc(measure = "{measure}", {tables}); '
                        'r <- rma(yi, vi, data = e, method = "DL"); '
                        'cat(sprintf("[%.10f, %.10f, %.10f]", r$b, r$se, r$tau2))')  # fmt: skip
    assert [pooled.yi, pooled.sei, pooled.tau2] == pytest.approx(expected, abs=1e-6)
