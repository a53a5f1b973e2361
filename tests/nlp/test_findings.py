"""Directional findings with negation, hedging and significance."""

from __future__ import annotations

import pytest

FINDINGS = [
    (
        "There was a higher live birth rate with IVIg than in controls (p < 0.001).",
        ("treatment", "ivig", "live_birth", "increase", True),
    ),
    (
        "IVIG did not improve the live-birth rate.",
        ("treatment", "ivig", "live_birth", "no_difference", False),
    ),
    (
        "Clinical pregnancy rates were comparable between the intralipid and control groups.",
        ("treatment", "intralipid", "clinical_pregnancy", "no_difference", False),
    ),
    (
        "Intralipid had no beneficial effect on the miscarriage rate (RR 0.75; 95% CI 0.48-1.17).",
        ("treatment", "intralipid", "miscarriage", "no_difference", False),
    ),
    (
        "The density of uNK cells was significantly higher in women with RIF than in controls (P = 0.005).",
        ("association", "nk_uterine", "rif", "increase", True),
    ),
    (
        "Elevated NK cells were associated with lower live birth rates.",
        ("association", "nk_peripheral", "live_birth", "decrease", None),
    ),
    (
        "There were 26 live births with LMWH and 20 in controls (absolute difference 8.0%, 95% CI -4.2 to 24.9%, P = 0.29).",
        ("treatment", "heparin", "live_birth", "no_difference", False),
    ),
    (  # results called weak are worse ones (issue 17)
        "The AA inhibitor KIR genotype is associated with weak results in terms of achieving pregnancy.",
        ("association", "hla_kir", "pregnancy", "decrease", None),
    ),
]


@pytest.mark.parametrize(("text", "expected"), FINDINGS)
def test_finding(read, text, expected):
    found = {(f.kind, f.subject, f.object, f.direction, f.significant) for f in read(text).findings}
    assert expected in found


def test_clauses_have_their_own_direction(read):
    text = (
        "G-CSF significantly increased chemical pregnancy and implantation rate but clinical pregnancy rate "
        "and abortion rate were unaffected."
    )
    found = {(f.object, f.direction) for f in read(text).findings}
    assert ("biochemical_pregnancy", "increase") in found
    assert ("clinical_pregnancy", "no_difference") in found
    assert ("miscarriage", "no_difference") in found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # a speculation, nothing measured: no result
            "Combined treatment of prednisone and aspirin may improve pregnancy rate in autoantibody seropositive "
            "patients.",
            set(),
        ),
        (
            "The selection of HLA-C1 over HLA-C2 donors could have a positive impact on the LBR in KIR AA "
            "patients.",
            set(),
        ),
        (  # hedged, but measured
            "Intralipid infusion could significantly improve clinical pregnancy rate (RR 1.74, 95 % CI 1.27-2.40).",
            {("treatment", "intralipid", "clinical_pregnancy", "increase", True)},
        ),
        (  # a hedged absence of effect is still one
            "There is no correlation between the HLA-G polymorphism and RIF, and it might not affect the outcome.",
            {("association", "hla_g", "rif", "no_difference", True)},
        ),
    ],
)
def test_hedged_statements(read, text, expected):
    assert {(*f.key, f.hedged) for f in read(text).findings} == expected


@pytest.mark.parametrize(
    "text",
    [
        "To investigate whether IVIg improves live birth in women with RIF.",  # an aim
        "Does intralipid improve the clinical pregnancy rate?",  # a question
        "IVIg was given before transfer and live birth was recorded.",  # no direction
    ],
)
def test_no_finding(read, text):
    assert read(text).findings == ()


def test_finding_evidence_is_its_sentence(read):
    extraction = read("Background text. IVIG did not improve the live-birth rate. More text.")
    (finding,) = extraction.findings
    assert finding.evidence.sentence == "IVIG did not improve the live-birth rate."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Tacrolimus failed to improve ongoing pregnancy rates.",
            {("treatment", "tacrolimus", "ongoing_pregnancy", "no_difference")},
        ),
        ("Ten women failed to become pregnant after PRP.", set()),  # an absent outcome, not a result
        (
            "There was no improvement in clinical pregnancy rates with intralipid.",
            {("treatment", "intralipid", "clinical_pregnancy", "no_difference")},
        ),
    ],
)
def test_failure_words(read, text, expected):
    assert {f.key for f in read(text).findings} == expected


