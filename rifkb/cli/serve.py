"""`rifkb serve`: the local web app (screening, corrections, figures, links) on 127.0.0.1."""

from __future__ import annotations

from typing import Annotated

import typer

from rifkb.cli.common import DEFAULT_CORPUS, CorpusOption, ReviewerOption, handles_errors, reviewer_name

app = typer.Typer()


@app.command()
@handles_errors
def serve(
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port on 127.0.0.1 (0: any free port).")] = 8000,
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    reviewer: ReviewerOption = None,
) -> None:
    """Serve the corpus in your browser: the screening queue, each record's extraction with
    forms that correct it, the evidence map, forest plots and the links query. Listens on
    127.0.0.1 only; Ctrl-C stops it.

    Example: rifkb serve --port 8000 -c corpora/rif-ivig --reviewer "A Reviewer"
    """
    from rifkb.web.app import WARM_PAGES, create_app
    from rifkb.web.server import bind, serve, url_of

    who = reviewer_name(reviewer)
    web = create_app(corpus_dir, who)
    sock = bind(port)
    try:
        typer.echo(f"rifkb: serving {corpus_dir} at {url_of(sock)} as {who} (Ctrl-C stops)")
        serve(web, sock, quiet=True, warm=WARM_PAGES)
    except KeyboardInterrupt:
        typer.echo("rifkb: stopped")
    finally:
        sock.close()
