"""The `rifkb` command: parse options, call one library function, render its result.

Expected failures (`RifkbError`) become one line on stderr and exit code 1. Heavy
libraries are imported inside the commands so that `rifkb --help` stays fast.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from rifkb.corpus import DEFAULT_CORPUS
from rifkb.errors import RifkbError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    help="rifkb: a living evidence base on recurrent implantation failure (RIF) and IVIg.\n\n"
    "Example: rifkb status --corpus corpora/rif-ivig",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # locals could hold an API key
    add_completion=False,
)
export_app = typer.Typer(help="Write the corpus out in standard formats.", no_args_is_help=True)
app.add_typer(export_app, name="export")

CorpusOption = Annotated[
    Path,
    typer.Option("--corpus", "-c", envvar="RIFKB_CORPUS", help="Corpus folder.", show_default=True),
]


def main() -> None:
    app()


def _fail(message: str) -> typer.Exit:
    typer.echo(f"rifkb: {message}", err=True)
    return typer.Exit(code=1)


def handles_errors(command: F) -> F:
    """Turn the library's expected failures into one line and exit code 1."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except RifkbError as exc:
            raise _fail(str(exc)) from None

    return wrapper  # type: ignore[return-value]


def _open(corpus_dir: Path):  # noqa: ANN202 - returns (Corpus, Store)
    from rifkb.corpus import load_corpus

    corpus = load_corpus(corpus_dir)
    return corpus, corpus.open_store()


@app.command()
@handles_errors
def init(
    directory: Annotated[Path, typer.Argument(help="Folder to create the corpus in.")],
    search: Annotated[
        list[str] | None,
        typer.Option("--search", "-s", help="A saved PubMed search, NAME=QUERY; repeatable."),
    ] = None,
    description: Annotated[str, typer.Option(help="What the corpus is for.")] = "",
) -> None:
    """Create a corpus folder (corpus.toml and an empty store).

    Example: rifkb init corpora/rif-g-csf --search 'gcsf=implantation failure AND G-CSF'
    """
    from rifkb.corpus import SavedSearch, init_corpus

    searches = tuple(SavedSearch.parse(s) for s in search or ())
    corpus = init_corpus(directory, searches, description)
    typer.echo(f"created corpus {corpus.name!r} in {directory} with {len(searches)} saved searches")


@app.command("import")
@handles_errors
def import_(
    files: Annotated[
        list[Path],
        typer.Argument(help="PubMed XML (.xml, .xml.gz), MEDLINE (.nbib, .txt), RIS (.ris) or JSON Lines."),
    ],
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="Override detection: pubmed-xml, medline, ris, jsonl."),
    ] = None,
) -> None:
    """Import records from files, merging duplicates (PMID, then DOI, then title + year).

    Example: rifkb import pubmed25n0001.xml.gz refs.ris --corpus corpora/rif-ivig
    """
    from rifkb.imports import import_files

    corpus, store = _open(corpus_dir)
    with store:
        reports = import_files(store, files, fmt)
    for report in reports:
        typer.echo(
            f"{report.path}: {len(report.results)} records ({report.format}): "
            f"{report.count('new')} new, {report.count('updated')} updated, "
            f"{report.count('unchanged')} unchanged, {len(report.merged)} merged as duplicates"
        )
        for merged in report.merged:
            typer.echo(f"  merged {merged.duplicate} into {merged.uid} (same {merged.matched_on})")


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
    from rifkb.fetch import fetch_search
    from rifkb.pubmed import NCBI_EUTILS_URL, EutilsConfig, PubMedClient

    config = EutilsConfig(email or "", api_key, eutils_url or NCBI_EUTILS_URL, timeout, max_tries=retries + 1)
    corpus, store = _open(corpus_dir)
    chosen = [corpus.search(n) for n in search] if search else list(corpus.searches)
    if not chosen:
        raise _fail(f"corpus {corpus.name!r} has no saved searches; add one to corpus.toml")
    client = PubMedClient(config)
    runs = []
    with store, _progress() as progress:
        for saved in chosen:
            task = progress.add_task(saved.name, total=None)
            report = functools.partial(_advance, progress, task)
            try:
                runs.append(
                    fetch_search(store, client, saved, full=full, batch_size=batch_size, progress=report)
                )
            except KeyboardInterrupt:
                raise _fail("interrupted; what was stored is kept, run again to resume") from None
    _print_runs(runs)
    if any(r.status != "complete" for r in runs):
        raise typer.Exit(code=1)


def _progress():  # noqa: ANN202
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    return Progress(
        "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
        TimeRemainingColumn(), console=Console(stderr=True), transient=False,
    )  # fmt: skip


class _LazyProgress:
    """A progress bar that appears with the first result, after the pipeline has loaded
    (so that a broken rule file or a missing model is reported on a line of its own)."""

    def __init__(self, name: str):
        self.name, self.bar, self.task = name, None, None

    def __enter__(self) -> _LazyProgress:
        return self

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = _progress()
            self.bar.start()
            self.task = self.bar.add_task(self.name, total=total)
        self.bar.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _advance(progress: Any, task: Any, _name: str, done: int, total: int) -> None:
    progress.update(task, completed=done, total=total)


