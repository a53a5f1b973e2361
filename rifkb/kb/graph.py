"""The knowledge graph (networkx): papers, concepts, findings, effect estimates and RIF
definitions, and the evidence that links them.

Node ids name their kind (`paper::pmid:38365988`, `intervention::ivig`,
`finding::pmid:38365988::0`), after hetnetpy. Every edge carries its evidence (document,
sentence, effect estimate); identical facts from many papers merge into one edge with
many evidences, after INDRA. Aggregate `evidence` edges between concepts (intervention →
outcome, mechanism → outcome or population) are made of findings and effect estimates,
never of two names in one abstract: they count the papers, findings and estimates behind
them by direction and significance, and the study designs.

A paper studies an intervention unless it names it only as a sample or a material
(`rifkb.kb.uses`: "NK cells in peripheral blood mononuclear cells"): such a paper
`samples` it rather than `mentions` it, and makes no `studied_in`, no `co_studied` and no
treatment finding of it. An intervention is `co_studied` with a mechanism when a sentence
names both, or when the paper tests the intervention (an arm, an estimate, a treatment
finding) and measures the mechanism; its evidence is those sentences.
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
from rifkb.kb.uses import ContextReader, Use, uses_of
from rifkb.records import EffectEstimate, Evidence, RifDefinition, no_effect
from rifkb.records.labels import study_label
from rifkb.rules import Concept, RuleSet

GRAPH_FORMATS = ("graphml", "gexf", "json", "cytoscape")


def concept_node(concept: Concept | str, ctype: str | None = None) -> str:
    if isinstance(concept, Concept):
        return f"{concept.type}::{concept.id}"
    return f"{ctype}::{concept}"


def paper_node(uid: str) -> str:
    return f"paper::{uid}"


def build_graph(papers: Iterable[Paper], rules: RuleSet) -> nx.MultiDiGraph:
    """The graph of the papers, with the concepts and the context phrases of `rules`."""
    graph = nx.MultiDiGraph(name="rifkb")
    concepts, reader = rules.concepts, ContextReader(rules.contexts)
    for concept in concepts.values():
        graph.add_node(concept_node(concept), kind=concept.type, concept=concept.id, label=concept.label)
    for paper in papers:
        uses = uses_of(paper.extraction, reader)
        _add_paper(graph, paper)
        _add_mentions(graph, paper, concepts, uses)
        _add_co_studied(graph, paper, concepts, uses)
        _add_findings(graph, paper, concepts, uses)
        _add_effects(graph, paper, concepts, uses)
        _add_rif_definition(graph, paper)
    _add_aggregates(graph)
    return graph


def _evidence(paper: Paper, sentence: str, effect: str | None = None) -> dict[str, Any]:
    return {"doc_id": paper.extraction.doc_id, "pmid": paper.record.pmid, "sentence": sentence,
            "effect": effect}  # fmt: skip


def _merge_edge(graph: nx.MultiDiGraph, u: str, v: str, relation: str, *evidence: dict) -> None:
    """One edge per (u, v, relation); each paper adds its evidence (sentences) to it."""
    if not graph.has_edge(u, v, key=relation):
        graph.add_edge(u, v, key=relation, relation=relation, evidence=[])
    data = graph.edges[u, v, relation]
    for e in evidence:
        if (e["doc_id"], e["sentence"]) not in {(d["doc_id"], d["sentence"]) for d in data["evidence"]}:
            data["evidence"].append(e)


def _add_paper(graph: nx.MultiDiGraph, paper: Paper) -> None:
    r, x = paper.record, paper.extraction
    # `label` is what Gephi and Cytoscape show on a node: the study as reviews cite it.
    graph.add_node(paper_node(x.doc_id), kind="paper", label=study_label(r, x.doc_id), doc_id=x.doc_id,
                   pmid=r.pmid, doi=r.doi, title=r.title, year=r.year, first_author=r.first_author,
                   design=x.study_design, sample_size=x.sample_size, n_studies=x.n_studies,
                   retracted=r.retracted)  # fmt: skip


def _add_mentions(
    graph: nx.MultiDiGraph, paper: Paper, concepts: dict[str, Concept], uses: dict[str, Use]
) -> None:
    """paper -mentions-> concept; paper -measures-> mechanism; paper -samples-> an
    intervention it names only as a sample; a studied intervention -studied_in-> population."""
    node = paper_node(paper.extraction.doc_id)
    for cid, sentence in _first_sentences(paper).items():
        relation = "measures" if concepts[cid].type == "mechanism" else "mentions"
        if cid in uses:
            use = uses[cid]
            relation, sentence = (
                ("mentions", _therapy_sentence(use)) if use.studied else ("samples", use.samples[0])
            )
        _merge_edge(graph, node, concept_node(concepts[cid]), relation, _evidence(paper, sentence))
    for intervention in _studied(uses):
        for population in paper.extraction.concepts()["population"]:
            _merge_edge(graph, concept_node(intervention, "intervention"),
                        concept_node(population, "population"), "studied_in",
                        _evidence(paper, _therapy_sentence(uses[intervention])))  # fmt: skip


def _first_sentences(paper: Paper) -> dict[str, str]:
    """Each concept the paper names, with the first sentence that names it."""
    first: dict[str, str] = {}
    for m in paper.extraction.mentions:
        first.setdefault(m.concept, m.evidence.sentence)
    return first


def _studied(uses: dict[str, Use]) -> list[str]:
    return sorted(cid for cid, use in uses.items() if use.studied)


def _therapy_sentence(use: Use) -> str:
    """The sentence that shows best that a paper studies an intervention: its first test
    (an arm, an estimate, a treatment finding), else its first naming as a therapy."""
    return (use.tested or use.therapy)[0]


def _add_co_studied(
    graph: nx.MultiDiGraph, paper: Paper, concepts: dict[str, Concept], uses: dict[str, Use]
) -> None:
    """intervention -co_studied-> mechanism, with the sentences that name both; else, when
    the paper tests the intervention, its test's sentence and the mechanism's first one.
    Two names in one abstract and nothing more are no link."""
    measured: dict[str, list[str]] = {}
    for m in paper.extraction.mentions:
        if m.type == "mechanism":
            measured.setdefault(m.concept, []).append(m.evidence.sentence)
    for intervention in _studied(uses):
        use = uses[intervention]
        for mechanism, sentences in sorted(measured.items()):
            both = [s for s in dict.fromkeys(sentences) if s in use.therapy or s in use.tested]
            shown = both or ([use.tested[0], sentences[0]] if use.tested else [])
            if shown:
                _merge_edge(graph, concept_node(concepts[intervention]), concept_node(concepts[mechanism]),
                            "co_studied", *(_evidence(paper, s) for s in shown))  # fmt: skip


def _add_findings(
    graph: nx.MultiDiGraph, paper: Paper, concepts: dict[str, Concept], uses: dict[str, Use]
) -> None:
    """Each finding a node; one whose subject its sentence names only as a sample is
    marked `as_sample` and counts in no aggregate ("Foxp3 mRNA in PBMCs was higher")."""
    node = paper_node(paper.extraction.doc_id)
    for i, f in enumerate(paper.extraction.findings):
        fid = f"finding::{paper.extraction.doc_id}::{i}"
        graph.add_node(fid, kind="finding", finding_kind=f.kind, subject=f.subject, object=f.object,
                       direction=f.direction, significant=f.significant, hedged=f.hedged,
                       sentence=f.evidence.sentence, doc_id=paper.extraction.doc_id,
                       as_sample=_as_sample(uses, f.subject, f.evidence.sentence))  # fmt: skip
        evidence = _evidence(paper, f.evidence.sentence)
        graph.add_edge(node, fid, key="reports", relation="reports", evidence=[evidence])
        graph.add_edge(fid, concept_node(concepts[f.subject]), key="subject", relation="subject",
                       evidence=[evidence])  # fmt: skip
        graph.add_edge(fid, concept_node(concepts[f.object]), key="object", relation="object",
                       evidence=[evidence])  # fmt: skip


def _as_sample(uses: dict[str, Use], concept: str | None, sentence: str) -> bool:
    return concept in uses and uses[concept].as_sample(sentence)


def _add_effects(
    graph: nx.MultiDiGraph, paper: Paper, concepts: dict[str, Concept], uses: dict[str, Use]
) -> None:
    """Each estimate a node, with the consistency audit's flags on it (`rifkb.kb.audit`);
    `exposure`: the concept it is the effect of (an intervention, a mechanism), unless its
    sentence names that only as a sample, or it is the outcome itself."""
    node = paper_node(paper.extraction.doc_id)
    flags = audit(paper.extraction)
    for i, e in enumerate(paper.extraction.effects):
        eid = f"effect::{paper.extraction.doc_id}::{i}"
        own = [f.message for f in flags if f.start == e.evidence.start]
        graph.add_node(eid, kind="effect", measure=e.measure, value=e.value, ci_low=e.ci_low,
                       ci_high=e.ci_high, p=e.p, outcome=e.outcome, adjusted=e.adjusted,
                       intervention=e.intervention, comparator=e.comparator, subgroup=e.subgroup,
                       flags=own, text=format_effect(e), **_evidence_fields(e.evidence))  # fmt: skip
        evidence = {**_evidence(paper, e.evidence.sentence, format_effect(e)), "flags": own}
        graph.add_edge(node, eid, key="reports", relation="reports", evidence=[evidence])
        if e.outcome in concepts:
            graph.add_edge(eid, concept_node(concepts[e.outcome]), key="about", relation="about",
                           evidence=[evidence])  # fmt: skip
        exposure = e.intervention
        if (
            exposure in concepts
            and exposure != e.outcome
            and not _as_sample(uses, exposure, e.evidence.sentence)
        ):
            graph.add_edge(eid, concept_node(concepts[exposure]), key="exposure", relation="exposure",
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
    """subject -evidence-> object, summarising every finding and every effect estimate that
    links them (an estimate links its exposure and its outcome); a finding `as_sample` is
    left out."""
    groups: dict[tuple[str, str], tuple[list[str], list[str]]] = {}
    for node, data in graph.nodes(data=True):
        ends = _ends(graph, node)
        if data.get("kind") == "finding" and not data["as_sample"]:
            groups.setdefault((ends["subject"], ends["object"]), ([], []))[0].append(node)
        elif data.get("kind") == "effect" and {"exposure", "about"} <= set(ends):
            groups.setdefault((ends["exposure"], ends["about"]), ([], []))[1].append(node)
    for (u, v), (fids, eids) in sorted(groups.items()):
        graph.add_edge(u, v, key="evidence", relation="evidence", **_aggregate(graph, u, fids, eids))


def _ends(graph: nx.MultiDiGraph, node: str) -> dict[str, str]:
    """A finding's subject and object, an estimate's exposure and outcome (`about`)."""
    return {k: v for _, v, k in graph.out_edges(node, keys=True)}


def _aggregate(graph: nx.MultiDiGraph, u: str, fids: list[str], eids: list[str]) -> dict[str, Any]:
    findings, effects = [graph.nodes[f] for f in fids], [graph.nodes[e] for e in eids]
    papers = sorted({x["doc_id"] for x in (*findings, *effects)})
    designs = Counter(graph.nodes[paper_node(p)]["design"] or "unknown" for p in papers)
    kind = findings[0]["finding_kind"] if findings else _kind_of_estimate(graph.nodes[u]["kind"])
    return dict(
        kind=kind, papers=len(papers), findings=len(findings), estimates=len(effects),
        increase=sum(f["direction"] == "increase" for f in findings),
        decrease=sum(f["direction"] == "decrease" for f in findings),
        no_difference=sum(f["direction"] == "no_difference" for f in findings),
        significant=sum(f["significant"] is True for f in findings),
        not_significant=sum(f["significant"] is False for f in findings),
        designs=dict(sorted(designs.items())), evidence=_aggregate_evidence(graph, findings, effects),
    )  # fmt: skip


def _kind_of_estimate(exposure_kind: str) -> str:
    """A link made of estimates only is a treatment's when its exposure is an intervention."""
    return "treatment" if exposure_kind == "intervention" else "association"


