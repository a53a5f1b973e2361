"""What a reader hands back: the references it read, each with the line it starts on, and
the references it could not take, each with its line and the reason. A file is refused
(`BadInputError`) only when it is not what it claims to be as a whole; one bad reference
in it is skipped and named, never a reason to drop the rest."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from rifkb.records import Record, clean_doi


@dataclass(frozen=True)
class Reference:
    """One record as a reader found it."""

    record: Record
    line: int  # the line its reference starts on, counted from 1


@dataclass(frozen=True)
class Skipped:
    """A reference a reader could not take (cut off, without title or identifier)."""

    path: Path
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(frozen=True)
class Chunk:
    """References read from one part of a file, in file order."""

    references: tuple[Reference, ...] = ()
    skipped: tuple[Skipped, ...] = ()

    @property
    def records(self) -> list[Record]:
        return [ref.record for ref in self.references]


NO_TITLE_OR_ID = "reference has no title and no identifier (PMID, DOI); skipped"


def split_lines(text: str) -> list[str]:
    """Lines without their endings, whatever the endings (LF, CRLF, CR). Unlike
    str.splitlines, form feeds and other separators inside a line stay in it."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def tidy_reference(ref: Reference) -> Reference:
    """What every reader's records share: the DOI as a DOI, not a resolver URL (Ovid,
    Embase); a DOI field that holds no DOI is kept in `extra`, not lost."""
    record = ref.record
    doi = clean_doi(record.doi)
    if doi == record.doi:
        return ref
    extra = {**record.extra, "doi_as_written": record.doi} if record.doi and not doi else record.extra
    return Reference(replace(record, doi=doi, extra=extra), ref.line)
