"""The living views: cumulative meta-analysis and Egger's test against R's metafor
(`cumul`, `regtest(model = "lm")`), the 10-study minimum, and the cumulative forest and
funnel plots (their content, and the same bytes twice)."""

from __future__ import annotations

import csv
import dataclasses
import math

import pytest

from rifkb.review.living import (
    cumulative,
    cumulative_figure,
    cumulative_plot,
    funnel_figure,
    funnel_plot,
    small_study_effects,
)
from rifkb.review.synthesis import Stratum
from tests.analyses import analysis, bcg_studies, bundle_analyses, study
from tests.rcheck import run_r

_ROWS = 'cat("[", paste(apply(m, 1, function(r) paste0("[", paste(sprintf("%.10f", r), collapse = ", "), "]")), collapse = ", "), "]")'  # noqa: E501


def _csv(tmp_path, studies):
    data = tmp_path / "studies.csv"
    with data.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["label", "year", "yi", "sei"])
        writer.writerows([s.label, s.year, repr(s.yi), repr(s.sei)] for s in studies)
    return data


# --- cumulative meta-analysis ----------------------------------------------------------------


@pytest.mark.parametrize(("method", "hk"), [("dl", False), ("reml", False), ("dl", True)])
def test_cumulative_agrees_with_metafor_cumul(tmp_path, method, hk):
    """metafor's cumul(rma(yi, sei, method), order = year) on dat.bcg's 13 trials, given in
    the dataset's order (not by year): every step's estimate, CI, τ², I² and p."""
    studies = bcg_studies()
    data = _csv(tmp_path, studies)
    test = "knha" if hk else "z"
    expected = run_r(f'd <- read.csv("{data}"); '
                     f'r <- rma(yi, sei = sei, data = d, method = "{method.upper()}", test = "{test}"); '
                     'cu <- cumul(r, order = year); '
                     'm <- cbind(cu$estimate, cu$ci.lb, cu$ci.ub, cu$tau2, cu$I2 / 100, cu$pval); '
                     f"{_ROWS}")  # fmt: skip
    steps = cumulative(analysis(studies, measure="RR", method=method, hartung_knapp=hk))
    assert [s.k for s in steps] == list(range(1, 14))
    assert [s.year for s in steps] == sorted(s.year for s in studies)
    got = [[s.yi, math.log(s.ci_low), math.log(s.ci_high), s.tau2, s.i2, s.p] for s in steps]
    for ours, theirs in zip(got, expected, strict=True):
        assert ours == pytest.approx(theirs, abs=1e-4)


def test_cumulative_orders_by_year_then_label_and_puts_an_unknown_year_last():
    studies = [study("Zed 2019", 0.1, 0.3, year=2019), study("No year", 0.2, 0.4, year=None),
               study("Abe 2019", 0.3, 0.5, year=2019), study("Old 2001", 0.4, 0.6, year=2001)]  # fmt: skip
    steps = cumulative(analysis(studies))
    assert [(s.added, s.year, s.k) for s in steps] == [
        ("Old 2001", 2001, 1), ("Abe 2019", 2019, 2), ("Zed 2019", 2019, 3), ("No year", None, 4),
    ]  # fmt: skip
    # the first step is the oldest study alone: its own estimate, the last the whole analysis
    assert steps[0].estimate == pytest.approx(math.exp(0.4)) and steps[0].tau2 == 0
    whole = analysis(studies).pooled
    last = steps[-1]
    assert (last.estimate, last.ci_low, last.i2) == pytest.approx((whole.estimate, whole.ci_low, whole.i2))


def test_a_subgroup_kept_apart_never_joins_the_cumulative_analysis():
    studies = [study("A 2010", 0.2, 0.3, year=2010), study("B 2012", 0.5, 0.4, year=2012)]
    apart = study("B 2012", 1.5, 0.5, year=2012, subgroup="severe RIF")
    single = analysis([apart])
    strata = (Stratum("subgroup: severe RIF (B 2012)", (apart,), single.pooled, single.fixed, subgroup=True),)
    steps = cumulative(analysis(studies, strata=strata))
    assert [s.added for s in steps] == ["A 2010", "B 2012"]
    assert steps[-1].estimate == pytest.approx(analysis(studies).pooled.estimate)


def test_the_bundled_corpus_non_randomised_analysis_grows_from_peero(extracted_bundle):
    """Peero 2024 (2024) first; the study whose record gives no year last; Peero's severe
    uRIF subgroup (a stratum of its own) is not a step."""
    (a,) = [a for a in bundle_analyses(extracted_bundle) if a.design == "non_randomised"]
    steps = cumulative(a)
    assert [s.k for s in steps] == [1, 2] and steps[0].added == "Peero 2024" and steps[-1].year is None
    assert steps[-1].estimate == pytest.approx(a.pooled.estimate)
    assert any(s.subgroup or any(x.rif_from_subgroup for x in s.studies) for s in a.strata)


# --- Egger's test ----------------------------------------------------------------------------

