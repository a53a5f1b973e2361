"""Import bibliographic files into a corpus store. All files of one call are stored in a
single transaction, so a bad file leaves the store exactly as it was."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rifkb.corpus.formats import detect_format, read_records
from rifkb.corpus.store import Provenance, Store, Upsert


@dataclass(frozen=True)
class ImportReport:
    path: Path
    format: str
    results: tuple[Upsert, ...]

    def count(self, status: str) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def merged(self) -> tuple[Upsert, ...]:
        return tuple(r for r in self.results if r.matched_on)


def import_files(store: Store, paths: list[Path], fmt: str | None = None) -> list[ImportReport]:
    """Read and store every file; all or nothing."""
    reports = []
    with store.transaction():
        for path in paths:
            kind = fmt or detect_format(path)
            results: list[Upsert] = []
            for chunk in read_records(path, kind):
                results.extend(store.add_records(chunk, Provenance("import", path.name)))
            reports.append(ImportReport(path, kind, tuple(results)))
    return reports
