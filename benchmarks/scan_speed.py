"""`rifkb scan` speed: the whole command (process start to exit) with 1 and 2 Dask workers,
its fixed costs, a projection to PubMed's 1,300 baseline files, and the inner loop
(records read per second per worker on a warm cluster, peak memory per worker, and what
bounds a worker: reader, prefilter, extraction).

    python benchmarks/scan_speed.py [--files 4] [--records 30000] [--on-topic 0.01] [--repeats 3]
                                    [--folder DIR] [--rifkb ROOT] [--no-inner]

Makes baseline-like files (tests/pubmed_files.py: the dev abstracts, cycled with fresh
PMIDs up to the on-topic share, among generated off-topic MEDLINE records with authors,
MeSH and references; gzipped like PubMed's, ~6 KB of XML per record) in --folder (kept
and reused when it holds them already) or a temporary folder.

The whole command: `rifkb scan FILES --workers N` as a subprocess on a fresh corpus per
run, timed from its start to its exit: what a user waits for. `--timings` (when the rifkb
run has it) says where the time went: cluster start, the workers' setup (pipeline build),
a file on a worker (median), the writer's commits, the scan, cluster close; "process
start and imports" is the rest (interpreter, imports, the inputs checked). `--rifkb ROOT`
runs (and imports, for the inner loop) the rifkb at ROOT instead of this checkout's: the
same benchmark on main's code is the "before".

The inner loop: scan_corpus in this process on a local cluster whose workers have built
their prefilter and pipeline already (cluster start-up and the first pipeline build left
out, as a scan of 1,300 files pays them once), the one writer's commits in. Then, in
this process, the parts alone on one file: the reader (gunzip, lxml, title and abstract),
the prefilter, the full field parser (Bio.Entrez) and the pipeline on the kept records.

Medians of --repeats runs; the load average before and after says how quiet the
machine was (ratios within one run compare; absolute times on a loaded machine do not).
"""

from __future__ import annotations

import argparse
import logging
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path


def _rifkb_root() -> Path:
    """--rifkb ROOT, read before rifkb is imported (this checkout's by default)."""
    for i, arg in enumerate(sys.argv):
        if arg == "--rifkb" and i + 1 < len(sys.argv):
            return Path(sys.argv[i + 1]).resolve()
        if arg.startswith("--rifkb="):
            return Path(arg.split("=", 1)[1]).resolve()
    return Path(__file__).resolve().parent.parent


ROOT = _rifkb_root()
sys.path.insert(0, str(ROOT))
# this checkout's tests/pubmed_files.py makes the files, whichever rifkb is measured
sys.path.insert(1, str(Path(__file__).resolve().parent.parent))

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


BASELINE_FILES = 1_300  # PubMed's annual baseline: ~1,300 files of ~30,000 records each
PROJECTED_WORKERS = (16, 64)


def rifkb_command() -> list[str]:
    """The `rifkb` command of this interpreter's environment, importing rifkb from ROOT."""
    script = Path(sys.executable).with_name("rifkb")
    return [str(script)] if script.exists() else [sys.executable, "-c", "from rifkb.cli import main; main()"]


def command_env() -> dict[str, str]:
    paths = [str(ROOT), os.environ.get("PYTHONPATH")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p)}


def has_timings() -> bool:
    """Whether the rifkb measured says where its time went (`rifkb scan --timings`)."""
    result = subprocess.run([*rifkb_command(), "scan", "--help"], env=command_env(), capture_output=True,
                            text=True, check=True)  # fmt: skip
    return "--timings" in result.stdout


def whole_command(paths: list[Path], workers: int, corpus: Path, timings: bool) -> dict[str, float]:
    """`rifkb scan` on a fresh corpus, timed from process start to exit: {"total": s,
    "records": records read, "kept": n, and what --timings said}."""
    subprocess.run([*rifkb_command(), "init", str(corpus)], env=command_env(), check=True,
                   capture_output=True)  # fmt: skip
    args = [*rifkb_command(), "scan", *map(str, paths), "-c", str(corpus), "--workers", str(workers)]
    start = time.perf_counter()
    # run from the corpus's folder: the fork server of a rifkb before 181b366 put the
    # working directory first on its path, so a checkout there was what its workers ran
    result = subprocess.run([*args, *(["--timings"] if timings else [])], env=command_env(),
                            capture_output=True, text=True, cwd=corpus.parent)  # fmt: skip
    total = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"rifkb scan failed ({result.returncode}): {result.stderr.strip()[-2000:]}")
    counts = re.search(r"records read (\d+), kept (\d+)", result.stdout)
    assert counts, result.stdout
    found = {"total": total, "records": float(counts[1]), "kept": float(counts[2])}
    line = next((x for x in result.stderr.splitlines() if x.startswith("timings: ")), "")
    for name, seconds in re.findall(r"([a-z ]+) ([0-9.]+) s", line.removeprefix("timings: ")):
        found[name.strip()] = float(seconds)
    if line:  # what the timings leave: interpreter start, imports, the inputs checked
        found["process start and imports"] = total - sum(
            found.get(k, 0.0) for k in ("cluster start", "scan", "cluster close")
        )
    return found


