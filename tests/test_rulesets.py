"""The rule set an extraction was made with: chosen (--rules, corpus.toml, rifkb's own),
recorded in the store, loaded by every command that reads extractions, and refused in
one line once it is gone or changed. Outputs name rule files, never a machine's paths."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

import rifkb
from rifkb.cli import app
from rifkb.corpus.folder import init_corpus, load_corpus
from rifkb.corpus.imports import import_files
from rifkb.corpus.store import ExtractionStamp, RuleSetRef
from rifkb.errors import CorpusError, RifkbError
from rifkb.kb.rulesets import PACKAGED_RULES, rule_set_ref, rules_of_extraction
from rifkb.kb.runs import extract_corpus
from rifkb.records import Extraction
from rifkb.rules import RULES_DIR, fingerprint, load_rules
from tests.conftest import copy_rules

runner = CliRunner()
TEST_DRUG = "zz_test_drug"
RECORDS = [
    {"id": "src:zz-1", "title": "Zetazumab for recurrent implantation failure", "year": 2025,
     "first_author": "Zed A", "abstract": "In this randomized trial of 40 women with recurrent implantation "
     "failure, zetazumab increased the live birth rate compared with placebo (OR 2.10, 95% CI 1.20-3.70; "
     "p = 0.01)."},
    {"id": "src:ivig-1", "title": "IVIg in RIF", "year": 2024, "abstract": "Live birth rate was higher with "
     "IVIg than with placebo (p = 0.01) in 60 women with recurrent implantation failure."},
]  # fmt: skip
# Commands that read extractions; {out} is a folder for what they write.
READERS = [
    ["graph", "-o", "{out}/graph.graphml"],
    ["graph", "-f", "json", "-o", "{out}/graph.json"],
    ["query", "concept", "zetazumab"],
    ["query", "links", "--from", TEST_DRUG, "--to", "live birth", "--json"],
    ["export", "tables", "-o", "{out}/tables"],
    ["export", "figures", "--intervention", "zetazumab", "-o", "{out}/figures"],
]


def with_test_drug(rules: Path) -> Path:
    """A rule set that knows one more intervention, as a user adds one (rules/README.md)."""
    for name, row in (("concepts.tsv", f"{TEST_DRUG}\tintervention\tzz test drug"),
                      ("lexicon.tsv", f"{TEST_DRUG}\tzetazumab\ti")):  # fmt: skip
        with open(rules / name, "a", encoding="utf-8") as fh:
            fh.write(row + "\n")
    return rules


def new_corpus(root: Path, rules: Path | None = None) -> Path:
    (root / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    corpus = init_corpus(root / "corpus", rules=rules)
    with corpus.open_store() as store:
        import_files(store, [root / "records.jsonl"])
    return corpus.path


def cli(*args: object) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def run(command: list[str], corpus: Path, out: Path) -> Result:
    return cli(*[a.replace("{out}", str(out)) for a in command], "-c", corpus)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """A corpus extracted with `--rules COPY`, COPY lying outside the corpus."""
    root = tmp_path_factory.mktemp("rulesets")
    rules = with_test_drug(copy_rules(root / "myrules"))
    corpus = new_corpus(root)
    result = cli("extract", "-c", corpus, "--rules", rules)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("extracted 2, unchanged 0, failed 0")
    return corpus, rules


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_readers_use_the_rules_of_the_extraction(extracted, command, tmp_path):
    corpus, _ = extracted
    result = run(command, corpus, tmp_path)
    assert result.exit_code == 0, result.output
    files = [p for p in tmp_path.rglob("*") if p.suffix in (".graphml", ".json", ".csv", ".svg")]
    said = result.stdout + " ".join(p.name + p.read_text(encoding="utf-8") for p in files)
    assert TEST_DRUG in said


def test_the_store_names_a_folder_outside_the_corpus_by_its_absolute_path(extracted):
    corpus, rules = extracted
    with load_corpus(corpus).open_store() as store:
        assert store.extraction_rules() == [RuleSetRef(str(rules.resolve()), fingerprint(rules))]


def test_refresh_with_the_rules_writes_no_path_of_this_machine(extracted, tmp_path_factory):
    corpus, rules = extracted
    out = tmp_path_factory.getbasetemp() / "refresh-out"
    result = cli("refresh", "--offline", "-c", corpus, "--rules", rules, "-o", out)
    assert result.exit_code == 0, result.output
    assert "extracted 0 records" in result.stdout  # unchanged records under unchanged rules
    texts = {p.relative_to(out).as_posix(): p.read_text(encoding="utf-8") for p in out.rglob("*")
             if p.suffix in (".json", ".graphml", ".jsonl", ".csv", ".md")}  # fmt: skip
    assert {"graph.json", "graph.graphml", "extractions.jsonl", "tables/evidence.csv"} <= set(texts)
    local = [str(tmp_path_factory.getbasetemp()), str(Path(rifkb.__file__).parent)]
    for name, text in texts.items():
        assert not [path for path in local if path in text], name
    assert TEST_DRUG in texts["graph.json"] and TEST_DRUG in texts["tables/evidence.csv"]
    (zz,) = [json.loads(line) for line in texts["extractions.jsonl"].splitlines() if "zz-1" in line]
    lexicon_line = len((rules / "lexicon.tsv").read_text(encoding="utf-8").splitlines())
    rules_of_test_drug = {m["evidence"]["rule"] for m in zz["mentions"] if m["concept"] == TEST_DRUG}
    assert rules_of_test_drug == {f"lexicon.tsv:{lexicon_line}"}
    assert all(re.fullmatch(r"[a-z_]+\.tsv:\w+|rifkb_\w+|abbreviation", m["evidence"]["rule"])
               for m in zz["mentions"])  # fmt: skip


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("edit", "rules at {rules} changed since the extraction; run `rifkb extract --rules {rules}`"),
        ("remove", "the rules the extractions were made with, {rules}, are gone; run `rifkb extract`"),
    ],
)
def test_changed_or_removed_rules_are_one_line_for_every_reader(tmp_path, change, message):
    rules = with_test_drug(copy_rules(tmp_path / "myrules"))
    corpus = new_corpus(tmp_path)
    assert cli("extract", "-c", corpus, "--rules", rules).exit_code == 0
    if change == "edit":
        with open(rules / "lexicon.tsv", "a", encoding="utf-8") as fh:
            fh.write(f"{TEST_DRUG}\tzetazumab-alfa\ti\n")
    else:
        shutil.rmtree(rules)
    for command in READERS:
        result = run(command, corpus, tmp_path / "out")
        assert result.exit_code == 1, command
        assert result.stderr == f"rifkb: {message.format(rules=rules)}\n", command
        assert "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
    again = ["extract", "--rules", str(rules)] if change == "edit" else ["extract"]
    assert cli(*again, "-c", corpus).stdout.startswith("extracted 2, unchanged 0")
    assert run(READERS[0], corpus, tmp_path / "out").exit_code == 0


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_readers_before_any_extraction_say_so(tmp_path, command):
    result = run(command, new_corpus(tmp_path), tmp_path / "out")
    assert result.exit_code == 1
    assert result.stderr == "rifkb: the corpus has no extractions yet: run `rifkb extract` first\n"


def test_corpus_toml_rules_are_used_without_the_option(tmp_path):
    """`rifkb init --rules` writes `rules = "myrules"`; extract uses them, and a changed
    rule file then asks for a plain `rifkb extract`."""
    rules = with_test_drug(copy_rules(tmp_path / "corpus" / "myrules"))
    assert cli("init", tmp_path / "corpus", "--rules", rules).exit_code == 0
    assert 'rules = "myrules"' in (tmp_path / "corpus" / "corpus.toml").read_text(encoding="utf-8")
    (tmp_path / "records.jsonl").write_text("".join(json.dumps(r) + "\n" for r in RECORDS), encoding="utf-8")
    corpus = tmp_path / "corpus"
    assert cli("import", "-c", corpus, tmp_path / "records.jsonl").exit_code == 0
    assert cli("extract", "-c", corpus).exit_code == 0
    with load_corpus(corpus).open_store() as store:
        assert store.extraction_rules() == [RuleSetRef("myrules", fingerprint(rules))]
    result = cli("graph", "-c", corpus, "-f", "json", "-o", tmp_path / "g.json")
    assert result.exit_code == 0, result.output
    assert f"intervention::{TEST_DRUG}" in (tmp_path / "g.json").read_text(encoding="utf-8")
    with open(rules / "lexicon.tsv", "a", encoding="utf-8") as fh:
        fh.write(f"{TEST_DRUG}\tzetazumab-alfa\ti\n")
    result = cli("graph", "-c", corpus, "-o", tmp_path / "g.graphml")
    assert result.exit_code == 1
    changed = f"rules at {corpus / 'myrules'} changed since the extraction; run `rifkb extract`"
    assert result.stderr == f"rifkb: {changed}\n"


def test_the_option_wins_over_corpus_toml(tmp_path):
    own = copy_rules(tmp_path / "corpus-rules")
    asked = with_test_drug(copy_rules(tmp_path / "asked"))
    corpus = load_corpus(new_corpus(tmp_path, rules=own))
    assert corpus.rules_dir == own
    with corpus.open_store() as store:
        extract_corpus(corpus, store, rules_dir=asked)
        assert store.extraction_rules() == [rule_set_ref(corpus, asked)]
        assert TEST_DRUG in rules_of_extraction(corpus, store).concepts


@pytest.mark.parametrize(
    ("value", "message"),
    [('"nowhere"', "rules folder {corpus}/nowhere does not exist"), ("3", "rules must be the path")],
)
def test_a_bad_rules_entry_in_corpus_toml_is_one_line(corpus, value, message):
    config = corpus.path / "corpus.toml"
    config.write_text(f"rules = {value}\n" + config.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(CorpusError, match=re.escape(message.format(corpus=corpus.path))):
        load_corpus(corpus.path)
    result = cli("status", "-c", corpus.path)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1


def test_locations_in_the_store(corpus, tmp_path):
    inside = copy_rules(corpus.path / "rules")
    outside = copy_rules(tmp_path / "elsewhere")
    assert rule_set_ref(corpus, RULES_DIR).location == PACKAGED_RULES
    assert rule_set_ref(corpus, inside).location == "rules"
    assert rule_set_ref(corpus, outside).location == str(outside.resolve())


def _stored(store, *refs: RuleSetRef) -> None:
    for i, ref in enumerate(refs):
        x = Extraction(f"t:{i}", None, None, None, None, (), (), (), ())
        store.save_extractions([x], {x.doc_id: ExtractionStamp("v", "h")}, ref)


@pytest.mark.parametrize(
    ("refs", "message"),
    [
        ((), "the corpus has no extractions yet: run `rifkb extract` first"),
        ((RuleSetRef("", ""),), "the extractions predate rifkb recording their rules; run `rifkb extract`"),
        ((RuleSetRef(PACKAGED_RULES, "a"), RuleSetRef(PACKAGED_RULES, "b")),
         "the extractions were made with 2 rule sets (an interrupted run?); run `rifkb extract`"),
        ((RuleSetRef(PACKAGED_RULES, "0" * 16),), f"rules at {RULES_DIR} changed since the extraction; "
         "run `rifkb extract`"),
    ],
)  # fmt: skip
def test_extractions_that_cannot_be_read_back(corpus, refs, message):
    with corpus.open_store() as store:
        _stored(store, *refs)
        with pytest.raises(RifkbError) as error:
            rules_of_extraction(corpus, store)
    assert str(error.value) == message


def test_extracting_again_names_the_rules_of_older_extractions(corpus, data):
    """Extractions stored before rifkb recorded their rules (schema 2), or read from a
    folder that has moved, are named by the next run without being read again."""
    with corpus.open_store() as store:
        import_files(store, [data / "pubmed" / "efetch_dev_records.xml"])
        extract_corpus(corpus, store)
    with closing(sqlite3.connect(corpus.store_path)) as db, db:
        db.execute("UPDATE extractions SET rules_location = '', rules_fingerprint = ''")
    with corpus.open_store() as store:
        with pytest.raises(RifkbError, match="predate"):
            rules_of_extraction(corpus, store)
        report = extract_corpus(corpus, store)
        assert (report.extracted, report.unchanged) == (0, 3)
        assert store.extraction_rules() == [RuleSetRef(PACKAGED_RULES, fingerprint(RULES_DIR))]
        assert rules_of_extraction(corpus, store).directory == RULES_DIR


def test_the_rules_of_an_extraction_are_read_again_only_when_a_file_changed(tmp_path, monkeypatch):
    # `rifkb serve` asks for them at every page: a dozen files read twice, each time, were
    # most of a record page. Files written in the last seconds are read whatever their
    # stats say (a write within the clock's granularity leaves them alike)
    import os

    import rifkb.kb.rulesets as rulesets

    rules = with_test_drug(copy_rules(tmp_path / "myrules"))
    corpus_dir = new_corpus(tmp_path)
    assert cli("extract", "-c", corpus_dir, "--rules", rules).exit_code == 0
    corpus = load_corpus(corpus_dir)
    reads = []
    monkeypatch.setattr(rulesets, "load_rules", lambda folder: reads.append(folder) or load_rules(folder))
    past = 1_600_000_000_000_000_000
    for path in rules.iterdir():
        os.utime(path, ns=(past, past))
    lexicon = rules / "lexicon.tsv"
    with corpus.open_store() as store:
        first = rules_of_extraction(corpus, store)
        assert rules_of_extraction(corpus, store) is first and len(reads) == 1
        os.utime(lexicon)  # written just now: not trusted to its stats
        rules_of_extraction(corpus, store)
        rules_of_extraction(corpus, store)
        assert len(reads) == 3
        lexicon.write_text(
            lexicon.read_text(encoding="utf-8").replace("zetazumab", "zetazumaB"), encoding="utf-8"
        )
        os.utime(lexicon, ns=(past + 10**9, past + 10**9))  # the same size, another time
        with pytest.raises(RifkbError, match="changed since the extraction"):
            rules_of_extraction(corpus, store)
