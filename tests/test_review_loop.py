"""The reviewer in the loop, end to end through the CLI on a copy of the bundled corpus:
a record excluded leaves every output (tables, graph, figures, synthesis, report) and is
counted in the PRISMA flow with its reason; included again, it comes back."""

from __future__ import annotations

import csv
import json

import networkx as nx
import pytest
from typer.testing import CliRunner

from rifkb.cli import app
from tests.conftest import copy_bundled_corpus

runner = CliRunner()
PEERO = "38365988"
WHY = "retrospective cohort: not eligible"


def _refresh(corpus, out):
    done = runner.invoke(app, ["refresh", "--offline", "-c", str(corpus), "-o", str(out)])
    assert done.exit_code == 0, done.output
    return out


def _where_peero_is(out) -> dict[str, bool]:
    with open(out / "tables" / "evidence.csv", encoding="utf-8") as fh:
        table = any(r["pmid"] == PEERO for r in csv.DictReader(fh))
    graph = nx.read_graphml(out / "graph.graphml")
    synthesis = json.loads((out / "synthesis.json").read_text(encoding="utf-8"))
    pooled = {s["doc_id"] for a in synthesis["analyses"] for s in a["studies"]}
    lines = (out / "extractions.jsonl").read_text(encoding="utf-8").splitlines()
    return {
        "tables": table,
        "graph": f"paper::pmid:{PEERO}" in graph,
        "figures": "Peero 2024" in _text(out / "figures" / "forest_ivig_live_birth_non_randomised.svg"),
        "synthesis": f"pmid:{PEERO}" in pooled,
        "report": f"pubmed.ncbi.nlm.nih.gov/{PEERO}/" in _text(out / "report.html"),
        "extractions": any(json.loads(line)["doc_id"] == f"pmid:{PEERO}" for line in lines),
    }


def _text(path) -> str:
    """A file's text; none when it is not written (Peero 2024 excluded, the non-randomised
    analysis of IVIg and live birth has no study left, and no forest plot)."""
    return path.read_text(encoding="utf-8") if path.exists() else ""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    target = copy_bundled_corpus(tmp_path_factory.mktemp("loop") / "rif-ivig")
    assert runner.invoke(app, ["extract", "-c", str(target)]).exit_code == 0
    return target


def test_an_excluded_record_leaves_every_output_and_is_counted_with_its_reason(corpus, tmp_path):
    before = _where_peero_is(_refresh(corpus, tmp_path / "before"))
    assert all(before.values()), before
    done = runner.invoke(
        app, ["screen", PEERO, "exclude", "--reason", WHY, "--reviewer", "ana", "-c", str(corpus)]
    )
    assert done.exit_code == 0, done.output
    out = _refresh(corpus, tmp_path / "after")
    after = _where_peero_is(out)
    assert not any(after.values()), after
    summary = (out / "refresh.md").read_text(encoding="utf-8")
    assert f"1 excluded ({WHY}: 1)" in summary
    report = (out / "report.html").read_text(encoding="utf-8")
    assert WHY in report  # the PRISMA flow's exclusion box, with its count
    # included again, it is back everywhere, no longer flagged as unscreened
    runner.invoke(app, ["screen", PEERO, "include", "-c", str(corpus)])
    again = _refresh(corpus, tmp_path / "again")
    assert all(_where_peero_is(again).values())
    with open(again / "tables" / "evidence.csv", encoding="utf-8") as fh:
        assert next(r for r in csv.DictReader(fh) if r["pmid"] == PEERO)["screening"] == "include"
