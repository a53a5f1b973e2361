"""The knowledge graph (networkx): papers, concepts, findings, effect estimates and RIF
definitions, and the evidence that links them.

Node ids name their kind (`paper::pmid:38365988`, `intervention::ivig`,
`finding::pmid:38365988::0`), after hetnetpy. Every edge carries its evidence (document,
sentence, effect estimate); identical facts from many papers merge into one edge with
many evidences, after INDRA. Aggregate `evidence` edges between concepts (intervention →
outcome, mechanism → outcome or population) count the papers and findings behind them
by direction and significance, and the study designs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from typing import Any

import networkx as nx

from rifkb.files import xml_safe
from rifkb.kb.audit import audit
from rifkb.kb.papers import Paper
from rifkb.records import EffectEstimate, Evidence, RifDefinition
from rifkb.rules import Concept

GRAPH_FORMATS = ("graphml", "gexf", "json", "cytoscape")


def concept_node(concept: Concept | str, ctype: str | None = None) -> str:
    if isinstance(concept, Concept):
        return f"{concept.type}::{concept.id}"
    return f"{ctype}::{concept}"


def paper_node(uid: str) -> str:
    return f"paper::{uid}"


def build_graph(papers: Iterable[Paper], concepts: dict[str, Concept]) -> nx.MultiDiGraph:
    graph = nx.MultiDiGraph(name="rifkb")
    for concept in concepts.values():
        graph.add_node(concept_node(concept), kind=concept.type, concept=concept.id, label=concept.label)
    for paper in papers:
        _add_paper(graph, paper)
        _add_mentions(graph, paper, concepts)
        _add_findings(graph, paper, concepts)
        _add_effects(graph, paper, concepts)
        _add_rif_definition(graph, paper)
    _add_aggregates(graph)
    return graph


def _evidence(paper: Paper, sentence: str, effect: str | None = None) -> dict[str, Any]:
    return {"doc_id": paper.extraction.doc_id, "pmid": paper.record.pmid, "sentence": sentence,
            "effect": effect}  # fmt: skip


def _merge_edge(graph: nx.MultiDiGraph, u: str, v: str, relation: str, evidence: dict) -> None:
    """One edge per (u, v, relation); each paper adds its evidence to it."""
    if graph.has_edge(u, v, key=relation):
        data = graph.edges[u, v, relation]
        if evidence["doc_id"] not in {e["doc_id"] for e in data["evidence"]}:
            data["evidence"].append(evidence)
    else:
        graph.add_edge(u, v, key=relation, relation=relation, evidence=[evidence])


def _add_paper(graph: nx.MultiDiGraph, paper: Paper) -> None:
    r, x = paper.record, paper.extraction
    graph.add_node(paper_node(x.doc_id), kind="paper", doc_id=x.doc_id, pmid=r.pmid, doi=r.doi,
                   title=r.title, year=r.year, first_author=r.first_author, design=x.study_design,
                   sample_size=x.sample_size, n_studies=x.n_studies, retracted=r.retracted)  # fmt: skip


def _add_mentions(graph: nx.MultiDiGraph, paper: Paper, concepts: dict[str, Concept]) -> None:
    """paper -mentions-> concept; paper -measures-> mechanism; intervention -studied_in-> population."""
    node = paper_node(paper.extraction.doc_id)
    first: dict[str, str] = {}
    for m in paper.extraction.mentions:
        first.setdefault(m.concept, m.evidence.sentence)
    for cid, sentence in first.items():
        relation = "measures" if concepts[cid].type == "mechanism" else "mentions"
        _merge_edge(graph, node, concept_node(concepts[cid]), relation, _evidence(paper, sentence))
    found = paper.extraction.concepts()
    for intervention in found["intervention"]:
        for population in found["population"]:
            _merge_edge(graph, concept_node(intervention, "intervention"),
                        concept_node(population, "population"), "studied_in",
                        _evidence(paper, first[intervention]))  # fmt: skip


def _add_findings(graph: nx.MultiDiGraph, paper: Paper, concepts: dict[str, Concept]) -> None:
    node = paper_node(paper.extraction.doc_id)
    for i, f in enumerate(paper.extraction.findings):
        fid = f"finding::{paper.extraction.doc_id}::{i}"
        graph.add_node(fid, kind="finding", finding_kind=f.kind, subject=f.subject, object=f.object,
                       direction=f.direction, significant=f.significant, hedged=f.hedged,
                       sentence=f.evidence.sentence, doc_id=paper.extraction.doc_id)  # fmt: skip
        evidence = _evidence(paper, f.evidence.sentence)
        graph.add_edge(node, fid, key="reports", relation="reports", evidence=[evidence])
        graph.add_edge(fid, concept_node(concepts[f.subject]), key="subject", relation="subject",
                       evidence=[evidence])  # fmt: skip
        graph.add_edge(fid, concept_node(concepts[f.object]), key="object", relation="object",
                       evidence=[evidence])  # fmt: skip


def _add_effects(graph: nx.MultiDiGraph, paper: Paper, concepts: dict[str, Concept]) -> None:
    """Each estimate a node, with the consistency audit's flags on it (`rifkb.kb.audit`)."""
    node = paper_node(paper.extraction.doc_id)
    flags = audit(paper.extraction)
    for i, e in enumerate(paper.extraction.effects):
        eid = f"effect::{paper.extraction.doc_id}::{i}"
        own = [f.message for f in flags if f.start == e.evidence.start]
        graph.add_node(eid, kind="effect", measure=e.measure, value=e.value, ci_low=e.ci_low,
                       ci_high=e.ci_high, p=e.p, outcome=e.outcome, adjusted=e.adjusted,
                       intervention=e.intervention, comparator=e.comparator, subgroup=e.subgroup,
                       flags=own, **_evidence_fields(e.evidence))  # fmt: skip
        evidence = {**_evidence(paper, e.evidence.sentence, format_effect(e)), "flags": own}
        graph.add_edge(node, eid, key="reports", relation="reports", evidence=[evidence])
        if e.outcome in concepts:
            graph.add_edge(eid, concept_node(concepts[e.outcome]), key="about", relation="about",
                           evidence=[evidence])  # fmt: skip


