"""The knowledge graph and its queries, on the bundled corpus."""

from __future__ import annotations

import dataclasses
import json

import pytest

from rifkb.corpus.folder import load_corpus
from rifkb.errors import BadInputError
from rifkb.kb.graph import GRAPH_FORMATS, build_graph, read_graph, write_graph
from rifkb.kb.papers import papers_from_store
from rifkb.kb.query import concept_summary, query_links, resolve_concept
from rifkb.kb.runs import extract_corpus
from rifkb.rules import load_rules
from tests.conftest import copy_bundled_corpus


@pytest.fixture(scope="module")
def papers(tmp_path_factory):
    target = tmp_path_factory.mktemp("corpus") / "rif-ivig"
    copy_bundled_corpus(target)
    corpus = load_corpus(target)
    with corpus.open_store() as store:
        extract_corpus(corpus, store)
        return papers_from_store(store)


@pytest.fixture(scope="module")
def graph(papers):
    return build_graph(papers, load_rules())


def test_nodes_of_every_kind(graph, papers):
    kinds = {data["kind"] for _, data in graph.nodes(data=True)}
    assert {"paper", "intervention", "outcome", "mechanism", "population", "finding", "effect",
            "rif_definition"} <= kinds  # fmt: skip
    assert sum(1 for _, d in graph.nodes(data=True) if d["kind"] == "paper") == len(papers) == 110
    paper = graph.nodes["paper::pmid:38365988"]
    assert (paper["design"], paper["sample_size"], paper["year"]) == ("cohort", 143, 2024)


def test_every_edge_carries_evidence(graph):
    for u, v, key, data in graph.edges(keys=True, data=True):
        assert data["evidence"], (u, v, key)
        assert all(e["doc_id"] and e["sentence"] for e in data["evidence"])
    sentence = graph.edges["paper::pmid:38365988", "effect::pmid:38365988::0", "reports"]["evidence"][0]
    assert sentence["pmid"] == "38365988" and sentence["effect"] == "aOR 3.64 (1.78 to 7.67), p=0.0004"


def test_aggregate_edges_count_the_findings_and_estimates_behind_them(graph, papers):
    for u, v, key, data in graph.edges(keys=True, data=True):
        if key != "evidence":
            continue
        subject, obj = graph.nodes[u]["concept"], graph.nodes[v]["concept"]
        findings = [(p.extraction.doc_id, f) for p in papers for i, f in enumerate(p.extraction.findings)
                    if (f.subject, f.object) == (subject, obj)
                    and not graph.nodes[f"finding::{p.extraction.doc_id}::{i}"]["as_sample"]]  # fmt: skip
        estimates = [n for n, d in graph.nodes(data=True) if d["kind"] == "effect"
                     and graph.has_edge(n, u, "exposure") and graph.has_edge(n, v, "about")]  # fmt: skip
        assert (data["findings"], data["estimates"]) == (len(findings), len(estimates))
        assert data["papers"] == len({d for d, _ in findings} | {graph.nodes[e]["doc_id"] for e in estimates})
        assert data["increase"] + data["decrease"] + data["no_difference"] == len(findings)
        assert sum(data["designs"].values()) == data["papers"]


def test_a_finding_about_a_sample_counts_in_no_aggregate(graph):
    """Lin 2012 (PMID 22687138) measured Foxp3 mRNA in PBMCs: no PBMC treatment finding."""
    sample = [d for _, d in graph.nodes(data=True) if d["kind"] == "finding" and d["as_sample"]]
    assert any(d["subject"] == "pbmc" and d["doc_id"] == "pmid:22687138" for d in sample)
    assert graph.has_edge("paper::pmid:22687138", "intervention::pbmc", key="samples")
    assert not graph.has_edge("paper::pmid:22687138", "intervention::pbmc", key="mentions")
    pbmc = {graph.nodes[v]["concept"] for _, v, k in graph.out_edges("intervention::pbmc", keys=True)}
    evidence = [e["doc_id"] for _, _, k, d in graph.out_edges("intervention::pbmc", keys=True, data=True)
                if k in ("evidence", "studied_in", "co_studied") for e in d["evidence"]]  # fmt: skip
    assert pbmc and not {"pmid:22687138", "pmid:38164429"} & set(evidence)


def test_ivig_to_live_birth_is_found_with_its_evidence(graph):
    links = query_links(graph, "ivig", "live_birth")
    (direct,) = links.direct
    assert "pmid:38365988" in direct.papers
    sentences = [e.sentence.lower() for e in direct.evidence]
    assert any("higher live birth rate" in s or "higher odds of live birth" in s for s in sentences)


