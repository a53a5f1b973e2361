"""`Extraction.to_json` builds its dicts directly rather than through `dataclasses.asdict`
(speed): its output must stay exactly asdict's, on real extractions and for every field
a record type has or gains."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import pytest

from rifkb.corpus.formats import read_references
from rifkb.records import extraction as module
from rifkb.records.extraction import (
    Dose,
    EffectEstimate,
    EventRate,
    Evidence,
    Extraction,
    Finding,
    Mention,
    RifDefinition,
    StudyData,
)

DEV = Path(__file__).parent / "data" / "dev.jsonl"
EVIDENCE_RECORDS = (Mention, EffectEstimate, EventRate, StudyData, Dose, RifDefinition, Finding)


RECORD_LISTS = ("effects", "event_rates", "findings", "study_data", "doses", "mentions")


def asdict_to_json(extraction: Extraction) -> dict:
    """to_json as it was written before: its dict, with every record through
    dataclasses.asdict in place of the direct serialiser (keys keep their places)."""
    out = extraction.to_json()
    for name in RECORD_LISTS:
        out[name] = [asdict(r) for r in getattr(extraction, name)]
    if extraction.rif_definition is not None:
        out["rif_definition"] = {
            **out["rif_definition"],
            "evidence": asdict(extraction.rif_definition.evidence),
        }
    return out


@pytest.fixture(scope="module")
def dev_extractions(nlp) -> list[Extraction]:
    from rifkb.nlp.reading import extract_record

    records = [ref.record for chunk in read_references(DEV, "jsonl") for ref in chunk.references]
    return [extract_record(nlp, record) for record in records]


def test_to_json_is_asdicts_on_the_dev_corpus(dev_extractions):
    for extraction in dev_extractions:
        fast, slow = extraction.to_json(), asdict_to_json(extraction)
        assert fast == slow
        # the same text, key order included (as written without sort_keys)
        assert json.dumps(fast) == json.dumps(slow)
    # the dev corpus exercises every record type, so the comparison covers them all
    for name in RECORD_LISTS:
        assert any(getattr(x, name) for x in dev_extractions), name
    assert any(x.rif_definition for x in dev_extractions)


def test_every_field_of_every_record_type_is_serialised_directly():
    """A field the direct serialiser does not know (a list, a nested record other than
    Evidence) makes its type fall back to asdict: correct, but slow; say so here."""
    for kind in (*EVIDENCE_RECORDS, Evidence):
        maker = module._dict_maker(kind)
        assert maker is not asdict, f"{kind.__name__} has a field to_json no longer serialises directly"
        record = _example(kind)
        assert maker(record) == asdict(record)
        assert list(maker(record)) == [f.name for f in fields(kind)]


def test_a_field_of_another_kind_falls_back_to_asdict():
    @dataclass(frozen=True)
    class Odd:
        name: str
        values: tuple[int, ...]
        evidence: Evidence

    assert module._dict_maker(Odd) is asdict
    odd = Odd("x", (1, 2), _example(Evidence))
    assert module._with_evidence(odd) == asdict(odd)


def _example(kind: type):
    """A record of `kind` with a distinct value in every field."""
    values = {}
    for i, f in enumerate(fields(kind)):
        if f.type == "Evidence":
            values[f.name] = Evidence("pmid:1", i, i + 5, "A sentence.", "rule")
        elif f.type.startswith("int"):
            values[f.name] = i
        elif f.type.startswith("float"):
            values[f.name] = i + 0.5
        elif f.type.startswith("bool"):
            values[f.name] = bool(i % 2)
        else:
            values[f.name] = f"{f.name}-{i}"
    return kind(**values)


def test_all_record_types_are_covered():
    """A new evidence-bearing record type should be added to EVIDENCE_RECORDS above."""
    with_evidence = {
        obj
        for obj in vars(module).values()
        if dataclasses.is_dataclass(obj) and isinstance(obj, type)
        and any(f.name == "evidence" for f in fields(obj))
    }  # fmt: skip
    assert with_evidence == set(EVIDENCE_RECORDS)
