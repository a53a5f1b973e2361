"""Rule files: validated at load with file:line errors; users extend them without code."""

from __future__ import annotations

import re
import shutil

import pytest

from rifkb.errors import RuleFileError
from rifkb.rules import RULES_DIR, load_rules


@pytest.fixture
def rules_copy(tmp_path):
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def append(path, line):
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def line_count(path):
    return len(path.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize(
    ("file", "line", "message"),
    [
        ("lexicon.tsv", "ivigg\tsome name\ti", "unknown concept 'ivigg' (did you mean ivig?)"),
        ("lexicon.tsv", "ivig\tsome name\tx", "case must be i (insensitive) or s (sensitive)"),
        ("lexicon.tsv", "ivig", "expected 3 to 4 tab-separated columns, found 1"),
        ("patterns.tsv", "ivig\t(unclosed", "bad regular expression"),
        ("cues.tsv", "sideways\tup", "category 'sideways' is not one of"),
        ("measures.tsv", "XR\tx ratio\ti\t0", "measure 'XR' is not one of"),
        ("designs.tsv", "rct\ttext\trandomly\tfirst", "priority must be a whole number"),
        ("concepts.tsv", "ivig\tintervention\tduplicate", "concept 'ivig' defined twice"),
        ("numbers.tsv", "dozen\ttwelve", "'twelve' is not a whole number"),
    ],
)
def test_broken_rule_file_names_file_and_line(rules_copy, file, line, message):
    append(rules_copy / file, line)
    with pytest.raises(RuleFileError) as error:
        load_rules(rules_copy)
    assert str(error.value).startswith(f"{rules_copy / file}:{line_count(rules_copy / file)}: ")
    assert message in str(error.value)


def test_rule_sources_name_the_file_within_its_folder(rules_copy):
    """Evidence names `lexicon.tsv:9`, never the folder: outputs are the same on every machine."""
    rules = load_rules(rules_copy)
    sources = [r.source for r in (*rules.terms, *rules.patterns, *rules.designs)]
    assert sources and all(re.fullmatch(r"(lexicon|patterns|designs)\.tsv:\d+", s) for s in sources)
    lexicon = (rules_copy / "lexicon.tsv").read_text(encoding="utf-8").splitlines()
    term = rules.terms[0]
    assert lexicon[int(term.source.split(":")[1]) - 1].split("\t")[:2] == [term.concept, term.text]


def test_missing_rule_file(rules_copy):
    (rules_copy / "cues.tsv").unlink()
    with pytest.raises(RuleFileError, match="cues.tsv: missing rule file"):
        load_rules(rules_copy)


def test_a_user_adds_a_synonym_without_code(rules_copy):
    from rifkb.nlp import build_pipeline
    from rifkb.nlp.reading import extract_record
    from rifkb.records import AbstractSection, Record

    record = Record(source_id="t:1", abstract=(AbstractSection("Women received Privigen before transfer."),))
    before = extract_record(build_pipeline(rules_dir=str(rules_copy)), record)
    append(rules_copy / "lexicon.tsv", "ivig\tPrivigen\ti")
    after = extract_record(build_pipeline(rules_dir=str(rules_copy)), record)
    assert before.concepts()["intervention"] == []
    assert after.concepts()["intervention"] == ["ivig"]


def test_fingerprint_follows_content(rules_copy):
    first = load_rules(rules_copy).fingerprint
    append(rules_copy / "lexicon.tsv", "ivig\tPrivigen\ti")
    assert load_rules(rules_copy).fingerprint != first


def test_a_user_adds_a_concept_without_code(rules_copy):
    from rifkb.nlp import build_pipeline
    from rifkb.nlp.reading import extract_record
    from rifkb.records import AbstractSection, Record

    append(rules_copy / "concepts.tsv", "melatonin\tintervention\tmelatonin supplementation")
    append(rules_copy / "lexicon.tsv", "melatonin\tmelatonin\ti")
    text = "Melatonin did not improve the clinical pregnancy rate in women with RIF."
    record = Record(source_id="t:1", abstract=(AbstractSection(text),))
    extraction = extract_record(build_pipeline(rules_dir=str(rules_copy)), record)
    assert extraction.concepts()["intervention"] == ["melatonin"]
    assert {f.key for f in extraction.findings} == {
        ("treatment", "melatonin", "clinical_pregnancy", "no_difference")
    }
