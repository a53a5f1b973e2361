"""`rifkb scan` speed: records read per second per worker with 1 and 2 Dask workers, the
speed-up, peak memory per worker, and what bounds a worker (reader, prefilter, extraction).

    python benchmarks/scan_speed.py [--files 4] [--records 30000] [--on-topic 0.01] [--repeats 3]

Makes baseline-like files (tests/pubmed_files.py: the dev abstracts, cycled with fresh
PMIDs up to the on-topic share, among generated off-topic MEDLINE records with authors,
MeSH and references; gzipped like PubMed's, ~6 KB of XML per record) in a temporary
folder, then scans them into a fresh corpus per run, on a local cluster of 1, then 2,
single-threaded worker processes. Cluster start-up and the workers' first pipeline build
are left out (a scan of PubMed's 1,300 files pays them once); the commits of the one
writer are in. Peak memory is each worker's peak resident memory (VmHWM), asked of
the workers. Then, in this process, the parts alone on one file: the reader (gunzip, lxml,
title and abstract), the prefilter, the full field parser (Bio.Entrez) and the pipeline
on the kept records. Medians of --repeats runs; the load average before and after says
how quiet the machine was.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rifkb.corpus.folder import init_corpus  # noqa: E402
from rifkb.corpus.formats.pubmed_scan import PubmedScanner, ScannedArticle, records_of_xml  # noqa: E402
from rifkb.kb.prefilter import Prefilter  # noqa: E402
from rifkb.kb.runs import extraction_or_failure  # noqa: E402
from rifkb.kb.scan import scan_corpus  # noqa: E402
from rifkb.kb.scan_worker import RulesPayload, tools  # noqa: E402
from rifkb.nlp import build_pipeline, pipeline_fingerprint  # noqa: E402
from rifkb.rules import RULES_DIR, load_rules  # noqa: E402
from tests.pubmed_files import baseline_files  # noqa: E402


def peak_rss_mib() -> float:
    """This process's peak resident memory: Linux's VmHWM. Not getrusage's ru_maxrss: a
    worker process is started by fork and exec, and Linux counts in its ru_maxrss the
    memory of the process it was forked from (this one, with the files it made)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def warm(payload: RulesPayload) -> None:
    tools(payload)


def scan_run(paths: list[Path], workers: int, folder: Path, payload: RulesPayload) -> tuple:
    """(records read per second per worker, peak RSS of the largest worker in MiB, kept)."""
    from distributed import Client, LocalCluster

    corpus = init_corpus(folder)
    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0",
                     silence_logs=logging.CRITICAL) as cluster,
        Client(cluster) as client,
        corpus.open_store() as store,
    ):  # fmt: skip
        client.run(warm, payload)  # each worker builds its prefilter and pipeline first
        start = time.perf_counter()
        report = scan_corpus(corpus, store, paths, scheduler=cluster.scheduler_address)
        seconds = time.perf_counter() - start
        peak = max(client.run(peak_rss_mib).values())
    assert report.count("failed") == 0, report.failures
    return report.total("records_read") / seconds / workers, peak, report.total("kept")


def parts_alone(path: Path, prefilter: Prefilter) -> dict[str, float]:
    """Records per second of each part on one file, in this process."""
    rates = {}
    start = time.perf_counter()
    articles, sample = [], []
    for item in PubmedScanner(path):
        if isinstance(item, ScannedArticle):
            articles.append((item.tag, item.text))
            if len(sample) < 3000:  # the full parser's sample (outside the reader's timing)
                pause = time.perf_counter()
                sample.append((item.tag, item.xml()))
                start += time.perf_counter() - pause
    rates["reader (gunzip, lxml, title + abstract)"] = len(articles) / (time.perf_counter() - start)
    start = time.perf_counter()
    kept = [i for i, (_, text) in enumerate(articles) if prefilter.concerns(text)]
    rates["prefilter"] = len(articles) / (time.perf_counter() - start)
    start = time.perf_counter()
    records_of_xml(path, sample)
    rates["full field parser (Bio.Entrez), for comparison"] = len(sample) / (time.perf_counter() - start)
    wanted = set(kept)
    xml = [(item.tag, item.xml()) for i, item in enumerate(_articles(path)) if i in wanted]  # while read
    records = records_of_xml(path, xml)
    nlp = build_pipeline(None, str(RULES_DIR))
    start = time.perf_counter()
    for record in records:
        extraction_or_failure(nlp, record)
    seconds = time.perf_counter() - start
    rates[f"pipeline on the {len(records)} kept, per record read"] = len(articles) / seconds
    return rates


def _articles(path: Path) -> Iterator[ScannedArticle]:
    return (item for item in PubmedScanner(path) if isinstance(item, ScannedArticle))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--records", type=int, default=30_000, help="records per file")
    parser.add_argument("--on-topic", type=float, default=0.01, help="share of records on topic")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--folder", type=Path, help="where to make the files (default: a temporary folder)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="rifkb-scan-bench-") as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        on_topic = round(args.files * args.records * args.on_topic)
        paths, _ = baseline_files(folder, args.files, args.records, on_topic=on_topic)
        size = sum(p.stat().st_size for p in paths) / 2**20
        print(f"{args.files} files x {args.records} records, {on_topic} on topic, {size:.0f} MiB gzipped "
              f"(made in {time.perf_counter() - start:.0f} s); {os.cpu_count()} CPUs")  # fmt: skip
        rules = load_rules(RULES_DIR)
        version = pipeline_fingerprint(None, str(RULES_DIR))
        payload = RulesPayload(dict(rules.texts), rules.fingerprint, version)
        results: dict[int, list[tuple[float, float, int]]] = {1: [], 2: []}
        for run in range(args.repeats):
            for workers in results:
                corpus = Path(tmp) / f"corpus-{workers}-{run}"
                results[workers].append(scan_run(paths, workers, corpus, payload))
        parts = [parts_alone(paths[0], Prefilter(rules)) for _ in range(args.repeats)]
    load_after = os.getloadavg()
    print("\n| workers | records read /s per worker | peak RSS per worker (MiB) | kept |")
    print("| --- | --- | --- | --- |")
    medians = {}
    for workers, runs in results.items():
        medians[workers] = statistics.median(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        print(f"| {workers} | {medians[workers]:,.0f} | {peak:.0f} | {runs[0][2]} |")
    print(f"\nspeed-up of 2 workers over 1: {2 * medians[2] / medians[1]:.2f}x")
    print("\n| part alone, one process, one file | records /s |")
    print("| --- | --- |")
    for name in parts[0]:
        print(f"| {name} | {statistics.median(p[name] for p in parts):,.0f} |")
    print(f"\nload average (1, 5, 15 min) before {load_before}, after {load_after}; "
          f"peak memory of this process (the writer; it also made the files and held one file for the "
          f"parts alone) {peak_rss_mib():.0f} MiB")  # fmt: skip


if __name__ == "__main__":
    main()