def test_absent_link_is_not_found(graph):
    links = query_links(graph, "sildenafil", "live_birth")
    assert links.direct == () and links.paths == ()


def test_mechanism_to_outcome_through_an_intervention(graph):
    links = query_links(graph, "nk_uterine", "live_birth")
    chains = [[s.target.split("::")[1] for s in path] for path in links.paths]
    assert ["ivig", "live_birth"] in chains


def test_concept_summary(graph):
    summary = concept_summary(graph, "ivig")
    assert summary.type == "intervention" and len(summary.papers) == sum(summary.designs.values())
    assert any(f.other == "live_birth" and f.role == "subject" for f in summary.findings)
    assert any(e.measure == "OR" and e.value == 3.64 and e.evidence.sentence for e in summary.effects)
    assert any(d.definition.min_failed_transfers == 3 and d.year for d in summary.rif_definitions)


NAMES = [("IVIg", "ivig"), ("uterine NK cells", "nk_uterine"), ("Live births", "live_birth"),
         ("TNF-alpha", "tnf_alpha")]  # fmt: skip


@pytest.mark.parametrize(("name", "concept"), NAMES)
def test_names_resolve(name, concept):
    assert resolve_concept(name, load_rules()) == concept


def test_unknown_concept_suggests_close_ones():
    with pytest.raises(BadInputError, match=r"unknown concept 'ivg'; did you mean ivig"):
        resolve_concept("ivg", load_rules())


@pytest.mark.parametrize("fmt", GRAPH_FORMATS)
def test_round_trip(graph, fmt):
    again = read_graph(write_graph(graph, fmt), fmt)
    assert again.number_of_nodes() == graph.number_of_nodes()
    assert again.number_of_edges() == graph.number_of_edges()
    paper = again.nodes["paper::pmid:38365988"]
    assert paper["title"].startswith("Intravenous immunoglobulin for patients with unexplained")
    edges = again.edges(data=True)
    ivig, live_birth = "intervention::ivig", "outcome::live_birth"
    edge = next(d for u, v, d in edges if (u, v) == (ivig, live_birth) and d.get("relation") == "evidence")
    evidence = edge["evidence"] if fmt in ("json", "cytoscape") else json.loads(edge["evidence"])
    assert {e["doc_id"] for e in evidence} >= {"pmid:38365988"}


# --- links read from real sentences (issue 17) ---------------------------------------------

# Short abstracts in the words of real ones: Singh 2023 (PMID 38164429) took blood for
# PBMC, a sample; PBMC trials infused it, a therapy; IVIg and intralipid trials in RIF.
SMALL_CORPUS = {
    "test:pbmc-sample": "Peripheral venous blood was also taken during the biopsy to detect NK cells in "
    "peripheral blood mononuclear cells using flow cytometry. The median value of uterine NK cells was "
    "significantly higher in women with recurrent implantation failure than in fertile controls (p = 0.01).",
    "test:pbmc-trial": "Intrauterine administration of autologous peripheral blood mononuclear cells (PBMCs) "
    "before embryo transfer increased the live birth rate in women with recurrent implantation failure "
    "(OR 2.4, 95% CI 1.4-4.2).",
    "test:ivig-unk": "Women with recurrent implantation failure and elevated uterine natural killer cells "
    "received intravenous immunoglobulin or no treatment. The live birth rate was significantly higher in "
    "the IVIg group than in the control group (OR 2.5, 95% CI 1.2-5.1).",
    "test:unk-live-birth": "A high density of uterine NK cells was associated with a lower live birth rate "
    "(OR 0.45, 95% CI 0.25-0.80).",
    "test:co-mention": "Intravenous immunoglobulin has been used in women with recurrent implantation "
    "failure. Uterine NK cells were counted in endometrial biopsies from 40 women.",
    "test:intralipid": "Women with recurrent implantation failure received intralipid infusion or saline. "
    "The live birth rate was significantly higher with intralipid than with saline (35% vs 20%, p = 0.03).",
}


def _paper(nlp, uid, text):
    from rifkb.kb.papers import Paper
    from rifkb.nlp.reading import extract_record
    from rifkb.records import AbstractSection, Record

    record = Record(source_id=uid, title="", abstract=(AbstractSection(text),), year=2020)
    return Paper(record, extract_record(nlp, record))


@pytest.fixture(scope="module")
def small(nlp):
    return build_graph([_paper(nlp, uid, text) for uid, text in SMALL_CORPUS.items()], load_rules())


