"""GRADE summary of findings: each domain's rule on analyses built for it, the starting
level and the floor, absolute effects per 1,000 checked by hand, lettered footnotes, the
flat table, and the bundled corpus's IVIg → live birth analyses graded end to end."""

from __future__ import annotations

import dataclasses
import math

import pytest

from rifkb.review.certainty import (
    SOF_COLUMNS,
    Judgement,
    absolute_effects,
    certainty_level,
    imprecision,
    inconsistency,
    indirectness,
    publication_bias,
    risk_of_bias_judgement,
    sof_rows,
    sof_table_rows,
    starting_level,
    summary_of_findings,
    total_participants,
)
from rifkb.review.living import SmallStudyEffects, small_study_effects
from tests.analyses import analysis, bcg_studies, bundle_analyses, study


def _studies(yi, sei, **options):
    return [study(f"S{i} 20{10 + i}", y, s, **options) for i, (y, s) in enumerate(zip(yi, sei, strict=True))]


# --- starting level, risk of bias, the floor ---------------------------------------------------


@pytest.mark.parametrize(
    ("design", "level", "noted"), [("rct", 4, False), ("non_randomised", 2, False), ("all_designs", 2, True)]
)
def test_starting_level(design, level, noted):
    start, note = starting_level(design)
    assert start == level and bool(note) == noted
    assert not noted or "pooled together" in note and "GRADE Handbook 5.1" in note


@pytest.mark.parametrize(
    ("given", "judgement", "downgrade", "reason"),
    [
        (None, "not assessed", 0, "Risk of bias not assessed from abstracts; record a judgement to grade it"),
        ("not serious", "not serious", 0, ""),
        ("serious", "serious", 1, "Risk of bias judged serious by the reviewer"),
        ("very serious", "very serious", 2, "Risk of bias judged very serious by the reviewer"),
    ],
)
def test_risk_of_bias_is_a_reviewers_judgement(given, judgement, downgrade, reason):
    found = risk_of_bias_judgement(given)
    assert (found.judgement, found.downgrade, found.reason) == (judgement, downgrade, reason)


def test_an_unknown_risk_of_bias_judgement_is_refused():
    with pytest.raises(ValueError, match="not serious, serious, very serious"):
        risk_of_bias_judgement("high")


@pytest.mark.parametrize(
    ("start", "judgements", "level"),
    [
        (4, ["not serious"] * 5, 4),
        (4, ["serious", "not assessed", "not serious", "serious", "not assessed"], 2),
        (4, ["very serious", "serious", "not serious", "not serious", "not serious"], 1),
        (2, ["not assessed"] * 5, 2),
        (2, ["serious", "very serious", "serious", "very serious", "serious"], 1),  # never below very low
    ],
)
def test_certainty_is_the_start_less_the_levels_lost(start, judgements, level):
    assert certainty_level(start, [Judgement("d", j) for j in judgements]) == level


# --- inconsistency ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yi", "se", "judgement", "noted"),
    [
        ([0.5], 0.3, "not assessed", "One study: inconsistency not assessed"),
        # τ² = 0: a prediction interval on 1 df is wide, but there is no heterogeneity
        ([0.5, 0.55, 0.6], 0.1, "not serious", ""),
        ([-0.2, 0.1, 0.4, 0.0], 0.25, "not serious", ""),  # I² 0 %, the CI includes 1
        ([-0.3, 0.2, 0.6, 0.1], 0.3, "not serious", ""),  # I² 34 %, both sides, the CI includes 1
        # I² 39 %; the prediction interval 0.66 to 3.84 includes 1, the CI 1.24 to 2.04 does not
        ([0.2, 0.5, 0.8, 0.35], 0.2, "serious", "the prediction interval includes no effect"),
        ([0.5, 0.8, 1.15], 0.17, "serious", "I² = 73%"),  # I² 50–75 %
        ([0.1, 1.5], 0.2, "serious", "no prediction interval (fewer than 3 studies): I² ≥ 50%"),
        ([0.1, 1.0, 2.0], 0.15, "serious", "I² = 98%"),  # I² ≥ 75 %, every estimate above 1
        ([-0.8, 0.3, 1.4], 0.15, "very serious", "both sides of no effect"),
        ([-0.4, 0.3, 0.9], 0.25, "very serious", "I² = 85%"),
    ],
)
def test_inconsistency(yi, se, judgement, noted):
    found = inconsistency(analysis(_studies(yi, [se] * len(yi))))
    assert found.judgement == judgement
    assert noted in found.reason and bool(found.reason) == bool(noted)


