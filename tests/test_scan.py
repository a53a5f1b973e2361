"""`rifkb scan`: PubMed baseline and update files on a Dask cluster, into the corpus.

Small baseline-like files (tests/pubmed_files.py): the 110 dev abstracts among generated
off-topic records. The scan keeps exactly the on-topic ones, stores them as an import
would and extracts them as `rifkb extract` would; it skips what it has scanned, applies
update files (revisions, deletions), resumes after being killed, and reports a corrupt
file while committing the others. The reader and the prefilter are checked on their own.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zlib
from dataclasses import replace
from pathlib import Path

import psutil
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import rifkb
from rifkb.cli import app
from rifkb.corpus.formats import read_records
from rifkb.corpus.formats.pubmed_scan import Deletion, PubmedScanner
from rifkb.corpus.scans import scanned_files
from rifkb.corpus.store import Store
from rifkb.errors import BadInputError
from rifkb.kb.prefilter import Prefilter
from rifkb.nlp.text import name_variants
from rifkb.records import AbstractSection
from rifkb.records.bibliographic import document_text
from rifkb.rules import load_rules
from tests.pubmed_files import (
    Article,
    baseline_files,
    off_topic_article,
    on_topic_articles,
    revised,
    write_pubmed_file,
)

runner = CliRunner()
RULES = load_rules()
PER_FILE = 300


def _init(path: Path) -> Path:
    result = runner.invoke(app, ["init", str(path)])
    assert result.exit_code == 0, result.output
    return path


def _scan(*args: str) -> object:
    return runner.invoke(app, ["scan", *args])


def _records(corpus: Path) -> dict[str, dict]:
    with Store(corpus / "store.sqlite") as store:
        return {r.uid: r.to_json() for r in store.records()}


def _extractions(corpus: Path) -> dict[str, dict]:
    with Store(corpus / "store.sqlite") as store:
        return {x.doc_id: x.to_json() for x in store.extractions()}


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> tuple[list[Path], set[str]]:
    """Three baseline-like files of 300 records, the 110 dev abstracts among them."""
    return baseline_files(tmp_path_factory.mktemp("baseline"), 3, PER_FILE)


@pytest.fixture(scope="module")
def scanned(files, tmp_path_factory) -> tuple[Path, str]:
    """A corpus scanned from the three files with --workers 2: (its folder, the output)."""
    corpus = _init(tmp_path_factory.mktemp("scanned") / "corpus")
    result = _scan(str(files[0][0].parent), "--workers", "2", "-c", str(corpus))
    assert result.exit_code == 0, result.output
    return corpus, result.stdout


# --- end to end ----------------------------------------------------------------------------


def test_scan_keeps_exactly_the_on_topic_records_and_a_second_run_does_nothing(files, scanned):
    corpus, output = scanned
    on_topic = files[1]
    assert output == (
        "files: 3 scanned, 0 skipped as done, 0 failed; records read 900, kept 110, new 110, "
        "updated 0, deleted 0, failed 0\n"
    )
    assert {uid.removeprefix("pmid:") for uid in _records(corpus)} == on_topic
    assert set(_extractions(corpus)) == {f"pmid:{p}" for p in on_topic}
    again = _scan(str(files[0][0].parent), "--workers", "2", "-c", str(corpus))
    assert again.exit_code == 0, again.output
    assert again.stdout.startswith("files: 0 scanned, 3 skipped as done, 0 failed; records read 0,")
    with Store(corpus / "store.sqlite") as store:
        logged = scanned_files(store)
        assert [s.file for s in logged] == [p.name for p in files[0]]
        assert sum(s.records_read for s in logged) == 900
        assert [(c.kind, c.records) for c in store.source_counts()] == [("scan", n) for n in
                                                                        (s.kept for s in logged)]  # fmt: skip


def test_scanned_records_and_extractions_equal_imported_and_extracted_ones(files, scanned, tmp_path):
    """The same articles imported with `rifkb import` and extracted with `rifkb extract`
    give the same records and the same extractions; `rifkb extract` after the scan finds
    nothing to do."""
    corpus, _ = scanned
    topical = write_pubmed_file(tmp_path / "on-topic.xml", on_topic_articles())
    imported = _init(tmp_path / "imported")
    assert runner.invoke(app, ["import", str(topical), "-c", str(imported)]).exit_code == 0
    assert runner.invoke(app, ["extract", "-c", str(imported)]).exit_code == 0
    assert _records(corpus) == _records(imported)
    assert _extractions(corpus) == _extractions(imported)
    copy = tmp_path / "copy"
    shutil.copytree(corpus, copy)
    result = runner.invoke(app, ["extract", "-c", str(copy)])
    assert result.stdout.startswith("extracted 0, unchanged 110, failed 0")


def test_the_process_that_scans_never_imports_spacy(files, tmp_path):
    # its workers read and extract; it only stamps and commits (rifkb.nlp.version), and
    # importing spaCy there cost the whole command a second and a half
    corpus = _init(tmp_path / "corpus")
    code = (
        "import sys\n"
        "from rifkb.cli import app\n"
        f"args = ['scan', {str(files[0][0])!r}, '--workers', '1', '-c', {str(corpus)!r}]\n"
        "app(args, standalone_mode=False)\n"
        "print('spacy imported' if 'spacy' in sys.modules else 'no spacy')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "kept" in done.stdout and done.stdout.rstrip().endswith("no spacy")


def test_the_workers_import_this_rifkb_not_one_in_the_working_directory(tmp_path):
    # Python 3.11's fork server drops the path it is given and puts the working directory
    # first: run from a checkout of another version, the workers imported that one (the
    # scan benchmark's "before" measured the current code in its workers)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "rifkb").mkdir(parents=True)
    real, imported = Path(rifkb.__file__).parent, tmp_path / "imported"
    (elsewhere / "rifkb" / "__init__.py").write_text(  # this rifkb's code, and a trace of its import
        f"__path__ = [{str(real)!r}]\nexec(open({str(real / '__init__.py')!r}).read())\n"
        f"open({str(imported)!r}, 'a').write('the working directory\\'s rifkb')\n"
    )
    path = write_pubmed_file(tmp_path / "pubmed26n0001.xml.gz", on_topic_articles()[:3])
    corpus = _init(tmp_path / "corpus")
    script = Path(sys.executable).with_name("rifkb")  # as a user runs it: no working directory on its path
    if not script.exists():
        pytest.skip("rifkb is not installed as a command beside this Python")
    done = subprocess.run([str(script), "scan", str(path), "--workers", "1", "-c", str(corpus)],
                          capture_output=True, text=True, timeout=300, cwd=elsewhere)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "kept 3, new 3" in done.stdout and not imported.exists()


@pytest.mark.parametrize("fork_server", [True, False], ids=["the-fork-server", "any-other-process"])
def test_the_fork_server_ends_without_tearing_down_and_no_other_process_does(fork_server):
    # its teardown (~0.5 s) kept rifkb's stdout and stderr open after rifkb had ended: a
    # pipe or a script capturing the output waited for it. An exit handler registered
    # before the preload runs after rifkb's: skipped when the server ends at once.
    code = (
        "import atexit, os\n"
        "atexit.register(print, 'torn down')\n"
        "import rifkb.kb.scan_preload\n"
        "print('marker left:', os.environ.get('RIFKB_FORK_SERVER'))\n"
    )
    env = {**os.environ, "RIFKB_FORK_SERVER": "1"} if fork_server else os.environ
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    assert "marker left: None" in done.stdout  # the workers forked from it do not inherit it
    assert ("torn down" in done.stdout) is not fork_server


def test_the_workers_fork_server_starts_first_and_dask_imports_nothing_for_it(files, tmp_path):
    # The fork server's imports and pipeline build are most of a local cluster's start:
    # started before this process imports Dask (0.6 s), it gains that much; and Dask, on
    # its first use of a fork server, would import pandas and every package it knows of
    # (~1.5 s) only to name them as a preload that ours already has
    corpus = _init(tmp_path / "corpus")
    code = (
        "import sys\n"
        "from multiprocessing import forkserver\n"
        "seen, real = [], forkserver.ensure_running\n"
        "def ensure_running():\n"
        "    seen.append('distributed' in sys.modules)\n"
        "    return real()\n"
        "forkserver.ensure_running = ensure_running\n"
        "from rifkb.cli import app\n"
        f"args = ['scan', {str(files[0][0])!r}, '--workers', '1', '-c', {str(corpus)!r}]\n"
        "app(args, standalone_mode=False)\n"
        "print('distributed first' if seen[0] else 'fork server first')\n"
        "print('pandas imported' if 'pandas' in sys.modules else 'no pandas')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "kept" in done.stdout
    assert done.stdout.splitlines()[-2:] == ["fork server first", "no pandas"]


def test_the_fork_servers_environment_is_the_one_dask_gives_its_workers(tmp_path):
    # read from distributed's configuration file and the user's Dask configuration,
    # without importing distributed: the same as Dask's own setting once it is imported
    code = (
        "import json, sys\n"
        "from rifkb.kb.scan import _pre_spawn_environ\n"
        "ours = _pre_spawn_environ()\n"
        "assert 'distributed' not in sys.modules\n"
        "import dask, distributed\n"
        "print(json.dumps([ours, dask.config.get('distributed.nanny.pre-spawn-environ')]))\n"
    )
    setting = "distributed:\n  nanny:\n    pre-spawn-environ:\n      OMP_NUM_THREADS: 3\n"
    (tmp_path / "dask.yaml").write_text(setting)
    env = {**os.environ, "DASK_CONFIG": str(tmp_path)}  # a user's own Dask configuration
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 0, done.stderr
    ours, dasks = json.loads(done.stdout)
    assert ours == dasks and ours["OMP_NUM_THREADS"] == 3 and "MALLOC_TRIM_THRESHOLD_" in ours


def test_a_scan_runs_quietly_while_another_program_holds_dasks_dashboard_port(tmp_path):
    """The scheduler's HTTP server took port 8787 even with no dashboard, and warned
    "Port 8787 is already in use" when a notebook's Dask dashboard or a second scan held
    it (an error in this suite: warnings are errors)."""
    import socket

    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 8787))
        holder.listen()
    except OSError:
        pass  # held already: what this test needs
    try:
        path = write_pubmed_file(tmp_path / "pubmed26n0001.xml.gz", on_topic_articles()[:3])
        result = _scan(str(path), "--workers", "1", "-c", str(_init(tmp_path / "corpus")))
    finally:
        holder.close()
    assert result.exit_code == 0, result.output
    assert "8787" not in result.output and "kept 3, new 3" in result.stdout


def test_an_update_file_revises_and_deletes(files, scanned, tmp_path):
    """A newer revision replaces the record (even when it no longer names a concept: the
    corpus holds it), DeleteCitation removes records (kept as history, counted in status),
    and the extractions follow."""
    corpus = tmp_path / "corpus"
    shutil.copytree(scanned[0], corpus)
    dev = {a.pmid: a for a in on_topic_articles()}
    first, second, third, fourth = sorted(dev)[:4]
    plain = off_topic_article(1, __import__("random").Random(1))
    update = [
        revised(
            dev[first], "Intravenous immunoglobulin in women with recurrent implantation failure: revised"
        ),
        Article(second, plain.title, plain.abstract, "Geology", 2025, revised="2025-07-01"),
    ]
    write_pubmed_file(tmp_path / "pubmed26n0004.xml.gz", update, deleted=[third, fourth, "1"])
    result = _scan(str(tmp_path / "pubmed26n0004.xml.gz"), "--workers", "1", "-c", str(corpus))
    assert result.exit_code == 0, result.output
    assert "kept 2, new 0, updated 2, deleted 2, failed 0" in result.stdout
    records, extractions = _records(corpus), _extractions(corpus)
    assert records[f"pmid:{first}"]["title"].endswith(": revised")
    assert records[f"pmid:{second}"]["title"] == plain.title
    assert not {f"pmid:{third}", f"pmid:{fourth}"} & (set(records) | set(extractions))
    assert not extractions[f"pmid:{second}"]["mentions"]
    with Store(corpus / "store.sqlite") as store:
        assert [v.record.pmid for v in store.versions(f"pmid:{third}")] == [third]
    status = json.loads(runner.invoke(app, ["status", "-c", str(corpus), "--json"]).stdout)
    # the two revised records were brought by two files: counted once each as duplicates
    assert (status["records"], status["deleted"], status["duplicates_removed"]) == (108, 2, 2)
    assert "deleted by PubMed 2" in runner.invoke(app, ["status", "-c", str(corpus)]).stdout
    assert runner.invoke(app, ["extract", "-c", str(corpus)]).stdout.startswith("extracted 0, unchanged 108")


@pytest.mark.parametrize("twice", ["same key", "matched by title"])
def test_a_record_a_later_one_of_its_file_merges_into_is_stamped_as_stored(tmp_path, twice):
    # The writer takes the hash of a record stored new from the record itself, not read
    # back: right only while no later record of the file merges into it (by the same key,
    # or by title and year, when the merged record is re-keyed by the PMID it brings).
    # Stamped with the first version's hash, `extract` would read it again.
    from rifkb.corpus.folder import load_corpus
    from rifkb.kb.rulesets import rule_set_ref, rules_to_extract_with
    from rifkb.kb.scan import _Writer
    from rifkb.kb.scan_worker import FileScan, RulesPayload
    from rifkb.nlp import build_pipeline
    from rifkb.nlp.reading import extract_record
    from rifkb.nlp.version import pipeline_fingerprint
    from rifkb.records import ExtractionText, Record

    corpus_dir = _init(tmp_path / "corpus")
    title = "Intravenous immunoglobulin in recurrent implantation failure"
    first = Record(source_id="src:first", title=title, year=2020, abstract=(AbstractSection("IVIg in RIF."),),
                   revision_date="2024-01-01")  # fmt: skip
    later = replace(first, revision_date="2025-01-01",
                    abstract=(AbstractSection("IVIg in RIF: live birth 30% versus 20%."),))  # fmt: skip
    if twice == "matched by title":  # PubMed's record of it: merged in, the record is re-keyed pmid:N
        later = replace(later, source_id="src:later", pmid="39999991")
    nlp = build_pipeline()
    results = tuple(ExtractionText.of(extract_record(nlp, r)) for r in (first, later))
    corpus = load_corpus(corpus_dir)
    folder = rules_to_extract_with(corpus)
    rules = load_rules(folder)
    payload = RulesPayload(dict(rules.texts), rules.fingerprint, pipeline_fingerprint(None, str(folder)))
    path = write_pubmed_file(tmp_path / "pubmed26n0001.xml", [])
    with corpus.open_store() as store:
        writer = _Writer(store, payload, rule_set_ref(corpus, folder), folder)
        scan = FileScan(str(path), "0" * 64, 2, (first, later), results, (), 0.0)
        assert writer.commit(path, store.now(), scan).status == "scanned"
        assert len(list(store.records())) == 1
    assert set(_extractions(corpus_dir)) == set(_records(corpus_dir))  # none of a key merged away
    extract = runner.invoke(app, ["extract", "-c", str(corpus_dir)])
    assert extract.stdout.startswith("extracted 0, unchanged 1"), extract.stdout


def test_a_killed_scan_resumes_without_duplicates(files, scanned, tmp_path):
    corpus = _init(tmp_path / "corpus")
    command = [sys.executable, "-c", "from rifkb.cli import main; main()", "scan", str(files[0][0].parent),
               "--workers", "1", "-c", str(corpus)]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        children = _wait_for_first_commit(process, corpus / "store.sqlite")
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    for child in children:  # the local cluster's processes die with it, or here
        if child.is_running():
            child.kill()
    with Store(corpus / "store.sqlite") as store:
        committed = len(scanned_files(store))
    assert 1 <= committed < 3
    result = _scan(str(files[0][0].parent), "--workers", "1", "-c", str(corpus))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"files: {3 - committed} scanned, {committed} skipped as done, 0 failed")
    assert _records(corpus) == _records(scanned[0])
    assert _extractions(corpus) == _extractions(scanned[0])
    with Store(corpus / "store.sqlite") as store, Store(scanned[0] / "store.sqlite") as whole:
        assert store.source_counts() == whole.source_counts()
        assert [s.file for s in scanned_files(store)] == [s.file for s in scanned_files(whole)]


def _wait_for_first_commit(process: subprocess.Popen, store: Path) -> list[psutil.Process]:
    deadline = time.monotonic() + 60
    children: list[psutil.Process] = []
    while time.monotonic() < deadline:
        children = psutil.Process(process.pid).children(recursive=True) or children
        if store.exists():
            try:
                with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
                    if db.execute("SELECT count(*) FROM scans").fetchone()[0]:
                        return children
            except sqlite3.OperationalError:  # not made yet
                pass
        assert process.poll() is None, "the scan ended before it could be killed"
        time.sleep(0.005)
    raise AssertionError("no file committed within a minute")


@pytest.fixture(scope="module")
def scheduler() -> str:
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def test_a_corrupt_file_is_retried_then_reported_while_the_others_are_committed(files, scheduler, tmp_path):
    corpus = _init(tmp_path / "corpus")
    good = files[0][0]
    data = gzip.decompress(files[0][1].read_bytes())
    corrupt = tmp_path / "pubmed26n0002.xml.gz"
    corrupt.write_bytes(gzip.compress(data[: len(data) // 2] + b"<Pubmed<<Article>" + data[len(data) // 2 :]))
    result = _scan(str(good), str(corrupt), "--scheduler", scheduler, "-c", str(corpus))
    assert result.exit_code == 1
    assert result.stdout.startswith("files: 1 scanned, 0 skipped as done, 1 failed;")
    assert f"rifkb: {corrupt}: {corrupt}:" in result.stderr and "malformed XML" in result.stderr
    assert "Traceback" not in result.stderr
    with Store(corpus / "store.sqlite") as store:
        assert [s.file for s in scanned_files(store)] == [good.name]


def test_bad_input_is_one_line(tmp_path, files):
    corpus = _init(tmp_path / "corpus")
    tmp_path.joinpath("x.xml").write_text("<eSearchResult/>")
    tmp_path.joinpath("empty").mkdir()
    cases = [
        ([str(tmp_path / "x.xml")], "x.xml: not a PubMed file (no <PubmedArticleSet> at its start)"),
        ([str(tmp_path / "missing.xml.gz")], "missing.xml.gz: no such file or folder"),
        ([str(tmp_path / "empty")], "empty: no PubMed files (*.xml.gz, *.xml) in this folder"),
        ([str(files[0][0]), "--scheduler", "tcp://127.0.0.1:9", "--workers", "2"], "not both"),
    ]
    for args, message in cases:
        result = _scan(*args, "-c", str(corpus))
        assert result.exit_code == 1, args
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_an_unreachable_scheduler_or_corpus_is_one_line(tmp_path, files):
    corpus = _init(tmp_path / "corpus")
    result = _scan(str(files[0][0]), "--scheduler", "tcp://127.0.0.1:9", "-c", str(corpus))
    assert result.exit_code == 1 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in result.stderr
    result = _scan(str(files[0][0]), "-c", str(tmp_path / "nowhere"))
    assert result.exit_code == 1 and result.stderr.startswith("rifkb: ") and "Traceback" not in result.output


def test_a_utf8_file_declaring_utf32_is_one_line_before_any_worker_and_in_the_reader(tmp_path):
    """An XML file declaring encoding="UTF-32" that is really UTF-8 (as `rifkb import`
    says of it, tests/test_cli_errors.py): refused with the inputs, and by the reader."""
    from tests.test_pubmed_articles import pubmed_article, pubmed_set

    corpus = _init(tmp_path / "corpus")
    path = tmp_path / "lying.xml.gz"
    path.write_bytes(
        gzip.compress(pubmed_set(pubmed_article(), declaration='<?xml version="1.0" encoding="UTF-32"?>'))
    )
    message = (
        f"{path}: the XML declaration names encoding 'UTF-32', which rifkb cannot read; re-save the file"
    )
    message += " as UTF-8"
    result = _scan(str(path), "-c", str(corpus))
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [f"rifkb: {message}"], result.stderr
    with pytest.raises(BadInputError) as raised:  # a worker reading it (given it by another way)
        list(PubmedScanner(path))
    assert str(raised.value) == message


# --- the reader -----------------------------------------------------------------------------

TRICKY = """<PubmedArticle><MedlineCitation><PMID Version="1">555</PMID><Article>
<ArticleTitle>CD56<sup>+</sup> uterine <i>natural killer</i> cells &amp; IVIg:
  a &lt;pilot&gt; study</ArticleTitle>
