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
        """Read 'Smith AB' or 'Smith, Anna B.'; a trailing run of capitals is initials."""
        text = text.strip()
        if "," in text:
            last, _, fore = text.partition(",")
            fore = fore.strip()
            initials = "".join(w[0] for w in re.split(r"[\s.\-]+", fore) if w) or None
            return cls(last_name=last.strip(), fore_name=fore or None, initials=initials)
        parts = text.split()
        if len(parts) > 1 and re.fullmatch(r"[A-Z]{1,4}", parts[-1]):
            return cls(last_name=" ".join(parts[:-1]), initials=parts[-1])
        return cls(last_name=text)


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


def normalise_doi(doi: str | None) -> str | None:
    """DOIs are case-insensitive (DOI Handbook 2.4); strip resolver prefixes too."""
    if not doi:
        return None
    doi = re.sub(r"^(https?://(dx\.)?doi\.org/|doi:\s*)", "", doi.strip(), flags=re.I)
    return doi.lower() or None


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


def _record_from_json(obj: dict[str, Any]) -> Record:
    if not isinstance(obj, dict):
        raise BadInputError("a JSON record must be an object")
    source_id = obj.get("source_id", obj.get("id"))
    pmid = _text(obj.get("pmid"))
    extra = dict(obj.get("extra") or {})
    extra.update({k: v for k, v in obj.items() if k not in _KNOWN_KEYS})
    return Record(
        source_id=_text(source_id),
        pmid=pmid.removeprefix("pmid:") if pmid else None,
        doi=_text(obj.get("doi")),
        pmcid=_text(obj.get("pmcid")),
        title=_text(obj.get("title")),
        abstract=_sections_from_json(obj),
        authors=_authors_from_json(obj),
        journal=_text(obj.get("journal")),
        journal_iso=_text(obj.get("journal_iso")),
        volume=_text(obj.get("volume")),
        issue=_text(obj.get("issue")),
        pages=_text(obj.get("pages")),
        pub_date=_text(obj.get("pub_date")),
        year=_year(obj.get("year")),
        languages=tuple(_listish(obj.get("languages", obj.get("language")))),
        publication_types=tuple(_listish(obj.get("publication_types"))),
        mesh=tuple(_mesh_from_json(m) for m in obj.get("mesh") or ()),
        keywords=tuple(_listish(obj.get("keywords"))),
        comments_corrections=tuple(
            CommentCorrection(c["ref_type"], c.get("ref_source"), c.get("pmid"))
            for c in obj.get("comments_corrections") or ()
        ),
        revision_date=_text(obj.get("revision_date")),
        entrez_date=_text(obj.get("entrez_date")),
        extra=dict(sorted(extra.items())),
    )


def _sections_from_json(obj: dict[str, Any]) -> tuple[AbstractSection, ...]:
    if obj.get("abstract_sections") is not None:
        return tuple(
            AbstractSection(s["text"], s.get("label"), s.get("category")) for s in obj["abstract_sections"]
        )
    text = _text(obj.get("abstract"))
    return (AbstractSection(text),) if text else ()


def _authors_from_json(obj: dict[str, Any]) -> tuple[Author, ...]:
    authors = obj.get("authors")
    if authors:
        return tuple(
            Author.from_display(a)
            if isinstance(a, str)
            else Author(
                a.get("last_name"),
                a.get("fore_name"),
                a.get("initials"),
                a.get("collective_name"),
                tuple(a.get("affiliations") or ()),
            )
            for a in authors
        )
    first = _text(obj.get("first_author"))
    return (Author.from_display(first),) if first else ()


def _mesh_from_json(m: dict[str, Any]) -> MeshHeading:
    return MeshHeading(
        m["descriptor"],
        m.get("ui"),
        bool(m.get("major_topic")),
        tuple(
            MeshQualifier(q["name"], q.get("ui"), bool(q.get("major_topic")))
            for q in m.get("qualifiers") or ()
        ),
    )


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _year(value: Any) -> int | None:
    match = re.search(r"\d{4}", str(value)) if value is not None else None
    return int(match.group()) if match else None


def _listish(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(";") if v.strip()]
    return [str(v) for v in value]
