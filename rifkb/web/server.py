"""Serving the app with uvicorn on 127.0.0.1, and nowhere else.

The socket is bound here, before uvicorn starts, so that a port in use is one line the
CLI can print (uvicorn would log it and exit), and port 0 picks a free port whose
number is known before the first request (the browser tests use it).

A server is ready when it says so: the pages it is given to prepare (the heavy ones,
seconds of drawing each, or an instant when kept on disk), and the images they show (the
forest plots of the first forest page), are made before it answers anyone, and only then
is `ready` called. A visitor who comes meanwhile is not refused:
the socket listens, so the connection waits in its backlog and is answered once the
pages are made.
"""

from __future__ import annotations

import asyncio
import errno
import html as html_lib
import logging
import re
import socket
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn

from rifkb.errors import RifkbError

HOST = "127.0.0.1"  # loopback only: the app writes to the corpus and has no login
_IMAGE = re.compile(r'<img\b[^>]*?\bsrc="([^"]+)"')

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prepared:
    """A page made before the server answers: its path, the status it would be sent
    with, and the seconds it took."""

    path: str
    status: int
    seconds: float


# Told of each page prepared: (path, None) as it starts, (path, Prepared) when it is made.
Progress = Callable[[str, Prepared | None], None]


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


class Server(uvicorn.Server):
    """uvicorn's server, which makes the pages of `prepare` (paths) before it starts to
    answer, telling `progress` of each, then calls `ready`. Stopped while preparing
    (Ctrl-C), it stops after the page under way, and is never ready."""

    def __init__(self, app, quiet: bool = True, prepare: tuple[str, ...] = (),  # noqa: ANN001 - a Starlette app
                 progress: Progress | None = None, ready: Callable[[], None] | None = None):  # fmt: skip
        config = uvicorn.Config(
            app, lifespan="off", log_level="warning" if quiet else "info", access_log=not quiet
        )
        super().__init__(config)
        self.app, self.prepare, self.progress, self.ready = app, prepare, progress, ready

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await prepare(self.app, self.prepare, self.progress, stop=lambda: self.should_exit)
        if self.should_exit:
            return
        await super().startup(sockets=sockets)
        if self.started and self.ready is not None:
            self.ready()


def serve(app, sock: socket.socket, quiet: bool = False, prepare: tuple[str, ...] = (),  # noqa: ANN001
          progress: Progress | None = None, ready: Callable[[], None] | None = None) -> None:  # fmt: skip
    """Serve until interrupted (Ctrl-C, SIGTERM); the caller owns the socket. The pages of
    `prepare` are made first, then `ready` is called (see `Server`)."""
    Server(app, quiet, prepare, progress, ready).run(sockets=[sock])


async def prepare(app, paths: tuple[str, ...], progress: Progress | None = None,  # noqa: ANN001
                  stop: Callable[[], bool] = lambda: False) -> list[Prepared]:  # fmt: skip
    """Make the pages of `paths`, one after the other, and the images each shows, as a
    visitor's GETs would (the same routes, the same page cache, which takes them from disk
    when kept there), until `stop()` says to. A page that fails is made, or refused, again
    when someone asks for it."""
    done: list[Prepared] = []
    for path in paths:
        if stop():
            break
        if progress is not None:
            progress(path, None)
        start = time.perf_counter()
        status, html = await _get(app, path)
        await asyncio.gather(*(_get(app, image) for image in images_of(html)))  # in their lane, one at a time
        done.append(Prepared(path, status, time.perf_counter() - start))
        if progress is not None:
            progress(path, done[-1])
    return done


def images_of(html: bytes) -> list[str]:
    """The addresses of the images of this app a page shows, in its order."""
    found = (html_lib.unescape(src) for src in _IMAGE.findall(html.decode(errors="replace")))
    return list(dict.fromkeys(src for src in found if src.startswith("/") and not src.startswith("//")))


async def _get(app, path: str) -> tuple[int, bytes]:  # noqa: ANN001
    """The status and body of a GET of `path` asked of the app in this process (ASGI, no
    socket); 500 if the app raises (logged, as uvicorn would)."""
    url = urllib.parse.urlsplit(path)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
             "scheme": "http", "path": url.path, "raw_path": url.path.encode(), "root_path": "",
             "query_string": url.query.encode(), "headers": [(b"host", HOST.encode())],
             "client": (HOST, 0), "server": (HOST, 0)}  # fmt: skip
    statuses: list[int] = []
    body: list[bytes] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    try:
        await app(scope, receive, send)
    except Exception:  # a bug in a page: the server starts all the same
        _log.exception("preparing %s", path)
        return 500, b""
    return (statuses[0] if statuses else 500), b"".join(body)


@contextmanager
def serving(app, port: int = 0, prepare: tuple[str, ...] = ()) -> Iterator[str]:  # noqa: ANN001
    """The app served in a background thread for as long as the block runs, its pages of
    `prepare` made first; yields its URL once it answers."""
    sock = bind(port)
    server = Server(app, prepare=prepare)
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
