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
CombineOption = Annotated[
    bool,
    typer.Option("--combine-designs", help="Pool randomised and non-randomised studies together (with a "
                 "warning; by default each design family is its own analysis, Cochrane Handbook 24.6)."),
]  # fmt: skip
ContinuousOption = Annotated[
    str, typer.Option(help="Means pool as md (mean difference) or smd (Hedges' g, for different scales).")
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
    continuous: ContinuousOption = "md",
    combine_designs: CombineOption = False,
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
) -> None:
    """Pool each intervention's effect on each outcome across the corpus's studies, and each
    exposure's association (RIF vs fertile controls, ANA-positive vs ANA-negative): random
    effects beside fixed effect, one analysis per design family (RCT, non-randomised),
    strata by RIF definition or design, every study left out with its reason, a
    consistency audit of each input; as a table, JSON or CSV.

    Example: rifkb synthesize --intervention ivig --outcome "live birth" --json
    """
    from rifkb.review.synthesis import synthesis_rows

    analyses, _, _ = synthesis_of(corpus_dir, intervention, outcome, population, by, method, hartung_knapp,
                                  continuous=continuous, combine_designs=combine_designs)  # fmt: skip
    if as_json:
        typer.echo(json.dumps({"analyses": [a.to_json() for a in analyses]}, indent=2, ensure_ascii=False))
    elif as_csv:
        rows = synthesis_rows(analyses)
        columns = list(rows[0]) if rows else ["intervention", "outcome"]
        echo_csv(columns, [[row[c] for c in columns] for row in rows])
    else:
        _print(analyses)


def synthesis_of(corpus_dir: Path, intervention: str | None, outcome: str | None, population: str,
                 by: str, method: str, hartung_knapp: bool = False, *, continuous: str = "md",
                 combine_designs: bool = False) -> tuple[list, Any, list]:  # fmt: skip
    """(analyses, the rules of the extraction, papers) of a corpus, options checked."""
    from rifkb.cli.common import open_corpus
    from rifkb.errors import BadInputError
    from rifkb.kb.papers import papers_from_store
    from rifkb.kb.query import resolve_concept
    from rifkb.kb.rulesets import rules_of_extraction
    from rifkb.review.meta import METHODS
    from rifkb.review.synthesis import CONTINUOUS, POPULATIONS, STRATIFY_BY, synthesize

    checks = ((population, POPULATIONS, "--population"), (by, STRATIFY_BY, "--by"),
              (method, METHODS, "--method"), (continuous, CONTINUOUS, "--continuous"))  # fmt: skip
    for value, allowed, what in checks:
        if value not in allowed:
            raise BadInputError(f"{what} {value!r}: choose one of {', '.join(allowed)}")
    corpus, store = open_corpus(corpus_dir)
    with store:
        rules = rules_of_extraction(corpus, store)
        papers = papers_from_store(store, corpus.unscreened_included)
    chosen = {k: resolve_concept(v, rules) if v else None for k, v in
              (("intervention", intervention), ("outcome", outcome))}  # fmt: skip
    analyses = synthesize(papers, **chosen, population=population, by=by, method=method,
                          hartung_knapp=hartung_knapp, continuous=continuous,
                          combine_designs=combine_designs)  # fmt: skip
    return analyses, rules, papers


def _print(analyses: list) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(soft_wrap=False)
    if not analyses:
        console.print("no intervention and outcome with a usable estimate or per-arm counts", highlight=False)
    for a in analyses:
        console.print(_headline(a), highlight=False)
        table = Table("study", "design", "source", "arms", f"{a.measure} [95% CI]", "weight", "stratum")
        notes: list[str] = []
        apart = [x for st in a.strata for x in st.studies
                 if x.subgroup and (st.subgroup or x.rif_from_subgroup)]  # fmt: skip
        for s in [*a.studies, *apart]:
            marks = "".join(f" [{len(notes) + i + 1}]" for i in range(len(s.flags)))
            notes += list(s.flags)
            # a subgroup that is a RIF definition is named by its stratum ("RIF: ≥5 failed transfers")
            part = (" (subgroup)" if s.rif_from_subgroup else f": {s.subgroup}") if s.subgroup else ""
            who = s.label + part + marks
            weight = f"{s.weight:.1f}%" if not s.subgroup else "apart"
            table.add_row(who, s.design or "", s.source, _arms(s), _estimate(a, s), weight, s.stratum)
        console.print(table)
        for warning in a.warnings:
            console.print(f"  warning: {warning}", highlight=False, markup=False)
        for doc, why in a.left_out:
            console.print(f"  left out: {doc}: {why}", highlight=False, markup=False)
        for i, note in enumerate(notes, 1):
            console.print(f"  [{i}] {note}", highlight=False, markup=False)
        for s in a.published_syntheses:
            console.print(f"  published synthesis, not pooled: {s.summary()}", highlight=False, markup=False)


def _headline(a: Any) -> str:
    """'ivig → live_birth (rif; RCT), OR, dl: 1.33 [0.39, 4.52], 1 study' or '..., pooled: ...'."""
    from rifkb.review.synthesis import FAMILIES

    versus = "" if a.comparator == "control" else f" vs {a.comparator}"
    what = "association" if a.kind == "association" else ""
    text = (f"\n{what + ' ' if what else ''}{a.intervention}{versus} → {a.outcome} ({a.population}; "
            f"{FAMILIES[a.design]}), {a.measure}, {a.method}")  # fmt: skip
    if a.pooled is None:
        return text + ": subgroups only"
    p = a.pooled
    if p.k == 1:
        value, low, high = a.studies[0].interval
        return text + f": 1 study, {a.studies[0].label}: {value:.2f} [{low:.2f}, {high:.2f}]"
    text += (f": pooled {p.estimate:.2f} [{p.ci_low:.2f}, {p.ci_high:.2f}], k = {p.k}, τ² = {p.tau2:.3f}, "
             f"I² = {100 * p.i2:.0f}%")  # fmt: skip
    if p.pi_low is not None:
        text += f", 95% PI {p.pi_low:.2f} to {p.pi_high:.2f}"
    if a.subgroup_test is not None:
        text += f"; subgroup difference p = {a.subgroup_test.p:.2f}"
    return text


def _arms(s: Any) -> str:
    """'32/49 vs 32/94' (events/total of the intervention's and the control's arms), or
    '10.5 (10.5), n 25 vs 19.2 (11.2), n 25' (mean (SD), n)."""
    if s.means and s.totals:
        (m1, sd1), (m2, sd2) = s.means
        return f"{m1:g} ({sd1:g}), n {s.totals[0]} vs {m2:g} ({sd2:g}), n {s.totals[1]}"
    if not (s.events and s.totals):
        return ""
    return f"{s.events[0]}/{s.totals[0]} vs {s.events[1]}/{s.totals[1]}"


def _estimate(a: Any, s: Any) -> str:
    value, low, high = s.interval
    return f"{value:.2f} [{low:.2f}, {high:.2f}]"
