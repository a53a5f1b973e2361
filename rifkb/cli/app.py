"""The `rifkb` command: one Typer app joining one module per command group.

Each command parses options, calls one library function and renders its result;
expected failures (`RifkbError`) become one line on stderr and exit code 1. Heavy
libraries are imported inside the commands so that `rifkb --help` stays fast.
"""

from __future__ import annotations

import signal

import typer

from rifkb.cli import corpus, extract, kb, pipeline, review

app = typer.Typer(
    help="rifkb: a living evidence base on recurrent implantation failure (RIF) and IVIg.\n\n"
    "Example: rifkb status --corpus corpora/rif-ivig",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals could hold an API key
    add_completion=False,
)
export_app = typer.Typer(help="Write the corpus out in standard formats.", no_args_is_help=True)
for group in (corpus, extract, kb, review, pipeline):
    app.add_typer(group.app)
for group in (corpus, review):
    export_app.add_typer(group.export_app)
app.add_typer(export_app, name="export")


def main() -> None:
    # SIGTERM (kill, a CI timeout, a service manager) ends a command as Ctrl-C does: store
    # transactions roll back, extraction workers are ended, temporary files removed.
    signal.signal(signal.SIGTERM, _interrupt)
    app()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt
