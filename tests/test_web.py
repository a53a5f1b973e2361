"""The web app (`rifkb serve`) through Starlette's TestClient, on copies of the bundled
corpus: every page renders; a post without the session's token is refused; decisions
and corrections reach the store through the library; errors are one line on the page;
highlights land on the characters the pipeline read."""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import sys
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

import rifkb.web
from rifkb.cli import app as cli
from rifkb.corpus.folder import load_corpus
from rifkb.corpus.reviews import corrections, current_decisions
from rifkb.kb.papers import reviewed_papers
from rifkb.records import AbstractSection, Evidence, Record
from rifkb.records.bibliographic import document_text
from rifkb.web.app import create_app
from rifkb.web.figures import inline_svg
from rifkb.web.highlight import Mark, highlight, reading_marks, segments
from tests.conftest import REPO

PMID = "pmid:38365988"  # IVIg in unexplained RIF: n 143, OR 3.64 [1.78, 7.67]
EFFECT = "effects@1322:1360"
PAGES = ["/", "/?status=all&page=2", "/?status=exclude", f"/record/{PMID}", "/record/38365988",
         "/evidence-map", "/forest", "/forest?population=all&method=reml", "/links",
         "/links?from=nk_uterine&to=live+birth"]  # fmt: skip


def _copy(extracted: Path, target: Path) -> Path:
    return Path(shutil.copytree(extracted, target))


@pytest.fixture(scope="module")
def reader(extracted_bundle, tmp_path_factory) -> TestClient:
    """A client of a copy no test writes to."""
    corpus = _copy(extracted_bundle, tmp_path_factory.mktemp("web") / "rif-ivig")
    return TestClient(create_app(corpus, reviewer="tester"), base_url="http://127.0.0.1")


@pytest.fixture
def corpus(extracted_bundle, tmp_path) -> Path:
    return _copy(extracted_bundle, tmp_path / "rif-ivig")


@pytest.fixture
def client(corpus) -> TestClient:
    return TestClient(create_app(corpus, reviewer="tester"), base_url="http://127.0.0.1")


def _token(client: TestClient, url: str = "/") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(url).text)[1]


def _post(client: TestClient, url: str, **fields: str):
    return client.post(url, data={"csrf": _token(client), **fields}, follow_redirects=False)


def _store(corpus: Path):
    return load_corpus(corpus).open_store()


def _paper(corpus: Path, uid: str = PMID):
    with _store(corpus) as store:
        return next(p for p in reviewed_papers(store).papers if p.record.uid == uid)


# --- pages -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", PAGES)
def test_every_page_renders(reader, url):
    page = reader.get(url)
    assert page.status_code == 200, page.text[:500]
    assert page.headers["content-type"].startswith("text/html")
    assert "<title>" in page.text and "Traceback" not in page.text


def test_the_queue_shows_its_order_keys_and_decisions(reader):
    page = reader.get("/").text
    assert "ranked by <b>date (newest first: first seen in this corpus" in page
    assert page.count('<article class="entry') == 20 and "page 1 of 6" in page
    assert "<kbd>x</kbd> exclude, then <kbd>1</kbd>–<kbd>7</kbd> a reason" in page
    assert 'value="wrong study design">4 · wrong study design</option>' in page


def test_the_record_page_shows_links_fields_items_and_forms(reader):
    page = reader.get(f"/record/{PMID}").text
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/38365988/"' in page
    assert 'href="https://doi.org/10.1038/s41598-024-54423-z"' in page
    assert re.search(r'id="field-sample_size".*?<td class="value">143</td>', page, re.S)
    assert f'name="target" value="{EFFECT}"' in page  # the estimate's edit and strike forms
    assert "In the logistic regression analysis, IVIg was associated" in page  # its sentence
    assert page.count('action="/correct/add"') == 3


def test_a_record_with_no_pmid_or_doi_links_to_the_page_it_was_taken_from(reader):
    page = reader.get("/record/src:stephenson-2000-ivig-rct").text
    assert 'href="https://yyws.alljournals.cn/view_abstract.aspx?aid=D260A75C1ABE2751CD27623ECDA1319D' in page
    assert '<span class="none">none</span>' not in page


def test_the_record_page_lists_the_doses_read(reader):
    """Issue 19: a regimen as read, with its sentence (Stephenson 2000: IVIg 500 mg/kg)."""
    page = reader.get("/record/src:stephenson-2000-ivig-rct").text
    doses = page[page.index('<section id="doses">') :]
    doses = doses[: doses.index("</section>")]
    assert "<td>intravenous immunoglobulin</td><td>500 mg per kg</td>" in doses
    assert (
        "none read"
        in reader.get(f"/record/{PMID}").text.split('<section id="doses">')[1].split("</section>")[0]
    )


def test_pages_load_nothing_from_elsewhere(reader):
    for url in PAGES:
        page = reader.get(url)
        assert "default-src 'self'" in page.headers["content-security-policy"]
        loaded = re.findall(r'<(?:script|link|img)[^>]+(?:src|href)="([^"]+)"', page.text)
        assert all(u.startswith(("/static/", "/forest/figure?")) for u in loaded), loaded


def test_static_files_ship_with_the_package(reader):
    assert "@media" in reader.get("/static/app.css").text or ".entry" in reader.get("/static/app.css").text
    assert "keydown" in reader.get("/static/app.js").text
    globs = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"][
        "rifkb.web"
    ]
    folder = Path(rifkb.web.__file__).parent
    shipped = [
        p.relative_to(folder).as_posix() for d in ("templates", "static") for p in (folder / d).iterdir()
    ]
    assert shipped and all(any(fnmatch(f, g) for g in globs) for f in shipped), (shipped, globs)