# metafor 3.8-1: regtest(rma(yi, vi, data = escalc("RR", ...dat.bcg), method = "DL"), model = "lm")
# t = -1.4013, df = 11, p = 0.1887; limit estimate b = -0.1909 (CI: -0.6753, 0.2935)
PRINTED = {"statistic": -1.4013, "df": 11, "p": 0.1887, "limit_estimate": -0.1909, "limit_ci_low": -0.6753,
           "limit_ci_high": 0.2935}  # fmt: skip


def test_egger_reproduces_metafors_printed_bcg_result():
    test = small_study_effects(analysis(bcg_studies(), measure="RR"))
    assert test.why_not is None and test.k == 13
    assert {key: getattr(test, key) for key in PRINTED} == pytest.approx(PRINTED, abs=1e-4)


def test_egger_agrees_with_metafor_regtest():
    """metafor computes yi and vi from dat.bcg's counts with escalc; Python from the same
    counts, written in tests/analyses.py."""
    expected = run_r('d <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg); '
                     'rt <- regtest(rma(yi, vi, data = d, method = "DL"), model = "lm", ret.fit = TRUE); '
                     'cs <- coef(summary(rt$fit)); '
                     'cat(sprintf("[%.10f, %.10f, %.10f, %.10f, %d, %.10f, %.10f, %.10f]", '
                     'cs[2, 1], cs[2, 2], rt$zval, rt$pval, rt$dfs, rt$est, rt$ci.lb, rt$ci.ub))'
                     )  # fmt: skip
    test = small_study_effects(analysis(bcg_studies(), measure="RR"))
    got = [test.intercept, test.intercept_se, test.statistic, test.p, test.df, test.limit_estimate,
           test.limit_ci_low, test.limit_ci_high]  # fmt: skip
    assert got == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("k", [0, 1, 2, 9])
def test_egger_needs_ten_studies(k):
    one = analysis(bcg_studies(1), measure="RR")
    a = dataclasses.replace(one, studies=()) if k == 0 else analysis(bcg_studies(k), measure="RR")
    test = small_study_effects(a)
    assert test.why_not == (f"Egger's test needs at least 10 studies (Cochrane Handbook 13.3.5.4); "
                            f"this analysis has k = {k}")  # fmt: skip
    assert (test.intercept, test.statistic, test.p) == (None, None, None)


def test_egger_runs_from_ten_studies_and_not_on_equal_standard_errors():
    assert small_study_effects(analysis(bcg_studies(10), measure="RR")).p is not None
    equal = [study(f"S{i} 2020", 0.1 * i, 0.2) for i in range(12)]
    assert "all equal" in small_study_effects(analysis(equal)).why_not


# --- figures ---------------------------------------------------------------------------------


def _texts(fig) -> str:
    return "\n".join(t.get_text() for ax in [fig, *fig.axes] for t in ax.texts)


def test_the_cumulative_plot_has_a_row_per_step_and_a_log_axis():
    a = analysis(bcg_studies(), measure="RR")
    fig = cumulative_figure(a, cumulative(a))
    text = _texts(fig)
    assert "+ Aronson 1948 (k = 1)" in text and "+ TPT Madras 1980 (k = 13)" in text
    # the last step, the whole analysis: exp(-0.7141), exp(-1.0644), exp(-0.3638) (metafor, DL)
    assert "0.49 [0.34, 0.70]" in text
    plot = fig.axes[1]
    assert plot.get_xscale() == "log" and "Favours control" in text


def test_the_funnel_plot_axes_and_caption():
    small = analysis(bcg_studies(3), measure="RR")
    fig = funnel_figure(small)
    (ax,) = fig.axes
    assert ax.get_xscale() == "log" and ax.get_ylim()[1] == 0 and ax.get_ylim()[0] > 0  # 0 at the top
    assert "cannot be tested" in _texts(fig) and "k = 3" in _texts(fig)
    big = funnel_figure(analysis(bcg_studies(), measure="RR"))
    assert "Egger's test: intercept -2.11" in _texts(big) and "cannot" not in _texts(big)
    difference = funnel_figure(analysis([study(f"S{i}", 0.1 * i, 0.1 + 0.05 * i) for i in range(4)],
                                        measure="MD"))  # fmt: skip
    assert difference.axes[0].get_xscale() == "linear"


def test_a_funnel_plot_needs_three_studies():
    with pytest.raises(ValueError, match="at least 3"):
        funnel_figure(analysis(bcg_studies(2), measure="RR"))


@pytest.mark.parametrize(("draw", "stem"), [(cumulative_plot, "cumulative"), (funnel_plot, "funnel")])
def test_figures_are_the_same_bytes_twice(tmp_path, draw, stem):
    a = analysis(bcg_studies(), measure="RR")
    paths = []
    for run in ("one", "two"):
        folder = tmp_path / run
        folder.mkdir()
        paths.append(draw(a, folder))
    one, two = paths
    assert [p.name for p in one] == [f"{stem}_ivig_live_birth_rct.png", f"{stem}_ivig_live_birth_rct.svg"]
    for x, y in zip(one, two, strict=True):
        assert x.read_bytes() == y.read_bytes()
