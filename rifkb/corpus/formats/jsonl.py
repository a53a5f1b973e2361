"""JSON Lines: one `Record.to_json()` object per line; reads back losslessly, and also
reads the plain form of `dev.jsonl` (`id`, `pmid`, `title`, `abstract`, ...).

A line that is not a record (bad JSON, a field of the wrong type) is an error naming the
file and line: JSON Lines is written by programs, and a damaged line means a damaged file.
Only a last line cut off at the end of a truncated file, and a record without any
identifier, are skipped and named."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rifkb.corpus.formats.base import Chunk, Reference, Skipped, split_lines
from rifkb.errors import BadInputError
from rifkb.records import Record

_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def read_jsonl(path: Path, text: str) -> Chunk:
    references, skipped = [], []
    lines = split_lines(text)
    last = max((n for n, line in enumerate(lines, 1) if line.strip()), default=0)
    for lineno, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            obj = _parse(line)
        except _NotJson as exc:
            if lineno == last and not text.endswith(("\n", "\r")):  # a truncated file's last line
                skipped.append(Skipped(path, lineno, "record is cut off (the file ends inside it); skipped"))
                continue
            raise BadInputError(f"{path}:{lineno}: {exc}") from None
        except BadInputError as exc:
            raise BadInputError(f"{path}:{lineno}: {exc}") from None
        if not any(obj.get(k) for k in ("pmid", "doi", "id", "source_id")):
            skipped.append(Skipped(path, lineno, "record has no pmid, doi or id; skipped"))
            continue
        try:
            references.append(Reference(Record.from_json(obj), lineno))
        except BadInputError as exc:
            raise BadInputError(f"{path}:{lineno}: {exc}") from None
    return Chunk(tuple(references), tuple(skipped))


class _NotJson(BadInputError):
    """A line that does not parse as JSON (as a line cut short does not)."""


def _parse(line: str) -> dict[str, Any]:
    try:
        obj = json.loads(line)
    except RecursionError:
        raise BadInputError("JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise _NotJson(f"not JSON ({exc.msg})") from None
    except ValueError as exc:  # Python refuses integers of more than 4300 digits
        if "digits" in str(exc):
            raise BadInputError("a number of more than 4300 digits") from None
        raise BadInputError(f"not JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise BadInputError("a record must be a JSON object")
    if _SURROGATE_ESCAPE.search(line):  # "\ud800" escapes a character no UTF-8 text holds
        try:
            json.dumps(obj, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BadInputError(f"text holds an unpaired surrogate ({exc.object[exc.start]!r})") from None
    return obj


def write_jsonl(records: Iterable[Record]) -> str:
    return "".join(json.dumps(r.to_json(), ensure_ascii=False, sort_keys=True) + "\n" for r in records)
