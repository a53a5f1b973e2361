"""The knowledge graph and its queries, on the bundled corpus."""

from __future__ import annotations

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
    return build_graph(papers, load_rules().concepts)


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


def test_aggregate_edges_count_the_findings_behind_them(graph, papers):
    for u, v, key, data in graph.edges(keys=True, data=True):
        if key != "evidence":
            continue
        subject, obj = graph.nodes[u]["concept"], graph.nodes[v]["concept"]
        findings = [(p.extraction.doc_id, f) for p in papers for f in p.extraction.findings
                    if (f.subject, f.object) == (subject, obj)]  # fmt: skip
        assert data["findings"] == len(findings)
        assert data["papers"] == len({d for d, _ in findings})
        assert data["increase"] + data["decrease"] + data["no_difference"] == len(findings)
        assert sum(data["designs"].values()) == data["papers"]


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