def test_the_app_finds_its_files_from_any_working_directory(corpus, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    client = TestClient(create_app(corpus), base_url="http://127.0.0.1")
    assert client.get("/").status_code == 200 and client.get("/static/app.js").status_code == 200


def test_another_host_name_is_refused(reader):
    """A page elsewhere whose name resolves to 127.0.0.1 (DNS rebinding) gets nothing."""
    assert reader.get("/", headers={"host": "evil.example"}).status_code == 400


def test_an_unknown_record_is_one_line_not_a_traceback(reader):
    page = reader.get("/record/pmid:1")
    assert page.status_code == 400
    assert '<p class="flash error" role="alert">no record &#39;pmid:1&#39; in this corpus</p>' in page.text


def test_not_a_corpus_is_refused_when_the_app_is_made(tmp_path):
    from rifkb.errors import CorpusError

    with pytest.raises(CorpusError, match="not a rifkb corpus"):
        create_app(tmp_path)


# --- the session's token -----------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "", "forged"])
def test_a_post_without_the_sessions_token_is_refused(client, corpus, token):
    client.get("/")  # a session, with its own token
    data = {"uid": PMID, "decision": "include"} | ({"csrf": token} if token is not None else {})
    refused = client.post("/decide", data=data, follow_redirects=False)
    assert refused.status_code == 403 and "security token" in refused.text
    refused = client.post("/correct/field", data={**data, "field": "sample_size", "value": "150"})
    assert refused.status_code == 403
    with _store(corpus) as store:
        assert current_decisions(store) == {} and corrections(store) == []


def test_a_token_of_another_session_is_refused(client, corpus):
    other = TestClient(client.app, base_url="http://127.0.0.1")
    refused = client.post("/decide", data={"csrf": _token(other), "uid": PMID, "decision": "include"})
    assert refused.status_code == 403


def test_a_tampered_session_cookie_starts_a_new_session(client):
    token = _token(client)
    (name,) = client.cookies.keys()
    client.cookies.set(name, client.cookies[name][:-2] + "xx")
    assert client.post("/decide", data={"csrf": token, "uid": PMID, "decision": "include"}).status_code == 403


# --- screening ---------------------------------------------------------------------------


def test_include_and_exclude_write_the_store_then_redirect(client, corpus):
    done = _post(
        client, "/decide", uid=PMID, decision="include", back="/?status=unscreened&page=1", focus="3"
    )
    assert done.status_code == 303 and done.headers["location"] == "/?status=unscreened&page=1#entry-3"
    assert f"{PMID}: included" in client.get(done.headers["location"]).text  # the flash, shown once
    assert f"{PMID}: included" not in client.get("/").text
    reason = {"reason_choice": "wrong study design"}
    done = _post(client, "/decide", uid="pmid:16108386", decision="exclude", **reason,
                 reason_text="a retrospective review", back="/")  # fmt: skip
    assert done.status_code == 303
    with _store(corpus) as store:
        now = current_decisions(store)
    assert (now[PMID].decision, now[PMID].reviewer) == ("include", "tester")
    assert now["pmid:16108386"].reason == "wrong study design: a retrospective review"
    excluded = client.get("/?status=exclude").text
    assert "pmid:16108386" in excluded and "wrong study design: a retrospective review" in excluded


def test_an_exclusion_without_a_reason_is_a_message_and_writes_nothing(client, corpus):
    refused = _post(client, "/decide", uid=PMID, decision="exclude", back="/?status=all")
    assert refused.status_code == 400
    assert "an exclusion needs a reason" in refused.text and 'class="entry' in refused.text  # the queue again
    with _store(corpus) as store:
        assert current_decisions(store) == {}


def test_a_decision_from_the_record_page_goes_back_there(client, corpus):
    done = _post(
        client, "/decide", uid=PMID, decision="exclude", reason_choice="duplicate", back=f"/record/{PMID}"
    )
    assert done.headers["location"] == f"/record/{PMID}"
    refused = _post(client, "/decide", uid=PMID, decision="maybe", back=f"/record/{PMID}")
    assert refused.status_code == 400 and "decision &#39;maybe&#39; is not one of" in refused.text
    assert "Abstract" in refused.text  # the record's page, shown again


def test_an_excluded_record_leaves_the_figures_and_is_counted(client):
    _post(client, "/decide", uid=PMID, decision="exclude", reason_choice="duplicate")
    assert "1 excluded, left out" in client.get("/evidence-map").text
    forest = client.get("/forest").text
    assert "Stephenson 2000" in forest and "Peero 2024" not in forest


def test_a_redirect_never_leaves_the_app(client):
    done = _post(client, "/decide", uid=PMID, decision="include", back="https://evil.example/")
    assert done.headers["location"] == "/"


# --- corrections -------------------------------------------------------------------------


def test_a_corrected_sample_size_reaches_the_store_and_the_page(client, corpus):
    done = _post(client, "/correct/field", uid=PMID, field="sample_size", value="150", reason="150 enrolled")
    assert done.status_code == 303 and done.headers["location"] == f"/record/{PMID}#fields"
    page = client.get(done.headers["location"]).text
    assert f"{PMID}: sample size (participants) set to 150" in page
    assert re.search(
        r'id="field-sample_size" class="corrected">.*?<td class="value">150</td>\s*<td>143</td>', page, re.S
    )
    paper = _paper(corpus)
    assert (paper.extraction.sample_size, paper.corrected) == (150, True)
    again = _post(client, "/correct/field", uid=PMID, field="sample_size", value="150")
    assert "is 150 already: nothing changed" in client.get(again.headers["location"]).text


def test_a_reviewer_records_a_risk_of_bias_judgement_from_the_record_page(client, corpus):
    """Issue 18: the judgement GRADE's risk-of-bias domain needs, chosen from RoB 2's words."""
    page = client.get(f"/record/{PMID}").text
    form = re.search(r'id="field-risk_of_bias".*?</tr>', page, re.S).group(0)
    assert (
        '<option value="none" selected>not assessed</option>' in form
        and "<option>some concerns</option>" in form
    )
    done = _post(client, "/correct/field", uid=PMID, field="risk_of_bias", value="high")
    assert done.status_code == 303
    assert _paper(corpus).extraction.risk_of_bias == "high"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"field": "sample_size", "value": "many"}, "sample_size takes a whole number, not &#39;many&#39;"),
        ({"field": "study_design", "value": "anecdote"}, "study_design &#39;anecdote&#39; is not one of"),
        ({"field": "colour", "value": "red"}, "cannot correct &#39;colour&#39;"),
        ({"field": "risk_of_bias", "value": "unclear"}, "risk_of_bias &#39;unclear&#39; is not one of"),
    ],
)
def test_a_wrong_value_is_a_message_and_writes_nothing(client, corpus, fields, message):
    refused = _post(client, "/correct/field", uid=PMID, **fields)
    assert refused.status_code == 400 and message in refused.text
    assert 'id="fields"' in refused.text  # the record's page, shown again
    with _store(corpus) as store:
        assert corrections(store) == []


def _effect_form(**changes: str) -> dict[str, str]:
    fields = {"measure": "OR", "value": "3.64", "ci_low": "1.78", "ci_high": "7.67", "p": "0.0004",
              "outcome": "live_birth", "intervention": "ivig", "comparator": "control",
              "adjusted": "on"}  # fmt: skip
    return {f"f.{k}": v for k, v in {**fields, **changes}.items()}


def test_an_estimate_edited_then_struck_then_reverted(client, corpus):
    done = _post(
        client, "/correct/edit", uid=PMID, target=EFFECT, **_effect_form(value="3.46", outcome="live birth")
    )
    assert "effect estimate corrected (value)" in client.get(done.headers["location"]).text
    assert [e.value for e in _paper(corpus).extraction.effects] == [3.46]
    _post(client, "/correct/strike", uid=PMID, target=EFFECT, reason="the adjusted OR is reported twice")
    assert _paper(corpus).extraction.effects == ()
    assert 'Effect estimates <span class="count">0</span>' in client.get(f"/record/{PMID}").text
    with _store(corpus) as store:
        struck = corrections(store, PMID)[-1]
    _post(client, "/correct/revert", uid=PMID, correction=str(struck.id))  # the latest per item counts: the
    assert [e.value for e in _paper(corpus).extraction.effects] == [3.64]  # strike had replaced the edit


def test_a_missing_finding_added_then_withdrawn(client, corpus):
    fields = {"f.kind": "treatment", "f.subject": "IVIg", "f.direction": "decrease",
              "f.object": "miscarriage", "f.significant": "no",
              "sentence": "There were no serious adverse events with IVIg."}  # fmt: skip
    _post(client, "/correct/add", uid=PMID, kind="findings", **fields)
    added = [f for f in _paper(corpus).extraction.findings if f.object == "miscarriage"]
    assert [(f.subject, f.direction, f.significant) for f in added] == [("ivig", "decrease", False)]
    page = client.get(f"/record/{PMID}").text
    assert "added (#1)" in page and "Withdraw" in page
    _post(client, "/correct/revert", uid=PMID, correction="1")
    assert not [f for f in _paper(corpus).extraction.findings if f.object == "miscarriage"]


@pytest.mark.parametrize(
    ("url", "fields", "message"),
    [
        ("/correct/edit", {"target": EFFECT, **_effect_form(value="big")},
         "value takes a number, not &#39;big&#39;"),
        ("/correct/edit", {"target": EFFECT, **_effect_form(ci_low="9")},
         "the interval runs backwards: 9 to 7.67"),
        ("/correct/edit", {"target": EFFECT, **_effect_form(outcome="happiness")},
         "unknown concept &#39;happiness&#39;"),
        ("/correct/edit", {"target": "effects@1:2", **_effect_form()}, "no item &#39;effects@1:2&#39;"),
        ("/correct/strike", {"target": "effects@1:2"}, "no effects item at 1:2"),
        ("/correct/add", {"kind": "findings", "f.kind": "treatment"}, "subject: a value is needed"),
        ("/correct/add", {"kind": "opinions"}, "no such kind of item &#39;opinions&#39;"),
        ("/correct/revert", {"correction": "99"}, "has no correction #99 to revert"),
    ],
)  # fmt: skip
def test_a_correction_refused_is_a_message(client, corpus, url, fields, message):
    refused = _post(client, url, uid=PMID, **fields)
    assert refused.status_code == 400 and message in refused.text
    assert refused.text.count('class="flash error"') == 1
    with _store(corpus) as store:
        assert corrections(store) == []


# --- highlighting ------------------------------------------------------------------------


