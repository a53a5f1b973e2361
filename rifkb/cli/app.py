"""The `rifkb` command: one Typer app joining one module per command group.

Each command parses options, calls one library function and renders its result;
expected failures (`RifkbError`) become one line on stderr and exit code 1. Heavy
libraries are imported inside the commands so that `rifkb --help` stays fast.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer.core import TyperGroup

try:  # typer vendors click since 0.2x; before, it used click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover
    from click import exceptions as click_errors  # type: ignore[no-redef]

from rifkb.cli import (
    corpus,
    corrections,
    extract,
    kb,
    pipeline,
    plan,
    report,
    review,
    scan,
    screening,
    serve,
    synthesis,
)  # fmt: skip


class OneLineErrors(TyperGroup):
    """A bad option value or a missing argument is one line on stderr (exit 2), like every
    other rifkb error, not click's usage block: "rifkb: extract: Invalid value for
    '--workers': ... (see rifkb extract --help)". Asked for with no arguments, a command
    still shows its help."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True, **extra: Any) -> Any:  # fmt: skip
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as exc:
            if exc.format_message().strip():  # typer's rich help has printed itself already
                exc.show()
            sys.exit(exc.exit_code)
        except click_errors.ClickException as exc:
            where = exc.ctx.command_path if getattr(exc, "ctx", None) else "rifkb"  # type: ignore[attr-defined]
            command = where.partition(" ")[2]
            hint = f" (see {where} --help)" if isinstance(exc, click_errors.UsageError) else ""
            typer.echo(f"rifkb: {command + ': ' if command else ''}{exc.format_message()}{hint}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            typer.echo("rifkb: aborted", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(
    cls=OneLineErrors,
    help="rifkb: a living evidence base on recurrent implantation failure (RIF) and IVIg.\n\n"
    "Example: rifkb status --corpus corpora/rif-ivig",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals could hold an API key
    add_completion=False,
)
export_app = typer.Typer(help="Write the corpus out in standard formats.", no_args_is_help=True)
commands = (corpus, extract, scan, kb, review, synthesis, plan, report, corrections, screening, serve,
            pipeline)  # fmt: skip
for group in commands:
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
