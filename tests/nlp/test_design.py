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