<Abstract><AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">Recurrent
 implantation\tfailure (RIF) &#x3b1; <mml:math xmlns:mml="http://www.w3.org/1998/Math/MathML"><mml:mi>p</mml:mi></mml:math> &lt; 0.05.</AbstractText>
<AbstractText>   </AbstractText><AbstractText Label="RESULTS">TNF-<b>α</b>  rose.</AbstractText></Abstract>
</Article></MedlineCitation></PubmedArticle>
<PubmedArticle><MedlineCitation><PMID Version="1">556</PMID><Article><ArticleTitle></ArticleTitle>
<VernacularTitle>Fallo de implantación</VernacularTitle></Article></MedlineCitation></PubmedArticle>"""  # noqa: E501


def test_the_reader_gives_the_text_the_full_parser_gives(tmp_path):
    """Title and abstract as the pipeline would read them from the parsed record, for real
    abstracts and for markup, entities, white space and a vernacular title."""
    path = write_pubmed_file(tmp_path / "f.xml.gz", on_topic_articles(), deleted=["7", "8"])
    text = (
        gzip.decompress(path.read_bytes())
        .decode()
        .replace("<PubmedArticleSet>\n", "<PubmedArticleSet>" + TRICKY)
    )
    path.write_bytes(gzip.compress(text.encode()))
    parsed = [r for chunk in read_records(path, "pubmed-xml") for r in chunk]
    items = list(PubmedScanner(path))
    assert items[-1] == Deletion(("7", "8"))
    articles = items[:-1]
    assert [a.pmid for a in articles] == [r.pmid for r in parsed]
    assert [a.text for a in articles] == [document_text(r)[0] for r in parsed]
    assert articles[0].text.startswith(
        "CD56+ uterine natural killer cells & IVIg: a <pilot> study\n\nBACKGROUND: "
    )


def test_the_reader_refuses_what_is_not_pubmed(tmp_path):
    other = tmp_path / "other.xml"
    other.write_text("<eSummaryResult><DocSum/></eSummaryResult>")
    with pytest.raises(BadInputError, match="not a PubMed file"):
        list(PubmedScanner(other))
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(write_pubmed_file(tmp_path / "whole.xml.gz", on_topic_articles()[:5]).read_bytes()[:-40])
    with pytest.raises(BadInputError, match="cut.xml.gz"):
        list(PubmedScanner(cut))


# --- the prefilter --------------------------------------------------------------------------

PREFILTER = Prefilter(RULES)
_FILLER = st.text(st.sampled_from("abcdefghij klmnop,.;()-0123456789ABCDEF\n"), max_size=60)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(term=st.sampled_from(RULES.terms), data=st.data(), before=_FILLER, after=_FILLER,
       left=st.sampled_from(" (,;\n/\""), right=st.sampled_from(" ),.;:\n/"))  # fmt: skip
def test_any_spelling_of_a_name_as_a_whole_word_is_kept(term, data, before, after, left, right):
    spelling = data.draw(st.sampled_from(sorted(name_variants(term.text, term.case_sensitive))))
    assert PREFILTER.concerns(f"{before}{left}{spelling}{right}{after}")


def test_every_dev_record_the_extractor_finds_a_mention_in_is_kept_and_no_off_topic_one(nlp):
    from rifkb.nlp.reading import extract_record
    from rifkb.records import AbstractSection, Record

    lines = (Path(__file__).parent / "data" / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    dev = [json.loads(line) for line in lines]
    records = [Record.from_json(d) for d in dev]
    found = [bool(extract_record(nlp, r).mentions) for r in records]
    assert sum(found) > 100
    assert all(PREFILTER.concerns(document_text(r)[0]) for r, f in zip(records, found, strict=True) if f)
    rng = __import__("random").Random(7)
    for pmid in range(40):
        a = off_topic_article(pmid, rng)
        record = Record(pmid=str(pmid), title=a.title, abstract=(AbstractSection(a.abstract),))
        assert not PREFILTER.concerns(document_text(record)[0])
        assert not extract_record(nlp, record).mentions


def test_a_pattern_word_or_a_rate_list_keeps_a_record():
    assert PREFILTER.concerns("Women with two or more unsuccessful cycles")  # patterns.tsv: fail,unsuccessful
    assert PREFILTER.concerns("Rates of abortion were low")  # rate_heads.tsv within a rate list
    assert not PREFILTER.concerns("Abortion was discussed")  # a rate head without 'rate'
    assert not PREFILTER.concerns("The NKX2 gene and the word rifle")  # no whole word


def test_a_pattern_word_keeps_a_record_only_when_its_pattern_matches():
    # "fail", "frozen", "interleukin", "cd4" are words patterns.tsv requires: PubMed is
    # full of them ("heart failure"); the record is kept when a pattern then matches
    assert not PREFILTER.concerns("Heart failure after failed transcatheter valve implantation")
    assert not PREFILTER.concerns("Frozen and vitrified samples of permafrost were tested")
    assert PREFILTER.concerns("Women with three or more failed embryo transfers")
    assert PREFILTER.concerns("The live birth was recorded")  # a required word and a name


_PIECES = st.sampled_from(
    ["failure", "failed", "fail", "frozen", "embryo transfers", "implantation", "recurrent", "rates of",
     "pregnancy", "abortion", "live birth", "interleukin", "CD4+", "three or more", "2", "women with",
     "IVF", "NK cells", "heart", "rates", "soil", "(", ")", ",", ".", "after", "and", "cycles"]
)  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=24).map(" ".join))
def test_a_text_in_which_the_pipeline_finds_a_concept_is_always_kept(nlp, text):
    from rifkb.nlp.reading import extract_record
    from rifkb.records import AbstractSection, Record

    record = Record(pmid="1", title="A study", abstract=(AbstractSection(text),))
    if extract_record(nlp, record).mentions:
        assert PREFILTER.concerns(document_text(record)[0])


def test_a_record_the_prefilter_lets_through_but_that_names_nothing_is_not_kept(tmp_path):
    # "abortion" is a rate head and the text has "rates": the prefilter keeps it; the
    # pipeline finds no concept in it, so neither does the scan
    dev = on_topic_articles()[:2]
    plain = off_topic_article(1, __import__("random").Random(3))
    tricky = [
        Article("90000001", "Abortion law in Europe", "Debates on abortion shaped policy. Tax rates changed.",
                "Law Review", 2020),
        Article("90000002", "Heart failure after failed valve implantation", plain.abstract, "Heart", 2021),
    ]  # fmt: skip
    path = write_pubmed_file(tmp_path / "pubmed26n0001.xml.gz", [*dev, *tricky])
    corpus = _init(tmp_path / "corpus")
    result = _scan(str(path), "--workers", "1", "-c", str(corpus))
    assert result.exit_code == 0, result.output
    assert "records read 4, kept 2, new 2," in result.stdout
    assert set(_records(corpus)) == {f"pmid:{a.pmid}" for a in dev}


def _peak_memory_reading(path: Path) -> float:
    """MiB of peak resident memory of a fresh process that reads `path` through."""
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from rifkb.corpus.formats.pubmed_scan import PubmedScanner\n"
        "for item in PubmedScanner(Path(sys.argv[1])):\n"
        "    getattr(item, 'text', None)\n"
        "status = open('/proc/self/status').read().splitlines()\n"
        "print(next(int(line.split()[1]) for line in status if line.startswith('VmHWM:')))\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return int(done.stdout) / 1024


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads Linux's /proc")
def test_the_reader_holds_one_article_at_a_time_whatever_the_file_size(tmp_path):
    rng = __import__("random").Random(5)
    small = write_pubmed_file(tmp_path / "small.xml.gz", [off_topic_article(i, rng) for i in range(1, 301)])
    large = write_pubmed_file(tmp_path / "large.xml.gz", [off_topic_article(i, rng) for i in range(1, 6001)])
    assert large.stat().st_size > 15 * small.stat().st_size
    # 20 times the articles (~35 MB of XML): the same memory, within what the runtime varies
    assert _peak_memory_reading(large) < _peak_memory_reading(small) + 15


_SAMPLES = Path(__file__).parent.parent.parent / "shared" / "samples"


def _is_pubmed(path: Path) -> bool:
    opener = gzip.open if path.name.endswith(".gz") else open
    try:
        with opener(path, "rb") as handle:
            return b"<PubmedArticleSet" in handle.read(4096)
    except (OSError, EOFError, zlib.error):
        return path.name.endswith(".xml.gz")  # a damaged one, kept as such


_REAL_PUBMED = sorted(
    p
    for p in (_SAMPLES.rglob("*") if _SAMPLES.is_dir() else ())
    if p.is_file() and p.name.endswith((".xml", ".xml.gz")) and _is_pubmed(p)
)


@pytest.mark.skipif(not _REAL_PUBMED, reason="../shared/samples is not beside the repository")
@pytest.mark.parametrize("path", _REAL_PUBMED, ids=lambda p: str(p.relative_to(_SAMPLES)))
def test_on_real_pubmed_files_a_worker_reads_what_import_reads_or_says_why_in_one_line(path):
    """Files NCBI wrote, copies with a BOM, CRLF line ends, cut short or re-encoded, and
    inputs that once crashed rifkb: a file `rifkb import` reads gives the same texts and
    the same records; one it refuses is either refused in one line naming the file, or
    read for the articles kept (the full parser only sees those)."""
    from rifkb.kb.scan_worker import RulesPayload, scan_file
    from rifkb.nlp import pipeline_fingerprint
    from rifkb.rules import RULES_DIR

    try:
        records = [r for chunk in read_records(path, "pubmed-xml") for r in chunk]
    except BadInputError:
        records = None
    payload = RulesPayload(dict(RULES.texts), RULES.fingerprint, pipeline_fingerprint(None, str(RULES_DIR)))
    try:
        texts = [(a.pmid, a.text) for a in PubmedScanner(path) if not isinstance(a, Deletion)]
        scanned = scan_file(str(path), payload, frozenset(pmid for pmid, _ in texts))  # all kept
    except BadInputError as exc:
        assert str(exc).startswith(str(path)) and "\n" not in str(exc)
        return
    if records is not None:
        assert texts == [(r.pmid, document_text(r)[0]) for r in records]
        assert [r.to_json() for r in scanned.records] == [r.to_json() for r in records]
