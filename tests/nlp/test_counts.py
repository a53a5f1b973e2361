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
    # included groups listed together are summed; a stated total wins over included groups
    ("This is a prospective study conducted on 96 RIF patients and 80 fertile controls.", 176),
    (
        "A proportion of 30 patients with RIF were selected as the experimental group. The control group "
        "included 15 patients with at least one pregnancy. A total of 45 patients were recruited in this study.",
        45,
    ),
    ("A total of 45 RIF patients and 30 controls were included.", 75),
    ("The study included 40 women with RIF and 40 women with RPL as well as 20 fertile controls.", 100),
    (
        "A total of 120 women with RIF were randomly assigned to receive IVIg (n = 60) or placebo (n = 60).",
        120,
    ),
    # groups included by one verb, a parenthesis between number and noun
    (
        "66 (96 cycles) infertile women positive for ANA (ANA+ group), and 233(285 cycles) infertile women "
        "negative for ANAs (ANA- group) were enrolled.",
        299,
    ),
    (
        "Women (n = 4,429) who underwent up to three euploid embryo transfers were included in the study.",
        4429,
    ),
    (
        "Patients with three or more failed IVF-ET sessions were enrolled in this study (n=240, 240 cycles). "
        "PBMCs were given to the study group (n=93, 93 cycles). The control group (n=105, 105 cycles) had none.",
        240,
    ),
    # arms written "(n = ...)" one sentence each, and nothing else, are summed
    ("The PRP group (n=33) received PRP. The control group (n=33) received hormone replacement only.", 66),
    (
        "Two groups were formed as group 1, including patients with CE treated by antibiotics (n=129), and "
        "group 2, including patients without CE (n=103). Patients in their first IVF cycle were reviewed as "
        "group 3 (n=932).",
        1164,
    ),
    (
        "This was a prospective cohort study of treatment for RIF patients (n = 42) with high Th1/Th2 ratios. "
        "Twenty-five patients were treated with tacrolimus and 17 received no treatment (control group).",
        42,
    ),
    # controls recruited in a later sentence are added
    (
        "We select 40 women with recurrent failure to become pregnant as the RIF case group. Forty women with "
        "a pregnancy after IVF were selected as control.",
        80,
    ),
    (
        "In this cross-sectional study, 197 consecutive patients with RIF underwent Th cell testing. After "
        "excluding 42 women aged 44 or more, we recruited 146 women including 79 with RIF and 81 with RPL. "
        "We also recruited 45 fertile women and 40 general infertile women.",
        231,
    ),
    (
        "This was a single blinded randomised controlled trial of 105 subjects. Women in the study arm "
        "(n = 52) received intralipid. The control group (n = 50) received normal saline.",
        105,
    ),
    # screened or assessed for eligibility is not included
    (
        "Between 2016 and 2017, a total of 138 patients who failed to conceive after 3 or more embryo "
        "transfers were assessed for eligibility. A control group received standard treatment. Ninety-seven "
        "patients completed the study procedure.",
        97,
    ),
    ("Of 300 women screened, 120 were randomized to IVIg or placebo.", 120),
    ("In total, 312 patients were screened and 200 were enrolled.", 200),
    # a later subset selected from the cohort is not the sample
    (
        "One hundred fifty-seven women with RPL or RIF were consecutively studied. Sixty-four patients with "
        "CD56+ cell expansion were selected. Forty of them received IVIG.",
        157,
    ),
    # cycles, embryos, labels and years are not people
    (
        "The study was a prospective randomized single-blind study of 161 cycles in patients undergoing FET. "
        "The intervention group received hCG (n = 62). A placebo group (n = 49) received saline.",
        None,
    ),
    (
        "One hundred subfertile women had ongoing pregnancies. Group I comprised 31 cycles using adalimumab. "
        "Group II comprised 69 cycles with no exposure.",
        100,
    ),
    ("Live delivery was more frequent in group 1 women than in group 2 women (p = .02).", None),
    ("This retrospective study included 1,245 IVF cycles of 530 women.", 530),
    ("A total of 320 embryos from 95 women were transferred.", 95),
    ("Endometrial samples (n = 60) were obtained in the mid-luteal phase.", None),
    ("From January 2018 to March 2019, 154 women with RIF were identified at a fertility center.", 154),
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
        ("Eleven RCTs were included in the meta-analysis.", 11),
        ("A total of 21 articles were included.", 21),
        # the included studies, not the records a search screened
        (
            "We reviewed and assessed the eligibility of 180 studies. Five RCTs including 840 patients (3 RCTs: "
            "women with RIF, 1 RCT: women with RSA, 1 RCT: women with failures) met the selection criteria.",
            5,
        ),
        (
            "Of the 7,226 publications identified, 53 were selected during the initial screening; 30 "
            "satisfied the selection criteria and were included in this review.",
            30,
        ),
        (
            "From the 598 articles yielded in the search only 44 relevant articles ultimately fulfilled the "
            "inclusion criteria and were qualitatively analyzed.",
            44,
        ),
        ("A search of MEDLINE up to August 2021 identified 2 RCTs.", 2),
        # numbers coordinated before one noun count each
        (
            "Two cohorts, two cross-sectional and one quasi experimental studies were included in this study. "
            "Four out of five studies were included in meta-analysis.",
            5,
        ),
        ("Twenty-two RCTs and nineteen observational studies were included.", 41),
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
        ("17 studies (2,480 women) were included in the meta-analysis.", 17, 2480),
        ("Five RCTs including 840 patients met the selection criteria.", 5, 840),
        ("After screening 400 records, 11 RCTs involving 1,050 women were included.", 11, 1050),
        # a study's parts in brackets are not more studies (bug: 22); reviewers are no studies (bug: 2)
        ("Eleven studies (six RCTs and five cohort studies) were included.", 11, None),
        (
            "Two reviewers will independently select studies, extract data and assess risk of bias.",
            None,
            None,
        ),
    ],
)
def test_studies_and_respondents(read, text, n_studies, sample):
    extraction = read(text)
    assert (extraction.n_studies, extraction.sample_size) == (n_studies, sample)


