"""A synthesis reads each study once (rifkb.review.reading): what it reads is kept by the
identity of the extraction, for one synthesis and one thread, and changes nothing."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path

import pytest

import rifkb.review.synthesis as synthesis
from rifkb.review.reading import once_per_synthesis, read_once
from tests.gold_papers import gold_papers

DATA = Path(__file__).parent / "data"


def test_a_study_is_read_once_in_a_synthesis_and_every_time_outside_one():
    calls = []
    comparisons_of = read_once(lambda x: calls.append(x) or len(calls))
    first, twin = object(), object()  # distinct studies, however alike
    assert [comparisons_of(first), comparisons_of(first)] == [1, 2]
    with once_per_synthesis():
        kept = [comparisons_of(first), comparisons_of(first), comparisons_of(twin), comparisons_of(twin)]
    assert kept == [3, 3, 4, 4]
    assert comparisons_of(first) == 5  # nothing outlives the synthesis


def test_two_syntheses_at_once_share_nothing():
    seen = {}
    read = read_once(lambda x: threading.get_ident())
    study = object()
    barrier = threading.Barrier(2)

    def synthesis_in_a_thread(name):
        with once_per_synthesis():
            barrier.wait()
            seen[name] = read(study)

    threads = [threading.Thread(target=synthesis_in_a_thread, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen["a"] != seen["b"]


@pytest.mark.parametrize("population", ["rif", "all"])
def test_the_synthesis_is_the_same_read_once_or_every_time(population, monkeypatch):
    papers = gold_papers(DATA / "dev-gold.jsonl", DATA / "dev.jsonl")
    once = [a.to_json() for a in synthesis.synthesize(papers, population=population, method="reml")]
    monkeypatch.setattr(synthesis, "once_per_synthesis", contextlib.nullcontext)
    every_time = [a.to_json() for a in synthesis.synthesize(papers, population=population, method="reml")]
    assert once and once == every_time
