"""Serving the app with uvicorn on 127.0.0.1, and nowhere else.

The socket is bound here, before uvicorn starts, so that a port in use is one line the
CLI can print (uvicorn would log it and exit), and port 0 picks a free port whose
number is known before the first request (the browser tests use it).
"""

from __future__ import annotations

import errno
import socket
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from rifkb.errors import RifkbError

HOST = "127.0.0.1"  # loopback only: the app writes to the corpus and has no login


def bind(port: int) -> socket.socket:
    """A listening socket on 127.0.0.1:port (0: any free port)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise RifkbError(f"port {port} on {HOST} is in use; choose another with --port") from None
        raise RifkbError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from None
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}/"


def _server(app, quiet: bool = True):  # noqa: ANN001, ANN202 - (Starlette app) -> uvicorn.Server
    import uvicorn

    config = uvicorn.Config(
        app, lifespan="off", log_level="warning" if quiet else "info", access_log=not quiet
    )
    return uvicorn.Server(config)


def serve(app, sock: socket.socket, quiet: bool = False, warm: tuple[str, ...] = ()) -> None:  # noqa: ANN001
    """Serve until interrupted (Ctrl-C, SIGTERM); the caller owns the socket. The pages of
    `warm` (paths) are asked for once as soon as the server listens (see `warm_up`)."""
    if warm:
        warm_up(url_of(sock), warm)
    _server(app, quiet).run(sockets=[sock])


def warm_up(url: str, paths: tuple[str, ...]) -> threading.Thread:
    """Ask the server at `url` for each of `paths` once, one after the other, in a thread
    of its own; returns the thread. The heavy pages (forest plots, the evidence map) take
    seconds to make the first time: made while nobody waits, they are kept for the
    people who come (the page cache), and a request that comes meanwhile waits for the
    one being made rather than making another. Failures are the pages' own business: a
    page that cannot be made now is made, or refused, when someone asks."""

    def ask() -> None:
        for path in paths:
            try:
                with urllib.request.urlopen(url.rstrip("/") + path, timeout=600) as answer:
                    answer.read()
            except (OSError, ValueError):  # the server stopped, or the page failed: leave it
                return

    thread = threading.Thread(target=ask, name="rifkb-warm-up", daemon=True)
    thread.start()
    return thread


@contextmanager
def serving(app, port: int = 0) -> Iterator[str]:  # noqa: ANN001
    """The app served in a background thread for as long as the block runs; yields its URL."""
    sock = bind(port)
    server = _server(app)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started and thread.is_alive():
            threading.Event().wait(0.02)
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
