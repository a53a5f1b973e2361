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
3. Workers: what `rifkb extract --workers N` runs (`extract_corpus`, storing every
   extraction) on a corpus of `--abstracts` records (the distinct abstracts over and
   over, each copy with its own PMID and its number in the title), with 1 process and
   with 2 worker processes, alternately; starting the workers (building the pipeline
   in each) is included.

Medians of `--repeats` runs are printed, with the load average before and after: the
machine's other work slows every figure, workers most.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--abstracts", type=int, default=10_000, help="records for the workers' runs")
    parser.add_argument("--no-workers", action="store_true", help="skip the runs with worker processes")
    args = parser.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    load = os.getloadavg()
    records, from_dev, from_samples = distinct_abstracts()
    texts = [document_text(r)[0] for r in records]
    n = len(records)
    print(f"{n} distinct abstracts ({from_dev} dev, {from_samples} from ../shared/samples), "
          f"{args.repeats} runs, {os.cpu_count()} cores, load {load[0]:.2f} {load[1]:.2f}")  # fmt: skip

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

    if not args.no_workers:
        runs: dict[int, list[float]] = {1: [], 2: []}
        with tempfile.TemporaryDirectory(prefix="rifkb-extract-bench-") as tmp:
            corpus = corpus_of(records, args.abstracts, Path(tmp) / "corpus")
            for repeat in range(args.repeats):
                for workers in (1, 2) if repeat % 2 == 0 else (2, 1):
                    runs[workers].append(args.abstracts / time_workers(corpus, workers))
        one, two = statistics.median(runs[1]), statistics.median(runs[2])
        print(f"\nrifkb extract (extract_corpus), {args.abstracts} records (abstracts/s, median; runs)")
        print(f"  1 process  {one:6.0f}  ({_runs(runs[1])})")
        print(f"  2 workers  {two:6.0f}  ({_runs(runs[2])})")
        print(f"  speed-up of 2 workers: {two / one:.2f}x")
    load = os.getloadavg()
    print(f"\nload average after: {load[0]:.2f} {load[1]:.2f}")


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.0f}" for v in values)


if __name__ == "__main__":
    main()
