"""The command-line interface: a thin Typer layer over the library (see `app`)."""

from rifkb.cli.app import app, main

__all__ = ["app", "main"]
