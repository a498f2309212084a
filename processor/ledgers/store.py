"""Claims kept on disk between reading and settling, so a month of a city fits in memory (issue 12).

The chain settles claims in settlement order (a person's year carries from one claim to the next),
but an export comes in whatever order the platform wrote it. :class:`ClaimStore` takes each claim as
it is read, writes it to a temporary file (marshal, a few hundred bytes a claim) and keeps only its
sort key and offset in memory; :meth:`ClaimStore.in_order` reads them back in (settlement date,
input file, source row) order, the order `yibao fill` has always used. The file is deleted when the
store is closed, and by the OS if the process dies.

A month of up to :data:`HELD_ROWS` claims is held in memory as it was read (about 900 bytes a claim:
135 MB at the limit), and goes to the file only when the month turns out larger: writing and reading
back a record is about 5 µs a claim (0.49 s per 100,000; 0.69 while claims were frozen dataclasses), a tenth of a
100,000-row fill's main process (bench/bench_fill.py).
Either way the claims come back the same, in the same order (tests/ledgers/test_streamed.py).
"""
from __future__ import annotations

import errno
import marshal
import mmap
import tempfile
from array import array
from dataclasses import replace
from datetime import date
from typing import Iterator

from ..chain import Claim
from ..errors import FileError
from .normalise import ClaimRow

HELD_ROWS = 150_000  # claims held in memory before the store goes to its file
_ORDINAL_SHIFT = 44  # key = date ordinal · 2^44 + input file · 2^32 + source row
_FILE_SHIFT = 32
_PLACE = (1 << _ORDINAL_SHIFT) - 1  # the key's input file and source row
# marshal's format 2 writes no back-references: a record repeats nothing worth one, and looking for them
# was a third of writing it (100,000 records: 0.14 → 0.09 s; 229 bytes a record against 202)
_MARSHAL = 2


def _day(value: date | None) -> int | None:
    return None if value is None else value.toordinal()


def _from_day(value: int | None) -> date | None:
    return None if value is None else date.fromordinal(value)


def _record(row: ClaimRow, source: int = 0) -> tuple:
    c = row.claim
    return (row.source_row, c.settlement_id, c.person, c.settled_on.toordinal(), c.kind, c.total_cost, c.policy_cost,
            c.basic_paid, c.critical_paid, c.referral, c.in_province, c.out_of_catalog, c.hospital_class,
            c.chronic_class2, c.above_limit, row.category, row.name, row.id_number, row.township, row.village,
            row.hospital, _day(row.admission), _day(row.discharge), row.critical_export, row.assist_export,
            row.tilt_export, row.reversal, source)


def _row(t: tuple) -> ClaimRow:
    claim = Claim(t[1], t[2], date.fromordinal(t[3]), *t[4:15])
    return ClaimRow(t[0], claim, t[15], t[16], t[17], t[18], t[19], t[20], _from_day(t[21]), _from_day(t[22]),
                    *t[23:29])


class ClaimStore:
    """Append claims in any order; read them back in settlement order (see the module docstring)."""

    def __init__(self, folder: str | None = None, held_rows: int | None = None):
        self._folder = folder or tempfile.gettempdir()
        self._held: list[ClaimRow] | None = []  # the claims while there are at most held_rows; None after
        self._held_rows = HELD_ROWS if held_rows is None else held_rows
        # the file is made now even for a small month: a folder that cannot take it is said before reading
        try:
            self._fh = tempfile.TemporaryFile(dir=folder, prefix=".yibao-claims-")
        except OSError as exc:
            raise FileError(self._message(exc)) from None
        self._offsets = array("q", [0])
        self._keys = array("Q")
        self._size = 0
        self._in_read_order = True  # each claim's (input file, source row) after the one before: see _order
        self.reversed_ids: set[str] = set()  # 结算IDs a reversal row names: their originals' results are kept

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, row: ClaimRow, source: int = 0) -> None:
        """``source``: which input file the row came from (0 for the first), for the order."""
        held = self._held
        if held is not None and len(held) < self._held_rows:
            held.append(row if row.source == source else replace(row, source=source))
        else:
            if held is not None:
                self._spill(held)
            self._write(row, source)
        key = (row.claim.settled_on.toordinal() << _ORDINAL_SHIFT) | (source << _FILE_SHIFT) | row.source_row
        keys = self._keys
        if keys and self._in_read_order and key & _PLACE <= keys[-1] & _PLACE:
            self._in_read_order = False
        keys.append(key)
        if row.reversal:
            self.reversed_ids.add(row.claim.settlement_id)

    def _spill(self, held: list[ClaimRow]) -> None:
        """The month outgrew memory: the claims held so far go to the file, in the order they came."""
        self._held = None
        for row in held:
            self._write(row, row.source)
        held.clear()

    def _write(self, row: ClaimRow, source: int) -> None:
        data = marshal.dumps(_record(row, source), _MARSHAL)
        try:
            self._fh.write(data)
        except OSError as exc:
            self.close()
            raise FileError(self._message(exc)) from None
        self._size += len(data)
        self._offsets.append(self._size)

    def _message(self, exc: OSError) -> str:
        why = "磁盘空间不足" if exc.errno == errno.ENOSPC else (exc.strerror or str(exc))
        return (f"无法写入暂存结算的临时文件（{why}，位置：{self._folder}）：每万条结算约需 3 MB，"
                "请腾出空间或把 --out 换到空间足够的磁盘。未写出台账")

    def in_order(self) -> Iterator[ClaimRow]:
        """Every claim once, in (settlement date, input file, source row) order."""
        n = len(self._keys)
        if not n:
            return
        order = self._order()
        held = self._held
        if held is not None:
            for i in order:
                yield held[i]
            return
        self._fh.flush()
        offsets = self._offsets
        with mmap.mmap(self._fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
            loads = marshal.loads
            for i in order:
                yield _row(loads(mm[offsets[i]:offsets[i + 1]]))

    def _order(self) -> array | list[int]:
        """The claims' indices in key order. Read in (input file, source row) order — as every reader gives
        them — that is the read order within each settlement date, so the indices are counted out by date
        into 4 bytes each (a month of a city: 4 MB, where a sorted list of a million ints and the sort's own
        list of keys take about 80); else sorted by the whole key."""
        keys, n = self._keys, len(self._keys)
        if not n:
            return array("I")
        if not self._in_read_order or n >= 1 << 32:
            return sorted(range(n), key=keys.__getitem__)
        first = min(keys) >> _ORDINAL_SHIFT
        starts = array("q", bytes(8 * ((max(keys) >> _ORDINAL_SHIFT) - first + 2)))
        for key in keys:  # claims a day, then where each day's first claim goes
            starts[(key >> _ORDINAL_SHIFT) - first + 1] += 1
        for d in range(1, len(starts)):
            starts[d] += starts[d - 1]
        order = array("I", bytes(4 * n))
        for i, key in enumerate(keys):
            d = (key >> _ORDINAL_SHIFT) - first
            order[starts[d]] = i
            starts[d] += 1
        return order

    def close(self) -> None:
        self._held = None
        self._fh.close()

    def __enter__(self) -> "ClaimStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
