"""`rifkb scan`: PubMed baseline and update files, on a Dask cluster, into the corpus."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from rifkb.cli.common import DEFAULT_CORPUS, CorpusOption, fail, handles_errors, open_corpus

app = typer.Typer()


@app.command()
@handles_errors
def scan(
    paths: Annotated[list[Path], typer.Argument(help="PubMed files (.xml.gz, .xml) or folders of them.")],
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    scheduler: Annotated[
        str | None,
        typer.Option(help="A running Dask scheduler (tcp://host:8786); its workers need rifkb installed."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=256, help="Processes of the local Dask cluster (default: one per CPU)."),
    ] = None,
    timings: Annotated[
        bool,
        typer.Option(
            "--timings",
            help="Say on stderr where the time went: cluster start, worker setup, "
            "a file's median on a worker, the writer (benchmarks/scan_speed.py reads it).",
        ),
    ] = False,
) -> None:
    """Bring in every record of PubMed's baseline or update files that names a concept of
    the corpus's rules, extracted; DeleteCitations remove records, newer revisions replace
    older ones. Files already scanned with the same rules are skipped.

    Example: rifkb scan pubmed/baseline/ --workers 8 --corpus corpora/rif-ivig
    """
    from rifkb.kb.scan import scan_corpus

    if scheduler is not None and workers is not None:
        raise fail("give --scheduler or --workers, not both (a scheduler has its own workers)")
    corpus, store = open_corpus(corpus_dir)
    with store, _Bars() as bars:
        try:
            report = scan_corpus(corpus, store, paths, scheduler, workers, bars)
        except KeyboardInterrupt:
            raise fail("interrupted; the files committed so far are kept, run again to go on") from None
    typer.echo(
        f"files: {report.count('scanned')} scanned, {report.count('skipped')} skipped as done, "
        f"{report.count('failed')} failed; records read {report.total('records_read')}, "
        f"kept {report.total('kept')}, new {report.total('new')}, updated {report.total('updated')}, "
        f"deleted {report.total('deleted')}, failed {report.total('failed')}"
    )
    if timings:
        typer.echo("timings: " + ", ".join(f"{k} {v:.3f} s" for k, v in report.timings.items()), err=True)
    for failure in report.failures:
        typer.echo(f"rifkb: {failure.path}: {failure.error}", err=True)
    if report.failures:
        raise typer.Exit(code=1)


class _Bars:
    """A progress bar per file being read (its bytes) and one for all files, on stderr."""

    def __init__(self) -> None:
        self.progress: Any = None
        self.tasks: dict[str, Any] = {}
        self.overall: Any = None
        self.total = 0

    def __enter__(self) -> _Bars:
        return self

    def __call__(self, event: Any) -> None:
        if event.status == "skipped":
            return
        if self.progress is None:
            self._start()
        if event.status == "queued":
            self.total += event.size
            self.progress.update(self.overall, total=self.total)
            return
        task = self.tasks.get(event.file)
        if task is None and event.status == "reading":
            task = self.tasks[event.file] = self.progress.add_task(event.file, total=event.size)
        if event.status == "reading":
            self.progress.update(task, completed=event.done, total=event.size)
            return
        if task is not None:
            self.progress.remove_task(task)
            del self.tasks[event.file]
        self.progress.advance(self.overall, event.size)

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        self.progress = Progress(
            "[progress.description]{task.description}", BarColumn(), DownloadColumn(),
            TimeRemainingColumn(), console=Console(stderr=True), transient=True,
        )  # fmt: skip
        self.progress.start()
        self.overall = self.progress.add_task("all files", total=None)

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
