"""Sample size and number of studies: numbers that count people, and numbers that do not."""

from __future__ import annotations

import pytest

SAMPLES = [
    ("Fifty-one couples with RIF were enrolled.", 51),
    ("One hundred six women were randomized to IVIg or placebo.", 106),
    ("One hundred and fifty women with two failed cycles were included.", 150),
    ("The study included 143 patients, with a 2:1 ratio of controls to treated patients.", 143),
    ("Of 169 patients, 84 were assigned to aspirin and 85 to placebo.", 169),
    ("We compared 96 RIF patients and 80 fertile controls.", 176),
    (
        "A total of 101 infertile women were included. Healthy fertile women (n = 160) served as controls.",
        261,
    ),
    ("Seventy-five women were divided into groups: 41 patients, 23 patients, 6 patients and 5 patients.", 75),
    ("Two groups (n=33 and n=33) were compared in this trial.", 66),
    ("Infertility affects one out of ten couples. We studied 40 women.", 40),
    ("Women aged 35 years received 500 mg/kg IVIg in 161 cycles.", None),  # an age, a dose, cycles
    ("Forty-nine percent of samples had plasma cells.", None),
]


@pytest.mark.parametrize(("text", "expected"), SAMPLES)
def test_sample_size(read, text, expected):
    assert read(text).sample_size == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Meta-analysis of 11 studies showed a benefit.", 11),
        (
            "Two randomized controlled trials and three cohort studies (1173 patients in total) were included.",
            5,
        ),
    ],
)
def test_number_of_studies(read, text, expected):
    extraction = read(text)
    assert extraction.n_studies == expected


def test_n_of_n_in_results_is_not_the_total(read):
    text = (
        "Sixty-two couples with RIF were enrolled. Clinical pregnancy was achieved in "
        "14 of 31 versus 8 of 31 women (p = 0.11)."
    )
    assert read(text).sample_size == 62


@pytest.mark.parametrize(
    ("text", "n_studies", "sample"),
    [
        ("A total of 36 RCTs involving 5,280 participants were included in the meta-analysis.", 36, 5280),
        ("A questionnaire was sent to 150 fertility specialists about immunotherapy.", None, 150),
    ],
)
def test_studies_and_respondents(read, text, n_studies, sample):
    extraction = read(text)
    assert (extraction.n_studies, extraction.sample_size) == (n_studies, sample)