# --- kinds of writing read on unseen abstracts (issue 8) -----------------------------------
# (text, title, findings that must be read, findings that must not), from real sentences or
# close paraphrases of them.

T, A = "treatment", "association"

KINDS = [
    pytest.param(
        "In addition, the clinical pregnancy, ongoing pregnancy, and implantation rates were higher in the PRP "
        "group than the control group; however, the difference between the two groups was not statistically "
        "significant.",
        "",
        {(T, "prp", "clinical_pregnancy", "no_difference"), (T, "prp", "implantation_rate", "no_difference")},
        {(T, "prp", "clinical_pregnancy", "increase")},
        id="not-significant-after-semicolon-and-contrast",
    ),
    pytest.param(
        "While HCQ significantly improved fertilization and live birth rates, adding it to prednisone did not "
        "improve overall pregnancy outcomes.",
        "",
        {(T, "hydroxychloroquine", "live_birth", "increase")},
        {(T, "hydroxychloroquine", "live_birth", "no_difference")},
        id="sentence-opening-contrast-ends-at-comma",
    ),
    pytest.param(
        "There was no overall significant improvement in clinical pregnancy rates between the control and "
        "intervention groups (38.5% vs. 44.4%; relative risk = 1.15; confidence interval [0.86-1.55]).",
        "Therapeutic endometrial scratching and implantation after in vitro fertilization",
        {(T, "endometrial_scratch", "clinical_pregnancy", "no_difference")},
        {(T, "endometrial_scratch", "clinical_pregnancy", "increase")},
        id="negation-words-apart",
    ),
    pytest.param(
        "Preconception TNF-α inhibitor does not appear to increase the birth defect rate in women undergoing IVF.",
        "",
        {(T, "tnf_inhibitor", "neonatal_outcome", "no_difference")},
        set(),
        id="does-not-appear-to-increase",
    ),
    pytest.param(
        "In women with a clinical pregnancy (114 ICSI cycles with TAI and 651 without), there was no difference in "
        "miscarriage or live birth rates.",
        "Thyroid autoimmunity and ICSI outcome",
        {(A, "thyroid_autoimmunity", "miscarriage", "no_difference")},
        {(A, "thyroid_autoimmunity", "clinical_pregnancy", "no_difference")},
        id="outcome-in-an-opening-setting",
    ),
    pytest.param(
        "The expression of IL-17 was significantly higher in patients with CE compared to women with male factor "
        "infertility.",
        "",
        set(),
        {(A, "il17", "infertility", "increase")},
        id="condition-of-the-reference-group",
    ),
    pytest.param(
        "For those women with a positive pregnancy, the systemic TNF-α levels were higher in those women who "
        "miscarried (n = 13) when compared with those who had a live birth (n = 38).",
        "",
        set(),
        {(A, "tnf_alpha", "live_birth", "increase")},
        id="outcome-of-the-reference-group",
    ),
    pytest.param(
        "An inadequate vitamin D level has been associated with recurrent implantation failure and pregnancy loss.",
        "",
        {(A, "vitamin_d_status", "rif", "decrease"), (A, "vitamin_d_status", "miscarriage", "decrease")},
        set(),
        id="condition-listed-with-outcome-and-low-level",
    ),
    pytest.param(
        "The prevalence of APA is low in Korean infertile women, and the presence of APA appears to neither "
        "decrease their first IVF success nor increase abortion rate.",
        "",
        set(),
        {(A, "antiphospholipid", "infertility", "no_difference")},
        id="population-beside-an-outcome",
    ),
    pytest.param(
        "In women over 36 years of age the pregnancy rate was 15.53% in nontreated versus 35.71% in LMWH-treated "
        "cycles (p = 0.007), while no difference was found in younger women.",
        "",
        {(T, "heparin", "pregnancy", "no_difference")},
        set(),
        id="implied-object-same-sentence",
    ),
    pytest.param(
        "In those without defined RIF, clinical pregnancy rates were reduced by 8.1% (AOR = 0.61, p = 0.023) with "
        "intrauterine hCG use. There were no significant differences in outcomes in FETs and in the RIF cohort.",
        "",
        {
            (T, "hcg_intrauterine", "clinical_pregnancy", "decrease"),
            (T, "hcg_intrauterine", "clinical_pregnancy", "no_difference"),
        },
        set(),
        id="implied-object-sentence-before",
    ),  # fmt: skip
    pytest.param(
        "Ongoing pregnancy rates were higher with aspirin (p = 0.04). Multilevel analyses showed that the "
        "pulsatility index of the uterine artery was not affected by aspirin or placebo treatment.",
        "",
        {(T, "aspirin", "ongoing_pregnancy", "increase")},
        {(T, "aspirin", "ongoing_pregnancy", "no_difference")},
        id="no-implied-object-for-another-measure",
    ),
    pytest.param(
        "Pooling of results showed a beneficial effect of intrauterine PBMC infusion on both CPR (RR 2.18; 95% CI "
        "1.58–3.00) and LBR (RR 2.41; 95% CI 1.40–4.16), of subcutaneous G-CSF administration on CPR (RR 2.29; "
        "95% CI 1.58–3.31) and of intrauterine PRP infusion on CPR (RR 2.45; 95% CI 1.55–3.86).",
        "",
        {
            (T, "pbmc", "live_birth", "increase"),
            (T, "gcsf", "clinical_pregnancy", "increase"),
            (T, "prp", "clinical_pregnancy", "increase"),
        },
        {(T, "gcsf", "live_birth", "increase"), (T, "prp", "live_birth", "increase")},
        id="each-treatment-with-its-outcomes",
    ),  # fmt: skip
    pytest.param(
        "Significantly lower pregnancy and live birth rates (25% and 12.5%, respectively) were observed for the "
        "patients with recurrent pregnancy loss and NK cells expansion without IVIG.",
        "",
        {(T, "ivig", "live_birth", "increase")},
        {(T, "ivig", "live_birth", "decrease")},
        id="group-without-the-treatment",
    ),
    pytest.param(
        "The clinical pregnancy rates were similar between infertile women treated with antibiotics for chronic "
        "endometritis and those without chronic endometritis.",
        "",
        {(A, "chronic_endometritis", "clinical_pregnancy", "no_difference")},
        {(T, "antibiotic", "clinical_pregnancy", "no_difference")},
        id="women-with-and-those-without",
    ),
    pytest.param(
        "Seventy-five women were divided into four groups: Group I: Forty-one patients using both IVIG and "
        "Adalimumab, Group II: Twenty-three patients using IVIG, and Group IV: Five patients using no IVIG or "
        "Humira. There was a significant improvement in live birth rates for group I versus group IV (P = 0.003).",
        "",
        {(T, "ivig", "live_birth", "increase"), (T, "tnf_inhibitor", "live_birth", "increase")},
        set(),
        id="labelled-groups-two-treatments-together",
    ),
    pytest.param(
        "Among RIF patients, two groups were formed as group 1, including patients diagnosed with CE and treated "
        "by antibiotics (n=129), and group 2, including patients without CE (n=103). Patients with the first IVF "
        "cycle were reviewed as group 3 (n=932). However, Group 3 had a higher IR (41.1%) than group 1 and 2 "
        "(23.1% and 30.1%, respectively) (p < 0.001).",
        "IVF outcomes following antibiotic therapy for chronic endometritis",
        set(),
        {(T, "antibiotic", "implantation_rate", "increase")},
        id="labelled-group-of-a-population",
    ),
    pytest.param(
        "Patients were divided into three groups as per Th1 cell levels: Th1 level of <22.8 as Low; 22.8 to <28.8 "
        "as Middle, and 28.8 or greater as High group. The ongoing pregnancy rate of Low group (46.3%) was "
        "significantly higher than that of High group (21.4%, P<.05).",
        "Tacrolimus in women with repeated implantation failure",
        {(A, "th1_th2", "ongoing_pregnancy", "decrease")},
        {(T, "tacrolimus", "ongoing_pregnancy", "increase")},
        id="low-and-high-level-groups",
    ),
    pytest.param(
        "There were 39 fresh IVF cycles, which yielded a clinical pregnancy rate of 28%, with live-birth rates of "
        "4/21 (19%) for the IVIG group and 3/18 (17%) for the placebo group (P=0.59).",
        "",
        {(T, "ivig", "live_birth", "no_difference")},
        {(T, "ivig", "clinical_pregnancy", "no_difference")},
        id="p-value-of-the-outcome-before-it",
    ),
    pytest.param(
        "Fertilization and rate of live birth were significantly higher in the HCQ+ prednisone (PDN) group than in "
        "the PDN alone group.",
        "",
        {(T, "hydroxychloroquine", "live_birth", "increase")},
        {(T, "glucocorticoid", "live_birth", "increase")},
        id="treatment-given-to-both-groups",
    ),
    pytest.param(
        "Live birth rates were higher with IVIG plus adalimumab than in controls (p = 0.01).",
        "",
        {(T, "ivig", "live_birth", "increase"), (T, "tnf_inhibitor", "live_birth", "increase")},
        set(),
        id="two-treatments-together",
    ),
    pytest.param(
        "Etanercept increased embryo implantation rates in RIF women. When stratified by fresh or frozen cycles, "
        "the results were not significantly different with respect to the implantation rate.",
        "",
        {(T, "tnf_inhibitor", "implantation_rate", "increase")},
        {(T, "tnf_inhibitor", "implantation_rate", "no_difference")},
        id="strata-are-not-the-treatment",
    ),
    pytest.param(
        "The intravenous fat emulsion therapy was significantly effective in increasing clinical pregnancy rates "
        "compared to the control group.",
        "",
        {(T, "intralipid", "clinical_pregnancy", "increase")},
        set(),
        id="increasing",
    ),
    pytest.param(
        "KIR A haplotype carriers experienced fewer pregnancy losses than KIR B haplotype carriers.",
        "",
        {(A, "hla_kir", "miscarriage", "decrease")},
        set(),
        id="fewer",
    ),
    pytest.param(
        "Peripheral blood Th1 cell levels were negatively correlated with live birth.",
        "",
        {(A, "th1_th2", "live_birth", "decrease")},
        {(A, "th1_th2", "live_birth", "increase")},
        id="negatively-correlated",
    ),
    pytest.param(
        "Decreased ratio of FOXP3+/FOXP3-CD45RA+CD4+ T cells in peripheral blood is associated with unexplained "
        "infertility.",
        "",
        {(A, "t_cells", "infertility", "decrease")},
        {(A, "t_cells", "infertility", "increase")},
        id="decreased-ratio-of-a-mechanism",
    ),
    pytest.param(
        "We found several elevated pro-inflammatory cytokines, decreased anti-inflammatory cytokines, and "
        "increased Th1/Th2 cytokine ratios in RIF patients compared to control subjects.",
        "Alterations of cytokine profiles in patients with recurrent implantation failure",
        {
            (A, "cytokines", "rif", "increase"),
            (A, "cytokines", "rif", "decrease"),
            (A, "th1_th2", "rif", "increase"),
        },
        set(),
        id="each-mechanism-with-its-own-directions",
    ),
    pytest.param(
        "An increased embryo HLA-C2 load has a negative impact on the LBR in KIR AA patients.",
        "",
        {(A, "hla_kir", "live_birth", "decrease")},
        {(A, "hla_kir", "live_birth", "increase")},
        id="negative-impact-of-a-high-level",
    ),
    pytest.param(
        "The clinical pregnancy rate was 38.3% with LIT and 28.7% in women not receiving LIT (p = NS).",
        "",
        {(T, "lymphocyte_immunotherapy", "clinical_pregnancy", "no_difference")},
        set(),
        id="p-not-significant",
    ),
    # issue 17, the second probe set's misses
    pytest.param(
        "Clinical pregnancy (43.2% vs 30.3%, p=0.10) and live birth (33.8% vs 25.0%, p=0.24) were higher in the "
        "PRP group, but the differences were NS.",
        "PRP in RIF",
        {(T, "prp", "clinical_pregnancy", "no_difference"), (T, "prp", "live_birth", "no_difference")},
        {(T, "prp", "live_birth", "increase")},
        id="higher-but-NS",
    ),
    pytest.param(
        "The clinical pregnancy rate was also higher with EmbryoGlue without reaching significance (37.3% vs 25.4%).",
        "",
        {(T, "embryo_glue", "clinical_pregnancy", "no_difference")},
        {(T, "embryo_glue", "clinical_pregnancy", "increase")},
        id="higher-without-reaching-significance",
    ),
    pytest.param(
        "Of 126 women with RIF, 58 received intralipid and 68 received standard treatment. Live birth occurred "
        "in 19/58 women in the intralipid group and 11/68 women in the control group (P=0.03).",
        "",
        {(T, "intralipid", "live_birth", "increase")},
        set(),
        id="counts-of-both-groups-with-a-p-value",
    ),
]


