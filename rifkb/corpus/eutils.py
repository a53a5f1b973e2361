"""The only place rifkb talks to NCBI E-utilities, through Bio.Entrez.

Bio.Entrez builds the requests (parameters, POST for long id lists) and keeps NCBI's
rate (3 requests/s, 10/s with an API key). What it does not do, this module adds:

- a configurable base URL (`RIFKB_EUTILS_URL`): Bio.Entrez hard-codes NCBI's, so a urllib
  handler rewrites the URL of each request while a client call is under way;
- a timeout on every request (Bio.Entrez's urlopen has none);
- retries with exponential backoff and full jitter on 429, 5xx, timeouts, dropped
  connections and truncated or malformed responses (Bio.Entrez retries 5xx at once,
  without waiting; see the AWS Architecture Blog, "Exponential Backoff And Jitter");
- a refusal of any other URL while a call is under way, so that the XML parser can never
  download a DTD at run time.
"""

from __future__ import annotations

import http.client
import io
import random
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.error import HTTPError, URLError
from urllib.parse import urlparse

from Bio import Entrez

from rifkb.corpus.formats.pubmed_xml import PARSE_ERRORS, pin_doctype, records_from_xml
from rifkb.errors import FetchError
from rifkb.records import Record

NCBI_EUTILS_URL = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
# PubMed's E-utilities page through the first 10,000 hits of a query only
# (NCBI, "The E-utilities In-Depth", ESearch: retstart).
PUBMED_RETRIEVAL_CAP = 10_000
MAX_TIMEOUT = 86_400  # seconds per request: a day; more is a mistake, and inf overflows
T = TypeVar("T")


class MalformedResponse(FetchError):
    """A response arrived but could not be read as the XML it should be."""


class Unreachable(FetchError):
    """E-utilities could not be reached at all: no network, a refused connection, a
    timeout. What is stored is still there to work from (`rifkb refresh --offline`)."""


@dataclass(frozen=True)
class EutilsConfig:
    email: str
    api_key: str | None = None
    base_url: str = NCBI_EUTILS_URL
    timeout: float = 60.0
    max_tries: int = 6
    backoff_base: float = 1.0
    backoff_cap: float = 60.0
    tool: str = "rifkb"

    def __post_init__(self) -> None:
        if not self.email or "@" not in self.email:
            raise FetchError(
                "NCBI asks every E-utilities user for an email address: pass --email or set NCBI_EMAIL"
            )
        if urlparse(self.base_url).scheme not in ("http", "https"):
            raise FetchError(f"E-utilities URL {self.base_url!r} is not http(s)")
        if not 0 < self.timeout <= MAX_TIMEOUT:  # also refuses nan; inf overflows the socket
            raise FetchError(f"timeout {self.timeout!r}: give a number of seconds up to {MAX_TIMEOUT}")


@dataclass(frozen=True)
class SearchResult:
    """An esearch answer kept on NCBI's history server."""

    count: int
    ids: tuple[str, ...]
    webenv: str
    query_key: str


