"""Output files: written whole or not at all, with the mode the umask gives, leftovers of
a killed writer cleaned by the next write, a full disk one line (issue 9, items 15, 18, 20)."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rifkb.errors import BadInputError, DiskFullError
from rifkb.files import (
    MANIFEST,
    output_folder,
    record_outputs,
    write_atomic,
    write_text_atomic,
    write_tree_atomic,
)


@pytest.fixture
def umask_027():
    previous = os.umask(0o027)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_files_get_the_mode_the_umask_gives(tmp_path, umask_027):
    written = write_text_atomic(tmp_path / "out" / "table.csv", "a,b\n")
    assert mode(written) == 0o640
    tree = write_tree_atomic(tmp_path / "pipeline", lambda d: (d / "meta.json").write_text("{}"))
    assert mode(tree) == 0o750 and mode(tree / "meta.json") == 0o640


def test_a_replaced_file_gets_the_mode_too(tmp_path):
    target = tmp_path / "refresh.md"
    target.write_text("old")
    target.chmod(0o600)
    os.umask(previous := os.umask(0o022))
    write_text_atomic(target, "new")
    assert mode(target) == 0o666 & ~previous


KILLED_WRITER = """
import os, signal, sys
from pathlib import Path
from rifkb.files import write_atomic, write_tree_atomic

def die(tmp):
    tmp.write_text("half a file")
    os.kill(os.getpid(), signal.SIGKILL)

target = Path(sys.argv[1])
if sys.argv[2] == "file":
    write_atomic(target, die)
else:
    write_tree_atomic(target, lambda d: die(d / "meta.json"))
"""


@pytest.mark.parametrize("kind", ["file", "tree"])
def test_a_killed_writer_leaves_a_leftover_the_next_write_removes(tmp_path, kind):
    target = tmp_path / ("table.csv" if kind == "file" else "pipeline")
    done = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(target), kind], check=False)
    assert done.returncode == -9
    leftovers = [p.name for p in tmp_path.iterdir()]
    assert len(leftovers) == 1 and leftovers[0].startswith(f".{target.name}.")
    if kind == "file":
        write_text_atomic(target, "whole")
    else:
        write_tree_atomic(target, lambda d: (d / "meta.json").write_text("{}"))
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


def test_a_running_writers_temporary_file_is_left_alone(tmp_path):
    target = tmp_path / "table.csv"
    seen = []

    def write(tmp: Path) -> None:
        seen.append(tmp.name)
        write_text_atomic(target, "another write of the same file, meanwhile")
        assert tmp.exists()
        tmp.write_text("mine")

    write_atomic(target, write)
    assert target.read_text() == "mine" and not (tmp_path / seen[0]).exists()


def test_a_full_disk_is_one_line_and_leaves_the_file_as_it_was(tmp_path):
    target = tmp_path / "table.csv"
    target.write_text("before")

    def full(tmp: Path) -> None:
        tmp.write_text("par")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(
        DiskFullError, match=r"^the disk is full: nothing stored changed \(.*table.csv was not written\)"
    ):
        write_atomic(target, full)
    assert target.read_text() == "before" and [p.name for p in tmp_path.iterdir()] == ["table.csv"]


@pytest.mark.parametrize("kind", ["file", "parent"])
def test_outputs_in_the_way_are_one_line(tmp_path, kind):
    blocker = tmp_path / "blocker"
    blocker.write_text("mine")
    with pytest.raises(BadInputError, match="exists and is not a folder"):
        if kind == "file":
            output_folder(blocker)
        else:
            write_text_atomic(blocker / "table.csv", "x")
    with pytest.raises(BadInputError, match="is a folder; give the name of a file"):
        write_text_atomic(tmp_path, "x")


def _listed(folder: Path) -> list[str]:
    import json

    return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]


def test_a_manifest_removes_what_rifkb_wrote_before_and_no_longer_writes(tmp_path):
    old = [write_text_atomic(tmp_path / name, name) for name in ("b.svg", "a.svg", "sub/c.csv")]
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    assert record_outputs(tmp_path, old) == []
    assert _listed(tmp_path) == ["a.svg", "b.svg", "sub/c.csv"]  # sorted, relative
    removed = record_outputs(tmp_path, [tmp_path / "a.svg", tmp_path / "d.svg"])
    assert sorted(p.name for p in removed) == ["b.svg", "c.csv"]
    assert not (tmp_path / "b.svg").exists() and not (tmp_path / "sub" / "c.csv").exists()
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"  # never rifkb's
    assert _listed(tmp_path) == ["a.svg", "d.svg"]


def test_a_partial_write_removes_nothing_and_adds_to_the_manifest(tmp_path):
    record_outputs(tmp_path, [write_text_atomic(tmp_path / "a.svg", "a")])
    record_outputs(tmp_path, [write_text_atomic(tmp_path / "b.svg", "b")], complete=False)
    assert (tmp_path / "a.svg").exists() and _listed(tmp_path) == ["a.svg", "b.svg"]


@pytest.mark.parametrize("listing", ['{"files": ["../outside.txt", "/etc/hosts", "./x", ""]}', "not json"])
def test_a_manifest_never_reaches_outside_its_folder_nor_trusts_a_broken_one(tmp_path, listing):
    folder = output_folder(tmp_path / "out")
    (tmp_path / "outside.txt").write_text("keep", encoding="utf-8")
    (folder / "x").write_text("keep", encoding="utf-8")
    (folder / MANIFEST).write_text(listing, encoding="utf-8")
    assert record_outputs(folder, []) == []
    assert (tmp_path / "outside.txt").exists() and (folder / "x").exists()
    assert _listed(folder) == []
