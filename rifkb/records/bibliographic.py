"""Typed records passed between stages, with their JSON form. Standard library only.

A `Record` is one bibliographic item as rifkb holds it, whatever the source (PubMed XML,
MEDLINE, RIS, JSON Lines). `Record.to_json()` is the JSON Lines form of `rifkb export bib
--format jsonl`; `Record.from_json()` reads it back unchanged and also accepts the plain
form of `dev.jsonl` (`id`, `pmid`, `doi`, `title`, `abstract`, `journal`, `year`,
`first_author`, ...).
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse
from dataclasses import dataclass, field, fields, replace
from typing import Any

from rifkb.errors import BadInputError

# PubMed CommentsCorrections RefTypes that mark a retraction of *this* record.
RETRACTION_REF_TYPES = frozenset({"RetractionIn"})
RETRACTED_PUBLICATION_TYPE = "Retracted Publication"


@dataclass(frozen=True)
class Author:
    last_name: str | None = None
    fore_name: str | None = None
    initials: str | None = None
    collective_name: str | None = None
    affiliations: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        """'Smith AB' as PubMed cites authors, or the group's name."""
        if self.collective_name:
            return self.collective_name
        return " ".join(p for p in (self.last_name, self.initials) if p)

    @classmethod
    def from_display(cls, text: str) -> Author:
        """Read 'Smith AB', 'Smith, Anna B.' or Embase's 'Eloubeidi M.A.': a trailing run of
        capitals, with or without full stops, is initials."""
        text = " ".join(text.split())
        if "," in text:
            last, _, fore = text.partition(",")
            fore = fore.strip()
            if _INITIALS.fullmatch(fore):  # 'Lan, VTN', 'Parkes-Loach, PS' (Web of Science)
                return cls(last_name=last.strip() or None, initials=re.sub(r"[.\-]", "", fore))
            initials = "".join(w[0] for w in re.split(r"[\s.\-]+", fore) if w) or None
            return cls(last_name=last.strip() or None, fore_name=fore or None, initials=initials)
        parts = text.split()
        if len(parts) > 1 and _INITIALS.fullmatch(parts[-1]):
            return cls(last_name=" ".join(parts[:-1]), initials=re.sub(r"[.\-]", "", parts[-1]))
        return cls(last_name=text or None)


# Initials as databases write them: 'AB' (PubMed), 'M.A.' (Embase), 'J.-P.'
_INITIALS = re.compile(r"(?:[A-Z]\.?-?){1,4}")


@dataclass(frozen=True)
class AbstractSection:
    """One labelled part of a structured abstract (PubMed's Label and NlmCategory)."""

    text: str
    label: str | None = None
    category: str | None = None


@dataclass(frozen=True)
class MeshQualifier:
    name: str
    ui: str | None = None
    major_topic: bool = False


@dataclass(frozen=True)
class MeshHeading:
    descriptor: str
    ui: str | None = None
    major_topic: bool = False
    qualifiers: tuple[MeshQualifier, ...] = ()


@dataclass(frozen=True)
class CommentCorrection:
    """A link PubMed draws to another record: RetractionIn, RetractionOf, ErratumIn, ..."""

    ref_type: str
    ref_source: str | None = None
    pmid: str | None = None


@dataclass(frozen=True)
class Record:
    """One bibliographic record and everything its source says about it."""

    source_id: str | None = None
    pmid: str | None = None
    doi: str | None = None
    pmcid: str | None = None
    title: str | None = None
    abstract: tuple[AbstractSection, ...] = ()
    authors: tuple[Author, ...] = ()
    journal: str | None = None
    journal_iso: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    pub_date: str | None = None
    year: int | None = None
    languages: tuple[str, ...] = ()
    publication_types: tuple[str, ...] = ()
    mesh: tuple[MeshHeading, ...] = ()
    keywords: tuple[str, ...] = ()
    comments_corrections: tuple[CommentCorrection, ...] = ()
    revision_date: str | None = None
    entrez_date: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, hash=False, compare=True)

    @property
    def uid(self) -> str:
        """The record's key: `pmid:N`, else `doi:...`, else the source's own id."""
        if self.pmid:
            return f"pmid:{self.pmid}"
        if self.doi:
            return f"doi:{self.doi}"
        if self.source_id:
            return self.source_id
        raise BadInputError(f"record {self.title!r:.60} has no PMID, DOI or id")

    @property
    def abstract_text(self) -> str:
        """The abstract as one text, each labelled section on its own line."""
        return "\n".join(f"{s.label}: {s.text}" if s.label else s.text for s in self.abstract if s.text)

    @property
    def first_author(self) -> str | None:
        return self.authors[0].display if self.authors else None

    @property
    def source_url(self) -> str | None:
        """The web page the record was taken from (`extra.source_url`, as the bundled corpus
        and JSON imports carry it), http(s) only: the link of a record with no PMID or DOI."""
        url = self.extra.get("source_url")
        return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None

    @property
    def retracted(self) -> bool:
        return RETRACTED_PUBLICATION_TYPE in self.publication_types or any(
            c.ref_type in RETRACTION_REF_TYPES for c in self.comments_corrections
        )

    @property
    def title_key(self) -> str | None:
        """Normalised title + year, the last-resort duplicate key."""
        if not self.title:
            return None
        return f"{normalise_title(self.title)}|{self.year or ''}"

    def to_json(self) -> dict[str, Any]:
        return _record_to_json(self)

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Record:
        return _record_from_json(obj)

    @classmethod
    def to_read_from_json(cls, obj: dict[str, Any]) -> Record:
        """What the pipeline reads of a record's JSON form (its ids, title, abstract and
        publication types; see `document_text`), the rest left out: authors, MeSH and
        the like were most of the decoding, in a worker, of every record extracted."""
        return _record_from_json(obj, whole=False)

    def merged_with(self, newer: Record) -> Record:
        """This record with every field the newer one has filled in taking precedence."""
        changes = {
            f.name: getattr(newer, f.name)
            for f in fields(self)
            if f.name != "extra" and getattr(newer, f.name) not in (None, (), "")
        }
        return replace(self, **changes, extra={**self.extra, **newer.extra})