# --- indirectness -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "harmful", "rif", "judgement", "noted"),
    [
        ("live_birth", False, [3, 3, None], "not serious", ""),  # 1 of 3: not most
        ("live_birth", False, [3, None], "not serious", ""),  # half is not most
        ("live_birth", False, [None, None, 4], "serious", "2 of 3 studies do not state their RIF definition"),
        ("clinical_pregnancy", False, [3, 3], "serious", "The outcome, clinical pregnancy, is a surrogate"),
        ("clinical_pregnancy", False, [None], "very serious", "surrogate for live birth; 1 of 1 studies"),
        ("miscarriage", True, [3, 2], "not serious", ""),  # a harm counts in its own right
        ("miscarriage", True, [None, None], "serious", "2 of 2 studies"),
    ],
)
def test_indirectness(outcome, harmful, rif, judgement, noted):
    studies = [study(f"S{i}", 0.1, 0.2, rif=n) for i, n in enumerate(rif)]
    found = indirectness(analysis(studies, outcome=outcome), harmful)
    assert found.judgement == judgement
    assert noted in found.reason and bool(found.reason) == bool(noted)


# --- imprecision --------------------------------------------------------------------------------

# two studies of each: OR 2.0 pooled to (1.43 to 2.79), excluding 1; OR 1.2 to (0.82 to 1.76), including it
_EXCLUDES, _INCLUDES = (math.log(2.0), 0.24), (math.log(1.2), 0.275)


@pytest.mark.parametrize(
    ("effect", "totals", "ois", "judgement", "noted"),
    [
        (_EXCLUDES, [(100, 100), (150, 150)], 400, "not serious", ""),
        (_EXCLUDES, [(100, 100), (150, 150)], None, "not serious", "optimal information size was not given"),
        (_EXCLUDES, [(100, 100), (50, 50)], 400, "serious", "300 participants, fewer than the optimal"),
        (_INCLUDES, [(100, 100), (150, 150)], 400, "serious", "95% CI 0.82 to 1.76 includes no effect"),
        (_INCLUDES, [(100, 100), (50, 50)], 400.2, "very serious", "than the optimal information size (401)"),
        (_INCLUDES, [(100, 100), None], 400, "serious", "not known for every study"),
        (_INCLUDES, [(100, 100), (150, 150)], None, "serious", "includes no effect (OR 1); the optimal"),
    ],
)  # fmt: skip
def test_imprecision(effect, totals, ois, judgement, noted):
    studies = [study("One study", *effect, totals=totals[0]), study("Twin", *effect, totals=totals[1])]
    a = analysis(studies)
    found = imprecision(a, total_participants(a.studies), ois)
    assert found.judgement == judgement
    assert noted in found.reason and bool(found.reason) == bool(noted)


def test_imprecision_of_a_difference_looks_for_zero():
    a = analysis(_studies([1.5, 2.0], [0.5, 0.6]), measure="MD")  # MD 1.70 (0.95 to 2.46)
    assert imprecision(a, 400, 100).judgement == "not serious"
    b = analysis(_studies([-1.0, 2.0], [1.0, 1.2]), measure="MD")
    assert "includes no effect (MD 0)" in imprecision(b, 400, 100).reason


def test_participants_are_unknown_when_one_study_gives_none():
    assert total_participants([study("A", 0, 1, totals=(10, 12)), study("B", 0, 1, totals=(5, 5))]) == 32
    assert total_participants([study("A", 0, 1, totals=(10, 12)), study("B", 0, 1)]) is None


# --- publication bias ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("test", "judgement", "noted"),
    [
        (None, "not assessed", "Publication bias not assessed: no test for small-study effects was run"),
        (SmallStudyEffects(4, why_not="Egger's test needs at least 10 studies (Cochrane Handbook 13.3.5.4); "
                                      "this analysis has k = 4"), "not assessed", "this analysis has k = 4"),
        (SmallStudyEffects(12, p=0.03), "serious", "p = 0.030 (k = 12), below 0.10"),
        (SmallStudyEffects(12, p=0.10), "not serious", ""),
        (SmallStudyEffects(12, p=0.40), "not serious", ""),
    ],
)  # fmt: skip
def test_publication_bias(test, judgement, noted):
    found = publication_bias(test)
    assert (found.judgement, found.downgrade) == (judgement, 1 if judgement == "serious" else 0)
    assert noted in found.reason and bool(found.reason) == bool(noted)


# --- absolute effects per 1,000 -----------------------------------------------------------------


