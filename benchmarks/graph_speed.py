"""Graph build, a links query and the review-table export on the bundled corpus repeated
to 10,000 records: seconds (median of --repeats runs) and peak memory (tracemalloc, in a
separate pass, since tracing slows the code it measures).

    python benchmarks/graph_speed.py [--records 10000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import itertools
import shutil
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rifkb.corpus.folder import load_corpus  # noqa: E402
from rifkb.kb.graph import build_graph  # noqa: E402
from rifkb.kb.papers import Paper, papers_from_store  # noqa: E402
from rifkb.kb.query import query_links  # noqa: E402
from rifkb.kb.runs import extract_corpus  # noqa: E402
from rifkb.review.tables import review_tables, write_tables  # noqa: E402
from rifkb.rules import load_rules  # noqa: E402


def bundled_papers(workdir: Path) -> list[Paper]:
    corpus_dir = workdir / "rif-ivig"
    shutil.copytree(ROOT / "corpora" / "rif-ivig", corpus_dir, ignore=shutil.ignore_patterns("store.sqlite*"))
    with load_corpus(corpus_dir).open_store() as store:
        extract_corpus(store)
        return papers_from_store(store)


def repeated(papers: list[Paper], count: int) -> list[Paper]:
    """count papers: the bundled ones again and again, each copy with its own id."""
    out = []
    for n, paper in zip(range(count), itertools.cycle(papers), strict=False):
        copy = n // len(papers)
        doc_id = f"{paper.extraction.doc_id}#{copy}" if copy else paper.extraction.doc_id
        out.append(Paper(paper.record, replace(paper.extraction, doc_id=doc_id)))
    return out


def stages(papers: list[Paper], outdir: Path) -> dict[str, object]:
    concepts = load_rules().concepts
    graph = build_graph(papers, concepts)
    links = query_links(graph, "nk_uterine", "live_birth")
    write_tables(review_tables(papers), outdir)
    return {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(), "paths": len(links.paths)}


def timed(papers: list[Paper], outdir: Path) -> dict[str, float]:
    concepts = load_rules().concepts
    times = {}
    start = time.perf_counter()
    graph = build_graph(papers, concepts)
    times["graph build"] = time.perf_counter() - start
    start = time.perf_counter()
    query_links(graph, "nk_uterine", "live_birth")
    times["links query (nk_uterine -> live_birth)"] = time.perf_counter() - start
    start = time.perf_counter()
    write_tables(review_tables(papers), outdir)
    times["table export (CSV, XLSX, Markdown)"] = time.perf_counter() - start
    return times


def peak_memory(papers: list[Paper], outdir: Path) -> dict[str, float]:
    concepts = load_rules().concepts
    peaks = {}
    for name, step in (
        ("graph build", lambda: build_graph(papers, concepts)),
        ("table export", lambda: write_tables(review_tables(papers), outdir)),
    ):
        tracemalloc.start()
        kept = step()
        peaks[name] = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
        del kept
    return peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        papers = repeated(bundled_papers(work), args.records)
        shape = stages(papers, work / "tables")
        runs = [timed(papers, work / "tables") for _ in range(args.repeats)]
        peaks = peak_memory(papers, work / "tables")
    print(f"{args.records} records: {shape['nodes']} nodes, {shape['edges']} edges, {shape['paths']} paths")
    for name in runs[0]:
        values = [r[name] for r in runs]
        each = ", ".join(f"{v:.2f}" for v in values)
        print(f"  {name:40s} median {statistics.median(values):7.2f} s  (runs: {each})")
    for name, mib in peaks.items():
        print(f"  peak memory, {name:27s} {mib:7.0f} MiB")


if __name__ == "__main__":
    main()
