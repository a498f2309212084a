"""Render a long sheet's rows to XML in a second process while this one computes them (issue 12).

A month's 台账 is written as it is settled: this process runs the chain and builds each row's
values; turning them into ``<row>`` XML (xlsx_splice's ``_RowRenderer``, column widths measured on
the way) is about a third of that work and needs nothing else from the run. For a sheet of at least
:data:`MIN_ROWS` rows (the rows' ``__length_hint__``) on a machine with two cores or more
(:func:`processor.io.child.usable`), :func:`render` starts one renderer process, sends it the
renderer and the rows in batches of :data:`BATCH_ROWS`, and the renderer writes the XML to the
sheet's temp file in the output's folder. The pipe is the only queue, so memory stays constant.

Given a deflate ``level`` (when :func:`processor.io.deflate.usable`), the renderer also compresses the
XML as it writes it — a raw deflate piece ended by a sync flush, with the XML's CRC-32 and length — so
the compression (100,000 rows: 0.4 s with zlib, 0.11 with ISA-L) runs while this process settles, and the workbook's writer
only copies the bytes into the zip member (:func:`processor.io.deflate.write_member`). Without a
level it writes the XML itself, which this process then deflates. Either way each member of the
workbook holds, uncompressed, the same bytes as the one-process path writes (tests/io/test_render_process.py).

A problem while rendering (a row wider than the template) is raised here as it would have been in
this process; an error in this process's rows (the chain, the reject guard) stops the renderer and
removes its file.
"""
from __future__ import annotations

import os
import pickle
import secrets
import sys
import traceback
from pathlib import Path
from typing import NamedTuple

from . import child
from .deflate import Deflater

__all__ = ["render", "Rendered", "MIN_ROWS", "BATCH_ROWS"]

MIN_ROWS = 20_000   # below this, starting the renderer (~0.1 s) costs more than it saves
BATCH_ROWS = 1000

_DONE, _ERROR = "done", "error"


class Rendered(NamedTuple):
    count: int                      # rows written
    spill: object                   # the temp file, open for reading at its start
    size: int                       # its size in bytes
    measure: object                 # the measure, with every row seen
    deflated: tuple[int, int] | None  # (CRC-32, length) of the XML when the file holds it deflated


def render(renderer, rows, first: int, measure, spill_dir: Path, level: int | None = None) -> Rendered | None:
    """``renderer.render(rows, first, <the temp file>.write, measure)`` in a renderer process; with a
    ``level``, the XML is deflated on its way to the file (a sync-flushed raw deflate piece).

    Returns :class:`Rendered`, or None when no process could be started (then nothing of ``rows`` was
    read)."""
    name = _temp_file(spill_dir)
    proc = child.start(__name__, [name], to_child=True)
    if proc is None:
        os.unlink(name)
        return None
    try:
        count, measured, deflated = _feed(proc, renderer, rows, first, measure, level)
        spill = _open_for_reading(name)
    except BaseException:
        child.stop(proc)
        _remove(name)
        raise
    child.stop(proc)
    size = os.fstat(spill.fileno()).st_size
    return Rendered(count, spill, size, measured, deflated)


def _temp_file(folder: Path) -> str:
    """An empty temp file in ``folder`` for the renderer to fill, named as write_atomically names its
    own (``.<name>.yibao-<pid>-<hex>.tmp``): a run killed outright (kill -9, power cut) leaves it, and
    the next run in that folder removes it (xlsx_splice.remove_stale_temps) once this pid is gone."""
    while True:
        name = os.path.join(folder, f".xlsx-rows.yibao-{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600))
            return name
        except FileExistsError:
            continue


def _feed(proc, renderer, rows, first: int, measure, level: int | None):
    """The rows to the renderer in batches; it measures the columns as it renders them (the one-process path's
    chunks: the same widths). Measuring is 0.2 s of 100,000 rows: with ISA-L's deflate the renderer has the
    time, and this process, which settles them, has not (it was measured here for a while)."""
    batch: list = []
    try:
        child.send(proc.stdin, (renderer, first, measure, level))
        for values in rows:
            batch.append(values)
            if len(batch) == BATCH_ROWS:
                child.send(proc.stdin, batch)
                batch = []
        if batch:
            child.send(proc.stdin, batch)
        child.send(proc.stdin, [])  # the end
        proc.stdin.close()
    except OSError:  # BrokenPipeError; on Windows EINVAL: the renderer stopped, its message says why
        pass
    message = child.receive(proc.stdout)
    if message is None:
        raise child.died(proc, "写入台账")
    kind, *rest = message
    if kind == _ERROR:
        error, text = rest
        if isinstance(error, BaseException):
            raise error
        raise RuntimeError(f"写入台账的进程出错：\n{text}")
    return rest


def _open_for_reading(name: str):
    """The temp file, removed from the folder as soon as it is closed (at once on POSIX, where an open
    file may be unlinked; on Windows by O_TEMPORARY)."""
    flags = os.O_RDONLY | getattr(os, "O_BINARY", 0) | getattr(os, "O_TEMPORARY", 0)
    fh = os.fdopen(os.open(name, flags), "rb")
    if not hasattr(os, "O_TEMPORARY"):
        os.unlink(name)
    return fh


def _remove(name: str) -> None:
    try:
        os.unlink(name)
    except OSError:
        pass


def _serve(name: str, inp, out) -> None:
    """The renderer process: the renderer, then batches of rows until an empty one; the XML goes to
    ``name`` (deflated when a level is given); one closing message."""
    def rows():
        while True:
            batch = child.receive(inp)
            if batch is None:  # the caller stopped (an error there, or interrupted)
                raise SystemExit(1)
            if not batch:
                return
            yield from batch

    try:
        renderer, first, measure, level = child.receive(inp)
        with open(name, "wb") as fh:
            if level is None:
                count = renderer.render(rows(), first, fh.write, measure)
                deflated = None
            else:
                deflater = Deflater(level)
                count = renderer.render(rows(), first, lambda chunk: fh.write(deflater.compress(chunk)), measure)
                fh.write(deflater.end())
                deflated = (deflater.crc, deflater.size)
        closing = (_DONE, count, measure, deflated)
    except SystemExit:
        raise
    except Exception as err:  # noqa: BLE001 — handed back to be raised in the caller
        closing = (_ERROR, err if _picklable(err) else None, traceback.format_exc())
    child.send(out, closing)
    out.flush()


def _picklable(err: BaseException) -> bool:
    try:
        pickle.dumps(err, pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 — any exception type may refuse
        return False
    return True


if __name__ == "__main__":  # python -m processor.io.render_process TEMP_FILE
    try:
        _serve(sys.argv[1], sys.stdin.buffer, sys.stdout.buffer)
    except (BrokenPipeError, OSError):
        sys.exit(1)
