"""A loopback HTTP server that answers esearch and efetch like NCBI's E-utilities.

It keeps a PubMed of its own (articles with an Entrez date, in PubMed's efetch XML), a
history server (WebEnv + query_key), pages like PubMed (only the first 10,000 hits of a
query can be reached), filters by Entrez date (datetype=edat, mindate, maxdate), and
injects faults on request: HTTP 429 and 500, a dropped connection, a truncated batch, a
batch with fewer records than asked, a hang past the client's timeout, or a server that
is down until told otherwise.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

CAP = 10_000
DOCTYPE = (
    '<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN" '
    '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">'
)
DEV_JSONL = Path(__file__).parent / "data" / "dev.jsonl"


@dataclass
class Article:
    pmid: str
    edat: date
    title: str
    abstract: str
    journal: str = "Reproductive BioMedicine Online"
    year: int = 2020
    revised: date = date(2024, 1, 1)

    def xml(self) -> str:
        e = html.escape
        return f"""<PubmedArticle>
    <MedlineCitation Status="MEDLINE" Owner="NLM">
        <PMID Version="1">{self.pmid}</PMID>
        <DateRevised><Year>{self.revised.year}</Year><Month>{self.revised.month:02d}</Month><Day>{self.revised.day:02d}</Day></DateRevised>
        <Article PubModel="Print">
            <Journal>
                <JournalIssue CitedMedium="Print"><PubDate><Year>{self.year}</Year></PubDate></JournalIssue>
                <Title>{e(self.journal)}</Title>
            </Journal>
            <ArticleTitle>{e(self.title)}</ArticleTitle>
            <ELocationID EIdType="doi" ValidYN="Y">10.9999/loopback.{self.pmid}</ELocationID>
            <Abstract><AbstractText>{e(self.abstract)}</AbstractText></Abstract>
            <Language>eng</Language>
            <PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType></PublicationTypeList>
        </Article>
    </MedlineCitation>
    <PubmedData>
        <History><PubMedPubDate PubStatus="entrez"><Year>{self.edat.year}</Year><Month>{self.edat.month}</Month><Day>{self.edat.day}</Day></PubMedPubDate></History>
        <PublicationStatus>ppublish</PublicationStatus>
        <ArticleIdList><ArticleId IdType="pubmed">{self.pmid}</ArticleId></ArticleIdList>
    </PubmedData>
