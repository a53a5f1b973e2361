"""Trial sequential analysis (issue 18): published O'Brien–Fleming boundaries, α spent
exactly at unequally spaced looks (checked against Genz's multivariate normal integration),
published required information sizes, D² against metafor, the four verdicts on
constructed analyses, and the bundled corpus's IVIg → live birth with its figure."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from rifkb.review.group_sequential import crossing_probability, spent
from rifkb.review.meta import pool
from rifkb.review.sequential import (
    VERDICTS,
    diversity,
    futility_boundaries,
    obrien_fleming_boundaries,
    required_information_size,
    required_information_size_continuous,
    sequential_analysis,
    sequential_figure,
    sequential_plot,
)
from rifkb.review.study_inputs import StudyInput
from rifkb.review.synthesis import Analysis
from tests.rcheck import run_r
from tests.test_meta import _bcg

# --- boundaries ------------------------------------------------------------------------

PUBLISHED_BOUNDARIES = [
    # Lan–DeMets O'Brien–Fleming type, five equally spaced looks, two-sided α = 0.05: the
    # classic values (gsDesign sfLDOF with one-sided 0.025; ldbounds iuse = 1, sides = 2)
    ([0.2, 0.4, 0.6, 0.8, 1.0], 0.05, [4.877, 3.357, 2.680, 2.290, 2.031]),
    # SeqBounds.jl README: bounds([0.25, 0.5, 0.75, 1.0], 0.05) one-sided O'Brien–Fleming,
    # 3.74955, 2.53993, 2.01604, 1.72014; one side of a two-sided α = 0.10
    ([0.25, 0.5, 0.75, 1.0], 0.10, [3.74955, 2.53993, 2.01604, 1.72014]),
]


@pytest.mark.parametrize(("fractions", "alpha", "expected"), PUBLISHED_BOUNDARIES)
def test_published_obrien_fleming_boundaries(fractions, alpha, expected):
    assert obrien_fleming_boundaries(fractions, alpha) == pytest.approx(expected, abs=1e-3)


def _exit_by_genz(fractions: list[float], bounds: list[float]) -> list[float]:
    """P(|Z_j| ≥ c_j at some look j ≤ k), by Genz's integration of the multivariate normal
    with corr(Z_i, Z_j) = √(t_i / t_j): a method independent of the grid recursion."""
    t = np.array(fractions)
    cov = np.sqrt(np.minimum.outer(t, t) / np.maximum.outer(t, t))
    found = []
    for k in range(1, len(t) + 1):
        mvn = stats.multivariate_normal(np.zeros(k), cov[:k, :k], abseps=1e-8, releps=1e-8, seed=1)
        found.append(1 - mvn.cdf(np.array(bounds[:k]), lower_limit=-np.array(bounds[:k])))
    return found


@pytest.mark.parametrize("fractions", [[0.1, 0.35, 0.5, 1.0], [0.03, 0.2, 0.72, 1.0]])
def test_unequally_spaced_looks_spend_alpha_as_the_spending_function_says(fractions):
    bounds = obrien_fleming_boundaries(fractions)
    spending = [2 * spent(t, 0.05) for t in fractions]
    assert _exit_by_genz(fractions, bounds) == pytest.approx(spending, abs=1e-6)
    assert spending[-1] == pytest.approx(0.05)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.floats(0.02, 0.4), min_size=1, max_size=4), st.sampled_from([0.01, 0.05, 0.1]))
def test_total_alpha_is_spent_at_any_spacing(steps, alpha):
    fractions = list(np.cumsum(steps) / (sum(steps) + 0.05)) + [1.0]
    bounds = obrien_fleming_boundaries(fractions, alpha)
    assert crossing_probability(fractions, bounds) == pytest.approx(alpha, abs=1e-6)
    assert bounds[-1] > stats.norm.isf(alpha / 2)  # dearer than one look at the end
    assert bounds[0] == pytest.approx(stats.norm.isf(spent(fractions[0], alpha)))


@pytest.mark.parametrize("looks", range(2, 11))
@pytest.mark.parametrize("alpha", [0.01, 0.05])
def test_equally_spaced_boundaries_fall_as_information_grows(looks, alpha):
    bounds = obrien_fleming_boundaries([(k + 1) / looks for k in range(looks)], alpha)
    assert all(a > b for a, b in zip(bounds, bounds[1:], strict=False))


def test_a_look_close_after_another_can_raise_the_boundary():
    """Not a bug: a look that spends little α right after another needs a higher bound
    (why TSA takes no analysis on less than 1 % more information)."""
    bounds = obrien_fleming_boundaries([0.5, 0.98, 1.0])
    assert bounds[2] > bounds[1]


def test_beyond_the_required_information_the_last_look_spends_what_is_left():
    """As RTSA: fractions past 1 are rescaled by the last, which then spends all of α."""
    over = obrien_fleming_boundaries([0.5, 1.5])
    assert over == pytest.approx(obrien_fleming_boundaries([0.5 / 1.5, 1.0]))
    assert crossing_probability([0.5, 1.5], over) == pytest.approx(0.05, abs=1e-6)


def test_futility_wedge_opens_late_stays_inside_and_closes_at_the_ris():
    fractions = [0.2, 0.4, 0.6, 0.8, 1.0]
    efficacy = obrien_fleming_boundaries(fractions)
    wedge = futility_boundaries(fractions, 0.05, 0.20, efficacy)
    assert wedge[0] is None  # at 20 % nothing says "no effect" yet
    opened = [b for b in wedge if b is not None]
    assert all(0 < b <= c for b, c in zip(wedge[1:], efficacy[1:], strict=True))
    assert opened == sorted(opened) and wedge[-1] == efficacy[-1]
    # β-spending under the design's drift: P(Z_1 < b_1) is what the spending allows
    theta = stats.norm.isf(0.025) + stats.norm.isf(0.20)
    first = futility_boundaries([0.5, 1.0])[0]
    spend = 2 * stats.norm.sf(stats.norm.isf(0.10) / math.sqrt(0.5))
    assert stats.norm.cdf(first - theta * math.sqrt(0.5)) == pytest.approx(spend, rel=1e-6)


@pytest.mark.parametrize("fractions", [[], [0.5, 0.5], [0.0, 1.0], [0.6, 0.3]])
def test_looks_must_be_at_increasing_positive_fractions(fractions):
    with pytest.raises(ValueError, match="increasing"):
        obrien_fleming_boundaries(fractions)


# --- required information size and diversity ---------------------------------------------

# Published TSAs: (control risk, RRR, α, β, D², RIS as printed, how close)
PUBLISHED_RIS = [
    # PLoS One 2013;8(9):e74558 (PMC3765487), figure 4: 10 % deaths, RRR 15 %, α 5 %,
    # β 20 %, "diversity of 76%" → DARIS 48,417 (D² printed rounded: 48,417 lies between
    # the sizes at 75.5 % and 76.5 %; at 76.0 % exactly the formula gives 48,803)
    (0.10, 0.15, 0.05, 0.20, 0.76, 48_417, 0.02),
    # Clin Epidemiol 2010;2:57 (PMC2943189), figure 4: 5 % incidence, RRR 25 %, α 1 %,
    # β 10 % → 19,920, reproduced to the participant with a heterogeneity correction of
    # 20 % (D² = 0.2; the caption does not say which correction it used)
    (0.05, 0.25, 0.01, 0.10, 0.20, 19_920, 0.0001),
]


@pytest.mark.parametrize(("pc", "rrr", "alpha", "beta", "d2", "printed", "rel"), PUBLISHED_RIS)
def test_required_information_size_reproduces_published_tsas(pc, rrr, alpha, beta, d2, printed, rel):
    assert required_information_size(pc, rrr, alpha, beta, d2) == pytest.approx(printed, rel=rel)


def test_the_diversity_bracket_of_the_vitamin_a_example():
    low, high = (required_information_size(0.10, 0.15, 0.05, 0.20, d) for d in (0.755, 0.765))
    assert low < 48_417 < high


def test_the_formula_by_hand():
    """P̄ = (0.2 + 0.16) / 2, δ = 0.04: 4 (z.975 + z.8)² P̄(1 − P̄) / δ², then / (1 − D²)."""
    z = stats.norm.isf(0.025) + stats.norm.isf(0.2)
    n = 4 * z**2 * 0.18 * 0.82 / 0.04**2
    assert required_information_size(0.2, 0.2) == pytest.approx(n)
    assert required_information_size(0.2, 0.2, diversity=0.5) == pytest.approx(2 * n)
    assert required_information_size(0.2, -0.2) > n  # an increase: P̄ nearer ½
    assert required_information_size_continuous(1.0, 4.0) == pytest.approx(4 * z**2 * 4.0)


@pytest.mark.parametrize(("pc", "rrr", "d2"), [(0.0, 0.2, 0), (0.5, 0.0, 0), (0.5, -1.2, 0), (0.2, 0.2, 1.0)])
def test_impossible_sizes_are_refused(pc, rrr, d2):
    with pytest.raises(ValueError):
        required_information_size(pc, rrr, diversity=d2)


def test_diversity_against_metafor(tmp_path):
    """D² = (V_R − V_F) / V_R with V from metafor's rma, DerSimonian–Laird and fixed effect."""
    yi, sei = _bcg()
    data = tmp_path / "bcg.csv"
    data.write_text("".join(f"{y!r},{s!r}\n" for y, s in zip(yi, sei, strict=True)))
    expected = run_r(f'd <- read.csv("{data}", header = FALSE); '
                     're <- rma(yi = d$V1, sei = d$V2, method = "DL"); '
                     'fe <- rma(yi = d$V1, sei = d$V2, method = "FE"); '
                     'cat((re$se^2 - fe$se^2) / re$se^2)')  # fmt: skip
    result = pool(yi, sei, method="dl")
    assert diversity(result.random, result.fixed) == pytest.approx(expected, abs=1e-4)
    assert diversity(*(pool([0.3], [0.2]).random,) * 2) == 0.0