def _print_runs(runs: list) -> None:
    typer.echo(f"{'search':24} {'hits':>7} {'new':>7} {'updated':>8} {'unchanged':>10} {'failed':>7}")
    for r in runs:
        typer.echo(
            f"{r.search:24} {r.hits:7d} {r.new:7d} {r.updated:8d} {r.unchanged:10d} {len(r.failed_pmids):7d}"
        )
        if r.failed_pmids:
            shown = ", ".join(r.failed_pmids[:20]) + (" ..." if len(r.failed_pmids) > 20 else "")
            typer.echo(f"  could not fetch PMIDs: {shown}", err=True)


@app.command()
@handles_errors
def status(
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
) -> None:
    """Records, per-search counts and overlap, duplicates removed, retractions, last fetches.

    Example: rifkb status --corpus corpora/rif-ivig --json
    """
    from rifkb.status import corpus_status

    corpus, store = _open(corpus_dir)
    with store:
        st = corpus_status(corpus, store)
    if as_json:
        typer.echo(json.dumps(_status_json(st), indent=2, sort_keys=True))
        return
    typer.echo(f"corpus {st.name}: {st.records} records")
    typer.echo(
        f"identified {st.identified}, duplicates removed {st.duplicates_removed}, "
        f"retracted {len(st.retracted)}"
    )
    for (kind, source), n in st.by_source.items():
        typer.echo(f"  {kind:8} {source:32} {n:6d}")
    for s in st.searches:
        last = f"last run {s.last_run} ({s.last_status})" if s.last_run else "never run"
        typer.echo(f"search {s.name}: {s.records} records, {last}")
    for (a, b), n in st.overlap.items():
        typer.echo(f"overlap {a} & {b}: {n}")
    for uid in st.retracted:
        typer.echo(f"retracted: {uid}")


def _status_json(st: Any) -> dict[str, Any]:
    return {
        "name": st.name,
        "records": st.records,
        "identified": st.identified,
        "duplicates_removed": st.duplicates_removed,
        "by_source": [{"kind": k, "source": s, "records": n} for (k, s), n in st.by_source.items()],
        "searches": [vars(s) for s in st.searches],
        "overlap": [{"a": a, "b": b, "records": n} for (a, b), n in st.overlap.items()],
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
    corpus, store = _open(corpus_dir)
    with store:
        record = store.get(record_id)
        older = store.versions(record.uid) if versions else []
    out: dict[str, Any] = record.to_json()
    if versions:
        out = {"current": out, "versions": [
            {"revision_date": v.revision_date, "replaced_at": v.replaced_at,
             "record": v.record.to_json()} for v in older]}  # fmt: skip
    typer.echo(json.dumps(out, indent=2, ensure_ascii=False, sort_keys=True))


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
    rules: Annotated[Path | None, typer.Option(help="Rules folder (default: rifkb's rules/).")] = None,
    force: Annotated[bool, typer.Option("--force", help="Extract every record again.")] = False,
) -> None:
    """Read every record: concepts, effect estimates, event rates, sample size, design, RIF
    definition and findings, with evidence. Unchanged records under unchanged rules are skipped.

    Example: rifkb extract --workers 2 --jsonl outputs/extractions.jsonl
    """
    from rifkb.extract import extract_corpus
    from rifkb.files import write_text_atomic

    corpus, store = _open(corpus_dir)
    with store, _LazyProgress("extract") as progress:
        report = extract_corpus(store, model, str(rules) if rules else None, workers, force, progress)
        if jsonl is not None:
            lines = [json.dumps(e, ensure_ascii=False, sort_keys=True) + "\n" for e in store.extractions()]
            write_text_atomic(jsonl, "".join(lines))
    typer.echo(
        f"extracted {report.extracted}, unchanged {report.unchanged}, "
        f"failed {len(report.failures)} ({report.version})"
    )
    for failure in report.failures:
        typer.echo(f"  {failure.uid}: {failure.message}", err=True)
    if jsonl is not None:
        typer.echo(f"wrote {jsonl}", err=True)


@export_app.command("bib")
@handles_errors
def export_bib(
    corpus_dir: CorpusOption = DEFAULT_CORPUS,
    fmt: Annotated[str, typer.Option("--format", "-f", help="ris, bibtex, csv or jsonl.")] = "ris",
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write; standard output when absent."),
    ] = None,
) -> None:
    """Write the bibliography, one entry per unique record (retractions flagged).

    Example: rifkb export bib --format bibtex -o outputs/rif-ivig.bib
    """
    from rifkb.bibliography import format_bibliography
    from rifkb.files import write_text_atomic

    corpus, store = _open(corpus_dir)
    with store:
        text = format_bibliography(store.records(), fmt)
    if output is None:
        sys.stdout.write(text)
        return
    write_text_atomic(output, text)
    typer.echo(f"wrote {output}", err=True)


if __name__ == "__main__":  # pragma: no cover
    main()


from rifkb import cli_review  # noqa: E402,F401 - registers graph, query, export tables/figures, refresh
