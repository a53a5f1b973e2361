"""`fetch_search` end to end through Bio.Entrez against a loopback E-utilities server."""

from __future__ import annotations

from datetime import date

import pytest

from rifkb.corpus.eutils import EutilsConfig, PubMedClient
from rifkb.corpus.fetch import fetch_search
from rifkb.errors import FetchError
from tests.eutils_server import make_articles

TERM = "recurrent implantation failure"
TODAY = date(2026, 11, 21)


def load(server, n, first_pmid=30_000_000, start=date(2015, 1, 1), end=date(2026, 6, 30)):
    server.pubmed.add(TERM, make_articles(n, first_pmid, start, end))


def run(corpus, client, **kwargs):
    with corpus.open_store() as store:
        result = fetch_search(store, client, corpus.search("rif"), today=TODAY, **kwargs)
        pmids = store.pmids_held([str(p) for p in range(30_000_000, 30_020_000)], "rif")
    return result, pmids


def test_plain_run_fetches_every_hit_in_batches(server, client, corpus):
    load(server, 120)
    result, held = run(corpus, client, batch_size=50)
    assert (result.hits, result.new, result.status) == (120, 120, "complete")
    assert len(held) == 120
    fetches = server.pubmed.requests("efetch")
    assert [(f["retstart"], f["retmax"]) for f in fetches] == [
        ("0", "50"),
        ("50", "50"),
        ("100", "20"),
    ]
    assert all(f["WebEnv"] == "WEBENV_1" for f in fetches)  # from the history server


@pytest.mark.parametrize("fault", ["429", "500", "drop", "truncate", "hang"])
def test_transient_faults_are_retried(server, client, corpus, fault):
    load(server, 60)
    server.pubmed.hang_seconds = 1.5  # past the client's 1 s timeout
    server.pubmed.inject("efetch", None, fault)  # the second batch fails once
    server.pubmed.inject("esearch", fault)
    result, held = run(corpus, client, batch_size=25)
    assert (result.status, len(held), result.new) == ("complete", 60, 60)
    assert len(server.pubmed.requests("efetch")) == 4


def test_batch_with_fewer_records_is_completed_by_id(server, client, corpus):
    load(server, 60)
    server.pubmed.inject("efetch", "short")  # NCBI silently leaves 3 records out
    result, held = run(corpus, client, batch_size=30)
    assert (result.status, len(held)) == ("complete", 60)
    by_id = [f for f in server.pubmed.requests("efetch") if "id" in f]
    assert len(by_id) == 1 and len(by_id[0]["id"].split(",")) == 3


def test_records_never_delivered_are_reported_by_pmid(server, client, corpus):
    load(server, 40)
    server.pubmed.withheld = {"30000005", "30000031"}
    result, held = run(corpus, client, batch_size=20)
    assert (result.status, result.failed_pmids, len(held)) == (
        "incomplete",
        ("30000005", "30000031"),
        38,
    )
    with corpus.open_store() as store:
        assert store.watermark("rif") is None  # the next run asks for the same window
        assert store.runs("rif")[-1].failed_pmids == ("30000005", "30000031")


def test_batch_malformed_on_every_try_is_split_then_reported(server, corpus):
    load(server, 3)
    config = EutilsConfig(
        "t@example.org",
        "k",
        server.url,
        timeout=1,
        max_tries=2,
        backoff_base=0.001,
        backoff_cap=0.001,
    )
    # two tries each: the batch, the by-id chunk, then the first id on its own
    server.pubmed.inject("efetch", *["truncate"] * 6)
    result, held = run(corpus, PubMedClient(config), batch_size=3)
    assert result.failed_pmids == ("30000000",)
    assert len(held) == 2 and result.status == "incomplete"


def test_interrupted_run_resumes_without_duplicates(server, client, corpus):
    load(server, 100)
    server.pubmed.inject("efetch", None, None, *["500"] * 4)  # then the server gives up
    with pytest.raises(FetchError, match="HTTP 500"):
        run(corpus, client, batch_size=20)
    with corpus.open_store() as store:
        assert len(store.pmids_held([str(p) for p in range(30_000_000, 30_000_100)])) == 40
        assert store.runs("rif")[-1].status == "interrupted"
        assert store.watermark("rif") is None
    before = len(server.pubmed.requests("efetch"))
    result, held = run(corpus, client, batch_size=20)
    assert (result.status, len(held), result.new, result.unchanged) == ("complete", 100, 60, 40)
    assert len(server.pubmed.requests("efetch")) - before == 3  # only the batches not held


def test_incremental_run_asks_only_for_records_added_since(server, client, corpus):
    load(server, 80, end=date(2026, 11, 1))
    first, _ = run(corpus, client, batch_size=50)
    assert first.status == "complete"
    server.pubmed.add(TERM, make_articles(7, 30_010_000, TODAY, TODAY))
    second, held = run(corpus, client, batch_size=50)
    assert (second.hits, second.new, len(held)) == (7, 7, 87)
    last_search = server.pubmed.requests("esearch")[-1]
    assert (last_search["datetype"], last_search["mindate"]) == ("edat", "2026/11/21")
    full, _ = run(corpus, client, batch_size=50, full=True)
    assert (full.hits, full.new, full.unchanged) == (87, 0, 87)


def test_search_above_10000_hits_is_split_by_date(server, client, corpus):
    load(server, 12_000, start=date(2000, 1, 1), end=date(2026, 6, 30))
    result, held = run(corpus, client, batch_size=1000)
    assert (result.hits, result.status, len(held)) == (12_000, "complete", 12_000)
    searches = [s for s in server.pubmed.requests("esearch") if s.get("usehistory") == "y"]
    assert len(searches) >= 2
    assert all(int(f["retstart"]) < 10_000 for f in server.pubmed.requests("efetch") if "retstart" in f)


def test_two_thousand_records_with_faults_end_as_two_thousand(server, client, corpus):
    """The issue's acceptance run: every kind of fault, and exactly 2,000 unique records."""
    load(server, 2_000)
    server.pubmed.inject("esearch", "429")
    server.pubmed.inject("efetch", "500", None, "drop", "truncate", None, "short", "429")
    result, held = run(corpus, client, batch_size=500)
    with corpus.open_store() as store:
        assert store.count() == 2_000
    assert (result.hits, result.new, result.status, len(held)) == (2_000, 2_000, "complete", 2_000)


def test_email_is_required():
    with pytest.raises(FetchError, match="email"):
        EutilsConfig(email="")


def test_other_urls_are_refused_while_a_call_runs(server):
    """The only host contacted is the E-utilities base: no DTD or other download."""
    config = EutilsConfig("t@example.org", base_url=server.url, max_tries=1)
    client = PubMedClient(config)
    import urllib.request

    from rifkb.corpus.eutils import _eutils_session

    with _eutils_session(config), pytest.raises(OSError, match="E-utilities only"):
        urllib.request.urlopen("https://www.ncbi.nlm.nih.gov/dtd/x.dtd")
    assert client.requests_made == 0


@pytest.mark.parametrize(("api_key", "per_second"), [(None, 3), ("key", 10)])
def test_requests_stay_within_ncbi_rate(server, api_key, per_second):
    """NCBI allows 3 requests a second, 10 with an API key (Bio.Entrez paces them)."""
    load(server, 5)
    client = PubMedClient(EutilsConfig("t@example.org", api_key, server.url))
    for _ in range(4):
        client.count(TERM, None, None)
    gaps = [b - a for a, b in zip(server.pubmed.arrivals, server.pubmed.arrivals[1:], strict=False)]
    assert min(gaps) >= 1 / per_second - 0.01