def _chains(links):
    return [[step.target.split("::")[1] for step in path] for path in links.paths]


USES = [  # (sentence, whether the paper studies PBMC as a therapy)
    ("Peripheral blood mononuclear cells (PBMC) were isolated from women with recurrent implantation "
     "failure and fertile controls.", False),
    ("PBMCs were collected from 30 women with recurrent implantation failure.", False),
    ("The proportion of NK cells in PBMCs was higher in women with recurrent implantation failure.", False),
    ("The expression level of Foxp3 mRNA in PBMCs from the pregnant group significantly increased "
     "(P = 0.02).", False),
    ("Intrauterine administration of autologous PBMCs improved the clinical pregnancy rate in women with "
     "recurrent implantation failure.", True),
    ("The live birth rate was higher in the PBMC group than in the control group (42% vs 25%).", True),
    ("Autologous PBMCs were cultured with hCG for 48 hours. The clinical pregnancy rate was higher in "
     "PBMC-treated women than in controls (45% vs 28%, p = 0.02).", True),
]  # fmt: skip


@pytest.mark.parametrize(("text", "studied"), USES)
def test_an_intervention_named_as_a_sample_is_not_studied(nlp, text, studied):
    from rifkb.kb.uses import ContextReader, uses_of

    uses = uses_of(_paper(nlp, "test:1", text).extraction, ContextReader(load_rules().contexts))
    assert uses["pbmc"].studied is studied


def test_a_sample_makes_no_study_of_the_therapy(small):
    sample, trial = "paper::test:pbmc-sample", "paper::test:pbmc-trial"
    assert graph_keys(small, sample, "intervention::pbmc") == {"samples"}
    assert graph_keys(small, trial, "intervention::pbmc") == {"mentions"}
    assert [
        e["doc_id"] for e in small.edges["intervention::pbmc", "population::rif", "studied_in"]["evidence"]
    ] == ["test:pbmc-trial"]
    assert not small.has_edge("intervention::pbmc", "mechanism::nk_uterine")


def graph_keys(graph, u, v):
    return set(graph[u][v]) if graph.has_edge(u, v) else set()


def test_paths_pass_through_populations_only_when_asked(small):
    chains = _chains(query_links(small, "nk_uterine", "live_birth"))
    assert chains == [["ivig", "live_birth"]]
    wide = _chains(query_links(small, "nk_uterine", "live_birth", through_populations=True))
    assert ["rif", "intralipid", "live_birth"] in wide and ["rif", "pbmc", "live_birth"] in wide
    assert ["pbmc", "live_birth"] not in wide  # a blood sample is no path


def test_mechanism_intervention_outcome_keeps_evidence_per_step(small):
    (path,) = query_links(small, "nk_uterine", "live_birth").paths
    unk, ivig = path
    assert (unk.relation, unk.backwards, unk.papers) == ("co_studied", True, ("test:ivig-unk",))
    assert [e.sentence for e in unk.evidence] == [SMALL_CORPUS["test:ivig-unk"].split(". ")[0] + "."]
    assert ivig.relation == "evidence" and [
        (e.direction, e.significant, e.effect) for e in ivig.evidence
    ] == [("increase", True, "OR 2.5 (1.2 to 5.1)")]
    assert ivig.evidence[0].sentence.startswith(
        "The live birth rate was significantly higher in the IVIg group"
    )


def test_a_mechanism_outcome_link_is_a_finding_or_an_estimate(small, nlp):
    (direct,) = query_links(small, "nk_uterine", "live_birth").direct
    assert direct.papers == ("test:unk-live-birth",)
    assert [(e.direction, e.effect) for e in direct.evidence] == [("decrease", "OR 0.45 (0.25 to 0.8)")]
    # two names in one abstract link nothing: IVIg named in the background, uNK counted
    co_studied = small.edges["intervention::ivig", "mechanism::nk_uterine", "co_studied"]["evidence"]
    assert {e["doc_id"] for e in co_studied} == {"test:ivig-unk"}
    # an estimate with no finding beside it links its exposure and outcome
    paper = _paper(nlp, "test:estimate", SMALL_CORPUS["test:unk-live-birth"])
    alone = dataclasses.replace(paper, extraction=dataclasses.replace(paper.extraction, findings=()))
    (direct,) = query_links(build_graph([alone], load_rules()), "nk_uterine", "live_birth").direct
    assert [(e.direction, e.significant, e.effect) for e in direct.evidence] == [
        ("decrease", True, "OR 0.45 (0.25 to 0.8)")
    ]
