"""Screening decisions and corrections: kept as histories beside the extractions, applied
on top of them in every output, surviving re-extraction with their conflicts listed."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rifkb.corpus.reviews import (
    add_corrections,
    corrections,
    current_decisions,
    decide,
    decision_of,
    screening_history,
)
from rifkb.corpus.store import ExtractionStamp, Provenance, RuleSetRef, Store
from rifkb.errors import BadInputError, CorpusError
from rifkb.kb.corrections import apply_corrections, item_json, parse_field
from rifkb.kb.papers import reviewed_papers
from rifkb.records import (
    AbstractSection,
    Correction,
    EffectEstimate,
    EventRate,
    Evidence,
    Extraction,
    Finding,
    Record,
    RifDefinition,
    ScreeningDecision,
)

SENTENCE = "IVIg was associated with higher odds of live birth (OR 3.64; 95% CI 1.78–7.67; p = 0.0004)."
EVIDENCE = Evidence("pmid:38365988", 100, 135, SENTENCE, "rifkb_numbers_v1")
EFFECT = EffectEstimate("OR", 3.64, 1.78, 7.67, "0.0004", "live_birth", True, EVIDENCE, "ivig")
RATE = EventRate(32, 49, "live_birth", replace(EVIDENCE, start=40, end=45), "ivig", None, 65.3)
FINDING = Finding(
    "treatment", "ivig", "live_birth", "increase", True, False, replace(EVIDENCE, start=0, end=90)
)
READING = Extraction(
    doc_id="pmid:38365988", study_design="cohort", sample_size=143, n_studies=None,
    rif_definition=RifDefinition(3, None, "good", None, replace(EVIDENCE, start=10, end=20)),
    mentions=(), effects=(EFFECT,), event_rates=(RATE,), findings=(FINDING,),
)  # fmt: skip
PAPERS = [
    Record(pmid="38365988", title="IVIg for unexplained RIF", year=2024, abstract=(AbstractSection("..."),)),
    Record(pmid="11111111", title="Intralipid in RIF", year=2020, abstract=(AbstractSection("..."),)),
    Record(pmid="22222222", title="A survey of embryologists", year=2019, abstract=(AbstractSection("..."),)),
]


def fix(op, target, value=None, was=None, id_=1, reviewer="ana"):  # noqa: ANN001, ANN201
    return Correction("pmid:38365988", op, target, value, was, "checked the full text", reviewer, "t", id_)


@pytest.fixture
def store(tmp_path):
    with Store(tmp_path / "store.sqlite", clock=lambda: "2026-11-22T10:00:00+00:00") as s:
        s.add_records(PAPERS, Provenance("search", "rif"))
        stamps = {p.uid: ExtractionStamp("v1", "h") for p in PAPERS}
        readings = [READING] + [replace(READING, doc_id=p.uid) for p in PAPERS[1:]]
        s.save_extractions(readings, stamps, RuleSetRef("rifkb", "f1"))
        yield s


# --- screening ---------------------------------------------------------------------------


def test_the_latest_decision_counts_and_every_one_is_kept(store):
    decide(store, [ScreeningDecision("38365988", "exclude", "not RIF", "ana", "")])
    decide(store, [ScreeningDecision("pmid:38365988", "include", None, "ben", "")])
    assert decision_of(store, "38365988") == "include"
    assert decision_of(store, "pmid:11111111") == "unscreened"
    history = screening_history(store, "pmid:38365988")
    assert [(d.decision, d.reviewer, d.reason) for d in history] == [("exclude", "ana", "not RIF"),
                                                                    ("include", "ben", None)]  # fmt: skip
    assert history[0].at == "2026-11-22T10:00:00+00:00" and history[0].id < history[1].id


@pytest.mark.parametrize(
    ("decision", "message"),
    [
        (ScreeningDecision("pmid:38365988", "exclude", "", "ana", ""), "an exclusion needs a reason"),
        (ScreeningDecision("pmid:38365988", "maybe", None, "ana", ""), "decision 'maybe' is not one of"),
        (ScreeningDecision("pmid:99", "include", None, "ana", ""), "no record 'pmid:99'"),
        (ScreeningDecision("pmid:38365988", "include", None, " ", ""), "a decision needs a reviewer"),
    ],
)
def test_a_decision_that_cannot_count_is_refused_and_nothing_is_stored(store, decision, message):
    good = ScreeningDecision("pmid:11111111", "include", None, "ana", "")
    with pytest.raises((BadInputError, CorpusError), match=message):
        decide(store, [good, decision])
    assert current_decisions(store) == {}


def test_decisions_follow_a_record_that_gains_a_pmid(tmp_path):
    with Store(tmp_path / "s.sqlite") as s:
        s.add_records([Record(doi="10.1000/x", title="Only a DOI", year=2020)], Provenance("import", "a.ris"))
        decide(s, [ScreeningDecision("doi:10.1000/x", "exclude", "animal study", "ana", "")])
        s.add_records([Record(pmid="33333333", doi="10.1000/x", title="Only a DOI", year=2020)],
                      Provenance("search", "rif"))  # fmt: skip
        assert set(current_decisions(s)) == {"pmid:33333333"}


# --- corrections applied -------------------------------------------------------------------

EFFECT_AT = "effects@100:135"
CASES = [
    # (corrections, what the corrected extraction reads, conflicts)
    ([fix("set", "sample_size", 150, 143)], lambda x: x.sample_size == 150, 0),
    ([fix("set", "study_design", "rct", "cohort")], lambda x: x.study_design == "rct", 0),
    ([fix("set", "rif_definition.min_failed_transfers", 5, 3)],
     lambda x: x.rif_definition.min_failed_transfers == 5, 0),
    # the reading corrected has changed since: the correction stands, a conflict says so
    ([fix("set", "sample_size", 150, 120)], lambda x: x.sample_size == 150, 1),
    ([fix("edit", EFFECT_AT, {"value": 3.46, "ci_high": 7.76}, item_json(EFFECT))],
     lambda x: (x.effects[0].value, x.effects[0].ci_high, x.effects[0].ci_low) == (3.46, 7.76, 1.78), 0),
    ([fix("strike", "findings@0:90", None, item_json(FINDING))], lambda x: x.findings == (), 0),
    ([fix("edit", "event_rates@40:45", {"group": "control"}, item_json(RATE))],
     lambda x: x.event_rates[0].group == "control", 0),
    # an item added carries the correction as its rule
    ([fix("add", "effects", {**item_json(EFFECT), "measure": "RR", "value": 1.9}, None)],
     lambda x: len(x.effects) == 2 and x.effects[1].evidence.rule == "correction:1", 0),
    # the latest correction of a field counts; a revert withdraws them
    ([fix("set", "sample_size", 150, 143), fix("set", "sample_size", 151, 143, id_=2)],
     lambda x: x.sample_size == 151, 0),
    ([fix("set", "sample_size", 150, 143), fix("revert", "sample_size", None, None, id_=2)],
     lambda x: x.sample_size == 143, 0),
    ([fix("add", "effects", item_json(EFFECT), None)], lambda x: len(x.effects) == 1, 1),  # read already
    ([fix("strike", "effects@5:9", None, item_json(EFFECT))], lambda x: len(x.effects) == 1, 1),  # gone
]  # fmt: skip


@pytest.mark.parametrize(("made", "reads", "conflicts"), CASES)
def test_corrections_apply_on_top_of_the_reading(made, reads, conflicts):
    corrected, found = apply_corrections(READING, made)
    assert reads(corrected)
    assert len(found) == conflicts


def test_an_edit_of_an_item_no_longer_read_keeps_the_corrected_item():
    edit = fix("edit", EFFECT_AT, {"value": 3.46}, item_json(EFFECT))
    corrected, (conflict,) = apply_corrections(replace(READING, effects=()), [edit])
    assert corrected.effects[0].value == 3.46 and corrected.effects[0].ci_low == 1.78
    assert conflict.now is None and "no longer extracted" in conflict.message


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("sample_size", "150", ("sample_size", 150)),
        ("study_design", "RCT", ("study_design", "rct")),
        ("min_failed_transfers", "3", ("rif_definition.min_failed_transfers", 3)),
        ("n_studies", "none", ("n_studies", None)),
    ],
)
def test_fields_as_reviewers_type_them(name, text, expected):
    assert parse_field(name, text) == expected


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("sample_size", "many", "sample_size takes a whole number, not 'many'"),
        ("sample_size", "-3", "cannot be negative"),
        ("study_design", "anecdote", "study_design 'anecdote' is not one of rct"),
        ("title", "x", "cannot correct 'title'; fields: study_design"),
    ],
)
def test_fields_that_cannot_be_set_say_why(name, text, message):
    with pytest.raises(BadInputError, match=message):
        parse_field(name, text)


@pytest.mark.parametrize(
    ("correction", "message"),
    [
        (fix("set", "effects@1:2", 3), "is an item: edit, add or strike it"),
        (fix("strike", "effects"), "strike needs the item's span"),
        (fix("set", "abstract", "x"), "cannot correct 'abstract'"),
        (fix("add", "effects", "OR 2"), "add takes a kind"),
    ],
)
def test_corrections_nothing_could_apply_are_refused(store, correction, message):
    with pytest.raises(BadInputError, match=message):
        add_corrections(store, [correction])
    assert corrections(store) == []


# --- in the store: every output reads the reviewed papers ----------------------------------


def test_excluded_records_leave_the_papers_and_are_counted_with_their_reason(store):
    decide(store, [ScreeningDecision("pmid:22222222", "exclude", "not a clinical study", "ana", ""),
                   ScreeningDecision("pmid:11111111", "include", None, "ana", "")])  # fmt: skip
    reviewed = reviewed_papers(store)
    assert [(p.record.uid, p.screening) for p in reviewed.papers] == [
        ("pmid:11111111", "include"),
        ("pmid:38365988", "unscreened"),
    ]
    ((record, decision),) = reviewed.excluded
    assert (record.uid, decision.reason) == ("pmid:22222222", "not a clinical study")
    strict = reviewed_papers(store, unscreened_included=False)
    assert [p.record.uid for p in strict.papers] == ["pmid:11111111"]
    assert [r.uid for r in strict.unscreened_left_out] == ["pmid:38365988"]


def test_a_correction_survives_re_extraction_and_its_conflict_is_listed(store):
    add_corrections(store, [fix("set", "sample_size", 150, 143, id_=None)])
    (paper, *_) = [p for p in reviewed_papers(store).papers if p.record.uid == "pmid:38365988"]
    assert paper.extraction.sample_size == 150 and paper.corrected
    # a rule change reads the record again, and differently
    store.save_extractions([replace(READING, sample_size=140)], {"pmid:38365988": ExtractionStamp("v2", "h")},
                           RuleSetRef("rifkb", "f2"))  # fmt: skip
    reviewed = reviewed_papers(store)
    paper = next(p for p in reviewed.papers if p.record.uid == "pmid:38365988")
    assert paper.extraction.sample_size == 150
    ((conflict),) = reviewed.conflicts
    assert conflict.now == 140 and conflict.correction.was == 143 and conflict.correction.reviewer == "ana"
