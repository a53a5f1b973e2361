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
]


@pytest.mark.parametrize(("text", "expected"), FINDINGS)
def test_finding(read, text, expected):
    found = {(f.kind, f.subject, f.object, f.direction, f.significant) for f in read(text).findings}
    assert expected in found


def test_clauses_have_their_own_direction(read):
    text = (
        "G-CSF may increase chemical pregnancy and implantation rate but clinical pregnancy rate "
        "and abortion rate were unaffected."
    )
    found = {(f.object, f.direction, f.hedged) for f in read(text).findings}
    assert ("biochemical_pregnancy", "increase", True) in found
    assert ("clinical_pregnancy", "no_difference", False) in found
    assert ("miscarriage", "no_difference", False) in found


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
