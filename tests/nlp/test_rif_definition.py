"""The RIF definition a study states: failed transfers, embryos, quality, age.

Cases are real sentences of RIF abstracts or close paraphrases, grouped by how the
definition is written; each expects (min_failed_transfers, min_embryos, embryo_quality,
max_age)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

RIF = "Women with recurrent implantation failure (RIF) were studied. "  # names RIF without a count

DEFINITIONS = [
    # --- the classic wording and "defined as" ---------------------------------------------
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
        "Recurrent implantation failure (RIF) is the absence of implantation after three consecutive IVF cycles "
        "with transferring at least four good quality embryos in a minimum of three fresh or frozen cycles in "
        "a woman under 40 years.",
        (3, 4, "good", 40),
    ),
    ("RIF, defined as failure after at least 12 transferred embryos, was treated.", (None, 12, None, None)),
    (
        "Recurrent implantation failure (RIF), defined as ≥3 failed in vitro fertilization (IVF) cycles with the "
        "accumulated transfer of at least five embryos, plagues many infertile women.",
        (3, 5, None, None),
    ),
    (  # alternatives for cleavage-stage embryos and blastocysts: the first is read
        "The definition of RIF used in our program requires the transfer of ≥8, 8-cell stage embryos or ≥5 "
        "blastocyst embryos.",
        (None, 8, None, None),
    ),
    (
        "RIF should be defined as the absence of implantation after two consecutive cycles of IVF, where the "
        "cumulative number of transferred embryos was no less than four for cleavage-stage embryos and no less "
        "than two for blastocysts, with all embryos being of good quality.",
        (2, 4, "good", None),
    ),
    ("RIF was defined as implantation failure in at least two cycles.", (2, None, None, None)),
    ("RIF was defined as more than two failed embryo transfers.", (3, None, None, None)),  # strict: three
    (
        "RIF was defined as ≥2 failed cycles; all women had day 3 ET.",
        (2, None, None, None),
    ),  # a day, not a count
    # --- failures counted in many nouns ------------------------------------------------
    ("Women with RIF after two or more implantation failures received PRP.", (2, None, None, None)),
    (
        "A total 283 patients with RIF consisting of at least 3 ART failures and at least 2 high quality "
        "embryo transfers were recruited.",  # the transfers are not failures
        (3, None, "good", None),
    ),
    (RIF + "The study included 61 patients with 2 or more IVF failure.", (2, None, None, None)),
    (RIF + "We enrolled 40 women with at least three unsuccessful embryo transfers.", (3, None, None, None)),
    (
        RIF + "This was a randomized trial of 100 patients who had history of at least one previously failed "
        "IVF/ICSI.",
        (1, None, None, None),
    ),
    (
        "Low-molecular-weight heparin in women with repeated implantation failure. We analysed patients with "
        "at least two IVF/intracytoplasmic sperm injection cycles with implantation failure.",
        (2, None, None, None),
    ),
    (
        "The study group included 51 consecutive women with three or more previously failed IVF-embryo "
        "transfer cycles.",
        (3, None, None, None),
    ),
    (
        "Moderate and severe RIF (respectively 3–4 and ≥ 5 previous good quality blastocyst transfer failures).",
        (3, None, "good", None),
    ),
    # --- failures governed by a preposition ------------------------------------------------
    (
        RIF + "A total of 138 patients who failed to conceive after 3 or more embryo transfers with high "
        "quality embryos were assessed for eligibility.",
        (3, None, "good", None),
    ),
    (
        RIF
        + "Patients who had not experienced successful pregnancy despite three or more IVF-ET sessions were "
        "enrolled in this study.",
        (3, None, None, None),
    ),
    (
        "Paternal leukocytes were injected in women who had failed to have a successful pregnancy following at "
        "least two prior ETs.",
        (2, None, None, None),
    ),
    (
        "197 patients with a history of repeated implantation failure (RIF) after three or more embryo transfer "
        "(ET) cycles underwent testing.",
        (3, None, None, None),
    ),
    (
        "Our data propose a new definition of RIF being an ART failure following 3 successive FE-SET attempts.",
        (3, None, None, None),
    ),
    (
        "This prospective study included 90 women with RIF who had failed at least three IVF attempts.",
        (3, None, None, None),
    ),
    (
        "RIF was defined as the failure of at least three consecutive embryo transfers.",
        (3, None, None, None),
    ),
    (
        "Women with unexplained RIF, i.e. no clinical pregnancy after three or more transfers, were included.",
        (3, None, None, None),
    ),
    # --- a count in brackets after the condition --------------------------------------------
    (
        "One hundred and fifty women with RIF (> or =2 failed assisted reproduction treatment cycles).",
        (2, None, None, None),
    ),
    (
        "We investigated patients who have experienced repeated implantation failure (RIF, three or more) after "
        "ART cycles.",
        (3, None, None, None),
    ),
    ("Women with RIF (n = 40; ≥ 2 consecutive cycles) were included.", (2, None, None, None)),
    # --- a series in a sentence about RIF ----------------------------------------------------
    (
        "Rate of true recurrent implantation failure is low: results of three successive frozen euploid single "
        "embryo transfers.",
        (3, None, None, None),
    ),
    # --- age limits and quality ----------------------------------------------------------------
    (
        "RIF was defined as failure of pregnancy after ≥3 embryo transfers with top quality embryos in women "
        "aged ≤ 40 years.",
        (3, None, "good", 40),
    ),
    (
        "RIF was defined as no pregnancy after two or more transfers of high-quality embryos in women 35 years "
        "or younger.",
        (2, None, "good", 35),
    ),
    (
        "RIF, defined as three or more failed IVF cycles in women younger than 38, is common.",
        (3, None, None, 38),
    ),
    (
        "Women with RIF (implantation failure after ≥ 2 transfers, age < 38 years) were included.",
        (2, None, None, 38),
    ),
    (
        "Recurrent implantation failure (RIF) is a condition where a woman fails to obtain pregnancy after multiple embryo transfer cycles, even "
        "with superior-quality blastocysts.",
        (None, None, "good", None),
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


def test_a_title_describes_the_patients(read):
    title = (
        "Leukocyte immunotherapy improves live delivery rates in women with at least two previous failures"
    )
    text = "Women with repeated implantation failure were treated. Live births were higher (p = .024)."
    assert read(text, title=title).rif_definition.min_failed_transfers == 2


NOT_DEFINITIONS = [
    "Recurrent pregnancy loss refers to three or more miscarriages.",  # not RIF
    "RIF patients had a mean of 4.8 previous transfers.",  # an average, not a criterion
    "Women with RIF received IVIg 400 mg/kg.",
    "Women with RIF received IVIg in two cycles.",  # treatment cycles, not failures
    "In women with RIF, 3 cycles of treatment were given and the pregnancy rate was higher (p<0.05).",
    "In RIF patients, the cumulative live birth rate after three transfers was 60%.",
    RIF + "Of the 150 women, 40 had one failed transfer and 110 had two or more failed transfers.",
    RIF + "Of these, 14 had RIF and 3 had a failed transfer.",  # counts of patients
    RIF + "The study group included 51 consecutive women with RIF.",
    RIF + "Implantation failure of blastocyst is one of the main reasons of failure to become pregnant.",
    "The percentage of NK cells on days 2–3 of the menstrual cycle in RIF patients was measured.",
    (  # averages, not criteria
        "The study enrolled 71 women with repeated implantation failure (RIF; no pregnancies from an average "
        "of 4.8 previous embryo transfers with a mean of 12 top-quality embryos)."
    ),
    (  # a subgroup of a broader population
        "We studied PBMC in women with RIF. Subgroup analyses revealed a significant increase in clinical "
        "pregnancy rates in women with >= 3 previous failures compared with controls."
    ),
    (  # a result about women counted by their failures, never called RIF
        "We assessed PBMC in women undergoing IVF. As for the patients with three or more implantation "
        "failures, the clinical pregnancy rates were much higher in the PBMC group. "
        "PBMC can significantly improve pregnancy outcomes in patients who have three or more implantation "
        "failures."
    ),
    (  # one or more failures, with the recurrent ones singled out as a subgroup
        "To study whether endometrial scratching increases clinical pregnancy rates in women with one or more "
        "previous implantation failures. Subgroup analyses revealed that women with three or more previous "
        "implantation failures had a significant increase in clinical pregnancy rate. This corroborates "
        "reports that women with repeated implantation failure gain from scratching."
    ),
]


@pytest.mark.parametrize("text", NOT_DEFINITIONS)
def test_no_definition(read, text):
    rif = read(text).rif_definition
    assert rif is None or (rif.min_failed_transfers, rif.min_embryos) == (None, None)


def test_age_limit_written_with_a_symbol(read):
    text = "Couples with unexplained RIF (≥ 3 failed cycles, ≥ 6 embryos transferred, women < 38 years)."
    rif = read(text).rif_definition
    assert (rif.min_failed_transfers, rif.min_embryos, rif.max_age) == (3, 6, 38)


# --- property: the grammar reads back any definition assembled from its parts ------------

WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}
QUANTIFIED = [
    "at least {n}",
    "a minimum of {n}",
    "≥{n}",
    "≥ {n}",
    ">= {n}",
    "{n} or more",
    "no less than {n}",
]
FAILED_NOUNS = [
    "failed IVF cycles", "unsuccessful embryo transfers", "failed IVF/ICSI attempts", "ART failures",
    "previous implantation failures", "consecutive failed transfers", "previously failed IVF-ET cycles",
]  # fmt: skip
PLAIN_NOUNS = ["IVF cycles", "embryo transfers", "transfers", "IVF attempts", "cycles"]
FRAMES_FAILED = [  # {count} is a count of failures by itself
    "RIF was defined as {count}{age}.",
    "Women with recurrent implantation failure (RIF; {count}{age}) were included.",
    "RIF refers to women with {count}{age}.",
]
FRAMES_GOVERNED = [  # a failure governs {count}
    "RIF was defined as implantation failure after {count}{age}.",
    "We included women with RIF who failed to conceive after {count}{age}.",
    "RIF is the failure to achieve a clinical pregnancy in {count}{age}.",
    "We enrolled women with RIF who had failed {count}{age}.",
    "Recurrent implantation failure (RIF) was considered after failure of {count}{age}.",
]
AGES = {"": None, " in women under 40": 40, " in women < 38 years": 38, " in women aged ≤ 40": 40,
        " in women 35 years or younger": 35, " in women younger than 38": 38,
        " in a woman under the age of 40 years": 40}  # fmt: skip


@st.composite
def definitions(draw):
    n = draw(st.integers(2, 6))
    template = draw(st.sampled_from(QUANTIFIED))
    number = str(n) if template[0] in "≥>" else draw(st.sampled_from([str(n), WORDS[n]]))  # not "≥five"
    quantity = template.format(n=number)
    age = draw(st.sampled_from(sorted(AGES)))
    if draw(st.booleans()):
        frame, noun = draw(st.sampled_from(FRAMES_FAILED)), draw(st.sampled_from(FAILED_NOUNS))
    else:
        frame, noun = (
            draw(st.sampled_from(FRAMES_GOVERNED)),
            draw(st.sampled_from(PLAIN_NOUNS + FAILED_NOUNS)),
        )
    quality = draw(st.sampled_from(["", "good-quality ", "top quality ", "high-quality "]))
    if quality and "embryo" in noun:
        noun = noun.replace("embryo", quality + "embryo")
    else:
        quality = ""
    return frame.format(count=f"{quantity} {noun}", age=age), (n, "good" if quality else None, AGES[age])


@settings(max_examples=150, deadline=None)
@given(definitions())
def test_any_written_definition_reads_back(read, case):
    text, (n, quality, age) = case
    rif = read(text).rif_definition
    assert rif is not None, text
    assert (rif.min_failed_transfers, rif.embryo_quality, rif.max_age) == (n, quality, age), text


# Written for issue 17 before the change, in kinds of writing the dev set lacks (trial
# reports of Chinese, Iranian, Egyptian and Indian centres, a dental-implant decoy): a
# definition only from a definition or inclusion phrase, never from a count of patients or
# cycles, an average, or a clinic's threshold for referral.
UNSEEN_DEFINITIONS = [
    ('RIF was defined as failure to achieve pregnancy after three or more embryo transfers.', 3),
    ('Women with recurrent implantation failure were studied. Women with ≥3 failed transfers were included.', 3),
    ('Three hundred women with RIF underwent 3 cycles of treatment.', None),
    ('Women with recurrent implantation failure were enrolled. Inclusion criteria: age <40 years and two or more failed IVF cycles with good-quality embryos.', 2),
    ('A total of 120 RIF patients who had undergone 4 cycles of IVF at our center were analyzed.', None),
    ('In our clinic, patients are referred for hysteroscopy after 2 failed embryo transfers. We studied 80 women with RIF.', None),
    ('RIF patients (n = 96) underwent a total of 210 ET cycles.', None),
    ('We enrolled 50 women with recurrent implantation failure, defined as at least two unsuccessful IVF/ICSI attempts.', 2),
    ('RIF was diagnosed when a woman under 40 had failed to conceive after transfer of at least four good-quality embryos in three cycles.', 3),
    ('Patients with RIF (≥2 failed transfers of high-quality embryos) were recruited at the Reproductive Medicine Center.', 2),
    ('The study included RIF patients, i.e. those with ≥3 unsuccessful embryo transfers.', 3),
    ('Women with RIF were studied. Women with a history of three or more failed IVF attempts were eligible.', 3),
    ('Recurrent implant failure was analysed in 80 patients with two or more failed dental implants.', None),
    ('In 45 RIF women, the mean number of previous failed transfers was 3.8 ± 1.2.', None),
    ('RIF patients had a median of 4 previous failed transfers.', None),
    ('Thirty women with RIF received two cycles of PRP infusion.', None),
    ('Women with RIF who had three embryos transferred in the study cycle were compared with controls.', None),
    ('Repeated implantation failure (RIF) is commonly defined as the failure of at least three IVF cycles.', 3),
    ('Inclusion criteria were: RIF (two or more failed fresh or frozen embryo transfers), age 20-40 years, and a normal uterine cavity.', 2),
    ('Couples with a history of four or more unsuccessful cycles of IVF/ICSI were enrolled in this study of recurrent implantation failure.', 4),
    ('One hundred women with RIF after ≥2 failed ICSI cycles were randomized.', 2),
    ('A total of 3 cycles of G-CSF were given to 40 women with RIF.', None),
    ('Women referred to our center after three failed IVF cycles were screened. RIF was defined as two or more failed embryo transfers.', 2),
    ('After three unsuccessful cycles, patients are usually offered PGT-A. We studied 40 women with RIF.', None),
    ('Two hundred women with RIF underwent 2 frozen embryo transfers each during the study.', None),
    ('RIF patients were referred to our unit after two failed cycles; RIF was diagnosed after at least three failed transfers.', 3),
    ('Sixty RIF patients with a mean of 4.5 failed cycles were included.', None),
    # issue 17, the second probe set's misses (bugs: 2, none, 87, 3, 2, 4 were read)
    ('Women referred to the unit after two failed IVF/ICSI attempts were assessed; 180 who met the study definition of RIF (three or more failed transfers of good-quality embryos) were randomized.', 3),
    ('Women referred to our centre after two failed embryo transfers will be screened, and those meeting the study definition of RIF (three or more failed transfers with at least four good-quality embryos, age 40 years or less) will be invited.', 3),
    ('In this open-label randomized clinical trial, women with at least three failed embryo transfers and an elevated TNF-α/IL-10 ratio were allocated to adalimumab or no treatment.', 3),
    ('P-087 IVIg for recurrent implantation failure with raised NK cells: a case series of 98 women.', None),
    ('Most respondents used LMWH for RIF, although only 23% of respondents defined RIF as three or more failed embryo transfers.', None),
    ('Pooled RRs for recurrent implantation failure were 1.58. In women with four or more failed transfers, the RR for clinical pregnancy was 1.92 (1.31-2.81).', None),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), UNSEEN_DEFINITIONS)
def test_definition_in_unseen_kinds_of_writing(read, text, expected):
    rif = read(text).rif_definition
    assert (rif.min_failed_transfers if rif else None) == expected


def test_an_age_limit_written_years_or_less(read):
    rif = read("RIF was defined as three or more failed transfers, age 40 years or less.").rif_definition
    assert (rif.min_failed_transfers, rif.max_age) == (3, 40)
    # ("or less" says age only after "years": a BMI of 30 or less is no age limit)
    rif = read(
        "RIF was defined as three or more failed transfers in women with a BMI of 30 or less."
    ).rif_definition
    assert rif.max_age is None
