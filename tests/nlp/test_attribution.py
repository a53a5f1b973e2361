"""Who an effect estimate belongs to: its intervention (or, for an association estimate,
its exposure), its comparator and its subgroup, in the ways abstracts name them
(`shared/spec/extraction.md`, effects[].intervention, .comparator, .subgroup)."""

from __future__ import annotations

import pytest

COMPARED = [
    # (text, [(intervention, comparator), ...] for its estimates in order)
    # the comparator opens the sentence, the treatment follows it
    (
        "When compared with the control group, intralipid administration significantly improved the clinical "
        "pregnancy rate (risk ratio [RR], 1.48; 95% confidence interval [CI], 1.23–1.79).",
        [("intralipid", "control")],
    ),
    # "compared X to Y", after the estimates it qualifies
    (
        "Meta-analysis found higher rates of clinical pregnancy (OR: 4.97 CI 95% 2.05 to 12.05) and live birth "
        "(OR: 5.13 CI 95% 2.03 to 12.91) when compared GH to no intervention; as well as an increased "
        "endometrial thickness (mean difference: 1.14 CI 95% -0.0 to 2.28).",
        [("growth_hormone", "control")] * 3,
    ),
    # the measure is named before the arms, its value after them
    (
        "The adjusted odds ratio for clinical pregnancy in women who received intralipid vs placebo was 3.1 "
        "(1.02-9.70 95% CI), p = 0.046.",
        [("intralipid", "control")],
    ),
    # two active arms, one drug in both: the other drug is the intervention
    (
        "The meta-analysis revealed no statistical significance between the PDN group and HCQ+PDN group "
        "regarding implantation rate (OR=1.99 [95%CI: 0.94–4.2]; P=0.37).",
        [("hydroxychloroquine", "glucocorticoid")],
    ),
    # "in the X and control groups, respectively"
    (
        "There were 34 (45.3%) and 29 (38.7%) clinical pregnancies in the LMWH and control groups, "
        "respectively (absolute difference 6.6%, 95% CI -9.0 to 21.8%, P = 0.41).",
        [("heparin", "control")],
    ),
    # the treatment named again inside the control arm ("not treated with LMWH")
    (
        "The pregnancy rate was higher in women treated with LMWH than in women not treated with LMWH "
        "(OR 2.0, 95% CI 1.1-3.5).",
        [("heparin", "control")],
    ),
    # the sentence names no treatment: the abstract's one intervention, against its control arm
    (
        "Intralipid for women with RIF: a randomised placebo-controlled trial. The live birth rate was higher "
        "in the treatment group (OR 2.1, 95% CI 1.2-3.6).",
        [("intralipid", "control")],
    ),
    # a review's pooled estimate of one of several treatments, no comparator named anywhere:
    # against its absence
    (
        "Pooling of results showed a beneficial effect of intrauterine PBMC infusion on CPR (RR 2.18; 95% CI "
        "1.58–3.00) and of intrauterine PRP infusion on CPR (RR 2.45; 95% CI 1.55–3.86).",
        [("pbmc", "control"), ("prp", "control")],
    ),
    # two active treatments compared in another sentence: the other treatment
    (
        "We compared G-CSF versus PRP in women with thin endometrium. G-CSF improved the clinical pregnancy "
        "rate (OR 2.10, 95% CI 1.20-3.70).",
        [("gcsf", "prp")],
    ),
    # the comparator is not in the sentence but the abstract has a control arm
    (
        "We compared women given IVIg with untreated women. In the logistic regression analysis, IVIg was "
        "associated with higher odds of live birth (OR 3.64; 95% CI 1.78–7.67; p = 0.0004).",
        [("ivig", "control")],
    ),
    # association estimates: the exposure the sentence names, compared with no concept
    (
        "Factor V Leiden was significantly more prevalent among women with ART failure compared with fertile "
        "parous women (odds ratio = 3.08; 95% confidence interval, 1.77-5.36).",
        [("thrombophilia", None)],
    ),
    (
        "Women with ART failure tested more frequently positive for anti-phospholipids antibodies (odds ratio "
        "= 3.33; 95% confidence interval, 1.77-6.26).",
        [("antiphospholipid", None)],
    ),
    (
        "An increase of Treg cells in the peripheral blood was associated with a better IVF treatment outcome "
        "(OR 4.3, 95% CI = 1.76-10.48).",
        [("treg", None)],
    ),
    # a sentence that names no concept is about the mechanism named last before it
    (
        "We investigate the significance of NK activation levels in predicting embryo implantation. "
        "Accentuated CD69stim levels were predictive for implantation failure (OR 6.9, p=0.0004).",
        [("nk_cytotoxicity", None)],
    ),
]


