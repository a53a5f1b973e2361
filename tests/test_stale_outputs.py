"""Outputs rifkb no longer writes are removed (issue 20): each folder written has a
manifest of the files rifkb wrote there, and the next refresh or export removes those it
does not write again, never a file of the user's. Through the CLI, on a copy of the
bundled corpus: Lodigiani's is the only non-randomised study of heparin and pregnancy, so
excluding it takes that analysis, its forest plot and its trial sequential analysis away."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from rifkb.cli import app
from rifkb.files import MANIFEST
from tests.conftest import copy_bundled_corpus

runner = CliRunner()
LODIGIANI = "src:lodigiani-lmwh-rif"
GONE = ("forest_heparin_pregnancy_non_randomised", "tsa_heparin_pregnancy_non_randomised")


def _run(*args: str) -> None:
    done = runner.invoke(app, list(args))
    assert done.exit_code == 0, done.output


def _listed(folder) -> list[str]:
    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]


def _files(folder) -> list[str]:
    """The files in `folder` (not below it), the manifest and the user's notes aside."""
    return sorted(p.name for p in folder.iterdir() if p.is_file() and p.name not in (MANIFEST, "notes.txt"))


def _stale(folder) -> set[str]:
    return {f"{stem}.{ext}" for stem in GONE for ext in ("png", "svg")} & set(_files(folder))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A refresh; a copy of its outputs; Lodigiani excluded; a refresh of the first
    outputs, an export of the copy's figures; a refresh again, nothing changed."""
    root = tmp_path_factory.mktemp("stale")
    corpus, out, copy = copy_bundled_corpus(root / "rif-ivig"), root / "out", root / "copy"
    _run("extract", "-c", str(corpus))
    _run("refresh", "--offline", "-c", str(corpus), "-o", str(out))
    first = {folder: _listed(out / folder) for folder in ("", "tables", "figures")}
    (out / "figures" / "notes.txt").write_text("my own notes", encoding="utf-8")
    shutil.copytree(out, copy)
    _run("screen", LODIGIANI, "exclude", "--reason", "not RIF", "-c", str(corpus))
    _run("refresh", "--offline", "-c", str(corpus), "-o", str(out))
    _run("export", "figures", "-c", str(corpus), "-o", str(copy / "figures"))
    manifests = {folder: (out / folder / MANIFEST).read_bytes() for folder in ("", "tables", "figures")}
    _run("refresh", "--offline", "-c", str(corpus), "-o", str(out))
    return {"first": first, "out": out, "copy": copy, "manifests": manifests}


def test_the_manifests_list_exactly_the_files_written(runs):
    out = runs["out"]
    for folder in ("", "tables", "figures"):
        assert _listed(out / folder) == _files(out / folder), folder
    assert "report.html" in _listed(out) and "tables/evidence.csv" not in _listed(out)
    assert {f"{stem}.svg" for stem in GONE} <= set(runs["first"]["figures"])  # drawn before the exclusion


def test_a_refresh_removes_the_forest_plot_of_an_analysis_it_no_longer_has(runs):
    figures = runs["out"] / "figures"
    assert _stale(figures) == set()
    # those plots, and no other, went
    assert set(runs["first"]["figures"]) - set(_listed(figures)) == {
        f"{s}.{e}" for s in GONE for e in ("png", "svg")
    }
    assert (figures / "notes.txt").read_text(encoding="utf-8") == "my own notes"


def test_export_figures_removes_the_plot_a_refresh_drew_there(runs):
    figures = runs["copy"] / "figures"
    assert _stale(figures) == set() and _listed(figures) == _files(figures)
    assert "forest_ivig_live_birth_rct.svg" in _listed(figures)
    assert (figures / "notes.txt").read_text(encoding="utf-8") == "my own notes"
    # the refresh's other outputs, not export figures' to remove, are as they were
    assert (runs["copy"] / "report.html").exists() and _listed(runs["copy"]) == runs["first"][""]


def test_a_refresh_with_nothing_changed_writes_the_same_manifests(runs):
    for folder, before in runs["manifests"].items():
        assert (runs["out"] / folder / MANIFEST).read_bytes() == before, folder