@pytest.mark.parametrize(("text", "title", "present", "absent"), KINDS)
def test_kinds_of_writing(read, text, title, present, absent):
    found = {f.key for f in read(text, title=title).findings}
    assert present <= found
    assert not absent & found


@pytest.mark.parametrize(
    "text",
    [
        # a heading's section: others' work or the aim, not this study's result
        "Background: Women with hyper- and hypothyroidism are at increased risk for infertility and adverse "
        "pregnancy outcomes.",
        # a purpose
        "To improve the pregnancy rate in infertile patients, it may be helpful to administer antibiotic treatment "
        "if the result is positive.",
        # others' work
        "Several observational studies suggested that atosiban administration around embryo transfer resulted in "
        "higher pregnancy rates in RIF patients.",
        "It has been shown that the presence of antinuclear antibody might reduce pregnancy rates after IVF-ET.",
        # a gap in knowledge
        "A threshold plasma cell count that identifies CE and predicts pregnancy outcomes has not been established.",
        # whom the study took, not a result
        "Ten RIF patients with elevated T-helper 1/T-helper 2 (Th1/Th2) cell ratios were recruited into a clinical "
        "study.",
        "Tacrolimus treatment resulted in an implantation rate of 40% and a live birth rate of 35% in RIF patients "
        "with elevated Th1/Th2 ratios.",
        # a protocol's expectation
        "The primary outcome is live birth. We expect tacrolimus to improve live birth in this subgroup.",
    ],
)
def test_not_a_result_of_the_study(read, text):
    assert read(text).findings == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # the ';' inside brackets and before the p-value keeps the p-value in the clause
            "There was a higher LBR in patients receiving IVIg (32/49; 65.3%) compared to controls (32/94; 34%); "
            "p < 0.001.",
            ("treatment", "ivig", "live_birth", "increase", True),
        ),
        (
            "Clinical pregnancy rate was higher in PRP group than control group (44.89% versus 16.66%, "
            "respectively; p value: 0.003).",
            ("treatment", "prp", "clinical_pregnancy", "increase", True),
        ),
        (
            "Prevalence of patients with pNK cells ≥12% was statistically higher in RIF than in Control (66.6% vs "
            "20%).",
            ("association", "nk_peripheral", "rif", "increase", True),
        ),
    ],
)
def test_significance_of_the_clause(read, text, expected):
    assert expected in {(*f.key, f.significant) for f in read(text).findings}


