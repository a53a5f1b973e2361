"""Every standard file out, read back by the tools that read it: graph files with
control characters in the text, Cytoscape JSON with its effect values, Markdown and CSV
tables, modes, and a workbook of the same bytes on every run (issue 9, items 13-15)."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import warnings
import zipfile

import networkx as nx
import pytest
from typer.testing import CliRunner

from rifkb.cli import app
from rifkb.kb.graph import read_graph
from tests.conftest import copy_bundled_corpus

runner = CliRunner()
# Text as imported files carry it: a vertical tab, a form feed, a NUL and an escape
# character, as RIS and MEDLINE exports of Windows tools carry them.
CONTROL = "IVIg\x0bin recurrent\x0cimplantation failure\x00 \x1b[1m more"
RECORD = {
    "id": "src:control-1", "title": f"Control characters: {CONTROL}", "year": 2024,
    "authors": [{"last_name": "Bell\x07", "fore_name": "Ada"}],  # a BEL, as in one RIS export
    "abstract": f"{CONTROL}. Live birth rate was higher with IVIg than with placebo "
                "(OR 2.5, 95% CI 1.2-5.1; p = 0.01) in 40 women with RIF.",
}  # fmt: skip


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """The bundled corpus plus a record full of control characters, refreshed offline."""
    root = tmp_path_factory.mktemp("outputs")
    corpus = root / "rif-ivig"
    copy_bundled_corpus(corpus)
    extra = root / "control.jsonl"
    extra.write_text(json.dumps(RECORD) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["import", "-c", str(corpus), str(extra)]).exit_code == 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = runner.invoke(app, ["refresh", "--offline", "-c", str(corpus), "-o", str(root / "out")])
    assert result.exit_code == 0, result.output
    GLYPH_WARNINGS.extend(str(w.message) for w in caught if "Glyph" in str(w.message))
    return corpus, root / "out"


GLYPH_WARNINGS: list[str] = []  # matplotlib's font warnings during the fixture's refresh


def test_control_characters_in_records_draw_no_font_warnings(refreshed):
    """Issue 20: a BEL in an author's name made every figure print "Glyph 7 missing from
    font(s) DejaVu Sans" on stderr."""
    _, out = refreshed
    assert not GLYPH_WARNINGS
    assert "Bell 2024" in (out / "tables" / "review_tables.md").read_text(encoding="utf-8")


def test_graph_files_label_papers_as_reviews_cite_them(refreshed, tmp_path):
    """Gephi and Cytoscape show a node's `label`: a paper's is its author and year, the same
    label the tables and forest plots use (it was the node id)."""
    corpus, _ = refreshed
    graph = nx.read_gexf(graph_file(corpus, tmp_path, "gexf"))
    assert graph.nodes["paper::src:control-1"]["label"] == "Bell 2024"
    assert graph.nodes["paper::src:stephenson-2000-ivig-rct"]["label"] == "Stephenson 2000"


def graph_file(corpus, tmp_path, fmt):
    path = tmp_path / f"graph.{fmt}"
    result = runner.invoke(app, ["graph", "-c", str(corpus), "-f", fmt, "-o", str(path)])
    assert result.exit_code == 0, result.output
    return path


# --- item 13: graphs -------------------------------------------------------------------


def test_cytoscape_json_keeps_effect_values(refreshed, tmp_path):
    corpus, _ = refreshed
    path = graph_file(corpus, tmp_path, "cytoscape")
    data = json.loads(path.read_text(encoding="utf-8"))
    nodes = {n["data"]["id"]: n["data"] for n in data["elements"]["nodes"]}
    effect = nodes["effect::pmid:38365988::0"]
    assert (effect["measure"], effect["estimate"], effect["ci_low"], effect["ci_high"]) == (
        "OR", 3.64, 1.78, 7.67,
    )  # fmt: skip
    back = read_graph(path.read_text(encoding="utf-8"), "cytoscape")
    node = back.nodes["effect::pmid:38365988::0"]
    assert (node["value"], node["kind"]) == (3.64, "effect") and "estimate" not in node
    assert "value" not in back.nodes["intervention::ivig"]


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_files_with_control_characters_read_back_in_networkx(refreshed, tmp_path, fmt):
    corpus, _ = refreshed
    path = graph_file(corpus, tmp_path, fmt)
    graph = nx.read_graphml(path, force_multigraph=True) if fmt == "graphml" else nx.read_gexf(path)
    title = graph.nodes["paper::src:control-1"]["title"]
    assert title.startswith("Control characters: IVIg in recurrent implantation failure")
    assert not any(ord(c) < 0x20 and c not in "\t\n\r" for c in title)


