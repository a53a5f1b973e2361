"""A corpus is a folder: `corpus.toml` (name, description, saved searches, and optionally
the corpus's own rules folder and whether unscreened records count as included), its
SQLite store, and optionally `snapshot.jsonl`,
records the store loads on first use so that a bundled corpus works offline out of the
box.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import tomli_w

from rifkb.corpus.store import Provenance, Store
from rifkb.errors import BadInputError, CorpusError
from rifkb.files import output_folder
from rifkb.records import Record

DEFAULT_CORPUS = Path("corpora/rif-ivig")
CONFIG_FILE = "corpus.toml"
STORE_FILE = "store.sqlite"
SNAPSHOT_FILE = "snapshot.jsonl"
_DATE = re.compile(r"^\d{4}(/\d{2}(/\d{2})?)?$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def _after(low: str, high: str) -> bool:
    """Whether the date `low` starts after `high` ends, at the precision both give
    (2020/06 is not after 2020, which runs to December)."""
    a, b = ([int(p) for p in re.split(r"\D", d) if p] for d in (low, high))
    k = min(len(a), len(b))
    return a[:k] > b[:k]


@dataclass(frozen=True)
class SavedSearch:
    """A named PubMed query, optionally limited to a publication-date range."""

    name: str
    query: str
    mindate: str | None = None
    maxdate: str | None = None

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise BadInputError(f"search name {self.name!r}: use letters, digits, - _ . only")
        if not self.query.strip():
            raise BadInputError(f"search {self.name!r} has an empty query")
        for value in (self.mindate, self.maxdate):
            if value is not None and not _DATE.match(value):
                raise BadInputError(f"search {self.name!r}: date {value!r} is not YYYY[/MM[/DD]]")
        if self.mindate and self.maxdate and _after(self.mindate, self.maxdate):
            raise BadInputError(
                f"search {self.name!r}: mindate {self.mindate} is after maxdate {self.maxdate}; "
                "PubMed would find nothing"
            )

    @property
    def term(self) -> str:
        """The query with its publication-date range, in PubMed's own syntax."""
        if not (self.mindate or self.maxdate):
            return self.query
        low = self.mindate or "1800"
        high = self.maxdate or "3000"
        return f'({self.query}) AND ("{low}"[dp] : "{high}"[dp])'

    @classmethod
    def parse(cls, spec: str) -> SavedSearch:
        """'NAME=QUERY' as `rifkb init --search` takes it."""
        name, sep, query = spec.partition("=")
        if not sep:
            raise BadInputError(f"--search {spec!r}: expected NAME=QUERY")
        return cls(name.strip(), query.strip())


@dataclass(frozen=True)
class Stewardship:
    body_weight_kg: float = 65.0
    price_per_gram: float | None = None
    currency: str | None = None


@dataclass(frozen=True)
class Corpus:
    path: Path
    name: str
    description: str
    searches: tuple[SavedSearch, ...]
    rules_dir: Path | None = None  # `rules` of corpus.toml: extract with these, not rifkb's own
    # `[screening] unscreened` of corpus.toml: whether records nobody has screened yet count
    # as included in the outputs (flagged as unscreened) or are left out until included
    unscreened_included: bool = True
    # `[stewardship]` of corpus.toml: the body weight grams of IVIg per patient assume, and a
    # price per gram (with its currency) to cost an extra live birth
    stewardship: Stewardship = field(default_factory=lambda: Stewardship())  # noqa: PLW0108

    @property
    def store_path(self) -> Path:
        return self.path / STORE_FILE

    @property
    def snapshot_path(self) -> Path:
        return self.path / SNAPSHOT_FILE

    def search(self, name: str) -> SavedSearch:
        for search in self.searches:
            if search.name == name:
                return search
        known = ", ".join(s.name for s in self.searches) or "none"
        raise CorpusError(f"corpus {self.name!r} has no saved search {name!r} (it has: {known})")

    def open_store(self, on_wait: Callable[[], None] | None = None) -> Store:
        """The corpus's store; on first use, loaded with the corpus's snapshot if it has one.
        `on_wait` is called when a write has to wait for another command's (see Store)."""
        store = Store(self.store_path, on_wait=on_wait)
        try:
            if store.get_meta("snapshot_loaded") is None and self.snapshot_path.exists():
                with store.transaction():
                    store.add_records(read_snapshot(self.snapshot_path), SNAPSHOT_PROVENANCE)
                    store.set_meta("snapshot_loaded", SNAPSHOT_FILE)
        except BaseException:
            store.close()
            raise
        return store


SNAPSHOT_PROVENANCE = Provenance("snapshot", SNAPSHOT_FILE)


def load_corpus(path: Path) -> Corpus:
    path = Path(path)
    config_path = path / CONFIG_FILE
    if not config_path.is_file() and path == DEFAULT_CORPUS and not path.exists():
        raise CorpusError(
            f"no corpus at {path} (run from the project folder, pass -c DIR or set RIFKB_CORPUS)"
        )
    if not config_path.is_file():
        hint = "" if path.exists() else " (no such folder)"
        raise CorpusError(f"{path}: not a rifkb corpus{hint}; create one with `rifkb init {path}`")
    try:
        config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise CorpusError(f"{config_path}: {exc}") from None
    searches = _searches(config.get("searches", []), config_path)
    name, description = str(config.get("name", path.name)), str(config.get("description", ""))
    return Corpus(path, name, description, searches, _rules_dir(config.get("rules"), path, config_path),
                  _unscreened_included(config.get("screening", {}), config_path),
                  _stewardship(config.get("stewardship", {}), config_path))  # fmt: skip


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _stewardship(value: object, config_path: Path) -> Stewardship:
    """`[stewardship] body_weight_kg = 65, price_per_gram = 60.0, currency = "CAD"`."""
    if not isinstance(value, dict):
        raise CorpusError(f"{config_path}: stewardship must be a [stewardship] table")
    unknown = sorted(set(value) - {"body_weight_kg", "price_per_gram", "currency"})
    if unknown:
        raise CorpusError(f"{config_path}: [stewardship] has no setting {unknown[0]!r}")
    weight, price = value.get("body_weight_kg", 65.0), value.get("price_per_gram")
    currency = value.get("currency")
    where = f"{config_path}: [stewardship]"
    if not _number(weight) or not 20 <= weight <= 250:
        raise CorpusError(f"{where} body_weight_kg must be a weight in kg, not {weight!r}")
    if price is not None and (not _number(price) or price <= 0):
        raise CorpusError(f"{where} price_per_gram must be a positive number, not {price!r}")
    if price is not None and not (isinstance(currency, str) and currency.strip()):
        raise CorpusError(f'{where} price_per_gram needs its currency (currency = "CAD")')
    return Stewardship(float(weight), float(price) if price is not None else None, currency)


def _unscreened_included(value: object, config_path: Path) -> bool:
    """`[screening] unscreened = "include" | "exclude"` (default include)."""
    if not isinstance(value, dict):
        raise CorpusError(f"{config_path}: screening must be a [screening] table")
    setting = value.get("unscreened", "include")
    if setting not in ("include", "exclude"):
        raise CorpusError(
            f'{config_path}: [screening] unscreened must be "include" or "exclude", not {setting!r}'
        )
    return setting == "include"


def _searches(value: object, config_path: Path) -> tuple[SavedSearch, ...]:
    """The [[searches]] of corpus.toml, each checked: a wrong type or a name used twice is
    one line naming the file, not a traceback or a search that silently fetches nothing."""
    if not isinstance(value, list) or not all(isinstance(s, dict) for s in value):
        raise CorpusError(f"{config_path}: searches must be [[searches]] tables with a name and a query")
    searches = []
    for entry in value:
        label = f"search {entry['name']!r}" if isinstance(entry.get("name"), str) else "a search"
        for key in ("name", "query", "mindate", "maxdate"):
            if key in ("name", "query") and key not in entry:
                raise CorpusError(
                    f"{config_path}: {label} has no {key}; every [[searches]] needs name and query"
                )
            if key in entry and not isinstance(entry[key], str):
                raise CorpusError(f"{config_path}: {label}: {key} must be text, not {entry[key]!r}")
        try:
            searches.append(
                SavedSearch(entry["name"], entry["query"], entry.get("mindate"), entry.get("maxdate"))
            )
        except BadInputError as exc:
            raise CorpusError(f"{config_path}: {exc}") from None
    try:
        check_unique_names(searches)
    except BadInputError as exc:
        raise CorpusError(f"{config_path}: {exc}") from None
    return tuple(searches)


def check_unique_names(searches: Iterable[SavedSearch]) -> None:
    """Two saved searches of one name would share a watermark and runs: the second would
    fetch nothing."""
    seen: set[str] = set()
    for search in searches:
        if search.name in seen:
            raise BadInputError(f"two saved searches are named {search.name!r}; give each its own name")
        seen.add(search.name)


def _rules_dir(value: object, path: Path, config_path: Path) -> Path | None:
    """The folder `rules = "..."` names, relative to the corpus folder (or absolute);
    checked now, so a typo is one line at load and not a surprise at extraction."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise CorpusError(f"{config_path}: rules must be the path of a rules folder")
    folder = path / Path(value).expanduser()
    if not folder.is_dir():
        raise CorpusError(f"{config_path}: rules folder {folder} does not exist")
    return folder


def corpus_relative(corpus_dir: Path, path: Path) -> str:
    """How corpus.toml and the store name a path: relative to the corpus folder when it
    lies inside it, so the folder can be moved or shared whole; absolute otherwise."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(Path(corpus_dir).resolve()).as_posix()
    except ValueError:
        return str(resolved)


def init_corpus(
    path: Path, searches: tuple[SavedSearch, ...] = (), description: str = "", rules: Path | None = None
) -> Corpus:
    """Create a corpus folder; refuses to overwrite an existing corpus. `rules`: the
    corpus's own rules folder, which extraction then uses instead of rifkb's."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BadInputError(f"{path}: exists and is not a folder; give the corpus a folder of its own")
    if (path / CONFIG_FILE).exists():
        raise CorpusError(f"{path}: already a corpus ({CONFIG_FILE} exists)")
    check_unique_names(searches)
    if rules is not None and not Path(rules).is_dir():
        raise CorpusError(f"{rules}: no such rules folder")
    output_folder(path)
    config: dict = {"name": path.name, "description": description}
    if rules is not None:
        config["rules"] = corpus_relative(path, rules)
    config["searches"] = []
    for s in searches:
        entry = {"name": s.name, "query": s.query}
        entry.update({k: v for k, v in (("mindate", s.mindate), ("maxdate", s.maxdate)) if v})
        config["searches"].append(entry)
    (path / CONFIG_FILE).write_text(tomli_w.dumps(config), encoding="utf-8")
    corpus = load_corpus(path)
    corpus.open_store().close()
    return corpus


def read_snapshot(path: Path) -> list[Record]:
    records = []
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                try:
                    records.append(Record.from_json(json.loads(line)))
                except (json.JSONDecodeError, KeyError, TypeError) as exc:
                    raise CorpusError(f"{path}:{lineno}: {exc}") from None
    return records


def edat(day: date) -> str:
    """A date as E-utilities writes it."""
    return day.strftime("%Y/%m/%d")
