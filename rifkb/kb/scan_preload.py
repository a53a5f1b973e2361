"""Imported by the fork server that `rifkb scan`'s local Dask workers are forked from
(rifkb.kb.scan._client): spaCy and rifkb imported, and the pipeline of rifkb's own
rules built, once, for every worker (rifkb.kb.scan_worker.prebuild).

With Dask's default start method (spawn) each worker is a fresh interpreter that imports
Dask, then rifkb and spaCy on its first task, then builds its pipeline: ~3 s of one CPU
per worker, paid again by every worker on a machine whose cores they share. Forked from
one process that did it, they share its memory (copy on write) and start at once.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import sys

import distributed  # noqa: F401 - what a Dask worker process imports first

from rifkb.kb import scan_worker

# Any failure here is the workers' to report, with their first file: a fork server that
# failed to start would take every worker with it.
with contextlib.suppress(Exception):
    scan_worker.prebuild()


def _end_at_once() -> None:
    """The fork server's end: its output flushed, no interpreter teardown."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


# The fork server ends when `rifkb scan` does; its interpreter's teardown (Dask, spaCy's
# vocabulary, the pipeline: ~0.5 s of freeing memory the kernel frees at once) would
# keep rifkb's stdout and stderr open that long after rifkb has ended, and whatever reads
# them (a pipe, `| tee`, a script capturing the output) waits. Only in the fork server
# (rifkb.kb.scan._start_fork_server marks its environment); the workers forked from it
# run no exit handler (multiprocessing ends them with os._exit).
if os.environ.pop(scan_worker.FORK_SERVER, None) == "1":
    atexit.register(_end_at_once)
