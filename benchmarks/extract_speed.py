"""Extraction speed: abstracts per second for the default pipeline, in one process and
with 2 workers, next to scispaCy's tokenizer alone on the same texts in the same run.

    python benchmarks/extract_speed.py [--abstracts 5000] [--repeats 3]

The texts are the dev corpus (tests/data/dev.jsonl) repeated. Each configuration runs
`--repeats` times; medians are printed, with the ratio to the tokenizer and the speed-up
of 2 workers. Worker start-up (loading the pipeline in each process) is included.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rifkb.corpus.formats import read_records  # noqa: E402
from rifkb.kb.runs import extract_records  # noqa: E402
from rifkb.nlp.reading import document_text  # noqa: E402

DEV = Path(__file__).resolve().parent.parent / "tests" / "data" / "dev.jsonl"


def tokenizer_alone(texts: list[str]) -> float:
    import spacy
    from scispacy.custom_tokenizer import combined_rule_tokenizer

    nlp = spacy.blank("en")
    nlp.tokenizer = combined_rule_tokenizer(nlp)
    start = time.perf_counter()
    for text in texts:
        nlp.make_doc(text)
    return len(texts) / (time.perf_counter() - start)


def extraction(records: list, workers: int) -> float:
    start = time.perf_counter()
    count = sum(1 for _ in extract_records(records, workers=workers))
    return count / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--abstracts", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    base = [r for chunk in read_records(DEV, "jsonl") for r in chunk]
    records = list(itertools.islice(itertools.cycle(base), args.abstracts))
    texts = [document_text(r)[0] for r in records]
    runs: dict[str, list[float]] = {"tokenizer alone": [], "extract, 1 process": [], "extract, 2 workers": []}
    for _ in range(args.repeats):
        runs["tokenizer alone"].append(tokenizer_alone(texts))
        runs["extract, 1 process"].append(extraction(records, 1))
        runs["extract, 2 workers"].append(extraction(records, 2))
    median = {name: statistics.median(rates) for name, rates in runs.items()}
    print(f"{args.abstracts} abstracts, {args.repeats} runs each, {os.cpu_count()} cores; median abstracts/s")
    for name, rate in median.items():
        spread = f"(runs: {', '.join(f'{r:.0f}' for r in runs[name])})"
        print(f"  {name:22s} {rate:8.0f}  {spread}")
    tokens = median["tokenizer alone"]
    print(f"  extraction / tokenizer, 1 process: {median['extract, 1 process'] / tokens:.2f}x")
    print(f"  extraction / tokenizer, 2 workers: {median['extract, 2 workers'] / tokens:.2f}x")
    print(f"  speed-up of 2 workers: {median['extract, 2 workers'] / median['extract, 1 process']:.2f}x")


if __name__ == "__main__":
    main()
