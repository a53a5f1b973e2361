"""`rifkb plan`: before the next trial, for each treatment analysis of the corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from rifkb.cli.common import DEFAULT_CORPUS, CorpusOption, JsonOption, handles_errors
from rifkb.cli.synthesis import CombineOption, MethodOption, PopulationOption, synthesis_of

app = typer.Typer()


@app.command()
@handles_errors
def plan(
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    intervention: Annotated[str | None, typer.Option(help="Only this intervention (id or name).")] = None,
    outcome: Annotated[str | None, typer.Option(help="Only this outcome (id or name).")] = None,
    population: PopulationOption = "rif",
    method: MethodOption = "dl",
    combine_designs: CombineOption = False,
    rrr: Annotated[
        float | None,
        typer.Option(
            help="A minimal important relative change for the TSA's required information "
            "size and GRADE's optimal one (0.2 is 20 %, in the direction of benefit); by default "
            "the pooled estimate for the TSA, 25 % for GRADE."
        ),
    ] = None,  # fmt: skip
    beta: Annotated[
        float, typer.Option(help="1 − power of the TSA's required information size: 0.2 or 0.1.")
    ] = (0.2),
    futility: Annotated[bool, typer.Option("--futility", help="Add β-spending futility boundaries.")] = False,
    effect: Annotated[
        float | None,
        typer.Option(help="An effect the next trial should detect, on the analysis's measure (an OR or RR)."),
    ] = None,
    difference: Annotated[
        float | None,
        typer.Option(
            help="A minimal relevant difference (MD or SMD) for continuous outcomes' TSA; by "
            "default the pooled one."
        ),
    ] = None,  # fmt: skip
    regimen: Annotated[
        str | None,
        typer.Option(
            help="The regimen grams per patient assume, as '0.4 g/kg x 2' or '25 g'; by default the "
            "median of the corpus's regimens of the intervention."
        ),
    ] = None,  # fmt: skip
    body_weight: Annotated[
        float | None,
        typer.Option(
            "--body-weight",
            help="kg, for regimens dosed by weight; default corpus.toml's "
            "[stewardship] body_weight_kg, else 65.",
        ),
    ] = None,  # fmt: skip
    figures: Annotated[
        Path | None, typer.Option("--figures", help="Write TSA, cumulative and funnel plots (PNG, SVG) here.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Before the next trial: is the evidence conclusive (trial sequential analysis with
    Lan–DeMets O'Brien–Fleming boundaries), how many women per arm the next RCT needs in
    each stratum of RIF severity (80 % and 90 % power), how certain the evidence is (a
    GRADE summary of findings row with its footnotes), how the answer moved as the studies
    came in (cumulative meta-analysis; Egger's test from 10 studies), and what an extra
    live birth costs: the number needed to treat and the grams of IVIg behind it (and
    their price, given corpus.toml's [stewardship] price_per_gram).

    Example: rifkb plan --intervention ivig --outcome "live birth" --population all --regimen "0.4 g/kg x 2"
    """
    from rifkb.cli.common import open_corpus
    from rifkb.errors import BadInputError
    from rifkb.review.plan import corpus_plans, plan_figures
    from rifkb.review.regimens import parse_regimen

    given: dict[str, Any] = {"rrr": rrr, "beta": beta, "futility": futility, "effect": effect,
                             "difference": difference}  # fmt: skip
    if body_weight is not None and not 20 <= body_weight <= 250:
        raise BadInputError(f"--body-weight {body_weight}: a weight in kg (20 to 250)")
    try:
        given |= {"regimen": parse_regimen(regimen)} if regimen else {}
        given |= {"body_weight_kg": body_weight} if body_weight is not None else {}
        by = "rif_definition"
        analyses, rules, papers = synthesis_of(corpus_dir, intervention, outcome, population, by, method,
                                               combine_designs=combine_designs)  # fmt: skip
        corpus, store = open_corpus(corpus_dir)
        store.close()  # (its [stewardship] settings only)
        harms = rules.with_role("harm")
        found = corpus_plans(analyses, papers, harms, corpus.stewardship, **given)
    except ValueError as exc:
        raise BadInputError(str(exc)) from None
    labels = {c.id: c.label for c in rules.concepts.values()}
    written = plan_figures(found, figures, labels, harms) if figures else []
    if as_json:
        typer.echo(json.dumps({"plans": [p.to_json() for p in found]}, indent=2, ensure_ascii=False))
        return
    _print(found, labels)
    for path in written:
        typer.echo(f"wrote {path}")


def _print(found: list, labels: dict[str, str]) -> None:
    from rich.console import Console

    from rifkb.review.plan import plan_summary

    console = Console(soft_wrap=False)
    if not found:
        console.print("no treatment analysis with a pooled estimate", highlight=False)
    for p in found:
        console.print(f"\n{_heading(p.analysis, labels)}", highlight=False, markup=False)
        for line in plan_summary(p):
            console.print(f"  {line}", highlight=False, markup=False)
        if p.summary is not None:
            for note in p.summary.footnotes:
                console.print(f"    {note.letter}. {note.text}", highlight=False, markup=False)


def _heading(a: Any, labels: dict[str, str]) -> str:
    from rifkb.review.synthesis import FAMILIES

    name = lambda c: labels.get(c, c)  # noqa: E731
    return f"{name(a.intervention)} → {name(a.outcome)} ({a.population}; {FAMILIES[a.design]}, {a.measure})"
