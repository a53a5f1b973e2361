"""rifkb's components as anyone's spaCy components: registered, declared, serialisable,
saved with their rules, and loadable in a fresh process through the entry point."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin
from typer.testing import CliRunner

from rifkb.cli import app
from rifkb.corpus.formats import read_records
from rifkb.errors import PipelineError
from rifkb.nlp import build_pipeline
from rifkb.nlp.pipeline import COMPONENTS, register_components
from rifkb.nlp.reading import extract_record, record_doc, to_extraction
from rifkb.records import AbstractSection, Record
from rifkb.rules import RULES_DIR

ABSTRACT = (
    "Intravenous immunoglobulin (IVIg) in recurrent implantation failure (RIF)",
    "Women with three or more failed IVF cycles received IVIg. The live birth rate was higher "
    "with IVIg (32/49) than without (32/94) (OR 3.64; 95% CI 1.78-7.67; p < 0.001).",
)


def _record() -> Record:
    return Record(source_id="t:1", title=ABSTRACT[0], abstract=(AbstractSection(ABSTRACT[1]),))


def _copy_rules(target: Path) -> Path:
    shutil.copytree(RULES_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


# Each component alone on a blank pipeline: either it works, or it names what to add.
MISSING = [
    ("rifkb_numbers_v1", "rifkb_sentences_v1"),
    ("rifkb_counts_v1", "rifkb_sentences_v1"),
    ("rifkb_rif_definition_v1", "rifkb_sentences_v1"),
    ("rifkb_design_v1", "rifkb_sentences_v1"),
    ("rifkb_findings_v1", "rifkb_sentences_v1"),
]


@pytest.mark.parametrize(("factory", "provider"), MISSING)
def test_a_component_alone_names_the_component_it_lacks(factory, provider):
    register_components()
    nlp = spacy.blank("en")
    nlp.add_pipe(factory)
    with pytest.raises(PipelineError, match=f"{factory} needs .*add {provider}"):
        nlp("IVIg improved the live birth rate (OR 3.64, 95% CI 1.78-7.67).")


def test_with_sentences_the_numbers_component_asks_for_mentions_then_cues():
    register_components()
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("rifkb_numbers_v1")
    with pytest.raises(PipelineError, match="add rifkb_concepts_v1"):
        nlp("IVIg improved the live birth rate (OR 3.64, 95% CI 1.78-7.67).")
    nlp.add_pipe("rifkb_concepts_v1", before="rifkb_numbers_v1")
    with pytest.raises(PipelineError, match="add rifkb_cues_v1"):
        nlp("IVIg improved the live birth rate (OR 3.64, 95% CI 1.78-7.67).")
    nlp.add_pipe("rifkb_cues_v1", before="rifkb_numbers_v1")
    doc = nlp("IVIg improved the live birth rate (OR 3.64, 95% CI 1.78-7.67).")
    assert [(e["measure"], e["value"], e["ci_low"], e["ci_high"]) for e in doc._.rifkb_effects] == [
        ("OR", 3.64, 1.78, 7.67)
    ]


def test_concepts_alone_on_a_blank_pipeline_fill_doc_spans():
    register_components()
    nlp = spacy.blank("en")
    nlp.add_pipe("rifkb_concepts_v1")
    doc = nlp("Uterine NK cells and IVIg in recurrent implantation failure.")
    found = {(s.text, s.label_, s.id_) for s in doc.spans["rifkb_mentions"]}
    assert found == {
        ("Uterine NK cells", "mechanism", "nk_uterine"),
        ("IVIg", "intervention", "ivig"),
        ("recurrent implantation failure", "population", "rif"),
    }
    assert {s._.rifkb_rule.split(":")[0] for s in doc.spans["rifkb_mentions"]} == {"lexicon.tsv"}


def test_a_name_inside_a_token_becomes_the_whole_token():
    register_components()
    nlp = build_pipeline()
    doc = nlp("Women undergoing IVF/ICSI were enrolled.")
    assert [(s.text, s.id_) for s in doc.spans["rifkb_mentions"]] == [("IVF/ICSI", "ivf")]


def test_the_whole_pipeline_declares_what_it_requires_and_assigns():
    analysis = build_pipeline().analyze_pipes()
    assert not any(analysis["problems"].values()), analysis["problems"]
    assigned = {a for summary in analysis["summary"].values() for a in summary["assigns"]}
    assert {"doc.spans", "doc._.rifkb_effects", "doc._.rifkb_findings", "doc._.rifkb_design"} <= assigned


def test_a_processed_doc_survives_docbin_with_user_data():
    nlp = build_pipeline()
    doc = nlp(record_doc(nlp, _record()))
    data = DocBin(docs=[doc], store_user_data=True).to_bytes()
    (restored,) = DocBin().from_bytes(data).get_docs(nlp.vocab)
    assert to_extraction(restored) == to_extraction(doc)
    assert len(restored.spans["rifkb_mentions"]) == len(doc.spans["rifkb_mentions"]) > 3


def test_the_blank_pipeline_builds_scispacys_tokenizer_alone_and_names_it(data):
    # spaCy used to build English's own tokenizer (~0.1 s, its special cases) only for
    # rifkb to replace it; now the config names scispaCy's, which tokenizes as scispaCy
    # documents its use (`nlp.tokenizer = combined_rule_tokenizer(nlp)`)
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    from rifkb.nlp.pipeline import TOKENIZER

    nlp = build_pipeline()
    assert nlp.config["nlp"]["tokenizer"] == {"@tokenizers": TOKENIZER}
    documented = spacy.blank("en")
    documented.tokenizer = combined_rule_tokenizer(documented)
    lines = (data / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    texts = [f"{r['title']}\n\n{r['abstract']}" for r in map(json.loads, lines)]
    texts += [
        "IVIg (0.4 g/kg) in RIF-patients; p<0.05, n=120, see https://example.org/a.b and 1.5×10^6 cells."
    ]
    for text in texts:
        assert [t.text for t in nlp.tokenizer(text)] == [t.text for t in documented.tokenizer(text)]


def test_saved_rules_travel_with_the_pipeline(tmp_path):
    rules = _copy_rules(tmp_path / "rules")
    with open(rules / "concepts.tsv", "a", encoding="utf-8") as fh:
        fh.write("zz_drug\tintervention\ta test drug\n")
    with open(rules / "lexicon.tsv", "a", encoding="utf-8") as fh:
        fh.write("zz_drug\tzedomab\ti\n")
    nlp = build_pipeline(rules_dir=str(rules))
    nlp.to_disk(tmp_path / "pipeline")
    shutil.rmtree(rules)  # the saved pipeline must not need the folder it was built from
    loaded = spacy.load(tmp_path / "pipeline")
    doc = loaded("Zedomab in RIF.")
    assert {s.id_ for s in doc.spans["rifkb_mentions"]} == {"zz_drug", "rif"}
    assert (
        loaded.get_pipe("rifkb_concepts").rules.fingerprint
        == nlp.get_pipe("rifkb_concepts").rules.fingerprint
    )


FRESH_PROCESS = """
import json, sys
import spacy
from rifkb.corpus.formats import read_records
from rifkb.nlp.reading import extract_record
nlp = spacy.load(sys.argv[1])
records = [r for chunk in read_records(__import__("pathlib").Path(sys.argv[2]), "jsonl") for r in chunk]
doc = nlp("Uterine NK cells and IVIg in recurrent implantation failure.")
print(json.dumps({"mentions": [s.id_ for s in doc.spans["rifkb_mentions"]],
                  "records": [extract_record(nlp, r).to_json() for r in records]}))
"""


@pytest.mark.slow
def test_a_saved_pipeline_in_a_fresh_process_reads_as_rifkb_extract(tmp_path, data):
    result = CliRunner().invoke(app, ["pipeline", "save", str(tmp_path / "pipeline")])
    assert result.exit_code == 0, result.output
    done = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", FRESH_PROCESS, str(tmp_path / "pipeline"), str(data / "dev.jsonl")],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    out = json.loads(done.stdout)
    assert out["mentions"] == ["nk_uterine", "ivig", "rif"]
    records = [r for chunk in read_records(data / "dev.jsonl", "jsonl") for r in chunk]
    nlp = build_pipeline()
    assert out["records"] == [extract_record(nlp, r).to_json() for r in records]


def test_every_component_is_an_entry_point():
    from importlib.metadata import entry_points

    names = {e.name for e in entry_points(group="spacy_factories")}
    assert set(COMPONENTS) <= names
