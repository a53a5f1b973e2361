"""IVIg stewardship (issue 19): for each stratum of an analysis (all studies, then each RIF
definition and subgroup, walked as `next_trial` walks them), the number needed to treat
for one extra live birth (`number_needed`), the grams of product that many women receive,
and, with a price per gram (corpus.toml `[stewardship]`), what each extra live birth costs.

- The control risk is the stratum's control arms pooled (`control_risk`).
- Grams per patient: the regimen the reader gives; else the median of the corpus's
  regimens of the intervention (`regimens`), else of the analysis's own studies'; at a
  body weight (65 kg unless corpus.toml says otherwise). Only doses by mass convert:
  an emulsion dosed in mL or a hormone in IU still gets its NNT, not grams.
- Grams per extra live birth = NNT × grams per patient, its interval from the NNT's. When
  the NNT's interval runs through ∞ (the ratio's includes no effect), the grams have no
  upper bound: the data allow that no number of grams buys an extra live birth.
- The dose table lists every regimen read, as written, with its grams per patient.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from rifkb.kb.papers import Paper
from rifkb.records import Dose
from rifkb.review.control_risk import ControlRisk, pooled_control_risk
from rifkb.review.labels import study_label
from rifkb.review.meta import Pooled
from rifkb.review.number_needed import NNTB, NumberNeeded, number_needed, whole
from rifkb.review.regimens import BODY_WEIGHT_KG, Regimen, median_grams, regimen, regimens
from rifkb.review.study_inputs import StudyInput
from rifkb.review.synthesis import Analysis

__all__ = ["DOSE_COLUMNS", "NumberNeeded", "StewardshipRow", "dose_rows", "number_needed",
           "paper_regimens", "stewardship"]  # fmt: skip
OVERALL = "All studies"  # as next_trial names the whole analysis
NO_CONTROL = "no control arm with counts in this stratum"
NO_PRICE = "no price per gram in corpus.toml [stewardship]"
UNBOUNDED = "no upper bound: the NNT's interval runs through ∞ (the effect's interval includes no effect)"
_NOT_MASS = {"mL": "volumes (mL)", "IU": "international units (IU)"}
DOSE_COLUMNS = ("study", "doc_id", "intervention", "amount", "unit", "per", "times", "timing", "regimen",
                "grams_per_patient", "why_no_grams", "sentence")  # fmt: skip


@dataclass(frozen=True)
class StewardshipRow:
    """One stratum: its NNT and what that many women's regimens weigh and cost.
    `grams_high`/`cost_high` None with `grams_note` when the interval has no upper bound."""

    analysis: str
    stratum: str
    subgroup: bool
    benefit: str  # what one NNT buys: "extra live birth", "miscarriage avoided"
    effect: Pooled | None  # the stratum's pooled relative effect
    control: ControlRisk | None
    nnt: NumberNeeded | None
    why_not: str | None  # why no NNT
    regimen: str | None  # the regimen assumed, as written
    regimen_source: str | None
    grams_per_patient: float | None
    grams: float | None  # per benefit (NNT × grams per patient)
    grams_low: float | None
    grams_high: float | None
    grams_note: str | None  # why no grams, or why no upper bound
    cost: float | None
    cost_low: float | None
    cost_high: float | None
    currency: str | None
    cost_note: str | None

    @property
    def control_source(self) -> str | None:
        return self.control.source if self.control else None

    def to_json(self) -> dict[str, Any]:
        found = asdict(self)
        found["effect"] = (
            {k: found["effect"][k] for k in ("estimate", "ci_low", "ci_high", "k")} if self.effect else None
        )
        found["control"] = self.control.to_json() if self.control else None
        found["nnt"] = self.nnt.to_json() if self.nnt else None
        return {**found, "control_source": self.control_source}


@dataclass(frozen=True)
class _Assumed:
    """The regimen a stratum's grams assume, or why there is none."""

    text: str | None
    source: str | None
    grams: float | None
    why_not: str | None = None


