"""Meta-regression: against metafor's rma(yi, sei, mods = ~ x) on dat.bcg, the record's
rules (at least 4 points, missing moderators counted, a study's own subgroups as points of
their own with a caveat), the bundled corpus, doses as g/kg, and the bubble plot."""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest

from rifkb.records import Dose, Evidence
from rifkb.review.meta import pool
from rifkb.review.metaregression import (
    SUBGROUP_CAVEAT,
    bubble_figure,
    bubble_plot,
    caption,
    fit,
    meta_regression,
    meta_regressions,
)
from rifkb.review.synthesis import Stratum
from tests.analyses import analysis, bcg_studies, bundle_analyses, study
from tests.rcheck import run_r

# dat.bcg's absolute latitudes, in the dataset's row order (metafor's help page)
ABLAT = [44, 55, 42, 52, 13, 44, 19, 13, 27, 42, 18, 33, 33]
_R_FIT = ('d <- escalc("RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg); '
          'r <- rma(yi, sei = sqrt(vi), mods = ~ {x}, data = d, method = "{method}", '
          'control = list(threshold = 1e-10)); '
          'v <- c(coef(r), r$se, r$tau2, r$QM, r$QE, r$R2 / 100, r$I2 / 100, r$QMp, r$QEp, '
          'r$ci.lb, r$ci.ub, r$pval); '
          'cat("[", paste(sprintf("%.10f", v), collapse = ", "), "]")')  # fmt: skip


def _theirs(x: str, method: str) -> list[float]:
    return run_r(_R_FIT.format(x=x, method=method))


def _ours(f) -> list[float]:  # noqa: ANN001
    i, s = f.intercept, f.slope
    return [i.estimate, s.estimate, i.se, s.se, f.tau2, f.qm, f.qe, f.r2, f.i2, f.qm_p, f.qe_p,
            i.ci_low, s.ci_low, i.ci_high, s.ci_high, i.p, s.p]  # fmt: skip


@pytest.mark.parametrize(("x", "method"), [("ablat", "REML"), ("ablat", "DL"), ("year", "REML")])
def test_fit_agrees_with_metafor_on_bcg(x, method):
    """Intercept, slope, SEs, τ², QM, QE, R², I², p values and z intervals to 1e-4; metafor
    computes yi and vi from dat.bcg's counts, Python from the same counts (tests/analyses.py).
    metafor's REML stops when τ² changes by less than 1e-5 (its default threshold), which
    leaves QM 1e-3 from the maximum on ablat: it is asked to converge as far as rifkb does."""
    studies = bcg_studies()
    moderator = ABLAT if x == "ablat" else [s.year for s in studies]
    ours = fit([s.yi for s in studies], [s.sei for s in studies], moderator, method.lower())
    assert _ours(ours) == pytest.approx(_theirs(x, method), abs=1e-4)


def test_the_record_fits_the_studies_moderator():
    """Through meta_regression, latitude set by hand as the moderator the record reads (the
    RIF definition's field): the same numbers as the seam, and as the published fit
    (Viechtbauer 2010, section 3.4: slope −0.0291, SE 0.0072, τ² 0.0764)."""
    studies = [replace(s, rif_min_failed_transfers=a) for s, a in zip(bcg_studies(), ABLAT, strict=True)]
    m = meta_regression(analysis(studies, measure="RR"), "rif_min_failed_transfers")
    assert m.why_not is None and m.k == 13 and [p.x for p in m.points] == ABLAT
    assert (m.fit.slope.estimate, m.fit.slope.se, m.fit.tau2) == pytest.approx(
        (-0.0291, 0.0072, 0.0764), abs=1e-4
    )
    assert any("exploratory" in c for c in m.caveats) is False  # 13 points: not below ten
    written = json.loads(json.dumps(m.to_json()))
    assert written["fit"]["slope"]["estimate"] == m.fit.slope.estimate and len(written["points"]) == 13
    year = meta_regression(analysis(studies, measure="RR"), "year", method="dl")
    assert [p.x for p in year.points] == [s.year for s in studies] and year.method == "dl"


def test_the_model_without_the_moderator_is_the_analysis_pooling():
    """R²'s reference τ² is the intercept-only model's: rifkb.review.meta's pooled τ²."""
    studies = bcg_studies()
    yi, sei = [s.yi for s in studies], [s.sei for s in studies]
    for method in ("reml", "dl"):
        assert fit(yi, sei, ABLAT, method).tau2_without == pytest.approx(
            pool(yi, sei, method).random.tau2, abs=1e-8
        )


def test_fewer_than_four_points_give_why_not_in_plain_words():
    studies = [study("A 2001", 0.1, 0.3), study("B 2002", 0.4, 0.2, rif=None), study("C 2003", -0.2, 0.4)]
    m = meta_regression(analysis(studies), "rif_min_failed_transfers")
    assert m.fit is None
    assert (
        m.why_not == "meta-regression needs at least 4 studies with the moderator known; this analysis has 2"
    )
    assert m.missing == ("B 2002",) and m.to_json()["fit"] is None
    json.dumps(m.to_json())


def test_points_without_the_moderator_are_dropped_and_counted():
    studies = [study(f"S{i} 20{10 + i}", 0.1 * i, 0.3, rif=2 + i % 3) for i in range(5)]
    studies += [study("No definition 2019", 0.5, 0.3, rif=None), study("No year", 0.2, 0.3, year=None)]
    m = meta_regression(analysis(studies), "rif_min_failed_transfers")
    assert m.k == 6 and m.missing == ("No definition 2019",)
    assert "1 left out, moderator not known: No definition 2019" in m.caveats
    assert any("exploratory: 6 points" in c and "10.11.4" in c for c in m.caveats)
    assert meta_regression(analysis(studies), "year").missing == ("No year",)


