"""Stewardship: the number needed to treat (Cochrane Handbook 15.4.4, Altman BMJ 1998),
grams of IVIg and cost per extra live birth, and the dose table."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace

import pytest

from rifkb.records import Dose, Evidence
from rifkb.review.regimens import Regimen
from rifkb.review.stewardship import (
    DOSE_COLUMNS,
    NO_CONTROL,
    NO_PRICE,
    UNBOUNDED,
    dose_rows,
    number_needed,
    paper_regimens,
    stewardship,
)
from rifkb.review.synthesis import Stratum
from tests.analyses import analysis, bundle_analyses, study


def handbook_nnt(measure: str, ratio: float, acr: float) -> float:
    """The Handbook's closed forms, written out independently of the module (15.4.4.2/3)."""
    if measure == "RR":
        return abs(1 / (acr * (1 - ratio)))
    return abs((1 - acr * (1 - ratio)) / ((1 - acr) * acr * (1 - ratio)))


# measure, ratio, ACR, harmful outcome, kind, unrounded NNT (hand-computed), displayed
POINTS = [
    # Handbook 15.4.4.2: RR 0.92 of an adverse event at ACR 0.3: 1/(0.3 × 0.08) = 41.67 → 42
    ("RR", 0.92, 0.3, True, "NNTB", 1 / (0.3 * 0.08), "42"),
    # the same RR for live birth (fewer births) is harm
    ("RR", 0.92, 0.3, False, "NNTH", 1 / (0.3 * 0.08), "42"),
    # Handbook 15.4.4.3: OR 0.73 at ACR 0.3: (1 − 0.081) / (0.7 × 0.3 × 0.27) = 0.919 / 0.0567
    ("OR", 0.73, 0.3, True, "NNTB", 0.919 / 0.0567, "17"),
    # OR 2 for live birth at ACR 0.25: Pe = 0.5 / 1.25 = 0.40, 1 / 0.15 = 6.67 → 7
    ("OR", 2.0, 0.25, False, "NNTB", 1 / 0.15, "7"),
    # OR 0.5 for live birth at ACR 0.4: Pe = 0.2 / 0.8 = 0.25, harm, 1 / 0.15
    ("OR", 0.5, 0.4, False, "NNTH", 1 / 0.15, "7"),
    # miscarriage up by RR 1.5 at ACR 0.2: one extra miscarriage per 1/(0.2 × 0.5) = 10, exactly 10
    ("RR", 1.5, 0.2, True, "NNTH", 10.0, "10"),
    # live birth up by RR 1.5 at ACR 0.2: NNTB 10, not 11 (float error is not a patient)
    ("RR", 1.5, 0.2, False, "NNTB", 10.0, "10"),
]


@pytest.mark.parametrize(("measure", "ratio", "acr", "harmful", "kind", "expected", "shown"), POINTS)
def test_number_needed_point(measure, ratio, acr, harmful, kind, expected, shown) -> None:
    found = number_needed(measure, ratio, ratio, ratio, acr, harmful=harmful)
    assert found.kind == kind
    assert found.value == pytest.approx(expected, rel=1e-9)
    assert found.value == pytest.approx(handbook_nnt(measure, ratio, acr), rel=1e-9)
    assert found.text.startswith(f"{kind} {shown} (")
    assert (found.risk_difference > 0) == (ratio > 1)  # on the outcome's own scale


@pytest.mark.parametrize(
    ("measure", "ratio", "per_1000", "shown"),
    # Handbook 5.1, 12.5.4.2/12.5.4.3 (v6 15.4.4.2/3): 24 and 62 fewer per 1000 at ACR 0.3; NNT 42 and 17
    [("RR", 0.92, -24, "42"), ("OR", 0.73, -62, "17")],
)
def test_handbook_worked_examples(measure, ratio, per_1000, shown) -> None:
    found = number_needed(measure, ratio, ratio, ratio, 0.3, harmful=True)
    assert round(found.risk_difference * 1000) == per_1000
    assert found.text == f"NNTB {shown} ({shown} to {shown})"


