"""Review tables read back from their files, figures rendered, refresh end to end."""

from __future__ import annotations

import csv
import json
from xml.etree import ElementTree

import openpyxl
import pytest
from typer.testing import CliRunner

from rifkb.cli import app
from tests.conftest import REPO, copy_bundled_corpus
from tests.eutils_server import make_articles

runner = CliRunner()


@pytest.fixture(scope="module")
def refreshed(tmp_path_factory):
    """The bundled corpus plus one retracted record, refreshed offline once."""
    root = tmp_path_factory.mktemp("refresh")
    corpus = root / "rif-ivig"
    copy_bundled_corpus(corpus)
    retracted = REPO / "tests" / "data" / "pubmed" / "efetch_all_fields.xml"
    assert runner.invoke(app, ["import", "-c", str(corpus), str(retracted)]).exit_code == 0
    result = runner.invoke(app, ["refresh", "--offline", "-c", str(corpus), "-o", str(root / "out")])
    assert result.exit_code == 0, result.output
    return corpus, root / "out", result


def test_refresh_writes_everything(refreshed):
    _, out, result = refreshed
    assert "first refresh: 111 records" in result.stdout
    assert (out / "refresh.md").read_text().startswith("# Refresh of rif-ivig\n")
    for name in ("graph.graphml", "graph.json", "extractions.jsonl", "tables/evidence.csv",
                 "tables/review_tables.xlsx", "tables/review_tables.md", "figures/evidence_map.svg",
                 "figures/forest_ivig_live_birth_non_randomised.png", "figures/rif_definitions.png",
                 "figures/prisma_flow.png", "figures/prisma_flow.svg", "report.html"):  # fmt: skip
        assert (out / name).stat().st_size > 200, name