def normalise_title(title: str) -> str:
    """Lower-case letters and digits only, accents folded: survives punctuation edits."""
    folded = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", folded.lower()).strip()


def clean_doi(text: str | None) -> str | None:
    """The DOI in a field as databases write it: bare ('10.1002/x'), as a resolver URL
    ('http://dx.doi.org/10.1002/x', Ovid, Embase), with a 'doi:' prefix, percent-encoded in
    a URL; None when there is no DOI in it. The case is kept as written (DOI Handbook 2.4:
    DOIs are case-insensitive, so matching uses `normalise_doi`)."""
    if not text:
        return None
    text = text.strip()
    if re.match(r"https?://", text, flags=re.I):
        text = urllib.parse.unquote(text)
    match = _DOI.search(text)
    return match.group().rstrip(".,;") if match else None


_DOI = re.compile(r"10\.\d{4,9}/\S+")


def normalise_doi(doi: str | None) -> str | None:
    """The DOI as a matching key: cleaned of resolver prefixes and lower-cased (DOIs are
    case-insensitive, DOI Handbook 2.4)."""
    cleaned = clean_doi(doi)
    return cleaned.lower() if cleaned else None


def document_text(record: Record) -> tuple[str, int]:
    """The text the pipeline reads, in which every evidence span counts its characters:
    the title, a blank line, the abstract; and where the title ends. (Here, beside the
    record, so that the web app can place evidence spans without loading spaCy.)"""
    title = (record.title or "").strip()
    return f"{title}\n\n{record.abstract_text}", len(title)


# --- JSON form -------------------------------------------------------------------------

_SCALARS = (
    "pmid", "doi", "pmcid", "title", "journal", "journal_iso", "volume", "issue", "pages",
    "pub_date", "year", "revision_date", "entrez_date",
)  # fmt: skip


def _record_to_json(r: Record) -> dict[str, Any]:
    out: dict[str, Any] = {"id": r.uid}
    out.update({k: getattr(r, k) for k in _SCALARS})
    out["source_id"] = r.source_id
    out["first_author"] = r.first_author
    out["abstract"] = r.abstract_text
    out["abstract_sections"] = [
        {"label": s.label, "category": s.category, "text": s.text} for s in r.abstract
    ]
    out["authors"] = [
        {
            "last_name": a.last_name,
            "fore_name": a.fore_name,
            "initials": a.initials,
            "collective_name": a.collective_name,
            "affiliations": list(a.affiliations),
        }
        for a in r.authors
    ]
    out["languages"] = list(r.languages)
    out["publication_types"] = list(r.publication_types)
    out["mesh"] = [_mesh_to_json(m) for m in r.mesh]
    out["keywords"] = list(r.keywords)
    out["comments_corrections"] = [
        {"ref_type": c.ref_type, "ref_source": c.ref_source, "pmid": c.pmid} for c in r.comments_corrections
    ]
    out["retracted"] = r.retracted
    out["extra"] = dict(sorted(r.extra.items()))
    return out


def _mesh_to_json(m: MeshHeading) -> dict[str, Any]:
    return {
        "descriptor": m.descriptor,
        "ui": m.ui,
        "major_topic": m.major_topic,
        "qualifiers": [{"name": q.name, "ui": q.ui, "major_topic": q.major_topic} for q in m.qualifiers],
    }


# Keys of the JSON form that are derived or structural, never copied into `extra`.
_KNOWN_KEYS = set(_SCALARS) | {
    "id", "source_id", "first_author", "abstract", "abstract_sections", "authors",
    "languages", "language", "publication_types", "mesh", "keywords",
    "comments_corrections", "retracted", "extra",
}  # fmt: skip


