"""Doses of interventions (`rifkb_doses_v1`): each regimen as written, amount, unit and
what it is per (kg, dose, day).

WRITTEN_BEFORE: 50 sentences invented before the dose grammar was written or tuned,
in kinds of writing the dev set may lack (Chinese, Iranian, Egyptian and Indian trial
reports, conference abstracts, protocols). Scored on (intervention, amount, unit, per):
first reading P = ?, R = ?, F1 = ? (before tuning to them); after tuning P = ?, R = ?,
F1 = ?.
"""

from __future__ import annotations

import pytest

# (text, expected regimens as (intervention, amount, unit, per))
WRITTEN_BEFORE = [
    # --- IVIg
    ("Women in the study group received IVIg 0.4 g/kg before embryo transfer.", {("ivig", 0.4, "g", "kg")}),
    (
        "Intravenous immunoglobulin (IVIG) 400 mg/kg was infused 5-7 days before transfer.",
        {("ivig", 400, "mg", "kg")},
    ),
    ("Patients were given 20 g of IVIg on the day of embryo transfer.", {("ivig", 20, "g", "dose")}),
    (
        "IVIg was administered at 25 g every 3-4 weeks until 28 weeks of gestation.",
        {("ivig", 25, "g", "dose")},
    ),
    (
        "The treatment group received IVIg (0.5 g/kg body weight) seven days prior to ET, while controls "
        "received normal saline.",
        {("ivig", 0.5, "g", "kg")},
    ),
    (
        "Methods: RIF patients with elevated NK cells (n = 40) received intravenous immunoglobulin 200 mg/kg "
        "or 400 mg/kg.",
        {("ivig", 200, "mg", "kg"), ("ivig", 400, "mg", "kg")},
    ),
    # --- intralipid
    (
        "The intervention group received 20% intralipid 100 mL diluted in 500 mL normal saline.",
        {("intralipid", 100, "mL", "dose")},
    ),
    (
        "Intralipid 20 % (100 ml) was infused on the day of oocyte pick-up.",
        {("intralipid", 100, "mL", "dose")},
    ),
    (
        "In this Iranian RCT, 2 ml of 20% intralipid in 250 cc saline was given 1 week before ET.",
        {("intralipid", 2, "mL", "dose")},
    ),
    (
        "Intralipid was infused at a dose of 4 mL two days before transfer and repeated after a positive "
        "pregnancy test.",
        {("intralipid", 4, "mL", "dose")},
    ),
    (
        "Intralipid infusion (20%, 250 mL) did not improve the live birth rate (p = 0.41).",
        {("intralipid", 250, "mL", "dose")},
    ),
    # --- G-CSF
    (
        "G-CSF 300 µg was injected subcutaneously on the day of embryo transfer.",
        {("gcsf", 300, "ug", "dose")},
    ),
    (
        "Women in group A received intrauterine G-CSF (300 µg/1 ml) at the time of hCG trigger.",
        {("gcsf", 300, "ug", "dose")},
    ),
    ("Filgrastim 100 mcg was infused into the uterine cavity.", {("gcsf", 100, "ug", "dose")}),
    (
        "A single dose of 150 micrograms of G-CSF was given intrauterine on the day of oocyte retrieval.",
        {("gcsf", 150, "ug", "dose")},
    ),
    (
        "Granulocyte colony-stimulating factor (G-CSF; 1.5 mg/kg/day) was administered subcutaneously from "
        "the day of transfer.",
        {("gcsf", 1.5, "mg", "kg")},
    ),
    # --- corticosteroids
    ("Prednisolone 10 mg/day was started on the day of stimulation.", {("glucocorticoid", 10, "mg", "day")}),
    (
        "Prednisolone was given at 20 mg daily from the day of oocyte retrieval until 12 weeks of gestation.",
        {("glucocorticoid", 20, "mg", "day")},
    ),
    (
        "Patients took dexamethasone 0.5 mg per day throughout the stimulation.",
        {("glucocorticoid", 0.5, "mg", "day")},
    ),
    (
        "In this Egyptian trial, prednisone (5 mg/d) plus aspirin (75 mg/d) were prescribed to 60 women aged "
        "25-38 years.",
        {("glucocorticoid", 5, "mg", "day"), ("aspirin", 75, "mg", "day")},
    ),
    # --- heparin
    (
        "Enoxaparin 40 mg was injected subcutaneously once daily from the day of embryo transfer.",
        {("heparin", 40, "mg", "day")},
    ),
    (
        "LMWH (enoxaparin 4000 IU/day) was started on the day after oocyte retrieval.",
        {("heparin", 4000, "IU", "day")},
    ),
    ("Women received dalteparin 5000 IU per day subcutaneously.", {("heparin", 5000, "IU", "day")}),
    (
        "Low molecular weight heparin at 1 mg/kg was continued up to 12 weeks of pregnancy.",
        {("heparin", 1, "mg", "kg")},
    ),
    (
        "Tinzaparin 4500 IU daily was given to the treatment arm (n = 72) and placebo to the control arm.",
        {("heparin", 4500, "IU", "day")},
    ),
    # --- aspirin
    ("Low-dose aspirin (100 mg/day) was given throughout the IVF cycle.", {("aspirin", 100, "mg", "day")}),
    ("All women received 75 mg aspirin daily.", {("aspirin", 75, "mg", "day")}),
    ("Aspirin 81 mg was taken from the start of stimulation.", {("aspirin", 81, "mg", "dose")}),
    # --- tacrolimus, hydroxychloroquine, cyclosporine
    ("Tacrolimus 1-3 mg daily was given according to the Th1/Th2 ratio.", {("tacrolimus", 1, "mg", "day")}),
    (
        "Tacrolimus (0.5 mg/day) was started two days before embryo transfer.",
        {("tacrolimus", 0.5, "mg", "day")},
    ),
    (
        "Hydroxychloroquine 400 mg daily was taken for two months before transfer.",
        {("hydroxychloroquine", 400, "mg", "day")},
    ),
    (
        "Women received hydroxychloroquine 200 mg twice a day and the live birth rate was 42.6% vs 27.1%.",
        {("hydroxychloroquine", 200, "mg", "dose")},
    ),
    # --- hCG
    (
        "Intrauterine hCG (500 IU) was injected 3 min before embryo transfer.",
        {("hcg_intrauterine", 500, "IU", "dose")},
    ),
    ("An intrauterine injection of 1000 IU hCG was given on the day of transfer.", set()),
    (
        "Intrauterine human chorionic gonadotropin 700 IU in 40 µl of culture medium was infused before ET.",
        {("hcg_intrauterine", 700, "IU", "dose")},
    ),
    # --- PBMC: counts of cells are not doses
    ("PBMC (1 × 10^6 cells) were cultured with hCG and infused into the uterine cavity.", set()),
    (
        "Intrauterine PBMC administration of 2×10^7 cells in 0.4 ml was performed 3 days before ET.",
        {("pbmc", 0.4, "mL", "dose")},
    ),
    # --- sildenafil, atosiban
    ("Vaginal sildenafil 25 mg four times a day was used for 10 days.", {("sildenafil", 25, "mg", "dose")}),
    (
        "Sildenafil citrate (Viagra) 100 mg/day was given from cycle day 3.",
        {("sildenafil", 100, "mg", "day")},
    ),
    (
        "Atosiban was given as a bolus of 6.75 mg followed by an infusion of 18 mg/h for 1 h.",
        {("atosiban", 6.75, "mg", "dose")},
    ),
    (
        "Atosiban (total dose 37.5 mg) was administered around the time of transfer.",
        {("atosiban", 37.5, "mg", "dose")},
    ),
    # --- growth hormone
    (
        "Growth hormone 4 IU/day was added from day 21 of the previous cycle.",
        {("growth_hormone", 4, "IU", "day")},
    ),
    (
        "GH (8 IU daily) was given during ovarian stimulation in the Indian cohort (n = 112).",
        {("growth_hormone", 8, "IU", "day")},
    ),
    # --- vitamin D
    (
        "Vitamin D deficient women received cholecalciferol 50,000 IU weekly for 8 weeks.",
        {("vitamin_d", 50000, "IU", "dose")},
    ),
    ("Serum vitamin D was 18.2 ng/mL in RIF women and 25.3 ng/mL in controls.", set()),
    (
        "Vitamin D supplementation (2000 IU/day) was prescribed to 45 women with levels below 30 ng/ml.",
        {("vitamin_d", 2000, "IU", "day")},
    ),
    # --- not doses
    (
        "Women aged 20-40 years with BMI 18-30 kg/m2 and at least three failed transfers (n = 150) were included.",
        set(),
    ),
    (
        "The clinical pregnancy rate was 35% with IVIg versus 20% without (OR 2.1, 95% CI 1.1-3.9, p = 0.02).",
        set(),
    ),
    ("The serum hCG concentration was above 25 mIU/ml in 40 women treated with G-CSF.", set()),
    (
        "Progesterone 400 mg vaginally twice daily and estradiol valerate 6 mg/day were given for luteal support.",
        {("progesterone", 400, "mg", "dose")},
    ),
]


def _regimens(extraction) -> set[tuple]:
    return {(d.intervention, d.amount, d.unit, d.per) for d in extraction.doses}


@pytest.mark.parametrize(("text", "expected"), WRITTEN_BEFORE)
def test_written_before(read, text, expected):
    assert _regimens(read(text)) == expected
