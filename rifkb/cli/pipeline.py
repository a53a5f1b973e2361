"""`rifkb pipeline save`: the extraction pipeline as a spaCy pipeline folder, for use in
other people's code (`spacy.load(DIR)`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from rifkb.cli.common import handles_errors

app = typer.Typer()
pipeline_app = typer.Typer(help="The spaCy pipeline rifkb extracts with.", no_args_is_help=True)
app.add_typer(pipeline_app, name="pipeline")


@pipeline_app.command("save")
@handles_errors
def save(
    directory: Annotated[Path, typer.Argument(help="Folder to write the pipeline to.")],
    rules: Annotated[Path | None, typer.Option(help="Rules folder (default: rifkb's own rules).")] = None,
    model: Annotated[
        str | None, typer.Option(help="Build on an installed spaCy/scispaCy model (en_core_sci_sm).")
    ] = None,
) -> None:
    """Write the extraction pipeline, with its rule files, as a spaCy pipeline folder.
    Anywhere rifkb is installed, spacy.load(DIR) reads it back.

    Example: rifkb pipeline save outputs/rifkb-pipeline --rules my-rules
    """
    from rifkb.files import write_tree_atomic
    from rifkb.nlp import build_pipeline

    nlp = build_pipeline(model, str(rules) if rules else None)
    write_tree_atomic(directory, nlp.to_disk)
    typer.echo(f"wrote {directory}: {', '.join(nlp.pipe_names)}")
