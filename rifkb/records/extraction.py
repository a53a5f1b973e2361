"""Typed extraction records. Every fact carries its `Evidence`: the document, the
character span, the sentence and the rule that produced it.

`Extraction.to_json()` writes exactly the record of `shared/spec/extraction.md` (the
contract `score.py` reads), with evidence as extra keys; `from_json` reads it back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

CONCEPT_TYPES = ("intervention", "outcome", "mechanism", "population")
DIFFERENCE_MEASURES = frozenset({"RD", "MD", "SMD"})


def no_effect(measure: str) -> float:
    """The value meaning no effect: 0 for a difference, 1 for a ratio."""
    return 0.0 if measure in DIFFERENCE_MEASURES else 1.0


@dataclass(frozen=True)
class Evidence:
    doc_id: str
    start: int
    end: int
    sentence: str
    rule: str


@dataclass(frozen=True)
class Mention:
    concept: str
    type: str
    text: str
    evidence: Evidence


@dataclass(frozen=True)
class EffectEstimate:
    measure: str
    value: float
    ci_low: float | None
    ci_high: float | None
    p: str | None
    outcome: str | None
    adjusted: bool
    evidence: Evidence
    # what the estimate compares, where its sentence says so: the intervention (a concept
    # id), the comparator (a concept id or "control"), and the subgroup it is about
    intervention: str | None = None
    comparator: str | None = None
    subgroup: str | None = None

    @property
    def excludes_null(self) -> bool | None:
        """Whether the interval excludes no effect (1 for ratios, 0 for differences)."""
        if self.ci_low is None or self.ci_high is None:
            return None
        return not self.ci_low <= no_effect(self.measure) <= self.ci_high


@dataclass(frozen=True)
class EventRate:
    events: int
    total: int
    outcome: str | None
    evidence: Evidence
    # the arm the count belongs to (an intervention's concept id, or "control") and the
    # subgroup it is about, where the sentence says so
    group: str | None = None
    subgroup: str | None = None
    # the percentage written beside the count ("32/49; 65.3%", "65.3% (32/49)"), if any
    percent: float | None = None


@dataclass(frozen=True)
class StudyData:
    """One row of a study's meta-analysis form (RevMan's "data and analyses"): what one
    group had on one outcome, dichotomous (`events` of `total`) or continuous (`mean`,
    `sd`, `total`). `group` is "control", an intervention's concept id (a treatment arm)
    or a population's ("rif" vs "fertile_controls"). `derived` marks events computed from
    a percentage and the group's size (round(% × n / 100), Cochrane Handbook 6.4) or an SD
    computed from an SE (SD = SE × √n, 6.5.2.2); `note` says how, and what does not add up
    ("48.3 % of 60 is 28.98: 29 events, which gives back 48.3 %"). `denominator` is
    "cycles", "embryos" or "transfers" when the total counts those rather than women (a
    unit-of-analysis problem, Cochrane Handbook 6.2)."""

    outcome: str
    group: str
    events: int | None
    total: int | None
    mean: float | None
    sd: float | None
    subgroup: str | None
    derived: bool
    evidence: Evidence
    percent: float | None = None
    note: str | None = None
    denominator: str | None = None

    @property
    def dichotomous(self) -> bool:
        return self.events is not None


@dataclass(frozen=True)
class Dose:
    """One regimen of an intervention as the text states it ("IVIg 400 mg/kg" is 400 mg
    per kg: grams per patient are computed downstream, not here): `unit` is g, mg, ug, mL
    or IU; `per` is kg, day or dose; `times` the number of doses, if written; `timing` when
    it is given, as written ("before embryo transfer")."""

    intervention: str
    amount: float
    unit: str
    per: str | None
    times: int | None
    timing: str | None
    evidence: Evidence


def describe_rif(min_failed_transfers: int | None, min_embryos: int | None,
                 embryo_quality: str | None, max_age: int | None) -> str:  # fmt: skip
    """'≥3 failed transfers; ≥4 embryos; good quality embryos; age <40'."""
    parts = [
        f"≥{min_failed_transfers} failed transfers" if min_failed_transfers else "",
        f"≥{min_embryos} embryos" if min_embryos else "",
        f"{embryo_quality} quality embryos" if embryo_quality else "",
        f"age <{max_age}" if max_age else "",
    ]
    return "; ".join(p for p in parts if p)


@dataclass(frozen=True)
class RifDefinition:
    min_failed_transfers: int | None
    min_embryos: int | None
    embryo_quality: str | None
    max_age: int | None
    evidence: Evidence


@dataclass(frozen=True)
class Finding:
    kind: str  # "treatment" | "association"
    subject: str
    object: str
    direction: str  # "increase" | "decrease" | "no_difference"
    significant: bool | None
    hedged: bool
    evidence: Evidence

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.subject, self.object, self.direction)


@dataclass(frozen=True)
class Extraction:
    doc_id: str
    study_design: str | None
    sample_size: int | None
    n_studies: int | None
    rif_definition: RifDefinition | None
    mentions: tuple[Mention, ...]
    effects: tuple[EffectEstimate, ...]
    event_rates: tuple[EventRate, ...]
    findings: tuple[Finding, ...]
    warnings: tuple[str, ...] = field(default=())
    study_data: tuple[StudyData, ...] = field(default=())
    doses: tuple[Dose, ...] = field(default=())
    # a reviewer's judgement of the study's risk of bias (RISK_OF_BIAS), never read from
    # the abstract: GRADE's risk-of-bias domain stays "not assessed" without it
    risk_of_bias: str | None = None

    def concepts(self) -> dict[str, list[str]]:
        """Concept ids by type, each once, sorted."""
        return {t: sorted({m.concept for m in self.mentions if m.type == t}) for t in CONCEPT_TYPES}

    def to_json(self) -> dict[str, Any]:
        rif = self.rif_definition
        return {
            "doc_id": self.doc_id,
            "study_design": self.study_design,
            "sample_size": self.sample_size,
            "n_studies": self.n_studies,
            "rif_definition": None if rif is None else {
                "min_failed_transfers": rif.min_failed_transfers, "min_embryos": rif.min_embryos,
                "embryo_quality": rif.embryo_quality, "max_age": rif.max_age,
                "evidence": _with_evidence(rif.evidence),
            },
            "concepts": self.concepts(),
            "effects": [_with_evidence(e) for e in self.effects],
            "event_rates": [_with_evidence(e) for e in self.event_rates],
            "findings": [_with_evidence(f) for f in self.findings],
            "study_data": [_with_evidence(d) for d in self.study_data],
            "doses": [_with_evidence(d) for d in self.doses],
            "mentions": [_with_evidence(m) for m in self.mentions],
            "warnings": list(self.warnings),
        } | ({"risk_of_bias": self.risk_of_bias} if self.risk_of_bias else {})  # fmt: skip

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Extraction:
        rif = obj.get("rif_definition")
        return cls(
            doc_id=obj["doc_id"],
            study_design=obj.get("study_design"),
            sample_size=obj.get("sample_size"),
            n_studies=obj.get("n_studies"),
            rif_definition=None if rif is None else RifDefinition(
                rif["min_failed_transfers"], rif["min_embryos"], rif["embryo_quality"],
                rif["max_age"], Evidence(**rif["evidence"]),
            ),
            mentions=tuple(_read(Mention, m) for m in obj.get("mentions", [])),
            effects=tuple(_read(EffectEstimate, e) for e in obj.get("effects", [])),
            event_rates=tuple(_read(EventRate, e) for e in obj.get("event_rates", [])),
            findings=tuple(_read(Finding, f) for f in obj.get("findings", [])),
            warnings=tuple(obj.get("warnings", [])),
            study_data=tuple(_read(StudyData, d) for d in obj.get("study_data", [])),
            doses=tuple(_read(Dose, d) for d in obj.get("doses", [])),
            risk_of_bias=obj.get("risk_of_bias"),
        )  # fmt: skip


@dataclass(frozen=True)
class ExtractionText:
    """An extraction as the store keeps it: `Extraction.to_json()` as JSON text (sorted
    keys). Worker processes send this rather than the Extraction: the one process that
    stores them then has a string to write instead of objects to rebuild and serialise."""

    doc_id: str
    data: str

    @classmethod
    def of(cls, extraction: Extraction) -> ExtractionText:
        return cls(extraction.doc_id, json.dumps(extraction.to_json(), sort_keys=True))


@dataclass(frozen=True)
class ExtractionFailure:
    """A record the pipeline could not read: stored and reported in place of its
    extraction, so that one bad document never stops a corpus run."""

    uid: str
    message: str


def _with_evidence(record: Any) -> dict[str, Any]:
    """`dataclasses.asdict(record)`, without its deep copy of every value: a few
    evidence-bearing records per sentence made this a sixth of a whole `rifkb extract`."""
    kind = type(record)
    to_dict = _TO_DICT.get(kind)
    if to_dict is None:
        to_dict = _TO_DICT[kind] = _dict_maker(kind)
    return to_dict(record)


# Field types whose values asdict would copy as they are (immutable scalars): a field of
# any other type (a list, a tuple, a nested record other than Evidence) is not covered by
# the direct serialiser, and that record type falls back to asdict rather than drift from it.
_SCALAR_TYPES = frozenset(f"{t}{none}" for t in ("str", "int", "float", "bool") for none in ("", " | None"))
_TO_DICT: dict[type, Callable[[Any], dict[str, Any]]] = {}


def _dict_maker(kind: type) -> Callable[[Any], dict[str, Any]]:
    """A function building asdict's dict of one record type, keys in field order: a
    scalar as it is, an Evidence as Evidence's dict; asdict itself for a type with any
    other kind of field."""
    plain, nested = [], []
    for f in fields(kind):
        annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
        if annotation in _SCALAR_TYPES:
            plain.append(f.name)
        elif annotation == "Evidence" and kind is not Evidence:
            nested.append(f.name)
        else:
            return asdict
    if not nested:
        return lambda record: {name: getattr(record, name) for name in plain}
    evidence = _dict_maker(Evidence)
    order = [f.name for f in fields(kind)]

    def to_dict(record: Any) -> dict[str, Any]:
        out = {name: getattr(record, name) for name in order}
        for name in nested:
            out[name] = evidence(out[name])
        return out

    return to_dict


def _read(kind: type, obj: dict[str, Any]) -> Any:
    fields = {k: v for k, v in obj.items() if k != "evidence"}
    return kind(**fields, evidence=Evidence(**obj["evidence"]))
