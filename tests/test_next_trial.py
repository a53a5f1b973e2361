"""The next trial (issue 18): per-arm sizes against R's power.prop.test and
pwr::pwr.2p.test, the pooled control risk against metafor's rma(measure = "PLO"), each
stratum's sizes on constructed analyses, and the bundled corpus's RIF strata."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from rifkb.review.next_trial import (
    INCLUDES_NO_EFFECT,
    NO_CONTROL,
    OVERALL,
    next_trial,
    per_arm_n,
    pooled_control_risk,
    treatment_risk,
)
from rifkb.review.synthesis import Stratum
from tests.rcheck import run_r
from tests.test_sequential import analysis, ivig_live_birth, study  # noqa: F401  (a fixture)

# (control risk, treatment risk): RIF-sized differences, both directions, rare and common
PROPORTIONS = [(0.2, 0.35), (0.34, 0.65), (0.2, 0.69), (0.5, 0.4), (0.05, 0.1), (0.3, 0.33)]


def test_per_arm_n_agrees_with_power_prop_test_and_pwr():
    pairs = ", ".join(f"c({p1}, {p2})" for p1, p2 in PROPORTIONS)
    expected = run_r(
        f"cases <- list({pairs}); out <- c(); "
        "for (p in cases) for (w in c(0.8, 0.9)) out <- c(out, "
        "power.prop.test(p1 = p[1], p2 = p[2], power = w, tol = 1e-12)$n, "
        "pwr.2p.test(h = ES.h(p[1], p[2]), power = w)$n); "
        'cat("[", paste(sprintf("%.10f", out), collapse = ", "), "]")',
        packages=("pwr",),
    )
    got = []
    for p1, p2 in PROPORTIONS:
        for power in (0.8, 0.9):
            n = per_arm_n(p1, p2, power)
            got += [n.normal, n.arcsine]
    assert got == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(("p1", "p2"), PROPORTIONS)
def test_more_power_more_women_and_the_arcsine_n_gives_its_power(p1, p2):
    from scipy import stats

    at80, at90 = per_arm_n(p1, p2, 0.8), per_arm_n(p1, p2, 0.9)
    assert at90.normal > at80.normal and at90.arcsine > at80.arcsine
    h = abs(2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p2)))
    shift = h * math.sqrt(at80.arcsine / 2)
    power = stats.norm.sf(1.959964 - shift) + stats.norm.cdf(-1.959964 - shift)
    assert power == pytest.approx(0.8, abs=1e-6)
    assert at80.to_json()["normal_ceil"] == math.ceil(at80.normal)


@pytest.mark.parametrize(("p1", "p2"), [(0.2, 0.2), (0.0, 0.3), (0.3, 1.0)])
def test_no_size_without_two_different_proportions(p1, p2):
    with pytest.raises(ValueError):
        per_arm_n(p1, p2)


# control arms (events, total), one with no events: ½ added to its cells only
CONTROL_ARMS = [(32, 94), (5, 25), (0, 5), (20, 40)]


def test_pooled_control_risk_agrees_with_metafor():
    studies = [study(f"S{i} 2020", 2020, (10, 20), arm) for i, arm in enumerate(CONTROL_ARMS)]
    xi = ", ".join(str(x) for x, _ in CONTROL_ARMS)
    ni = ", ".join(str(n) for _, n in CONTROL_ARMS)
    expected = run_r(f'r <- rma(measure = "PLO", xi = c({xi}), ni = c({ni}), method = "DL"); '
                     "p <- predict(r, transf = transf.ilogit); "
                     'cat(sprintf("[%.10f, %.10f, %.10f]", p$pred, p$ci.lb, p$ci.ub))')  # fmt: skip
    found = pooled_control_risk(studies)
    assert [found.risk, found.ci_low, found.ci_high] == pytest.approx(expected, abs=1e-4)
    assert (found.k, found.events, found.total) == (4, 57, 164)
    assert found.source == "pooled control arms of 4 studies (logit, random effects)"


def test_one_control_arm_is_its_own_proportion_and_none_without_counts():
    (one,) = [study("Peero 2024", 2024, (20, 29), (5, 25))]
    assert pooled_control_risk([one]).risk == pytest.approx(0.2)
    assert pooled_control_risk([replace(one, events=None, totals=None)]) is None


@pytest.mark.parametrize(
    ("measure", "ratio", "pc", "expected"),
    [("OR", 1.0, 0.3, 0.3), ("OR", 3.64, 32 / 94, 3.64 * 32 / 94 / (1 - 32 / 94 + 3.64 * 32 / 94)),
     ("RR", 1.5, 0.2, 0.3), ("OR", 0.5, 0.5, 1 / 3)],
)  # fmt: skip
def test_a_ratio_becomes_a_treatment_risk(measure, ratio, pc, expected):
    assert treatment_risk(measure, ratio, pc) == pytest.approx(expected)


TRIALS = [study("Alpha 2010", 2010, (15, 40), (9, 40)), study("Beta 2014", 2014, (22, 45), (12, 44))]


def _stratified():
    """The two trials pooled, a stratum of each, and one whose study gives no counts."""
    whole = analysis(TRIALS)
    strata = tuple(Stratum(s.label, (s,), analysis([s]).pooled, analysis([s]).fixed) for s in TRIALS)
    bare = replace(TRIALS[0], events=None, totals=None, sample_size=80)
    strata += (
        Stratum("RIF definition not stated", (bare,), analysis([bare]).pooled, analysis([bare]).fixed),
    )
    return replace(whole, strata=strata)


def test_one_size_per_stratum_overall_first():
    sizes = next_trial(_stratified(), effect=1.5)
    assert [t.stratum for t in sizes] == [OVERALL, "Alpha 2010", "Beta 2014", "RIF definition not stated"]
    overall = sizes[0]
    assert overall.accrued == 80 + 89 and overall.control.k == 2
    assert analysis(TRIALS).pooled.ci_low > 1
    pooled, conservative, given = overall.scenarios
    assert [s.basis for s in overall.scenarios] == ["pooled", "conservative", "given"]
    assert pooled.effect == pytest.approx(analysis(TRIALS).pooled.estimate)
    assert conservative.effect == pytest.approx(analysis(TRIALS).pooled.ci_low)  # the limit nearer 1
    assert conservative.power80.normal > pooled.power80.normal  # a smaller effect needs more women
    assert given.effect == 1.5 and given.treatment_risk == pytest.approx(
        treatment_risk("OR", 1.5, overall.control.risk)
    )
    for s in overall.scenarios:
        assert s.power90.normal > s.power80.normal and s.direction == "benefit"
        assert s.added == 2 * math.ceil(s.power80.normal) and s.after > s.before
        assert s.before == pytest.approx(overall.accrued / s.required, rel=1e-2)
    assert sizes[-1].why_not == NO_CONTROL and sizes[-1].scenarios == ()
    assert sizes[-1].to_json()["why_not"] == NO_CONTROL


def test_an_interval_including_no_effect_gives_no_conservative_size():
    (alpha,) = [t for t in next_trial(_stratified()) if t.stratum == "Alpha 2010"]
    assert analysis([TRIALS[0]]).pooled.ci_low < 1  # 15/40 vs 9/40 alone is not significant
    conservative = alpha.scenarios[1]
    assert conservative.why_not == INCLUDES_NO_EFFECT and conservative.power80 is None
    assert [s.basis for s in alpha.scenarios] == ["pooled", "conservative"]  # no effect given


def test_for_a_harm_an_increase_is_harm():
    sizes = next_trial(replace(_stratified(), outcome="miscarriage"), harmful=True)
    assert sizes[0].scenarios[0].direction == "harm"


def test_other_measures_and_associations_say_why():
    assert all("not MD" in t.why_not for t in next_trial(replace(_stratified(), measure="MD")))
    assert all("association" in t.why_not for t in next_trial(replace(_stratified(), kind="association")))


def test_the_bundled_rif_strata(ivig_live_birth):  # noqa: F811
    sizes = {t.stratum: t for t in next_trial(ivig_live_birth["non_randomised"])}
    assert list(sizes)[0] == OVERALL
    three, five = sizes["RIF: ≥3 failed transfers"], sizes["RIF: ≥5 failed transfers"]
    assert three.control.risk == pytest.approx(32 / 94) and three.control.k == 1
    assert five.control.risk == pytest.approx(5 / 25)  # Peero 2024's severe subgroup: 5/25
    for stratum in (three, five):
        pooled = stratum.scenarios[0]
        assert pooled.basis == "pooled" and pooled.power90.normal > pooled.power80.normal
        assert pooled.direction == "benefit" and pooled.treatment_risk > stratum.control.risk
    # the severe subgroup's larger pooled effect needs fewer women than the whole cohort's
    assert five.scenarios[0].power80.normal < three.scenarios[0].power80.normal
    assert five.to_json()["control"]["events"] == 5