# --- verdicts on constructed analyses -------------------------------------------------------


def study(label: str, year: int | None, treated: tuple[int, int], control: tuple[int, int],
          **more) -> StudyInput:  # fmt: skip
    """A trial's reading from its 2×2 table (log odds ratio and its SE)."""
    (a, n1), (c, n2) = treated, control
    cells = [a, n1 - a, c, n2 - c]
    cells = [x + 0.5 for x in cells] if 0 in cells else cells  # a zero cell: ½ added to each
    yi = math.log(cells[0] * cells[3] / (cells[1] * cells[2]))
    sei = math.sqrt(sum(1 / x for x in cells))
    found = StudyInput(f"t:{label}", label, "OR", yi, sei, "counts", False, None, (a, c), (n1, n2), "rct",
                       3, "", 0, year=year)  # fmt: skip
    return replace(found, **more)


def analysis(studies: list[StudyInput], outcome: str = "live_birth", **more) -> Analysis:
    result = pool([s.yi for s in studies], [s.sei for s in studies], "dl")
    found = Analysis("ivig", outcome, "rif", "OR", "dl", False, "rif_definition", tuple(studies),
                     result.random, result.fixed, (), None, (), (), design="rct")  # fmt: skip
    return replace(found, **more)


LARGE = [study(f"Trial {i}", 2000 + i, (60, 200), (40, 200)) for i in range(6)]  # OR 1.71, no τ²
SMALL = [study("Alpha 2010", 2010, (8, 30), (5, 30)), study("Beta 2012", 2012, (10, 35), (7, 36))]
NULL = [study(f"Null {i}", 2000 + i, (60, 200), (60, 200)) for i in range(4)]