def _add_rif_definition(graph: nx.MultiDiGraph, paper: Paper) -> None:
    rif = paper.extraction.rif_definition
    if rif is None:
        return
    rid = f"rif_definition::{paper.extraction.doc_id}"
    graph.add_node(rid, kind="rif_definition", min_failed_transfers=rif.min_failed_transfers,
                   min_embryos=rif.min_embryos, embryo_quality=rif.embryo_quality,
                   max_age=rif.max_age, **_evidence_fields(rif.evidence))  # fmt: skip
    graph.add_edge(paper_node(paper.extraction.doc_id), rid, key="uses", relation="uses",
                   evidence=[_evidence(paper, rif.evidence.sentence)])  # fmt: skip


def _evidence_fields(evidence: Evidence) -> dict[str, Any]:
    """A fact's evidence as node attributes: its document, span, sentence and rule."""
    return {"doc_id": evidence.doc_id, "start": evidence.start, "end": evidence.end,
            "sentence": evidence.sentence, "rule": evidence.rule}  # fmt: skip


def effect_of(node: dict[str, Any]) -> EffectEstimate:
    """The effect estimate an `effect` node holds."""
    return EffectEstimate(node["measure"], node["value"], node.get("ci_low"), node.get("ci_high"),
                          node.get("p"), node.get("outcome"), node["adjusted"], _evidence_of(node),
                          node.get("intervention"), node.get("comparator"), node.get("subgroup"))  # fmt: skip


def rif_definition_of(node: dict[str, Any]) -> RifDefinition:
    """The RIF definition a `rif_definition` node holds."""
    return RifDefinition(node["min_failed_transfers"], node["min_embryos"], node["embryo_quality"],
                         node["max_age"], _evidence_of(node))  # fmt: skip


def _evidence_of(node: dict[str, Any]) -> Evidence:
    return Evidence(node["doc_id"], node["start"], node["end"], node["sentence"], node["rule"])