# measure, estimate, low, high, ACR, harmful, text
INTERVALS = [
    # benefit throughout: miscarriage RR 0.5 (0.25 to 0.8) at 0.2: 1/(0.2 × 0.75) = 6.7, 1/(0.2 × 0.2) = 25
    ("RR", 0.5, 0.25, 0.8, 0.2, True, "NNTB 10 (7 to 25)"),
    # harm throughout: miscarriage RR 1.5 (1.25 to 2.0) at 0.2: 1/(0.2 × 1) = 5, 1/(0.2 × 0.25) = 20
    ("RR", 1.5, 1.25, 2.0, 0.2, True, "NNTH 10 (5 to 20)"),
    # through no effect, Altman's way: live birth OR 1.5 (0.8 to 3.0) at 0.3:
    # NNTB 10.95; 0.8 → NNTH 22.4; 3.0 → NNTB 3.8
    ("OR", 1.5, 0.8, 3.0, 0.3, False, "NNTB 11 (NNTH 23 to ∞ to NNTB 4)"),
    # the same interval for a harmful outcome: the sides swap
    ("OR", 1.5, 0.8, 3.0, 0.3, True, "NNTH 11 (NNTH 4 to ∞ to NNTB 23)"),
    # an RR limit that would give a risk above 1 holds it at 1: 1/(1 − 0.3) = 1.43 → 2
    ("RR", 3.0, 2.0, 6.0, 0.3, False, "NNTB 2 (2 to 4)"),
]


@pytest.mark.parametrize(("measure", "estimate", "low", "high", "acr", "harmful", "text"), INTERVALS)
def test_number_needed_interval(measure, estimate, low, high, acr, harmful, text) -> None:
    found = number_needed(measure, estimate, low, high, acr, harmful=harmful)
    assert found.text == text
    assert found.crosses_no_effect == ("∞" in text)
    assert found.low <= found.high or found.crosses_no_effect


def test_number_needed_keeps_unrounded_limits_and_writes_json() -> None:
    found = number_needed("OR", 1.5, 0.8, 3.0, 0.3)
    assert (found.low_kind, found.high_kind) == ("NNTH", "NNTB")
    assert found.low == pytest.approx(handbook_nnt("OR", 0.8, 0.3))
    assert found.high == pytest.approx(handbook_nnt("OR", 3.0, 0.3))
    written = found.to_json()
    assert written["text"] == found.text and written["crosses_no_effect"] is True
    no_effect = number_needed("OR", 1.0, 0.5, 2.0, 0.3).to_json()
    assert no_effect["value"] is None  # ∞: JSON has none
    json.dumps(no_effect, allow_nan=False)


@pytest.mark.parametrize(
    ("measure", "estimate", "low", "high", "acr"),
    [("MD", 1.0, 0.5, 1.5, 0.3), ("OR", 1.5, 0.8, 3.0, 0.0), ("OR", 1.5, 0.8, 3.0, 1.0),
     ("OR", 1.5, 2.0, 3.0, 0.3), ("RR", 0.0, 0.0, 1.0, 0.3)],
)  # fmt: skip
def test_number_needed_refuses(measure, estimate, low, high, acr) -> None:
    with pytest.raises(ValueError):
        number_needed(measure, estimate, low, high, acr)


def dose(amount: float, unit: str, per: str | None, times: int | None = None, drug: str = "ivig") -> Dose:
    return Dose(
        drug, amount, unit, per, times, None, Evidence("test:d", 0, 1, f"{drug} {amount} {unit}", "test")
    )


def rr_analysis(sei: float, *, doses: tuple[Dose, ...] = (), totals=(100, 100), events=(30, 20), **kw):  # noqa: ANN001, ANN003, ANN201
    """One study, RR 1.5 of live birth, control arm 20 of 100: NNTB 1/(0.2 × 0.5) = 10."""
    s = replace(study("Trial", math.log(1.5), sei, measure="RR", totals=totals), events=events, doses=doses)
    return analysis([s], measure="RR", **kw)


REGIMEN_05 = Regimen(0.5, True, 1, "0.5 g/kg")


