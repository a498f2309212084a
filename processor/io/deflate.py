"""A zip member written from bytes already deflated elsewhere (issue 12: the renderer process compresses).

A long sheet's rows are rendered — and now also deflated — in the renderer process
(:mod:`processor.io.render_process`) while this process settles them. The member is then three raw
deflate pieces, one after the other, as pigz joins the pieces its threads compress:

    head   compressobj(level, DEFLATED, -15): compress + flush(Z_SYNC_FLUSH)   (this process)
    rows   the same, in the renderer: compress chunk by chunk + flush(Z_SYNC_FLUSH)
    tail   a fresh compressobj: compress + flush(Z_FINISH)                     (this process)

Each piece starts with an empty history, so no back-reference reaches before its own start; a sync
flush ends a piece on a byte boundary without a last block (BFINAL), and only the tail's Z_FINISH
writes one: the concatenation is one valid deflate stream. Its CRC-32 is combined from the pieces'
(:func:`crc32_combine`, zlib's algorithm; Python's zlib does not expose it), its size is their sum.

zipfile has no public way to store bytes that are already compressed. :func:`write_member` opens the
member with ``ZipFile.open(zinfo, "w")`` (``zinfo.file_size`` set to the exact size beforehand, from
which zipfile decides on ZIP64 as for any member of known size), puts a pass-through in place of the
writer's compressor and, before the writer is closed, sets the CRC and size it writes into the local
header and the central directory. That relies on three attributes of zipfile's ``_ZipWriteFile``
(``_compressor``, ``_crc``, ``_file_size``; the same in Python 3.11–3.14). :func:`usable` writes and
reads back a small member once per process the same way; when it fails (a zipfile that works
differently) the renderer writes plain XML and this process deflates it, as before.
"""
from __future__ import annotations

import functools
import io
import os
import struct
import zlib
import zipfile
from typing import Iterator

try:  # ISA-L's deflate (PyPI isal): the same format, 3–4 times faster at the low levels, a little smaller
    from isal import isal_zlib as _isal
except ImportError:  # not installed (Pyodide, a platform without its wheel): the standard library's
    _isal = None

__all__ = ["crc32_combine", "Deflater", "piece", "write_member", "usable", "compressor", "inflater",
           "INFLATE_ERRORS", "open_member", "member_chunks", "LargerThanDeclared"]

ISAL_LEVELS = range(0, 4)  # ISA-L's levels; another level is zlib's


def compressor(level: int):
    """A raw deflate compressor (wbits -15) at ``level``: ISA-L's when it is installed and has the level,
    else zlib's. Either writes a deflate stream any inflater reads (tests/io/test_deflate.py); the pieces
    of one member may come from either. 100,000 台账 rows (132 MB of XML) at level 1: zlib 0.40 s →
    21.0 MB, ISA-L 0.11 s → 19.1 MB."""
    if _isal is not None and level in ISAL_LEVELS:
        return _isal.compressobj(level, _isal.DEFLATED, -15)
    return zlib.compressobj(level, zlib.DEFLATED, -15)


def inflater():
    """A raw inflater (wbits -15), ISA-L's when it is installed, else zlib's: the same interface
    (decompress with a max_length, unconsumed_tail, eof) and the same bytes out. A 96 MB sheet (100,000
    rows) inflates in 0.08 s against zlib's 0.16, and the safety scan inflates every sheet it checks."""
    return _isal.decompressobj(-15) if _isal is not None else zlib.decompressobj(-15)


INFLATE_ERRORS = (zlib.error,) + ((_isal.error,) if _isal is not None else ())  # a broken deflate stream

_crc32 = _isal.crc32 if _isal is not None else zlib.crc32  # the same CRC-32; ISA-L's 3 times faster

_CHUNK = 1 << 20


_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")  # zipfile's structFileHeader
_UTF8_NAME = 0x800


class LargerThanDeclared(zipfile.BadZipFile):
    """A member that inflates past the size the zip declares for it (a zip bomb's lie)."""


