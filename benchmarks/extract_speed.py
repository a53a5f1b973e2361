"""Extraction speed: the whole rifkb pipeline next to scispaCy's tokenizer and abbreviation
detector alone, on the same distinct abstracts in the same run; the cost of each
component; and extraction in one process and with 2 workers.

    python benchmarks/extract_speed.py [--repeats 3] [--abstracts 3000] [--no-workers]

Texts: the dev corpus (tests/data/dev.jsonl, 110 abstracts) and the abstracts of the
third-party samples in ../shared/samples when that folder is there, each text once.

1. Ratio. Each repeat builds a fresh reference pipeline (spaCy's blank English with
   scispaCy's tokenizer and its `abbreviation_detector`, as scispaCy ships it) and a
   fresh rifkb pipeline (`build_pipeline()`), so that neither tokenizer has seen a text
   before (spaCy's tokenizer caches the words it has split). The reference runs
   `nlp(text)` on every text; rifkb runs `extract_record` (Doc, every component, and
   the Extraction record). Building a pipeline (loading and compiling the rules) is
   timed apart: it happens once per process, not per abstract. The two alternate which
   runs first.
2. Components: ms per abstract of each component, with a fresh pipeline per repeat.
3. The whole command, as a user runs it: `rifkb extract -c CORPUS --workers N` in a
   process of its own (starting Python, importing rifkb, opening the store, reading,
   hashing, extracting, serialising and storing every record, committing) on a corpus
   of `--abstracts` records (the distinct abstracts over and over, each copy with its
   own PMID and its number in the title: 4,420 by default, the bar's count), each run
   on a fresh copy of the never-extracted store, with 1 process and with 2 workers;
   and, in the same run, the reference pipeline of part 1 on the same records in this
   process (a fresh pipeline each time). The ratio is the whole command's throughput
   over the reference's; the speed-up is 2 workers' over 1 process's.
4. Inner loop of the command: `extract_corpus` in this process on the same corpus, with
   1 process and 2 workers (no Python start, no imports, the store already open).

Medians of `--repeats` runs are printed, with the load average before and after: the
machine's other work slows every figure, workers most. Part 3 also prints each repeat's
own ratio and speed-up (its runs made one after the other) and their medians, which the
machine's drift over the whole benchmark moves less.
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rifkb.corpus.formats import detect_format, read_references  # noqa: E402
from rifkb.errors import RifkbError  # noqa: E402
from rifkb.records import Record  # noqa: E402
from rifkb.records.bibliographic import document_text  # noqa: E402

DEV = ROOT / "tests" / "data" / "dev.jsonl"
SAMPLES = ROOT.parent / "shared" / "samples"


def distinct_abstracts() -> tuple[list[Record], int, int]:
    """The dev corpus and the samples' records with an abstract, each text once; with
    how many came from each."""
    dev = [ref.record for chunk in read_references(DEV, "jsonl") for ref in chunk.references]
    samples = []
    for path in sorted(SAMPLES.rglob("*")) if SAMPLES.is_dir() else ():
        if not path.is_file() or path.name in ("README.md", "SOURCES.txt", "expected.tsv"):
            continue
        try:
            chunks = list(read_references(path, detect_format(path)))
        except RifkbError:
            continue  # a format rifkb does not read, or a broken sample
        samples += [ref.record for chunk in chunks for ref in chunk.references if ref.record.abstract]
    seen: set[str] = set()
    kept: dict[str, list[Record]] = {"dev": [], "samples": []}
    for source, record in [("dev", r) for r in dev] + [("samples", r) for r in samples]:
        text = document_text(record)[0]
        if text not in seen:
            seen.add(text)
            kept[source].append(record)
    return kept["dev"] + kept["samples"], len(kept["dev"]), len(kept["samples"])


def reference_pipeline():  # noqa: ANN201 - a spaCy Language
    import spacy
    from scispacy.abbreviation import AbbreviationDetector  # noqa: F401 - registers the factory
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    nlp = spacy.blank("en")
    nlp.tokenizer = combined_rule_tokenizer(nlp)
    nlp.add_pipe("abbreviation_detector")
    return nlp


def time_reference(texts: list[str]) -> float:
    nlp = reference_pipeline()
    start = time.perf_counter()
    for text in texts:
        nlp(text)
    return time.perf_counter() - start


def time_rifkb(records: list[Record]) -> tuple[float, float]:
    """(seconds to build the pipeline, seconds to extract every record)."""
    from rifkb.nlp import build_pipeline
    from rifkb.nlp.reading import extract_record

    start = time.perf_counter()
    nlp = build_pipeline()
    built = time.perf_counter()
    for record in records:
        extract_record(nlp, record)
    return built - start, time.perf_counter() - built


def time_components(records: list[Record]) -> dict[str, float]:
    """Seconds in each component (and in making the Doc and the Extraction record)."""
    from rifkb.nlp import build_pipeline
    from rifkb.nlp.reading import record_doc, to_extraction

    nlp = build_pipeline()
    spent: dict[str, float] = defaultdict(float)
    clock = time.perf_counter
    for record in records:
        start = clock()
        doc = record_doc(nlp, record)
        spent["tokenizer (record_doc)"] += clock() - start
        for name, component in nlp.pipeline:
            start = clock()
            doc = component(doc)
            spent[name] += clock() - start
        start = clock()
        to_extraction(doc)
        spent["to_extraction"] += clock() - start
    return spent


def corpus_of(records: list[Record], size: int, folder: Path):  # noqa: ANN201 - a Corpus
    """A corpus of `size` records: the records over and over, each copy its own."""
    from rifkb.corpus.folder import init_corpus
    from rifkb.corpus.rows import Provenance

    copies = [
        replace(r, source_id=None, pmid=str(90_000_000 + i), pmcid=None, doi=None, title=f"{r.title} [{i}]")
        for i, r in zip(range(size), itertools.cycle(records), strict=False)
    ]
    corpus = init_corpus(folder)
    with corpus.open_store() as store:
        store.add_records(copies, Provenance("import", "benchmark"))
        assert store.count() == size
    return corpus


def time_workers(corpus, workers: int) -> float:  # noqa: ANN001 - a Corpus
    from rifkb.kb.runs import extract_corpus

    with corpus.open_store() as store:
        start = time.perf_counter()
        report = extract_corpus(corpus, store, workers=workers, force=True)
        seconds = time.perf_counter() - start
    assert not report.failures
    return seconds


def rifkb_command() -> list[str]:
    """`rifkb` as installed next to this Python (a user's command), else `python -m`."""
    script = Path(sys.executable).with_name("rifkb")
    return [str(script)] if script.exists() else [sys.executable, "-m", "rifkb.cli.app"]


def time_command(corpus, workers: int, scratch: Path) -> float:  # noqa: ANN001 - a Corpus
    """Seconds of `rifkb extract` on a fresh copy of the corpus (never extracted)."""
    folder = scratch / f"run-{workers}"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(corpus.path, folder)
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    )
    start = time.perf_counter()
    done = subprocess.run([*rifkb_command(), "extract", "-c", str(folder), "--workers", str(workers)],
                          env=env, capture_output=True, text=True)  # fmt: skip
    seconds = time.perf_counter() - start
    if done.returncode != 0 or "failed 0" not in done.stdout:
        raise SystemExit(f"rifkb extract failed ({done.returncode}): {done.stdout}{done.stderr}")
    shutil.rmtree(folder)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--abstracts", type=int, default=4_420, help="records of the command's corpus")
    parser.add_argument("--no-workers", action="store_true", help="skip the runs with worker processes")
    parser.add_argument("--command-only", action="store_true", help="only part 3, the whole command")
    args = parser.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    load = os.getloadavg()
    records, from_dev, from_samples = distinct_abstracts()
    texts = [document_text(r)[0] for r in records]
    n = len(records)
    print(f"{n} distinct abstracts ({from_dev} dev, {from_samples} from ../shared/samples), "
          f"{args.repeats} runs, {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f}")  # fmt: skip

    if not args.command_only:
        reference, whole, build = [], [], []
        for repeat in range(args.repeats):
            order = (0, 1) if repeat % 2 == 0 else (1, 0)
            for which in order:
                if which == 0:
                    reference.append(n / time_reference(texts))
                else:
                    built, spent = time_rifkb(records)
                    build.append(built)
                    whole.append(n / spent)
        ref, rif = statistics.median(reference), statistics.median(whole)
        print("\nabstracts/s, one process (median; runs)")
        print(f"  scispaCy tokenizer + abbreviation detector  {ref:6.0f}  ({_runs(reference)})")
        print(f"  whole rifkb pipeline + Extraction records  {rif:6.0f}  ({_runs(whole)})")
        built = 1000 * statistics.median(build)
        print(f"  ratio {rif / ref:.2f}  (building the rifkb pipeline: {built:.0f} ms, once)")

        spent: dict[str, list[float]] = defaultdict(list)
        for _ in range(args.repeats):
            for name, seconds in time_components(records).items():
                spent[name].append(1000 * seconds / n)
        print("\nms per abstract (median)")
        for name, values in spent.items():
            print(f"  {name:28s} {statistics.median(values):6.3f}")
        own = [name for name in spent if name.startswith("rifkb_") and name != "rifkb_abbreviations"]
        own_total = sum(statistics.median(spent[name]) for name in [*own, "to_extraction"])
        print(f"  {'rifkb own (no abbreviations)':28s} {own_total:6.3f}")

    worker_counts = (1,) if args.no_workers else (1, 2)
    with tempfile.TemporaryDirectory(prefix="rifkb-extract-bench-") as tmp:
        corpus = corpus_of(records, args.abstracts, Path(tmp) / "corpus")
        size = args.abstracts
        copies = _texts_of(corpus)
        command: dict[int, list[float]] = {w: [] for w in worker_counts}
        reference = []
        for repeat in range(args.repeats):
            order = [*worker_counts, 0] if repeat % 2 == 0 else [0, *reversed(worker_counts)]
            for workers in order:
                if workers == 0:
                    reference.append(size / time_reference(copies))
                else:
                    command[workers].append(size / time_command(corpus, workers, Path(tmp)))
        ref = statistics.median(reference)
        print(f"\nthe whole command, {size} records (abstracts/s, median; runs)")
        print(f"  scispaCy tokenizer + abbreviation detector  {ref:6.0f}  ({_runs(reference)})")
        for workers, values in command.items():
            what = "rifkb extract" + (f" --workers {workers}" if workers > 1 else "")
            print(f"  {what:43s} {statistics.median(values):6.0f}  ({_runs(values)})")
        one = statistics.median(command[1])
        print(f"  ratio {one / ref:.2f}", end="")
        if 2 in command:
            two = statistics.median(command[2])
            print(f"; with 2 workers {two / ref:.2f}; speed-up of 2 workers {two / one:.2f}x", end="")
        print()
        # This VM's speed drifts by ±15 % within minutes: each repeat's runs were made one
        # after the other, so their own ratios drift less than the medians' ratio above.
        ratios = [c / r for c, r in zip(command[1], reference, strict=True)]
        print(f"  by repeat: ratio {_ratios(ratios)}", end="")
        if 2 in command:
            speedups = [b / a for a, b in zip(command[1], command[2], strict=True)]
            print(f"; speed-up of 2 workers {_ratios(speedups)}", end="")
        print()

        if not args.command_only:
            runs: dict[int, list[float]] = {w: [] for w in worker_counts}
            for repeat in range(args.repeats):
                for workers in worker_counts if repeat % 2 == 0 else tuple(reversed(worker_counts)):
                    runs[workers].append(size / time_workers(corpus, workers))
            print(f"\ninner loop: extract_corpus in this process, {size} records (abstracts/s, median; runs)")
            for workers, values in runs.items():
                what = f"{workers} process{'es' if workers > 1 else ''}"
                print(f"  {what:11s} {statistics.median(values):6.0f}  ({_runs(values)})")
            if 2 in runs:
                print(
                    f"  speed-up of 2 workers: {statistics.median(runs[2]) / statistics.median(runs[1]):.2f}x"
                )
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f}")


def _texts_of(corpus) -> list[str]:  # noqa: ANN001 - a Corpus
    """The texts of the corpus's records, as the command reads them."""
    with corpus.open_store() as store:
        return [document_text(r)[0] for r in store.records()]


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.0f}" for v in values)


def _ratios(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({', '.join(f'{v:.2f}' for v in values)})"


if __name__ == "__main__":
    main()
