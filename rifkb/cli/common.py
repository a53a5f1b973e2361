"""What every command module shares: options, the error boundary, corpus opening,
progress bars and CSV output. Imports nothing heavy, so `rifkb --help` stays fast."""

from __future__ import annotations

import csv
import functools
import io
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from rifkb.corpus.folder import DEFAULT_CORPUS
from rifkb.errors import RifkbError
from rifkb.files import spreadsheet_safe

F = TypeVar("F", bound=Callable[..., Any])
OUTPUTS = Path("outputs")

CorpusOption = Annotated[
    Path,
    typer.Option("--corpus", "-c", envvar="RIFKB_CORPUS", help="Corpus folder.", show_default=True),
]
JsonOption = Annotated[bool, typer.Option("--json", help="One JSON object.")]
ReviewerOption = Annotated[
    str | None,
    typer.Option(envvar="RIFKB_REVIEWER", help="Who decides or corrects (default: your login name)."),
]
CsvOption = Annotated[bool, typer.Option("--csv", help="CSV rows.")]

__all__ = [
    "DEFAULT_CORPUS", "OUTPUTS", "CorpusOption", "CsvOption", "JsonOption", "LazyProgress",
    "ReviewerOption", "echo_csv", "fail", "handles_errors", "open_corpus", "print_runs", "progress_bar",
    "reviewer_name",
]  # fmt: skip


def fail(message: str) -> typer.Exit:
    typer.echo(f"rifkb: {message}", err=True)
    return typer.Exit(code=1)


def handles_errors(command: F) -> F:
    """Turn the library's expected failures into one line and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except RifkbError as exc:
            raise fail(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def reviewer_name(given: str | None) -> str:
    """--reviewer, else $RIFKB_REVIEWER (typer reads it), else the login name."""
    if given and given.strip():
        return given.strip()
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


def open_corpus(corpus_dir: Path):  # noqa: ANN201 - returns (Corpus, Store)
    from rifkb.corpus.folder import load_corpus

    corpus = load_corpus(corpus_dir)
    return corpus, corpus.open_store(on_wait=functools.partial(_waiting, corpus.store_path))


def _waiting(path: Path) -> None:
    typer.echo(f"rifkb: another rifkb command is writing to {path}; waiting for it to finish", err=True)


def progress_bar():  # noqa: ANN201
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=Console(stderr=True), transient=False,
    )  # fmt: skip


class LazyProgress:
    """A progress bar that appears with the first result, after the pipeline has loaded
    (so that a broken rule file or a missing model is reported on a line of its own)."""

    def __init__(self, name: str):
        self.name, self.bar, self.task = name, None, None

    def __enter__(self) -> LazyProgress:
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = progress_bar()
            self.bar.start()
            self.task = self.bar.add_task(self.name, total=total)
        self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def print_runs(runs: list) -> None:
    typer.echo(f"{'search':24} {'hits':>7} {'new':>7} {'updated':>8} {'unchanged':>10} {'failed':>7}")
    for r in runs:
        typer.echo(
            f"{r.search:24} {r.hits:7d} {r.new:7d} {r.updated:8d} {r.unchanged:10d} {len(r.failed_pmids):7d}"
        )
        if r.failed_pmids:
            shown = ", ".join(r.failed_pmids[:20]) + (" ..." if len(r.failed_pmids) > 20 else "")
            typer.echo(f"  could not fetch PMIDs: {shown}", err=True)


def echo_csv(header: list[str], rows: list[list[Any]]) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([spreadsheet_safe(v) for v in row] for row in rows)  # CSV opens in a spreadsheet
    sys.stdout.write(buffer.getvalue())