def _aggregate_evidence(
    graph: nx.MultiDiGraph, findings: list[dict], effects: list[dict]
) -> list[dict[str, Any]]:
    """A row per finding, with the estimate of its sentence if there is one, then a row per
    estimate no finding of its sentence took (its direction and significance read from
    the estimate and its interval)."""
    left = list(effects)
    rows = []
    for f in findings:
        same = next((e for e in left if (e["doc_id"], e["sentence"]) == (f["doc_id"], f["sentence"])), None)
        if same is not None:
            left.remove(same)
        rows.append({"doc_id": f["doc_id"], "pmid": graph.nodes[paper_node(f["doc_id"])]["pmid"],
                     "sentence": f["sentence"], "direction": f["direction"],
                     "significant": f["significant"], "effect": same and same["text"]})  # fmt: skip
    for e in left:
        estimate = effect_of(e)
        rows.append({"doc_id": e["doc_id"], "pmid": graph.nodes[paper_node(e["doc_id"])]["pmid"],
                     "sentence": e["sentence"], "direction": _direction(estimate),
                     "significant": estimate.excludes_null, "effect": e["text"]})  # fmt: skip
    return rows


def _direction(effect: EffectEstimate) -> str:
    """An estimate's direction: no difference when its interval holds no effect, else the
    side of no effect its value lies on."""
    null = no_effect(effect.measure)
    if effect.excludes_null is False or effect.value == null:
        return "no_difference"
    return "increase" if effect.value > null else "decrease"


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