def test_significance_kept_from_the_statement_that_gives_it(read):
    extraction = read(
        "The live birth rate was significantly higher with IVIG than with placebo (p = 0.01).",
        title="IVIG increased live birth rates in women with recurrent implantation failure",
    )
    (finding,) = extraction.findings
    assert finding.significant is True


@pytest.mark.parametrize(
    ("text", "title", "expected"),
    [
        (  # "pregnancy outcome" restates the clinical pregnancy result
            "The clinical pregnancy rate of the treatment group was 64.0%, significantly higher than that of the "
            "control group (P < 0.0001). Conclusion: An immunosuppressive treatment using tacrolimus improved "
            "pregnancy outcome.",
            "Immunosuppression with tacrolimus",
            {("treatment", "tacrolimus", "clinical_pregnancy", "increase")},
        ),
        (  # and stands when it is the abstract's only result
            "In a subgroup of RIF patients the additional application of IVIG leads to a favourable pregnancy "
            "outcome.",
            "",
            {("treatment", "ivig", "pregnancy", "increase")},
        ),
    ],
)
def test_umbrella_outcomes(read, text, title, expected):
    assert {f.key for f in read(text, title=title).findings} == expected


def test_background_section_ends_at_the_next_heading_or_line(read):
    text = (
        "Objective\nTo test whether IVIG improves live birth. It has been proposed that IVIG raises live birth rates."
        "\n\nIVIG did not improve the live birth rate (p = 0.40)."
    )
    assert {f.key for f in read(text).findings} == {("treatment", "ivig", "live_birth", "no_difference")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (  # "To date" opens no purpose
            "To date, IVIG improved live birth rates in all three trials.",
            {("treatment", "ivig", "live_birth", "increase")},
        ),
        (  # neonatal outcomes are an outcome of their own, not "pregnancy outcomes" as a whole
            "IVIG improved live birth rates (p = 0.01). Neonatal outcomes were not affected by IVIG.",
            {
                ("treatment", "ivig", "live_birth", "increase"),
                ("treatment", "ivig", "neonatal_outcome", "no_difference"),
            },
        ),
    ],
)
def test_what_is_still_a_result(read, text, expected):
    assert {f.key for f in read(text).findings} == expected
