"""Bring the bundled corpus's metadata up to the shared dev corpus (issue 20).

Reads `shared/corpus/dev.jsonl` (PMIDs, DOIs, first authors, journals and years confirmed on
published pages, and the ids that changed with them) and `shared/corpus/dev-metadata.jsonl`
(the author lists, where each was seen), and rewrites `corpora/rif-ivig/snapshot.jsonl`:
each bundled record takes the shared record's id, PMID, DOI, author list (or its first
author when no list is known), and its journal and year where the bundled record has none.
Every other field (title, abstract, `extra`, ...) is kept as it was.

A bundled record is matched to its shared record by id, else (for the 20 records whose id
changed) by its abstract, which the new version left as it was; each must match exactly
one. The output is what `rifkb export bib --format jsonl` writes: one record per line in
the id order of the store, keys sorted, so running it twice changes nothing.

    python3 scripts/update_bundled_metadata.py [--shared ../shared/corpus] [--snapshot ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from rifkb.corpus.formats.jsonl import write_jsonl
from rifkb.records.bibliographic import Author, Record

ROOT = Path(__file__).resolve().parent.parent


def _lines(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _key(text: str | None) -> str:
    return " ".join((text or "").split())


def match(snapshot: list[dict], dev: list[dict]) -> list[int]:
    """For each bundled record, the index of its shared record."""
    by_id = {d["id"]: i for i, d in enumerate(dev)}
    by_abstract: dict[str, list[int]] = {}
    for i, d in enumerate(dev):
        by_abstract.setdefault(_key(d.get("abstract")), []).append(i)
    found = []
    for s in snapshot:
        if s["id"] in by_id:
            found.append(by_id[s["id"]])
            continue
        candidates = by_abstract.get(_key(s.get("abstract")), [])
        if len(candidates) != 1:
            raise SystemExit(f"{s['id']}: {len(candidates)} shared records share its abstract")
        found.append(candidates[0])
    if sorted(found) != list(range(len(dev))):
        raise SystemExit("bundled and shared records do not match one to one")
    return found


def updated(record: Record, d: dict, m: dict) -> Record:
    if m["id"] != d["id"]:
        raise SystemExit(f"dev-metadata.jsonl's {m['id']} is dev.jsonl's {d['id']}")
    names = m.get("authors") or ([d["first_author"]] if d.get("first_author") else [])
    authors = tuple(Author.from_display(n) for n in names)
    if authors and record.authors and authors[0].display == record.authors[0].display:
        authors = (record.authors[0], *authors[1:])  # keep a name's parts as they were read
    new = replace(
        record, source_id=d["id"], pmid=d.get("pmid"), doi=d.get("doi"), authors=authors,
        journal=record.journal or d.get("journal"), year=record.year or d.get("year"),
    )  # fmt: skip
    if new.uid != d["id"]:
        raise SystemExit(f"{d['id']}: the updated record's key is {new.uid}")
    return new


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "corpus")
    ap.add_argument("--snapshot", type=Path, default=ROOT / "corpora" / "rif-ivig" / "snapshot.jsonl")
    args = ap.parse_args(argv)
    snapshot = _lines(args.snapshot)
    dev = _lines(args.shared / "dev.jsonl")
    meta = _lines(args.shared / "dev-metadata.jsonl")
    found = match(snapshot, dev)
    records = [updated(Record.from_json(s), dev[i], meta[i]) for s, i in zip(snapshot, found, strict=True)]
    records.sort(key=lambda r: r.uid)
    before = {s["id"] for s in snapshot}
    with open(args.snapshot, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(write_jsonl(records))
    print(
        f"{len(records)} records; ids changed: {sum(r.uid not in before for r in records)}; "
        f"PMIDs {sum(bool(s.get('pmid')) for s in snapshot)} -> {sum(bool(r.pmid) for r in records)}; "
        f"first authors {sum(bool(s.get('first_author')) for s in snapshot)} -> "
        f"{sum(bool(r.first_author) for r in records)}; "
        f"author lists of 2+ {sum(len(s.get('authors') or []) > 1 for s in snapshot)} -> "
        f"{sum(len(r.authors) > 1 for r in records)}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
