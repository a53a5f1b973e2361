"""Commands of a researcher: the knowledge graph and the questions asked of it."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from rifkb.cli.common import (
    DEFAULT_CORPUS,
    CorpusOption,
    CsvOption,
    JsonOption,
    echo_csv,
    handles_errors,
    open_corpus,
)

app = typer.Typer()
query_app = typer.Typer(help="Ask the knowledge graph.", no_args_is_help=True)
app.add_typer(query_app, name="query")


def _graph(corpus_dir: Path):  # noqa: ANN202 - (graph, rules)
    """The graph of the corpus's extractions, with the rule set that made them."""
    from rifkb.kb.graph import build_graph
    from rifkb.kb.papers import papers_from_store
    from rifkb.kb.rulesets import rules_of_extraction

    corpus, store = open_corpus(corpus_dir)
    with store:
        rules = rules_of_extraction(corpus, store)
        papers = papers_from_store(store, corpus.unscreened_included)
    return build_graph(papers, rules), rules


@app.command()
@handles_errors
def graph(
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    fmt: Annotated[str, typer.Option("--format", "-f", help="graphml, gexf, json or cytoscape.")] = "graphml",
) -> None:
    """Write the knowledge graph for Gephi (GraphML, GEXF), Cytoscape or networkx (JSON).

    Example: rifkb graph --format graphml -o outputs/rif-ivig.graphml
    """
    from rifkb.errors import BadInputError
    from rifkb.files import write_text_atomic
    from rifkb.kb.graph import GRAPH_FORMATS, write_graph

    if fmt not in GRAPH_FORMATS:
        raise BadInputError(f"unknown format {fmt!r}; choose one of {', '.join(GRAPH_FORMATS)}")
    built, _ = _graph(corpus_dir)
    write_text_atomic(output, write_graph(built, fmt))
    typer.echo(f"wrote {output}: {built.number_of_nodes()} nodes, {built.number_of_edges()} edges")


