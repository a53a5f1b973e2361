"""`rifkb synthesize`: the living meta-analysis of the corpus."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from rifkb.cli.common import DEFAULT_CORPUS, CorpusOption, CsvOption, JsonOption, echo_csv, handles_errors

app = typer.Typer()

PopulationOption = Annotated[
    str, typer.Option(help="rif (studies in RIF populations), rpl (recurrent pregnancy loss) or all.")
]
MethodOption = Annotated[
    str, typer.Option(help="Random-effects τ²: dl (DerSimonian–Laird), reml or pm (Paule–Mandel).")
]


@app.command()
@handles_errors
def synthesize(
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    intervention: Annotated[str | None, typer.Option(help="Only this intervention (id or name).")] = None,
    outcome: Annotated[str | None, typer.Option(help="Only this outcome (id or name).")] = None,
    population: PopulationOption = "rif",
    by: Annotated[str, typer.Option(help="Strata: rif_definition or design.")] = "rif_definition",
    method: MethodOption = "dl",
    hartung_knapp: Annotated[
        bool, typer.Option("--hartung-knapp", help="Hartung–Knapp intervals (t, rescaled SE).")
    ] = False,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Pool each intervention's effect on each outcome across the corpus's studies (random
    effects beside fixed effect, strata by RIF definition or design, with a consistency
    audit of each estimate), as a table, JSON or CSV.

    Example: rifkb synthesize --intervention ivig --outcome "live birth" --json
    """
    from rifkb.review.synthesis import synthesis_rows

    analyses, _, _ = synthesis_of(corpus_dir, intervention, outcome, population, by, method, hartung_knapp)
    if as_json:
        typer.echo(json.dumps({"analyses": [a.to_json() for a in analyses]}, indent=2, ensure_ascii=False))
    elif as_csv:
        rows = synthesis_rows(analyses)
        columns = list(rows[0]) if rows else ["intervention", "outcome"]
        echo_csv(columns, [[row[c] for c in columns] for row in rows])
    else:
        _print(analyses)


def synthesis_of(corpus_dir: Path, intervention: str | None, outcome: str | None, population: str,
                 by: str, method: str, hartung_knapp: bool = False) -> tuple[list, Any, list]:  # fmt: skip
    """(analyses, the rules of the extraction, papers) of a corpus, options checked."""
    from rifkb.cli.common import open_corpus
    from rifkb.errors import BadInputError
    from rifkb.kb.papers import papers_from_store
    from rifkb.kb.query import resolve_concept
    from rifkb.kb.rulesets import rules_of_extraction
    from rifkb.review.meta import METHODS
    from rifkb.review.synthesis import POPULATIONS, STRATIFY_BY, synthesize

    for value, allowed, what in ((population, POPULATIONS, "--population"), (by, STRATIFY_BY, "--by"),
                                 (method, METHODS, "--method")):  # fmt: skip
        if value not in allowed:
            raise BadInputError(f"{what} {value!r}: choose one of {', '.join(allowed)}")
    corpus, store = open_corpus(corpus_dir)
    with store:
        rules = rules_of_extraction(corpus, store)
        papers = papers_from_store(store, corpus.unscreened_included)
    chosen = {k: resolve_concept(v, rules) if v else None for k, v in
              (("intervention", intervention), ("outcome", outcome))}  # fmt: skip
    analyses = synthesize(papers, **chosen, population=population, by=by, method=method,
                          hartung_knapp=hartung_knapp)  # fmt: skip
    return analyses, rules, papers


def _print(analyses: list) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False)
    if not analyses:
        console.print("no intervention and outcome with a usable estimate or per-arm counts", highlight=False)
    for a in analyses:
        console.print(_headline(a), highlight=False)
        table = Table("study", "source", "arms", f"{a.measure} [95% CI]", "weight", "stratum")
        notes: list[str] = []
        for s in [*a.studies, *(x.studies[0] for x in a.strata if x.subgroup)]:
            marks = "".join(f" [{len(notes) + i + 1}]" for i in range(len(s.flags)))
            notes += list(s.flags)
            who = s.label + (f": {s.subgroup}" if s.subgroup else "") + marks
            weight = f"{s.weight:.1f}%" if not s.subgroup else "apart"
            table.add_row(who, s.source, _arms(s), _estimate(a, s), weight, s.stratum)
        console.print(table)
        for i, note in enumerate(notes, 1):
            console.print(f"  [{i}] {note}", highlight=False, markup=False)
        for s in a.published_syntheses:
            console.print(f"  published synthesis, not pooled: {s.summary()}", highlight=False, markup=False)


def _headline(a: Any) -> str:
    text = f"\n{a.intervention} → {a.outcome} ({a.population}), {a.measure}, {a.method}"
    if a.pooled is None:
        return text + ": subgroups only"
    p = a.pooled
    text += (f": {p.estimate:.2f} [{p.ci_low:.2f}, {p.ci_high:.2f}], k = {p.k}, τ² = {p.tau2:.3f}, "
             f"I² = {100 * p.i2:.0f}%")  # fmt: skip
    if p.pi_low is not None:
        text += f", 95% PI {p.pi_low:.2f} to {p.pi_high:.2f}"
    if a.subgroup_test is not None:
        text += f"; subgroup difference p = {a.subgroup_test.p:.2f}"
    return text


def _arms(s: Any) -> str:
    """'32/49 vs 32/94': the intervention's and the control's events/total."""
    if not (s.events and s.totals):
        return ""
    return f"{s.events[0]}/{s.totals[0]} vs {s.events[1]}/{s.totals[1]}"


def _estimate(a: Any, s: Any) -> str:
    import math

    if s.reported:
        value, low, high = s.reported
    else:
        back = math.exp if a.ratio else float
        value, low, high = back(s.yi), back(s.yi - 1.96 * s.sei), back(s.yi + 1.96 * s.sei)
    return f"{value:.2f} [{low:.2f}, {high:.2f}]"