def test_absolute_effects_from_an_odds_ratio():
    """OR 2.0 (1.2 to 3.5), control risk 25 %: Pe = OR·Pc / (1 − Pc + OR·Pc)
    = 0.5 / 1.25 = 0.400; 0.3 / 1.05 = 0.2857; 0.875 / 1.625 = 0.5385."""
    effects, why_not = absolute_effects("OR", (2.0, 1.2, 3.5), 0.25)
    assert why_not is None
    assert (effects.control, effects.intervention, effects.intervention_low, effects.intervention_high) == (
        250, 400, 286, 538)  # fmt: skip
    assert (effects.difference, effects.difference_low, effects.difference_high) == (150, 36, 288)
    assert effects.difference_text() == "150 more per 1,000 (from 36 more to 288 more)"
    assert effects.intervention_text() == "400 (286 to 538)"


def test_absolute_effects_from_a_risk_ratio():
    """RR 0.8 (0.5 to 1.3), control risk 30 %: Pe = RR·Pc = 240 (150 to 390) per 1,000."""
    effects, _ = absolute_effects("RR", (0.8, 0.5, 1.3), 0.30)
    assert (effects.control, effects.intervention, effects.intervention_low, effects.intervention_high) == (
        300, 240, 150, 390)  # fmt: skip
    assert effects.difference_text() == "60 fewer per 1,000 (from 150 fewer to 90 more)"
    # a risk ratio cannot take a risk past 1,000 per 1,000
    assert absolute_effects("RR", (4.0, 2.0, 6.0), 0.4)[0].intervention_high == 1000


def test_per_1000_rounds_half_away_from_zero():
    effects, _ = absolute_effects("RR", (1.0, 1.0, 1.0), 0.0125)
    assert effects.control == 13  # round() would give 12


@pytest.mark.parametrize(
    ("measure", "control_risk", "noted"),
    [("MD", 0.3, "continuous outcome"), ("SMD", 0.3, "continuous outcome"), ("HR", 0.3, "hazard ratio"),
     ("OR", None, "No control risk given")],
)  # fmt: skip
def test_no_absolute_effects_without_a_risk_ratio_or_a_control_risk(measure, control_risk, noted):
    effects, why_not = absolute_effects(measure, (1.5, 1.1, 2.0), control_risk)
    assert effects is None and noted in why_not


# --- a whole row ----------------------------------------------------------------------------------


def test_footnotes_are_lettered_in_the_order_of_the_columns():
    studies = _studies([-0.8, 0.3, 1.4], [0.15] * 3, rif=None)
    a = analysis(studies, outcome="clinical_pregnancy", design="all_designs")
    row = summary_of_findings(a, optimal_information_size=10_000, small_study=small_study_effects(a))
    assert [(f.letter, f.about) for f in row.footnotes] == [
        ("a", "absolute effects"), ("b", "start"), ("c", "risk of bias"), ("d", "inconsistency"),
        ("e", "indirectness"), ("f", "imprecision"), ("g", "publication bias"),
    ]  # fmt: skip
    assert [d.footnote for d in row.domains] == ["c", "d", "e", "f", "g"]
    # low, less inconsistency (2), indirectness (2), imprecision (1 or 2): very low
    assert (row.start, row.certainty, row.symbols) == ("low", "very low", "⊕◯◯◯")
    assert row.certainty_text() == "⊕◯◯◯ very low (b, c, d, e, f, g)"


@pytest.mark.parametrize(
    ("risk_of_bias", "level", "symbols"),
    [(None, "high", "⊕⊕⊕⊕"), ("serious", "moderate", "⊕⊕⊕◯"), ("very serious", "low", "⊕⊕◯◯")],
)
def test_a_precise_consistent_rct_analysis_stays_high_unless_a_reviewer_judges(risk_of_bias, level, symbols):
    a = analysis(_studies([0.7, 0.75, 0.8], [0.1] * 3, totals=(300, 300)))
    row = summary_of_findings(a, optimal_information_size=1000, risk_of_bias=risk_of_bias,
                              small_study=small_study_effects(a))  # fmt: skip
    assert (row.certainty, row.symbols, row.participants, row.studies) == (level, symbols, 1800, 3)


def test_an_analysis_of_subgroups_only_has_nothing_to_grade():
    a = dataclasses.replace(analysis(bcg_studies(2), measure="RR"), pooled=None)
    with pytest.raises(ValueError, match="subgroups only"):
        summary_of_findings(a)
    with pytest.raises(ValueError, match="between 0 and 1"):
        summary_of_findings(analysis(bcg_studies(2), measure="RR"), control_risk=34)


# --- the bundled corpus -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def ivig_live_birth(extracted_bundle):
    return {a.design: a for a in bundle_analyses(extracted_bundle)}


