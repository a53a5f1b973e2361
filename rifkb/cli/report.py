"""`rifkb report`: the review as one self-contained HTML file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rifkb.cli.common import DEFAULT_CORPUS, OUTPUTS, CorpusOption, handles_errors, open_corpus
from rifkb.cli.synthesis import MethodOption, PopulationOption

app = typer.Typer()


@app.command("report")
@handles_errors
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="HTML file.")] = OUTPUTS / "report.html",
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    population: PopulationOption = "rif",
    method: MethodOption = "dl",
) -> None:
    """One HTML file to hand to a colleague, that opens offline and loads nothing: the PRISMA
    2020 flow, the evidence map, forest plots with pooled estimates, the evidence table
    (sortable, filterable), RIF definitions, consistency flags; every number linked to its
    sentence, every study to PubMed or its DOI. Excluded records are left out and counted.

    Example: rifkb report -o outputs/report.html --corpus corpora/rif-ivig
    """
    from rifkb.cli.synthesis import synthesis_of
    from rifkb.review.report import write_report

    analyses, rules, _ = synthesis_of(corpus_dir, None, None, population, "rif_definition", method)
    corpus, store = open_corpus(corpus_dir)
    with store:
        path = write_report(corpus, store, output, analyses=analyses, rules=rules)
    typer.echo(f"wrote {path}")