def test_firm_evidence_of_benefit_for_live_birth():
    # the pooled OR 1.71 itself needs few participants: the Z-curve overruns the RIS, and
    # (as RTSA) the spending is then of t / max t, so the last looks carry the boundary
    beyond = sequential_analysis(analysis(LARGE))
    assert beyond.verdict == "benefit" and beyond.crossed_at > 1 and beyond.information.required == 589
    assert beyond.verdict_text == (
        "Firm evidence of benefit: the Z-curve crosses the O'Brien–Fleming boundary at 1,200 participants, "
        "beyond the required 589."
    )
    s = sequential_analysis(analysis(LARGE), rrr=0.20)  # a 20 % increase matters: RIS over 3,000
    assert s.verdict == "benefit" and s.crossed_at < 1 and s.more_needed is None
    assert s.verdict_text.startswith("Firm evidence of benefit: the Z-curve crosses the O'Brien–Fleming")
    assert f"of the required {s.information.required:,} participants." in s.verdict_text
    crossing = next(look for look in s.looks if look.fraction == s.crossed_at)
    assert abs(crossing.z) >= crossing.efficacy
    assert s.information.control_risk == pytest.approx(0.2)  # 40/200 in every control arm
    assert s.information.control_risk_source == "pooled control arms of 6 studies (logit, random effects)"
    # the TSA-adjusted interval is wider than the conventional one
    low, high = s.adjusted_ci
    assert low < analysis(LARGE).pooled.ci_low and high > analysis(LARGE).pooled.ci_high


def test_the_same_increase_is_harm_when_the_outcome_is_a_harm():
    s = sequential_analysis(analysis(LARGE, outcome="miscarriage"), harmful=True, rrr=0.20)
    assert s.verdict == "harm" and s.verdict_text.startswith("Firm evidence of harm")


