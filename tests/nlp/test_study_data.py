"""The meta-analysis form filled from an abstract: groups, their sizes and their numbers,
in the shapes abstracts write them (sentences made after real ones, not copied from the
dev corpus's gold)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rifkb.nlp.form import derivation as _derivation

# (abstract, rows as (outcome, group, events, total, mean, sd, subgroup set, derived))
ROWS = [
    (  # group sizes from "(n = …)", per-group percentages, "versus" order
        "This randomised trial compared intralipid with saline. Women in the intralipid group (n = 60) and "
        "the control group (n = 58) were followed. The clinical pregnancy rate was 45% in the intralipid "
        "group versus 25.9% in the control group (p = 0.03).",
        {
            ("clinical_pregnancy", "intralipid", 27, 60, None, None, False, True),
            ("clinical_pregnancy", "control", 15, 58, None, None, False, True),
        },
    ),
    (  # sizes in a clause per arm ("Of N patients, n were assigned to …"), "n patients (x%)"
        "A randomised trial of aspirin. Of 120 patients, 61 were assigned to aspirin and 59 to placebo. "
        "In the aspirin group, 20 patients (32.8%) had an ongoing pregnancy, and in the placebo group, "
        "18 patients (30.5%) had an ongoing pregnancy.",
        {
            ("ongoing_pregnancy", "aspirin", 20, 61, None, None, False, False),
            ("ongoing_pregnancy", "control", 18, 59, None, None, False, False),
        },
    ),
    (  # counts written n/N with the arm after them; a subgroup opening on an age group
        "A cohort of IVIg in RIF. The live birth rate was 30% (12/40) in the IVIg group and 20% (9/45) "
        "in the untreated group. In women over 38 years of age the live birth rate was 4/15 in the IVIg "
        "group and 2/20 in the untreated group.",
        {
            ("live_birth", "ivig", 12, 40, None, None, False, False),
            ("live_birth", "control", 9, 45, None, None, False, False),
            ("live_birth", "ivig", 4, 15, None, None, True, False),
            ("live_birth", "control", 2, 20, None, None, True, False),
        },
    ),
    (  # populations compared, "respectively", counts in words
        "Antiphospholipid antibodies in RIF: a case-control study. We compared 50 women with RIF and 50 "
        "healthy fertile women. Antiphospholipid antibodies were found in twelve of 50 and three of 50 "
        "women with RIF and fertile controls, respectively.",
        {
            ("antiphospholipid", "rif", 12, 50, None, None, False, False),
            ("antiphospholipid", "fertile_controls", 3, 50, None, None, False, False),
        },
    ),
    (  # means ± SD of a mechanism, groups named after the numbers with a unit between
        "Uterine NK cells in RIF: a case-control study. Twenty women with RIF were assigned to the case "
        "group, and 20 fertile women to the control group. The mean number of uNK cells was 12.5±4.1 "
        "cells/mm2 in the case group and 18.2±5.0 cells/mm2 in the control group.",
        {
            ("nk_uterine", "rif", None, 20, 12.5, 4.1, False, False),
            ("nk_uterine", "fertile_controls", None, 20, 18.2, 5.0, False, False),
        },
    ),
    (  # labelled groups defined once and used later
        "Lymphocyte immunotherapy after failed transfers: a retrospective review. Patients receiving LIT "
        "(group 1) and women not receiving LIT (group 2) were compared. The clinical pregnancy rate was "
        "14/50 in group 1 and 9/60 in group 2.",
        {
            ("clinical_pregnancy", "lymphocyte_immunotherapy", 14, 50, None, None, False, False),
            ("clinical_pregnancy", "control", 9, 60, None, None, False, False),
        },
    ),
    (  # a single group gives no row, and neither does a percentage without its group's size
        "A case series of G-CSF in RIF. Forty women received G-CSF. The clinical pregnancy rate was 35%.",
        set(),
    ),
    (  # an implantation rate is per embryo: a percentage of it with only women counted gives no row
        "A randomised trial of heparin. The heparin group (n = 50) and the control group (n = 50) were "
        "compared. The implantation rate was 11% in the heparin group and 5% in the control group.",
        set(),
    ),
    (  # issue 17: "82 of 157 chose PBMC" sizes the arm 82, not 157 (bug: live birth 27/157);
        # "respectively" with no groups in its sentence takes the arms as the text defined them
        "In this non-randomized clinical trial, 157 women with RIF were enrolled; 82 of 157 chose intrauterine "
        "PBMC administration and the remaining 75 served as controls. Results: Clinical pregnancy was "
        "achieved in 31/82 women in the PBMC group and 16/75 in the control group (P=0.04). Live birth "
        "rates were 29.3% and 17.3%, respectively.",
        {
            ("clinical_pregnancy", "pbmc", 31, 82, None, None, False, False),
            ("clinical_pregnancy", "control", 16, 75, None, None, False, False),
            ("live_birth", "pbmc", 24, 82, None, None, False, True),
            ("live_birth", "control", 13, 75, None, None, False, True),
        },
    ),
]


def _rows(extraction):
    return {
        (r.outcome, r.group, r.events, r.total, r.mean, r.sd, r.subgroup is not None, r.derived)
        for r in extraction.study_data
    }


@pytest.mark.parametrize(("text", "expected"), ROWS)
def test_study_data_rows(read, text, expected):
    assert _rows(read(text)) == expected


def test_a_derived_row_says_how_and_carries_its_evidence(read):
    x = read(ROWS[0][0])
    row = next(r for r in x.study_data if r.group == "control")
    assert row.note == "events = round(25.9% x 58 / 100) = 15"
    assert row.percent == 25.9
    assert "25.9%" in row.evidence.sentence and row.evidence.rule == "rifkb_study_data_v1"


def test_event_rates_take_the_group_of_their_row(read):
    x = read(ROWS[2][0])
    assert [(r.events, r.total, r.group) for r in x.event_rates] == [
        (12, 40, "ivig"),
        (9, 45, "control"),
        (4, 15, "ivig"),
        (2, 20, "control"),
    ]


def test_a_count_that_does_not_give_back_its_percentage_is_said_so():
    # 53.9% of 50 is 26.95: 27 events, which is 54.0%, not the 53.9% printed
    assert _derivation(53.9, 50, 27).endswith("27/50 is 54.0%, not the 53.9% printed")
    assert _derivation(54.0, 50, 27) == "events = round(54% x 50 / 100) = 27"


@given(total=st.integers(1, 5000), events=st.integers(0, 5000), decimals=st.integers(0, 2))
def test_a_percentage_printed_from_a_count_gives_it_back(total, events, decimals):
    """Any count printed as a rounded percentage derives back to a count whose own
    percentage, to the printed decimals, is the one printed (the check that flags a
    mismatch never fires on a consistent pair), and to the count itself when the printed
    decimals are fine enough to tell neighbouring counts apart."""
    events = min(events, total)
    percent = round(100 * events / total, decimals)
    derived = math.floor(percent * total / 100 + 0.5)
    assert "not the" not in _derivation(percent, total, derived)
    if 100 / total > 2 * 10**-decimals:
        assert derived == events


# Abstracts written after the rules, in shapes they were not tuned on, then kept: the first
# reading of the first ten found 10 of 20 rows (F1 0.65), of the next ten 9 of 18 (0.62);
# the rules for the kinds of writing they showed (events "in 14 women in the G-CSF group",
# "declined treatment", units between a mean and its group, "compared with controls
# (n = 70), women given ...", "40 per group", "… with and without CE") came after.
# (whole-population rows: (outcome, group, events, total) or (outcome, group, None, total, mean, sd))
WRITTEN_AFTER = [
    (
        "Methods: Sixty women with RIF were randomised to receive G-CSF (n = 30) or no treatment (n = 30). Results: Clinical pregnancy occurred in 14 women in the G-CSF group and 7 women in the control group (p = 0.04).",
        {("clinical_pregnancy", "gcsf", 14, 30), ("clinical_pregnancy", "control", 7, 30)},
    ),
    (
        "This retrospective cohort compared 120 RIF patients who received intralipid with 150 who did not. The live birth rate was 35.8% with intralipid and 28.0% without (p = 0.17).",
        {("live_birth", "intralipid", 43, 120), ("live_birth", "control", 42, 150)},
    ),
    (
        "We enrolled 40 women with recurrent implantation failure and 40 fertile controls. Peripheral NK cells were 14.2 ± 5.1% in women with RIF and 10.3 ± 4.2% in fertile controls (P < 0.01).",
        {
            ("nk_peripheral", "rif", None, 40, 14.2, 5.1),
            ("nk_peripheral", "fertile_controls", None, 40, 10.3, 4.2),
        },
    ),
    (
        "A randomised placebo-controlled trial. Women with RIF received IVIg (n = 45) or placebo (n = 44). The ongoing pregnancy rate was 31.1% versus 22.7%, respectively.",
        {("ongoing_pregnancy", "ivig", 14, 45), ("ongoing_pregnancy", "control", 10, 44)},
    ),
    (
        "Chronic endometritis was diagnosed in 60 of 150 women with RIF. After antibiotics, the clinical pregnancy rate was 45% (27/60) in women with CE compared with 38.9% (35/90) in women without CE.",
        {("clinical_pregnancy", "chronic_endometritis", 27, 60), ("clinical_pregnancy", "control", 35, 90)},
    ),
    (
        "Patients were allocated to heparin (group A, n = 50) or standard care (group B, n = 52). Miscarriage occurred in 4/50 in group A and 9/52 in group B.",
        {("miscarriage", "heparin", 4, 50), ("miscarriage", "control", 9, 52)},
    ),
    (
        "In this case-control study, 35 women with RIF and 35 healthy fertile women were tested. Thyroid autoimmunity was present in 11 (31.4%) RIF patients and 4 (11.4%) controls.",
        {("thyroid_autoimmunity", "rif", 11, 35), ("thyroid_autoimmunity", "fertile_controls", 4, 35)},
    ),
    (
        "A randomised trial of PRP in 80 women with thin endometrium and RIF, 40 per group. Implantation rates were 22% and 12%, and clinical pregnancy rates were 45% and 27.5% in the PRP and control groups, respectively.",
        {("clinical_pregnancy", "prp", 18, 40), ("clinical_pregnancy", "control", 11, 40)},
    ),
    (
        "Tacrolimus was given to 30 RIF women with elevated Th1/Th2 ratios; 25 women with elevated ratios declined treatment. The live birth rate was 46.7% in the tacrolimus group and 20.0% in untreated women.",
        {("live_birth", "tacrolimus", 14, 30), ("live_birth", "control", 5, 25)},
    ),
    (
        "Of 210 couples with RIF, 104 received lymphocyte immunotherapy and 106 served as controls. Live birth: 33/104 vs 21/106 (RR 1.62, 95% CI 1.01-2.59).",
        {("live_birth", "lymphocyte_immunotherapy", 33, 104), ("live_birth", "control", 21, 106)},
    ),
    (
        "Ninety-six women with RIF were randomly assigned to subcutaneous G-CSF or saline. Biochemical pregnancy was achieved by 21 of 48 women receiving G-CSF and 12 of 48 receiving saline.",
        {("biochemical_pregnancy", "gcsf", 21, 48), ("biochemical_pregnancy", "control", 12, 48)},
    ),
    (
        "Women with RIF and elevated NK cells were treated with prednisolone (n=64) or received no immunotherapy (n=58). Live birth rates were 39.1% and 24.1%, respectively (P=0.08).",
        {("live_birth", "glucocorticoid", 25, 64), ("live_birth", "control", 14, 58)},
    ),
    (
        "Uterine NK cell density was measured in 28 RIF patients and 20 fertile women. The density was higher in RIF (mean 245 ± 98 cells/mm2) than in fertile women (mean 170 ± 61 cells/mm2).",
        {
            ("nk_uterine", "rif", None, 28, 245.0, 98.0),
            ("nk_uterine", "fertile_controls", None, 20, 170.0, 61.0),
        },
    ),
    (
        "We retrospectively analysed 412 FET cycles in women with at least three failed transfers: 205 with and 207 without endometrial scratching. Clinical pregnancy rates were 41.0% and 33.3% in the scratch and no-scratch groups.",
        {("clinical_pregnancy", "endometrial_scratch", 84, 205), ("clinical_pregnancy", "control", 69, 207)},
    ),
    (
        "In a double-blind trial, 150 women with recurrent implantation failure were randomised 1:1 to intralipid or normal saline (75 per arm). Ongoing pregnancy was observed in 27 (36.0%) and 19 (25.3%) women, respectively.",
        {("ongoing_pregnancy", "intralipid", 27, 75), ("ongoing_pregnancy", "control", 19, 75)},
    ),
    (
        "Antiphospholipid antibodies were detected in 18 of 90 women with repeated IVF failure and in 5 of 100 healthy controls (P = 0.003).",
        {("antiphospholipid", "rif", 18, 90), ("antiphospholipid", "fertile_controls", 5, 100)},
    ),
    (
        "The PBMC group comprised 45 patients and the control group 47 patients. Implantation was 18.9% versus 10.2% and live birth 31.1% versus 17.0% for PBMC and control groups respectively.",
        {("live_birth", "pbmc", 14, 45), ("live_birth", "control", 8, 47)},
    ),
    (
        "Compared with controls (n = 70), women given hydroxychloroquine (n = 68) had a higher live birth rate (42.6% vs 27.1%).",
        {("live_birth", "hydroxychloroquine", 29, 68), ("live_birth", "control", 19, 70)},
    ),
    (
        "Serum TNF-alpha was 12.8 ± 3.9 pg/mL in 30 women with RIF versus 8.1 ± 2.7 pg/mL in 30 fertile controls.",
        {("tnf_alpha", "rif", None, 30, 12.8, 3.9), ("tnf_alpha", "fertile_controls", None, 30, 8.1, 2.7)},
    ),
    (
        "Among 88 couples treated with IVIg and 91 untreated couples, miscarriages occurred in 6 and 15, respectively.",
        {("miscarriage", "ivig", 6, 88), ("miscarriage", "control", 15, 91)},
    ),
]


def _key(r):
    if r.events is not None:
        return (r.outcome, r.group, r.events, r.total)
    return (r.outcome, r.group, None, r.total, r.mean, r.sd)


_NOT_YET = {
    "205 with and 207 without": "sizes written 'N with and M without X'",
    "miscarriages occurred in 6 and 15": "bare counts listed 'in 6 and 15, respectively'",
}


def _case(text, expected):
    why = next((why for shape, why in _NOT_YET.items() if shape in text), None)
    return pytest.param(text, expected, marks=pytest.mark.xfail(strict=True, reason=why) if why else ())


@pytest.mark.parametrize(("text", "expected"), [_case(*case) for case in WRITTEN_AFTER])
def test_abstracts_written_after_the_rules(read, text, expected):
    assert {_key(r) for r in read(text).study_data if r.subgroup is None} == expected


@pytest.mark.parametrize(
    ("sentence", "denominator"),
    [
        (
            "The implantation rate per embryo transferred was 30/90 in the IVIg group and 20/88 in the untreated group.",
            "embryos",
        ),
        (
            "The pregnancy rate per ET was 12/40 in the IVIg group and 8/41 in the untreated group.",
            "transfers",
        ),
        ("The pregnancy rate was 10/28 in IVIg cycles and 50/322 in untreated cycles.", "cycles"),
        ("The pregnancy rate was 12/40 in the IVIg group and 8/41 in the untreated group.", None),
    ],
)
def test_denominators_other_than_women_are_noted(read, sentence, denominator):
    rows = read("A cohort of IVIg in RIF. " + sentence).study_data
    assert len(rows) == 2 and {r.denominator for r in rows} == {denominator}


def test_a_stratified_result_names_its_subgroup(read):
    """The subgroup is the group described, which the synthesis turns into a RIF-definition
    stratum ("severe uRIF (... ≥ 5 ...)" is "≥ 5 failed transfers"), not the bare word."""
    x = read(
        "IVIg in uRIF: a cohort. When stratifying patients into moderate and severe uRIF (respectively 3–4 "
        "and ≥ 5 previous failures), only patients with severe uRIF benefited from IVIg (LBR 20/29 (69%) "
        "versus 5/25 (20%) for controls, p = 0.0004)."
    )
    assert {(r.group, r.subgroup) for r in x.study_data} == {
        ("ivig", "patients with severe uRIF"),
        ("control", "patients with severe uRIF"),
    }
