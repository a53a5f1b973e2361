"""The screening queue (`/`): records in the order `screening_queue` ranks them, a page at
a time, each with its title and abstract marked with what rifkb read, and include and
exclude buttons (an exclusion with a reason: one of the common ones, or typed); and
the decision posted (`/decide`).

After a decision the queue comes back at the same place, so that the next record is
the one under the reviewer's eyes: filtered on unscreened records, the one decided
has left the list and the next has taken its place.
"""

from __future__ import annotations

import math
import urllib.parse
from collections import Counter
from dataclasses import dataclass

from starlette.requests import Request

from rifkb.corpus import reviews
from rifkb.corpus.store import Store
from rifkb.errors import BadInputError
from rifkb.records import EXCLUDE, INCLUDE, UNSCREENED, Record, ScreeningDecision
from rifkb.review.screening import QueueEntry, screening_queue
from rifkb.web.highlight import Highlighted, highlight
from rifkb.web.record import record_page
from rifkb.web.views import (
    EXCLUSION_REASONS,
    Done,
    Page,
    Site,
    View,
    authors_line,
    concept_labels,
    corrected_extraction,
    local_url,
    pubmed_url,
    record_url,
    rules_or_none,
)

PAGE_SIZE = 20
FILTERS = (UNSCREENED, INCLUDE, EXCLUDE, "all")
DONE_WORDS = {INCLUDE: "included", EXCLUDE: "excluded", UNSCREENED: "set back to unscreened"}


@dataclass(frozen=True)
class Card:
    """One record of the queue as its page shows it."""

    index: int  # its place on the page
    rank: int  # its place in the queue
    record: Record
    decision: ScreeningDecision | None
    relevance: float | None
    text: Highlighted
    authors: str
    url: str
    pubmed: str | None

    @property
    def state(self) -> str:
        return self.decision.decision if self.decision else UNSCREENED


def queue_query(request: Request) -> tuple[str, int]:
    status = request.query_params.get("status", UNSCREENED)
    _check_filter(status)
    return status, page_number(request.query_params.get("page"))


def queue_view(site: Site, status: str, page: int) -> View:
    return View("queue.html", queue_context(site, status, page))


def page_number(text: str | None) -> int:
    """The page asked for: not a number ('abc', '²', which `isdigit` passes but `int`
    refuses) is the first page; a number of many digits (which `int` may refuse too) is
    past the last one, and `queue_context` clamps it to the last."""
    if not text or not text.isascii() or not text.isdigit():
        return 1
    return int(text) if len(text) <= 9 else 10**9


def queue_context(site: Site, status: str, page: int) -> dict:
    _check_filter(status)
    with site.open() as (corpus, store):
        queue = screening_queue(store)
        counts = Counter(_state(e) for e in queue.entries)
        shown = [e for e in queue.entries if status in ("all", _state(e))]
        pages = max(1, math.ceil(len(shown) / PAGE_SIZE))
        page = min(max(page, 1), pages)
        first = (page - 1) * PAGE_SIZE
        labels = concept_labels(rules_or_none(corpus, store))
        ranks = {e.record.uid: n for n, e in enumerate(queue.entries, 1)}
        cards = [
            _card(store, n, ranks[e.record.uid], e, labels)
            for n, e in enumerate(shown[first : first + PAGE_SIZE])
        ]
    here = "/?" + urllib.parse.urlencode({"status": status, "page": page})
    return {"title": "Screening queue", "cards": cards, "ranked_by": queue.ranked_by, "status": status,
            "filters": FILTERS, "counts": {**counts, "all": len(queue.entries)}, "page": page, "pages": pages,
            "here": here, "reasons": EXCLUSION_REASONS, "first": first}  # fmt: skip


def _check_filter(status: str) -> None:
    if status not in FILTERS:
        raise BadInputError(f"no filter {status!r}; one of {', '.join(FILTERS)}")


QUEUE = Page("queue", queue_query, queue_view)


def _state(entry: QueueEntry) -> str:
    return entry.decision.decision if entry.decision else UNSCREENED


def _card(store: Store, index: int, rank: int, entry: QueueEntry, labels: dict[str, str]) -> Card:
    extraction, _ = corrected_extraction(store, entry.record.uid)
    record = entry.record
    return Card(index, rank, record, entry.decision, entry.relevance, highlight(record, extraction, labels),
                authors_line(record), record_url(record.uid), pubmed_url(record))  # fmt: skip


# --- the decision ------------------------------------------------------------------------


def decide(site: Site, fields: dict[str, str]) -> Done:
    """Record the decision a form posts (uid, decision, reason_choice and/or reason_text)."""
    decision, reason = fields.get("decision", ""), exclusion_reason(fields)
    with site.open() as (_, store):
        (done,) = reviews.decide(
            store, [ScreeningDecision(fields.get("uid", ""), decision, reason, site.reviewer, "")]
        )
    focus = fields.get("focus", "")
    url = local_url(fields.get("back")) + (f"#entry-{focus}" if focus.isdigit() else "")
    return Done(f"{done.uid}: {DONE_WORDS[decision]}" + (f" ({reason})" if reason else ""), url)


def exclusion_reason(fields: dict[str, str]) -> str | None:
    """'wrong study design', a reason typed, or both: 'wrong study design: a case report'."""
    chosen, typed = fields.get("reason_choice", "").strip(), fields.get("reason_text", "").strip()
    return ": ".join(r for r in (chosen, typed) if r) or None


def decide_again(site: Site, fields: dict[str, str]) -> View:
    """The page the refused decision was posted from, to show it again with the message."""
    back = urllib.parse.urlsplit(local_url(fields.get("back")))
    if back.path.startswith("/record/"):
        return record_page(site, urllib.parse.unquote(back.path.removeprefix("/record/")))
    query = dict(urllib.parse.parse_qsl(back.query))
    return View(
        "queue.html", queue_context(site, query.get("status", UNSCREENED), page_number(query.get("page")))
    )
