"""The screening queue: records to screen, unscreened first, most relevant first.

Once the reviewers have included and excluded enough records, the unscreened ones are
ranked by a classifier trained on those decisions, as ASReview LAB ranks its queue
(van de Schoot et al. 2021, Nat Mach Intell 3:125): TF-IDF features of the title and
abstract, with naive Bayes (ASReview's default, "nb") or logistic regression
("logistic"). Before that they are ordered by date. Records already screened follow,
latest decision first, so the queue is also the log of what was decided.

The same store gives the same queue: the features and both classifiers are
deterministic, and ties are broken by the record's key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rifkb.corpus.reviews import current_decisions
from rifkb.corpus.store import Store
from rifkb.errors import BadInputError
from rifkb.records import EXCLUDE, INCLUDE, UNSCREENED, Record, ScreeningDecision

# ASReview LAB asks for prior knowledge of at least one relevant and one irrelevant record
# before its model ranks anything. We wait for two of each: with one example per class a
# TF-IDF model learns the words of two abstracts, and the order it gives swings wholesale
# with every decision; with two of each the words the included records share begin to
# count (benchmarks/screening_simulation.py starts from this point).
MIN_INCLUDED = 2
MIN_EXCLUDED = 2

MODELS = {"nb": "TF-IDF + naive Bayes", "logistic": "TF-IDF + logistic regression"}

# ASReview's "ELAS u3" model (TF-IDF with English stop words, multinomial naive Bayes
# with alpha 3.822, excluded records weighted down to 1.2 times the included ones), whose
# parameters ASReview tuned on the SYNERGY data sets to match its version 1 default.
NB_ALPHA = 3.822
NB_BALANCE_RATIO = 1.2


@dataclass(frozen=True)
class QueueEntry:
    record: Record
    decision: ScreeningDecision | None  # the latest; None: never screened
    # The classifier's probability that the record is included; None before it is trained,
    # and for screened records (it was trained on them)
    relevance: float | None


@dataclass(frozen=True)
class Queue:
    entries: list[QueueEntry]
    ranked_by: str  # how the unscreened records are ordered, in words
    model: str | None = None  # "nb" | "logistic" when a classifier ranked them, else None
    trained_on: tuple[int, int] = (0, 0)  # the included and excluded records it learnt from

    @property
    def unscreened(self) -> list[QueueEntry]:
        return [e for e in self.entries if _state(e.decision) == UNSCREENED]


def screening_queue(store: Store, model: str = "nb") -> Queue:
    """Every record: unscreened ones first (by relevance once the classifier can be
    trained, by date before), then those screened (latest decision first)."""
    check_model(model)
    decisions = current_decisions(store)
    records = list(store.records())  # in key order: the tie-breaker of every sort below
    unscreened = [r for r in records if _state(decisions.get(r.uid)) == UNSCREENED]
    screened = sorted(
        (r for r in records if _state(decisions.get(r.uid)) != UNSCREENED),
        key=lambda r: decisions[r.uid].id or 0,
        reverse=True,
    )
    included = [r for r in screened if decisions[r.uid].decision == INCLUDE]
    excluded = [r for r in screened if decisions[r.uid].decision == EXCLUDE]
    tail = [QueueEntry(r, decisions[r.uid], None) for r in screened]
    counts = (len(included), len(excluded))
    if not unscreened:
        return Queue(tail, f"nothing left to screen ({len(screened)} screened)", None, counts)
    if len(included) < MIN_INCLUDED or len(excluded) < MIN_EXCLUDED:
        head = [QueueEntry(r, decisions.get(r.uid), None) for r in by_date(unscreened, _first_seen(store))]
        return Queue(head + tail, _date_words(*counts), None, counts)
    texts = [record_text(r) for r in [*included, *excluded, *unscreened]]
    labels = [True] * len(included) + [False] * len(excluded)
    scores = relevance_scores(tfidf_features(texts), labels, model)[len(labels) :]
    ranked = sorted(zip(unscreened, scores, strict=True), key=lambda pair: pair[1], reverse=True)
    head = [QueueEntry(r, decisions.get(r.uid), round(float(p), 6)) for r, p in ranked]
    words = f"relevance ({MODELS[model]}, trained on {counts[0]} included and {counts[1]} excluded)"
    return Queue(head + tail, words, model, counts)


def check_model(model: str) -> None:
    if model not in MODELS:
        known = ", ".join(f"{name} ({words})" for name, words in MODELS.items())
        raise BadInputError(f"unknown screening model {model!r}; known: {known}")


def by_date(records: Sequence[Record], first_seen: dict[str, str]) -> list[Record]:
    """Newest first: the records this corpus took in last (a refresh's new records), then
    the latest published; ties keep the order given (key order)."""
    return sorted(records, key=lambda r: (first_seen.get(r.uid, ""), r.year or 0), reverse=True)


def record_text(record: Record) -> str:
    """What the classifier reads of a record: title, abstract, keywords and MeSH headings
    (never `extra`, which can hold a curator's topic label)."""
    parts = [record.title or "", record.abstract_text, *record.keywords, *(m.descriptor for m in record.mesh)]
    return "\n".join(p for p in parts if p)


def tfidf_features(texts: Sequence[str]) -> Any:
    """TF-IDF of every record's text, fitted on all of them (screened or not), as ASReview
    fits its feature extractor on the whole data set."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(stop_words="english").fit_transform(texts)


def relevance_scores(features: Any, labels: Sequence[bool], model: str) -> list[float]:
    """The probability of inclusion of every row of `features`, by a classifier trained on
    its first len(labels) rows (True: included)."""
    import numpy as np

    check_model(model)
    y = np.array(labels, dtype=int)
    train = features[: len(y)]
    if model == "nb":
        from sklearn.naive_bayes import MultinomialNB

        classifier = MultinomialNB(alpha=NB_ALPHA)
        classifier.fit(train, y, sample_weight=_balanced_weights(y, NB_BALANCE_RATIO))
    else:
        from sklearn.linear_model import LogisticRegression

        classifier = LogisticRegression(class_weight="balanced", max_iter=1000, random_state=0)
        classifier.fit(train, y)
    included_column = list(classifier.classes_).index(1)
    return classifier.predict_proba(features)[:, included_column].tolist()


def _balanced_weights(y: Any, ratio: float) -> Any:
    """ASReview's "balanced" sample weights: the excluded records weigh together 1/ratio of
    the included ones, so a few inclusions are not drowned by many exclusions."""
    import numpy as np

    n_included, n_excluded = int(y.sum()), int(len(y) - y.sum())
    weights = np.where(y == 1, 1.0, n_included / (ratio * n_excluded))
    return weights * (len(y) / weights.sum())


def _state(decision: ScreeningDecision | None) -> str:
    return decision.decision if decision else UNSCREENED


def _first_seen(store: Store) -> dict[str, str]:
    return dict(store.rows("SELECT uid, first_seen FROM records"))


def _date_words(included: int, excluded: int) -> str:
    return (
        "date (newest first: first seen in this corpus, then year of publication); relevance "
        f"ranking starts at {MIN_INCLUDED} included and {MIN_EXCLUDED} excluded "
        f"(now {included} and {excluded})"
    )
