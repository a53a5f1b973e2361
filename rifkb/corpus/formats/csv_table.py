"""The bibliography as a CSV table, one row per record (Excel, pandas)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from rifkb.files import spreadsheet_safe
from rifkb.records import Record

CSV_COLUMNS = (
    "id", "pmid", "doi", "pmcid", "first_author", "authors", "year", "title", "journal",
    "volume", "issue", "pages", "publication_types", "retracted", "abstract",
)  # fmt: skip


def write_csv(records: Iterable[Record]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for r in records:
        writer.writerow(map(spreadsheet_safe, [
            r.uid, r.pmid, r.doi, r.pmcid, r.first_author,
            "; ".join(a.display for a in r.authors), r.year, r.title, r.journal, r.volume,
            r.issue, r.pages, "; ".join(r.publication_types), int(r.retracted), r.abstract_text,
        ]))  # fmt: skip
    return out.getvalue()
