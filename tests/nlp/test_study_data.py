"""The meta-analysis form filled from an abstract: groups, their sizes and their numbers,
in the shapes abstracts write them (sentences made after real ones, not copied from the
dev corpus's gold)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rifkb.nlp.study_data import _derivation

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
