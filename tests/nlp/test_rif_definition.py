"""The RIF definition a study states: failed transfers, embryos, quality, age."""

from __future__ import annotations

import pytest

DEFINITIONS = [
    (
        "RIF was defined as ≥3 failed good-quality blastocyst transfers in women aged under 42.",
        (3, None, "good", 42),
    ),
    (
        "Recurrent implantation failure (RIF) refers to failure to achieve a clinical pregnancy after transfer "
        "of at least four good-quality embryos in a minimum of three fresh or frozen cycles in a woman under "
        "the age of 40 years.",
        (3, 4, "good", 40),
    ),
    (
        "One hundred and fifty women with RIF (> or =2 failed assisted reproduction treatment cycles).",
        (2, None, None, None),
    ),
    ("Women with RIF after two or more implantation failures received PRP.", (2, None, None, None)),
    ("RIF, defined as failure after at least 12 transferred embryos, was treated.", (None, 12, None, None)),
    (
        "Moderate and severe RIF (respectively 3–4 and ≥ 5 previous good quality blastocyst transfer failures).",
        (3, None, "good", None),
    ),
]


@pytest.mark.parametrize(("text", "expected"), DEFINITIONS)
def test_rif_definition(read, text, expected):
    rif = read(text).rif_definition
    assert (rif.min_failed_transfers, rif.min_embryos, rif.embryo_quality, rif.max_age) == expected


def test_the_endorsed_definition_wins(read):
    text = (
        "Definitions of RIF use two or three failed IVF attempts. "
        "The definition of RIF based on three failed attempts (but not two) seems justified."
    )
    assert read(text).rif_definition.min_failed_transfers == 3


@pytest.mark.parametrize(
    "text",
    [
        "Recurrent pregnancy loss refers to three or more miscarriages.",  # not RIF
        "RIF patients had a mean of 4.8 previous transfers.",  # an average, not a criterion
        "Women with RIF received IVIg 400 mg/kg.",
    ],
)
def test_no_definition(read, text):
    rif = read(text).rif_definition
    assert rif is None or rif.min_failed_transfers is None


def test_age_limit_written_with_a_symbol(read):
    text = "Couples with unexplained RIF (≥ 3 failed cycles, ≥ 6 embryos transferred, women < 38 years)."
    rif = read(text).rif_definition
    assert (rif.min_failed_transfers, rif.min_embryos, rif.max_age) == (3, 6, 38)
