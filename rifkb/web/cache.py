"""Pages made once per state of the corpus, and the work of making them bounded.

A page is a function of its route, its query and the corpus as stored. `Pages` keeps the
last page made for each (route, query) with the state of the corpus it was made at, and
hands it out again for as long as that state has not moved. The state is read at every
request: the store's change counter (every committed write bumps it, whoever made it)
and the stamp of corpus.toml. A page made at a state at least as new as the one a
request read is as good as one made for it, never older: a GET after a POST shows what
was posted.

Pages are made off the event loop, in two lanes of threads: heavy ones (figures,
syntheses, the graph) one at a time by default, since Python runs one thread at a time
anyway and every figure drawn holds megabytes; light ones (the queue, a record) a few at
a time. A request for a page already being made waits for it (single flight), so forty
requests for `/forest` make it once. A lane with `backlog` pages to make refuses more
(`Busy`, a 503) rather than queuing without end. Waiting holds no thread: requests
await the lane's future on the event loop.
"""

from __future__ import annotations

import asyncio
import hashlib
import pickle
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool

SIZE = 128  # pages kept (a forest page is ~3 MB, a record's ~40 kB; old states are dropped)
HEAVY_THREADS = 1
LIGHT_THREADS = 4
BACKLOG = 32  # pages waiting to be made in one lane before more are refused


@dataclass(frozen=True)
class State:
    """What a page is made from, as of one moment: the store's change counter, and the
    stamp of the corpus's settings file (a change there is a change, never an order)."""

    changes: int
    settings: tuple = ()

    def covers(self, asked: State) -> bool:
        """Whether a page made at this state may answer a request that read `asked`."""
        return self.changes >= asked.changes and self.settings == asked.settings


class Busy(Exception):
    """Too many pages waiting to be made: try again in a moment (503)."""


@dataclass(frozen=True)
class _Made:
    state: State
    value: Any


@dataclass(frozen=True)
class _Making:
    state: State  # the state of the request that started it: its page will be at least that new
    future: Future


class _Lane:
    def __init__(self, name: str, threads: int, backlog: int):
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"rifkb-{name}")
        self.backlog = backlog
        self.waiting = 0  # submitted, not finished (counted under Pages' lock)


class Pages:
    """The pages made, by key (route, query), at the corpus state `state_of` reads."""

    def __init__(self, state_of: Callable[[], State], size: int = SIZE, heavy: int = HEAVY_THREADS,
                 light: int = LIGHT_THREADS, backlog: int = BACKLOG):  # fmt: skip
        self._state_of = state_of
        self._size = size
        self._made: OrderedDict[Hashable, _Made] = OrderedDict()
        self._making: dict[Hashable, _Making] = {}
        self._lanes = {True: _Lane("heavy", heavy, backlog), False: _Lane("light", light, backlog)}
        self._lock = threading.Lock()  # the event loop and the lanes' threads share the tables
        self.times_made: Counter[Hashable] = Counter()  # by key: what the tests count

    async def get(self, key: Hashable, make: Callable[[], Any], heavy: bool = False) -> Any:
        """The page of `key` as of now: kept, being made, or made now by `make()` in its lane.
        Raises Busy when the lane is full, and whatever `make` raises (nothing is kept then)."""
        asked = await run_in_threadpool(self._state_of)
        with self._lock:
            made = self._fresh(key, asked)
            if made is not None:
                return made.value
            future = self._join_or_start(key, asked, make, heavy)
        # shielded: a client that leaves must not cancel a page others are waiting for
        return await asyncio.shield(asyncio.wrap_future(future))

    def close(self) -> None:
        """Stop the lanes: pages not started are dropped, the one under way finishes."""
        for lane in self._lanes.values():
            lane.executor.shutdown(wait=False, cancel_futures=True)

    def _fresh(self, key: Hashable, asked: State) -> _Made | None:
        made = self._made.get(key)
        if made is None or not made.state.covers(asked):
            return None
        self._made.move_to_end(key)
        return made

    def _join_or_start(self, key: Hashable, asked: State, make: Callable[[], Any], heavy: bool) -> Future:
        making = self._making.get(key)
        if making is not None and making.state.covers(asked):
            return making.future
        lane = self._lanes[heavy]
        if lane.waiting >= lane.backlog:
            raise Busy(f"{lane.waiting} pages are being made; try again in a moment")
        lane.waiting += 1
        future = lane.executor.submit(self._make, key, asked, make, lane)
        self._making[key] = _Making(asked, future)
        future.add_done_callback(lambda done: self._finished(key, done))
        return future

    def _make(self, key: Hashable, asked: State, make: Callable[[], Any], lane: _Lane) -> Any:
        """In a lane's thread. The state is read again first: the page is made from the
        store as it is when it starts, which may be newer than when it was asked for; a page
        asked for at an older state, still waiting here, then takes it as it is."""
        try:
            with self._lock:
                made = self._fresh(key, asked)
            if made is not None:
                return made.value
            now = self._state_of()
            value = make()
            with self._lock:
                self.times_made[key] += 1
                self._keep(key, now, value)
            return value
        finally:
            with self._lock:
                lane.waiting -= 1

    def _finished(self, key: Hashable, done: Future) -> None:
        with self._lock:
            making = self._making.get(key)
            if making is not None and making.future is done:
                del self._making[key]

    def _keep(self, key: Hashable, now: State, value: Any) -> None:
        """Keep a page made at `now`, unless one made later is kept already; pages of an
        older state go (no request will read that state again) and the least used go
        past `size`."""
        kept = self._made.get(key)
        if kept is not None and kept.state.covers(now) and kept.state != now:
            return
        self._made[key] = _Made(now, value)
        self._made.move_to_end(key)
        for old in [k for k, m in self._made.items() if not m.state.covers(now)]:
            del self._made[old]
        while len(self._made) > self._size:
            self._made.popitem(last=False)


class Memo:
    """Values by what they were made from (a digest of it), the least used dropped past
    `limit` (in the units of `weight`: characters of an SVG, or 1 a value). What the
    state of the corpus cannot tell: a write that leaves a figure's data as it was (a
    record screened in that was in already) leaves the figure to be taken again, not
    drawn again."""

    def __init__(self, limit: int, weight: Callable[[Any], int] = lambda _: 1):
        self._limit, self._weight = limit, weight
        self._values: OrderedDict[bytes, tuple[Any, int]] = OrderedDict()
        self._total = 0
        self._lock = threading.Lock()
        self.misses = 0

    def get(self, key: bytes, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key][0]
            self.misses += 1
        value = make()  # outside the lock: two threads may make one value twice, never wait on each other
        with self._lock:
            if key not in self._values:
                weight = self._weight(value)
                self._values[key] = (value, weight)
                self._total += weight
            while self._total > self._limit and len(self._values) > 1:
                self._total -= self._values.popitem(last=False)[1][1]
        return value


def digest(*parts: Any) -> bytes:
    """What a value is made from, in 32 bytes. Equal parts pickle alike here (dataclasses,
    tuples, dicts in insertion order); where they might not (a set), a miss only costs
    making the value again."""
    return hashlib.sha256(pickle.dumps(parts, protocol=pickle.HIGHEST_PROTOCOL)).digest()
