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
    (  # the outcome named just after the estimate
        "The risk ratio was 0.75 (95% CI 0.48 to 1.17) for miscarriage.",
        ("RR", 0.75, 0.48, 1.17, None, "miscarriage", False),
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
    # an interval in brackets after its label
    ("Live birth: RR 1.48, 95% CI [1.23, 1.79].", ("RR", 1.48, 1.23, 1.79, None, "live_birth", False)),
    (
        "Miscarriage was rarer (OR 0.62, 95% CI (0.41, 0.88)).",
        ("OR", 0.62, 0.41, 0.88, None, "miscarriage", False),
    ),
    (
        "Clinical pregnancy rates rose (risk ratios [RR] = 1.48, 95% confidence intervals [CI] [1.23, 1.79], P < 0.001).",
        ("RR", 1.48, 1.23, 1.79, "<0.001", "clinical_pregnancy", False),
    ),
    # range separators, spaced or not
    ("Live birth (OR 2.10; 95% CI 1.20~3.70).", ("OR", 2.1, 1.2, 3.7, None, "live_birth", False)),
    ("Live birth (OR 2.10; 95% CI 1.20 ∼ 3.70).", ("OR", 2.1, 1.2, 3.7, None, "live_birth", False)),
    ("Live birth (OR 2.10; 95% CI 1.20～3.70).", ("OR", 2.1, 1.2, 3.7, None, "live_birth", False)),
    ("Live birth (OR 2.10; 95% CI 1.20—3.70).", ("OR", 2.1, 1.2, 3.7, None, "live_birth", False)),
    ("Live birth (OR 2.10; 95% CI from 1.20 to 3.70).", ("OR", 2.1, 1.2, 3.7, None, "live_birth", False)),
    ("Live birth (OR 2.10; 95% CI between 1.20 and 3.70).", ("OR", 2.1, 1.2, 3.7, None, "live_birth", False)),
    ("Live birth (OR 2.10; 95% CI 1.20; 3.70).", ("OR", 2.1, 1.2, 3.7, None, "live_birth", False)),
    # a middle dot, a unicode minus or hyphen, a leading dot
    ("Live birth (OR 2·31, 95% CI 1·40–3·80).", ("OR", 2.31, 1.4, 3.8, None, "live_birth", False)),
    ("Thickness fell (MD −0.51, 95% CI −0.90 to −0.12).", ("MD", -0.51, -0.9, -0.12, None, None, False)),
    ("Thickness fell (MD ‐0.51, 95% CI ‐0.90 to ‐0.12).", ("MD", -0.51, -0.9, -0.12, None, None, False)),
    ("Thickness fell (MD –0.51, 95% CI –0.90 to –0.12).", ("MD", -0.51, -0.9, -0.12, None, None, False)),
    ("Live birth (OR = .4, 95% CI .2-.8).", ("OR", 0.4, 0.2, 0.8, None, "live_birth", False)),
    # a p-value or I² between the estimate and its interval; the label after the interval
    (
        "Live birth was more frequent (RR 1.41, P = 0.03, 95% CI 1.04-1.91, I2 = 12%).",
        ("RR", 1.41, 1.04, 1.91, "0.03", "live_birth", False),
    ),
    ("Live birth (OR 3.1, 1.02-9.70 95% CI).", ("OR", 3.1, 1.02, 9.7, None, "live_birth", False)),
    # words between the measure and its value; a measure glued to its value
    (
        "Live birth: HR (hazard ratio): 0.712 (0.56–0.91).",
        ("HR", 0.712, 0.56, 0.91, None, "live_birth", False),
    ),
    (
        "For live birth, the odds ratio (OR) estimate was 1.9 (95% CI 1.1-3.3).",
        ("OR", 1.9, 1.1, 3.3, None, "live_birth", False),
    ),
    ("Live birth showed an RR of 1.3 (1.1-1.6).", ("RR", 1.3, 1.1, 1.6, None, "live_birth", False)),
    ("Live birth: RR1.8 (1.1-2.9).", ("RR", 1.8, 1.1, 2.9, None, "live_birth", False)),
    ("Live birth (risk-ratio 1.8, 1.1-2.9).", ("RR", 1.8, 1.1, 2.9, None, "live_birth", False)),
    ("Live birth (pooled OR 1.8, 95% CI 1.1-2.9).", ("OR", 1.8, 1.1, 2.9, None, "live_birth", False)),
    ("Live birth (hazards ratio 1.8, 95% CI 1.1-2.9).", ("HR", 1.8, 1.1, 2.9, None, "live_birth", False)),
    # an estimate named by what it measures
    (
        "The relative live-birth rate was 1.34 (95% confidence interval 1.02 to 1.77).",
        ("RR", 1.34, 1.02, 1.77, None, "live_birth", False),
    ),
    # a percentage as a difference; a unit between a difference and its interval
    (
        "Age did not differ: mean difference of 0.13 years (95% CI, −0.51 to 0.76 years).",
        ("MD", 0.13, -0.51, 0.76, None, None, False),
    ),
    # a condition that only says who was studied is not what the estimate is about
    (
        "IVIg raised the live birth rate in women with RIF (OR 3.64; 95% CI 1.78-7.67).",
        ("OR", 3.64, 1.78, 7.67, None, "live_birth", False),
    ),
    (
        "The HLA-G polymorphism was associated with RIF (OR = 1.74, 95% CI, 1.13, 2.67).",
        ("OR", 1.74, 1.13, 2.67, None, "rif", False),
    ),
]

