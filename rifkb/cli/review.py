"""Commands of a review author: review tables, figures and the one-command refresh."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Annotated, Any

import typer

from rifkb.cli.common import (
    DEFAULT_CORPUS,
    OUTPUTS,
    CorpusOption,
    LazyProgress,
    fail,
    handles_errors,
    open_corpus,
    print_runs,
)
from rifkb.cli.synthesis import MethodOption, PopulationOption

app = typer.Typer()
export_app = typer.Typer()


@export_app.command("tables")
@handles_errors
def export_tables(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder.")] = OUTPUTS / "tables",
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    population: PopulationOption = "rif",
    method: MethodOption = "dl",
) -> None:
    """Review tables (evidence, findings, RIF definitions, mechanism × outcome, the synthesis
    by intervention and outcome, the consistency audit, and before the next trial: GRADE's
    summary of findings, the trial sequential analyses, women per arm the next trial needs
    by RIF severity, the cumulative meta-analyses) as CSV, one XLSX workbook and Markdown.
    The folder's .rifkb-manifest.json lists the files rifkb wrote there; one an earlier
    run wrote that this one does not is removed, and no other file.

    Example: rifkb export tables -o outputs/tables
    """
    from rifkb.cli.synthesis import synthesis_of
    from rifkb.review.plan import corpus_plans
    from rifkb.review.tables import review_tables, write_tables

    analyses, rules, papers = synthesis_of(corpus_dir, None, None, population, "rif_definition", method)
    labels = {c.id: c.label for c in rules.concepts.values()}
    corpus, store = open_corpus(corpus_dir)
    store.close()  # (its [stewardship] settings only)
    found = corpus_plans(analyses, papers, rules.with_role("harm"), corpus.stewardship)
    tables = review_tables(papers, analyses, found, labels, corpus.stewardship.body_weight_kg)
    for path in write_tables(tables, output):
        typer.echo(f"wrote {path}")


@export_app.command("study-data")
@handles_errors
def export_study_data(
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help="metafor (one row per comparison, escalc's columns) or csv.")
    ] = "metafor",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write; standard output when absent.")
    ] = None,
    population: PopulationOption = "all",
) -> None:
    """Write the primary studies' per-group data (study_data): for R's metafor, one row per
    comparison with escalc's columns (ai bi ci di n1i n2i, or m1i sd1i n1i m2i sd2i n2i),
    or as CSV, one row per outcome × group.

    Example: rifkb export study-data --format metafor -o outputs/study_data.csv
    (then in R: escalc("OR", ai = ai, bi = bi, ci = ci, di = di, data = read.csv("outputs/study_data.csv")))
    """
    from rifkb.errors import BadInputError
    from rifkb.files import write_text_atomic
    from rifkb.kb.papers import papers_from_store
    from rifkb.review.synthesis import POPULATIONS, PRIMARY
    from rifkb.review.tables import study_data_text

    if population not in POPULATIONS:
        raise BadInputError(f"--population {population!r}: choose one of {', '.join(POPULATIONS)}")
    if output is not None and output.is_dir():
        raise BadInputError(
            f"{output}: is a folder; name a file to write (for example {output / 'study_data.csv'})"
        )
    corpus, store = open_corpus(corpus_dir)
    with store:
        papers = papers_from_store(store, corpus.unscreened_included)
    papers = [p for p in papers if p.extraction.study_design in PRIMARY
              and (population == "all" or population in p.extraction.concepts()["population"])]  # fmt: skip
    text = study_data_text(papers, fmt)
    if output is None:
        sys.stdout.write(text)
        return
    write_text_atomic(output, text)
    typer.echo(f"wrote {output}", err=True)


@export_app.command("figures")
@handles_errors
def export_figures(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder.")] = OUTPUTS / "figures",
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    intervention: Annotated[
        str | None, typer.Option(help="Forest plots of this intervention only (default: every one).")
    ] = None,
    population: PopulationOption = "rif",
    method: MethodOption = "dl",
) -> None:
    """Forest plots as RevMan draws them (one per intervention and outcome), the evidence map,
    the RIF-definition spread and the PRISMA 2020 flow diagram, as PNG (300 dpi) and SVG.
    The folder's .rifkb-manifest.json lists the figures rifkb wrote there; one an earlier
    export or refresh drew that this one does not (an analysis whose studies were all
    excluded) is removed, and no other file. With --intervention nothing is removed.

    Example: rifkb export figures --intervention intralipid -o outputs/figures
    """
    from rifkb.cli.synthesis import synthesis_of
    from rifkb.kb.query import resolve_concept
    from rifkb.kb.rulesets import rules_of_extraction
    from rifkb.review.figures import write_figures
    from rifkb.review.plan import plans
    from rifkb.review.prisma import prisma_flow

    if intervention:
        corpus, store = open_corpus(corpus_dir)
        with store:
            rules = rules_of_extraction(corpus, store)
        intervention = _intervention(resolve_concept(intervention, rules), intervention, rules)
    by = "rif_definition"
    analyses, rules, papers = synthesis_of(corpus_dir, intervention, None, population, by, method)
    labels = {c.id: c.label for c in rules.concepts.values()}
    corpus, store = open_corpus(corpus_dir)
    with store:  # the studies in the synthesis: those of every analysis, whichever are drawn
        flow = prisma_flow(corpus, store, analyses=None if intervention else analyses)
    harms = rules.with_role("harm")
    drawn = write_figures(papers, output, analyses, labels, harms, flow, plans(analyses, harms),
                          complete=intervention is None)  # fmt: skip
    for path in drawn:
        typer.echo(f"wrote {path}")


def _intervention(concept: str, name: str, rules: Any) -> str:
    """A forest plot is of an intervention: a mechanism or outcome would draw an empty one."""
    from rifkb.errors import BadInputError

    found = rules.concepts[concept]
    if found.type != "intervention":
        examples = ", ".join(c.id for c in rules.concepts.values() if c.type == "intervention")
        raise BadInputError(f"{name!r} is {found.label}, a {found.type}, not an intervention; "
                            f"interventions: {textwrap.shorten(examples, 80, placeholder=' …')}")  # fmt: skip
    return concept


@app.command("refresh")
@handles_errors
def refresh_command(
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    offline: Annotated[bool, typer.Option("--offline", help="Do not fetch; rebuild from the store.")] = False,
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder for everything written.")] = OUTPUTS,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Extraction processes.")] = 1,
    rules: Annotated[
        Path | None,
        typer.Option(help="Rules folder to extract with (default: `rules` of corpus.toml, else rifkb's)."),
    ] = None,
    email: Annotated[str | None, typer.Option(envvar="NCBI_EMAIL", help="Your email, for NCBI.")] = None,
    api_key: Annotated[str | None, typer.Option(envvar="NCBI_API_KEY", help="NCBI API key.")] = None,
    eutils_url: Annotated[
        str | None, typer.Option(envvar="RIFKB_EUTILS_URL", help="Another E-utilities server.")
    ] = None,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds per request.")] = 60.0,
    retries: Annotated[
        int, typer.Option(min=0, max=20, help="Retries of a failed request, with exponential backoff.")
    ] = 5,
) -> None:
    """Fetch new records (unless --offline), extract, rebuild the graph, the review tables, the
    figures and report.html, and say what changed since the last refresh. Each folder
    written has a .rifkb-manifest.json of the files rifkb wrote there: an output of an
    earlier refresh that this one no longer writes (the forest plot of an analysis whose
    studies were all excluded) is removed; files rifkb did not write are left alone.

    Example: rifkb refresh --offline
    """
    from rifkb.corpus.eutils import NCBI_EUTILS_URL, EutilsConfig, PubMedClient
    from rifkb.corpus.fetch import fetch_search
    from rifkb.errors import FetchError
    from rifkb.review.refresh import fetch_problem, refresh

    corpus, store = open_corpus(corpus_dir)
    fetch = None
    if not offline:
        url = eutils_url or NCBI_EUTILS_URL
        try:
            config = EutilsConfig(email or "", api_key, url, timeout, max_tries=retries + 1)
        except FetchError as exc:
            store.close()
            raise fail(f"{exc}; or rebuild from the stored corpus with --offline") from None
        client = PubMedClient(config)
        fetch = lambda: (fetch_search(store, client, s) for s in corpus.searches)  # noqa: E731
    with store, LazyProgress("refresh"):
        report = refresh(corpus, store, output, fetch, workers,
                         lambda message: typer.echo(f"... {message}", err=True), rules)  # fmt: skip
    if report.runs:
        print_runs(list(report.runs))
    sys.stdout.write(report.summary)
    typer.echo(f"wrote {len(report.outputs)} files under {output}", err=True)
    if report.fetch_error is not None:
        problem = fetch_problem(report.fetch_error, now=True)
        raise fail(f"{problem}; rebuilt the outputs from the stored corpus (--offline skips fetching)")
