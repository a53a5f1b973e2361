"""Faults: a second writer, a full disk, a killed extraction (issue 9, items 17, 18, 20).
Nothing is lost, nothing half-stored, and each is one line, never a traceback."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rifkb.cli import app
from rifkb.corpus.store import Provenance, Store
from rifkb.errors import DiskFullError, StoreBusyError
from rifkb.records import Record
from tests.conftest import REPO, copy_bundled_corpus

runner = CliRunner()
PROVENANCE = Provenance("import", "test.jsonl")


@pytest.fixture
def bundled(tmp_path):
    target = tmp_path / "rif-ivig"
    copy_bundled_corpus(target)
    return target


def record(n: int) -> Record:
    return Record(source_id=f"src:{n}", title=f"Paper {n} on implantation failure", year=2020)


# --- item 17: a second writer -----------------------------------------------------------


def test_a_second_writer_waits_for_the_first_and_loses_nothing(tmp_path):
    path = tmp_path / "store.sqlite"
    Store(path).close()
    holding, waited = threading.Event(), []

    def hold() -> None:  # the first writer, with its own connection, as another command has
        with Store(path) as first, first.transaction():
            first.add_records([record(1)], PROVENANCE)
            holding.set()
            time.sleep(2.5)  # well past the quiet second before the second writer speaks

    thread = threading.Thread(target=hold)
    thread.start()
    holding.wait(timeout=10)
    try:
        with Store(path, on_wait=lambda: waited.append(time.monotonic())) as second:
            second.add_records([record(2)], PROVENANCE)
            assert second.count() == 2
    finally:
        thread.join()
    assert len(waited) == 1


def test_a_writer_that_waited_too_long_says_so_in_one_line(tmp_path):
    path = tmp_path / "store.sqlite"
    with Store(path) as first, Store(path, wait=0.3) as second:
        with first.transaction():
            first.add_records([record(1)], PROVENANCE)
            with pytest.raises(StoreBusyError) as error:
                second.add_records([record(2)], PROVENANCE)
        assert str(error.value) == (
            f"another rifkb command is writing to {path}; run this one again when it has finished"
        )
        assert second.count() == 1


HOLD_THE_STORE = """
import sys
from rifkb.corpus.store import Store
with Store(sys.argv[1]) as store, store.transaction() as db:
    db.execute("INSERT OR REPLACE INTO meta VALUES ('holder', 'import')")
    print("holding", flush=True)
    sys.stdin.readline()  # until the test says