def test_grams_and_cost_per_extra_live_birth() -> None:
    [row] = stewardship(rr_analysis(0.1), regimen=REGIMEN_05, price_per_gram=50, currency="CAD")
    assert row.control.risk == pytest.approx(0.2) and row.nnt.value == pytest.approx(10)
    assert row.grams_per_patient == pytest.approx(32.5)  # 0.5 g/kg × 1 at 65 kg
    assert row.grams == pytest.approx(325) and row.cost == pytest.approx(16_250) and row.currency == "CAD"
    assert row.grams_low == pytest.approx(row.nnt.low * 32.5) and row.grams_high == pytest.approx(
        row.nnt.high * 32.5
    )
    assert row.grams_low < row.grams < row.grams_high and row.cost_high == pytest.approx(row.grams_high * 50)
    assert (row.grams_note, row.cost_note, row.why_not) == (None, None, None)
    assert row.benefit == "extra live birth" and row.stratum == "All studies"
    json.dumps(row.to_json(), allow_nan=False)


def test_grams_unbounded_when_the_nnt_crosses_infinity() -> None:
    [row] = stewardship(rr_analysis(0.6), regimen=REGIMEN_05, price_per_gram=50, currency="CAD")
    assert row.nnt.crosses_no_effect and row.nnt.kind == "NNTB"
    assert row.grams == pytest.approx(325)
    assert row.grams_low == pytest.approx(row.nnt.high * 32.5)  # the NNTB side's limit
    assert row.grams_high is None and row.grams_note == UNBOUNDED
    assert row.cost_high is None and row.cost_note == UNBOUNDED and row.cost == pytest.approx(16_250)
    assert row.to_json()["grams_high"] is None


CORPUS = [
    Regimen(0.5, True, 1, "500 mg/kg"),
    Regimen(0.4, True, 2, "400 mg/kg × 2"),
    Regimen(1.0, True, 1, "1 g/kg"),
]


@pytest.mark.parametrize(
    ("options", "grams", "text", "source"),
    [
        # 32.5, 52, 65 g at 65 kg: the median is 400 mg/kg × 2
        ({"corpus_regimens": CORPUS}, 52.0, "400 mg/kg × 2",
         "median of 3 regimens in the corpus (500 mg/kg, 400 mg/kg × 2, 1 g/kg) at 65 kg"),
        ({"corpus_regimens": CORPUS, "body_weight_kg": 80}, 64.0, "400 mg/kg × 2",
         "median of 3 regimens in the corpus (500 mg/kg, 400 mg/kg × 2, 1 g/kg) at 80 kg"),
        ({"corpus_regimens": CORPUS, "regimen": REGIMEN_05}, 32.5, "0.5 g/kg",
         "the regimen given (0.5 g/kg) at 65 kg"),
        ({}, 20.0, "20 g", "median of 1 regimen in the analysis's studies (20 g) at 65 kg"),
    ],
)  # fmt: skip
def test_regimen_source(options, grams, text, source) -> None:
    [row] = stewardship(
        rr_analysis(0.1, doses=(dose(20, "g", "dose"), dose(4, "mL", "dose", drug="other"))), **options
    )
    assert (row.grams_per_patient, row.regimen, row.regimen_source) == (pytest.approx(grams), text, source)
    assert row.grams == pytest.approx(10 * grams)
    assert row.cost is None and row.cost_note == NO_PRICE


@pytest.mark.parametrize(
    ("doses", "why"),
    [
        ((dose(4, "mL", "dose", drug="intralipid"),), "its doses are volumes (mL), not grams"),
        ((dose(1000, "IU", "dose", drug="intralipid"), dose(2, "mL", None, drug="intralipid")),
         "its doses are international units (IU) and volumes (mL), not grams"),
        ((dose(10, "mg", "day", drug="intralipid"),), "no dose of intralipid read gives a total in grams"),
        ((), "no regimen of intralipid given"),
    ],
)  # fmt: skip
def test_no_grams_still_an_nnt(doses, why) -> None:
    found = replace(rr_analysis(0.1, doses=doses), intervention="intralipid")
    [row] = stewardship(found, price_per_gram=50, currency="CAD")
    assert row.nnt is not None and row.nnt.value == pytest.approx(10) and row.why_not is None
    assert row.grams is None and row.grams_per_patient is None and row.grams_note.startswith(why)
    assert row.cost is None and row.cost_note == "no grams to cost"