def member_chunks(raw, info: zipfile.ZipInfo, make_inflater=None, chunk: int = _CHUNK,
                  check_name: bool = False, encoding: str | None = None) -> Iterator[bytes]:
    """A stored or deflated member's bytes from ``raw`` (the zip file, seekable), at most ``chunk`` at a time,
    inflated by ``make_inflater()`` (default :func:`inflater`). Never more than the declared size:
    :class:`LargerThanDeclared` at the first byte over. At the end its size and CRC-32 are checked against the
    zip's directory, as zipfile checks them. A broken header or a member cut short: zipfile.BadZipFile.
    ``check_name``: the local header must name the member as the directory does (zipfile refuses two entries
    that overlap so); ``encoding`` is the zip's name encoding. The safety scan reads every part through
    this; the reader the parts it parses (:func:`open_member`)."""
    raw.seek(info.header_offset)
    header = raw.read(_LOCAL_HEADER.size)
    if len(header) != _LOCAL_HEADER.size:
        raise zipfile.BadZipFile("Truncated file header")
    fields = _LOCAL_HEADER.unpack(header)
    if fields[0] != b"PK\x03\x04":
        raise zipfile.BadZipFile("Bad magic number for file header")
    if check_name:
        name = raw.read(fields[10]).decode("utf-8" if fields[3] & _UTF8_NAME else encoding or "cp437")
        if name != info.orig_filename:
            raise zipfile.BadZipFile(f"File name in directory {info.orig_filename!r} and header {name!r} differ.")
    raw.seek(info.header_offset + _LOCAL_HEADER.size + fields[10] + fields[11])

    inflating = (make_inflater or inflater)() if info.compress_type == zipfile.ZIP_DEFLATED else None
    left_in, produced, data, crc = info.compress_size, 0, b"", 0
    while True:
        if not data and left_in > 0:
            data = raw.read(min(chunk, left_in))
            if not data:
                raise zipfile.BadZipFile("truncated member")
            left_in -= len(data)
        if inflating is None:
            out, data = data, b""
        else:
            # Bounded output per call; one byte over the declared size is enough to refuse.
            out = inflating.decompress(data, chunk)
            data = inflating.unconsumed_tail
        produced += len(out)
        if produced > info.file_size:
            raise LargerThanDeclared(f"{info.filename!r} inflates past its declared size")
        if out:
            crc = _crc32(out, crc)
            yield out
        if (inflating is not None and inflating.eof) or (not out and not data and left_in == 0):
            if (produced, crc) != (info.file_size, info.CRC):
                raise zipfile.BadZipFile(f"Bad CRC-32 or size for file {info.filename!r}")
            return


def open_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo):
    """The member's bytes as a stream (``read(n)``, ``close()``), checked as ``zf.open(info)`` checks them.

    A deflated member of a zip opened from a file on disk is inflated by ISA-L when it is installed (a 96 MB
    sheet of 100,000 rows: 0.07 s against zipfile's 0.17, on the reader's side of the month) through
    :func:`member_chunks`, its local header's name, size and CRC-32 checked as zipfile checks them:
    :class:`zipfile.BadZipFile` when they are wrong. Anything else (no ISA-L, a stored or encrypted member, a
    zip in memory) is ``zf.open(info)``."""
    path = zf.filename
    if (_isal is None or info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 0x61
            or not isinstance(path, str) or not os.path.isfile(path)):
        return zf.open(info)
    return _Inflating(path, info, getattr(zf, "metadata_encoding", None))


