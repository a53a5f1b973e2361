"""`rifkb extract`: read every record of a corpus with the pipeline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from rifkb.cli.common import DEFAULT_CORPUS, CorpusOption, LazyProgress, fail, handles_errors, open_corpus

app = typer.Typer()


@app.command()
@handles_errors
def extract(
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    model: Annotated[
        str | None,
        typer.Option(help="An installed spaCy/scispaCy model (en_core_sci_sm) or a pipeline folder."),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Processes to use.")] = 1,
    jsonl: Annotated[
        Path | None,
        typer.Option(help="Also write one extraction record per document (shared/spec/extraction.md)."),
    ] = None,
    rules: Annotated[
        Path | None,
        typer.Option(help="Rules folder (default: `rules` of corpus.toml, else rifkb's own)."),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Extract every record again.")] = False,
) -> None:
    """Read every record: concepts, effect estimates, event rates, sample size, design, RIF
    definition and findings, with evidence. Unchanged records under unchanged rules are skipped.

    Example: rifkb extract --workers 2 --jsonl outputs/extractions.jsonl
    """
    from rifkb.files import output_file, write_text_atomic
    from rifkb.kb.runs import extract_corpus

    if jsonl is not None:
        output_file(jsonl)  # a folder here is said now, not after the extraction
    corpus, store = open_corpus(corpus_dir)
    with store:
        try:
            with LazyProgress("extract") as progress:
                report = extract_corpus(corpus, store, model, rules, workers, force, progress)
        except KeyboardInterrupt:  # Ctrl-C, or SIGTERM (see app.main)
            # said once the bar has stopped: a bar stopping redraws itself below any message
            raise fail("interrupted; the extractions stored so far are kept, run again to go on") from None
        if jsonl is not None:
            lines = (json.dumps(x.to_json(), ensure_ascii=False, sort_keys=True) + "\n"
                     for x in store.extractions())  # fmt: skip
            write_text_atomic(jsonl, "".join(lines))
    typer.echo(
        f"extracted {report.extracted}, unchanged {report.unchanged}, "
        f"failed {len(report.failures)} ({report.version})"
    )
    if report.arrived:
        typer.echo(f"{report.arrived} records were stored during the run and not read: run again", err=True)
    for failure in report.failures:
        typer.echo(f"  {failure.uid}: {failure.message}", err=True)
    if jsonl is not None:
        typer.echo(f"wrote {jsonl}", err=True)
