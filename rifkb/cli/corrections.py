"""`rifkb correct`: a reviewer's corrections of what rifkb read in a record."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from rifkb.cli.common import (
    DEFAULT_CORPUS,
    CorpusOption,
    JsonOption,
    ReviewerOption,
    handles_errors,
    reviewer_name,
)

app = typer.Typer()
SET_HELP = ("FIELD=VALUE: study_design, sample_size, n_studies, min_failed_transfers, min_embryos, "
            "embryo_quality, max_age; 'none' clears.")  # fmt: skip
REVERT_HELP = "Withdraw the corrections of a field or item: the automatic reading counts again."
CONFLICTS_HELP = "List corrections whose automatic reading has changed since they were made."


@app.command("correct")
@handles_errors
def correct(
    record_id: Annotated[
        str | None, typer.Argument(help="The record (pmid:N, a PMID, doi:..., an id).")
    ] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help=SET_HELP)] = None,
    strike: Annotated[
        list[str] | None, typer.Option(help="Strike an item: KIND@START:END (see --json).")
    ] = None,
    revert: Annotated[list[str] | None, typer.Option(help=REVERT_HELP)] = None,
    reason: Annotated[str | None, typer.Option(help="Why (kept with the correction).")] = None,
    reviewer: ReviewerOption = None,
    conflicts: Annotated[bool, typer.Option("--conflicts", help=CONFLICTS_HELP)] = False,
    as_json: JsonOption = False,
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
) -> None:
    """Correct what rifkb read in a record; the corrections are kept apart from the
    extraction and survive re-extraction. Without changes, shows the record's corrected
    reading, its corrections and their conflicts.

    Example: rifkb correct pmid:38365988 --set sample_size=150 --reason "143 analysed, 150 enrolled"
    """
    from rifkb.cli.common import open_corpus
    from rifkb.corpus.reviews import corrections
    from rifkb.kb import corrections as fixes
    from rifkb.kb.papers import reviewed_papers

    if record_id is None and not conflicts:
        raise typer.BadParameter("give a record id, or --conflicts", param_hint="RECORD_ID")
    corpus, store = open_corpus(corpus_dir)
    with store:
        who = reviewer_name(reviewer)
        if record_id is not None:
            with store.transaction():  # all the changes asked for, or none
                values = [fixes.parse_field(*_assignment(a)) for a in set_ or []]
                if values:
                    fixes.correct_fields(store, record_id, values, who, reason)
                for target in strike or []:
                    fixes.strike_item(store, record_id, target, who, reason)
                for target in revert or []:
                    fixes.revert(store, record_id, _target(target), who, reason=reason)
        reviewed = reviewed_papers(store, corpus.unscreened_included)
        if record_id is None:
            _show_conflicts(reviewed.conflicts, as_json)
            return
        uid = store.get(record_id).uid
        history = corrections(store, uid)
        reading = store.extraction(uid)
    corrected = fixes.apply_corrections(reading, history) if reading else (None, [])
    _show_record(uid, corrected, history, as_json)


def _assignment(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise typer.BadParameter(f"{text!r}: expected FIELD=VALUE", param_hint="--set")
    return name.strip(), value


def _target(text: str) -> str:
    from rifkb.kb.corrections import parse_field

    return text if "@" in text else parse_field(text, "none")[0]


def _show_record(uid: str, corrected, history: list, as_json: bool) -> None:  # noqa: ANN001
    from dataclasses import asdict

    x, conflicts = corrected
    if as_json:
        out = {"record": uid, "extraction": x.to_json() if x else None,
               "corrections": [asdict(c) for c in history],
               "conflicts": [{"correction": c.correction.id, "target": c.correction.target, "now": c.now,
                              "message": c.message} for c in conflicts]}  # fmt: skip
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    if x is None:
        typer.echo(f"{uid}: not extracted yet")
        return
    studies = f", studies {x.n_studies}" if x.n_studies is not None else ""  # a primary study has none
    typer.echo(f"{uid}: design {x.study_design}, n {x.sample_size}{studies}")
    for c in history:
        what = "withdrawn" if c.op == "revert" else json.dumps(c.value, ensure_ascii=False)
        typer.echo(f"  #{c.id} {c.at} {c.reviewer}: {c.op} {c.target} {what} (was {json.dumps(c.was)})"
                   + (f" — {c.reason}" if c.reason else ""))  # fmt: skip
    for conflict in conflicts:
        typer.echo(f"  conflict: {conflict.message}")


def _show_conflicts(conflicts: list, as_json: bool) -> None:
    rows = [{"record": c.correction.uid, "correction": c.correction.id, "target": c.correction.target,
             "was": c.correction.was, "now": c.now, "reviewer": c.correction.reviewer, "message": c.message}
            for c in conflicts]  # fmt: skip
    if as_json:
        typer.echo(json.dumps({"conflicts": rows}, indent=2, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no conflicts: every correction is over the reading it corrected")
    for r in rows:
        typer.echo(f"{r['record']} #{r['correction']} ({r['reviewer']}): {r['message']}")
