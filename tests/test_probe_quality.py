"""Extraction quality on the probe sets: invented abstracts in kinds of writing the dev
corpus lacks, gold written before any rule was tuned to them (tests/data/probes: 69;
tests/data/probes2: 30, written later and scored blind once before its kinds were added).
Issue 17's goals are the floors on the first; the second holds what its tuning reached,
its findings below the goal (see its README). The first scores, before tuning, are in
each set's README."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from rifkb.corpus.formats import read_records
from rifkb.kb.runs import extract_records
from rifkb.records import ExtractionFailure
from tests.eval.score import load, score
from tests.test_extract_quality import inverted_share

DATA = Path(__file__).parent / "data"
GOALS = {
    "score": 0.92,
    "findings_f1": 0.80,
    "design_acc": 0.92,
    "sample_size_acc": 0.92,
    "rif_min_failed_transfers_acc": 0.92,
    "effect_outcome_acc": 0.85,
    "n_studies_acc": 0.80,
}
FLOORS = {"probes": GOALS, "probes2": GOALS | {"findings_f1": 0.75}}


@pytest.fixture(scope="module", params=sorted(FLOORS))
def probe_set(request):
    return request.param


@pytest.fixture(scope="module")
def predictions(probe_set):
    records = [r for chunk in read_records(DATA / probe_set / "probes.jsonl", "jsonl") for r in chunk]
    results = list(extract_records(records))
    assert not [r for r in results if isinstance(r, ExtractionFailure)]
    return [r.to_json() for r in results]


@pytest.fixture(scope="module")
def metrics(probe_set, predictions, tmp_path_factory):
    pred = tmp_path_factory.mktemp("probes") / "pred.jsonl"
    pred.write_text("".join(json.dumps(p) + "\n" for p in predictions), encoding="utf-8")
    return score(load(str(DATA / probe_set / "probes-gold.jsonl")), load(str(pred)))


@pytest.mark.parametrize("metric", sorted(GOALS))
def test_probe_set_stays_above_its_floor(probe_set, metrics, metric):
    floor = FLOORS[probe_set][metric]
    assert metrics[metric] >= floor, f"{probe_set}: {metric} = {metrics[metric]:.3f} < {floor}"


def test_probe_findings_are_rarely_inverted(probe_set, predictions):
    # the probes' traps: "miscarriage was significantly higher in the placebo group"
    lines = (DATA / probe_set / "probes-gold.jsonl").read_text(encoding="utf-8").splitlines()
    gold = [json.loads(line) for line in lines]
    share = inverted_share(gold, predictions)
    assert share < 0.01, f"{probe_set}: inverted findings {share:.3%}"
