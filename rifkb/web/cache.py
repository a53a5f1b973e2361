"""Pages made once per state of the corpus, and the work of making them bounded.

A page is a function of its route, its query and the corpus as stored. `Pages` keeps the
last page made for each (route, query) with the state of the corpus it was made at, and
hands it out again for as long as that state has not moved. The state is read at every
request: the store's change counter (every committed write bumps it, whoever made it)
and the stamp of corpus.toml. A page made at a state at least as new as the one a
request read is as good as one made for it, never older: a GET after a POST shows what
was posted.

Pages are made off the event loop, in lanes of threads: heavy ones (syntheses, the
evidence map, the graph) one at a time by default (see HEAVY_THREADS); light ones (the
queue, a record) a few at a time; the forest plots, images of their own, one at a time in
a lane of their own, so that a page never waits behind a browser's dozens of figures. A
request for a page already asked for waits for it (single flight), so forty requests for
`/forest` make it once; a page that has not started yet serves every request, since it
reads the state when it starts. One page of a key is made at a time: a request that
comes after one has started, and the corpus has changed since, has the next made when it
ends. A lane with `backlog` pages to make refuses more (`Busy`, a 503) rather than
queuing without end. Waiting holds no thread: requests await the page's future on the
event loop.

A heavy page takes seconds to make: given a `Shelf`, Pages keeps those on disk too, and a
page not kept in memory is looked for there (at the state it would be made at) before it
is made, so that a server started again on an unchanged corpus has them at once
(`rifkb.web.shelf`).

`Memo` keeps what the state cannot tell apart: values by a digest of what they are made
from, so that a figure whose data a write left alone is not drawn again.
"""

from __future__ import annotations

import asyncio
import hashlib
import pickle
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

SIZE = 128  # pages kept (a forest page is ~3 MB, a record's ~40 kB; old states are dropped)
# One: Python runs one thread at a time anyway, each figure drawn holds megabytes, and
# syntheses silence statsmodels' warnings with `warnings.catch_warnings`, which is not
# thread-safe (two at once let warnings through to the server's log).
HEAVY_THREADS = 1
LIGHT_THREADS = 4
FIGURE_THREADS = 1  # matplotlib draws one figure at a time anyway (pyplot is not thread-safe)
BACKLOG = 32  # pages waiting to be made in one lane before more are refused
# Figures waiting to be drawn before more are refused: every forest plot of one page (39
# on the bundled corpus, all populations), which a browser asks for as they scroll in.
FIGURE_BACKLOG = 64
LANES = ("light", "heavy", "figures")


@dataclass(frozen=True)
class State:
    """What a page is made from, as of one moment: the store's change counter, and the
    stamp of the corpus's settings file (a change there is a change, never an order)."""

    changes: int
    settings: tuple = ()

    def covers(self, asked: State) -> bool:
        """Whether a page made at this state may answer a request that read `asked`."""
        return self.changes >= asked.changes and self.settings == asked.settings


class Shelf(Protocol):
    """Pages kept outside the process, by key and the state they were made at."""

    def load(self, key: Hashable, state: State) -> Any | None:
        """The page of `key` made at `state`, if kept (None: not kept, or not readable)."""

    def save(self, key: Hashable, state: State, value: Any) -> None:
        """Keep a page made at `state` (failing quietly: the page is made again next time)."""


class Busy(Exception):
    """Too many pages waiting to be made: try again in a moment (503)."""


@dataclass(frozen=True)
class _Made:
    state: State
    value: Any


@dataclass
class _Making:
    """A page to be made: waiting for its turn, then started, then the state it is made
    at read (changed under Pages' lock only)."""

    future: Future = field(default_factory=Future)
    started: bool = False
    state: State | None = None

    def covers(self, asked: State) -> bool:
        """Whether its page may answer a request that read `asked`: always while it waits
        (it reads the state when it starts, after that request), else by its state."""
        return not self.started or (self.state is not None and self.state.covers(asked))


class _Lane:
    def __init__(self, name: str, threads: int, backlog: int, shelf: Shelf | None = None):
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"rifkb-{name}")
        self.backlog = backlog
        self.shelf = shelf  # where its pages are kept beyond the process, if anywhere
        self.waiting = 0  # pages asked of it, not made yet (counted under Pages' lock)