def _record_from_json(obj: dict[str, Any], whole: bool = True) -> Record:
    """A record from its JSON form. Every field is checked for its type, so a malformed
    object is one `BadInputError` naming the field, never a TypeError deep inside.
    Not `whole`: only what the pipeline reads."""
    if not isinstance(obj, dict):
        raise BadInputError("a JSON record must be an object")
    pmid = _text(obj.get("pmid"), "pmid")
    read = {  # what the pipeline reads (see document_text)
        "source_id": _text(obj.get("source_id", obj.get("id")), "id"),
        "pmid": pmid.removeprefix("pmid:") if pmid else None,
        "doi": _text(obj.get("doi"), "doi"),
        "title": _text(obj.get("title"), "title"),
        "abstract": _sections_from_json(obj),
        "publication_types": tuple(_listish(obj.get("publication_types"), "publication_types")),
    }
    if not whole:
        return Record(**read)
    extra = obj.get("extra") or {}
    if not isinstance(extra, dict):
        raise BadInputError("'extra' must be an object")
    extra = {**extra, **{k: v for k, v in obj.items() if k not in _KNOWN_KEYS}}
    scalars = {k: _text(obj.get(k), k) for k in _SCALARS if k not in read and k != "year"}
    return Record(
        **read,
        authors=_authors_from_json(obj),
        year=_year(obj.get("year")),
        languages=tuple(_listish(obj.get("languages", obj.get("language")), "languages")),
        mesh=tuple(_mesh_from_json(m) for m in _objects(obj.get("mesh"), "mesh", "descriptor")),
        keywords=tuple(_listish(obj.get("keywords"), "keywords")),
        comments_corrections=tuple(
            CommentCorrection(
                _text(c["ref_type"], "ref_type") or "",
                _text(c.get("ref_source"), "ref_source"),
                _text(c.get("pmid"), "pmid"),
            )  # fmt: skip
            for c in _objects(obj.get("comments_corrections"), "comments_corrections", "ref_type")
        ),
        extra=dict(sorted(extra.items())),
        **scalars,
    )


def _objects(value: Any, name: str, required: str) -> list[dict[str, Any]]:
    """A list of JSON objects, each with its `required` key."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise BadInputError(f"'{name}' must be a list of objects with '{required}'")
    if not all(v.get(required) is not None for v in value):
        what = {"mesh": "'mesh' headings need"}.get(name, f"each of '{name}' needs")
        raise BadInputError(f"{what} a '{required}'")
    return value


def _sections_from_json(obj: dict[str, Any]) -> tuple[AbstractSection, ...]:
    if obj.get("abstract_sections") is not None:
        sections = _objects(obj["abstract_sections"], "abstract_sections", "text")
        if not all(isinstance(s["text"], str) for s in sections):
            raise BadInputError("'abstract_sections' text must be text")
        return tuple(
            AbstractSection(s["text"], _text(s.get("label"), "label"), _text(s.get("category"), "category"))
            for s in sections
        )
    text = _text(obj.get("abstract"), "abstract")
    return (AbstractSection(text),) if text else ()


def _authors_from_json(obj: dict[str, Any]) -> tuple[Author, ...]:
    authors = obj.get("authors")
    if authors:
        if not isinstance(authors, list) or not all(isinstance(a, str | dict) for a in authors):
            raise BadInputError("'authors' must be a list of objects or names")
        return tuple(
            Author.from_display(a)
            if isinstance(a, str)
            else Author(
                *(
                    _text(a.get(k), "authors")
                    for k in ("last_name", "fore_name", "initials", "collective_name")
                ),
                tuple(_listish(a.get("affiliations"), "affiliations")),
            )
            for a in authors
        )
    first = _text(obj.get("first_author"), "first_author")
    return (Author.from_display(first),) if first else ()


def _mesh_from_json(m: dict[str, Any]) -> MeshHeading:
    return MeshHeading(
        _text(m["descriptor"], "mesh") or "",
        _text(m.get("ui"), "mesh"),
        bool(m.get("major_topic")),
        tuple(
            MeshQualifier(
                _text(q["name"], "mesh") or "", _text(q.get("ui"), "mesh"), bool(q.get("major_topic"))
            )
            for q in _objects(m.get("qualifiers"), "qualifiers", "name")
        ),
    )


def _text(value: Any, name: str = "value") -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadInputError(f"'{name}' must be text, not {type(value).__name__}")
    text = str(value).strip()
    return text or None


def _year(value: Any) -> int | None:
    match = re.search(r"\d{4}", _text(value, "year") or "")
    return int(match.group()) if match else None


def _listish(value: Any, name: str = "value") -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise BadInputError(f"'{name}' must be a list of text")
    return [str(v) for v in value]
