"""Study design from publication types, titles and abstract wording."""

from __future__ import annotations

import pytest

DESIGNS = [
    ("A double blind placebo controlled randomized trial of G-CSF in 100 women.", "", "rct"),
    ("We performed a systematic review and meta-analysis of 5 RCTs (840 patients).", "", "meta_analysis"),
    (
        "A systematic search was done; definitions of RIF were compared.",
        "A systematic review and opinion",
        "systematic_review",
    ),
    ("This case-control study compared 30 RIF patients with 15 controls.", "", "case_control"),
    ("We retrospectively analysed 143 patients treated with IVIg (p < 0.001).", "", "cohort"),
    ("Eighty-three RIF women received etanercept in this single-arm, prospective study.", "", "nrct"),
    (
        "The task force recommends IVIg in women with RIF and abnormal NK cells.",
        "Practice guidelines",
        "guideline",
    ),
    ("This narrative review discusses NK cells. A randomized controlled trial is needed.", "", "review"),
    ("RIF has many causes, among them uterine and embryonic factors.", "", "review"),
    ("Sixty women with RIF were compared with 30 fertile controls for uNK cells.", "", "case_control"),
    (
        "Compared with data from the meta-analysis of Clark et al., 188 women had a pregnancy rate of 50%.",
        "",
        "cohort",
    ),
    # a design named in the plural is other people's studies
    (
        "This retrospective study consisted of 148 couples with RIF who underwent lymphocyte immunization. "
        "In view of the limited data from randomized studies, LIT cannot be recommended as routine therapy.",
        "Live birth rates after active immunization with partner lymphocytes",
        "cohort",
    ),
    (
        "Several observational studies suggested a benefit of atosiban. In this randomised trial 194 women "
        "received atosiban or placebo.",
        "",
        "rct",
    ),
    (
        "Eight non-randomized controlled trials, including 478 women, were pooled in a meta-analysis.",
        "",
        "meta_analysis",
    ),  # fmt: skip
    # a call for future work reaches only its own clause
    (
        "Methods: Retrospective, cross sectional and observational study that included 74 women with RIF, "
        "which were tested for pNK cells in order to avoid complications in future pregnancies.",
        "Prevalence of peripheral blood NK cells in women with RIF",
        "cross_sectional",
    ),
    (
        "We retrospectively analysed 143 women with RIF given IVIg. A randomized controlled trial is needed.",
        "",
        "cohort",
    ),
    (
        "Future randomized controlled trials in women with RPL are needed. We treated 40 women with IVIg.",
        "IVIg in women with RPL",
        "nrct",
    ),
    # a model, not a study of people
    (
        "To disentangle this, we set up a mathematical model based on the following assumptions: "
        "a success rate of 30% and a prevalence of RIF of 10%.",
        "",
        "other",
    ),
    # patients with and without a condition compared, no treatment studied
    (
        "Sera from 42 women with IVF failure and 42 women who conceived after IVF were tested for APAs. "
        "From the control group, 2/42 (4.8%) were positive.",
        "Antiphospholipid antibody prevalence in patients with IVF failure",
        "case_control",
    ),
    (
        "In this study, 50 women with RIF and 50 fertile controls were enrolled. Peripheral blood mononuclear "
        "cells were isolated for flow cytometry.",
        "Cut-off values for uterine and peripheral blood NK cells in fertile controls and women with RIF",
        "case_control",
    ),
    # a review that pools is a meta-analysis; one that does not, a systematic review
    (
        "A systematic review was performed. Data from 8 RCTs were pooled using a random-effects model "
        "(RR 1.2, 95% CI 1.0-1.4).",
        "",
        "meta_analysis",
    ),
    ("We conducted a scoping review of RIF definitions in 45 articles.", "", "systematic_review"),
    # a prevalence in one group, no outcome followed: cross-sectional; with outcomes: cohort
    (
        "The prevalence of elevated peripheral NK cells was assessed in 120 women with RIF; 35% had NK "
        "cells above 12%.",
        "",
        "cross_sectional",
    ),
    (
        "We determined the prevalence of plasma cells in 80 women undergoing IVF and whether it predicts "
        "live birth.",
        "",
        "cohort",
    ),
    # a record review of one group, no outcome followed: cross-sectional
    (
        "The clinical records and laboratory results were retrospectively reviewed for 64 women with RIF. "
        "Adenomyosis was associated with a higher density of macrophages (p=0.004).",
        "Adenomyosis and macrophages in women with recurrent reproductive failure",
        "cross_sectional",
    ),
    (
        "We retrospectively reviewed the medical records of 143 women with RIF treated with IVIg. "
        "The live birth rate was 40% (p < 0.01).",
        "IVIg in RIF",
        "cohort",
    ),
    (
        "We retrospectively reviewed the medical records of 300 women with RIF; CE was found in 30%. "
        "The live birth rate was lower in women with CE (p = 0.02).",
        "Chronic endometritis in RIF",
        "cohort",
    ),
]


@pytest.mark.parametrize(("text", "title", "expected"), DESIGNS)
def test_design_from_words(read, text, title, expected):
    assert read(text, title=title).study_design == expected


def test_publication_type_wins(read):
    text = "We studied 40 women retrospectively."
    assert read(text, publication_types=("Randomized Controlled Trial",)).study_design == "rct"


def test_an_observational_study_that_mentions_a_treatment_is_not_a_trial(read):
    text = "In 530 women, live birth was not affected by chronic endometritis. Antibiotics did not help."
    assert read(text, title="Chronic endometritis and live birth").study_design == "cohort"


def test_case_series(read):
    assert (
        read("We report a case series of five women with RIF treated with tacrolimus.").study_design
        == "case_series"
    )
