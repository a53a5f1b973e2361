"""Effect estimates and event rates, in the notations abstracts use, and numbers that are not."""

from __future__ import annotations

import pytest

EFFECTS = [
    # (sentence, (measure, value, ci_low, ci_high, p, outcome, adjusted))
    (
        "Live birth was more likely (OR 3.64; 95% CI 1.78-7.67; p = 0.0004).",
        ("OR", 3.64, 1.78, 7.67, "0.0004", "live_birth", False),
    ),
    (
        "Clinical pregnancy: OR = 1.82, 95% CI = 1.14-2.89.",
        ("OR", 1.82, 1.14, 2.89, None, "clinical_pregnancy", False),
    ),
    ("Live birth (Odds Ratio (OR): 2.97, 2.05–4.29).", ("OR", 2.97, 2.05, 4.29, None, "live_birth", False)),
    ("Miscarriage RR 1.23 [0.98, 1.54].", ("RR", 1.23, 0.98, 1.54, None, "miscarriage", False)),
    (
        "The risk ratio was 0.75 (95% CI 0.48 to 1.17) for miscarriage.",
        ("RR", 0.75, 0.48, 1.17, None, None, False),
    ),
    (
        "Endometrial thickness rose (mean difference −1.14, 95% CI −2.28 to −0.01).",
        ("MD", -1.14, -2.28, -0.01, None, None, False),
    ),
    (
        "Live births: absolute difference 8.0%, 95% CI -4.2 to 24.9%, P = 0.29.",
        ("RD", 8.0, -4.2, 24.9, "0.29", "live_birth", False),
    ),
    (
        "The adjusted odds ratio for clinical pregnancy in treated women was 3.1 (1.02-9.70 95% CI), p = 0.046.",
        ("OR", 3.1, 1.02, 9.7, "0.046", "clinical_pregnancy", True),
    ),
    # annotation.md's readers attribute a risk of implantation failure to the implantation rate
    (
        "Implantation failure was predicted by low activity (OR 6.9, p=0.0004).",
        ("OR", 6.9, None, None, "0.0004", "implantation_rate", False),
    ),
    (
        "Live birth improved (HR 1.4, 95% CI 1.1–1.9, P < 0.001).",
        ("HR", 1.4, 1.1, 1.9, "<0.001", "live_birth", False),
    ),
    ("Pooled SMD 0.42 (95% CI 0.10 to 0.74).", ("SMD", 0.42, 0.1, 0.74, None, None, False)),
]


@pytest.mark.parametrize(("text", "expected"), EFFECTS)
def test_effect_notations(read, text, expected):
    (effect,) = read(text).effects
    got = (
        effect.measure,
        effect.value,
        effect.ci_low,
        effect.ci_high,
        effect.p,
        effect.outcome,
        effect.adjusted,
    )
    assert got == expected


@pytest.mark.parametrize(
    "text",
    [
        "There was a significant difference in live birth (p = 0.03).",  # a p-value alone
        "The odds ratios (ORs) and 95% confidence intervals (CIs) were calculated.",
        "The area under the curve (AUC) was 0.94, 95% CI 0.87-1.00.",
    ],
)
def test_not_effect_estimates(read, text):
    assert read(text).effects == ()


RATES = [
    (
        "Live birth rate was higher with IVIg (32/49; 65.3%) than in controls (32/94; 34%).",
        [(32, 49), (32, 94)],
    ),
    ("The implantation rate was 59% (50/85) and 0% (0/9) respectively.", [(50, 85), (0, 9)]),
    ("Patients were treated between 01/2014 and 12/2021.", []),  # dates
    ("The study had a 2:1 ratio of controls to treated patients.", []),  # ratio
    ("IVIg was given at 500 mg/kg every 4 weeks.", []),  # a dose
    ("Contractions fell from 6.0 to 2.6/4min.", []),  # a rate per time
    ("Th1/2 ratios were elevated.", []),
]


@pytest.mark.parametrize(("text", "expected"), RATES)
def test_event_rates(read, text, expected):
    assert [(r.events, r.total) for r in read(text).event_rates] == expected


def test_event_rate_outcome(read):
    (rate,) = read("The clinical pregnancy rate per cycle was 32.7% (17/52).").event_rates
    assert rate.outcome == "clinical_pregnancy"


def test_estimate_from_a_regression_model_is_adjusted(read):
    text = "In the logistic regression analysis, IVIg was associated with higher odds of live birth (OR 3.64; 95% CI 1.78–7.67; p = 0.0004)."
    (effect,) = read(text).effects
    assert effect.adjusted and effect.outcome == "live_birth"


def test_rate_head_words_are_matched_literally(tmp_path):
    """rules/rate_heads.tsv holds words, not regular expressions: 'a.b' names 'a.b' and
    never 'axb', and 'c++' is no syntax error (issue 9, item 22)."""
    from rifkb.nlp import build_pipeline
    from rifkb.nlp.reading import extract_record
    from rifkb.records import AbstractSection, Record
    from tests.conftest import copy_rules

    rules = copy_rules(tmp_path / "rules")
    with open(rules / "rate_heads.tsv", "a", encoding="utf-8") as fh:
        fh.write("a.b\tlive_birth\nc++\tmiscarriage\n")
    nlp = build_pipeline(rules_dir=str(rules))

    def outcome(text: str) -> str | None:
        record = Record(source_id="test:1", abstract=(AbstractSection(text),))
        (effect,) = extract_record(nlp, record).effects
        return effect.outcome

    assert outcome("Rates of a.b were higher (OR 2.1, 95% CI 1.2-3.4).") == "live_birth"
    assert outcome("Rates of axb were higher (OR 2.1, 95% CI 1.2-3.4).") is None
