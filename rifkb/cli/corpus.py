"""Commands of a librarian: create a corpus, import files, fetch saved searches, report
its status, show a record, export the bibliography."""

from __future__ import annotations

import functools
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from rifkb.cli.common import (
    DEFAULT_CORPUS,
    CorpusOption,
    fail,
    handles_errors,
    open_corpus,
    print_runs,
    progress_bar,
)

app = typer.Typer()
export_app = typer.Typer()


@app.command()
@handles_errors
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the corpus in.")],
    search: Annotated[
        list[str] | None,
        typer.Option("--search", "-s", help="A saved PubMed search, NAME=QUERY; repeatable."),
    ] = None,
    description: Annotated[str, typer.Option(help="What the corpus is for.")] = "",
    rules: Annotated[
        Path | None,
        typer.Option(help="The corpus's own rules folder, for `rifkb extract` to use instead of rifkb's."),
    ] = None,
) -> None:
    """Create a corpus folder (corpus.toml and an empty store).

    Example: rifkb init corpora/rif-g-csf --search 'gcsf=implantation failure AND G-CSF'
    """
    from rifkb.corpus.folder import SavedSearch, init_corpus

    searches = tuple(SavedSearch.parse(s) for s in search or ())
    corpus = init_corpus(directory, searches, description, rules)
    typer.echo(f"created corpus {corpus.name!r} in {directory} with {len(searches)} saved searches")


@app.command("import")
@handles_errors
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="PubMed XML (.xml, .xml.gz), MEDLINE (.nbib, .txt), RIS (.ris, .txt) or JSON Lines; "
            "the format is read from the content."
        ),
    ],
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="Override detection: pubmed-xml, medline, ris, jsonl."),
    ] = None,
) -> None:
    """Import records from files, merging duplicates (PMID, then DOI, then title + year).

    Each duplicate is listed, and each reference skipped (cut off, without title or
    identifier) is named by file:line on stderr.

    Example: rifkb import pubmed25n0001.xml.gz refs.ris --corpus corpora/rif-ivig
    """
    from rifkb.corpus.imports import import_files

    corpus, store = open_corpus(corpus_dir)
    with store:
        reports = import_files(store, files, fmt)
    for report in reports:
        _print_import(report)


def _print_import(report: Any) -> None:
    dups = f"{len(report.duplicates)} duplicate{'' if len(report.duplicates) == 1 else 's'}"
    typer.echo(
        f"{report.path}: {report.references} references ({report.format}): "
        f"{report.count('new')} new, {report.count('updated')} updated, "
        f"{report.count('unchanged')} unchanged; {dups}, {len(report.skipped)} skipped"
    )
    for duplicate in report.duplicates:
        typer.echo(
            f"  {duplicate.describe()}"
            + ("; merging it updated the record" if duplicate.status == "updated" else "")
        )
    for problem in report.skipped:
        typer.echo(f"rifkb: {problem}", err=True)


@app.command()
@handles_errors
def fetch(
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    search: Annotated[list[str] | None, typer.Option(help="Run only this saved search; repeatable.")] = None,
    full: Annotated[
        bool,
        typer.Option("--full", help="Re-run whole searches, not only records added since the last run."),
    ] = False,
    batch_size: Annotated[int, typer.Option(min=1, max=10_000, help="Records per efetch.")] = 500,
    email: Annotated[
        str | None, typer.Option(envvar="NCBI_EMAIL", help="Your email, which NCBI requires.")
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(envvar="NCBI_API_KEY", help="NCBI API key (10 requests/s instead of 3)."),
    ] = None,
    eutils_url: Annotated[
        str | None,
        typer.Option(envvar="RIFKB_EUTILS_URL", help="Another E-utilities server (a mirror, a test)."),
    ] = None,
    timeout: Annotated[float, typer.Option(min=1, help="Seconds per request.")] = 60.0,
    retries: Annotated[
        int,
        typer.Option(min=0, max=20, help="Retries of a failed request, with exponential backoff."),
    ] = 5,
) -> None:
    """Run the corpus's saved PubMed searches and store new and revised records.

    Example: rifkb fetch --email you@example.org --search rif-ivig
    """
    from rifkb.corpus.eutils import NCBI_EUTILS_URL, EutilsConfig, PubMedClient
    from rifkb.corpus.fetch import fetch_search

    config = EutilsConfig(email or "", api_key, eutils_url or NCBI_EUTILS_URL, timeout, max_tries=retries + 1)
    corpus, store = open_corpus(corpus_dir)
    chosen = [corpus.search(n) for n in search] if search else list(corpus.searches)
    if not chosen:
        raise fail(f"corpus {corpus.name!r} has no saved searches; add one to corpus.toml")
    client = PubMedClient(config)
    runs = []
    with store, progress_bar() as progress:
        for saved in chosen:
            task = progress.add_task(saved.name, total=None)
            report = functools.partial(_advance, progress, task)
            try:
                runs.append(
                    fetch_search(store, client, saved, full=full, batch_size=batch_size, progress=report)
                )
            except KeyboardInterrupt:
                raise fail("interrupted; what was stored is kept, run again to resume") from None
    print_runs(runs)
    if any(r.status != "complete" for r in runs):
        raise typer.Exit(code=1)


