"""A regimen's grams per patient (issue 19): what an extra live birth costs in IVIg, a
scarce blood product dosed by body weight."""

from __future__ import annotations

import pytest

from rifkb.corpus.folder import load_corpus
from rifkb.records import Dose, Evidence
from rifkb.review.regimens import median_grams, parse_regimen, regimen, regimens

EVIDENCE = Evidence("t:1", 0, 1, "s", "rifkb_doses_v1")


def dose(
    amount: float, unit: str, per: str | None, times: int | None = None, intervention: str = "ivig"
) -> Dose:
    return Dose(intervention, amount, unit, per, times, None, EVIDENCE)


@pytest.mark.parametrize(
    ("written", "grams", "g_per_kg", "text"),
    [
        (dose(400, "mg", "kg"), 26.0, 0.4, "400 mg/kg"),  # 0.4 g/kg at 65 kg
        (dose(0.5, "g", "kg", times=2), 65.0, 1.0, "0.5 g/kg × 2"),
        (dose(25, "g", "dose", times=3), 75.0, 75 / 65, "25 g × 3"),
        (dose(20, "g", None), 20.0, 20 / 65, "20 g"),
        (dose(300, "ug", "dose", intervention="gcsf"), 0.0003, 0.0003 / 65, "300 µg"),
    ],
)
def test_grams_per_patient_at_65_kg(written, grams, g_per_kg, text):
    found = regimen(written)
    assert found.per_patient() == pytest.approx(grams)
    assert found.g_per_kg() == pytest.approx(g_per_kg)
    assert found.text == text


@pytest.mark.parametrize(
    "written",
    [
        dose(100, "mL", "dose", intervention="intralipid"),  # a volume is no mass
        dose(1000, "IU", "dose", intervention="hcg_intrauterine"),
        dose(10, "mg", "day", intervention="glucocorticoid"),  # days not written: no total
    ],
)
def test_what_converts_to_no_grams(written):
    assert regimen(written) is None


def test_a_heavier_woman_receives_more_of_a_weight_dosed_product():
    assert regimen(dose(400, "mg", "kg")).per_patient(80) == pytest.approx(32.0)
    assert regimen(dose(20, "g", "dose")).per_patient(80) == pytest.approx(20.0)


def test_the_median_regimen_of_an_intervention():
    doses = [dose(400, "mg", "kg"), dose(500, "mg", "kg"), dose(0.5, "g", "kg", times=2),
             dose(300, "ug", "dose", intervention="gcsf")]  # fmt: skip
    found = regimens(doses, "ivig")
    assert len(found) == 3 and median_grams(found) == pytest.approx(32.5)
    assert median_grams([]) is None


def test_a_corpus_says_its_body_weight_and_price(tmp_path):
    (tmp_path / "corpus.toml").write_text(
        'name = "c"\n[stewardship]\nbody_weight_kg = 70\nprice_per_gram = 55.5\ncurrency = "CAD"\n', "utf-8"
    )
    s = load_corpus(tmp_path).stewardship
    assert (s.body_weight_kg, s.price_per_gram, s.currency) == (70.0, 55.5, "CAD")


@pytest.mark.parametrize(
    ("text", "grams"),
    [("0.4 g/kg x 2", 52.0), ("500 mg/kg", 32.5), ("25 g", 25.0), ("25g × 3", 75.0), ("400 MG per kg", 26.0)],
)
def test_a_regimen_as_a_user_writes_it(text, grams):
    assert parse_regimen(text).per_patient() == pytest.approx(grams)


@pytest.mark.parametrize("text", ["0.4 g/day", "lots", "100 mL", "0.4 g/kg x 0"])
def test_a_regimen_that_is_no_mass_or_unreadable_is_refused(text):
    with pytest.raises(ValueError, match="--regimen"):
        parse_regimen(text)
