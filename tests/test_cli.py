"""The command line: exact outputs, one-line errors, and the fetch path through the CLI."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from rifkb.cli import app
from tests.conftest import copy_bundled_corpus
from tests.eutils_server import make_articles

runner = CliRunner()


def _commands(group, path=()):  # noqa: ANN001, ANN202
    """Every command of the app, read from the app itself: a new one cannot be missed."""
    for name, command in sorted(group.commands.items()):
        if hasattr(command, "commands"):
            yield from _commands(command, (*path, name))
        else:
            yield [*path, name]


COMMANDS = list(_commands(typer.main.get_command(app)))


@pytest.fixture
def bundled(tmp_path):
    """A copy of the bundled corpus, without any store a developer may have built."""
    target = tmp_path / "rif-ivig"
    copy_bundled_corpus(target)
    return target


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = runner.invoke(app, [*command, "--help"])
    assert result.exit_code == 0
    assert "Example: rifkb " + " ".join(command) in " ".join(result.output.split())


def test_status_of_the_bundled_corpus_works_offline(bundled):
    result = runner.invoke(app, ["status", "-c", str(bundled), "--json"])
    assert result.exit_code == 0, result.output
    status = json.loads(result.stdout)
    assert status["records"] == 110
    assert [s["name"] for s in status["searches"]] == [
        "rif-ivig", "rif-immune-mechanisms", "rif-definition",
    ]  # fmt: skip
    assert status["by_source"] == [{"kind": "snapshot", "source": "snapshot.jsonl", "records": 110}]


def test_init_then_status(tmp_path):
    target = tmp_path / "new"
    result = runner.invoke(app, ["init", str(target), "--search", "gcsf=RIF AND G-CSF"])
    assert result.stdout == f"created corpus 'new' in {target} with 1 saved searches\n"
    result = runner.invoke(app, ["status", "-c", str(target)])
    assert result.stdout.splitlines()[:2] == [
        "corpus new: 0 records",
        "identified 0, duplicates removed 0, retracted 0",
    ]
    assert "search gcsf: 0 records, never run" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["status", "-c", "/nonexistent/corpus"], "not a rifkb corpus (no such folder)"),
        (["init", "{corpus}"], "already a corpus"),
        (["init", "/tmp/x", "--search", "no-equals-sign"], "expected NAME=QUERY"),
        (["fetch", "-c", "{corpus}"], "NCBI asks every E-utilities user for an email"),
        (
            ["fetch", "-c", "{corpus}", "--email", "a@b.org", "--search", "nope"],
            "no saved search 'nope'",
        ),
        (["import", "-c", "{corpus}", "/nonexistent.ris"], "no such file"),
        (["show", "pmid:1", "-c", "{corpus}"], "no record 'pmid:1'"),
        (["export", "bib", "-c", "{corpus}", "-f", "word"], "unknown format 'word'"),
    ],
)
def test_errors_are_one_line_and_exit_1(bundled, args, message):
    args = [a.replace("{corpus}", str(bundled)) for a in args]
    result = runner.invoke(app, args, env={"NCBI_EMAIL": ""})
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and message in result.stderr
    assert "Traceback" not in result.output


def test_bad_import_leaves_store_unchanged(bundled, tmp_path):
    bad = tmp_path / "bad.xml"
    bad.write_text("<?xml version='1.0'?><PubmedArticleSet><PubmedArticle>")
    result = runner.invoke(app, ["import", "-c", str(bundled), str(bad)])
    assert result.exit_code == 1 and "malformed XML" in result.stderr
    status = json.loads(runner.invoke(app, ["status", "-c", str(bundled), "--json"]).stdout)
    assert status["records"] == 110


def test_import_says_what_it_merged(bundled, data):
    result = runner.invoke(
        app, ["import", "-c", str(bundled), str(data / "pubmed" / "efetch_dev_records.xml")]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith(
        "3 references (pubmed-xml): 0 new, 0 updated, 0 unchanged; 3 duplicates, 0 skipped"
    )
    assert (
        "  efetch_dev_records.xml:4: pmid:28066833 already held (same pmid); merging it updated the record"
        in lines
    )
    assert not any("into pmid:28066833" in line for line in lines)  # never a record merged into itself


def test_fetch_through_the_cli_against_loopback(server, tmp_path):
    server.pubmed.add("RIF AND IVIg", make_articles(30, 31_000_000, _d(2020), _d(2025)))
    server.pubmed.inject("efetch", "500")
    target = tmp_path / "c"
    runner.invoke(app, ["init", str(target), "--search", "ivig=RIF AND IVIg"])
    env = {"RIFKB_EUTILS_URL": server.url, "NCBI_EMAIL": "t@example.org", "NCBI_API_KEY": "k"}
    result = runner.invoke(app, ["fetch", "-c", str(target), "--batch-size", "10"], env=env)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1].split() == ["ivig", "30", "30", "0", "0", "0"]
    again = runner.invoke(app, ["fetch", "-c", str(target)], env=env)
    assert again.stdout.splitlines()[-1].split() == ["ivig", "0", "0", "0", "0", "0"]
    status = json.loads(runner.invoke(app, ["status", "-c", str(target), "--json"]).stdout)
    assert status["searches"][0]["records"] == 30 and status["searches"][0]["last_status"] == "complete"


def test_export_bib_to_stdout_and_file(bundled, tmp_path):
    result = runner.invoke(app, ["export", "bib", "-c", str(bundled), "-f", "jsonl"])
    assert len(result.stdout.splitlines()) == 110
    out = tmp_path / "out" / "bib.ris"
    result = runner.invoke(app, ["export", "bib", "-c", str(bundled), "-o", str(out)])
    assert result.exit_code == 0 and out.read_text().count("ER  -") == 110


def test_show_versions_after_a_revision(bundled, data):
    runner.invoke(app, ["import", "-c", str(bundled), str(data / "pubmed" / "efetch_dev_records.xml")])
    result = runner.invoke(app, ["show", "pmid:28066833", "-c", str(bundled), "--versions"])
    shown = json.loads(result.stdout)
    assert shown["current"]["revision_date"] == "2024-03-12"
    assert [v["record"]["revision_date"] for v in shown["versions"]] == [None]


def _d(year):
    from datetime import date

    return date(year, 1, 1)


def test_network_fault_is_one_line(bundled):
    import socket

    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]  # nothing listens here once the socket is closed
    url = f"http://127.0.0.1:{port}/entrez/eutils/"
    args = ["fetch", "-c", str(bundled), "--retries", "0", "--search", "rif-ivig"]
    result = runner.invoke(app, args, env={"RIFKB_EUTILS_URL": url, "NCBI_EMAIL": "a@b.org"})
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "rifkb: esearch: gave up after 1 try; last error: [Errno 111] Connection refused"
    )
