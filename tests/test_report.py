"""The self-contained HTML report, read without a browser: what it shows, that it names no
resource outside itself, that it escapes what records hold, that excluded records are
counted and absent, and that the same corpus gives the same bytes (issue 11)."""

from __future__ import annotations

import importlib.resources
import re
import tomllib
from fnmatch import fnmatch
from html.parser import HTMLParser

import pytest
from typer.testing import CliRunner

from rifkb.cli import app
from rifkb.corpus.folder import load_corpus
from rifkb.review.report import TEMPLATE, write_report
from tests.conftest import REPO
from tests.report_corpus import EXCLUDED, HOSTILE_TITLE, reviewed_corpus

runner = CliRunner()
STUDY_LINK = re.compile(r"https://(pubmed\.ncbi\.nlm\.nih\.gov/\d+/|doi\.org/\S+)")


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """(corpus folder, the report's text) of the reviewed copy of the bundled corpus."""
    root = tmp_path_factory.mktemp("report")
    corpus = reviewed_corpus(root)
    result = runner.invoke(app, ["report", "-c", str(corpus), "-o", str(root / "report.html")])
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {root / 'report.html'}\n"
    return corpus, (root / "report.html").read_text(encoding="utf-8")


class _Links(HTMLParser):
    """Every tag with its attributes, as a browser's parser reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Links()
    parser.feed(html)
    return parser.tags


def test_the_report_shows_every_part(reported):
    _, html = reported
    for section in ("prisma", "evidence-map", "synthesis", "evidence", "rif", "flags", "studies"):
        assert f'<section id="{section}"' in html, section
    assert html.count('<svg role="img"') >= 4  # PRISMA, evidence map, RIF spread, a forest plot
    assert '<section id="forest-ivig-live-birth-non-randomised"' in html
    # one study is "1 study", never "pooled" (issue 16)
    assert re.search(r"1 study \([^)]+\): OR [\d.]+ \[[\d.]+, [\d.]+\], not pooled", html)
    assert '<table id="evidence-table"' in html and '<input type="search" id="filter"' in html
    assert "rif-ivig: evidence report" in html


def test_each_analysis_says_what_the_next_trial_needs(reported):
    """Issue 18: under IVIg → live birth in RIF, its TSA verdict and figure, women per arm by
    RIF severity, and GRADE's row with its footnotes; a single study is never "random
    effects" (the note said so after "not pooled")."""
    _, html = reported
    start = html.index('<section id="forest-ivig-live-birth-non-randomised"')
    part = html[start : html.index("</section>", start)]
    assert "<summary>Before the next trial</summary>" in part
    assert re.search(r"(Firm evidence|Not conclusive)[^<]*participants", part)
    assert '<svg role="img" aria-label="Trial sequential analysis: ' in part
    for stratum in ("RIF: ≥3 failed transfers", "RIF: ≥5 failed transfers"):
        assert f"<td>{stratum}</td>" in part
    assert '<table class="sof">' in part and "<li>b. Risk of bias not assessed from abstracts" in part
    assert re.search(r"<td>⊕[⊕◯]{3} (high|moderate|low|very low)", part)
    assert not re.search(r"not pooled \(random effects", html)
    # issue 19: NNT and grams of IVIg per extra live birth by stratum, and the doses read
    assert '<table class="stewardship">' in part and re.search(r"<td>NNTB \d+ \(\d+ to \d+\)</td>", part)
    assert re.search(r"<td>[\d,]+ g per extra live birth \([\d,]+ to [\d,]+\)</td>", part)
    doses = html[html.index('<section id="doses"') :]
    assert "<td>ivig</td>" in doses[: doses.index("</section>")] and "32.5" in doses
    steward = html[html.index('<section id="stewardship"') :]
    steward = steward[: steward.index("</section>")]
    assert "<td>ivig_live_birth_non_randomised</td><td>RIF: ≥5 failed transfers</td><td>NNTB" in steward


def test_each_study_links_to_pubmed_or_its_doi(reported):
    _, html = reported
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/38365988/"' in html
    assert 'href="https://doi.org/10.1007/s10815-007-9147-4"' in html  # no PMID: its DOI
    # Stephenson 2000 has neither (issue 20): the page the record was taken from
    assert 'href="https://yyws.alljournals.cn/view_abstract.aspx?aid=D260A75C1ABE2751CD27623ECDA1319D' in html


@pytest.mark.parametrize(
    ("url", "kept"),
    [("https://example.org/a?b=1", True), ("http://example.org/", True), ("javascript:alert(1)", False),
     ("data:text/html,<b>", False), ("//evil.example/", False), (42, False)],
)  # fmt: skip
def test_a_records_source_page_is_a_link_only_when_it_is_http(url, kept):
    from rifkb.records import Record

    record = Record(source_id="src:x", extra={"source_url": url})
    assert record.source_url == (url if kept else None)