def pipeline_build_seconds() -> float:
    """Importing spaCy and rifkb's pipeline and building it with rifkb's rules, in a fresh
    process: what each worker pays once (or its fork server once for all)."""
    code = (
        "import time, warnings; warnings.simplefilter('ignore'); t = time.perf_counter()\n"
        "from rifkb.nlp import build_pipeline\nfrom rifkb.kb.prefilter import Prefilter\n"
        "from rifkb.rules import RULES_DIR, load_rules\n"
        "Prefilter(load_rules(RULES_DIR)); build_pipeline(None, str(RULES_DIR))\n"
        "print(time.perf_counter() - t)"
    )
    # -P: ROOT (PYTHONPATH), not the working directory, first on the path
    result = subprocess.run([sys.executable, "-P", "-c", code], env=command_env(), capture_output=True,
                            text=True, check=True)  # fmt: skip
    return float(result.stdout.strip().splitlines()[-1])


def report_whole(runs: dict[int, list[dict[str, float]]], files: int, build: float) -> None:
    """The whole command's table, its fixed costs and the projection to the baseline."""
    med = {w: {k: statistics.median(r.get(k, math.nan) for r in rs) for k in rs[0]} for w, rs in runs.items()}
    print("\n## The whole command (`rifkb scan FILES --workers N`, process start to exit)\n")
    print("| workers | seconds | records read /s per worker | kept | runs (s) |")
    print("| --- | --- | --- | --- | --- |")
    for w, m in med.items():
        runs_s = ", ".join(f"{r['total']:.2f}" for r in runs[w])
        rate = m["records"] / m["total"] / w
        print(f"| {w} | {m['total']:.2f} | {rate:,.0f} | {m['kept']:.0f} | {runs_s} |")
    one, two = med[1], med[2]
    print(f"\nspeed-up of 2 workers over 1 (whole command): {one['total'] / two['total']:.2f}x")
    if "file" not in one:
        print("(this rifkb has no `scan --timings`: no breakdown)")
        return
    names = ("process start and imports", "cluster start", "worker setup", "writer", "cluster close", "file")
    print("\n| medians, seconds | " + " | ".join(f"{w} worker{'s' * (w > 1)}" for w in med) + " |")
    print("| --- |" + " --- |" * len(med))
    for name in names:
        label = {"worker setup": "worker setup in its first task (pipeline build; 0: the fork server's)",
                 "writer": "writer's commits, all files (in this process, beside the workers)",
                 "file": "one file of the workers' (median, setup left out)"}.get(name, name)  # fmt: skip
        print(f"| {label} | " + " | ".join(f"{m.get(name, math.nan):.2f}" for m in med.values()) + " |")
    print(f"| spaCy and the pipeline imported and built, fresh process (alone) | {build:.2f} | |")
    # Fixed costs: what the whole command takes beyond its rounds of files (files / workers,
    # rounded up, each a file's time on a worker), measured with 1 worker and with 2.
    fixed = {w: m["total"] - math.ceil(files / w) * m["file"] for w, m in med.items()}
    per_file = statistics.median(m["file"] for m in med.values())
    writer_per_file = statistics.median(m["writer"] / files for m in med.values())
    kept_per_file = one["kept"] / files
    base = max(fixed.values())
    print("\nfixed costs (whole command less its rounds of files): "
          + ", ".join(f"{w} worker{'s' * (w > 1)} {f:.2f} s" for w, f in fixed.items())
          + f"; a file on a worker {per_file:.2f} s ({one['records'] / files / per_file:,.0f} records/s); "
          f"the writer {writer_per_file:.3f} s per file ({kept_per_file:.0f} kept records)")  # fmt: skip
    print(f"\n## Projection: PubMed's {BASELINE_FILES:,} baseline files (~30,000 records each)\n")
    print(
        "Assumes each file costs a worker what one of these did (per-file cost as measured, its "
        "on-topic share as here), perfect scaling of the workers, and one writer committing files as "
        "they come: time = fixed costs + ceil(files / workers) x per-file cost, unless the writer is "
        "slower than the files arrive (then files x the writer's time per file).\n"
    )
    print("| workers | hours | files /s arriving | writer busy | kept records /s the writer must store |")
    print("| --- | --- | --- | --- | --- |")
    for w in PROJECTED_WORKERS:
        arriving = w / per_file
        busy = arriving * writer_per_file
        seconds = base + max(math.ceil(BASELINE_FILES / w) * per_file, BASELINE_FILES * writer_per_file)
        kept = arriving * kept_per_file
        print(f"| {w} | {seconds / 3600:.2f} | {arriving:.2f} | {busy:.0%} | {kept:,.0f} |")
    print(
        f"\nthe one writer bounds the scan beyond {per_file / writer_per_file:.0f} workers "
        f"({1 / writer_per_file:.1f} files/s, {kept_per_file / writer_per_file:,.0f} kept records/s)"
    )


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
    parser.add_argument("--rifkb", type=Path, default=ROOT, help="the rifkb checkout to measure")
    parser.add_argument("--no-inner", action="store_true", help="the whole command only")
    args = parser.parse_args()
    warnings.simplefilter("ignore", FutureWarning)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="rifkb-scan-bench-") as tmp:
        folder = args.folder or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        on_topic = round(args.files * args.records * args.on_topic)
        paths, _ = made_files(folder, args.files, args.records, on_topic)
        size = sum(p.stat().st_size for p in paths) / 2**20
        print(f"rifkb from {ROOT}; {args.files} files x {args.records} records, {on_topic} on topic, "
              f"{size:.0f} MiB gzipped (ready in {time.perf_counter() - start:.0f} s); "
              f"{os.cpu_count()} CPUs")  # fmt: skip
        timings = has_timings()
        whole: dict[int, list[dict[str, float]]] = {1: [], 2: []}
        for run in range(args.repeats):
            for workers in whole:
                corpus = Path(tmp) / f"whole-{workers}-{run}"
                whole[workers].append(whole_command(paths, workers, corpus, timings))
        build = statistics.median(pipeline_build_seconds() for _ in range(args.repeats))
        report_whole(whole, args.files, build)
        if args.no_inner:
            print(f"\nload average (1, 5, 15 min) before {load_before}, after {os.getloadavg()}")
            return
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
    print("\n## The inner loop (warm cluster: its start and the first pipeline build left out)\n")
    print("| workers | records read /s per worker | peak RSS per worker (MiB) | kept |")
    print("| --- | --- | --- | --- |")
    medians = {}
    for workers, runs in results.items():
        medians[workers] = statistics.median(r[0] for r in runs)
        peak = max(r[1] for r in runs)
        print(f"| {workers} | {medians[workers]:,.0f} | {peak:.0f} | {runs[0][2]} |")
    print(f"\nspeed-up of 2 workers over 1 (inner loop): {2 * medians[2] / medians[1]:.2f}x")
    print("\n| part alone, one process, one file | records /s |")
    print("| --- | --- |")
    for name in parts[0]:
        print(f"| {name} | {statistics.median(p[name] for p in parts):,.0f} |")
    print(f"\nload average (1, 5, 15 min) before {load_before}, after {load_after}; "
          f"peak memory of this process (the writer; it also made the files and held one file for the "
          f"parts alone) {peak_rss_mib():.0f} MiB")  # fmt: skip


def made_files(folder: Path, files: int, records: int, on_topic: int) -> tuple[list[Path], set[str]]:
    """The benchmark's files in `folder`: made, or reused when a previous run made them
    with the same numbers (their list is kept beside them)."""
    stamp = folder / "scan-bench.txt"
    wanted = f"{files} {records} {on_topic}"
    names = [f"pubmed26n{f + 1:04d}.xml.gz" for f in range(files)]
    if stamp.exists() and stamp.read_text() == wanted and all((folder / n).exists() for n in names):
        return [folder / n for n in names], set()
    made = baseline_files(folder, files, records, on_topic=on_topic)
    stamp.write_text(wanted)
    return made


if __name__ == "__main__":
    main()