def _advance(progress: Any, task: Any, _name: str, done: int, total: int) -> None:
    progress.update(task, completed=done, total=total)


@app.command()
@handles_errors
def status(
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Records, per-search counts and overlap, duplicates removed, retractions, last fetches.

    Example: rifkb status --corpus corpora/rif-ivig --json
    """
    from rifkb.corpus.status import corpus_status

    corpus, store = open_corpus(corpus_dir)
    with store:
        st = corpus_status(corpus, store)
    if as_json:
        typer.echo(json.dumps(_status_json(st), indent=2, sort_keys=True))
        return
    typer.echo(f"corpus {st.name}: {st.records} records")
    typer.echo(
        f"identified {st.identified}, duplicates removed {st.duplicates_removed}, "
        f"retracted {len(st.retracted)}" + (f", deleted by PubMed {st.deleted}" if st.deleted else "")
    )
    for c in st.by_source:
        typer.echo(f"  {c.kind:8} {c.source:32} {c.records:6d}")
    for s in st.searches:
        last = f"last run {s.last_run} ({s.last_status})" if s.last_run else "never run"
        typer.echo(f"search {s.name}: {s.records} records, {last}")
    for o in st.overlap:
        typer.echo(f"overlap {o.a} & {o.b}: {o.records}")
    for uid in st.retracted:
        typer.echo(f"retracted: {uid}")


def _status_json(st: Any) -> dict[str, Any]:
    return {
        "name": st.name,
        "records": st.records,
        "identified": st.identified,
        "duplicates_removed": st.duplicates_removed,
        "deleted": st.deleted,
        "by_source": [asdict(c) for c in st.by_source],
        "searches": [asdict(s) for s in st.searches],
        "overlap": [asdict(o) for o in st.overlap],
        "retracted": list(st.retracted),
    }


@app.command()
@handles_errors
def show(
    record_id: Annotated[str, typer.Argument(help="pmid:N, doi:..., or the source's id.")],
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    versions: Annotated[bool, typer.Option("--versions", help="Also earlier versions.")] = False,
) -> None:
    """Print one record as JSON, and with --versions the revisions it replaced.

    Example: rifkb show pmid:18973893 --versions
    """
    corpus, store = open_corpus(corpus_dir)
    with store:
        record = store.get(record_id)
        older = store.versions(record.uid) if versions else []
    out: dict[str, Any] = record.to_json()
    if versions:
        out = {"current": out, "versions": [
            {"revision_date": v.revision_date, "replaced_at": v.replaced_at,
             "record": v.record.to_json()} for v in older]}  # fmt: skip
    typer.echo(json.dumps(out, indent=2, ensure_ascii=False, sort_keys=True))


@export_app.command("bib")
@handles_errors
def export_bib(
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    fmt: Annotated[str, typer.Option("--format", "-f", help="ris, bibtex, csl-json, csv or jsonl.")] = "ris",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write; standard output when absent."),
    ] = None,
    screening: Annotated[
        str,
        typer.Option(
            help="included: the records not excluded at screening (unscreened ones too, unless corpus.toml "
            'says \\[screening] unscreened = "exclude"); all: every record, excluded ones too.',
        ),
    ] = "included",
) -> None:
    """Write the bibliography, one entry per unique record (retractions flagged): the
    records included at screening (and, as corpus.toml's \\[screening] unscreened says, those
    not screened yet), or with --screening all every record, excluded ones too.

    Example: rifkb export bib --format bibtex -o outputs/rif-ivig.bib
    Example: rifkb export bib --screening all --format ris -o outputs/everything-found.ris
    """
    from rifkb.corpus.formats import write_records
    from rifkb.corpus.reviews import SCREENINGS, records_screened
    from rifkb.files import write_text_atomic

    if screening not in SCREENINGS:
        raise fail(f"--screening {screening!r}: choose one of {', '.join(SCREENINGS)}")
    if output is not None and output.is_dir():
        raise fail(f"{output}: is a folder; name a file to write (for example {output / 'bibliography.ris'})")
    corpus, store = open_corpus(corpus_dir)
    with store:
        text = write_records(records_screened(store, screening, corpus.unscreened_included), fmt)
    if output is None:
        sys.stdout.write(text)
        return
    write_text_atomic(output, text)
    typer.echo(f"wrote {output}", err=True)
