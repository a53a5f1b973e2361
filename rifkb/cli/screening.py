"""`rifkb screen`: the screening queue, decisions, their history, and decisions files."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Annotated, Any

import typer

from rifkb.cli.common import (
    DEFAULT_CORPUS,
    CorpusOption,
    CsvOption,
    JsonOption,
    ReviewerOption,
    echo_csv,
    fail,
    handles_errors,
    open_corpus,
    reviewer_name,
)

app = typer.Typer()
QUEUE_COLUMNS = ["rank", "id", "year", "first_author", "title", "relevance", "decision", "reason",
                 "reviewer", "time"]  # fmt: skip
ID_HELP = "A record (pmid:N, a PMID, doi:..., an id)."
EXPORT_HELP = "Write every record's latest decision to this CSV file."
IMPORT_HELP = "Read decisions from this file: rifkb's CSV or an ASReview LAB export (CSV, TSV)."
DECISION_HELP = "include, exclude (with --reason) or unscreened (takes a decision back)."
MODEL_HELP = "The relevance classifier: nb (TF-IDF + naive Bayes, ASReview's default) or logistic."
FORMAT_HELP = "Of the --import file: auto (by its columns), rifkb or asreview."
TITLE_WIDTH = 56


@app.command("screen")
@handles_errors
def screen(
    record_id: Annotated[str | None, typer.Argument(help=ID_HELP, show_default=False)] = None,
    decision: Annotated[str | None, typer.Argument(help=DECISION_HELP, show_default=False)] = None,
    reason: Annotated[str | None, typer.Option(help="Why (an exclusion needs one).")] = None,
    reviewer: ReviewerOption = None,
    history: Annotated[bool, typer.Option("--history", help="The record's decisions, oldest first.")] = False,
    limit: Annotated[int, typer.Option(min=0, help="Rows of the queue to list (0: all).")] = 20,
    model: Annotated[str, typer.Option(help=MODEL_HELP)] = "nb",
    export: Annotated[Path | None, typer.Option("--export", help=EXPORT_HELP)] = None,
    import_: Annotated[Path | None, typer.Option("--import", help=IMPORT_HELP)] = None,
    fmt: Annotated[str, typer.Option("--format", help=FORMAT_HELP)] = "auto",
    as_json: JsonOption = False,
    as_csv: CsvOption = False,
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
) -> None:
    """Screen records: list the queue (unscreened first, most relevant first once 2 records
    are included and 2 excluded, by date before), record a decision, show a record's
    decisions, or write and read decisions files (ASReview LAB exports too).

    Example: rifkb screen pmid:38365988 exclude --reason "not RIF: recurrent miscarriage"

    Example: rifkb screen --limit 10 --model logistic

    Example: rifkb screen --import asreview_export.csv
    """
    if (export or import_) and (record_id or history):
        raise fail("--export and --import work on the whole corpus: give them without a record id")
    if (decision or history) and not record_id:
        raise fail("give the record id first: rifkb screen ID include|exclude")
    corpus, store = open_corpus(corpus_dir)
    with store:
        if import_ is not None:
            _import(store, import_, reviewer_name(reviewer), fmt)
        if export is not None:
            _export(store, export)
        if import_ is not None or export is not None:
            return
        if decision is not None:
            _decide(store, record_id, decision, reason, reviewer_name(reviewer))
        elif record_id is not None:
            _history(store, record_id, as_json)
        else:
            _queue(store, model, limit, as_json, as_csv)


def _decide(store: Any, record_id: str, decision: str, reason: str | None, who: str) -> None:
    from rifkb.corpus.reviews import decide
    from rifkb.records import EXCLUDE, ScreeningDecision

    if decision == EXCLUDE and not (reason or "").strip():
        raise fail(f"{record_id}: an exclusion needs a reason: add --reason TEXT (PRISMA counts by reason)")
    (stored,) = decide(store, [ScreeningDecision(record_id, decision, reason, who, "")])
    because = f" ({stored.reason})" if stored.reason else ""
    typer.echo(f"{stored.uid}: {stored.decision}{because} by {stored.reviewer} at {stored.at}")


def _history(store: Any, record_id: str, as_json: bool) -> None:
    from dataclasses import asdict

    from rifkb.corpus.reviews import screening_history

    uid = store.get(record_id).uid
    decisions = screening_history(store, uid)
    if as_json:
        typer.echo(json.dumps({"record": uid, "history": [asdict(d) for d in decisions]}, indent=2,
                              ensure_ascii=False))  # fmt: skip
        return
    if not decisions:
        typer.echo(f"{uid}: unscreened (never screened)")
    for d in decisions:
        because = f" ({d.reason})" if d.reason else ""
        typer.echo(f"{uid}: #{d.id} {d.at} {d.reviewer}: {d.decision}{because}")


def _queue(store: Any, model: str, limit: int, as_json: bool, as_csv: bool) -> None:
    from rifkb.review.screening import screening_queue

    queue = screening_queue(store, model)
    rows = [_queue_row(rank, entry) for rank, entry in enumerate(queue.entries, 1)]
    shown = rows[:limit] if limit else rows
    if as_json:
        out = {"ranked_by": queue.ranked_by, "model": queue.model, "records": len(rows),
               "unscreened": len(queue.unscreened), "entries": shown}  # fmt: skip
        typer.echo(json.dumps(out, indent=2, ensure_ascii=False))
        return
    if as_csv:
        echo_csv(QUEUE_COLUMNS, [[row[c] for c in QUEUE_COLUMNS] for row in shown])
        return
    typer.echo(f"ranked by {queue.ranked_by}")
    typer.echo(f"{len(queue.unscreened)} of {len(rows)} records unscreened")
    _print_table(shown)
    if len(shown) < len(rows):
        typer.echo(f"... {len(rows) - len(shown)} more (--limit 0 lists all)")


def _print_table(rows: list[dict[str, Any]]) -> None:
    id_width = max((len(r["id"]) for r in rows), default=2)
    line = f"{{:>4}}  {{:{id_width}}}  {{:4}}  {{:16}}  {{:{TITLE_WIDTH}}}  {{:>9}}  {{}}"
    typer.echo(line.format("rank", "id", "year", "first author", "title", "relevance", "decision"))
    for r in rows:
        relevance = "" if r["relevance"] is None else f"{r['relevance']:.3f}"
        title = textwrap.shorten(r["title"], TITLE_WIDTH, placeholder="…")
        typer.echo(line.format(r["rank"], r["id"], r["year"] or "", r["first_author"][:16], title, relevance,
                               r["decision"]))  # fmt: skip


def _queue_row(rank: int, entry: Any) -> dict[str, Any]:
    r, d = entry.record, entry.decision
    return {"rank": rank, "id": r.uid, "year": r.year, "first_author": r.first_author or "",
            "title": r.title or "", "relevance": entry.relevance,
            "decision": d.decision if d else "unscreened", "reason": (d.reason if d else None) or "",
            "reviewer": d.reviewer if d else "", "time": d.at if d else ""}  # fmt: skip


def _export(store: Any, path: Path) -> None:
    from rifkb.corpus.decision_files import write_decisions
    from rifkb.corpus.reviews import current_decisions

    count = write_decisions(store, path)
    screened = sum(d.decision != "unscreened" for d in current_decisions(store).values())
    typer.echo(f"wrote {count} records ({screened} screened) to {path}")


def _older(count: int) -> str:
    return f", {count} older than a decision made since (kept out)" if count else ""


def _import(store: Any, path: Path, who: str, fmt: str) -> None:
    from rifkb.corpus.decision_files import import_decisions

    done = import_decisions(store, path, who, fmt)
    typer.echo(f"{path} ({done.flavour}): {done.imported} decisions imported, "
               f"{done.unchanged} unchanged, {done.unlabelled} without a decision, "
               f"{done.unmatched} matching no record" + _older(done.older))  # fmt: skip
    for row in done.unmatched_rows:
        typer.echo(f"  no record for {row}")
    if done.unmatched > len(done.unmatched_rows):
        typer.echo(f"  ... and {done.unmatched - len(done.unmatched_rows)} more")
