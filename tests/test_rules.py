"""Rule files: validated at load with file:line errors; users extend them without code."""

from __future__ import annotations

import re
import shutil

import pytest

from rifkb.errors import RuleFileError
from rifkb.rules import CUE_CATEGORIES, RULES_DIR, ContextCue, load_rules


@pytest.fixture
def rules_copy(tmp_path):
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def append(path, line):
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def line_count(path):
    return len(path.read_text(encoding="utf-8").splitlines())


@pytest.mark.parametrize(
    ("file", "line", "message"),
    [
        (
            "lexicon.tsv",
            "ivigg\tsome name\ti",
            "unknown concept 'ivigg' (not in concepts.tsv; did you mean ivig?)",
        ),
        ("lexicon.tsv", "ivig\tsome name\tx", "case must be i (insensitive) or s (sensitive)"),
        ("lexicon.tsv", "ivig", "expected 3 to 4 tab-separated columns, found 1"),
        ("patterns.tsv", "ivig\t(unclosed", "bad regular expression"),
        ("cues.tsv", "sideways\tup", "category 'sideways' is not one of"),
        ("measures.tsv", "XR\tx ratio\ti\t0", "measure 'XR' is not one of"),
        ("designs.tsv", "rct\ttext\trandomly\tfirst", "when must be empty or one of"),
        ("designs.tsv", "rct\tabstract\trandomly", "where must be one of"),
        ("designs.tsv", "nrct\ttext\t*", "phrase '*' (no words) needs a `when`"),
        ("designs.tsv", "cohort\ttext\tcohort", "never applies, the same rule as designs.tsv:"),
        ("concepts.tsv", "ivig\tintervention\tduplicate", "concept 'ivig' defined twice"),
        ("numbers.tsv", "dozen\ttwelve", "'twelve' is not a whole number"),
        ("concepts.tsv", "zz_new\tpopulation\ta label\tbystander", "role 'bystander' is not one of"),
        ("contexts.tsv", "specimen\tcells in {}", "role 'specimen' is not one of sample, therapy"),
        ("contexts.tsv", "sample\tcells in PBMC", "the phrase needs one {} where the name stands"),
        ("contexts.tsv", "sample\t{}", "the phrase needs words beside {}"),
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


def test_the_graph_s_context_phrases_are_not_fingerprinted(rules_copy):
    """contexts.tsv is read by the knowledge graph, not by extraction: changing it needs no
    new extraction, and the graph reads it as it is now."""
    first = load_rules(rules_copy)
    append(rules_copy / "contexts.tsv", "sample\t{} lysates")
    again = load_rules(rules_copy)
    assert again.fingerprint == first.fingerprint
    assert again.contexts[-1] == ContextCue(
        "sample", "", "lysates", f"contexts.tsv:{line_count(rules_copy / 'contexts.tsv')}"
    )


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


# --- no row the matcher already generates, no category that nothing reads -----------------

NLP_SOURCE = "".join(p.read_text(encoding="utf-8") for p in (RULES_DIR.parent / "nlp").glob("*.py"))


def _redundant(rules_dir=RULES_DIR):
    from rifkb.nlp.text import Name, redundant_names

    rules = load_rules(rules_dir)
    return [
        *redundant_names(Name(t.text, t.case_sensitive, (t.concept, t.unless), t.source)
                         for t in rules.terms),
        *redundant_names((Name(p, False, c, f"cues.tsv:{c}") for c, ps in rules.cues.items() for p in ps),
                         plural=False),
        *redundant_names((Name(m.text, m.case_sensitive, (m.measure, m.adjusted), f"measures.tsv:{m.text}")
                          for m in rules.measures), plural=False),
        *redundant_names((Name(d.phrase, False, (d.design, d.where, d.when), d.source)
                          for d in rules.designs if d.where != "pubtype" and d.phrase != "*"), plural=False),
    ]  # fmt: skip


def test_no_rule_row_is_a_spelling_the_matcher_already_generates():
    found = [f"{a.source} {a.text!r} (generated by {b.source} {b.text!r})" for a, b in _redundant()]
    assert not found, "redundant rule rows:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("file", "line"),
    [
        ("lexicon.tsv", "ivig\tIntravenous Immunoglobulins\ti"),  # a plural, another case
        ("lexicon.tsv", "ivig\tintravenous-immunoglobulin\ti"),  # a hyphen for a space
        ("lexicon.tsv", "tnf_alpha\tTNF-alpha\ti"),  # a Greek letter spelled out
        ("cues.tsv", "not_significant\tnon significant"),
    ],
)
def test_the_redundancy_check_catches_a_generated_spelling(rules_copy, file, line):
    append(rules_copy / file, line)
    assert [a.text for a, _ in _redundant(rules_copy)] == [line.split("\t")[1]]


@pytest.mark.parametrize("category", CUE_CATEGORIES)
def test_every_cue_category_is_read_by_a_component(category):
    assert f'"{category}"' in NLP_SOURCE or f"'{category}'" in NLP_SOURCE, f"no component reads {category}"


def test_concept_roles_come_from_the_rule_file():
    rules = load_rules()
    assert rules.with_role("condition") == {"rif", "rpl", "infertility"}
    assert rules.with_role("control") == {"fertile_controls"}


@pytest.mark.parametrize("file", ["concepts.tsv", "lexicon.tsv", "cues.tsv", "sentences.tsv"])
def test_an_empty_rule_file_is_refused(rules_copy, file):
    (rules_copy / file).write_text("", encoding="utf-8")
    with pytest.raises(RuleFileError) as error:
        load_rules(rules_copy)
    assert str(error.value).startswith(f"{rules_copy / file}: empty rule file")


@pytest.mark.parametrize("file", ["concepts.tsv", "lexicon.tsv", "rate_heads.tsv", "sentences.tsv"])
def test_a_rule_file_without_its_header_is_refused_not_shortened(rules_copy, file):
    """Without the check the first rule was taken for the header and dropped; for
    concepts.tsv the error then blamed lexicon.tsv, whose rows named the lost concept."""
    path = rules_copy / file
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    rules = [line for line in lines[1:] if line.strip() and not line.startswith("#")]
    path.write_text("".join(rules), encoding="utf-8")
    with pytest.raises(RuleFileError) as error:
        load_rules(rules_copy)
    assert str(error.value).startswith(f"{path}:1: expected the header row ")


def test_a_header_only_rule_file_is_no_rules(rules_copy):
    (rules_copy / "rate_heads.tsv").write_text("word\tconcept\n# none\n", encoding="utf-8")
    assert load_rules(rules_copy).rate_heads == {}


def test_comment_lines_may_come_before_the_header(rules_copy):
    path = rules_copy / "numbers.tsv"
    path.write_text("# number words\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    assert load_rules(rules_copy).numbers["two"] == 2


def test_an_unknown_concept_says_where_concepts_are_defined(rules_copy):
    append(rules_copy / "lexicon.tsv", "zz_drug\tzedomab\ti")
    with pytest.raises(RuleFileError, match=r"unknown concept 'zz_drug' \(not in concepts.tsv"):
        load_rules(rules_copy)


def test_a_folder_read_again_unchanged_is_not_parsed_again(rules_copy, tmp_path, monkeypatch):
    # `rifkb serve` reads the corpus's rules for every page: parsed once while no file
    # changes, parsed again (and refused, if broken) as soon as one does
    import rifkb.rules.loader as loader

    parsed = []
    real = loader._parsed
    monkeypatch.setattr(loader, "_parsed", lambda *args: parsed.append(args[0]) or real(*args))
    first = load_rules(rules_copy)
    assert load_rules(rules_copy) is first and len(parsed) == 1
    twin = shutil.copytree(rules_copy, tmp_path / "twin")
    assert load_rules(twin).directory == twin and len(parsed) == 2  # same files, its own folder
    append(rules_copy / "lexicon.tsv", "ivig\tPrivigen\ti")
    changed = load_rules(rules_copy)
    assert changed is not first and any(t.text == "Privigen" for t in changed.terms)
    append(rules_copy / "lexicon.tsv", "ivigg\tsome name\ti")
    with pytest.raises(RuleFileError, match="unknown concept 'ivigg'"):
        load_rules(rules_copy)
