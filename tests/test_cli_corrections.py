"""`rifkb correct` on a copy of the bundled corpus: a correction shows in the outputs and
survives `extract --force`; bad corrections are one line and change nothing."""

from __future__ import annotations

import csv
import json

import pytest
from typer.testing import CliRunner

from rifkb.cli import app
from tests.conftest import copy_bundled_corpus

runner = CliRunner()


@pytest.fixture
def corpus(tmp_path):
    target = copy_bundled_corpus(tmp_path / "rif-ivig")
    assert runner.invoke(app, ["extract", "-c", str(target)]).exit_code == 0
    return target


def _evidence_row(corpus, tmp_path, pmid):
    done = runner.invoke(app, ["export", "tables", "-c", str(corpus), "-o", str(tmp_path / "t")])
    assert done.exit_code == 0, done.output
    with open(tmp_path / "t" / "evidence.csv", encoding="utf-8") as fh:
        return next(r for r in csv.DictReader(fh) if r["pmid"] == pmid)


def test_a_corrected_sample_size_shows_in_the_tables_and_survives_re_extraction(corpus, tmp_path):
    assert _evidence_row(corpus, tmp_path, "38365988")["n"] == "143"
    args = ["--set", "sample_size=150", "--reason", "150 enrolled", "--reviewer", "ana", "-c", str(corpus)]
    done = runner.invoke(app, ["correct", "pmid:38365988", *args])
    assert done.exit_code == 0, done.output
    assert "n 150" in done.stdout and "ana: set sample_size 150 (was 143) — 150 enrolled" in done.stdout
    row = _evidence_row(corpus, tmp_path, "38365988")
    assert (row["n"], row["corrected"]) == ("150", "True")
    assert runner.invoke(app, ["extract", "--force", "-c", str(corpus)]).exit_code == 0
    assert _evidence_row(corpus, tmp_path, "38365988")["n"] == "150"
    shown = json.loads(runner.invoke(app, ["correct", "38365988", "--json", "-c", str(corpus)]).stdout)
    assert shown["extraction"]["sample_size"] == 150 and shown["corrections"][0]["was"] == 143


def test_revert_lets_the_automatic_reading_count_again(corpus, tmp_path):
    runner.invoke(app, ["correct", "38365988", "--set", "sample_size=150", "-c", str(corpus)])
    done = runner.invoke(app, ["correct", "38365988", "--revert", "sample_size", "-c", str(corpus)])
    assert done.exit_code == 0 and "n 143" in done.stdout
    assert "None" not in done.stdout.splitlines()[0], done.stdout  # a primary study has no n_studies
    assert _evidence_row(corpus, tmp_path, "38365988")["n"] == "143"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "sample_size=many"], "sample_size takes a whole number, not 'many'"),
        (["--set", "sample_size=150", "--set", "design=rct"], "cannot correct 'design'"),
        (["--set", "sample_size"], "expected FIELD=VALUE"),
        (["--strike", "effects@1:2"], "no effects item at 1:2"),
        (["--set", "risk_of_bias=dubious"], "risk_of_bias 'dubious' is not one of low, some concerns, high"),
        (["--revert", "sample_size"], "pmid:38365988: has no correction of sample_size in force to revert"),
        (["--revert", "effects@1:2"], "pmid:38365988: has no correction of effects@1:2 in force to revert"),
        # a set and a revert of another field in one go: all or nothing
        (["--set", "sample_size=150", "--revert", "n_studies"], "has no correction of n_studies in force"),
    ],
)
def test_bad_corrections_are_one_line_and_store_nothing(corpus, args, message):
    done = runner.invoke(app, ["correct", "38365988", *args, "-c", str(corpus)])
    assert done.exit_code in (1, 2) and message in done.output and "Traceback" not in done.output
    shown = json.loads(runner.invoke(app, ["correct", "38365988", "--json", "-c", str(corpus)]).stdout)
    assert shown["corrections"] == []


def test_a_reviewers_risk_of_bias_is_kept_apart_from_the_automatic_reading(corpus):
    """Issue 18: GRADE's risk-of-bias domain needs a reviewer's judgement; rifkb reads none."""
    shown = json.loads(runner.invoke(app, ["correct", "38365988", "--json", "-c", str(corpus)]).stdout)
    assert "risk_of_bias" not in shown["extraction"]
    done = runner.invoke(
        app, ["correct", "38365988", "--set", "risk_of_bias=Some_Concerns", "-c", str(corpus)]
    )
    assert done.exit_code == 0, done.output
    shown = json.loads(runner.invoke(app, ["correct", "38365988", "--json", "-c", str(corpus)]).stdout)
    assert shown["extraction"]["risk_of_bias"] == "some concerns"
