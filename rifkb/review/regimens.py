"""A regimen's grams per patient: the doses `rifkb_doses_v1` read as written ("IVIg 400
mg/kg", "25 g every 3–4 weeks", "0.4 g/kg on two days") turned into the grams of product
one woman receives, at a body weight (IVIg is dosed by weight: 0.4–0.5 g/kg per infusion,
often repeated), for IVIg stewardship (how many grams each extra live birth costs).

Only masses convert: mL of an emulsion or IU of a hormone are no grams, and say so.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rifkb.records import Dose, Evidence

BODY_WEIGHT_KG = 65.0  # the default a reader can change (corpus.toml [stewardship] body_weight_kg)
_GRAMS = {"g": 1.0, "mg": 1e-3, "ug": 1e-6}
_GIVEN = Evidence("", 0, 0, "", "given")  # a regimen the user gives has no sentence


@dataclass(frozen=True)
class Regimen:
    """A dose as grams: per kg or per patient, times how many doses (1 when not written)."""

    grams: float  # per dose: per kg when `per_kg`, else per patient
    per_kg: bool
    times: int
    text: str  # as a table writes it: "400 mg/kg × 2"

    def per_patient(self, body_weight_kg: float = BODY_WEIGHT_KG) -> float:
        """Grams one woman receives over the regimen."""
        return self.grams * (body_weight_kg if self.per_kg else 1.0) * self.times

    def g_per_kg(self, body_weight_kg: float = BODY_WEIGHT_KG) -> float:
        """The regimen's total in g/kg (a moderator of meta-regression)."""
        return self.grams * self.times / (1.0 if self.per_kg else body_weight_kg)


def regimen(dose: Dose) -> Regimen | None:
    """The dose in grams; None for units that are no mass (mL, IU) or a daily dose whose
    number of days is not written (its total cannot be known)."""
    factor = _GRAMS.get(dose.unit)
    if factor is None or (dose.per == "day" and dose.times is None):
        return None
    times = dose.times or 1
    per = {"kg": "/kg", "day": "/day"}.get(dose.per or "", "")
    unit = "µg" if dose.unit == "ug" else dose.unit
    text = f"{dose.amount:g} {unit}{per}" + (f" × {times}" if times > 1 else "")
    return Regimen(dose.amount * factor, dose.per == "kg", times, text)


def regimens(doses: Iterable[Dose], intervention: str) -> list[Regimen]:
    """The regimens in grams of one intervention, in the order the text gives them."""
    found = (regimen(d) for d in doses if d.intervention == intervention)
    return [r for r in found if r is not None]


def median_grams(found: Sequence[Regimen], body_weight_kg: float = BODY_WEIGHT_KG) -> float | None:
    """The median grams per patient of the corpus's regimens: the regimen a reader assumes
    when none is given."""
    grams = [r.per_patient(body_weight_kg) for r in found]
    return statistics.median(grams) if grams else None


_WRITTEN = re.compile(
    r"^\s*(\d+(?:\.\d+)?)\s*(g|mg|ug|µg)\s*(/\s*kg|per\s+kg)?\s*(?:[x×*]\s*(\d+))?\s*$", re.IGNORECASE
)


def parse_regimen(text: str) -> Regimen:
    """A regimen as a user writes it (`rifkb plan --regimen "0.4 g/kg x 2"`, "25 g", "500
    mg/kg"); ValueError with what it expects otherwise."""
    m = _WRITTEN.match(text)
    if m is None:
        raise ValueError(f"--regimen {text!r}: write an amount, a unit (g, mg, µg), /kg if by weight and "
                         "x N for N doses, as in '0.4 g/kg x 2'")  # fmt: skip
    unit = "ug" if m.group(2).lower() in ("ug", "µg") else m.group(2).lower()
    times = int(m.group(4)) if m.group(4) else None
    if times == 0:
        raise ValueError(f"--regimen {text!r}: x 0 doses is no regimen")
    found = regimen(Dose("", float(m.group(1)), unit, "kg" if m.group(3) else "dose", times, None, _GIVEN))
    if found is None:  # (a mass always converts; kept for the type checker's sake)
        raise ValueError(f"--regimen {text!r}: no grams")
    return found
