"""The command line with files other tools wrote: what import says, show by DOI, exports,
and bad paths as one-line errors (issue 9)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from rifkb.cli import app

runner = CliRunner()

RIS = """\
TY  - JOUR
TI  - Granulocyte colony-stimulating factor in RIF.
AU  - Eloubeidi M.A.
PY  - 2019
DO  - http://dx.doi.org/10.1002/cpp.2398
ER  -

TY  - JOUR
N1  - ASReview_relevant
ER  -

TY  - JOUR
TI  - Granulocyte colony-stimulating factor in RIF
PY  - 2019
ER  -
"""


@pytest.fixture
def corpus_dir(tmp_path):
    target = tmp_path / "c"
    assert runner.invoke(app, ["init", str(target)]).exit_code == 0
    return target


def test_import_lists_skipped_references_and_duplicates(corpus_dir, tmp_path):
    path = tmp_path / "savedrecs.txt"
    path.write_text(RIS)
    result = runner.invoke(app, ["import", "-c", str(corpus_dir), str(path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{path}: 3 references (ris): 1 new, 0 updated, 0 unchanged; 1 duplicate, 1 skipped",
        f"  {path.name}:12: duplicate of {path.name}:1 (doi:10.1002/cpp.2398, same title+year); "
        "merging it updated the record",
    ]
    assert (
        result.stderr == f"rifkb: {path}:8: reference has no title and no identifier (PMID, DOI); skipped\n"
    )
    status = runner.invoke(app, ["status", "-c", str(corpus_dir)])
    assert "identified 2, duplicates removed 1, retracted 0" in status.stdout


def test_import_never_says_a_record_merged_into_itself(corpus_dir, tmp_path):
    path = tmp_path / "a.ris"
    path.write_text(RIS)
    runner.invoke(app, ["import", "-c", str(corpus_dir), str(path)])
    other = tmp_path / "b.ris"
    other.write_text(RIS.split("\n\n")[0] + "\n")
    result = runner.invoke(app, ["import", "-c", str(corpus_dir), str(other)])
    assert result.stdout.splitlines()[1].startswith("  b.ris:1: doi:10.1002/cpp.2398 already held (same doi)")
    assert "into doi:10.1002/cpp.2398" not in result.stdout


def test_show_finds_a_record_by_its_doi_however_written(corpus_dir, tmp_path):
    path = tmp_path / "ovid.ris"
    path.write_text(RIS)
    runner.invoke(app, ["import", "-c", str(corpus_dir), str(path)])
    for written in ("doi:10.1002/cpp.2398", "doi:10.1002/CPP.2398", "doi:https://doi.org/10.1002/cpp.2398"):
        result = runner.invoke(app, ["show", written, "-c", str(corpus_dir)])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["doi"] == "10.1002/cpp.2398"


def test_export_bib_as_csl_json(corpus_dir, tmp_path):
    path = tmp_path / "ovid.ris"
    path.write_text(RIS)
    runner.invoke(app, ["import", "-c", str(corpus_dir), str(path)])
    result = runner.invoke(app, ["export", "bib", "-c", str(corpus_dir), "--format", "csl-json"])
    assert result.exit_code == 0, result.output
    (item,) = json.loads(result.stdout)
    assert item["DOI"] == "10.1002/cpp.2398" and item["author"] == [{"family": "Eloubeidi", "given": "M. A."}]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "--format", "jsonl", "{tmp}/missing.jsonl"], "missing.jsonl: no such file"),
        (["import", "--format", "ris", "{tmp}"], "is a folder; name the files in it"),
        (["import", "{tmp}"], "is a folder; name the files in it"),
        (["export", "bib", "-o", "{tmp}"], "is a folder; name a file to write"),
        (["import", "{tmp}/wos.txt"], "Web of Science tagged text"),
    ],
)
def test_bad_paths_are_one_line_errors(corpus_dir, tmp_path, args, message):
    """Item 19 (import and export parts): each of these was a traceback."""
    (tmp_path / "wos.txt").write_text("FN Clarivate Analytics Web of Science\nVR 1.0\nPT J\nER\n")
    args = [a.replace("{tmp}", str(tmp_path)) for a in args] + ["-c", str(corpus_dir)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1, result.output
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.output
