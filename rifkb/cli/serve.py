"""`rifkb serve`: the local web app (screening, corrections, figures, links) on 127.0.0.1."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from rifkb.cli.common import DEFAULT_CORPUS, CorpusOption, ReviewerOption, handles_errors, reviewer_name

if TYPE_CHECKING:
    from rifkb.web.server import Prepared

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
    127.0.0.1 only; Ctrl-C stops it. The forest plots, the evidence map and the links are
    made before the address is printed (seconds the first time, kept in the corpus's
    .cache folder for the next start), so the first pages open at once.

    Example: rifkb serve --port 8000 -c corpora/rif-ivig --reviewer "A Reviewer"
    """
    from rifkb.web.app import WARM_PAGES, create_app
    from rifkb.web.server import bind, serve, url_of

    who = reviewer_name(reviewer)
    web = create_app(corpus_dir, who)
    sock = bind(port)  # first: a port in use is said before seconds of preparing

    def ready() -> None:
        typer.echo(f"rifkb: serving {corpus_dir} at {url_of(sock)} as {who} (Ctrl-C stops)")

    try:
        serve(web, sock, quiet=True, prepare=WARM_PAGES, progress=_progress, ready=ready)
    except KeyboardInterrupt:
        typer.echo("rifkb: stopped")
    finally:
        web.state.pages.close()
        sock.close()


def _progress(path: str, done: Prepared | None) -> None:
    """'rifkb: preparing /forest ... done (6.1 s)' on stderr, one line a page."""
    if done is None:
        typer.echo(f"rifkb: preparing {path} ...", nl=False, err=True)
    elif done.status == 200:
        typer.echo(f" done ({done.seconds:.1f} s)", err=True)
    else:  # the corpus not extracted yet, say: the page tells why when it is asked for
        typer.echo(f" not ready (status {done.status}); made when asked", err=True)
