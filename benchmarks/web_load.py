"""The web app under load: `rifkb serve` as a real process on a copy of the bundled corpus,
asked many requests at once; the latency of each (median, 95th percentile, longest),
the statuses answered, and the server's memory.

    python benchmarks/web_load.py [--requests 50] [--forest 40] [--code DIR]
                                  [--phases mix,restart,forest,visit]

Setup: corpora/rif-ivig is copied (without any store) to a temporary folder and extracted
there (`rifkb extract`), so nothing is written into the checkout. The server runs the
rifkb of `--code` (default: this checkout's), put on its PYTHONPATH and run from that
folder (`python -c` puts the working folder before PYTHONPATH: run from another checkout,
it would import that one's rifkb), so that another checkout (the code before a change) is
measured by the same script; the script itself imports no rifkb.

Requests: each on a connection of its own, opened beforehand, in a thread of its own;
all are released at once by a barrier. A request's latency runs from its release to the
last byte of its answer. Posts carry the session cookie and token of one GET made
during setup, and each includes a different unscreened record (POST /decide, answered
303); the screening rows stored are counted afterwards.

Phases, each on a server of its own that is started for it: a fresh server, started on a
copy that has no pages on disk yet. `rifkb serve` makes its heavy pages (the forest page
of its first query and that page's plots, the evidence map, the links form) before it
prints its URL; a server's start-up is timed from the process's start to that line, and
its rounds start after it.

The forest page shows its pooled estimates and, for each plot, an image of its own
(`<img src="/forest/figure?...">`, drawn when asked for); the mixed rounds ask for pages
only, as the requests of other visitors would be, and `visit` for a page and its images.
(A rifkb before that drew every plot inline, in the page: its `visit` has no images.)
- mix: `--requests` requests in these proportions: 8/50 the queue (`/`, some its second
  page), 8/50 `/forest` (2 of them all populations with REML, a query not prepared), 6/50
  `/evidence-map`, 6/50 `/links` (half with a query), 14/50 record pages (all different),
  8/50 posts, in a shuffled (seeded) order. Asked twice: `cold`, on the fresh server, then
  `warm`, with the same kinds of requests (other records), after the first round's posts.
- restart: a server started and stopped on a copy (its pages are kept on disk, in the
  copy's .cache folder), then started again on the unchanged copy: both start-ups are
  timed, and one mixed round is asked of the restarted server (`restarted`).
- forest: `--forest` requests for `/forest` at once on the fresh server (`cold`); then,
  after one post has changed the corpus, again (`after a post`).
- visit: what one browser's visit of `/forest?population=all&method=reml` costs on the
  fresh server: the time to the page, then to the last of its images, asked for 6 at a
  time (as a browser asks one host), from the page's request.

The server's memory is read from /proc/PID/status after each round: VmHWM (its peak
resident set since it started) and VmRSS (now). The load average is printed before and
after: the machine's other work slows every figure.
"""

from __future__ import annotations

import argparse
import html
import http.client
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIX = {"queue": 8, "forest": 8, "map": 6, "links": 6, "record": 14, "post": 8}  # of 50


@dataclass(frozen=True)
class Ask:
    kind: str
    method: str
    path: str
    body: str | None = None


@dataclass(frozen=True)
class Answer:
    ask: Ask
    status: int  # 0: no answer (the connection failed or timed out)
    seconds: float