def test_a_moderator_with_one_value_is_not_regressed():
    studies = [study(f"S{i}", 0.1 * i, 0.3) for i in range(5)]  # all RCTs
    m = meta_regression(analysis(studies), "design")
    assert m.fit is None and "one value only" in m.why_not
    assert [x.moderator for x in meta_regressions(analysis(studies))] == [
        "rif_min_failed_transfers", "year", "dose_g_per_kg"]  # fmt: skip
    combined = analysis(studies, design="all_designs")
    assert [x.moderator for x in meta_regressions(combined)][2] == "design"


def test_a_study_subgroup_enters_as_its_own_point_with_the_caveat():
    """Peero 2024's '≥5 failed transfers' subgroup beside its whole population: the study
    enters twice, and the caveat names it."""
    studies = [study("A 2015", 0.2, 0.3, rif=2), study("B 2017", 0.1, 0.25, rif=3),
               study("C 2019", 0.4, 0.35, rif=3), study("Peero 2024", 0.3, 0.2, rif=3)]  # fmt: skip
    sub = replace(
        study("Peero 2024", 0.9, 0.4, rif=5, subgroup="≥5 failed transfers"), rif_from_subgroup=True
    )
    strata = (Stratum("subgroup: ≥5 failed transfers (Peero 2024)", (sub,), *_pooled(sub), subgroup=True),)
    m = meta_regression(analysis(studies, strata=strata), "rif_min_failed_transfers")
    assert m.k == 5 and m.points[-1].x == 5 and m.points[-1].subgroup == "≥5 failed transfers"
    assert m.points[-1].label == "Peero 2024 (≥5 failed transfers)"
    caveat = next(c for c in m.caveats if c.startswith(SUBGROUP_CAVEAT))
    assert "Cochrane Handbook 10.11.2" in caveat and "enter twice: Peero 2024" in caveat
    # year: the subgroup shares its study's year and would only count its patients twice
    assert meta_regression(analysis(studies, strata=strata), "year").k == 4


def _pooled(s):  # noqa: ANN001, ANN202
    p = pool([s.yi], [s.sei])
    return p.random, p.fixed


def test_the_bundled_ivig_live_birth_analyses_are_too_small(extracted_bundle):
    found = bundle_analyses(extracted_bundle)
    assert found
    for a in found:
        m = meta_regression(a, "rif_min_failed_transfers")
        assert m.fit is None and m.why_not.startswith("meta-regression needs at least 4 studies")
        assert m.why_not.endswith(f"this analysis has {m.k}") and m.k < 4


def _dose(amount: float, unit: str, intervention: str = "ivig") -> Dose:
    return Dose(intervention, amount, unit, "kg", None, None, Evidence("test", 0, 0, "dose", "test"))


def test_doses_become_grams_per_kg():
    studies = [study("A 2015", 0.2, 0.3), study("B 2017", 0.1, 0.25), study("C 2019", 0.4, 0.35)]
    studies = [replace(studies[0], doses=(_dose(400, "mg"),)),
               replace(studies[1], doses=(_dose(20, "mL", "intralipid"), _dose(0.5, "g"))),
               studies[2]]  # fmt: skip
    m = meta_regression(analysis(studies), "dose_g_per_kg")
    assert [(p.label, p.x) for p in m.points] == [
        ("A 2015", pytest.approx(0.4)),
        ("B 2017", pytest.approx(0.5)),
    ]
    assert m.missing == ("C 2019",) and any("65 kg" in c for c in m.caveats)


def _bcg_regression():
    studies = [replace(s, rif_min_failed_transfers=a) for s, a in zip(bcg_studies(), ABLAT, strict=True)]
    return meta_regression(analysis(studies, measure="RR"), "rif_min_failed_transfers")


def test_bubble_plot_is_deterministic_and_captioned(tmp_path):
    m = _bcg_regression()
    first, second = bubble_plot(m, tmp_path), bubble_plot(m, tmp_path / "again")
    assert [p.name for p in first] == ["bubble_ivig_live_birth_rct_rif_min_failed_transfers.png",
                                       "bubble_ivig_live_birth_rct_rif_min_failed_transfers.svg"]  # fmt: skip
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    lines = caption(m)
    slope = "Slope -0.029 (95% CI -0.043 to -0.015) (RR × 0.971 per failed transfer), p < 0.001"
    assert lines[0].startswith(slope)
    # the SVG draws glyphs as paths: the caption is read from the figure's text
    assert any(lines[0] in t.get_text() for t in bubble_figure(m).texts)


def test_no_figure_without_a_fit():
    m = meta_regression(analysis([study("A", 0.1, 0.3)]), "year")
    with pytest.raises(ValueError, match="at least 4 studies"):
        bubble_figure(m)


def test_a_mean_difference_regression_draws_on_a_linear_axis(tmp_path):
    studies = [study(f"S{i} 20{10 + i}", 0.5 * i - 1, 0.4, measure="MD", rif=2 + i) for i in range(5)]
    m = meta_regression(analysis(studies, measure="MD"), "rif_min_failed_transfers")
    assert not m.ratio and m.fit is not None
    fig = bubble_figure(m, {"ivig": "IVIg", "live_birth": "live birth"})
    assert fig.axes[0].get_yscale() == "linear" and fig.axes[0].get_title(loc="left").startswith(
        "IVIg versus"
    )
    assert not math.isnan(m.fit.slope.se)
