"""Writing output files atomically: to a temporary file beside the target, then
`os.replace`, so an interrupted export never leaves half a file."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from rifkb.errors import BadInputError


def write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Call write(temporary path), then move the result into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
    os.close(fd)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: Path, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8", newline=""))


def write_tree_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Call write(temporary folder), then put the folder in place of `path`: a folder
    written before is replaced only once the new one is complete."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BadInputError(f"{path}: exists and is not a folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    old = path.with_name(f".{path.name}.old")
    try:
        write(tmp)
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return path