def test_each_number_links_to_its_sentence_with_the_number_marked(reported):
    _, html = reported
    anchor = "study-pmid-38365988-e0"
    assert f'<a href="#{anchor}"' in html
    block = html.split(f'id="{anchor}"', 1)[1].split("</div>", 1)[0]
    assert "aOR 3.64 (1.78 to 7.67)" in block
    assert "IVIg was associated with higher odds of live birth (<mark>OR 3.64; 95% CI 1.78–7.67" in block
    rate = html.split('id="study-pmid-38365988-r0"', 1)[1].split("</div>", 1)[0]
    assert "<mark>32/49</mark>" in rate


def test_the_same_corpus_gives_the_same_bytes(reported, tmp_path):
    corpus, html = reported
    with load_corpus(corpus).open_store() as store:
        again = write_report(load_corpus(corpus), store, tmp_path / "again.html")
    assert again.read_text(encoding="utf-8") == html


def test_what_records_hold_is_escaped(reported):
    _, html = reported
    assert HOSTILE_TITLE not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html and "<b>Bold</b>" not in html and "<script>x()" not in html
    assert html.count("<script") == 1  # the report's own
    assert 'href="https://doi.org/10.1234/x%22onmouseover%3Dalert(3)"' in html


def test_no_resource_outside_the_file(reported):
    """Nothing to fetch (no src, no stylesheet, no CSS url()), and the only links out are
    each study's PubMed or DOI page, or for a study with neither, the page its record was
    taken from."""
    corpus, html = reported
    with load_corpus(corpus).open_store() as store:
        sources = {r.source_url for r in store.records() if not r.pmid and not r.doi} - {None}
    assert sources  # Stephenson 2000's, at least
    for tag, attrs in _tags(html):
        assert "src" not in attrs and "srcset" not in attrs, (tag, attrs)
        assert tag not in ("link", "img", "iframe", "object", "embed", "base"), tag
        for name in ("href", "xlink:href", "action", "poster"):
            value = attrs.get(name)
            if value is not None and not value.startswith("#"):
                assert tag == "a" and (STUDY_LINK.fullmatch(value) or value in sources), (tag, name, value)
    assert not re.search(r"url\((?!#)|@import", html)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html


def test_excluded_records_are_absent_and_counted_with_their_reasons(reported):
    _, html = reported
    for uid in EXCLUDED:
        assert uid.removeprefix("doi:") not in html, uid
    assert "Uterine natural killer cells in peri-implantation endometrium" not in html
    assert '<tr><td>wrong population: recurrent miscarriage</td><td class="num">2</td></tr>' in html
    assert '<tr><td>narrative review</td><td class="num">1</td></tr>' in html
    assert "3 screened" not in html and "5 screened on title and abstract, 3 excluded" in html


def test_unscreened_studies_are_flagged_and_included_ones_not(reported):
    _, html = reported
    included = html.split('<article id="study-pmid-38365988"', 1)[1].split("</h3>", 1)[0]
    assert "unscreened" not in included
    other = html.split('<article id="study-src-stephenson-2000-ivig-rct"', 1)[1].split("</h3>", 1)[0]
    assert 'class="badge unscreened"' in other
    assert "106 not screened yet and flagged" in html


def test_figures_are_named_for_screen_readers_and_their_ids_unique(reported):
    _, html = reported
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids))
    assert re.search(r'<svg role="img" aria-label="[^"]+" class="plot"', html)
    assert "<title>PRISMA 2020 flow diagram: 111 records identified" in html


def test_the_templates_ship_in_the_package():
    """Found by the installed package, and declared as package data so a wheel has them."""
    templates = importlib.resources.files("rifkb.review") / "templates"
    names = sorted(t.name for t in templates.iterdir() if not t.name.startswith("."))
    assert TEMPLATE in names and {"report.css", "report.js"} <= set(names)
    declared = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    globs = declared["tool"]["setuptools"]["package-data"]["rifkb.review"]
    assert all(any(fnmatch(f"templates/{n}", g) for g in globs) for n in names), (names, globs)


def test_report_of_a_corpus_not_extracted_is_one_line(tmp_path):
    assert runner.invoke(app, ["init", str(tmp_path / "c")]).exit_code == 0
    result = runner.invoke(app, ["report", "-c", str(tmp_path / "c"), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 1
    assert result.output == "rifkb: the corpus has no extractions yet: run `rifkb extract` first\n"


def test_refresh_of_an_empty_corpus_writes_the_report_and_the_prisma_flow(tmp_path):
    assert runner.invoke(app, ["init", str(tmp_path / "c")]).exit_code == 0
    args = ["refresh", "--offline", "-c", str(tmp_path / "c"), "-o", str(tmp_path / "out")]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "The corpus is empty." in html and "No intervention and outcome has studies to pool yet." in html
    assert (tmp_path / "out" / "figures" / "prisma_flow.svg").stat().st_size > 1000


def test_report_help_has_an_example():
    result = runner.invoke(app, ["report", "--help"])
    assert result.exit_code == 0 and "Example: rifkb report" in result.output


def test_report_path_is_a_folder(reported, tmp_path):
    corpus, _ = reported
    result = runner.invoke(app, ["report", "-c", str(corpus), "-o", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output == f"rifkb: {tmp_path}: is a folder; give the name of a file\n"