def test_rows_walk_the_strata_and_say_why_not() -> None:
    uncounted = study("No counts", math.log(2), 0.3, measure="RR")
    base = rr_analysis(0.1)
    stratum = Stratum("RIF: ≥5 failed transfers", (uncounted,), base.pooled, base.fixed)
    rows = stewardship(replace(base, strata=(Stratum("RIF: ≥3 failed transfers", base.studies, base.pooled,
                                                     base.fixed), stratum)), regimen=REGIMEN_05)  # fmt: skip
    assert [r.stratum for r in rows] == [
        "All studies",
        "RIF: ≥3 failed transfers",
        "RIF: ≥5 failed transfers",
    ]
    assert rows[1].nnt.value == pytest.approx(10) and rows[2].nnt is None and rows[2].why_not == NO_CONTROL
    assert rows[2].grams is None and rows[2].grams_note == "no number needed to treat"


@pytest.mark.parametrize(
    ("change", "harmful", "why", "note"),
    [
        ({"measure": "MD"}, False, "a number needed to treat comes from an odds or risk ratio, not MD", None),
        ({"kind": "association"}, False, "an association (an exposure against its reference group)", None),
        ({}, True, None, "the pooled effect is harm (NNTH 10): no benefit to weigh"),
    ],
)
def test_rows_without_grams(change, harmful, why, note) -> None:
    [row] = stewardship(replace(rr_analysis(0.1), **change), harmful=harmful, regimen=REGIMEN_05)
    assert (row.why_not or "").startswith(why or "") and (row.why_not is None) == (why is None)
    assert row.grams is None and (note is None or row.grams_note == note)
    assert row.benefit == ("live birth avoided" if harmful else "extra live birth")


@pytest.fixture(scope="module")
def bundle(extracted_bundle):  # noqa: ANN001, ANN201
    from rifkb.corpus.folder import load_corpus
    from rifkb.kb.papers import papers_from_store

    with load_corpus(extracted_bundle).open_store() as store:
        papers = papers_from_store(store)
    return papers, {a.design: a for a in bundle_analyses(extracted_bundle)}


def test_bundle_non_randomised_rows_per_stratum(bundle) -> None:
    papers, analyses = bundle
    found = paper_regimens(papers, "ivig")
    assert [r.per_patient() for r in found] == [32.5, 32.5]  # 500 mg/kg in two studies
    rows = {r.stratum: r for r in stewardship(analyses["non_randomised"], corpus_regimens=found)}
    assert list(rows)[0] == "All studies"
    for name in ("All studies", "RIF: ≥3 failed transfers", "RIF: ≥5 failed transfers"):
        row = rows[name]
        assert row.nnt.kind == "NNTB" and not row.nnt.crosses_no_effect
        expected = handbook_nnt("OR", row.effect.estimate, row.control.risk)
        assert row.nnt.value == pytest.approx(expected)
        assert row.grams == pytest.approx(expected * 32.5) and row.grams_high == pytest.approx(
            row.nnt.high * 32.5
        )
        assert row.regimen_source == "median of 2 regimens in the corpus (500 mg/kg, 500 mg/kg) at 65 kg"
    assert rows["RIF: ≥5 failed transfers"].control.source == "control arm of 1 study (logit)"


def test_bundle_rct_interval_crosses_no_effect(bundle) -> None:
    papers, analyses = bundle
    row = stewardship(analyses["rct"], corpus_regimens=paper_regimens(papers, "ivig"))[0]
    assert row.effect.ci_low < 1 < row.effect.ci_high
    assert re.fullmatch(r"NNTB \d+ \(NNTH \d+ to ∞ to NNTB \d+\)", row.nnt.text)
    assert row.grams_high is None and row.grams_note == UNBOUNDED


def test_bundle_dose_rows(bundle) -> None:
    papers, _ = bundle
    rows = dose_rows(papers, "ivig")
    assert len(rows) == 2 and all(tuple(r) == DOSE_COLUMNS for r in rows)
    assert {(r["regimen"], r["grams_per_patient"], r["why_no_grams"]) for r in rows} == {
        ("500 mg/kg", 32.5, None)
    }
    assert all("500 mg/kg" in r["sentence"] and r["doc_id"] for r in rows)
    assert {r["grams_per_patient"] for r in dose_rows(papers, "ivig", body_weight_kg=80)} == {40.0}
    volumes = [r for r in dose_rows(papers) if r["unit"] == "mL"]
    assert volumes and all(r["grams_per_patient"] is None and "mL" in r["why_no_grams"] for r in volumes)