@dataclass
class PubMedClient:
    config: EutilsConfig
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    requests_made: int = 0

    def count(self, term: str, mindate: str | None, maxdate: str | None) -> int:
        """Number of PubMed records matching term with an Entrez date in the range."""
        answer = self._call(
            "esearch", lambda: Entrez.esearch(**self._search_params(term, mindate, maxdate, 0)),
            _read_entrez,
        )  # fmt: skip
        return int(answer["Count"])

    def search(self, term: str, mindate: str | None, maxdate: str | None) -> SearchResult:
        """esearch with usehistory=y: the ids (at most 10,000) and the history keys."""
        params = self._search_params(term, mindate, maxdate, PUBMED_RETRIEVAL_CAP)
        answer = self._call("esearch", lambda: Entrez.esearch(usehistory="y", **params), _read_entrez)
        return SearchResult(
            int(answer["Count"]),
            tuple(str(i) for i in answer["IdList"]),
            str(answer["WebEnv"]),
            str(answer["QueryKey"]),
        )

    def fetch_batch(self, result: SearchResult, retstart: int, retmax: int) -> list[Record]:
        """One efetch batch from the history server."""
        return self._call(
            f"efetch {retstart + 1}-{retstart + retmax}",
            lambda: Entrez.efetch(
                db="pubmed", retmode="xml", WebEnv=result.webenv, query_key=result.query_key,
                retstart=retstart, retmax=retmax, **self._identity(),
            ),
            records_from_xml,
        )  # fmt: skip

    def fetch_ids(self, pmids: list[str]) -> list[Record]:
        """efetch by id; Bio.Entrez switches to POST past 200 ids, as NCBI asks."""
        return self._call(
            f"efetch of {len(pmids)} PMIDs",
            lambda: Entrez.efetch(db="pubmed", retmode="xml", id=pmids, **self._identity()),
            records_from_xml,
        )

    def _search_params(
        self, term: str, mindate: str | None, maxdate: str | None, retmax: int
    ) -> dict[str, Any]:
        params: dict[str, Any] = {"db": "pubmed", "term": term, "retmax": retmax}
        if mindate or maxdate:
            params.update(datetype="edat", mindate=mindate or "1800/01/01", maxdate=maxdate)
        return {**params, **self._identity()}

    def _identity(self) -> dict[str, Any]:
        return {
            "email": self.config.email,
            "api_key": self.config.api_key,
            "tool": self.config.tool,
        }

    def _call(self, what: str, request: Callable[[], Any], parse: Callable[[bytes], T]) -> T:
        """Request, read and parse, retried as a unit with backoff and jitter."""
        last: Exception | None = None
        for attempt in range(self.config.max_tries):
            if attempt:
                self.sleep(self._backoff(attempt, last))
            try:
                with _eutils_session(self.config):
                    self.requests_made += 1
                    handle = request()
                    try:
                        data = handle.read()
                    finally:
                        handle.close()
                return parse(data)
            except HTTPError as exc:
                exc.close()  # it holds the response's socket open until closed
                if exc.code != 429 and exc.code < 500:
                    raise FetchError(f"{what}: E-utilities refused the request (HTTP {exc.code})") from None
                last = exc
            except (URLError, OSError, http.client.HTTPException, *PARSE_ERRORS) as exc:
                last = exc
        kind = FetchError
        if isinstance(last, PARSE_ERRORS):
            kind = MalformedResponse
        elif isinstance(last, OSError) and not isinstance(last, HTTPError):  # URLError is an OSError
            kind = Unreachable
        tries = self.config.max_tries
        raise kind(
            f"{what}: gave up after {tries} {'try' if tries == 1 else 'tries'}; last error: {_describe(last)}"
        )

    def _backoff(self, attempt: int, error: Exception | None) -> float:
        ceiling = min(self.config.backoff_cap, self.config.backoff_base * 2**attempt)
        wait = self.rng.uniform(0, ceiling)
        if isinstance(error, HTTPError) and error.headers:
            retry_after = error.headers.get("Retry-After", "")
            if retry_after.isdigit():  # NCBI's 429s may say how long to wait
                wait = max(wait, min(float(retry_after), self.config.backoff_cap))
        return wait


def _read_entrez(data: bytes) -> Any:
    return Entrez.read(io.BytesIO(pin_doctype(data)), validate=False)


def _describe(error: Exception | None) -> str:
    if isinstance(error, HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, URLError):
        return f"{error.reason}"
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


class _EutilsHandler(urllib.request.BaseHandler):
    """Send NCBI's E-utilities URLs to the configured base, with a timeout; refuse others."""

    handler_order = 100  # before the default handlers

    def __init__(self, base_url: str, timeout: float):
        self.base_url = base_url.rstrip("/") + "/"
        self.timeout = timeout

    def _rewrite(self, req: urllib.request.Request) -> urllib.request.Request:
        url = req.full_url
        if url.startswith(NCBI_EUTILS_URL):
            req.full_url = self.base_url + url[len(NCBI_EUTILS_URL) :]
        elif not url.startswith(self.base_url):
            raise URLError(f"rifkb contacts E-utilities only, not {url}")
        req.timeout = self.timeout
        return req

    http_request = https_request = _rewrite


@contextmanager
def _eutils_session(config: EutilsConfig) -> Iterator[None]:
    """Bio.Entrez opens URLs with urllib's global opener: set ours for one call."""
    handlers: list[urllib.request.BaseHandler] = [_EutilsHandler(config.base_url, config.timeout)]
    if urlparse(config.base_url).hostname in ("127.0.0.1", "localhost", "::1"):
        handlers.append(urllib.request.ProxyHandler({}))  # never proxy loopback
    previous_opener = urllib.request._opener  # no public getter; restored below
    previous_tries = Entrez.max_tries
    urllib.request.install_opener(urllib.request.build_opener(*handlers))
    Entrez.max_tries = 1  # our loop retries, with backoff
    try:
        yield
    finally:
        urllib.request.install_opener(previous_opener)
        Entrez.max_tries = previous_tries
