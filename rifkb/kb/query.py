"""Questions researchers ask of the graph: which studies link a mechanism, an
intervention and an outcome, and what the corpus says about one concept.

Paths run over a concept-level view of the graph whose edges are the findings and effect
estimates that link two concepts, an intervention co-studied with a mechanism (uterine NK
cells ← IVIg → live birth) and an intervention studied in a population. A path does not
pass through a population (RIF, RPL, IVF patients, fertile controls) unless asked: every
intervention is studied in RIF, so such a path says little.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, fields
from difflib import get_close_matches
from typing import Any, TypeVar

import networkx as nx

from rifkb.errors import BadInputError
from rifkb.kb.graph import effect_of, paper_node, rif_definition_of
from rifkb.nlp.text import fold, name_variants
from rifkb.records import EffectEstimate, RifDefinition
from rifkb.rules import RuleSet

T = TypeVar("T")


@dataclass(frozen=True)
class EvidenceRef:
    """Where a link is said: the paper and its sentence; for a finding, its direction and
    significance; for an effect estimate, the estimate as tables write it."""

    doc_id: str
    pmid: str | None
    sentence: str
    effect: str | None = None
    direction: str | None = None
    significant: bool | None = None


@dataclass(frozen=True)
class Step:
    source: str
    target: str
    relation: str  # "evidence" (findings, estimates), "studied_in", "co_studied"
    papers: tuple[str, ...]
    evidence: tuple[EvidenceRef, ...]
    backwards: bool = False  # on a path, the edge points from target to source


@dataclass(frozen=True)
class Links:
    source: str
    target: str
    direct: tuple[Step, ...]
    paths: tuple[tuple[Step, ...], ...]
    through_populations: bool = False  # paths may pass through population concepts


@dataclass(frozen=True)
class FindingSummary:
    """The findings that link a concept with one other, counted by direction."""

    role: str  # "subject" | "object": the concept's place in those findings
    other: str
    kind: str  # "treatment" | "association"
    papers: int
    increase: int
    decrease: int
    no_difference: int
    significant: int
    designs: dict[str, int]


@dataclass(frozen=True)
class DatedDefinition:
    """A study's RIF definition and the year of the study."""

    year: int | None
    definition: RifDefinition


@dataclass(frozen=True)
class ConceptSummary:
    concept: str
    label: str
    type: str
    papers: tuple[str, ...]
    designs: dict[str, int]
    findings: tuple[FindingSummary, ...]
    effects: tuple[EffectEstimate, ...]
    rif_definitions: tuple[DatedDefinition, ...] = field(default=())


def resolve_concept(name: str, rules: RuleSet) -> str:
    """A concept id from an id, a label or any name of rules/lexicon.tsv.

    A name of more than one concept is refused with the candidates: one that two concepts
    share, or one that the lexicon reads as a concept only `unless` a more specific one is
    named ("NK cells": peripheral, unless the abstract is about uterine NK cells), since a
    query has no abstract to decide by. An unknown name lists the concepts whose names
    contain it ("endometritis": chronic endometritis) and those spelled close to it."""
    wanted = name.strip().lower()
    if wanted in rules.concepts:
        return wanted
    meanings = _meanings(wanted, rules)
    if len(meanings) == 1:
        return meanings[0]
    if meanings:
        raise BadInputError(f"{name!r} is ambiguous: {_listed(meanings, rules)}; ask for one of these ids")
    names = _names(rules)
    words = re.compile(rf"(?<!\w){re.escape(wanted)}(?!\w)")
    containing = [names[n] for n in sorted(names) if words.search(n)] if wanted else []
    close = [names.get(c, c) for c in get_close_matches(wanted, [*rules.concepts, *names], n=8, cutoff=0.6)]
    ids = list(dict.fromkeys(containing or close))[:5]
    hint = f"; did you mean {_listed(ids, rules)}?" if ids else "; `rules/concepts.tsv` lists the ids"
    raise BadInputError(f"unknown concept {name!r}{hint}")


def _names(rules: RuleSet) -> dict[str, str]:
    """Every label and lexicon name, lower-cased, with the concept it names first."""
    names = {c.label.lower(): c.id for c in rules.concepts.values()}
    for term in rules.terms:
        names.setdefault(term.text.lower(), term.concept)
    return names


def _meanings(wanted: str, rules: RuleSet) -> list[str]:
    """The concepts a name can mean: each label and term it spells (in any spelling the
    matcher accepts: plurals, hyphens, Greek letters), with the concept named in `unless`."""
    found = [c.id for c in rules.concepts.values() if c.label.lower() == wanted]
    spelled = fold(wanted)
    for term in rules.terms:
        if term.text.lower() == wanted or spelled in name_variants(term.text, keep_case=False):
            found += [term.concept, *([term.unless] if term.unless else [])]
    return list(dict.fromkeys(found))


def _listed(ids: list[str], rules: RuleSet) -> str:
    return ", ".join(f"{i} ({rules.concepts[i].label})" for i in ids)


def _node(graph: nx.MultiDiGraph, concept: str) -> str:
    for node, data in graph.nodes(data=True):
        if data.get("concept") == concept:
            return node
    raise BadInputError(f"concept {concept!r} is not in the graph")


VIEW_RELATIONS = ("evidence", "co_studied", "studied_in")