</PubmedArticle>"""


def make_articles(n: int, first_pmid: int, start: date, end: date) -> list[Article]:
    """n articles with real RIF titles and abstracts (the dev corpus, cycled), Entrez
    dates spread evenly from start to end."""
    texts = [json.loads(line) for line in DEV_JSONL.read_text(encoding="utf-8").splitlines()]
    span = (end - start).days
    return [
        Article(
            pmid=str(first_pmid + i),
            edat=date.fromordinal(start.toordinal() + (span * i) // max(n - 1, 1)),
            title=f"{t['title']} [{first_pmid + i}]",
            abstract=t["abstract"],
            journal=t.get("journal") or "Human Reproduction",
            year=t.get("year") or 2020,
        )
        for i, t in zip(range(n), itertools.cycle(texts), strict=False)
    ]


@dataclass
class FakePubMed:
    """State of the fake E-utilities: articles, the query each term matches, faults."""

    articles: dict[str, Article] = field(default_factory=dict)
    queries: dict[str, list[str]] = field(default_factory=dict)
    faults: dict[str, deque] = field(default_factory=lambda: {"esearch": deque(), "efetch": deque()})
    withheld: set[str] = field(default_factory=set)  # listed by esearch, never delivered
    down: bool = False
    hang_seconds: float = 3.0
    log: list[tuple[str, dict]] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    history: dict[str, list[str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, term: str, articles: list[Article]) -> None:
        for a in articles:
            self.articles[a.pmid] = a
        self.queries.setdefault(term, []).extend(a.pmid for a in articles)

    def inject(self, endpoint: str, *faults: str | None) -> None:
        """Faults for the next requests to endpoint, in order (None: answer normally)."""
        self.faults[endpoint].extend(faults)

    def requests(self, endpoint: str) -> list[dict]:
        return [params for name, params in self.log if name == endpoint]

    def matching(self, term: str, params: dict) -> list[str]:
        ids = self.queries.get(term, [])
        if params.get("mindate") or params.get("maxdate"):
            low = _date(params.get("mindate", "1800/01/01"))
            high = _date(params.get("maxdate", "3000/01/01"))
            ids = [i for i in ids if low <= self.articles[i].edat <= high]
        # PubMed lists the most recently added first
        return sorted(ids, key=lambda i: (self.articles[i].edat, int(i)), reverse=True)


def _date(text: str) -> date:
    parts = [int(p) for p in text.split("/")] + [1, 1]
    return date(parts[0], parts[1], parts[2])


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        self._answer(parse_qs(urlparse(self.path).query))

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        self._answer(parse_qs(body))

    def _answer(self, raw: dict[str, list[str]]) -> None:
        pubmed = self.server.pubmed
        params = {k: v[0] for k, v in raw.items()}
        endpoint = urlparse(self.path).path.rsplit("/", 1)[-1].removesuffix(".fcgi")
        with pubmed.lock:
            pubmed.log.append((endpoint, params))
            pubmed.arrivals.append(time.monotonic())
            fault = pubmed.faults.get(endpoint, deque()).popleft() if pubmed.faults.get(endpoint) else None
        if pubmed.down:
            return self._send(503, b"Service Unavailable")
        if fault == "429":
            return self._send(429, b"Too Many Requests", {"Retry-After": "0"})
        if fault == "500":
            return self._send(500, b"Internal Server Error")
        if fault == "drop":
            self.close_connection = True
            return  # no status line at all: the client sees the connection closed
        if fault == "hang":
            time.sleep(pubmed.hang_seconds)
        if endpoint == "esearch":
            return self._send(200, self._esearch(params))
        if endpoint == "efetch":
            return self._send(200, self._efetch(params, fault))
        return self._send(404, b"unknown E-utility")

    def _esearch(self, params: dict) -> bytes:
        pubmed = self.server.pubmed
        ids = pubmed.matching(params.get("term", ""), params)
        retstart, retmax = int(params.get("retstart", 0)), int(params.get("retmax", 20))
        if retstart >= CAP:
            return _esearch_error("Search Backend failed: retstart cannot be larger than 9998")
        page = ids[retstart : min(retstart + retmax, CAP)]
        history = ""
        if params.get("usehistory") == "y":
            with pubmed.lock:
                key = f"WEBENV_{len(pubmed.history) + 1}"
                pubmed.history[key] = ids
            history = f"<QueryKey>1</QueryKey><WebEnv>{key}</WebEnv>"
        id_list = "".join(f"<Id>{i}</Id>" for i in page)
        return (
            '<?xml version="1.0" encoding="UTF-8" ?>\n'
            '<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch 20060628//EN" '
            '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n'
            f"<eSearchResult><Count>{len(ids)}</Count><RetMax>{len(page)}</RetMax>"
            f"<RetStart>{retstart}</RetStart>{history}<IdList>{id_list}</IdList>"
            "<TranslationSet/><QueryTranslation/></eSearchResult>\n"
        ).encode()

    def _efetch(self, params: dict, fault: str | None) -> bytes:
        pubmed = self.server.pubmed
        if "id" in params:
            ids = [i for i in params["id"].split(",") if i in pubmed.articles]
        else:
            ids = pubmed.history.get(params.get("WebEnv", params.get("webenv", "")), [])
            start, count = int(params.get("retstart", 0)), int(params.get("retmax", 20))
            if start >= CAP:
                return b"<?xml version='1.0'?><eFetchResult><ERROR>retstart</ERROR></eFetchResult>"
            ids = ids[start : min(start + count, CAP)]
        ids = [i for i in ids if i not in pubmed.withheld]
        if fault == "short":
            ids = ids[: max(len(ids) - 3, 0)]
        body = "\n".join(pubmed.articles[i].xml() for i in ids)
        data = f'<?xml version="1.0" ?>\n{DOCTYPE}\n<PubmedArticleSet>\n{body}\n</PubmedArticleSet>\n'
        encoded = data.encode()
        return encoded[: len(encoded) // 2] if fault == "truncate" else encoded

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/xml; charset=UTF-8")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


def _esearch_error(message: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" ?>\n'
        f"<eSearchResult><ERROR>{html.escape(message)}</ERROR></eSearchResult>\n"
    ).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    pubmed: FakePubMed


class EutilsServer:
    """Start with `with EutilsServer() as server:`; `server.url` is the E-utilities base."""

    def __init__(self, pubmed: FakePubMed | None = None):
        self.pubmed = pubmed or FakePubMed()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.pubmed = self.pubmed
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/entrez/eutils/"

    def __enter__(self) -> EutilsServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


def main() -> None:
    """Serve a fake PubMed on loopback for manual runs of `rifkb fetch`:

    python -m tests.eutils_server --records 2000 --term 'RIF AND IVIg' --faults
    """
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--term", default="RIF AND IVIg")
    parser.add_argument("--faults", action="store_true", help="one of each fault, early on")
    args = parser.parse_args()
    pubmed = FakePubMed()
    pubmed.add(args.term, make_articles(args.records, 32_000_000, date(2010, 1, 1), date(2026, 6, 1)))
    if args.faults:
        pubmed.inject("esearch", "429")
        pubmed.inject("efetch", "500", None, "drop", "truncate", None, "short", "429")
    with EutilsServer(pubmed) as server, contextlib.suppress(KeyboardInterrupt):
        print(server.url, flush=True)
        threading.Event().wait()


if __name__ == "__main__":
    main()