"""
RIFKB = [sys.executable, "-c", "from rifkb.cli import main; main()"]


def test_extract_while_another_process_writes(bundled):
    """Two processes: one holds the store's write lock (an import under way), the other
    extracts. SQLite's default wait (5 s) ended in 'database is locked' and a traceback:
    now extract says it waits, and stores everything once the first has finished."""
    assert runner.invoke(app, ["status", "-c", str(bundled)]).exit_code == 0  # loads the snapshot
    holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_STORE, str(bundled / "store.sqlite")],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    extract = None
    try:
        assert holder.stdout.readline() == "holding\n"
        extract = subprocess.Popen([*RIFKB, "extract", "-c", str(bundled)], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)  # fmt: skip
        first = extract.stderr.readline()  # the pipeline loads, then the first write waits
        holder.communicate("done\n", timeout=30)
        out, rest = extract.communicate(timeout=120)
    finally:
        for process in (holder, extract):
            if process is not None and process.poll() is None:
                process.kill()
                process.communicate()
    store = bundled / "store.sqlite"
    assert first == f"rifkb: another rifkb command is writing to {store}; waiting for it to finish\n"
    assert extract.returncode == 0 and "Traceback" not in rest, rest
    assert out.startswith("extracted 110, unchanged 0, failed 0")


# --- item 18: a full disk ---------------------------------------------------------------


class FullDisk:
    """A connection that fails as SQLite does on a full disk: SQLITE_FULL, after SQLite has
    rolled the transaction back itself (so a ROLLBACK of ours finds none)."""

    def __init__(self, conn: sqlite3.Connection, on: str):
        self.conn, self.on = conn, on

    def execute(self, sql: str, *args: object) -> sqlite3.Cursor:
        self._fail_on(sql)
        return self.conn.execute(sql, *args)

    def executemany(self, sql: str, *args: object) -> sqlite3.Cursor:
        self._fail_on(sql)
        return self.conn.executemany(sql, *args)

    def _fail_on(self, sql: str) -> None:
        if sql.lstrip().upper().startswith(self.on):
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise sqlite3.OperationalError("database or disk is full")

    def __getattr__(self, name: str) -> object:
        return getattr(self.conn, name)


@pytest.mark.parametrize("on", ["INSERT INTO RECORDS", "COMMIT"])
def test_a_full_disk_in_a_store_write_is_one_line_and_changes_nothing(tmp_path, on):
    with Store(tmp_path / "store.sqlite") as store:
        store.add_records([record(1)], PROVENANCE)
        store._conn = FullDisk(store._conn, on)
        with pytest.raises(DiskFullError, match=r"^the disk is full: nothing stored changed"):
            store.add_records([record(2), record(3)], PROVENANCE)
        store._conn = store._conn.conn
        assert store.count() == 1


def test_extract_on_a_full_disk_names_the_cause(bundled, monkeypatch):
    """'cannot rollback - no transaction is active' hid the full disk."""
    assert runner.invoke(app, ["status", "-c", str(bundled)]).exit_code == 0
    real_init = Store.__init__

    def full_on_extractions(self: Store, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)
        self._conn = FullDisk(self._conn, "INSERT INTO EXTRACTIONS")

    monkeypatch.setattr(Store, "__init__", full_on_extractions)
    result = runner.invoke(app, ["extract", "-c", str(bundled)])
    monkeypatch.undo()
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert result.stderr.splitlines()[-1].startswith("rifkb: the disk is full: nothing stored changed")
    assert "Traceback" not in result.output and "rollback" not in result.output
    with Store(bundled / "store.sqlite") as store:
        assert list(store.extractions()) == []


FULL_DISK_SCRIPT = """
rifkb() { "$PYTHON" -c "from rifkb.cli import main; main()" "$@"; }
set -e
mount -t tmpfs -o size=8m tmpfs "$MNT"
cp -r "$CORPUS" "$MNT/corpus"
rifkb status -c "$MNT/corpus" > /dev/null
rifkb export bib -c "$MNT/corpus" -f jsonl > "$OUTSIDE/before.jsonl"
set +e
# more than the disk holds: SQLite runs out of room inside the import's transaction
rifkb import -c "$MNT/corpus" "$OUTSIDE/big.jsonl" 2> "$OUTSIDE/import.err"; echo $? > "$OUTSIDE/import.rc"
# room to open the store, not to store the extractions
free=$(df --output=avail -B1 "$MNT" | tail -n 1)
head -c $((free - 96 * 1024)) /dev/zero > "$MNT/filler"
rifkb extract -c "$MNT/corpus" 2> "$OUTSIDE/extract.err"; echo $? > "$OUTSIDE/extract.rc"
# no room for the bibliography
rifkb export bib -c "$MNT/corpus" -f jsonl -o "$MNT/bib.jsonl" 2> "$OUTSIDE/export.err"
echo $? > "$OUTSIDE/export.rc"
rm "$MNT/filler"
rifkb export bib -c "$MNT/corpus" -f jsonl > "$OUTSIDE/after.jsonl"
ls -a "$MNT" "$MNT/corpus" > "$OUTSIDE/left.txt"
"""


def test_a_real_full_disk(bundled, tmp_path):
    """A small tmpfs, in a mount namespace of its own (so nothing outlives the test):
    root only, and only where `unshare` may make one; skipped elsewhere."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare to mount a small file system")
    probe = subprocess.run(["unshare", "--mount", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {tmp_path}"],
                           capture_output=True, check=False)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {probe.stderr.decode().strip()}")
    big = tmp_path / "big.jsonl"
    text = "Intravenous immunoglobulin in recurrent implantation failure. " * 60
    big.write_text("".join(json.dumps({"id": f"src:{n}", "title": f"Paper {n}", "abstract": text}) + "\n"
                           for n in range(3000)), encoding="utf-8")  # fmt: skip
    mnt = tmp_path / "mnt"
    mnt.mkdir()
    env = {**os.environ, "MNT": str(mnt), "CORPUS": str(bundled), "OUTSIDE": str(tmp_path),
           "PYTHON": sys.executable}  # fmt: skip
    done = subprocess.run(["unshare", "--mount", "sh", "-c", FULL_DISK_SCRIPT], env=env,
                          capture_output=True, text=True, check=False, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    for command in ("import", "extract", "export"):
        error = (tmp_path / f"{command}.err").read_text()
        assert (tmp_path / f"{command}.rc").read_text().strip() == "1", (command, error)
        last = error.splitlines()[-1]  # after extract's progress bar
        assert last.startswith("rifkb: the disk is full: nothing stored changed ("), (command, error)
        assert "Traceback" not in error and "rollback" not in error, (command, error)
    assert (tmp_path / "before.jsonl").read_text() == (tmp_path / "after.jsonl").read_text()
    assert "bib.jsonl" not in (tmp_path / "left.txt").read_text()  # nor its temporary file


# --- item 20: killed extractions, and imports that race with them -------------------------


def test_records_imported_during_an_extraction_are_not_counted_unchanged(bundled):
    from rifkb.corpus.folder import load_corpus
    from rifkb.kb.runs import extract_corpus

    corpus = load_corpus(bundled)
    with corpus.open_store() as store, corpus.open_store() as importer:
        imported = []

        def import_meanwhile(done: int, total: int) -> None:
            if not imported:
                imported.extend(importer.add_records([record(1), record(2)], PROVENANCE))

        report = extract_corpus(corpus, store, progress=import_meanwhile)
        assert (report.extracted, report.unchanged, report.arrived) == (110, 0, 2)
        again = extract_corpus(corpus, store)
        assert (again.extracted, again.unchanged, again.arrived) == (2, 110, 0)


def children(pid: int) -> set[int]:
    """The processes whose parent is `pid` (from /proc: no psutil needed)."""
    found = set()
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid):
            found.add(int(status.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"  # a zombie has exited; only its parent's wait is missing


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@pytest.fixture
def many_records(tmp_path):
    """A corpus of 300 records: enough for both workers to be busy for a while."""
    corpus = tmp_path / "c"
    assert runner.invoke(app, ["init", str(corpus)]).exit_code == 0
    dev = [
        json.loads(line) for line in (REPO / "tests" / "data" / "dev.jsonl").read_text().splitlines() if line
    ]
    records = [{"id": f"src:{n}-{i}", "title": r.get("title", ""), "abstract": r.get("abstract", "")}
               for n in range(3) for i, r in enumerate(dev)]  # fmt: skip
    path = tmp_path / "many.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    assert runner.invoke(app, ["import", "-c", str(corpus), str(path)]).exit_code == 0
    return corpus


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_killing_extract_leaves_no_worker_running(many_records, how):
    extract = subprocess.Popen([*RIFKB, "extract", "-c", str(many_records), "--workers", "2"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert wait_until(lambda: len(children(extract.pid)) >= 2, 60), "no workers started"
        workers = children(extract.pid)
        time.sleep(0.5)
        extract.send_signal(how)
        _, err = extract.communicate(timeout=60)
        assert wait_until(lambda: not any(alive(w) for w in workers), 10), [w for w in workers if alive(w)]
    finally:
        if extract.poll() is None:
            extract.kill()
            extract.communicate()
    if how != signal.SIGKILL:
        assert extract.returncode == 1 and "Traceback" not in err, err
        assert (
            err.splitlines()[-1]
            == "rifkb: interrupted; the extractions stored so far are kept, run again to go on"
        )
