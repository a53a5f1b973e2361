"""How much screening the relevance ranking saves: a simulation on the 110 dev abstracts.

As ASReview's simulation mode does, a reviewer who always decides as the labels say
screens the queue one record at a time: it starts from 2 included and 2 excluded
records drawn at random (rifkb's threshold for training, `MIN_INCLUDED`/`MIN_EXCLUDED`),
and the classifier is retrained after every decision. Compared: naive Bayes and
logistic regression (rifkb's two models, the same code `rifkb screen` runs), the date
order rifkb uses before the threshold, and random order. Reported, as the median over
10 seeds (the draws of the first four records; random order also shuffles with it):
recall (the share of the included records found, of those not among the first four)
after screening 10, 25 and 50 % of the rest, the share screened to find 95 %, and
WSS@95 (work saved over sampling at 95 % recall, Cohen et al. 2006, JAMIA 13:206:
the share of records not screened at that point, less 5 %).

The label is a proxy, since nobody screened these abstracts for a review: the gold
extraction records (`../shared/corpus/dev-gold.jsonl`) say which interventions each
abstract studies and in whom. Two review questions:

- immunotherapy in RIF: the gold names an immunomodulatory intervention (IVIg,
  intralipid, G-CSF, glucocorticoids, PBMC, tacrolimus, cyclosporine, TNF-alpha
  inhibitors, hydroxychloroquine, lymphocyte immunotherapy) and a RIF population: the
  question the bundled corpus is about (30 of 110);
- any treatment in RIF: any intervention and a RIF population (54 of 110).

    python benchmarks/screening_simulation.py [--seeds 10] [--dev ../shared/corpus/dev.jsonl]

With `--speed N`, it times instead `screening_queue` (what `rifkb screen` and the web app
call) on a store of the dev records repeated to N, 5 included and 5 excluded.

    python benchmarks/screening_simulation.py --speed 10000
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rifkb.corpus.reviews import decide  # noqa: E402
from rifkb.corpus.store import Provenance, Store  # noqa: E402
from rifkb.records import Record, ScreeningDecision  # noqa: E402
from rifkb.review.screening import (  # noqa: E402
    MIN_EXCLUDED,
    MIN_INCLUDED,
    by_date,
    record_text,
    relevance_scores,
    screening_queue,
    tfidf_features,
)

SHARED = ROOT.parent / "shared" / "corpus"
IMMUNOMODULATORY = {"ivig", "intralipid", "gcsf", "glucocorticoid", "pbmc", "tacrolimus", "cyclosporine",
                    "tnf_inhibitor", "hydroxychloroquine", "lymphocyte_immunotherapy"}  # fmt: skip
QUESTIONS: dict[str, Callable[[dict], bool]] = {
    "immunotherapy in RIF": lambda g: (
        bool(IMMUNOMODULATORY & set(g["concepts"].get("intervention", [])))
        and "rif" in g["concepts"].get("population", [])
    ),
    "any treatment in RIF": lambda g: (
        bool(g["concepts"].get("intervention")) and "rif" in g["concepts"].get("population", [])
    ),
}
ORDERS = ("nb", "logistic", "date", "random")
CHECKPOINTS = (0.10, 0.25, 0.50)


def load(dev: Path, gold: Path) -> tuple[list[Record], list[dict]]:
    """The records and their gold, in key order (the tie-breaker of the queue)."""
    lines = dev.read_text(encoding="utf-8").splitlines()
    records = [Record.from_json(json.loads(line)) for line in lines if line.strip()]
    gold_lines = gold.read_text(encoding="utf-8").splitlines()
    golds = {g["doc_id"]: g for g in (json.loads(line) for line in gold_lines if line.strip())}
    records.sort(key=lambda r: r.uid)
    return records, [golds[r.uid] for r in records]


def simulate(order: str, records: list[Record], labels: list[bool], features, seed: int) -> list[bool]:  # noqa: ANN001
    """The labels of the records in the order they are screened after the first four."""
    rng = random.Random(seed)
    included = [i for i, label in enumerate(labels) if label]
    excluded = [i for i, label in enumerate(labels) if not label]
    seen = rng.sample(included, MIN_INCLUDED) + rng.sample(excluded, MIN_EXCLUDED)
    pool = [i for i in range(len(records)) if i not in seen]
    if order == "random":
        rng.shuffle(pool)
        return [labels[i] for i in pool]
    if order == "date":
        place = {r.uid: i for i, r in enumerate(records)}
        return [labels[place[r.uid]] for r in by_date([records[i] for i in pool], {})]
    screened = []
    while pool:
        rows = seen + pool
        scores = relevance_scores(features[rows], [labels[i] for i in seen], order)[len(seen) :]
        best = max(range(len(pool)), key=lambda k: (scores[k], -pool[k]))  # ties: key order
        seen.append(pool.pop(best))
        screened.append(labels[seen[-1]])
    return screened


def measures(screened: list[bool]) -> dict[str, float]:
    """Recall at the checkpoints, the share screened to reach 95 % recall, and WSS@95."""
    total, found, out = sum(screened), 0, {}
    needed = None
    for n, label in enumerate(screened, 1):
        found += label
        if needed is None and found >= 0.95 * total:
            needed = n
    for share in CHECKPOINTS:
        out[f"recall@{share:.0%}"] = sum(screened[: round(share * len(screened))]) / total
    out["screened@95"] = needed / len(screened)
    out["WSS@95"] = 1 - needed / len(screened) - 0.05
    return out


def queue_speed(records: list[Record], labels: list[bool], count: int) -> None:
    """Seconds `screening_queue` takes on `count` records (median of 3), per model."""
    # each copy its own record: no PMID or DOI, a title of its own (else they merge as duplicates)
    copies = [replace(r, pmid=None, doi=None, source_id=f"copy{n}:{r.uid}", title=f"{r.title or ''} ({n})")
              for n in range(count // len(records) + 1) for r in records][:count]  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp, Store(Path(tmp) / "store.sqlite") as store:
        store.add_records(copies, Provenance("import", "copies"))
        chosen = [i for i, y in enumerate(labels) if y][:5] + [i for i, y in enumerate(labels) if not y][:5]
        decide(store, [ScreeningDecision(copies[i].uid, "include" if labels[i] else "exclude", "proxy",
                                         "benchmark", "") for i in chosen])  # fmt: skip
        print(f"screening_queue on {store.count()} records, 5 included and 5 excluded (median of 3):")
        for model in ("nb", "logistic"):
            times = []
            for _ in range(3):
                started = time.perf_counter()
                screening_queue(store, model)
                times.append(time.perf_counter() - started)
            print(f"  {model:9} {statistics.median(times):.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev", type=Path, default=SHARED / "dev.jsonl")
    parser.add_argument("--gold", type=Path, default=SHARED / "dev-gold.jsonl")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--speed", type=int, metavar="N", help="time the queue on N records instead")
    args = parser.parse_args()
    records, golds = load(args.dev, args.gold)
    if args.speed:
        queue_speed(records, [QUESTIONS["immunotherapy in RIF"](g) for g in golds], args.speed)
        return
    features = tfidf_features([record_text(r) for r in records])
    for question, is_included in QUESTIONS.items():
        labels = [is_included(g) for g in golds]
        print(f"\n{question}: {sum(labels)} of {len(labels)} included; median of {args.seeds} seeds")
        print(f"{'order':10} {'recall@10%':>10} {'recall@25%':>10} {'recall@50%':>10} {'screened@95':>11} "
              f"{'WSS@95':>7} {'seconds':>8}")  # fmt: skip
        for order in ORDERS:
            started = time.perf_counter()
            runs = [measures(simulate(order, records, labels, features, seed)) for seed in range(args.seeds)]
            median = {k: statistics.median(run[k] for run in runs) for k in runs[0]}
            print(f"{order:10} {median['recall@10%']:>10.0%} {median['recall@25%']:>10.0%} "
                  f"{median['recall@50%']:>10.0%} {median['screened@95']:>11.0%} {median['WSS@95']:>7.1%} "
                  f"{time.perf_counter() - started:>8.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