def test_a_decrease_of_a_harm_is_benefit():
    fewer = [replace(x, yi=-x.yi) for x in LARGE]
    s = sequential_analysis(analysis(fewer, outcome="miscarriage"), harmful=True, rrr=0.20)
    assert s.verdict == "benefit"
    assert s.information.treatment_risk == pytest.approx(0.8 * s.information.control_risk)


def test_no_effect_once_the_ris_is_reached_without_crossing():
    s = sequential_analysis(analysis(NULL), rrr=0.5)
    assert s.information.effect_source == "minimal important effect (given)"
    assert s.information.treatment_risk == pytest.approx(0.3 * 1.5)  # an increase of 50 % for a benefit
    assert s.accrued >= s.information.participants
    assert s.verdict == "no_effect" and "does not cross" in s.verdict_text


def test_no_effect_by_the_futility_wedge_before_the_ris():
    s = sequential_analysis(analysis(NULL[:2]), rrr=0.25, futility=True)
    assert s.accrued < s.information.participants
    assert s.verdict == "no_effect" and s.crossed_at < 1 and "futility wedge" in s.verdict_text
    assert sequential_analysis(analysis(NULL[:2]), rrr=0.25).verdict == "not_conclusive"  # without the wedge


def test_not_conclusive_says_how_many_more():
    s = sequential_analysis(analysis(SMALL))
    required, accrued = s.information.required, s.accrued
    assert s.verdict == "not_conclusive" and accrued == 131
    assert s.more_needed == required - accrued
    percent = round(100 * accrued / required)
    assert s.verdict_text == (
        f"Not conclusive: {accrued:,} of {required:,} required participants ({percent}%); "
        f"about {required - accrued:,} more needed."
    )


def test_studies_enter_in_publication_order_with_the_cumulative_z():
    unordered = [SMALL[1], study("Undated", None, (5, 20), (4, 20)), SMALL[0]]
    s = sequential_analysis(analysis(unordered))
    assert [look.label for look in s.looks] == ["Alpha 2010", "Beta 2012", "Undated"]
    assert [look.cumulative for look in s.looks] == [60, 131, 171]
    ordered = [SMALL[0], SMALL[1], unordered[1]]
    for k, look in enumerate(s.looks):
        part = ordered[: k + 1]
        assert look.z == pytest.approx(pool([x.yi for x in part], [x.sei for x in part], "dl").random.z)


def test_a_study_adding_under_one_percent_of_the_ris_is_no_analysis_time():
    tiny = study("Tiny 1999", 1999, (3, 6), (2, 6))
    s = sequential_analysis(analysis([tiny, *LARGE[:2]]), rrr=0.10)
    assert s.looks[0].fraction < 0.01 and s.looks[0].efficacy is None
    assert all(look.efficacy is not None for look in s.looks[1:])


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"kind": "association"}, "association"),
        ({"measure": "HR"}, "not HR"),
        ({"studies": (replace(LARGE[0], totals=None, events=None),)}, "number of participants"),
        ({"studies": (replace(LARGE[0], totals=None, events=None, sample_size=400),)}, "must be given"),
    ],
)  # fmt: skip
def test_no_tsa_says_why_in_plain_words(change, why):
    s = sequential_analysis(replace(analysis(LARGE), **change))
    assert s.why_not and why in s.why_not and s.verdict is None and s.information is None
    assert s.verdict_text.startswith("No trial sequential analysis: ")
    assert s.to_json()["why_not"] == s.why_not


def test_a_given_control_risk_is_used_and_said():
    only_size = [replace(x, totals=None, events=None, sample_size=400) for x in LARGE]
    s = sequential_analysis(analysis(only_size), control_risk=0.25)
    assert s.information.control_risk == 0.25 and s.information.control_risk_source == "given"


# --- the bundled corpus ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def ivig_live_birth(extracted_bundle):
    from rifkb.corpus.folder import load_corpus
    from rifkb.kb.papers import papers_from_store
    from rifkb.review.synthesis import synthesize

    with load_corpus(extracted_bundle).open_store() as store:
        papers = papers_from_store(store)
    found = synthesize(papers, intervention="ivig", outcome="live_birth", population="all")
    return {a.design: a for a in found}