def test_the_bundled_non_randomised_ivig_live_birth_row(ivig_live_birth):
    """Peero 2024's cohort and one other, OR 3.89 (1.91 to 7.91), 171 participants: starts
    low, imprecise for want of participants, so very low."""
    a = ivig_live_birth["non_randomised"]
    pc = 32 / 94  # Peero 2024's control arm
    row = summary_of_findings(a, control_risk=pc, control_risk_source="Peero 2024's control arm (32/94)",
                              optimal_information_size=400, small_study=small_study_effects(a))  # fmt: skip
    assert (row.design, row.measure, row.studies, row.participants) == ("non_randomised", "OR", 2, 171)
    assert row.relative == pytest.approx((3.89, 1.91, 7.91), abs=0.005)
    judged = {d.domain: d.judgement for d in row.domains}
    assert judged == {"risk of bias": "not assessed", "inconsistency": "not serious",
                      "indirectness": "not serious", "imprecision": "serious",
                      "publication bias": "not assessed"}  # fmt: skip
    assert (row.start, row.certainty, row.symbols) == ("low", "very low", "⊕◯◯◯")
    notes = {f.about: (f.letter, f.text) for f in row.footnotes}
    assert list(notes) == ["absolute effects", "risk of bias", "imprecision", "publication bias"]
    assert notes["imprecision"][1] == ("95% CI 1.91 to 7.91 excludes no effect (OR 1); 171 participants, "
                                       "fewer than the optimal information size (400)")  # fmt: skip
    assert "this analysis has k = 2" in notes["publication bias"][1]
    # Pe = OR·Pc / (1 − Pc + OR·Pc) for the estimate and each bound, per 1,000
    risks = [r * pc / (1 - pc + r * pc) for r in row.relative]
    e = row.absolute
    assert (e.control, e.intervention, e.intervention_low, e.intervention_high) == (
        340, *(round(1000 * p) for p in risks))  # fmt: skip
    # the difference is rounded from Pe − Pc, not from the rounded risks (668 − 340 would be 328)
    assert (e.difference, e.difference_low, e.difference_high) == tuple(round(1000 * (p - pc)) for p in risks)
    assert e.difference_text() == "327 more per 1,000 (from 156 more to 463 more)"


def test_the_bundled_rct_row_starts_high_and_the_combined_one_low(ivig_live_birth, extracted_bundle):
    rct = summary_of_findings(ivig_live_birth["rct"], small_study=small_study_effects(ivig_live_birth["rct"]))
    judged = {d.domain: d.judgement for d in rct.domains}
    # OR 1.24 (0.58 to 2.66) includes 1; neither trial states a RIF definition
    assert (judged["imprecision"], judged["indirectness"]) == ("serious", "serious")
    assert (rct.start, rct.certainty, rct.symbols) == ("high", "low", "⊕⊕◯◯")
    assert rct.absolute is None and "No control risk" in rct.absolute_why_not
    (combined,) = bundle_analyses(extracted_bundle, combine_designs=True)
    row = summary_of_findings(combined)
    assert row.start == "low" and any(f.about == "start" for f in row.footnotes)


def test_sof_rows_and_the_flat_table(ivig_live_birth):
    analyses = list(ivig_live_birth.values())
    inputs = {"ivig_live_birth_non_randomised": {"control_risk": 32 / 94, "optimal_information_size": 400}}
    rows = sof_rows(analyses, inputs)
    assert [r.design for r in rows] == ["rct", "non_randomised"]
    # Egger's test was run for each (k = 2: not assessed, with its reason)
    assert all("k = 2" in next(d.reason for d in r.domains if d.domain == "publication bias") for r in rows)
    table = sof_table_rows(rows, {"ivig": "intravenous immunoglobulin", "live_birth": "live birth"})
    assert [list(t) for t in table] == [SOF_COLUMNS, SOF_COLUMNS]
    cells = table[1]
    assert (cells["intervention"], cells["outcome"], cells["design"]) == (
        "intravenous immunoglobulin", "live birth", "non-randomised")  # fmt: skip
    assert cells["relative effect (95% CI)"] == "OR 3.89 (1.91 to 7.91)"
    assert cells["risk with control per 1,000"] == "340 (a)" and cells["imprecision"] == "serious (c)"
    assert cells["certainty"] == "⊕◯◯◯ very low (b, c, d)"
    assert cells["footnotes"].startswith("a. Risk with control 340 per 1,000: source not given;")
    with pytest.raises(ValueError, match="do not exist: ivig_live_birth_cohort"):
        sof_rows(analyses, {"ivig_live_birth_cohort": {}})
