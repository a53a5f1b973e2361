"""Fifty sentences and short abstracts in kinds of writing the dev corpus lacks (issue 17),
written before the findings reader was changed for them: trial reports as Chinese,
Iranian, Egyptian and Indian journals write them ("the observation group ... higher than
that of the control group (P<0.05)"), placebo arms named as the side with more of an
outcome, "respectively", conference abstracts, protocols, aims, hedges, and decoys (dental
implant failure, outcomes of women who did and did not conceive). Close paraphrases of
real abstracts' sentences; the expected findings follow shared/spec/annotation.md.

Each case: (id, title, text, expected set of (kind, subject, object, direction)). The
table is read by tests/nlp/test_findings_unseen.py and by benchmarks/findings_context.py.
"""

from __future__ import annotations

T, A = "treatment", "association"
INC, DEC, NOD = "increase", "decrease", "no_difference"

CASES: list[tuple[str, str, str, set[tuple[str, str, str, str]]]] = [
    # --- Chinese trial reports: observation/research group vs control group ---------------
    (
        "cn-observation-higher",
        "Effect of granulocyte colony-stimulating factor on pregnancy outcome in patients with repeated implantation failure",  # noqa: E501
        "Results: The clinical pregnancy rate of the observation group was significantly higher than that of the "
        "control group (P<0.05).",
        {(T, "gcsf", "clinical_pregnancy", INC)},
    ),
    (
        "cn-observation-lower-abortion",
        "Clinical study of intrauterine perfusion of PBMC in repeated implantation failure",
        "Results: The abortion rate of the observation group was lower than that of the control group "
        "(8.3% vs 25.0%, P<0.05).",
        {(T, "pbmc", "miscarriage", DEC)},
    ),
    (
        "cn-research-group-no-diff",
        "Application of growth hormone in frozen embryo transfer of patients with repeated implantation failure",
        "Results: There was no statistically significant difference in the biochemical pregnancy rate between "
        "the research group and the control group (P>0.05).",
        {(T, "growth_hormone", "biochemical_pregnancy", NOD)},
    ),
    (
        "cn-two-outcomes-higher",
        "Effect of low molecular weight heparin on IVF outcome in women with repeated implantation failure",
        "Results: The implantation rate and clinical pregnancy rate in the LMWH group were 32.1% and 45.0%, "
        "which were higher than those in the control group (18.2% and 27.5%), the differences were "
        "statistically significant (P<0.05).",
        {(T, "heparin", "implantation_rate", INC), (T, "heparin", "clinical_pregnancy", INC)},
    ),
    (
        "cn-compared-with-control",
        "",
        "Compared with the control group, the live birth rate of the tacrolimus group was significantly "
        "increased (P<0.01).",
        {(T, "tacrolimus", "live_birth", INC)},
    ),
    (
        "cn-control-lower",
        "Hydroxychloroquine in patients with repeated implantation failure and positive antinuclear antibodies",
        "Results: The ongoing pregnancy rate of the control group was significantly lower than that of the "
        "observation group (P<0.05).",
        {(T, "hydroxychloroquine", "ongoing_pregnancy", INC)},
    ),
    (
        "cn-conclusion-can-improve",
        "",
        "Conclusion: Intrauterine infusion of hCG can improve the embryo implantation rate of patients with "
        "repeated implantation failure (P<0.05).",
        {(T, "hcg_intrauterine", "implantation_rate", INC)},
    ),
    (
        "cn-no-significance-sentence",
        "Effect of atosiban on frozen-thawed embryo transfer in repeated implantation failure",
        "Results: There were no significant differences in the miscarriage rate between the two groups (P>0.05).",
        {(T, "atosiban", "miscarriage", NOD)},
    ),
    # --- placebo or control arm as the side that has more ---------------------------------
    (
        "ir-placebo-abortion-higher",
        "Low molecular weight heparin in women with recurrent implantation failure: a randomized placebo "
        "controlled trial",
        "Results: The abortion rate was significantly higher in the placebo group (P = 0.03).",
        {(T, "heparin", "miscarriage", DEC)},
    ),
    (
        "ir-control-pregnancy-higher-ns",
        "",
        "The clinical pregnancy rate was higher in the control group than in the G-CSF group, but the difference "
        "was not significant (P = 0.41).",
        {(T, "gcsf", "clinical_pregnancy", NOD)},
    ),
    (
        "ir-placebo-lower-implantation",
        "",
        "Implantation rate was significantly lower in the placebo group than in the intralipid group "
        "(12.4% vs 21.7%, P = 0.02).",
        {(T, "intralipid", "implantation_rate", INC)},
    ),
    (
        "ir-miscarriage-more-in-controls",
        "",
        "Miscarriage was more frequent in controls than in women treated with prednisolone (P < 0.05).",
        {(T, "glucocorticoid", "miscarriage", DEC)},
    ),
    (
        "eg-more-significant-in-intervention",
        "Atosiban for women with repeated implantation failure: a randomized controlled trial",
        "Results: Implantation rate (15.7% versus 9.2%) and clinical pregnancy (48.3% versus 23.26; p = .001) "
        "was more significant in the intervention group.",
        {(T, "atosiban", "implantation_rate", INC), (T, "atosiban", "clinical_pregnancy", INC)},
    ),
    (
        "eg-favoring-sildenafil",
        "",
        "The clinical pregnancy rate was 40% in the sildenafil group versus 22% in the control group "
        "(p = 0.03).",
        {(T, "sildenafil", "clinical_pregnancy", INC)},
    ),
    (
        "eg-vs-numbers-ns",
        "",
        "Live birth rates were 30.0% in the PRP group and 26.7% in the control group (p = 0.77).",
        {(T, "prp", "live_birth", NOD)},
    ),
    (
        "eg-control-vs-treated-order",
        "",
        "The miscarriage rate was 35% in the control group versus 12% in the heparin group (p = 0.02).",
        {(T, "heparin", "miscarriage", DEC)},
    ),
    (
        "in-respectively-higher",
        "",
        "The clinical pregnancy rates in the G-CSF and placebo groups were 37.5% and 16.7%, respectively "
        "(P = 0.01).",
        {(T, "gcsf", "clinical_pregnancy", INC)},
    ),
    (
        "in-respectively-control-first",
        "",
        "The miscarriage rates in the control and intralipid groups were 28% and 9%, respectively (P = 0.04).",
        {(T, "intralipid", "miscarriage", DEC)},
    ),
    (
        "in-respectively-ns",
        "",
        "Ongoing pregnancy rates in the scratch and no-scratch groups were 31% and 29%, respectively "
        "(P = 0.81).",
        {(T, "endometrial_scratch", "ongoing_pregnancy", NOD)},
    ),
    (
        "ir-placebo-without",
        "",
        "Women who received placebo had a significantly higher miscarriage rate than those receiving "
        "progesterone (P < 0.001).",
        {(T, "progesterone", "miscarriage", DEC)},
    ),
    # --- conference abstracts -------------------------------------------------------------
    (
        "conf-main-results",
        "O-123 Intralipid infusion in recurrent implantation failure: a multicentre RCT",
        "MAIN RESULTS AND THE ROLE OF CHANCE: Live birth rate was higher with intralipid than with saline "
        "(34% vs 21%; OR 1.94, 95% CI 1.10-3.41).",
        {(T, "intralipid", "live_birth", INC)},
    ),
    (
        "conf-limitations-not-result",
        "",
        "LIMITATIONS, REASONS FOR CAUTION: The sample size was small and the higher live birth rate with IVIG "
        "may reflect chance.",
        set(),
    ),
    (
        "conf-wider-implications-hedge",
        "",
        "WIDER IMPLICATIONS OF THE FINDINGS: PRP may improve clinical pregnancy rates in women with RIF.",
        set(),
    ),
    (
        "conf-no-effect-ci",
        "",
        "MAIN RESULTS: Endometrial scratching did not increase the live birth rate (RR 1.04, 95% CI 0.85-1.27).",
        {(T, "endometrial_scratch", "live_birth", NOD)},
    ),
    # --- protocols and aims ---------------------------------------------------------------
    (
        "protocol-primary-outcome",
        "Intravenous immunoglobulin for recurrent implantation failure: protocol for a randomized trial",
        "Methods and analysis: The primary outcome is live birth; secondary outcomes are clinical pregnancy and "
        "miscarriage. We hypothesise that IVIg increases the live birth rate.",
        set(),
    ),
    (
        "aim-to-determine",
        "",
        "The aim of this study was to determine whether IVIg increases the live birth rate in women with "
        "recurrent implantation failure.",
        set(),
    ),
    (
        "aim-designed",
        "",
        "This trial was designed to test whether G-CSF improves implantation in thin endometrium.",
        set(),
    ),
    (
        "protocol-will",
        "",
        "We will compare the clinical pregnancy rate between women receiving PRP and those receiving no "
        "intervention.",
        set(),
    ),
    (
        "hedge-might",
        "",
        "Intralipid might reduce the miscarriage rate in women with elevated NK cells.",
        set(),
    ),
    (
        "hedge-suggest",
        "",
        "These findings suggest that tacrolimus may improve the live birth rate in RIF patients with an elevated "
        "Th1/Th2 ratio.",
        set(),
    ),
    (
        "background-gcsf",
        "",
        "Background: G-CSF has been shown to increase the implantation rate in women with thin endometrium.",
        set(),
    ),
    # --- decoys ---------------------------------------------------------------------------
    (
        "decoy-dental-implant",
        "Risk factors for dental implant failure: a retrospective study",
        "Smoking was associated with a higher rate of implant failure (OR 2.1, 95% CI 1.3-3.4).",
        set(),
    ),
    (
        "decoy-dental-vitamin-d",
        "Vitamin D and early dental implant failure",
        "Low vitamin D levels were associated with early implant failure in patients receiving dental implants.",
        set(),
    ),
    (
        "decoy-conceived-age",
        "Peripheral NK cells in women with recurrent implantation failure",
        "Women who conceived were younger than those who did not (32.1 vs 35.4 years, P = 0.01).",
        set(),
    ),
    (
        "decoy-conceived-embryos",
        "Uterine NK cells and IVF outcome",
        "The number of embryos transferred was higher in women who became pregnant than in those who did not "
        "(P = 0.03).",
        set(),
    ),
    (
        "decoy-baseline",
        "",
        "Baseline characteristics, including age and BMI, were similar between the IVIG and control groups.",
        set(),
    ),
    # --- associations in comparative form -------------------------------------------------
    (
        "assoc-nk-conceived",
        "",
        "Peripheral NK cell percentages were significantly lower in women who achieved a clinical pregnancy "
        "than in those who did not (P = 0.004).",
        {(A, "nk_peripheral", "clinical_pregnancy", DEC)},
    ),
    (
        "assoc-rif-vs-fertile",
        "",
        "The expression of IL-10 was lower in the RIF group compared with fertile controls (P < 0.01).",
        {(A, "il10", "rif", DEC)},
    ),
    (
        "assoc-fertile-higher-treg",
        "",
        "Treg cells were significantly higher in fertile controls than in women with RIF (P = 0.002).",
        {(A, "treg", "rif", DEC)},
    ),
    (
        "assoc-ce-pregnancy",
        "",
        "The clinical pregnancy rate was lower in women with chronic endometritis than in those without "
        "(22% vs 41%, P = 0.01).",
        {(A, "chronic_endometritis", "clinical_pregnancy", DEC)},
    ),
    (
        "assoc-respectively-tnf",
        "",
        "TNF-alpha levels in the RIF and control groups were 18.4 and 11.2 pg/ml, respectively (P < 0.001).",
        {(A, "tnf_alpha", "rif", INC)},
    ),
    # --- verbal results, negation and treatment arms named by drug ------------------------
    (
        "verbal-no-improvement",
        "",
        "Results: Adding aspirin to heparin did not improve the live birth rate compared with heparin alone "
        "(P = 0.62).",
        {(T, "aspirin", "live_birth", NOD)},
    ),
    (
        "verbal-failed-to",
        "",
        "Results: Sildenafil failed to increase endometrial thickness or the clinical pregnancy rate.",
        {(T, "sildenafil", "clinical_pregnancy", NOD)},
    ),
    (
        "verbal-significant-reduction",
        "",
        "Results: Hydroxychloroquine led to a significant reduction in the miscarriage rate (P = 0.008).",
        {(T, "hydroxychloroquine", "miscarriage", DEC)},
    ),
    (
        "verbal-or-below-one",
        "",
        "Results: Vitamin D supplementation was associated with lower miscarriage (OR 0.45, 95% CI 0.22-0.91).",
        {(T, "vitamin_d", "miscarriage", DEC)},
    ),
    (
        "verbal-meta-rr",
        "",
        "Pooled analysis showed that PRP increased the clinical pregnancy rate (RR 1.85, 95% CI 1.42-2.41; "
        "I2 = 12%).",
        {(T, "prp", "clinical_pregnancy", INC)},
    ),
    (
        "table-like-percent-vs",
        "",
        "Clinical pregnancy: GH group 42.9% vs control 25.0%, p = 0.04; miscarriage: 10.0% vs 11.1%, p = 0.89.",
        {(T, "growth_hormone", "clinical_pregnancy", INC), (T, "growth_hormone", "miscarriage", NOD)},
    ),
    (
        "indian-trial-favourable",
        "",
        "Results: A statistically significant increase in the implantation rate was observed in the PBMC group "
        "as compared to the control group (20.5% vs 10.1%; p = 0.02).",
        {(T, "pbmc", "implantation_rate", INC)},
    ),
    (
        "conclusion-no-evidence",
        "",
        "Conclusions: We found no evidence that intralipid improves the live birth rate in women with RIF.",
        {(T, "intralipid", "live_birth", NOD)},
    ),
    (
        "placebo-fewer-pregnancies",
        "",
        "Fewer clinical pregnancies occurred in the placebo arm than in the atosiban arm (18 vs 31, P = 0.03).",
        {(T, "atosiban", "clinical_pregnancy", INC)},
    ),
]