# Written for issue 17 before the change, in kinds of writing the dev set lacks (trial
# reports of Chinese, Iranian, Egyptian and Indian centres, registries): the total of
# the groups, never one arm; approximate totals and counts of cycles or embryos give none.
UNSEEN_SAMPLES = [
    ('Of 157 women with RIF, 82 received G-CSF and 75 received placebo.', 157),
    ('Intralipid was given to 82 of 157 women with RIF; the remaining 75 served as controls.', 157),
    ('Almost 1600 women with RIF were included in this registry study.', None),
    ('About 200 women with RIF were enrolled.', None),
    ('Approximately 350 patients undergoing IVF were recruited.', None),
    ('We analysed 412 frozen embryo transfer cycles of women with RIF.', None),
    ('A total of 1,024 cycles of 640 women were analysed.', 640),
    ('Patients were randomized to G-CSF (n = 52) or saline (n = 50).', 102),
    ('The PRP group comprised 45 women and the control group 47 women.', 92),
    ('Sixty women with RIF were randomly divided into two equal groups.', 60),
    ('A total of 300 embryos were transferred in women with RIF.', None),
    ('One hundred and twenty patients were randomly allocated into intervention (n=60) and control (n=60) groups.', 120),
    ('Ninety infertile women with RIF were enrolled: 45 in the study group and 45 in the control group.', 90),
    ('More than 2000 patients were included in the analysis.', None),
    ('Nearly 300 couples with RIF took part.', None),
    ('The study group consisted of 35 women who received intralipid and the control group of 40 women who received normal saline.', 75),
    ('Between 2015 and 2019, 248 women with RIF were included.', 248),
    ('Forty women with RIF were recruited; 20 received PRP and 20 did not.', 40),
    ('Data from 2,356 ICSI cycles were retrospectively reviewed.', None),
    ('This study included 200 women; 120 had RIF and 80 were fertile controls.', 200),
    ('The intervention group (n=38) received atosiban, whereas the control group (n=37) received no treatment.', 75),
    ('A total of 86 patients were included, of whom 43 received hCG.', 86),
    ('Women with RIF (n=60) were compared with fertile controls (n=30).', 90),
    ('A total of 150 women were randomised: 75 to PRP and 75 to control.', 150),
    ('Endometrial samples were obtained from 45 women with RIF.', 45),
    pytest.param('Clinical pregnancy occurred in 30 of 82 women given G-CSF and 18 of 75 given placebo.', 157, marks=pytest.mark.xfail(strict=True, reason="an arm sized only in its results (\"18 of 75 given placebo\"): no noun after 75, so no group size")),
    ('Around 120 women per year are treated at our unit; we studied 64 women with RIF.', 64),
    # a total split into the groups is no group's size (bugs: 102, 264 and 195 were read)
    ('A total of 68 patients were randomly divided into a PRP group (34 cases) and a control group (34 cases).', 68),
    ('Retrospective matched cohort, 176 women (88 treated with tacrolimus, 88 matched untreated controls).', 176),
    ('Women with RIF and low vitamin D (n=130) were randomly allocated to cholecalciferol (n=65) or placebo (n=65).', 130),
    # issue 17, the probe set's misses (bugs: 232, 45, 195, none, 156, 264, 33, none were read)
    ('In this non-randomized clinical trial, 157 women with RIF were enrolled; 82 of 157 chose intrauterine PBMC administration and the remaining 75 served as controls. Results: Clinical pregnancy was achieved in 31/82 women in the PBMC group and 16/75 in the control group.', 157),
    ('Those who met the RIF definition of our center were included (n=45) and compared with 45 fertile controls.', 90),
    ('An online questionnaire was completed by 312 IVF specialists.', 312),
    ('Endometrial biopsies from 156 women with RIF and 60 fertile oocyte donors were stained for CD138.', 216),
    ('In a retrospective cohort of 1,032 kidney transplant recipients, tacrolimus variability was calculated.', 1032),
    ('Thirty women with POI received a single intraovarian PRP injection. Results: Menses resumed in 9/30 women, and three women conceived spontaneously.', 30),
    ('A total of 140 women (70 given G-CSF, 70 given saline) were analysed.', 140),
    ('Patients with RIF (n = 60; 30 given IVIg, 30 controls) were studied.', 60),
    # a count of failed IVF cycles is not a count of people, as before
    ('Women with two failed IVF cycles were studied; 48 women received heparin.', 48),
    # the second probe set's misses (bugs: 16, 41, none, none, 94 were read)
    ('Endometrial tissue was obtained from 16 patients with RIF. Endometrial tissue from 12 women who achieved clinical pregnancy in their first IVF cycle was collected in the same period as the control group.', 28),
    ('Cells were isolated from 20 women with RIF. Twenty fertile women with at least one live birth served as controls.', 40),
    ('An anonymous questionnaire was sent to 1,350 members of a national society; 412 completed it.', 412),
    ('A structured questionnaire was emailed to 540 members of a national society in 2021; 287 returned completed questionnaires.', 287),
    ('Ninety-four patients who lost at least one implant were recruited. One hundred and ten patients whose implants osseointegrated uneventfully over the same period served as controls.', 204),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), UNSEEN_SAMPLES)
def test_sample_size_of_unseen_kinds_of_writing(read, text, expected):
    assert read(text).sample_size == expected
