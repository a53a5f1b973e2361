"""A new user's mistakes and an unreachable PubMed: every bad value is one line on stderr
and exit code 1, never a traceback (issue 9, items 19, 24, 25 and 26)."""

from __future__ import annotations

import json
import socket

import pytest
from typer.testing import CliRunner

from rifkb.cli import app
from tests.conftest import copy_bundled_corpus

runner = CliRunner()


@pytest.fixture
def bundled(tmp_path):
    """A copy of the bundled corpus, without any store a developer may have built."""
    return copy_bundled_corpus(tmp_path / "rif-ivig")


@pytest.fixture
def extracted(extracted_bundle):
    return extracted_bundle


def one_line_error(result, message: str) -> None:
    assert result.exit_code == 1, result.output
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    ), result.exception
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("rifkb: ") and message in result.stderr, result.stderr


def closed_port_url() -> str:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens here once the socket is closed
    return f"http://127.0.0.1:{port}/entrez/eutils/"


# --- item 19: bad values ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("searches", "message"),
    [
        ('[[searches]]\nname = "a"\nquery = 123\n', "search 'a': query must be text"),
        ('[[searches]]\nname = 1\nquery = "x"\n', "name must be text"),
        ('[[searches]]\nname = "a"\nquery = "x"\nmindate = 2020\n', "mindate must be text"),
        (
            '[[searches]]\nname = "a"\nquery = "x"\n[[searches]]\nname = "a"\nquery = "y"\n',
            "two saved searches are named 'a'",
        ),
        (
            '[[searches]]\nname = "a"\nquery = "x"\nmindate = "2024/03"\nmaxdate = "2020"\n',
            "search 'a': mindate 2024/03 is after maxdate 2020",
        ),
        ('searches = "rif"\n', "searches must be [[searches]] tables"),
        ('searches = ["rif"]\n', "searches must be [[searches]] tables"),
        # issue 19: what grams of IVIg and their price are computed with
        (
            "[stewardship]\nbody_weight_kg = 6.5\n",
            "[stewardship] body_weight_kg must be a weight in kg, not 6.5",
        ),
        ("[stewardship]\nbody_weight_kg = true\n", "body_weight_kg must be a weight in kg, not True"),
        ("[stewardship]\nprice_per_gram = -3\n", "price_per_gram must be a positive number, not -3"),
        ("[stewardship]\nprice_per_gram = 60\n", 'price_per_gram needs its currency (currency = "CAD")'),
        ("[stewardship]\nweight = 70\n", "[stewardship] has no setting 'weight'"),
        ('stewardship = "yes"\n', "stewardship must be a [stewardship] table"),
    ],
)
def test_a_bad_corpus_toml_is_one_line(tmp_path, searches, message):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "corpus.toml").write_text('name = "c"\n' + searches, encoding="utf-8")
    one_line_error(runner.invoke(app, ["status", "-c", str(corpus)]), message)


def test_init_refuses_two_searches_of_one_name(tmp_path):
    result = runner.invoke(app, ["init", str(tmp_path / "c"), "-s", "a=x", "-s", "a=y"])
    one_line_error(result, "two saved searches are named 'a'")
    assert not (tmp_path / "c").exists()


def test_init_on_a_file(tmp_path):
    path = tmp_path / "afile"
    path.write_text("mine\n")
    one_line_error(runner.invoke(app, ["init", str(path)]), "exists and is not a folder")
    assert path.read_text() == "mine\n"


@pytest.mark.parametrize("value", ["inf", "1e300"])
def test_fetch_timeout_must_be_a_number_of_seconds(bundled, value):
    args = ["fetch", "-c", str(bundled), "--email", "a@b.org", "--timeout", value, "--retries", "0"]
    one_line_error(runner.invoke(app, args, env={"RIFKB_EUTILS_URL": closed_port_url()}), "timeout")