def test_every_reading_of_the_bundle_is_marked_on_the_characters_read(extracted_bundle):
    """On all 110 real abstracts: the pieces marked for each mention, estimate, event rate
    and RIF definition join up to exactly the text its evidence span covers."""
    with _store(extracted_bundle) as store:
        pairs = [(store.get(x.doc_id), x) for x in store.extractions()]
    checked = 0
    for record, x in pairs:
        text, title_end = document_text(record)
        shown = highlight(record, x)
        pieces = shown.title + shown.abstract
        assert "".join(s.text for s in shown.title) == (record.title or "").strip()
        assert "".join(s.text for s in shown.abstract) == record.abstract_text
        for mark in reading_marks(x, {}):
            inside = [p for p in pieces if mark.start <= p.start < mark.end]
            assert all(mark.css in p.css for p in inside), (record.uid, mark)
            visible = (
                text[mark.start : min(mark.end, title_end)] + text[max(mark.start, title_end + 2) : mark.end]
            )
            assert "".join(p.text for p in inside) == visible, (record.uid, mark)
            checked += 1
    assert checked > 2000


def test_the_estimate_of_a_real_abstract_is_marked_in_the_page(reader):
    page = reader.get(f"/record/{PMID}").text
    marked = re.search(r'<span class="hl x-effect" title="([^"]+)" data-start="1322">([^<]+)</span>', page)
    assert marked[2] == "OR 3.64; 95% CI 1.78–7.67; p = 0.0004)"
    assert marked[1] == "OR 3.64 [1.78, 7.67], p 0.0004, live birth (adjusted)"
    assert re.search(r'<span class="hl x-rate" title="32/49 live birth, intravenous immunoglobulin arm" '
                     r'data-start="923">32/49</span>', page)  # fmt: skip


RECORD = Record(pmid="1", title="IVIg in RIF", abstract=(AbstractSection("IVIg helped.", "RESULTS"),))


@pytest.mark.parametrize(
    ("marks", "expected"),
    [
        ([], [("IVIg in RIF", ())]),
        ([Mark(0, 4, "a", "")], [("IVIg", ("a",)), (" in RIF", ())]),
        ([Mark(0, 11, "a", ""), Mark(8, 11, "b", "")], [("IVIg in ", ("a",)), ("RIF", ("a", "b"))]),
        ([Mark(5, 9, "a", ""), Mark(7, 11, "b", "")], [("IVIg ", ()), ("in", ("a",)), (" R", ("a", "b")),
                                                      ("IF", ("b",))]),  # crossing marks
        ([Mark(8, 30, "a", "")], [("IVIg in ", ()), ("RIF", ("a",))]),  # clipped at the title's end
    ],
)  # fmt: skip
def test_segments_cut_the_text_at_every_mark(marks, expected):
    text, title_end = document_text(RECORD)
    assert [(s.text, s.css) for s in segments(text, marks, 0, title_end)] == expected


def test_section_labels_are_marked_and_a_stale_span_is_not(monkeypatch):
    text, _ = document_text(RECORD)
    assert text == "IVIg in RIF\n\nRESULTS: IVIg helped."
    ev = Evidence("pmid:1", 22, 26, "RESULTS: IVIg helped.", "r")
    stale = Evidence("pmid:1", 22, 26, "RESULTS: IVIg did not help.", "r")  # read from an older version
    from rifkb.records import Extraction, Mention

    def extraction(*mentions):
        return Extraction("pmid:1", None, None, None, None, tuple(mentions), (), (), ())

    shown = highlight(RECORD, extraction(Mention("ivig", "intervention", "IVIg", ev)))
    assert [(s.text, s.css) for s in shown.abstract if s.css] == [
        ("RESULTS:", ("sec",)),
        ("IVIg", ("m-intervention",)),
    ]
    shown = highlight(RECORD, extraction(Mention("ivig", "intervention", "IVIg", stale)))
    assert [s.css for s in shown.abstract if s.css] == [("sec",)]


def test_two_figures_inline_share_no_id():
    svg = ('<?xml version="1.0"?>\n<svg width="10pt" height="5pt" viewBox="0 0 10 5"><metadata>x</metadata>'
           '<defs><clipPath id="p1"><rect/></clipPath></defs>'
           '<g clip-path="url(#p1)"><use xlink:href="#p1"/></g></svg>')  # fmt: skip
    a, b = inline_svg(svg, "a"), inline_svg(svg, "b")
    assert a.startswith('<svg class="figure" role="img" width="10pt"') and "metadata" not in a
    assert 'id="a-p1"' in a and "url(#a-p1)" in a and 'href="#a-p1"' in a and 'id="b-p1"' in b


