"""A new user's mistakes and an unreachable PubMed: every bad value is one line on stderr
and exit code 1, never a traceback (issue 9, items 19, 24, 25 and 26)."""

from __future__ import annotations

import json
import shutil
import socket

import pytest
from typer.testing import CliRunner

from rifkb.cli import app
from tests.conftest import REPO

runner = CliRunner()


@pytest.fixture
def bundled(tmp_path):
    """A copy of the bundled corpus, without any store a developer may have built."""
    target = tmp_path / "rif-ivig"
    shutil.copytree(REPO / "corpora" / "rif-ivig", target, ignore=shutil.ignore_patterns("store.sqlite*"))
    return target


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The bundled corpus, extracted once (read-only for the tests that use it)."""
    target = tmp_path_factory.mktemp("extracted") / "rif-ivig"
    shutil.copytree(REPO / "corpora" / "rif-ivig", target, ignore=shutil.ignore_patterns("store.sqlite*"))
    assert runner.invoke(app, ["extract", "-c", str(target)]).exit_code == 0
    return target


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
        ('searches = "rif"\n', "searches must be [[searches]] tables"),
        ('searches = ["rif"]\n', "searches must be [[searches]] tables"),
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
    assert json.loads(result.stdout)["records"] == 55