def test_extract_jsonl_to_a_folder_is_refused_before_extracting(bundled, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    result = runner.invoke(app, ["extract", "-c", str(bundled), "--jsonl", str(folder)])
    one_line_error(result, f"{folder}: is a folder; give the name of a file")
    assert "extracted" not in result.stdout


def test_refresh_output_that_is_a_file(bundled, tmp_path):
    path = tmp_path / "afile"
    path.write_text("mine\n")
    result = runner.invoke(app, ["refresh", "--offline", "-c", str(bundled), "-o", str(path)])
    one_line_error(result, f"{path}: exists and is not a folder")
    assert path.read_text() == "mine\n"


@pytest.mark.parametrize("command", [["export", "tables"], ["export", "figures"]])
def test_export_into_a_file(extracted, tmp_path, command):
    path = tmp_path / "afile"
    path.write_text("mine\n")
    one_line_error(runner.invoke(app, [*command, "-c", str(extracted), "-o", str(path)]), "is not a folder")


def test_graph_output_that_is_a_folder(extracted, tmp_path):
    result = runner.invoke(app, ["graph", "-c", str(extracted), "-o", str(tmp_path)])
    one_line_error(result, "is a folder; give the name of a file")


def test_status_still_reads_a_good_corpus(bundled):
    result = runner.invoke(app, ["status", "-c", str(bundled), "--json"])
    assert json.loads(result.stdout)["records"] == 110


# --- item 25: a new user's first commands -------------------------------------------------


def test_show_takes_a_bare_pmid(bundled):
    result = runner.invoke(app, ["show", "18973893", "-c", str(bundled)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["pmid"] == "18973893"
    one_line_error(runner.invoke(app, ["show", "1", "-c", str(bundled)]), "no record '1'")


def test_figures_of_a_concept_that_is_no_intervention(extracted, tmp_path):
    args = ["export", "figures", "-c", str(extracted), "-o", str(tmp_path / "f"), "--intervention"]
    result = runner.invoke(app, [*args, "nk_uterine"])
    one_line_error(result, "'nk_uterine' is uterine / endometrial NK cells, a mechanism, not an intervention")
    assert not (tmp_path / "f").exists()
    assert runner.invoke(app, [*args, "IVIg"]).exit_code == 0
    assert (tmp_path / "f" / "forest_ivig_live_birth_non_randomised.png").exists()


# --- item 26: names that are ambiguous or close ------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("NK", "'NK' is ambiguous: nk_peripheral (peripheral blood NK cells), nk_uterine (uterine"),
        ("NK cells", "'NK cells' is ambiguous: nk_peripheral (peripheral blood NK cells), nk_uterine"),
        ("natural killer cells", "is ambiguous: nk_peripheral"),
        (
            "endometritis",
            "unknown concept 'endometritis'; did you mean chronic_endometritis (chronic endometritis)",
        ),
    ],
)
def test_a_name_that_is_ambiguous_or_close_lists_the_candidates(extracted, name, message):
    result = runner.invoke(app, ["query", "concept", name, "-c", str(extracted)])
    one_line_error(result, message)


@pytest.mark.parametrize(
    ("name", "concept"),
    [
        ("uNK", "nk_uterine"),
        ("peripheral NK cells", "nk_peripheral"),
        ("IVIG", "ivig"),
        ("live births", "live_birth"),
    ],
)
def test_a_name_of_one_concept_resolves(name, concept):
    from rifkb.kb.query import resolve_concept
    from rifkb.rules import load_rules

    assert resolve_concept(name, load_rules()) == concept


def test_the_refresh_summary_says_from_what_to_what_estimates_changed(tmp_path):
    from tests.conftest import copy_rules

    corpus = tmp_path / "c"
    assert runner.invoke(app, ["init", str(corpus)]).exit_code == 0
    abstract = "Live birth was more likely with IVIg (odds ratio 2.5, 95% CI 1.2-5.1)."
    record = {"id": "src:1", "title": "IVIg in RIF", "year": 2024, "abstract": abstract}
    (tmp_path / "one.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert runner.invoke(app, ["import", "-c", str(corpus), str(tmp_path / "one.jsonl")]).exit_code == 0
    args = ["refresh", "--offline", "-c", str(corpus), "-o", str(tmp_path / "out")]
    assert runner.invoke(app, args).exit_code == 0
    rules = copy_rules(tmp_path / "rules")  # the same words read as a risk ratio now
    measures = (rules / "measures.tsv").read_text(encoding="utf-8")
    (rules / "measures.tsv").write_text(
        measures.replace("OR\todds ratio\t", "RR\todds ratio\t"), encoding="utf-8"
    )
    result = runner.invoke(app, [*args, "--rules", str(rules)])
    assert result.exit_code == 0, result.output
    assert (
        "  - estimates changed in src:1: OR 2.5 (1.2 to 5.1) live_birth → RR 2.5 (1.2 to 5.1) live_birth\n"
        in result.stdout
    )


# --- item 24: refresh without network ------------------------------------------------------


def test_refresh_without_network_rebuilds_from_the_store_and_says_so(bundled, tmp_path):
    out = tmp_path / "out"
    args = ["refresh", "-c", str(bundled), "-o", str(out), "--retries", "0"]
    result = runner.invoke(app, args, env={"RIFKB_EUTILS_URL": closed_port_url(), "NCBI_EMAIL": "a@b.org"})
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    last = result.stderr.splitlines()[-1]
    assert last.startswith("rifkb: PubMed cannot be reached (esearch: gave up after 1 try; last error: ")
    assert last.endswith("; rebuilt the outputs from the stored corpus (--offline skips fetching)")
    assert "first refresh: 110 records" in result.stdout
    assert "PubMed could not be reached" in (out / "refresh.md").read_text(encoding="utf-8")
    for name in (
        "graph.graphml",
        "tables/evidence.csv",
        "figures/forest_ivig_live_birth_non_randomised.png",
        "extractions.jsonl",
    ):
        assert (out / name).stat().st_size > 200, name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["extract", "--workers", "0"], "rifkb: extract: Invalid value for '--workers'"),
        (["fetch", "--timeout", "nan"], "rifkb: fetch: Invalid value for '--timeout'"),
        (["show"], "rifkb: show: Missing argument 'record_id'."),
        (["frobnicate"], "rifkb: No such command 'frobnicate'."),
        (["export", "bib", "--colour"], "rifkb: export bib: No such option: --colour"),
    ],
)
def test_values_typer_refuses_are_one_line_too(args, message):
    """A value the option's type refuses is one line with exit 2, not click's usage block."""
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), result.stderr