def _add_aggregates(graph: nx.MultiDiGraph) -> None:
    """subject -evidence-> object, summarising every finding that links them."""
    groups: dict[tuple[str, str], list[str]] = {}
    for fid, data in graph.nodes(data=True):
        if data.get("kind") == "finding":
            subject = next(v for _, v, k in graph.out_edges(fid, keys=True) if k == "subject")
            obj = next(v for _, v, k in graph.out_edges(fid, keys=True) if k == "object")
            groups.setdefault((subject, obj), []).append(fid)
    for (subject, obj), fids in sorted(groups.items()):
        findings = [graph.nodes[f] for f in fids]
        papers = sorted({f["doc_id"] for f in findings})
        designs = Counter(graph.nodes[paper_node(p)]["design"] or "unknown" for p in papers)
        graph.add_edge(
            subject, obj, key="evidence", relation="evidence", kind=findings[0]["finding_kind"],
            papers=len(papers), findings=len(findings),
            increase=sum(f["direction"] == "increase" for f in findings),
            decrease=sum(f["direction"] == "decrease" for f in findings),
            no_difference=sum(f["direction"] == "no_difference" for f in findings),
            significant=sum(f["significant"] is True for f in findings),
            not_significant=sum(f["significant"] is False for f in findings),
            designs=dict(sorted(designs.items())),
            evidence=[{"doc_id": f["doc_id"], "pmid": graph.nodes[paper_node(f["doc_id"])]["pmid"],
                       "sentence": f["sentence"], "direction": f["direction"],
                       "significant": f["significant"]} for f in findings],
        )  # fmt: skip


def format_effect(effect: Any) -> str:
    """'OR 3.64 (1.78-7.67)', as review tables write an estimate."""
    text = f"{'a' if effect.adjusted else ''}{effect.measure} {effect.value:g}"
    if effect.ci_low is not None:
        text += f" ({effect.ci_low:g} to {effect.ci_high:g})"
    return text + (
        f", p {effect.p}" if effect.p and effect.p[0] in "<>" else f", p={effect.p}" if effect.p else ""
    )


# --- files -------------------------------------------------------------------------------


def write_graph(graph: nx.MultiDiGraph, fmt: str) -> str:
    """The graph as text in a format Gephi, Cytoscape or networkx read back."""
    if fmt == "json":
        return json.dumps(nx.node_link_data(graph, edges="links"), sort_keys=True, default=str)
    if fmt == "cytoscape":
        return json.dumps(nx.cytoscape_data(_for_cytoscape(graph)), sort_keys=True)
    if fmt == "graphml":
        return "\n".join(nx.generate_graphml(_flat(graph))) + "\n"
    if fmt == "gexf":
        return "\n".join(nx.generate_gexf(_flat(graph))) + "\n"
    raise ValueError(fmt)


def read_graph(text: str, fmt: str) -> nx.MultiDiGraph:
    """Read a written graph back (lists and dicts come back as JSON strings in GraphML/GEXF)."""
    import io

    if fmt == "json":
        return nx.node_link_graph(json.loads(text), edges="links")
    if fmt == "cytoscape":
        return _from_cytoscape(nx.cytoscape_graph(json.loads(text)))
    if fmt == "graphml":
        return nx.read_graphml(io.BytesIO(text.encode()), force_multigraph=True)
    return nx.read_gexf(io.BytesIO(text.encode()))


# Cytoscape JSON names a node by `id`, `name` and `value` (networkx's cytoscape_data sets
# `value` to the node id): an effect's value travels as `estimate`, and comes back.
_CYTOSCAPE_NAMES = {"value": "estimate"}


def _for_cytoscape(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    renamed = graph.copy()
    for _, data in renamed.nodes(data=True):
        for ours, theirs in _CYTOSCAPE_NAMES.items():
            if ours in data:
                data[theirs] = data.pop(ours)
    return renamed


def _from_cytoscape(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    for _, data in graph.nodes(data=True):
        for key in ("id", "name", "value"):  # what cytoscape_data added
            data.pop(key, None)
        for ours, theirs in _CYTOSCAPE_NAMES.items():
            if theirs in data:
                data[ours] = data.pop(theirs)
    for _, _, data in graph.edges(data=True):
        for key in ("source", "target", "key"):
            data.pop(key, None)
    return graph


def _flat(graph: nx.MultiDiGraph) -> nx.MultiDiGraph:
    """GraphML and GEXF hold scalars only: lists and dicts become JSON, None is dropped;
    and XML text only: characters XML forbids, which imported text can hold, are dropped
    (files.xml_safe), so that Gephi, networkx and igraph read the file."""
    flat = nx.MultiDiGraph(name=graph.graph.get("name", "rifkb"))
    for node, data in graph.nodes(data=True):
        flat.add_node(xml_safe(node), **_scalars(data))
    for u, v, key, data in graph.edges(keys=True, data=True):
        flat.add_edge(xml_safe(u), xml_safe(v), key=xml_safe(key), **_scalars(data))
    return flat


def _scalars(data: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for name, value in data.items():
        if value is None:
            continue
        if isinstance(value, list | dict):
            value = json.dumps(value, sort_keys=True)
        out[name] = xml_safe(value) if isinstance(value, str) else value
    return out