def test_the_bundled_ivig_live_birth_analyses(ivig_live_birth):
    rct = sequential_analysis(ivig_live_birth["rct"])
    assert [look.label for look in rct.looks] == ["Stephenson 2000", "Christiansen 2015"]
    assert rct.accrued == 51 + 82 and rct.verdict == "not_conclusive"
    assert rct.verdict_text.startswith(f"Not conclusive: 133 of {rct.information.required:,} required")
    observational = sequential_analysis(ivig_live_birth["non_randomised"])
    assert observational.verdict in VERDICTS and observational.verdict_text.endswith(".")
    assert observational.looks[0].label == "Peero 2024"  # dated before undated
    assert observational.information.control_risk_source.startswith("pooled control arms of 2 studies")


def test_the_figure_is_the_same_bytes_twice(ivig_live_birth, tmp_path):
    s = sequential_analysis(ivig_live_birth["non_randomised"], futility=True)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = sequential_plot(s, tmp_path / "a"), sequential_plot(s, tmp_path / "b")
    stem = "tsa_ivig_live_birth_non_randomised"
    assert [p.name for p in first] == [f"{stem}.png", f"{stem}.svg"]
    assert first[1].read_bytes() == second[1].read_bytes()
    assert first[0].read_bytes() == second[0].read_bytes()
    svg = first[1].read_text()
    assert f"RIS = {s.information.required:,}" in svg and "Peero 2024" in svg


def test_a_refused_analysis_still_draws_its_reason():
    import matplotlib.pyplot as plt

    s = sequential_analysis(replace(analysis(LARGE), measure="HR"))
    fig = sequential_figure(s)
    assert any("No trial sequential analysis" in t.get_text() for t in fig.texts)
    plt.close(fig)


# --- continuous outcomes (issue 18: "from a minimal relevant difference and the pooled variance")


def _mean_study(label: str, year: int, means: tuple[tuple[float, float], tuple[float, float]],
                n: tuple[int, int]) -> StudyInput:  # fmt: skip
    """A trial's mean difference from its arms' means, SDs and sizes."""
    (m1, sd1), (m2, sd2) = means
    se = math.sqrt(sd1**2 / n[0] + sd2**2 / n[1])
    return StudyInput(f"t:{label}", label, "MD", m1 - m2, se, "means", False, None, None, n, "rct", 3, label,
                      0, means=means, year=year)  # fmt: skip


def _continuous(studies: list[StudyInput], measure: str = "MD") -> Analysis:
    result = pool([s.yi for s in studies], [s.sei for s in studies], "dl", ratio=False)
    return Analysis("ivig", "endometrial_thickness", "rif", measure, "dl", False, "rif_definition",
                    tuple(studies), result.random, result.fixed, (), None, (), (), design="rct")  # fmt: skip


MEANS = [_mean_study("One 2015", 2015, ((9.1, 1.8), (8.4, 2.0)), (40, 42)),
         _mean_study("Two 2019", 2019, ((9.4, 2.2), (8.6, 1.9)), (55, 50))]  # fmt: skip


def test_a_continuous_outcome_sizes_its_information_from_the_pooled_variance():
    """TSA manual (continuous outcomes): N = 4 (z₀.₉₇₅ + z₀.₈)² σ² / δ² / (1 − D²), σ² the
    arms' variances pooled by their degrees of freedom, δ the pooled mean difference."""
    a = _continuous(MEANS)
    s = sequential_analysis(a)
    variance = sum((n - 1) * sd**2 for st in MEANS for (_, sd), n in zip(st.means, st.totals, strict=True))
    variance /= sum(n - 1 for st in MEANS for n in st.totals)
    z = stats.norm.isf(0.025) + stats.norm.isf(0.2)
    d2 = s.information.diversity
    expected = 4 * z**2 * variance / a.pooled.estimate**2 / (1 - d2)
    assert s.information.variance == pytest.approx(variance)
    assert s.information.participants == pytest.approx(expected)
    assert s.verdict in ("benefit", "not_conclusive") and s.estimate == pytest.approx(a.pooled.estimate)
    low, high = s.adjusted_ci
    assert low < a.pooled.estimate < high  # a difference, not exponentiated


def test_a_minimal_relevant_difference_and_an_smd():
    given = sequential_analysis(_continuous(MEANS), difference=0.5)
    assert given.information.difference == 0.5 and "given" in given.information.effect_source
    smd = sequential_analysis(replace(_continuous(MEANS), measure="SMD"))
    assert smd.information.variance == 1.0
    # a study without arm sizes gives no variance: said, not guessed
    unsized = replace(_continuous(MEANS), studies=(replace(MEANS[0], totals=None, sample_size=82), MEANS[1]))
    assert "variance" in sequential_analysis(unsized).why_not