def test_graphml_reads_back_in_igraph(refreshed, tmp_path):
    igraph = pytest.importorskip("igraph", reason="python-igraph is not installed")
    corpus, _ = refreshed
    graph = igraph.Graph.Read_GraphML(str(graph_file(corpus, tmp_path, "graphml")))
    titles = [t for t in graph.vs["title"] if t and t.startswith("Control characters")]
    assert len(titles) == 1 and graph.vcount() > 250


def test_refresh_graph_files_read_back(refreshed):
    _, out = refreshed
    assert nx.read_graphml(out / "graph.graphml", force_multigraph=True).number_of_nodes() > 250
    assert read_graph((out / "graph.json").read_text(encoding="utf-8"), "json").number_of_nodes() > 250


# --- item 14: tables and CSV -----------------------------------------------------------


def test_markdown_tables_print_pmids_as_written_and_blanks_as_blank(refreshed):
    _, out = refreshed
    text = (out / "tables" / "review_tables.md").read_text(encoding="utf-8")
    for wrong in (r"\de\+0\d", r"\bnan\b", "<NA>", r"\bNone\b"):
        assert not re.search(wrong, text), wrong
    evidence = text.split("## Findings")[0]
    row = next(line for line in evidence.splitlines() if "38365988" in line)
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert "38365988" in cells and "143" in cells and "2024" in cells


def test_query_concept_csv_has_what_the_terminal_shows(refreshed):
    corpus, _ = refreshed
    result = runner.invoke(app, ["query", "concept", "ivig", "-c", str(corpus), "--csv"])
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    for column in ("ci_low", "ci_high", "p", "significant", "designs", "year", "rif_definition"):
        assert column in rows[0], column
    effect = next(r for r in rows if r["section"] == "effect" and r["doc_id"] == "pmid:38365988")
    assert (effect["value"], effect["ci_low"], effect["ci_high"], effect["p"]) == (
        "3.64",
        "1.78",
        "7.67",
        "0.0004",
    )
    rif = [r for r in rows if r["section"] == "rif_definition"]
    assert rif and all(r["rif_definition"] for r in rif)
    assert any("≥3 failed transfers" in r["rif_definition"] for r in rif)
    finding = next(r for r in rows if r["section"] == "finding" and r["other"] == "live_birth")
    assert finding["significant"].isdigit() and finding["role"] == "subject"


def test_query_links_csv_has_direction_and_significance(refreshed):
    corpus, _ = refreshed
    args = ["query", "links", "--from", "ivig", "--to", "live_birth", "-c", str(corpus), "--csv"]
    rows = list(csv.DictReader(io.StringIO(runner.invoke(app, args).stdout)))
    direct = [r for r in rows if r["path"] == "direct"]
    assert direct and {"direction", "significant", "effect"} <= set(rows[0])
    assert {r["direction"] for r in direct} <= {"increase", "decrease", "no_difference"}
    assert any(r["direction"] == "increase" for r in direct)
    assert {r["significant"] for r in direct} <= {"True", "False", ""}


# --- item 15: modes and the same bytes ---------------------------------------------------


def test_outputs_get_the_mode_the_umask_gives(refreshed, tmp_path):
    corpus, out = refreshed
    os.umask(umask := os.umask(0o022))
    bib = tmp_path / "corpus.bib"
    assert (
        runner.invoke(app, ["export", "bib", "-c", str(corpus), "-f", "bibtex", "-o", str(bib)]).exit_code
        == 0
    )
    files = [bib, *(p for p in out.rglob("*") if p.is_file())]
    assert len(files) > 15
    for path in files:
        assert path.stat().st_mode & 0o777 == 0o666 & ~umask, path
    for folder in (out / "tables", out / "figures"):
        assert folder.stat().st_mode & 0o777 == 0o777 & ~umask, folder


def test_the_workbook_is_the_same_bytes_on_every_run(refreshed, tmp_path):
    corpus, out = refreshed
    result = runner.invoke(app, ["export", "tables", "-c", str(corpus), "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    again = (tmp_path / "review_tables.xlsx").read_bytes()
    assert again == (out / "tables" / "review_tables.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(again)) as book:
        assert {info.date_time for info in book.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = book.read("docProps/core.xml").decode()
    assert "1980-01-01T00:00:00Z" in core
