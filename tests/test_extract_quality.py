"""Extraction quality on the project's copy of the dev corpus, scored by the project's copy
of the shared scorer. The floors are the issue's; a regression below any of them is red."""

from __future__ import annotations

import json

import pytest

from rifkb.corpus.formats import read_records
from rifkb.kb.runs import extract_records
from rifkb.records import ExtractionFailure
from tests.eval.score import load, score

FLOORS = {
    "effects_f1": 0.90,
    "effect_outcome_acc": 0.75,
    "event_rates_f1": 0.95,
    "sample_size_acc": 0.80,
    "design_acc": 0.80,
    "rif_min_failed_transfers_acc": 0.80,
    "concepts_f1": 0.90,
    "findings_f1": 0.50,
}


@pytest.fixture(scope="module")
def metrics(data, tmp_path_factory):
    records = [r for chunk in read_records(data / "dev.jsonl", "jsonl") for r in chunk]
    results = list(extract_records(records))
    assert not [r for r in results if isinstance(r, ExtractionFailure)]
    pred = tmp_path_factory.mktemp("pred") / "pred.jsonl"
    pred.write_text("".join(json.dumps(r.to_json()) + "\n" for r in results), encoding="utf-8")
    return score(load(str(data / "dev-gold.jsonl")), load(str(pred)))


@pytest.fixture(scope="module")
def data():
    from tests.conftest import DATA

    return DATA


@pytest.mark.parametrize(("metric", "floor"), FLOORS.items())
def test_dev_score_stays_above_floor(metrics, metric, floor):
    assert metrics[metric] >= floor, f"{metric} = {metrics[metric]:.3f} < {floor}"