def concept_view(
    graph: nx.MultiDiGraph, through_populations: bool = False, keep: tuple[str, ...] = ()
) -> nx.Graph:
    """Concepts linked by findings and estimates, by being studied together, and (with
    `through_populations`) by an intervention studied in a population; populations are
    left out of the view unless asked for or in `keep` (a query's ends). Between two
    concepts the view keeps one edge, the first of VIEW_RELATIONS."""
    view = nx.Graph()
    for relation in VIEW_RELATIONS:
        for u, v, key, data in graph.edges(keys=True, data=True):
            if (
                key != relation
                or view.has_edge(u, v)
                or not _in_view(graph, (u, v), through_populations, keep)
            ):
                continue
            papers = tuple(sorted({e["doc_id"] for e in data["evidence"]}))
            view.add_edge(u, v, step=Step(u, v, key, papers, _refs(data["evidence"])))
    return view


def _in_view(
    graph: nx.MultiDiGraph, nodes: tuple[str, ...], through_populations: bool, keep: tuple[str, ...]
) -> bool:
    return through_populations or all(graph.nodes[n]["kind"] != "population" or n in keep for n in nodes)


def query_links(graph: nx.MultiDiGraph, source: str, target: str, max_steps: int = 3,
                through_populations: bool = False) -> Links:  # fmt: skip
    """Findings and estimates that link two concepts directly (either way), and the paths
    of up to `max_steps` steps between them, none through a population unless asked."""
    s, t = _node(graph, source), _node(graph, target)
    direct = tuple(
        Step(u, v, "evidence", tuple(sorted({e["doc_id"] for e in d["evidence"]})), _refs(d["evidence"]))
        for u, v in ((s, t), (t, s))
        if graph.has_edge(u, v, key="evidence")
        for d in [graph.edges[u, v, "evidence"]]
    )
    view = concept_view(graph, through_populations, keep=(s, t))
    paths = []
    if s in view and t in view:
        for nodes in nx.all_simple_paths(view, s, t, cutoff=max_steps):
            if len(nodes) > 2:
                paths.append(tuple(_oriented(view, a, b) for a, b in zip(nodes, nodes[1:], strict=False)))
    paths.sort(key=lambda p: (len(p), -min(len(step.papers) for step in p), [x.target for x in p]))
    return Links(source, target, direct, tuple(paths), through_populations)


def _oriented(view: nx.Graph, a: str, b: str) -> Step:
    """The edge between a and b as a step of a path from a to b."""
    step: Step = view.edges[a, b]["step"]
    if step.source == a:
        return step
    return Step(a, b, step.relation, step.papers, step.evidence, backwards=True)


def concept_summary(graph: nx.MultiDiGraph, concept: str) -> ConceptSummary:
    node = _node(graph, concept)
    data = graph.nodes[node]
    papers = sorted({u for u, _, k in graph.in_edges(node, keys=True) if k in ("mentions", "measures")})
    designs = Counter(graph.nodes[p]["design"] or "unknown" for p in papers)
    effects, rifs = [], []
    for paper in papers:
        doc = graph.nodes[paper]
        for _, item in graph.out_edges(paper):
            found = graph.nodes[item]
            if found["kind"] == "effect" and _estimate_of(graph, paper, found, data["kind"], concept):
                effects.append(effect_of(found))
            elif found["kind"] == "rif_definition":
                rifs.append(DatedDefinition(doc["year"], rif_definition_of(found)))
    findings = sorted(_findings(graph, node), key=lambda f: (-f.papers, f.other))
    return ConceptSummary(
        concept, data["label"], data["kind"], tuple(graph.nodes[p]["doc_id"] for p in papers),
        dict(sorted(designs.items())), tuple(findings), tuple(effects), tuple(rifs),
    )  # fmt: skip


def _estimate_of(graph: nx.MultiDiGraph, paper: str, effect: dict[str, Any], kind: str, concept: str) -> bool:
    """Whether an estimate of a paper is the concept's: an outcome's when it measures it;
    an intervention's when its sentence names it, or names none in a paper of that one
    intervention (Busnelli 2021's PBMC, G-CSF and PRP estimates are not IVIg's)."""
    if kind == "outcome":
        return effect["outcome"] == concept
    if kind != "intervention":
        return True
    if effect.get("intervention") is not None:
        return effect["intervention"] == concept
    named = {graph.nodes[v].get("concept") for _, v, key in graph.out_edges(paper, keys=True)
             if key == "mentions" and graph.nodes[v].get("kind") == "intervention"}  # fmt: skip
    return named == {concept}


def _findings(graph: nx.MultiDiGraph, node: str) -> list[FindingSummary]:
    """The aggregate `evidence` edges into and out of a concept."""
    edges = [*graph.out_edges(node, keys=True, data=True), *graph.in_edges(node, keys=True, data=True)]
    return [
        _pick(FindingSummary, d, role="subject" if u == node else "object",
              other=graph.nodes[v if u == node else u]["concept"])
        for u, v, key, d in edges
        if key == "evidence"
    ]  # fmt: skip


def _refs(evidence: list[dict[str, Any]]) -> tuple[EvidenceRef, ...]:
    return tuple(_pick(EvidenceRef, e) for e in evidence)


def _pick(cls: type[T], attributes: dict[str, Any], **more: Any) -> T:
    """A typed row from graph attributes: the ones `cls` has fields for; the rest, such
    as a node's kind, stay in the graph."""
    values = {**attributes, **more}
    return cls(**{f.name: values[f.name] for f in fields(cls) if f.name in values})  # type: ignore[arg-type]


def paper_label(graph: nx.MultiDiGraph, doc_id: str) -> str:
    """'Di Nisio 2011' for a paper, as tables and forest plots name it (rifkb.records.labels)."""
    return graph.nodes[paper_node(doc_id)].get("label") or doc_id


__all__ = [
    "ConceptSummary", "DatedDefinition", "EvidenceRef", "FindingSummary", "Links", "Step",
    "concept_summary", "concept_view", "paper_label", "query_links", "resolve_concept",
]  # fmt: skip