class Server:
    """`rifkb serve --port 0` of `code` on `corpus`, as a process of its own; ready (and
    `started` timed) when it prints its URL. What it says on stderr (the pages it
    prepares) goes to a file beside the corpus, shown if it fails to start."""

    def __init__(self, code: Path, corpus: Path):
        env = {**os.environ, "PYTHONPATH": str(code)}
        command = [sys.executable, "-c", "from rifkb.cli import main; main()", "serve", "--port", "0",
                   "-c", str(corpus), "--reviewer", "benchmark"]  # fmt: skip
        self.said = corpus.parent / "serve.stderr"
        start = time.perf_counter()
        with self.said.open("w") as said:
            self.process = subprocess.Popen(command, env=env, cwd=code, stdout=subprocess.PIPE, stderr=said,
                                            text=True)  # fmt: skip
        line = self.process.stdout.readline()
        self.started = time.perf_counter() - start
        found = re.search(r"at http://127\.0\.0\.1:(\d+)/", line)
        if not found:
            self.stop()
            raise SystemExit(f"the server did not start: {line!r}\n{self.said.read_text()}")
        self.port = int(found[1])
        self.cookie, self.token = self._session()

    def _session(self) -> tuple[str, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.request("GET", "/")
        response = connection.getresponse()
        page = response.read().decode()
        cookie = response.getheader("set-cookie").split(";")[0]
        return cookie, re.search(r'name="csrf" value="([^"]+)"', page)[1]

    def get(self, path: str) -> str:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
        connection.request("GET", path, headers={"Cookie": self.cookie})
        return connection.getresponse().read().decode()

    def memory(self) -> tuple[float, float]:
        """VmHWM and VmRSS, MiB."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kib = {k: int(v.split()[0]) for k, v in re.findall(r"^(VmHWM|VmRSS):\s+(.+)$", status, re.M)}
        return kib["VmHWM"] / 1024, kib["VmRSS"] / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def prepare_corpus(code: Path, folder: Path) -> Path:
    corpus = folder / "rif-ivig"
    shutil.copytree(ROOT / "corpora" / "rif-ivig", corpus, ignore=shutil.ignore_patterns("store.sqlite*"))
    env = {**os.environ, "PYTHONPATH": str(code)}
    subprocess.run([sys.executable, "-c", "from rifkb.cli import main; main()", "extract", "-c", str(corpus)],
                   env=env, cwd=code, check=True, capture_output=True)  # fmt: skip
    return corpus


def record_ids(server: Server, pages: int = 3) -> list[str]:
    """Records in the queue's order, first to last of its first pages (unscreened at setup)."""
    uids: list[str] = []
    for page in range(1, pages + 1):
        for uid in re.findall(r'name="uid" value="([^"]+)"', server.get(f"/?status=all&page={page}")):
            if uid not in uids:
                uids.append(uid)
    return uids


def mix_counts(n: int) -> dict[str, int]:
    counts = {kind: round(share * n / 50) for kind, share in MIX.items()}
    counts["record"] += n - sum(counts.values())
    return counts


def mix(n: int, records: list[str], posted: list[str], server: Server, seed: int) -> list[Ask]:
    """n requests in MIX's proportions; record pages of `records`, posts including `posted`."""
    counts = mix_counts(n)
    asks = [Ask("queue", "GET", "/" if i % 2 == 0 else "/?status=all&page=2") for i in range(counts["queue"])]
    asks += [Ask("forest", "GET", "/forest" if i % 4 else "/forest?population=all&method=reml")
             for i in range(counts["forest"])]  # fmt: skip
    asks += [Ask("map", "GET", "/evidence-map")] * counts["map"]
    asks += [Ask("links", "GET", "/links" if i % 2 else "/links?from=nk_uterine&to=live+birth")
             for i in range(counts["links"])]  # fmt: skip
    pages = ["/record/" + urllib.parse.quote(uid, safe=":/") for uid in records[: counts["record"]]]
    asks += [Ask("record", "GET", page) for page in pages]
    asks += [Ask("post", "POST", "/decide", _decision(server, uid)) for uid in posted[: counts["post"]]]
    random.Random(seed).shuffle(asks)
    return asks


def _decision(server: Server, uid: str) -> str:
    return urllib.parse.urlencode({"csrf": server.token, "uid": uid, "decision": "include", "back": "/"})


def at_once(server: Server, asks: list[Ask], timeout: float) -> list[Answer]:
    release = threading.Barrier(len(asks))

    def ask(a: Ask) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
        headers = {"Cookie": server.cookie}
        if a.body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        start = time.perf_counter()
        try:
            connection.connect()
            release.wait()
            start = time.perf_counter()
            connection.request(a.method, a.path, a.body, headers)
            response = connection.getresponse()
            response.read()
            return Answer(a, response.status, time.perf_counter() - start)
        except OSError:
            return Answer(a, 0, time.perf_counter() - start)
        finally:
            connection.close()

    with ThreadPoolExecutor(len(asks)) as pool:
        return list(pool.map(ask, asks))


def report(name: str, answers: list[Answer], server: Server) -> None:
    seconds = sorted(a.seconds for a in answers)
    p95 = seconds[min(len(seconds) - 1, round(0.95 * len(seconds)) - 1)]
    statuses = ", ".join(f"{s}×{n}" for s, n in sorted(Counter(a.status for a in answers).items()))
    peak, now = server.memory()
    print(f"  {name:26s} {len(answers):3d} at once: median {statistics.median(seconds):6.2f} s, "
          f"p95 {p95:6.2f} s, max {seconds[-1]:6.2f} s; statuses {statuses}")  # fmt: skip
    print(f"  {'':26s} server memory: peak (VmHWM) {peak:.0f} MiB, now (VmRSS) {now:.0f} MiB")
    kinds = sorted({a.ask.kind for a in answers})
    if len(kinds) > 1:
        by_kind = [
            f"{k} {statistics.median([a.seconds for a in answers if a.ask.kind == k]):.2f}/"
            f"{max(a.seconds for a in answers if a.ask.kind == k):.2f}"
            for k in kinds
        ]
        print(f"  {'':26s} by kind, median/max s: {', '.join(by_kind)}")


def stored_decisions(corpus: Path) -> int:
    with sqlite3.connect(corpus / "store.sqlite") as db:
        return db.execute("SELECT COUNT(*) FROM screening").fetchone()[0]


def started(name: str, server: Server) -> None:
    print(f"  {name:26s} start-up (process start to its URL printed): {server.started:6.2f} s")


def records_and_posts(server: Server, n: int) -> tuple[list[str], list[str]]:
    """Records for the record pages of a round, and twice a round's posts."""
    counts, uids = mix_counts(n), record_ids(server, pages=1 + n // 20)
    posts, records = uids[: 2 * counts["post"]], uids[2 * counts["post"] :]
    if len(records) < counts["record"]:
        raise SystemExit(f"the corpus has too few records for {n} requests")
    return records, posts


def mix_phase(code: Path, folder: Path, n: int, timeout: float) -> None:
    corpus = prepare_corpus(code, folder / "mix")
    server = Server(code, corpus)
    started("mix, first start", server)
    try:
        records, posts = records_and_posts(server, n)
        half = mix_counts(n)["post"]
        for round_, (name, posted) in enumerate((("mix, cold", posts[:half]), ("mix, warm", posts[half:]))):
            answers = at_once(server, mix(n, records, posted, server, seed=round_), timeout)
            report(name, answers, server)
        redirected = sum(a.status == 303 for a in answers)
        print(f"  {'':26s} posts answered 303 in the last round: {redirected}; "
              f"screening decisions stored in all: {stored_decisions(corpus)}")  # fmt: skip
    finally:
        server.stop()


def restart_phase(code: Path, folder: Path, n: int, timeout: float) -> None:
    corpus = prepare_corpus(code, folder / "restart")
    first = Server(code, corpus)
    first.stop()
    started("first start (none on disk)", first)
    server = Server(code, corpus)
    started("restart (pages on disk)", server)
    try:
        records, posts = records_and_posts(server, n)
        answers = at_once(server, mix(n, records, posts[: mix_counts(n)["post"]], server, seed=0), timeout)
        report("mix, restarted", answers, server)
    finally:
        server.stop()


def forest_phase(code: Path, folder: Path, n: int, timeout: float) -> None:
    corpus = prepare_corpus(code, folder / "forest")
    server = Server(code, corpus)
    started("forest, first start", server)
    try:
        report("forest, cold", at_once(server, [Ask("forest", "GET", "/forest")] * n, timeout), server)
        (uid, *_) = record_ids(server, 1)
        (posted,) = at_once(server, [Ask("post", "POST", "/decide", _decision(server, uid))], timeout)
        answers = at_once(server, [Ask("forest", "GET", "/forest")] * n, timeout)
        report(f"forest, after a post ({posted.status})", answers, server)
    finally:
        server.stop()


VISIT = "/forest?population=all&method=reml"
BROWSER_CONNECTIONS = 6  # what a browser opens to one host


def visit_phase(code: Path, folder: Path, timeout: float) -> None:
    corpus = prepare_corpus(code, folder / "visit")
    server = Server(code, corpus)
    started("visit, first start", server)
    try:
        start = time.perf_counter()
        page = server.get(VISIT)
        to_page = time.perf_counter() - start
        images = [html.unescape(src) for src in re.findall(r'<img\b[^>]*?\bsrc="(/[^"]+)"', page)]
        with ThreadPoolExecutor(BROWSER_CONNECTIONS) as pool:
            statuses = Counter(pool.map(lambda path: _status(server, path, timeout), images))
        to_images = time.perf_counter() - start
        told = ", ".join(f"{s}×{n}" for s, n in sorted(statuses.items())) or "none"
        print(f"  {'visit, ' + VISIT}: the page {to_page:.2f} s; its {len(images)} images, "
              f"{BROWSER_CONNECTIONS} at a time, all answered {to_images:.2f} s; {told}")  # fmt: skip
        peak, now = server.memory()
        print(f"  {'':26s} server memory: peak (VmHWM) {peak:.0f} MiB, now (VmRSS) {now:.0f} MiB")
    finally:
        server.stop()


def _status(server: Server, path: str, timeout: float) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Cookie": server.cookie})
        response = connection.getresponse()
        response.read()
        return response.status
    except OSError:
        return 0
    finally:
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="requests at once in the mixed rounds")
    parser.add_argument("--forest", type=int, default=40, help="/forest requests at once")
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose rifkb serves")
    parser.add_argument("--phases", default="mix,restart,forest,visit", help="the phases, comma-separated")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds a request may take")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"rifkb serve of {args.code.resolve()} on a copy of corpora/rif-ivig; {os.cpu_count()} cores, "
          f"load average before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")  # fmt: skip
    phases = args.phases.split(",")
    with tempfile.TemporaryDirectory(prefix="rifkb-web-bench-") as tmp:
        if "mix" in phases:
            mix_phase(args.code.resolve(), Path(tmp), args.requests, args.timeout)
        if "restart" in phases:
            restart_phase(args.code.resolve(), Path(tmp), args.requests, args.timeout)
        if "forest" in phases:
            forest_phase(args.code.resolve(), Path(tmp), args.forest, args.timeout)
        if "visit" in phases:
            visit_phase(args.code.resolve(), Path(tmp), args.timeout)
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
