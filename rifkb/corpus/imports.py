"""Import bibliographic files into a corpus store. All files of one call are stored in a
single transaction, so a bad file leaves the store exactly as it was.

What an import did is told per reference: stored as new, updated or unchanged; merged as
a duplicate of a record already held (brought by another source, or earlier in the same
file); or skipped, with the line and the reason."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rifkb.corpus.formats import Skipped, check_path, detect_format, read_records, read_references
from rifkb.corpus.store import Provenance, Store, Upsert

# read_records stays importable from here too (benchmarks/extract_speed.py takes it from here).
__all__ = ["Duplicate", "ImportReport", "import_files", "read_records"]


@dataclass(frozen=True)
class Duplicate:
    """A reference of an imported file that duplicates a record already held."""

    path: Path
    line: int
    uid: str  # the record kept
    matched_on: str  # "pmid" | "doi" | "title+year" | "id"
    duplicate: str | None  # the reference's own PMID or DOI key, when not the kept record's
    duplicate_of_line: int | None  # inside one file: the line of the reference it repeats
    status: str  # what merging it did to the record kept: "updated" | "unchanged"

    def describe(self) -> str:
        where = f"{self.path.name}:{self.line}"
        if self.duplicate_of_line is not None:
            first = f"{self.path.name}:{self.duplicate_of_line}"
            return f"{where}: duplicate of {first} ({self.uid}, same {self.matched_on})"
        if self.duplicate:
            return f"{where}: {self.duplicate} merged into {self.uid} (same {self.matched_on})"
        return f"{where}: {self.uid} already held (same {self.matched_on})"


@dataclass(frozen=True)
class ImportReport:
    path: Path
    format: str
    results: tuple[Upsert, ...]  # one per reference stored, duplicates included, in file order
    skipped: tuple[Skipped, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()

    @property
    def references(self) -> int:
        """References read from the file: stored, merged as duplicates, or skipped."""
        return len(self.results) + len(self.skipped)

    def count(self, status: str) -> int:
        """References that were not duplicates and came out new, updated or unchanged."""
        return sum(1 for r in self.results if r.status == status and r.duplicate is None)

    @property
    def merged(self) -> tuple[Upsert, ...]:
        return tuple(r for r in self.results if r.duplicate is not None)


def import_files(store: Store, paths: list[Path], fmt: str | None = None) -> list[ImportReport]:
    """Read and store every file; all or nothing. Every file is checked (and its format
    found) before anything is stored."""
    for path in paths:
        check_path(path)
    kinds = [fmt or detect_format(path) for path in paths]
    with store.transaction():
        return [_import_file(store, path, kind) for path, kind in zip(paths, kinds, strict=True)]


def _import_file(store: Store, path: Path, kind: str) -> ImportReport:
    provenance = Provenance("import", path.name)
    seen = store.start_reading(provenance)
    first_line: dict[str, int] = {}  # record kept -> line of the reference that brought it
    results: list[Upsert] = []
    skipped: list[Skipped] = []
    duplicates: list[Duplicate] = []
    for chunk in read_references(path, kind):
        skipped.extend(chunk.skipped)
        stored = store.add_records(chunk.records, provenance, seen)
        for ref, result in zip(chunk.references, stored, strict=True):
            results.append(result)
            if result.duplicate is None:
                first_line.setdefault(result.uid, ref.line)
                continue
            first = first_line.get(result.matched or result.uid)
            if first is not None:  # the record kept may have moved to a better key
                first_line.setdefault(result.uid, first)
            own = result.duplicate if result.duplicate.startswith(("pmid:", "doi:")) else None
            duplicates.append(Duplicate(
                path, ref.line, result.uid, result.matched_on or "", own if own != result.uid else None,
                first if result.same_source else None, result.status,
            ))  # fmt: skip
    return ImportReport(path, kind, tuple(results), tuple(skipped), tuple(duplicates))