def test_evidence_table_reads_back(refreshed):
    _, out, _ = refreshed
    with open(out / "tables" / "evidence.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 111
    ivig = next(r for r in rows if r["pmid"] == "38365988")
    assert (ivig["design"], ivig["n"], ivig["interventions"]) == ("cohort", "143", "ivig")
    assert "aOR 3.64 (1.78 to 7.67)" in ivig["key_estimates"]
    assert "≥3 failed transfers" in ivig["rif_definition"]
    flagged = [r["pmid"] for r in rows if r["retracted"] == "True"]
    assert flagged == ["99000001"]


def test_workbook_has_a_sheet_per_table(refreshed):
    _, out, _ = refreshed
    book = openpyxl.load_workbook(out / "tables" / "review_tables.xlsx", read_only=True)
    assert book.sheetnames == [
        "evidence",
        "findings",
        "rif_definitions",
        "study_data",
        "mechanism_outcome",
        "synthesis",
        "audit",
        "summary_of_findings",
        "sequential",
        "next_trial",
        "cumulative",
        "stewardship",
        "doses",
        "meta_regression",
    ]
    # issue 19: the regimens read, in grams per patient at 65 kg
    doses = list(book["doses"].iter_rows(values_only=True))
    ivig = [dict(zip(doses[0], r, strict=True)) for r in doses[1:] if r[2] == "ivig"]
    assert {(d["regimen"], d["grams_per_patient"]) for d in ivig} == {("500 mg/kg", 32.5)}
    # issue 18: GRADE's row for IVIg → live birth in RIF, with its certainty and footnotes
    sof = list(book["summary_of_findings"].iter_rows(values_only=True))
    ivig = ("intravenous immunoglobulin", "non-randomised", "live birth")
    row = next(dict(zip(sof[0], r, strict=True)) for r in sof[1:] if (r[0], r[2], r[3]) == ivig)
    assert row["certainty"].startswith("⊕") and "a. Risk with control" in row["footnotes"]
    rows = list(book["findings"].iter_rows(values_only=True))
    header = rows[0]
    findings = [dict(zip(header, r, strict=True)) for r in rows[1:]]
    assert any(f["subject"] == "ivig" and f["object"] == "live_birth" and f["direction"] == "increase"
               for f in findings)  # fmt: skip
    rif = list(book["rif_definitions"].iter_rows(values_only=True))
    assert len(rif) > 10 and rif[0][:5] == ("study", "doc_id", "year", "design", "min_failed_transfers")


def test_markdown_and_matrix(refreshed):
    _, out, _ = refreshed
    text = (out / "tables" / "review_tables.md").read_text(encoding="utf-8")
    assert text.startswith("## Evidence\n\n| ") and "## Mechanism outcome" in text
    with open(out / "tables" / "mechanism_outcome.csv", encoding="utf-8") as fh:
        matrix = list(csv.reader(fh))
    assert matrix[0][0] == "mechanism" and "rif" in matrix[0]
    nk = next(r for r in matrix if r[0] == "nk_uterine")
    assert nk[matrix[0].index("rif")].split(" ")[0].isdigit()


def test_figures_render_and_are_deterministic(refreshed, tmp_path):
    corpus, out, _ = refreshed
    assert (out / "figures" / "forest_ivig_live_birth_non_randomised.png").read_bytes()[
        :8
    ] == b"\x89PNG\r\n\x1a\n"
    for name in ("forest_ivig_live_birth_non_randomised.svg", "evidence_map.svg", "rif_definitions.svg"):
        root = ElementTree.parse(out / "figures" / name).getroot()
        assert root.tag.endswith("svg")
    again = runner.invoke(app, ["export", "figures", "-c", str(corpus), "-o", str(tmp_path)])
    assert again.exit_code == 0
    assert (tmp_path / "evidence_map.svg").read_bytes() == (out / "figures" / "evidence_map.svg").read_bytes()


def test_figures_name_concepts_by_their_label(refreshed):
    _, out, _ = refreshed
    svg = (out / "figures" / "evidence_map.svg").read_text(encoding="utf-8")
    # matplotlib writes each text as an SVG comment above its glyphs
    assert "<!-- intravenous immunoglobulin -->" in svg and "<!-- live birth -->" in svg
    assert "<!-- ivig -->" not in svg and "<!-- live_birth -->" not in svg
    forest = (out / "figures" / "forest_ivig_live_birth_non_randomised.svg").read_text(encoding="utf-8")
    assert (
        "<!-- intravenous immunoglobulin versus control: live birth (recurrent implantation failure; "
        "non-randomised) -->" in forest
    )


def test_second_refresh_reports_what_changed(refreshed, tmp_path):
    corpus, _, _ = refreshed
    extra = tmp_path / "one.jsonl"
    abstract = "Live birth rate was higher with IVIg than with placebo (p = 0.01) in 40 women with RIF."
    record = {"id": "src:new-1", "title": "IVIg in RIF", "year": 2025, "abstract": abstract}
    extra.write_text(json.dumps(record) + "\n")
    runner.invoke(app, ["import", "-c", str(corpus), str(extra)])
    result = runner.invoke(app, ["refresh", "--offline", "-c", str(corpus), "-o", str(tmp_path / "out")])
    assert (
        "since the last refresh: 1 new records, 1 new findings, 0 records with changed estimates"
        in result.stdout
    )
    assert "new finding in src:new-1: treatment ivig live_birth increase" in result.stdout


def test_refresh_fetches_through_eutils(server, tmp_path):
    server.pubmed.add("RIF AND IVIg", make_articles(12, 33_000_000, _year(2021), _year(2025)))
    corpus = tmp_path / "c"
    runner.invoke(app, ["init", str(corpus), "--search", "ivig=RIF AND IVIg"])
    env = {"RIFKB_EUTILS_URL": server.url, "NCBI_EMAIL": "t@example.org", "NCBI_API_KEY": "k"}
    result = runner.invoke(app, ["refresh", "-c", str(corpus), "-o", str(tmp_path / "out")], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1].split() == ["ivig", "12", "12", "0", "0", "0"]
    assert "first refresh: 12 records" in result.stdout


def test_query_cli_formats(refreshed):
    corpus, _, _ = refreshed
    as_json = json.loads(runner.invoke(app, ["query", "links", "--from", "IVIg", "--to", "live birth",
                                             "-c", str(corpus), "--json"]).stdout)  # fmt: skip
    assert as_json["source"] == "ivig" and as_json["direct"][0]["relation"] == "evidence"
    as_csv = runner.invoke(app, ["query", "concept", "ivig", "-c", str(corpus), "--csv"]).stdout.splitlines()
    assert (
        as_csv[0].startswith(
            "section,doc_id,other,direction_or_measure,value,intervention,comparator,subgroup,papers,"
        )
        and len(as_csv) > 3
    )
    text = runner.invoke(
        app, ["query", "links", "--from", "nk_uterine", "--to", "live_birth", "-c", str(corpus)]
    )
    assert "nk_uterine ←co_studied (1 papers)— ivig —evidence" in text.stdout
    bad = runner.invoke(app, ["query", "concept", "ivg", "-c", str(corpus)])
    assert bad.exit_code == 1 and bad.stderr == (
        "rifkb: unknown concept 'ivg'; did you mean ivig (intravenous immunoglobulin), "
        "ivf (IVF / ICSI patients)?\n"
    )


def test_query_links_leaves_populations_out_unless_asked(refreshed):
    """Issue 17: uterine NK cells → live birth on the bundled corpus was 26 paths, most
    through `rif`, one through PBMC taken as a blood sample (Singh 2023)."""
    corpus, _, _ = refreshed
    args = ["query", "links", "--from", "nk_uterine", "--to", "live_birth", "-c", str(corpus), "--json"]
    narrow, wide = (
        json.loads(runner.invoke(app, [*args, *more]).stdout) for more in ([], ["--through-populations"])
    )
    nodes = lambda links: {s["target"] for path in links["paths"] for s in path}  # noqa: E731
    assert not any(n.startswith("population::") for n in nodes(narrow))
    assert {"intervention::ivig", "intervention::intralipid"} <= nodes(narrow)
    assert "intervention::pbmc" not in nodes(narrow)
    assert "population::rif" in nodes(wide) and len(wide["paths"]) > len(narrow["paths"]) >= 2
    assert narrow["through_populations"] is False and wide["through_populations"] is True


def test_graph_cli_round_trip(refreshed, tmp_path):
    import networkx as nx

    corpus, _, _ = refreshed
    path = tmp_path / "g.graphml"
    result = runner.invoke(app, ["graph", "-c", str(corpus), "-f", "graphml", "-o", str(path)])
    assert result.exit_code == 0
    assert nx.read_graphml(path, force_multigraph=True).number_of_nodes() > 250


def _year(year):
    from datetime import date

    return date(year, 1, 1)
