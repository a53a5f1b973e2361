"""Writing output files atomically: to a temporary file beside the target, then
`os.replace`, so an interrupted export never leaves half a file.

Outputs get the mode the umask gives, as any tool's output does (0644 under the usual
umask 022), not the 0600 of a temporary file. A temporary file carries the id of the
process writing it (`.evidence.csv.1234.x8k2.part.csv`): a process killed before it could
clean up leaves it behind, and the next write of the same target removes it once that
process is gone. A full disk is one line (`DiskFullError`), the target left as it was.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from rifkb.errors import BadInputError, DiskFullError

DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def output_file(path: Path) -> Path:
    """Check that a file can be written at `path` (not a folder, its parent not a file),
    before any work is done for it."""
    path = Path(path)
    if path.is_dir():
        raise BadInputError(f"{path}: is a folder; give the name of a file")
    _check_parents(path.parent)
    return path


def output_folder(path: Path) -> Path:
    """Create the folder `path` for outputs, or say in one line why it cannot be one."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise BadInputError(f"{path}: exists and is not a folder")
    _check_parents(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_error(path, exc) from None
    return path


def _check_parents(folder: Path) -> None:
    for parent in (folder, *folder.parents):
        if parent.exists():
            if not parent.is_dir():
                raise BadInputError(f"{parent}: exists and is not a folder")
            return


def write_atomic(path: Path, write: Callable[[Path], object]) -> Path:
    """Call write(temporary path), then move the result into place."""
    path = output_file(path)
    output_folder(path.parent)
    remove_stale(path)
    try:
        fd, name = tempfile.mkstemp(dir=path.parent, prefix=_prefix(path), suffix=f".part{path.suffix}")
    except OSError as exc:
        raise _os_error(path, exc) from None
    tmp = Path(name)
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        os.close(fd)
        write(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        tmp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            raise _os_error(path, exc) from None
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
    output_folder(path.parent)
    remove_stale(path)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=_prefix(path), suffix=".part"))
    os.chmod(tmp, 0o777 & ~_umask())
    old = path.with_name(f".{path.name}.{os.getpid()}.old")
    try:
        write(tmp)
        if path.exists():
            os.replace(path, old)
        os.replace(tmp, path)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError) and exc.errno in DISK_FULL:
            raise _os_error(path, exc) from None
        raise
    shutil.rmtree(old, ignore_errors=True)
    return path


def remove_stale(path: Path) -> list[Path]:
    """Remove the temporary files (and folders) that processes no longer running left
    beside `path`; those of a running process are its work in progress."""
    removed = []
    prefix = f".{path.name}."
    try:
        beside = list(path.parent.iterdir())
    except OSError:
        return removed
    for leftover in beside:
        name = leftover.name
        if not name.startswith(prefix) or not (".part" in name or name.endswith(".old")):
            continue
        pid = name[len(prefix) :].split(".", 1)[0]
        if pid.isdigit() and not _running(int(pid)):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
            removed.append(leftover)
    return removed


def _prefix(path: Path) -> str:
    return f".{path.name}.{os.getpid()}."


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def _umask() -> int:
    """The process's umask; reading it means setting it, so it is put back at once."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _os_error(path: Path, exc: OSError) -> Exception:
    if exc.errno in DISK_FULL:
        where = f"{path} was not written"
        return DiskFullError(
            f"the disk is full: nothing stored changed ({where}); free some space and run again"
        )
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return BadInputError(f"{path}: cannot write here ({exc.strerror})")
    return exc


# Characters XML 1.0 forbids (C0 controls but tab, newline and carriage return; lone
# surrogates; U+FFFE and U+FFFF): text imported from other tools can hold them, and a
# GraphML, GEXF or XLSX file that contains one cannot be read back.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_AS_SPACE = frozenset("\x0b\x0c\x1c\x1d\x1e\x1f")  # vertical tab, form feed, separators


def xml_safe(text: str) -> str:
    """Text that XML can hold: whitespace controls become spaces, other controls go, a
    lone surrogate becomes U+FFFD."""
    if not _NOT_XML.search(text):
        return text
    return _NOT_XML.sub(
        lambda m: " " if m.group() in _AS_SPACE else "" if m.group() < " " else "\ufffd", text
    )


# A spreadsheet reads a cell starting with one of these as a formula (CSV/formula
# injection, OWASP): `=HYPERLINK(...)` in a crafted title would run when the file is opened.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Text that is, or was made, formula-safe: quotes before a formula's first character. One
# more quote goes on (spreadsheet_safe) and comes off (from_spreadsheet), so that a file
# rifkb writes and reads back gives every text as it was, a leading quote included.
_QUOTED_FORMULA = re.compile(r"'*[=+\-@\t\r]")


def spreadsheet_safe(value: object) -> object:
    """A cell for CSV or XLSX: text that a spreadsheet would take for a formula gets a
    leading `'` (OWASP's advice); numbers, negative ones too, and anything else unchanged."""
    if isinstance(value, str) and _QUOTED_FORMULA.match(value):
        return "'" + value
    return value


def from_spreadsheet(text: str) -> str:
    """A cell of a file rifkb wrote with `spreadsheet_safe`, as it was before."""
    return text[1:] if text.startswith("'") and _QUOTED_FORMULA.match(text) else text


# The files rifkb wrote into an output folder, so that the next run can remove those it
# no longer writes (the forest plot of an analysis whose studies were all excluded) and
# never a file it did not write.
MANIFEST = ".rifkb-manifest.json"


def manifest_files(directory: Path) -> list[str]:
    """The paths (relative to `directory`, '/'-separated) its manifest lists; none when it
    has no manifest, or one rifkb cannot read (then nothing is removed)."""
    try:
        listed = json.loads((Path(directory) / MANIFEST).read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    if not isinstance(listed, list):
        return []
    return [name for name in listed if isinstance(name, str) and _inside(name)]


def record_outputs(directory: Path, written: Iterable[Path], complete: bool = True) -> list[Path]:
    """After a successful write of `directory`: remove the files its previous manifest
    listed that this run did not write, then write the manifest of what it wrote (paths
    outside `directory` are not listed). A partial run (`complete=False`, say the forest
    plots of one intervention) removes nothing and adds what it wrote to the manifest.
    A file that could not be removed stays listed, to be removed next time. Returns the
    files removed."""
    directory = Path(directory)
    now = {rel for path in written if (rel := _relative(Path(path), directory)) is not None}
    now.discard(MANIFEST)
    before = [name for name in manifest_files(directory) if name != MANIFEST]
    removed: list[Path] = []
    for name in before:
        if name in now:
            continue
        if not complete:
            now.add(name)
            continue
        stale = directory / name
        try:
            if stale.is_symlink() or stale.is_file():
                stale.unlink()
                removed.append(stale)
        except OSError:
            now.add(name)  # listed still, to be removed next time
    listing = json.dumps({"files": sorted(now)}, indent=2, ensure_ascii=False) + "\n"
    write_text_atomic(directory / MANIFEST, listing)
    return removed


def _relative(path: Path, directory: Path) -> str | None:
    try:
        return path.absolute().relative_to(directory.absolute()).as_posix()
    except ValueError:
        return None


def _inside(name: str) -> bool:
    """A manifest names files inside its folder: never an absolute path or one going up."""
    parts = name.split("/")
    return bool(name) and not name.startswith("/") and "\\" not in name and not {"", ".", ".."} & set(parts)
