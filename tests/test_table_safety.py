"""Review tables that are safe to open: no cell a spreadsheet would run as a formula
(CSV/formula injection, OWASP) and no HTML in the Markdown."""

from __future__ import annotations

import csv

import openpyxl
import pytest

from rifkb.kb.papers import Paper
from rifkb.records import Author, EffectEstimate, Evidence, Extraction, Record
from rifkb.review.tables import review_tables, write_tables


def _paper(doc: str, title: str, estimate: float, author: str | None = None) -> Paper:
    at = Evidence(doc, 0, 1, f"sentence of {doc}", "test")
    effect = EffectEstimate("MD", estimate, estimate - 1, estimate + 0.5, None, "live_birth", False, at)
    x = Extraction(doc, "rct", 40, None, None, (), (effect,), (), ())
    authors = (Author(last_name=author),) if author else ()
    return Paper(Record(source_id=doc, title=title, year=2020, authors=authors), x)


@pytest.fixture
def written(tmp_path):
    papers = [
        _paper("src:a", '=HYPERLINK("http://x","y")', -1.5),
        _paper("src:b", "@SUM(1)", 2.0),
        _paper("src:c", "<script>alert(1)</script>", 0.5, author="<script>alert(1)</script> & Co"),
    ]
    write_tables(review_tables(papers), tmp_path)
    return tmp_path


def test_formula_text_is_quoted_and_numbers_stay_numbers(written):
    with (written / "evidence.csv").open(encoding="utf-8", newline="") as f:
        titles = {row["title"] for row in csv.DictReader(f)}
    assert {'\'=HYPERLINK("http://x","y")', "'@SUM(1)"} <= titles
    with (written / "findings.csv").open(encoding="utf-8", newline="") as f:
        values = {row["doc_id"]: row["value"] for row in csv.DictReader(f)}
    assert values["src:a"] == "-1.5"

    book = openpyxl.load_workbook(written / "review_tables.xlsx")
    sheet = book["evidence"]
    header = [c.value for c in sheet[1]]
    titles = {row[header.index("title")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert {'\'=HYPERLINK("http://x","y")', "'@SUM(1)"} <= titles
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # no formula anywhere
    sheet = book["findings"]
    header = [c.value for c in sheet[1]]
    values = {
        r[header.index("doc_id")]: r[header.index("value")]
        for r in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert values["src:a"] == -1.5


def test_the_bibliography_csv_quotes_formulas_too():
    from rifkb.corpus.formats import write_csv

    rows = list(
        csv.DictReader(write_csv([Record(pmid="1", title="+cmd|' /C calc'!A0", year=2020)]).splitlines())
    )
    assert rows[0]["title"] == "'+cmd|' /C calc'!A0"
    assert rows[0]["year"] == "2020"


def test_markdown_escapes_html(written):
    text = (written / "review_tables.md").read_text(encoding="utf-8")
    # the study label, from the author's name (all of it: fewer than 5 words)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co 2020" in text
    assert "<" not in text


def test_a_markdown_cell_escapes_ampersands_and_pipes():
    from rifkb.review.tables import _markdown_cell

    assert _markdown_cell("a & b | <i>c</i>") == "a &amp; b \\| &lt;i&gt;c&lt;/i&gt;"


@pytest.mark.parametrize("text", ["=1+1", "+x", "-x", "@x", "\tx", "'=x", "''+x", "'x", "x", "", "'", "-"])
def test_a_spreadsheet_safe_text_reads_back_as_it_was(text):
    from rifkb.files import from_spreadsheet, spreadsheet_safe

    safe = spreadsheet_safe(text)
    assert not safe.startswith(("=", "+", "-", "@", "\t"))
    assert from_spreadsheet(safe) == text
