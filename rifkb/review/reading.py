"""What a synthesis reads of each study, read once per synthesis.

A synthesis asks every study about every question (forty on the bundled corpus), and
what it reads of a study (the comparisons it reports, the pairs they make) depends on the
study alone: read once, by the identity of its extraction, in a table that lives for one
synthesis (`once_per_synthesis`) and one thread (a ContextVar), so that nothing outlives
the extractions it was read from and two syntheses at once share nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import wraps
from typing import Any, TypeVar

from rifkb.records import Extraction

T = TypeVar("T")
_Table = dict[tuple[Callable, int], tuple[Extraction, Any]]
_READ: ContextVar[_Table | None] = ContextVar("read", default=None)


@contextmanager
def once_per_synthesis() -> Iterator[None]:
    """Within it, each `read_once` function reads a study once."""
    token = _READ.set({})
    try:
        yield
    finally:
        _READ.reset(token)


def read_once(read: Callable[[Extraction], T]) -> Callable[[Extraction], T]:
    """`read(x)` kept for the extraction `x` inside `once_per_synthesis` (what it returns is
    shared: never changed by its callers); outside one, read every time."""

    @wraps(read)
    def kept(x: Extraction) -> T:
        table = _READ.get()
        if table is None:
            return read(x)
        found = table.get((read, id(x)))
        if found is not None and found[0] is x:
            return found[1]
        value = read(x)
        table[(read, id(x))] = (x, value)
        return value

    return kept
