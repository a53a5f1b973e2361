"""The HTML report in headless Chromium (issue 11): it loads with no request leaving the
file, shows its figures, filters and sorts its evidence table, links PMID 38365988 to
PubMed and every number to its sentence."""

from __future__ import annotations

from pathlib import Path
from unicodedata import normalize

import pytest
from typer.testing import CliRunner

from rifkb.cli import app
from tests.report_corpus import reviewed_corpus

PEERO = "study-pmid-38365988"


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("report-browser")
    corpus = reviewed_corpus(root)
    result = CliRunner().invoke(app, ["report", "-c", str(corpus), "-o", str(root / "report.html")])
    assert result.exit_code == 0, result.output
    return root / "report.html"


@pytest.fixture
def opened(page, report):
    """The report opened from its file, every request the page makes recorded (and any
    but the file's own refused)."""
    url = report.as_uri()
    requests: list[str] = []

    def record(route) -> None:  # noqa: ANN001
        requests.append(route.request.url)
        route.continue_() if route.request.url == url else route.abort()

    page.context.route("**/*", record)
    page.goto(url)
    page.wait_for_load_state("load")
    page.requests = requests
    return page


def _visible_rows(page) -> list[str]:  # noqa: ANN001
    shown = "rows => rows.filter(r => !r.hidden).map(r => r.cells[0].textContent.trim())"
    return page.eval_on_selector_all("#evidence-table tbody tr", shown)


def test_it_loads_with_no_request_but_the_file(opened, report):
    assert opened.requests == [report.as_uri()]
    assert opened.title() == "rif-ivig: evidence report"


@pytest.mark.parametrize(
    "where", ["#prisma", "#evidence-map", "#forest-ivig-live-birth-non-randomised", "#rif"]
)
def test_figures_are_drawn(opened, where):
    figure = opened.locator(f"{where} svg.plot").first
    figure.scroll_into_view_if_needed()
    assert figure.is_visible()
    box = figure.bounding_box()
    assert box["width"] > 300 and box["height"] > 150, box
    assert opened.locator(f"{where} svg.plot path").count() > 20  # boxes, markers, glyphs


def test_typing_in_the_filter_hides_rows(opened):
    everything = _visible_rows(opened)
    opened.fill("#filter", "Peero")
    assert [row.split()[:2] for row in _visible_rows(opened)] == [["Peero", "2024"]]
    assert opened.text_content("#shown") == f"1 of {len(everything)} studies shown"
    opened.fill("#filter", "IVIg live birth")  # as abstracts write it; the table says "intravenous ..."
    assert "Peero 2024" in " ".join(_visible_rows(opened)) and len(_visible_rows(opened)) < 15
    opened.fill("#filter", "")
    opened.select_option("#design-filter", "rct")
    designs = opened.eval_on_selector_all(
        "#evidence-table tbody tr", "rows => rows.filter(r => !r.hidden).map(r => r.dataset.design)"
    )
    assert designs and set(designs) == {"rct"} and len(designs) < len(everything)
    opened.select_option("#design-filter", "")
    opened.select_option("#screening-filter", "include")
    assert len(_visible_rows(opened)) == 2  # the two studies a reviewer included


def test_clicking_a_heading_sorts(opened):
    def column(n: int) -> list[str]:
        """The column's sort keys (a count; blank where none) in the order shown."""
        return opened.eval_on_selector_all(
            "#evidence-table tbody tr", f"rows => rows.map(r => r.cells[{n}].dataset.sort)"
        )

    n = opened.locator("#evidence-table thead th:nth-child(4) button")
    assert n.text_content() == "N"
    n.click()
    sizes = [int(v) for v in column(3) if v]
    assert sizes == sorted(sizes) and len(set(sizes)) > 10 and column(3)[-1] == ""  # blanks last
    assert opened.get_attribute("#evidence-table thead th:nth-child(4)", "aria-sort") == "ascending"
    n.click()
    sizes = [int(v) for v in column(3) if v]
    assert sizes == sorted(sizes, reverse=True) and column(3)[-1] == ""
    assert opened.get_attribute("#evidence-table thead th:nth-child(4)", "aria-sort") == "descending"
    opened.locator("#evidence-table thead th:nth-child(1) button").click()
    studies = column(0)  # alphabetically, as a reader sorts names (Günther before Gynecol)
    assert studies == sorted(studies, key=lambda s: normalize("NFKD", s).encode("ascii", "ignore").lower())


def test_pmid_38365988_links_to_pubmed(opened):
    links = opened.locator('a[href="https://pubmed.ncbi.nlm.nih.gov/38365988/"]')
    assert links.count() == 2  # in the table and in the study's details
    assert links.first.get_attribute("target") == "_blank"


def test_a_number_jumps_to_its_sentence(opened):
    number = opened.locator(f'#evidence-table a[href="#{PEERO}-e0"]')
    assert number.text_content() == "aOR 3.64 (1.78 to 7.67), p=0.0004"
    number.click()
    assert opened.url.endswith(f"#{PEERO}-e0")
    target = opened.locator(f"#{PEERO}-e0")
    assert opened.evaluate("document.querySelector(':target').id") == f"{PEERO}-e0"
    box, height = target.bounding_box(), opened.viewport_size["height"]
    assert -1 <= box["y"] < height, box  # scrolled to it
    assert target.locator("mark").text_content().startswith("OR 3.64; 95% CI 1.78–7.67")
