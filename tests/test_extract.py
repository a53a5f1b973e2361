"""Extracting a corpus: storage, skipping, re-extraction, failures, workers, models."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import spacy
from typer.testing import CliRunner

from rifkb.cli import app
from rifkb.corpus.formats import read_records
from rifkb.corpus.imports import import_files
from rifkb.kb.runs import extract_corpus, extract_records
from rifkb.nlp import build_pipeline
from rifkb.records import Extraction, ExtractionFailure
from tests.conftest import copy_rules

runner = CliRunner()
CONTRACT_KEYS = {"doc_id", "study_design", "sample_size", "n_studies", "rif_definition",
                 "concepts", "effects", "event_rates", "findings"}  # fmt: skip


@pytest.fixture
def dev_corpus(corpus, data):
    with corpus.open_store() as store:
        import_files(store, [data / "dev.jsonl"])
    return corpus


def test_extract_stores_then_skips_unchanged(dev_corpus):
    with dev_corpus.open_store() as store:
        first = extract_corpus(dev_corpus, store)
        again = extract_corpus(dev_corpus, store)
        stored = list(store.extractions())
    assert (first.extracted, first.unchanged, first.failures) == (110, 0, ())
    assert (again.extracted, again.unchanged) == (0, 110)
    assert len(stored) == 110 and all(isinstance(x, Extraction) for x in stored)
    assert set(stored[0].to_json()) >= CONTRACT_KEYS


def test_a_run_with_nothing_to_read_builds_no_pipeline(dev_corpus, monkeypatch):
    # building it (rules compiled, a model loaded) was most of a refresh with nothing new
    with dev_corpus.open_store() as store:
        extract_corpus(dev_corpus, store)

        def no_build(*args, **kwargs):
            raise AssertionError("a pipeline was built with nothing to read")

        monkeypatch.setattr("rifkb.kb.runs._pipeline", no_build)
        for workers in (1, 2):
            again = extract_corpus(dev_corpus, store, workers=workers)
            assert (again.extracted, again.unchanged) == (0, 110)


def test_a_run_with_nothing_to_read_imports_no_spacy(dev_corpus):
    # importing it was ~1.3 s of the 2 s a refresh's extract took with nothing new
    with dev_corpus.open_store() as store:
        extract_corpus(dev_corpus, store)
    code = (
        "import sys\n"
        "from rifkb.cli import app\n"
        f"app(['extract', '-c', {str(dev_corpus.path)!r}], standalone_mode=False)\n"
        "print('spacy imported' if 'spacy' in sys.modules else 'no spacy')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("extracted 0, unchanged 110") and done.stdout.rstrip().endswith("no spacy")


def test_changed_rules_re_extract(dev_corpus, tmp_path):
    rules = copy_rules(tmp_path / "rules")
    with dev_corpus.open_store() as store:
        extract_corpus(dev_corpus, store, rules_dir=rules)
        with open(rules / "lexicon.tsv", "a", encoding="utf-8") as fh:
            fh.write("ivig\tPrivigen\ti\n")
        report = extract_corpus(dev_corpus, store, rules_dir=rules)
    assert report.extracted == 110


def test_changed_record_re_extracts(dev_corpus, data):
    with dev_corpus.open_store() as store:
        extract_corpus(dev_corpus, store)
        import_files(store, [data / "pubmed" / "efetch_dev_records.xml"])  # 3 newer revisions
        report = extract_corpus(dev_corpus, store)
    assert (report.extracted, report.unchanged) == (3, 107)


def test_a_failing_document_is_reported_and_the_run_goes_on(dev_corpus, monkeypatch):
    from rifkb.nlp import findings

    original = findings.FindingReader.__call__

    def fail_on_one(self, doc):
        if doc._.rifkb_doc_id == "pmid:18973893":
            raise ValueError("broken on purpose")
        return original(self, doc)

    monkeypatch.setattr(findings.FindingReader, "__call__", fail_on_one)
    with dev_corpus.open_store() as store:
        report = extract_corpus(dev_corpus, store)
        failure = ExtractionFailure("pmid:18973893", "ValueError: broken on purpose")
        assert store.extraction_failures() == [failure]
        assert len(list(store.extractions())) == 109
    assert report.extracted == 109
    assert report.failures == (failure,)


def test_two_workers_give_the_same_records(data):
    records = [r for chunk in read_records(data / "dev.jsonl", "jsonl") for r in chunk]
    one = [e.to_json() for e in extract_records(records)]
    two = [e.to_json() for e in extract_records(records, workers=2)]
    assert one == two


def test_a_corpus_extracted_by_two_workers_stores_what_one_process_stores(dev_corpus, tmp_path):
    # the workers send the stored JSON (ExtractionText), one process the Extractions
    with dev_corpus.open_store() as store:
        extract_corpus(dev_corpus, store)
        one = {e.doc_id: e.to_json() for e in store.extractions()}
        report = extract_corpus(dev_corpus, store, workers=2, force=True)
        two = {e.doc_id: e.to_json() for e in store.extractions()}
    assert report.extracted == 110 and len(one) == 110
    assert one == two


def test_cli_extract_writes_the_contract(dev_corpus, tmp_path):
    out = tmp_path / "pred.jsonl"
    result = runner.invoke(app, ["extract", "-c", str(dev_corpus.path), "--jsonl", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("extracted 110, unchanged 0, failed 0 (")
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 110 and all(set(x) >= CONTRACT_KEYS for x in lines)


def test_cli_extract_with_a_broken_rule_file_is_one_line(dev_corpus, tmp_path):
    rules = copy_rules(tmp_path / "rules")
    with open(rules / "cues.tsv", "a", encoding="utf-8") as fh:
        fh.write("sideways\tup\n")
    result = runner.invoke(app, ["extract", "-c", str(dev_corpus.path), "--rules", str(rules)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"rifkb: {rules / 'cues.tsv'}:")
    assert result.stderr.count("\n") == 1


def test_unknown_model_is_one_line(dev_corpus):
    result = runner.invoke(app, ["extract", "-c", str(dev_corpus.path), "--model", "en_no_such_model"])
    assert result.exit_code == 1 and "cannot load model 'en_no_such_model'" in result.stderr


@pytest.fixture
def saved_model(tmp_path):
    """A small pipeline of the kind a scispaCy model provides: sentence boundaries and
    entities. Its sentencizer splits at ';' too, and its entity ruler labels a brand name
    with a concept id."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer", config={"punct_chars": [".", ";"]})
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "IVIG", "pattern": "Gamunex"}])
    path = tmp_path / "model"
    nlp.to_disk(path)
    return path


