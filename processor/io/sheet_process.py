"""Read a worksheet in a second process while this one works on the rows (issue 12: fill on both cores).

    for number, row in sheet_rows(path, "结算明细"):   # the rows of xlsx_stream.iter_sheet, unchanged
        ...

Parsing the sheet's XML needs nothing from the rest of the run (100,000 rows: 1.7 CPU-s of the
month's 9.6). For a sheet of at least :data:`MIN_BYTES` of XML (about 8,000 rows) on a machine
with two cores or more, :func:`sheet_rows` starts one reader process (:mod:`processor.io.child`:
``python -m``, the same on Windows, macOS and Linux) that runs
:func:`~processor.io.xlsx_stream.iter_sheet` and sends the rows in batches of :data:`BATCH_ROWS`
through a pipe; meanwhile this process normalises, stores and checks the
rows already received. The pipe's buffer is the only queue: when this process falls behind, the
reader waits, so memory stays constant (the reader holds the shared-strings table and one batch).

What the caller sees is exactly what ``iter_sheet`` yields, in order, and a problem in the file is
the same :class:`~processor.errors.FileError` with the same Chinese message, raised at the same
row. Smaller sheets, and machines where :func:`processor.io.child.usable` says no (one core,
Pyodide as in xlwings Lite, a frozen executable), read in this process: starting the reader costs
about 0.1 s.

The file must have passed :func:`processor.io.safety.check_xlsx` first, as for ``iter_sheet``. For a big
sheet the reader process is started before that (:class:`Early`) and scans every other piece of the
sheet's XML while this process scans the rest: the scan takes about half as long, the reader has started
by the time the rows are wanted, and it is told which sheet to read only once the whole scan has passed.
"""
from __future__ import annotations

import sys
import traceback
import zipfile
from pathlib import Path
from typing import Iterator

from ..errors import FileError
from . import child
from .xlsx_stream import _Book, iter_sheet

__all__ = ["sheet_rows", "Early", "MIN_BYTES", "BATCH_ROWS"]

MIN_BYTES = 8 << 20   # of the sheet's XML, unpacked: ~8,000 rows of a 19-column export
BATCH_ROWS = 1000     # rows a message: a few hundred kB, small against the pipe's cost per message

_END, _FILE_ERROR, _BUG = "end", "file", "bug"
_SCANNED, _READ = "scanned", "read"


class Early:
    """The reader process started before the safety scan, to scan half of the biggest sheet with it
    (``check_xlsx(path, share=early.share)``) and then read the rows (``sheet_rows(path, sheet, early)``).
    It reads nothing of the file but its share of the scan until it is told to; :meth:`stop` if it is not."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self.proc = None
        self.asked = False

    def share(self, infos: list[zipfile.ZipInfo], names: dict[str, str]):
        """For check_xlsx: the biggest worksheet of at least MIN_BYTES, its odd pieces scanned by the reader."""
        from .safety import _member_key
        sheets = [i for i in infos if _member_key(i.filename) in names and i.file_size >= MIN_BYTES]
        if not sheets or not child.usable():
            return None
        member = max(sheets, key=lambda i: i.file_size).filename
        self.proc = child.start(__name__, ["--scan", self.path, member], to_child=True)
        return (member, self._found) if self.proc is not None else None

    def _found(self):
        if self.proc is None or self.asked:  # it answers once (a second call would wait for ever)
            return None
        self.asked = True
        message = child.receive(self.proc.stdout)
        if message is None or message[0] != _SCANNED:  # it died: this process scans its pieces too
            self.stop()
            return None
        return message[1]

    def take(self):
        """The process, for reading (None when there is none); this no longer stops it."""
        proc, self.proc = self.proc, None
        return proc if proc is not None and proc.poll() is None else None

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            child.stop(proc)


def sheet_rows(path: str | Path, sheet: str, early: Early | None = None) -> Iterator[tuple[int, list]]:
    """``iter_sheet(path, sheet)``, parsed in a second process when the sheet is large enough (the one
    ``early`` started, when it did)."""
    if not _worth_a_process(path, sheet):
        if early is not None:
            early.stop()
        yield from iter_sheet(path, sheet)
        return
    reader = early.take() if early is not None else None
    if reader is not None:
        try:
            child.send(reader.stdin, (_READ, sheet))
            reader.stdin.close()
        except OSError:  # it stopped: a reader of its own, as without it
            child.stop(reader)
            reader = None
    yield from _from_reader(path, sheet, reader)


def _worth_a_process(path, sheet) -> bool:
    if not child.usable():
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            book = _Book(zf)
            info = next((s for s in book.sheets if s.name == sheet), None)
            member = book.member(info.part) if info is not None else None
    except (OSError, zipfile.BadZipFile, KeyError, ValueError, FileError):
        return False  # iter_sheet says what is wrong, in this process
    return member is not None and member.file_size >= MIN_BYTES


def _from_reader(path, sheet, reader=None) -> Iterator[tuple[int, list]]:
    if reader is None:
        reader = child.start(__name__, [str(path), sheet], to_child=False)
    if reader is None:  # no processes here: read in this process
        yield from iter_sheet(path, sheet)
        return
    try:
        while True:
            message = child.receive(reader.stdout)
            if message is None:
                raise child.died(reader, "读取工作表")
            if type(message) is list:
                yield from message
                continue
            kind, text = message
            if kind == _END:
                break
            if kind == _FILE_ERROR:
                raise FileError(text)
            raise RuntimeError(f"读取工作表的进程出错：\n{text}")
    finally:
        child.stop(reader)  # a reader still sending gets BrokenPipeError and stops


def _read(path: str, sheet: str, out) -> None:
    """The reader process: every row of the sheet, in batches, then one closing message."""
    batch: list = []
    try:
        try:
            for item in iter_sheet(path, sheet):
                batch.append(item)
                if len(batch) == BATCH_ROWS:
                    child.send(out, batch)
                    batch = []
            if batch:
                child.send(out, batch)
            closing = (_END, "")
        except FileError as err:
            if batch:  # rows read before the problem reach the caller first, as in one process
                child.send(out, batch)
            closing = (_FILE_ERROR, err.message)
        except Exception:  # a bug: the whole traceback, for the report
            closing = (_BUG, traceback.format_exc())
        child.send(out, closing)
        out.flush()
    except (BrokenPipeError, OSError):
        pass  # the caller stopped reading (it found a problem of its own, or was interrupted)


def _scan_then_read(path: str, member: str, inp, out) -> None:
    """The reader started early: its share of the scan of ``member``, then the sheet it is told to read
    (nothing when the pipe ends instead: the scan refused the file, or the rows are read otherwise)."""
    from .safety import scan_share
    try:
        try:
            found = scan_share(path, member, 1, 2)
        except Exception:  # noqa: BLE001 — a broken member: the caller's own share says what is wrong
            found = None
        child.send(out, (_SCANNED, found))
        out.flush()
        message = child.receive(inp)
    except (BrokenPipeError, OSError):
        return
    if message is not None and message[0] == _READ:
        _read(path, message[1], out)


if __name__ == "__main__":  # the reader process: python -m processor.io.sheet_process [--scan] PATH SHEET|MEMBER
    if sys.argv[1] == "--scan":
        _scan_then_read(sys.argv[2], sys.argv[3], sys.stdin.buffer, sys.stdout.buffer)
    else:
        _read(sys.argv[1], sys.argv[2], sys.stdout.buffer)