def stewardship(analysis: Analysis, *, harmful: bool = False, regimen: Regimen | None = None,
                body_weight_kg: float = BODY_WEIGHT_KG, price_per_gram: float | None = None,
                currency: str | None = None,
                corpus_regimens: Sequence[Regimen] = ()) -> list[StewardshipRow]:  # fmt: skip
    """One row for the whole analysis, then one for each stratum. `corpus_regimens` are the
    corpus's regimens of the analysis's intervention (`paper_regimens`)."""
    groups = [(OVERALL, analysis.studies, analysis.pooled, False)]
    groups += [(s.name, s.studies, s.pooled, s.subgroup) for s in analysis.strata]
    assumed = _assumed(analysis, regimen, corpus_regimens, body_weight_kg)
    price = (price_per_gram, currency)
    return [_row(analysis, group, harmful, assumed, price) for group in groups]


def _why_not(a: Analysis) -> str | None:
    if a.kind != "treatment":
        return "an association (an exposure against its reference group): nobody is treated"
    if a.measure not in ("OR", "RR"):
        return f"a number needed to treat comes from an odds or risk ratio, not {a.measure}"
    return None


def _row(a: Analysis, group: tuple[str, Sequence[StudyInput], Pooled | None, bool], harmful: bool,
         assumed: _Assumed, price: tuple[float | None, str | None]) -> StewardshipRow:  # fmt: skip
    name, studies, pooled, subgroup = group
    why = _why_not(a)
    control = pooled_control_risk(studies) if why is None else None
    if why is None and pooled is None:
        why = "nothing pooled in this stratum"
    elif why is None and control is None:
        why = NO_CONTROL
    nnt = None
    if why is None and pooled is not None and control is not None:
        nnt = number_needed(a.measure, pooled.estimate, pooled.ci_low, pooled.ci_high, control.risk, harmful)
    benefit = f"{a.outcome.replace('_', ' ')} avoided" if harmful else f"extra {a.outcome.replace('_', ' ')}"
    grams, note = _grams(nnt, assumed)
    cost, cost_note = _cost(grams, price)
    return StewardshipRow(
        a.name, name, subgroup, benefit, pooled, control, nnt, why, assumed.text, assumed.source,
        assumed.grams, *grams, note, *cost, price[1], cost_note,
    )  # fmt: skip


_Triple = tuple[float | None, float | None, float | None]


def _grams(nnt: NumberNeeded | None, assumed: _Assumed) -> tuple[_Triple, str | None]:
    """(grams, low, high) per benefit, and why there are none or no upper bound."""
    if assumed.grams is None:
        return (None, None, None), assumed.why_not
    if nnt is None:
        return (None, None, None), "no number needed to treat"
    if nnt.kind != NNTB:
        return (
            None,
            None,
            None,
        ), f"the pooled effect is harm ({nnt.kind} {whole(nnt.value)}): no benefit to weigh"
    if nnt.crosses_no_effect:  # the benefit side's limit, and nothing above
        return (nnt.value * assumed.grams, nnt.high * assumed.grams, None), UNBOUNDED
    return (nnt.value * assumed.grams, nnt.low * assumed.grams, nnt.high * assumed.grams), None


def _cost(grams: _Triple, price: tuple[float | None, str | None]) -> tuple[_Triple, str | None]:
    per_gram = price[0]
    if per_gram is None:
        return (None, None, None), NO_PRICE
    if grams[0] is None:
        return (None, None, None), "no grams to cost"
    cost = tuple(None if g is None else g * per_gram for g in grams)
    return (cost[0], cost[1], cost[2]), UNBOUNDED if cost[2] is None else None