def test_model_pipeline_provides_sentences_and_entities(saved_model):
    from rifkb.nlp.reading import extract_record
    from rifkb.records import AbstractSection, Record

    record = Record(
        source_id="t:1",
        abstract=(
            AbstractSection(
                "Women received Gamunex before transfer; live birth rates were higher than in controls."
            ),
        ),
    )
    blank = extract_record(build_pipeline(), record)
    model = extract_record(build_pipeline(model=str(saved_model)), record)
    assert "ivig" not in blank.concepts()["intervention"]
    assert model.concepts()["intervention"] == ["ivig"]
    ivig = next(m for m in model.mentions if m.concept == "ivig")
    assert ivig.evidence.rule == "model:IVIG"
    assert ivig.evidence.sentence == "Women received Gamunex before transfer;"


def test_an_interrupted_extract_says_so_below_its_progress_bar(dev_corpus, monkeypatch):
    """The bar redraws itself when it stops: stopped after the message, it hid it (seen
    once workers started with the pipeline built, soon enough for the bar to show)."""
    import rifkb.kb.runs

    def interrupted(corpus, store, model, rules, workers, force, progress):  # noqa: ANN001, ANN202
        progress(1, 110)
        raise KeyboardInterrupt

    monkeypatch.setattr(rifkb.kb.runs, "extract_corpus", interrupted)
    result = runner.invoke(app, ["extract", "-c", str(dev_corpus.path)])
    assert result.exit_code == 1
    assert result.stderr.splitlines()[-1] == (
        "rifkb: interrupted; the extractions stored so far are kept, run again to go on"
    )
