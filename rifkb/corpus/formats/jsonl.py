"""JSON Lines: one `Record.to_json()` object per line; reads back losslessly, and also
reads the plain form of `dev.jsonl` (`id`, `pmid`, `title`, `abstract`, ...)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from rifkb.errors import BadInputError
from rifkb.records import Record


def read_jsonl(path: Path, text: str) -> list[Record]:
    records = []
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{path}:{lineno}: not JSON ({exc.msg})") from None
        if not isinstance(obj, dict):
            raise BadInputError(f"{path}:{lineno}: a record must be a JSON object")
        if not any(obj.get(k) for k in ("pmid", "doi", "id", "source_id")):
            raise BadInputError(f"{path}:{lineno}: record has no pmid, doi or id")
        try:
            records.append(Record.from_json(obj))
        except (KeyError, TypeError) as exc:
            raise BadInputError(f"{path}:{lineno}: malformed record ({exc})") from None
    return records


def write_jsonl(records: Iterable[Record]) -> str:
    return "".join(json.dumps(r.to_json(), ensure_ascii=False, sort_keys=True) + "\n" for r in records)