@pytest.mark.parametrize(("text", "expected"), COMPARED)
def test_estimates_carry_their_arms(read, text, expected):
    assert [(e.intervention, e.comparator) for e in read(text).effects] == expected


MORE_COMPARED = [
    # the comparator opens the sentence, right before the treatment (a comma between them)
    (
        "Compared with the control group, IVIG can increase the live birth rate of recurrent spontaneous "
        "abortion patients [OR = 3.06, 95%CI (1.23, 7.64, P = .02].",
        [("ivig", "control")],
    ),
    # in an abstract about a treatment, the women's condition says who was treated, and is
    # no exposure
    (
        "Endometrial scratching in women with implantation failure. However, subgroup analyses revealed that "
        "women with three or more previous implantation failures had a significant increase in clinical "
        "pregnancy rate (31.1% vs. 53.6%; relative risk = 1.72; confidence interval [1.05-2.83]) after "
        "scratching.",
        [("endometrial_scratch", "control")],
    ),
]


@pytest.mark.parametrize(("text", "expected"), MORE_COMPARED)
def test_estimates_carry_their_arms_more(read, text, expected):
    assert [(e.intervention, e.comparator) for e in read(text).effects] == expected


SUBGROUPS = [
    # (text, [subgroup of each estimate, in order])
    # a sentence that says it reports subgroups: the words that qualify each estimate
    (
        "Subgroup analysis showed that the live birth rate in primary (RR = 0.88, 95% CI 0.71 to 1.07) and "
        "secondary (RR = 1.26, 95% CI 0.99 to 1.61) RSA patients was not significantly different between the "
        "IVIG and placebo groups.",
        ["primary", "secondary"],
    ),
    # strata set against each other by a contrast word, one outcome
    (
        "Live birth rate was significantly different when IVIG was administered before conception (RR = 1.67, "
        "95% CI 1.30 to 2.14, P < 0.0001) but not after implantation (RR = 1.10, 95% CI 0.93 to 1.29).",
        ["IVIG was administered before conception", "after implantation"],
    ),
    # ... but not two measurements of no outcome concept (age, TSH) in one sentence
    (
        "Age did not differ between women with and without TAI: combined mean difference of 0.13 years (95% "
        "CI, −0.51 to 0.76 years), but serum thyroid-stimulating hormone was higher in women with TAI: "
        "combined mean difference of 0.20 mIU/L (95% CI, 0.07 to 0.33 mIU/L).",
        [None, None],
    ),
    # a subset of a meta-analysis's studies
    (
        "In studies conducted in RIF patients and controls who had successful pregnancy following IVF-ET, the "
        "meta-analysis showed a significant association between the HLA-G 14 bp polymorphism and RIF in "
        "allele contrast (OR = 1.74, 95% CI, 1.13, 2.67).",
        ["studies conducted in RIF patients and controls who had successful pregnancy following IVF-ET"],
    ),
    (
        "Combined results from case-control studies showed that factor V Leiden was significantly more "
        "prevalent among women with ART failure (odds ratio = 3.08; 95% confidence interval, 1.77-5.36).",
        ["case-control studies"],
    ),
    # a sensitivity analysis without some studies
    (
        "When excluding two studies only published as conference abstracts, there were no significant "
        "differences in terms of live birth (RR 1.78, 95 % CI 0.95–3.34).",
        ["two studies only published as conference abstracts"],
    ),
    # a sentence that opens on women with or without something
    (
        "In women with a clinical pregnancy (114 ICSI cycles with TAI and 651 without), there was no difference "
        "in miscarriage: combined odds ratio, 0.95 [95% confidence interval (CI), 0.48 to 1.87].",
        ["women with a clinical pregnancy"],
    ),
    (
        "In those without defined RIF, clinical pregnancy rates were reduced by 8.1% (AOR = 0.61, p = 0.023) "
        "with intrauterine hCG use.",
        ["those without defined RIF"],
    ),
    # ... but women with RIF are the study's population
    (
        "In women with RIF, IVIg improved the live birth rate (OR 2.10, 95% CI 1.20-3.70).",
        [None],
    ),
    # the whole population of a meta-analysis is no subset
    (
        "Meta-analysis of 11 studies showed that the difference in the live birth rate between the IVIG "
        "treatment and placebo groups was on the margin of significance (RR = 1.25, 95% CI 1.00 to 1.56).",
        [None],
    ),
]


@pytest.mark.parametrize(("text", "expected"), SUBGROUPS)
def test_estimates_carry_their_subgroup(read, text, expected):
    assert [e.subgroup for e in read(text).effects] == expected