class Pages:
    """The pages made, by key (route, query), at the corpus state `state_of` reads (on the
    event loop at every request, and in the lanes: it must be quick); heavy pages kept on
    `shelf` too, if given."""

    def __init__(self, state_of: Callable[[], State], size: int = SIZE, heavy: int = HEAVY_THREADS,
                 light: int = LIGHT_THREADS, backlog: int = BACKLOG, shelf: Shelf | None = None,
                 figures: int = FIGURE_THREADS, figure_backlog: int = FIGURE_BACKLOG):  # fmt: skip
        self._state_of = state_of
        self._size = size
        self._made: OrderedDict[Hashable, _Made] = OrderedDict()
        self._making: dict[Hashable, _Making] = {}  # the last page of each key asked for
        self._lanes = {"light": _Lane("light", light, backlog),
                       "heavy": _Lane("heavy", heavy, backlog, shelf),
                       "figures": _Lane("figures", figures, figure_backlog)}  # fmt: skip
        self._lock = threading.Lock()  # the event loop and the lanes' threads share the tables
        self.times_made: Counter[Hashable] = Counter()  # by key: what the tests count
        self.times_loaded: Counter[Hashable] = Counter()  # taken from the shelf instead

    async def get(self, key: Hashable, make: Callable[[], Any], lane: str = "light") -> Any:
        """The page of `key` as of now: kept, being made, or made now by `make()` in `lane`
        (one of LANES). Raises Busy when the lane is full, and whatever `make` raises (nothing
        is kept then)."""
        asked = self._state_of()  # quick (a stat and a query): no thread for it
        with self._lock:
            made = self._made.get(key)
            if made is not None and made.state.covers(asked):
                self._made.move_to_end(key)
                return made.value
            future = self._join_or_ask(key, asked, make, self._lanes[lane])
        # shielded: a client that leaves must not cancel a page others are waiting for
        return await asyncio.shield(asyncio.wrap_future(future))

    def close(self) -> None:
        """Stop the lanes: pages not started are dropped, the one under way finishes."""
        for lane in self._lanes.values():
            lane.executor.shutdown(wait=False, cancel_futures=True)

    def _join_or_ask(self, key: Hashable, asked: State, make: Callable[[], Any], lane: _Lane) -> Future:
        """The future of a page being made that will do, else of one asked for now: made
        after the one of its key under way, if any (one at a time: a later page reads a
        later state, and serves every request that came meanwhile)."""
        before = self._making.get(key)
        if before is not None and before.covers(asked):
            return before.future
        if lane.waiting >= lane.backlog:
            raise Busy(f"{lane.waiting} pages are waiting to be made; try again in a moment")
        lane.waiting += 1
        making = self._making[key] = _Making()
        if before is None:
            self._submit(key, making, make, lane)
        else:
            before.future.add_done_callback(lambda _: self._submit(key, making, make, lane))
        return making.future

    def _submit(self, key: Hashable, making: _Making, make: Callable[[], Any], lane: _Lane) -> None:
        try:
            lane.executor.submit(self._run, key, making, make, lane)
        except RuntimeError as exc:  # the lanes are closed
            making.future.set_exception(exc)

    def _run(self, key: Hashable, making: _Making, make: Callable[[], Any], lane: _Lane) -> None:
        """In a lane's thread: the page made from the store as it is now, after every
        request that waits for it; the page kept already, if the corpus has not changed."""
        try:
            making.future.set_result(self._make(key, making, make, lane.shelf))
        except BaseException as exc:  # noqa: BLE001 - whatever it is, the requests waiting get it
            making.future.set_exception(exc)
        finally:
            with self._lock:
                lane.waiting -= 1
                if self._making.get(key) is making:
                    del self._making[key]

    def _make(self, key: Hashable, making: _Making, make: Callable[[], Any], shelf: Shelf | None) -> Any:
        with self._lock:
            making.started = True
        now = self._state_of()
        with self._lock:
            making.state = now
            made = self._made.get(key)
            if made is not None and made.state.covers(now):
                return made.value
        value, counts = self._loaded_or_made(key, now, make, shelf)
        with self._lock:
            counts[key] += 1
            self._keep(key, now, value)
        return value

    def _loaded_or_made(self, key: Hashable, now: State, make: Callable[[], Any],
                        shelf: Shelf | None) -> tuple[Any, Counter]:  # fmt: skip
        """The page of `key` at `now` as kept on the shelf, else made (and shelved); with
        the counter it counts in."""
        loaded = None if shelf is None else shelf.load(key, now)
        if loaded is not None:
            return loaded, self.times_loaded
        value = make()
        if shelf is not None:
            shelf.save(key, now, value)
        return value, self.times_made

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


def digest_each(items: Iterable[Any]) -> bytes:
    """The digest of many values, pickled one at a time: a corpus of 20,000 papers would
    be hundreds of megabytes pickled whole."""
    summed = hashlib.sha256()
    for item in items:
        summed.update(digest(item))
    return summed.digest()