def _assumed(a: Analysis, given: Regimen | None, corpus: Sequence[Regimen], weight: float) -> _Assumed:
    """The given regimen; else the median of the corpus's; else of the analysis's studies'."""
    at = f"at {weight:g} kg"
    if given is not None:
        return _Assumed(given.text, f"the regimen given ({given.text}) {at}", given.per_patient(weight))
    doses = _unique_doses(a.studies)
    own = regimens(doses, a.intervention)
    for found, where in ((corpus, "the corpus"), (own, "the analysis's studies")):
        if found:
            grams = median_grams(found, weight)
            texts = ", ".join(r.text for r in found[:3]) + (", …" if len(found) > 3 else "")
            many = "regimen" if len(found) == 1 else "regimens"
            source = f"median of {len(found)} {many} in {where} ({texts}) {at}"
            return _Assumed(_median_text(found, weight, grams), source, grams)
    return _Assumed(
        None, None, None, _no_grams(a.intervention, [d for d in doses if d.intervention == a.intervention])
    )


def _median_text(found: Sequence[Regimen], weight: float, grams: float | None) -> str:
    """The regimen at the median when one is; else the grams themselves."""
    at_median = [r.text for r in found if r.per_patient(weight) == grams]
    return at_median[0] if at_median else f"{grams:g} g per patient"


def _no_grams(intervention: str, doses: Sequence[Dose]) -> str:
    units = sorted({d.unit for d in doses})
    if units and all(u in _NOT_MASS for u in units):
        return f"its doses are {' and '.join(_NOT_MASS[u] for u in units)}, not grams"
    if doses:
        return f"no dose of {intervention} read gives a total in grams (a daily dose without its days)"
    return f"no regimen of {intervention} given, none read in the corpus or in the analysis's studies"


def _unique_doses(studies: Iterable[StudyInput]) -> list[Dose]:
    """Each study's doses once (a study stands in an analysis once per reading)."""
    seen: dict[str, tuple[Dose, ...]] = {}
    for s in studies:
        seen.setdefault(s.doc_id, s.doses)
    return [d for doses in seen.values() for d in doses]


def paper_regimens(papers: Iterable[Paper], intervention: str) -> list[Regimen]:
    """The corpus's regimens in grams of one intervention, one per dose read."""
    return [r for p in papers for r in regimens(p.extraction.doses, intervention)]


def _why_no_grams(dose: Dose) -> str | None:
    if dose.unit in _NOT_MASS:
        return f"a dose in {dose.unit}: {_NOT_MASS[dose.unit]} are no mass"
    if dose.per == "day" and dose.times is None:
        return "a daily dose whose number of days is not written: no total"
    return None


def dose_rows(papers_or_studies: Iterable[Paper | StudyInput], intervention: str | None = None,
              body_weight_kg: float = BODY_WEIGHT_KG) -> list[dict[str, Any]]:  # fmt: skip
    """One row per dose read (columns `DOSE_COLUMNS`), of one intervention or of all."""
    rows = []
    for label, doc_id, doses in _dosed(papers_or_studies):
        for d in doses:
            if intervention is not None and d.intervention != intervention:
                continue
            found = regimen(d)
            grams = found.per_patient(body_weight_kg) if found else None
            rows.append(dict(zip(DOSE_COLUMNS, (
                label, doc_id, d.intervention, d.amount, d.unit, d.per, d.times, d.timing,
                found.text if found else None, grams, _why_no_grams(d), d.evidence.sentence,
            ), strict=True)))  # fmt: skip
    return rows


def _dosed(items: Iterable[Paper | StudyInput]) -> list[tuple[str, str, tuple[Dose, ...]]]:
    """(label, doc id, doses) of each paper or study, each document once."""
    seen: dict[str, tuple[str, str, tuple[Dose, ...]]] = {}
    for item in items:
        if isinstance(item, Paper):
            doc_id, entry = (
                item.extraction.doc_id,
                (study_label(item), item.extraction.doc_id, item.extraction.doses),
            )
        else:
            doc_id, entry = item.doc_id, (item.label, item.doc_id, item.doses)
        seen.setdefault(doc_id, entry)
    return list(seen.values())