@query_app.command("links")
@handles_errors
def query_links_command(
    source: Annotated[str, typer.Option("--from", help="Concept id or name.")],
    target: Annotated[str, typer.Option("--to", help="Concept id or name.")],
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    max_steps: Annotated[int, typer.Option(min=2, max=4, help="Longest path, in steps.")] = 3,
    through_populations: Annotated[
        bool,
        typer.Option(
            "--through-populations",
            help="Let paths pass through populations (rif, rpl, ivf, fertile_controls, ...), "
            "which link almost everything.",
        ),
    ] = False,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Findings and effect estimates that link two concepts directly, and paths through the
    graph (mechanism ← intervention → outcome), with papers and evidence sentences for
    every step. Paths do not pass through a population unless --through-populations.

    Example: rifkb query links --from nk_uterine --to "live birth"

    Example: rifkb query links --from nk_uterine --to "live birth" --through-populations
    """
    from rifkb.kb.query import query_links, resolve_concept

    built, rules = _graph(corpus_dir)
    ends = resolve_concept(source, rules), resolve_concept(target, rules)
    links = query_links(built, *ends, max_steps, through_populations)
    steps = [("direct", i, s) for i, s in enumerate(links.direct)]
    steps += [(f"path {n + 1}", i, s) for n, path in enumerate(links.paths) for i, s in enumerate(path)]
    if as_json:
        typer.echo(json.dumps(asdict(links), indent=2, ensure_ascii=False))
    elif as_csv:
        header = ["path", "step", "source", "relation", "target", "papers", "doc_id", "direction",
                  "significant", "effect", "sentence"]  # fmt: skip
        echo_csv(header, [[p, i, s.source, s.relation, s.target, len(s.papers), e.doc_id, e.direction,
                           e.significant, e.effect, e.sentence]
                          for p, i, s in steps for e in s.evidence])  # fmt: skip
    else:
        _print_links(links)


def _print_links(links: Any) -> None:
    through = "" if links.through_populations else " (none through a population: --through-populations)"
    typer.echo(
        f"{links.source} → {links.target}: {len(links.direct)} direct, {len(links.paths)} paths{through}"
    )
    for step in links.direct:
        typer.echo(f"\ndirect: {_step(step)}")
        for e in step.evidence[:5]:
            typer.echo(f"  [{e.doc_id}] {e.sentence}")
    for n, path in enumerate(links.paths[:10], 1):
        typer.echo(f"\npath {n}: {_path(path)}")
        for s in path:
            for e in s.evidence[:2]:
                typer.echo(f"  [{e.doc_id}] {e.sentence[:220]}")
    if len(links.paths) > 10:
        typer.echo(f"\n... {len(links.paths) - 10} more paths (--json for all)")


def _path(path: tuple) -> str:
    """'nk_uterine ←co_studied (1 papers)— ivig —evidence (3 papers)→ live_birth'."""
    text = _step(path[0])
    for step in path[1:]:
        text += " " + _step(step).split(" ", 1)[1]  # the shared node is written once
    return text


def _step(step: Any) -> str:
    """'ivig —evidence (3 papers)→ live_birth', the arrow pointing as the edge does."""
    name = lambda node: node.split("::", 1)[1]  # noqa: E731
    label = f"{step.relation} ({len(step.papers)} papers)"
    if step.backwards:
        return f"{name(step.source)} ←{label}— {name(step.target)}"
    return f"{name(step.source)} —{label}→ {name(step.target)}"


@query_app.command("concept")
@handles_errors
def query_concept(
    name: Annotated[str, typer.Argument(help="Concept id or name.")],
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Papers by design, findings by outcome and direction, effect estimates and the RIF
    definitions of the studies that name a concept.

    Example: rifkb query concept ivig
    """
    from rifkb.kb.query import concept_summary, resolve_concept
    from rifkb.records import describe_rif

    built, rules = _graph(corpus_dir)
    summary = concept_summary(built, resolve_concept(name, rules))
    if as_json:
        typer.echo(json.dumps(asdict(summary), indent=2, ensure_ascii=False))
        return
    if as_csv:
        echo_csv(CONCEPT_CSV, _concept_rows(summary, describe_rif))
        return
    _print_summary(summary, describe_rif)


# One row per finding summary, effect estimate and RIF definition, with every column the
# terminal and --json show; a column that does not apply to a row's section is blank.
CONCEPT_CSV = [
    "section", "doc_id", "other", "direction_or_measure", "value", "intervention", "comparator", "subgroup",
    "papers", "role", "kind",
    "increase", "decrease", "no_difference", "significant", "designs", "ci_low", "ci_high", "p",
    "adjusted", "year", "rif_definition", "sentence",
]  # fmt: skip


def _concept_rows(summary: Any, describe_rif: Any) -> list[list[Any]]:
    rows = []
    for f in summary.findings:
        designs = "; ".join(f"{d} {n}" for d, n in f.designs.items())
        rows.append({"section": "finding", "other": f.other, "direction_or_measure": _arrows(f),
                     "papers": f.papers, "role": f.role, "kind": f.kind, "increase": f.increase,
                     "decrease": f.decrease, "no_difference": f.no_difference,
                     "significant": f.significant, "designs": designs})  # fmt: skip
    for e in summary.effects:
        rows.append({"section": "effect", "doc_id": e.evidence.doc_id, "other": e.outcome,
                     "direction_or_measure": e.measure, "value": e.value,
                     "intervention": _subject(summary, e), "comparator": e.comparator,
                     "subgroup": e.subgroup, "ci_low": e.ci_low,
                     "ci_high": e.ci_high, "p": e.p, "adjusted": e.adjusted,
                     "sentence": e.evidence.sentence})  # fmt: skip
    for dated in summary.rif_definitions:
        r = dated.definition
        rows.append({"section": "rif_definition", "doc_id": r.evidence.doc_id, "year": dated.year,
                     "rif_definition": describe_rif(r.min_failed_transfers, r.min_embryos,
                                                    r.embryo_quality, r.max_age),
                     "sentence": r.evidence.sentence})  # fmt: skip
    return [[row.get(column) for column in CONCEPT_CSV] for row in rows]


def _print_summary(summary: Any, describe_rif: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False)
    console.print(f"{summary.concept} ({summary.type}: {summary.label}): {len(summary.papers)} papers; "
                  + ", ".join(f"{d} {n}" for d, n in summary.designs.items()), highlight=False)  # fmt: skip
    findings = Table("role", "with", "papers", "↑ ↓ =", "significant", "designs", title="Findings")
    for f in summary.findings:
        designs = ", ".join(f"{d} {n}" for d, n in f.designs.items())
        findings.add_row(f.role, f.other, str(f.papers), _arrows(f), str(f.significant), designs)
    effects = Table("paper", "estimate", "95% CI", "p", "outcome", "intervention", "comparator", "subgroup",
                    title="Effect estimates")  # fmt: skip
    for e in summary.effects:
        ci = f"{e.ci_low:g} to {e.ci_high:g}" if e.ci_low is not None else ""
        effects.add_row(e.evidence.doc_id, f"{e.measure} {e.value:g}", ci, e.p or "", e.outcome or "",
                        _subject(summary, e), e.comparator or "", e.subgroup or "")  # fmt: skip
    rifs = Table("paper", "year", "criteria", title="RIF definitions")
    for dated in summary.rif_definitions:
        r = dated.definition
        criteria = describe_rif(r.min_failed_transfers, r.min_embryos, r.embryo_quality, r.max_age)
        rifs.add_row(r.evidence.doc_id, str(dated.year or ""), criteria)
    for table in (findings, effects, rifs):
        if table.row_count:
            console.print(table)


def _subject(summary: Any, e: Any) -> str:
    """An estimate's intervention: as its sentence names it, else the concept asked about
    (an estimate of a one-intervention paper; `concept_summary` keeps only those)."""
    return e.intervention or (summary.concept if summary.type == "intervention" else "")


def _arrows(finding: Any) -> str:
    """'↑3 ↓0 =1' for a FindingSummary."""
    return f"↑{finding.increase} ↓{finding.decrease} ={finding.no_difference}"
