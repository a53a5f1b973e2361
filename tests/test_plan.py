"""Before the next trial (issue 18): the parts put together for each treatment analysis —
the TSA, the next trial's size by RIF severity, GRADE's row, the living views — on the
bundled corpus, through `rifkb plan` and through `refresh`'s tables, figures and report."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from scipy import stats
from typer.testing import CliRunner

from rifkb.cli import app
from rifkb.review.plan import (
    NON_RANDOMISED_CAVEAT,
    POOLED_EFFECT_CAVEAT,
    Assumptions,
    optimal_information_size,
    plan_summary,
    plan_tables,
    plans,
    risk_of_bias_of,
)
from rifkb.review.regimens import parse_regimen
from tests.analyses import analysis, bundle_analyses, study

runner = CliRunner()
HARMS = frozenset({"miscarriage"})


@pytest.fixture(scope="module")
def ivig(extracted_bundle):
    """IVIg → live birth in every population: {design family: plan}."""
    return {p.analysis.design: p for p in plans(bundle_analyses(extracted_bundle), HARMS)}


def test_the_trials_say_the_evidence_is_not_conclusive(ivig):
    s = ivig["rct"].sequential
    assert s.verdict == "not_conclusive" and s.more_needed == s.information.required - s.accrued > 3000
    assert s.verdict_text.startswith("Not conclusive: 133 of ") and "more needed" in s.verdict_text


def test_non_randomised_evidence_is_said_to_bound_chance_only(ivig):
    lines = plan_summary(ivig["non_randomised"])
    assert NON_RANDOMISED_CAVEAT in lines and POOLED_EFFECT_CAVEAT in lines
    assert NON_RANDOMISED_CAVEAT not in plan_summary(ivig["rct"])


def test_the_next_trial_is_sized_by_rif_severity(ivig):
    trials = {t.stratum: t for t in ivig["non_randomised"].trials}
    assert {"RIF: ≥3 failed transfers", "RIF: ≥5 failed transfers"} <= set(trials)
    severe, moderate = trials["RIF: ≥5 failed transfers"], trials["RIF: ≥3 failed transfers"]
    assert (severe.control.events, severe.control.total) == (5, 25)
    assert (moderate.control.events, moderate.control.total) == (32, 94)
    pooled = {t: next(s for s in trials[t].scenarios if s.basis == "pooled") for t in trials}
    n80 = {t: pooled[t].power80.to_json()["normal_ceil"] for t in pooled}
    assert n80["RIF: ≥5 failed transfers"] < n80["RIF: ≥3 failed transfers"]  # a larger effect, fewer women
    rows = [r for r in plan_tables([ivig["non_randomised"]])["next_trial"] if r["basis"] == "conservative"]
    sized = {r["stratum"]: r["per arm, 80% power"] for r in rows if r["why not"] is None}
    assert {"RIF: ≥3 failed transfers", "RIF: ≥5 failed transfers"} <= set(sized)
    assert all(sized[t] > n80[t] for t in sized)  # the bound nearer no effect needs more women


def test_a_grade_row_with_a_footnote_for_every_level_lost_or_not_assessed(ivig):
    row = ivig["rct"].summary
    assert (row.start, row.studies, row.participants) == ("high", 2, 133)
    judged = {d.domain: d.judgement for d in row.domains}
    assert judged["risk of bias"] == "not assessed" and judged["imprecision"] == "very serious"
    lost = [d for d in row.domains if d.judgement not in ("not serious",)]
    assert len(row.footnotes) == len(lost) + 1  # and one for the absolute effects
    assert row.certainty_text().startswith("⊕◯◯◯ very low")


def test_the_optimal_information_size_is_a_25_percent_change_never_the_observed_effect():
    """GRADE guidelines 6: 4 (z₀.₉₇₅ + z₀.₈)² P̄(1 − P̄) / δ² with δ the 25 % change."""
    z = stats.norm.isf(0.025) + stats.norm.isf(0.2)
    for risk, harmful in ((0.3, False), (0.3, True)):
        treated = risk * (0.75 if harmful else 1.25)
        mean = (risk + treated) / 2
        expected = 4 * z**2 * mean * (1 - mean) / (risk - treated) ** 2
        assert optimal_information_size(risk, harmful, None) == pytest.approx(expected)
    assert optimal_information_size(0.9, False, None) is None  # a 25 % increase passes 100 %
    assert optimal_information_size(None, False, None) is None


@pytest.mark.parametrize(
    ("judgements", "expected"),
    [
        (("low", "low"), "not serious"),
        (("low", None), None),  # one study unjudged: not assessed
        (("high", "low"), "very serious"),  # weights 60 / 40
        (("some concerns", "low"), "serious"),
        (("low", "high"), "not serious"),  # the high-risk study carries 40 %
        (("low", "some concerns"), "not serious"),
    ],
)
def test_risk_of_bias_follows_the_studies_that_carry_most_weight(judgements, expected):
    studies = [replace(study(f"s{i}", 0.1, 0.2), risk_of_bias=j, weight=w)
               for i, (j, w) in enumerate(zip(judgements, (60.0, 40.0), strict=True))]  # fmt: skip
    assert risk_of_bias_of(studies) == expected


def test_a_reviewers_judgements_lower_the_certainty(ivig):
    a = ivig["rct"].analysis
    judged = replace(a, studies=tuple(replace(s, risk_of_bias="high") for s in a.studies))
    (plan,) = plans([judged], HARMS)
    domains = {d.domain: d.judgement for d in plan.summary.domains}
    assert domains["risk of bias"] == "very serious" and plan.summary.certainty == "very low"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"beta": 0.3}, "--beta 0.3: choose 0.1 or 0.2"),
        ({"rrr": 1.5}, "--rrr 1.5: a relative change between 0 and 1"),
        ({"effect": -1.0}, "--effect -1.0: a ratio above 0"),
    ],
)
def test_assumptions_out_of_range_are_refused(options, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        Assumptions(**options)


def test_association_analyses_plan_no_trial():
    a = replace(analysis([study("a", 0.5, 0.2), study("b", 0.4, 0.3)]), kind="association")
    assert plans([a]) == []


# --- the command --------------------------------------------------------------------------


def test_plan_command_json_is_the_same_bytes_twice_and_names_the_verdicts(extracted_bundle, tmp_path):
    args = ["plan", "-c", str(extracted_bundle), "--intervention", "ivig", "--outcome", "live birth",
            "--population", "all", "--json", "--figures", str(tmp_path / "f")]  # fmt: skip
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    found = {p["design"]: p for p in json.loads(first.stdout)["plans"]}
    assert found["rct"]["sequential"]["verdict"] == "not_conclusive"
    assert found["rct"]["summary_of_findings"]["certainty"] == "very low"
    strata = {t["stratum"] for t in found["non_randomised"]["next_trial"]}
    assert "RIF: ≥5 failed transfers" in strata
    assert (tmp_path / "f" / "tsa_ivig_live_birth_rct.svg").read_text(encoding="utf-8").startswith("<?xml")


def test_plan_command_prints_the_plan_and_refuses_bad_options_in_one_line(extracted_bundle):
    done = runner.invoke(app, ["plan", "-c", str(extracted_bundle), "--intervention", "ivig", "--outcome",
                               "live birth", "--population", "all"])  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "Not conclusive" in done.stdout and "women per arm" in done.stdout and "⊕" in done.stdout
    bad = runner.invoke(app, ["plan", "-c", str(extracted_bundle), "--beta", "0.3"])
    assert bad.exit_code in (1, 2) and "--beta 0.3: choose 0.1 or 0.2" in bad.output
    assert "Traceback" not in bad.output
    assert "Example: rifkb plan" in runner.invoke(app, ["plan", "--help"]).stdout


# --- issue 19: stewardship and who benefits -------------------------------------------------


def test_each_stratum_says_what_an_extra_live_birth_takes(extracted_bundle):
    """With the corpus's IVIg regimens (500 mg/kg in two RCTs) for the cohort's strata."""
    regimens = {"ivig": [parse_regimen("500 mg/kg"), parse_regimen("500 mg/kg")]}
    found = {
        p.analysis.design: p
        for p in plans(bundle_analyses(extracted_bundle), HARMS, corpus_regimens=regimens)
    }
    ivig = {"non_randomised": found["non_randomised"]}
    rows = {r.stratum: r for r in ivig["non_randomised"].stewardship}
    severe = rows["RIF: ≥5 failed transfers"]
    assert severe.nnt.kind == "NNTB" and not severe.nnt.crosses_no_effect
    assert severe.grams == pytest.approx(severe.nnt.value * 32.5)  # the corpus's 500 mg/kg at 65 kg
    lines = plan_summary(ivig["non_randomised"])
    assert any(line.startswith("RIF: ≥5 failed transfers: NNTB") and "g per extra live birth" in line
               for line in lines)  # fmt: skip
    table = plan_tables([ivig["non_randomised"]])["stewardship"]
    assert all(r["certainty"].startswith("⊕") for r in table)  # the certainty behind each number


def test_who_benefits_says_why_two_studies_give_no_meta_regression(ivig):
    lines = plan_summary(ivig["non_randomised"])
    assert "Who benefits (meta-regression on failed transfers): meta-regression needs at least 4" in " ".join(
        lines
    )
    assert plan_tables([ivig["non_randomised"]])["meta_regression"][0]["why not"]


def test_a_given_regimen_and_body_weight_change_the_grams(extracted_bundle):
    args = ["plan", "-c", str(extracted_bundle), "--intervention", "ivig", "--outcome", "live birth",
            "--population", "all", "--json"]  # fmt: skip
    default = json.loads(runner.invoke(app, args).stdout)["plans"]
    given = runner.invoke(app, [*args, "--regimen", "0.4 g/kg x 2", "--body-weight", "70"])
    assert given.exit_code == 0, given.output
    rows = {p["design"]: p["stewardship"][0] for p in json.loads(given.stdout)["plans"]}
    assert rows["non_randomised"]["grams_per_patient"] == pytest.approx(56.0)
    assert {p["design"]: p["stewardship"][0]["grams_per_patient"] for p in default}["rct"] == pytest.approx(
        32.5
    )
    bad = runner.invoke(app, ["plan", "-c", str(extracted_bundle), "--regimen", "100 mL"])
    assert bad.exit_code in (1, 2) and "--regimen '100 mL': write an amount" in bad.output