def test_a_group_called_without_its_command_shows_its_help():
    result = runner.invoke(app, ["export"])
    assert result.exit_code == 2 and "bib" in result.output and "tables" in result.output


# --- an XML file that declares an encoding it is not in ----------------------------------


def test_xml_declaring_utf32_is_one_line_and_stores_nothing(tmp_path):
    from tests.test_pubmed_articles import pubmed_article, pubmed_set

    corpus = tmp_path / "c"
    assert runner.invoke(app, ["init", str(corpus)]).exit_code == 0
    path = tmp_path / "lying.xml"  # UTF-8 bytes under a UTF-32 declaration
    path.write_bytes(pubmed_set(pubmed_article(), declaration='<?xml version="1.0" encoding="UTF-32"?>'))
    result = runner.invoke(app, ["import", "-c", str(corpus), str(path)])
    one_line_error(result, f"{path}: the XML declaration names encoding 'UTF-32', which rifkb cannot read")
    status = runner.invoke(app, ["status", "-c", str(corpus)])
    assert "0 records" in status.output, status.output


def test_the_default_corpus_missing_says_how_to_name_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("RIFKB_CORPUS", raising=False)
    one_line_error(
        runner.invoke(app, ["status"]),
        "no corpus at corpora/rif-ivig (run from the project folder, pass -c DIR or set RIFKB_CORPUS)",
    )
