"""The heavy pages and their figures kept on disk, so that a server started again finds
them made rather than drawing them again (seconds a page).

`Pages` keeps pages in memory for as long as the server runs; a `Shelf` keeps the heavy
ones in `<corpus>/.cache/web/` for the next server. A page there is named by everything
it was made from: its key (route and query), the state of the corpus (`State`: the
store's change counter and the stamp of corpus.toml), and what a state does not tell
across processes (`lasting`): which store this is (the counter starts again in a store
made anew), the code of rifkb and the versions of the libraries that draw and pool, the
rule files the extractions were made with, and the corpus's name and the reviewer that
every page shows. Only the pages of the state saved last are kept: saving one deletes
the others.

A write makes every heavy page anew, but leaves most figures as they were drawn: those
are kept in `figures/` beside the pages by what they are drawn from (`Drawings`, under
the in-memory `Memo` of rifkb.web.figures), so that the first page after a restart and a
write draws only what the write changed. The least recently used go past FIGURES_KEPT.

A file is one page or one figure: a line of JSON (what it is, the length and digest of
what follows; for a page, its status and message and the marks where each session's
token and messages go), then the HTML or SVG as made, with no session's token in it. It
is written to a temporary file and renamed, so a reader never sees half of one; one that
does not read back whole and as named (truncated, changed, of another version) is
ignored, and made and saved again. A folder that cannot be written (a read-only corpus,
a full disk) costs only the making after a restart: it is logged once, never shown to a
visitor.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Hashable
from importlib import metadata
from pathlib import Path

import rifkb
from rifkb.corpus.folder import load_corpus
from rifkb.corpus.store import Store
from rifkb.errors import RifkbError
from rifkb.kb.rulesets import rules_folder
from rifkb.rules.loader import FILES
from rifkb.web.cache import State
from rifkb.web.views import Made, Site

FOLDER = Path(".cache") / "web"  # in the corpus folder
FORMAT = 1  # of the files: another number is another name, so older files are never read
PAGE, FIGURE = ".page", ".svg"
# Bytes of figures kept: every forest plot of every population and method of the bundled
# corpus, and the evidence map, are 18 MB.
FIGURES_KEPT = 64_000_000
# What draws and pools: another version may draw another figure.
LIBRARIES = ("jinja2", "matplotlib", "networkx", "numpy", "scipy", "statsmodels")
# Seconds to wait for another command's write when the store's name is first drawn: a
# server that cannot name its store at once serves without a shelf rather than wait.
NAMING_WAIT = 2.0

_log = logging.getLogger(__name__)
_told: set[Path] = set()  # the folders a failure to write was logged for (once is enough)
_telling = threading.Lock()


class Shelf:
    """Pages on disk in `folder`, for the corpus as `lasting` describes it beyond its state."""

    def __init__(self, folder: Path, lasting: tuple):
        self.folder = Path(folder)
        self._lasting = lasting

    def load(self, key: Hashable, state: State) -> Made | None:
        """The page of `key` made at `state`, if a whole one is kept; else None."""
        found = _read(self._path(key, state), self._label(key, state))
        if found is None:
            return None
        header, html = found
        try:
            marks = str(header["token_mark"]), str(header["flashes_mark"])
            error = header["error"] if isinstance(header["error"], str) else None
            return Made(html, *marks, int(header["status"]), error)
        except (KeyError, TypeError, ValueError):  # written by another rifkb: made again
            return None

    def save(self, key: Hashable, state: State, made: Made) -> None:
        """Keep `made` as the page of `key` at `state`, and only pages of that state."""
        fields = {"status": made.status, "error": made.error, "token_mark": made.token_mark,
                  "flashes_mark": made.flashes_mark}  # fmt: skip
        if _write(self._path(key, state), self._label(key, state), made.html, self.folder, fields):
            self._prune(self._state_name(state))

    def _state_name(self, state: State) -> str:
        return _name(FORMAT, self._lasting, state.changes, state.settings)

    def _path(self, key: Hashable, state: State) -> Path:
        return self.folder / f"{self._state_name(state)}-{_name(key)}{PAGE}"

    def _label(self, key: Hashable, state: State) -> str:
        """What a file says it is, checked when read (its name is a digest, cut short)."""
        return repr((FORMAT, self._lasting, state, key))

    def _prune(self, kept: str) -> None:
        """Delete the pages (and the temporary files left) of every state but `kept`."""
        with contextlib.suppress(OSError):
            for entry in os.scandir(self.folder):
                if entry.name.endswith((PAGE, ".tmp")) and not entry.name.startswith(kept):
                    with contextlib.suppress(OSError):  # another server's, deleted already
                        os.unlink(entry.path)


class Drawings:
    """Figures on disk in `folder`, by what they were drawn from (a digest of it) and the
    code that drew them; `root` is the folder a failure to write is logged for."""

    def __init__(self, folder: Path, root: Path):
        self.folder, self.root = Path(folder), Path(root)

    def get(self, key: bytes, draw: Callable[[], str]) -> str:
        """The figure of `key` as kept, else drawn now by `draw()` and kept."""
        path, label = self.folder / f"{_name(code_stamp(), key)}{FIGURE}", repr((FORMAT, code_stamp(), key))
        found = _read(path, label)
        if found is not None:
            with contextlib.suppress(OSError):
                os.utime(path)  # used: the last to go
            return found[1].decode()
        svg = draw()
        if _write(path, label, svg.encode(), self.root):
            _trim(self.folder, FIGURES_KEPT)
        return svg


def shelf_for(site: Site) -> Shelf | None:
    """The shelf of a site's pages; None when it keeps nothing on disk, or its store cannot
    be named now (read-only, or busy with another command's write): the pages are then
    made as they were."""
    if site.cache is None:
        return None
    try:
        return Shelf(site.cache, lasting_of(site))
    except (RifkbError, OSError, sqlite3.Error) as exc:
        _log.warning("pages are not kept on disk: %s", exc)
        return None


def drawings_for(site: Site) -> Drawings | None:
    """Where a site's figures are kept; None when it keeps nothing on disk."""
    return None if site.cache is None else Drawings(site.cache / "figures", site.cache)


def lasting_of(site: Site) -> tuple:
    """What a page is made from that the state of the corpus does not tell (see above)."""
    corpus = load_corpus(site.corpus_dir)
    with Store(corpus.store_path, wait=NAMING_WAIT) as store:
        identity = store.identity()
        locations = sorted({ref.location for ref in store.extraction_rules() if ref.location})
    rules = tuple(_rules_digest(rules_folder(corpus, location)) for location in locations)
    return identity, code_stamp(), rules, site.name, site.reviewer


@functools.cache
def code_stamp() -> str:
    """rifkb's version and files (their sizes and times: an edit is a change), and the
    versions of the libraries that draw and pool; once per process."""
    root = Path(rifkb.__file__).parent
    files = sorted(
        (str(path.relative_to(root)), stat.st_size, stat.st_mtime_ns)
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and (stat := path.stat())
    )
    return _name(rifkb.__version__, [_version(name) for name in LIBRARIES], files)


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "none"


def _rules_digest(folder: Path) -> str:
    """Every rule file's bytes: the graph's files too, which the extraction's fingerprint
    leaves out (they change the links, not the extractions)."""
    return _name(*((name, (folder / name).read_bytes()) for name in FILES if (folder / name).is_file()))


def _name(*parts: object) -> str:
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def _read(path: Path, label: str) -> tuple[dict, bytes] | None:
    """A file's header and body, if it is the one labelled `label` and whole; else None."""
    try:
        with open(path, "rb") as file:
            header, body = json.loads(file.readline()), file.read()
        whole = len(body) == header["length"] and hashlib.sha256(body).hexdigest() == header["sha256"]
        return (header, body) if header["label"] == label and whole else None
    except (OSError, ValueError, KeyError, TypeError):  # not kept, or not whole: made again
        return None


def _write(path: Path, label: str, body: bytes, root: Path, fields: dict | None = None) -> bool:
    """`body` under a header (its label, length, digest and `fields`) as the file `path`,
    whole or not at all; whether it was written (a failure is logged once for `root`)."""
    digested = hashlib.sha256(body).hexdigest()
    header = {**(fields or {}), "label": label, "length": len(body), "sha256": digested}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _replace(path, json.dumps(header).encode() + b"\n" + body)
    except OSError as exc:
        _tell_once(root, exc)
        return False
    return True


def _replace(path: Path, data: bytes) -> None:
    """`data` as the file `path` (written beside it, then renamed). Not synced to the
    disk: a file a crash left short fails its digest, and is made again."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name.split("-")[0] + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _trim(folder: Path, most: int) -> None:
    """Delete the least recently used figures (and temporary files) past `most` bytes."""
    try:
        entries = sorted((e.stat().st_mtime_ns, e.stat().st_size, e.path) for e in os.scandir(folder))
    except OSError:  # another server deleted one meanwhile: trimmed next time
        return
    total = sum(size for _, size, _ in entries)
    for _, size, path in entries:
        if total <= most:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
        total -= size


def _tell_once(root: Path, exc: OSError) -> None:
    with _telling:
        told = root in _told
        _told.add(root)
    if not told:
        _log.warning("pages are not kept on disk in %s (%s): a restarted server makes them again",
                     root, exc.strerror or exc)  # fmt: skip