LISTS = [
    # (sentence, [(measure, value, ci_low, ci_high, outcome), ...])
    (
        "Live birth and miscarriage differed (HRs 1.62 [1.10–2.38] and 0.91 [0.60–1.38], respectively).",
        [("HR", 1.62, 1.1, 2.38, "live_birth"), ("HR", 0.91, 0.6, 1.38, "miscarriage")],
    ),
    (
        "Clinical pregnancy, live birth and miscarriage gave OR: 1.9, 2.4 and 3.1, respectively.",
        [
            ("OR", 1.9, None, None, "clinical_pregnancy"),
            ("OR", 2.4, None, None, "live_birth"),
            ("OR", 3.1, None, None, "miscarriage"),
        ],
    ),
    (
        "For live birth and miscarriage the RRs were 1.40 and 1.22, with 95% CIs of 1.05, 1.86 and 0.97-1.53, respectively.",
        [("RR", 1.4, 1.05, 1.86, "live_birth"), ("RR", 1.22, 0.97, 1.53, "miscarriage")],
    ),
    (
        "There was no difference in miscarriage or live birth rates: respective combined odds ratios, "
        "0.95 [95% confidence interval (CI), 0.48 to 1.87] and 1.12 (95% CI, 0.62 to 2.03).",
        [("OR", 0.95, 0.48, 1.87, "miscarriage"), ("OR", 1.12, 0.62, 2.03, "live_birth")],
    ),
    (
        "The adjusted HR (95% CI) for live birth [1.42 (1.05–1.92)] and for miscarriage [0.81 (0.52–1.26)] favoured IVIg.",
        [("HR", 1.42, 1.05, 1.92, "live_birth"), ("HR", 0.81, 0.52, 1.26, "miscarriage")],
    ),
    (
        "Ongoing pregnancy and live birth rates were higher with intralipid RR = 1.71, 95% CI [1.27, 2.32], "
        "P = 0.005 and RR = 1.85, 95% CI [1.44, 2.38], P < 0.001.",
        [("RR", 1.71, 1.27, 2.32, "ongoing_pregnancy"), ("RR", 1.85, 1.44, 2.38, "live_birth")],
    ),
    (
        "Pooling showed benefit on CPR (RR 2.18; 95% CI 1.58–3.00; p < 0.00001; OR 2.03; 95% CI 1.22–3.36).",
        [("RR", 2.18, 1.58, 3.0, "clinical_pregnancy"), ("OR", 2.03, 1.22, 3.36, "clinical_pregnancy")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), LISTS)
def test_lists_of_estimates(read, text, expected):
    got = [(e.measure, e.value, e.ci_low, e.ci_high, e.outcome) for e in read(text).effects]
    assert got == expected


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
        "An odds ratio above 2 (95% CI not reported) was considered large.",
        "Relative to controls, 45 women (62%) conceived.",
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


ARMS = [
    # (sentence, [(events, total, group, subgroup), ...])
    (
        "There was higher live birth rate in patients receiving IVIg (32/49; 65.3%) compared to controls (32/94; 34%).",
        [(32, 49, "ivig", None), (32, 94, "control", None)],
    ),
    (
        "Live birth rates were 23/42 (54.8%) in the IVIg and 20/40 (50.0%) in the placebo group.",
        [(23, 42, "ivig", None), (20, 40, "control", None)],
    ),
    (
        "The live-birth rates were 4/26 (15%) for the IVIG group and 3/25 (12%) for the placebo group.",
        [(4, 26, "ivig", None), (3, 25, "control", None)],
    ),
    (
        "The pregnancy rate was 17.19% (88/512) in patients not treated with LMWH and 29.52% (17/57) in the LMWH-treated group.",
        [(88, 512, "control", None), (17, 57, "heparin", None)],
    ),
    (
        "When stratified, only patients with severe RIF benefited from IVIg (LBR 20/29 (69%) versus 5/25 (20%) for controls).",
        [(20, 29, "ivig", "patients with severe RIF"), (5, 25, "control", "patients with severe RIF")],
    ),
    (
        # an unnamed treated arm after "versus" is the abstract's one intervention, not the
        # control named before the "versus"; the sentence opens on an age group: a subgroup
        "Heparin in RIF. In women over 36 years of age the pregnancy rate was 15.53% (50/322) in nontreated "
        "versus 35.71% (10/28) in treated cycles (p = 0.007).",
        [
            (50, 322, "control", "women over 36 years of age"),
            (10, 28, "heparin", "women over 36 years of age"),
        ],
    ),
    (
        # with two interventions named, "treated" names neither
        "IVIg or intralipid in RIF. The pregnancy rate was 15% (5/33) in untreated versus 36% (10/28) in "
        "treated women.",
        [(5, 33, "control", None), (10, 28, None, None)],
    ),
    (
        "The implantation rate was 59% (50/85) and 47% (21/45) for groups I and II.",
        [(50, 85, None, None), (21, 45, None, None)],
    ),
]


@pytest.mark.parametrize(("text", "expected"), ARMS)
def test_event_rates_carry_their_arm_and_subgroup(read, text, expected):
    assert [(r.events, r.total, r.group, r.subgroup) for r in read(text).event_rates] == expected


COMPARISONS = [
    # (sentence, (intervention, comparator, subgroup))
    (
        "The live birth rate was higher with IVIG versus placebo (RR = 1.25, 95% CI 1.00 to 1.56).",
        ("ivig", "control", None),
    ),
    (
        "Live birth: HCQ plus prednisone versus prednisone alone (OR 1.99, 95% CI 1.1-3.6).",
        ("hydroxychloroquine", "glucocorticoid", None),
    ),
    (
        # no comparator named anywhere: a treatment's effect is against its absence
        "In the logistic regression analysis, IVIg was associated with higher odds of live birth (OR 3.64; 95% CI 1.78–7.67).",
        ("ivig", "control", None),
    ),
    (
        "In the subgroup of women with three or more previous failures, endometrial scratching raised clinical pregnancy (RR 1.72; 95% CI 1.05-2.83).",
        ("endometrial_scratch", "control", "women with three or more previous failures"),
    ),
]


@pytest.mark.parametrize(("text", "expected"), COMPARISONS)
def test_estimates_carry_their_comparison_and_subgroup(read, text, expected):
    (effect,) = read(text).effects
    assert (effect.intervention, effect.comparator, effect.subgroup) == expected


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


@pytest.mark.parametrize(
    ("text", "outcomes"),
    [
        (  # a subgroup selected by a mechanism: the outcome of the estimate before it
            "IVIG increased the live birth rate (RR 1.61, 95% CI 1.20-2.16). The effect of IVIG was "
            "particularly marked in the subgroup of studies including patients with elevated NK-cell "
            "percentage (RR 2.32, 95% CI 1.77-3.02).",
            ["live_birth", "live_birth"],
        ),
        (  # an association estimate of the mechanism itself keeps the mechanism
            "Uterine NK cells were measured in women with RIF. Elevated uNK cells were associated with "
            "RIF (OR 2.10, 95% CI 1.10-4.01).",
            ["rif"],
        ),
    ],
)
def test_a_subgroups_estimate_measures_what_the_estimate_before_it_measured(read, text, outcomes):
    assert [e.outcome for e in read(text).effects] == outcomes


# issue 17, the probe set's misses: what an estimate is about when its sentence names no
# outcome before it (bugs: the exposure, the next sentence's outcome, a power calculation
# read as a result, a composite given one of its parts)
ABOUT = [
    (  # a case-control study's risk factors: the risk of the condition
        "A total of 312 patients were included, of whom 104 had RIF and 208 conceived at the first transfer. "
        "Positive anticardiolipin antibody (OR=2.84, 95%CI: 1.41-5.72) and TPOAb positivity (OR=1.96, "
        "95%CI: 1.08-3.55) were independent risk factors for RIF (P<0.05).",
        [("OR", "rif"), ("OR", "rif")],
    ),
    (
        "In this case-control study, 104 women with RIF and 110 fertile controls were genotyped. The KIR AA "
        "genotype was more frequent in women with RIF (OR 2.31, 95% CI 1.29-4.13, p=0.004).",
        [("OR", "rif")],
    ),
    (  # a difference of means measures the factor, not the risk
        "Twelve case-control studies were included. The IFN-γ level was higher in RIF (SMD 0.52, 95% CI 0.18-0.86).",
        [("SMD", "ifn_gamma")],
    ),
    (  # in a treatment study the factor stays what the estimate measures
        "Women with RIF received IVIg. Elevated NK cells predicted failure in women with RIF (OR 2.5, 95% CI 1.2-5.1).",
        [("OR", "nk_peripheral")],
    ),
    (  # a composite outcome is none of its parts
        "The clinical pregnancy rate was higher with tacrolimus (OR 1.93, 95% CI 1.05-3.55). The composite of "
        "ongoing pregnancy or live birth was also more frequent (OR 1.44, 95% CI 1.02-2.03).",
        [("OR", "clinical_pregnancy"), ("OR", None)],
    ),
    (  # "the main outcome" the header named
        "Patient(s): Of 132 women, 58 received hydroxychloroquine and 74 received LMWH alone. Main outcome "
        "measure(s): Clinical pregnancy rate. Result(s): Hydroxychloroquine was associated with significantly "
        "higher odds of the main outcome (adjusted OR 2.10, 95% CI 1.12-3.94).",
        [("OR", "clinical_pregnancy")],
    ),
    (  # an outcome after the estimate, in the next sentence, is not its outcome
        "Catheter dysfunction occurred in 24/105 and 15/105 patients, respectively (RR 1.60, 95% CI 0.89-2.88). "
        "Bleeding complications were significantly more frequent with heparin (P=0.01).",
        [("RR", None)],
    ),
    (  # a power calculation's difference is not a result
        "The primary outcome is the clinical pregnancy rate. Sample size was calculated to detect an absolute "
        "difference of 20% with 80% power.",
        [],
    ),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), ABOUT)
def test_what_an_estimate_is_about(read, text, expected):
    assert [(e.measure, e.outcome) for e in read(text).effects] == expected