def test_the_forest_page_shows_the_pooled_estimates(reader, extracted_bundle):
    from rifkb.review.synthesis import synthesis_rows, synthesize

    page = reader.get("/forest").text
    with _store(extracted_bundle) as store:
        analyses = synthesize(reviewed_papers(store).papers)
    assert analyses and page.count('<img class="figure" src="/forest/figure?') == len(analyses)
    # every estimate of every analysis: its total, and its strata (a study that reports
    # only per-stratum results has no total)
    for row in synthesis_rows(analyses):
        assert f"<b>{row['estimate']:.2f}</b> [{row['ci_low']:.2f}, {row['ci_high']:.2f}]" in page
    assert any(a.pooled is None for a in analyses)


def test_a_forest_option_unknown_is_a_message(reader):
    page = reader.get("/forest?method=guess")
    assert page.status_code == 400 and "method &#39;guess&#39; unknown" in page.text


def test_the_links_form_answers_and_says_what_it_cannot_resolve(reader):
    page = reader.get("/links?from=nk_uterine&to=live+birth").text
    assert "uterine / endometrial NK cells</b> → <b" in page and "path 1:" in page
    refused = reader.get("/links?from=nk+cells+of+mars&to=live+birth")
    assert refused.status_code == 400 and "unknown concept" in refused.text
    assert 'value="nk cells of mars"' in refused.text  # the form keeps what was typed
    assert '<b title="rif">' not in page and " checked>" not in page  # no path through RIF unless asked
    wide = reader.get("/links?from=nk_uterine&to=live+birth&populations=1").text
    assert '<b title="rif">' in wide and " checked>" in wide


# --- rifkb serve -------------------------------------------------------------------------

runner = CliRunner()


def test_serve_has_help_with_an_example():
    done = runner.invoke(cli, ["serve", "--help"])
    assert done.exit_code == 0 and "Example: rifkb serve" in done.stdout and "127.0.0.1" in done.stdout


def test_serve_on_a_port_in_use_is_one_line(corpus):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = runner.invoke(cli, ["serve", "--port", str(port), "-c", str(corpus)])
    assert done.exit_code == 1
    assert done.stderr == f"rifkb: port {port} on 127.0.0.1 is in use; choose another with --port\n"


def test_serve_of_a_folder_that_is_no_corpus_is_one_line(tmp_path):
    done = runner.invoke(cli, ["serve", "-c", str(tmp_path)])
    assert done.exit_code == 1 and done.stderr.startswith("rifkb: ") and "not a rifkb corpus" in done.stderr


@pytest.mark.slow
def test_serve_answers_on_127_0_0_1_and_stops_on_sigterm(corpus):
    import httpx

    command = [sys.executable, "-c", "from rifkb.cli import main; main()",
               "serve", "--port", "0", "-c", str(corpus),               "--reviewer", "ana"]  # fmt: skip
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as server:
        try:
            line = server.stdout.readline()
            url = re.search(r"at (http://127\.0\.0\.1:\d+/) as ana", line)[1]
            assert "reviewer <b>ana</b>" in httpx.get(url).text
        finally:
            server.terminate()
        out, err = server.communicate(timeout=20)
    assert server.returncode == 0 and "rifkb: stopped" in out and "Traceback" not in err


@pytest.mark.parametrize(("page", "shown"), [("²", "1"), ("9" * 5000, None), ("9" * 1000, None), ("-3", "1")])
def test_a_page_number_that_is_not_one_shows_the_first_or_last_page(reader, page, shown):
    done = reader.get("/", params={"status": "all", "page": page})
    assert done.status_code == 200
    last = reader.get("/", params={"status": "all", "page": "1000000"}).text  # clamped to the last page
    assert done.text == (reader.get("/", params={"status": "all", "page": shown}).text if shown else last)


def test_the_pages_have_a_favicon_of_their_own(reader):
    assert '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">' in reader.get("/").text
    icon = reader.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