class _Inflating:
    """A deflated zip member, inflated as it is read (see :func:`open_member`)."""

    def __init__(self, path: str, info: zipfile.ZipInfo, encoding: str | None) -> None:
        self._raw = open(path, "rb")
        self._chunks = member_chunks(self._raw, info, check_name=True, encoding=encoding)
        self._pending = b""  # inflated, not yet read

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes (the next chunk when n < 1), b"" at the end."""
        if not self._pending:
            self._pending = next(self._chunks, b"")
        out = self._pending
        if n is not None and 0 < n < len(out):
            out, self._pending = out[:n], out[n:]
        else:
            self._pending = b""
        return out

    def close(self) -> None:
        self._chunks.close()
        self._raw.close()


# --------------------------------------------------------------------------------------------
# CRC-32 of a concatenation (zlib's crc32_combine: arithmetic on polynomials over GF(2))

_POLY = 0xEDB88320  # CRC-32's polynomial, bit-reversed: bit 31 is x^0


def _multmodp(a: int, b: int) -> int:
    """a(x) · b(x) modulo the CRC polynomial (zlib's multmodp)."""
    m = 1 << 31
    p = 0
    while a:
        if a & m:
            p ^= b
            a ^= m
        m >>= 1
        b = (b >> 1) ^ _POLY if b & 1 else b >> 1
    return p


_X2N = [1 << 30]  # x^(2^k) mod p for k = 0 … 31 (x^1 = bit 30)
for _ in range(31):
    _X2N.append(_multmodp(_X2N[-1], _X2N[-1]))


def _x2nmodp(n: int, k: int) -> int:
    """x^(n · 2^k) mod p (zlib's x2nmodp)."""
    p = 1 << 31  # x^0
    while n:
        if n & 1:
            p = _multmodp(_X2N[k & 31], p)
        n >>= 1
        k += 1
    return p


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of ``a + b`` from ``crc1 = crc32(a)``, ``crc2 = crc32(b)`` and ``len2 = len(b)``."""
    if len2 < 0:
        raise ValueError("len2 must not be negative")
    return _multmodp(_x2nmodp(len2, 3), crc1 & 0xFFFFFFFF) ^ (crc2 & 0xFFFFFFFF)


# --------------------------------------------------------------------------------------------
# pieces of one deflate stream

class Deflater:
    """Raw deflate of bytes given in chunks, with their CRC-32 and length; :meth:`end` closes the piece
    with a sync flush (byte-aligned, no last block), so another piece may follow it."""

    def __init__(self, level: int):
        self._zobj = compressor(level)
        self.crc = 0
        self.size = 0

    def compress(self, data: bytes) -> bytes:
        self.crc = _crc32(data, self.crc)
        self.size += len(data)
        return self._zobj.compress(data)

    def end(self) -> bytes:
        return self._zobj.flush(zlib.Z_SYNC_FLUSH)


def piece(data: bytes, level: int, last: bool) -> bytes:
    """``data`` as one piece of a raw deflate stream: sync-flushed, or finished when ``last``."""
    zobj = compressor(level)
    return zobj.compress(data) + zobj.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


# --------------------------------------------------------------------------------------------
# the member

class _PassThrough:
    """In place of the member writer's compressor: what it is given is already deflated; ``flush``
    gives the last piece (the tail, ending the stream)."""

    def __init__(self, last: bytes):
        self._last = last

    def compress(self, data):
        return data

    def flush(self, *args):
        last, self._last = self._last, b""
        return last


_WRITER_ATTRIBUTES = ("_compressor", "_crc", "_file_size")


def write_member(dst: zipfile.ZipFile, zinfo: zipfile.ZipInfo, head: bytes, body, body_crc: int, body_size: int,
                 tail: bytes, level: int) -> None:
    """The member ``zinfo`` of ``dst``: ``head`` + the rows + ``tail``, deflated, where ``body`` is a
    binary file holding the rows already deflated as a sync-flushed piece (:class:`Deflater`),
    ``body_crc`` and ``body_size`` the CRC-32 and length of the rows themselves.

    Raises RuntimeError when zipfile's member writer is not the one this relies on or the member it
    wrote does not carry the CRC and size given (:func:`usable` says beforehand whether it is); the
    caller's error path then removes the whole workbook, as for any error while writing."""
    size = len(head) + body_size + len(tail)
    crc = crc32_combine(crc32_combine(zlib.crc32(head), body_crc, body_size), zlib.crc32(tail), len(tail))
    zinfo.compress_type = zipfile.ZIP_DEFLATED
    zinfo.file_size = size  # zipfile writes the ZIP64 header when size × 1.05 passes ZIP64_LIMIT
    last = piece(tail, level, last=True)
    member = dst.open(zinfo, "w")
    try:
        if not all(hasattr(member, a) for a in _WRITER_ATTRIBUTES):
            raise RuntimeError("zipfile 的成员写入器与预期不同")
        member._compressor = _PassThrough(last)
        member.write(piece(head, level, last=False))
        while True:
            chunk = body.read(_CHUNK)
            if not chunk:
                break
            member.write(chunk)
        member._crc = crc
        member._file_size = size
    finally:
        member.close()
    if zinfo.CRC != crc or zinfo.file_size != size:
        raise RuntimeError("zipfile 写入的校验值或大小与给定的不同")


@functools.cache
def usable() -> bool:
    """Whether :func:`write_member` works with this Python's zipfile: a small member written that way
    in memory reads back (zipfile checks its CRC) as the bytes it was made of."""
    head, tail = b"<worksheet><sheetData>", b"</sheetData></worksheet>"
    rows = b'<row r="1"><c r="A1"><v>1</v></c></row>' * 200
    body = Deflater(1)
    deflated = body.compress(rows) + body.end()
    buf = io.BytesIO()
    try:
        with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("a.xml", b"<a/>")
            write_member(zf, zipfile.ZipInfo("b.xml"), head, io.BytesIO(deflated), body.crc, body.size, tail, 1)
            zf.writestr("c.xml", b"<c/>")
        with zipfile.ZipFile(buf) as zf:
            return (zf.testzip() is None and zf.read("b.xml") == head + rows + tail
                    and zf.read("a.xml") == b"<a/>" and zf.read("c.xml") == b"<c/>")
    except Exception:  # noqa: BLE001 — any failure means: deflate in this process, as before
        return False
