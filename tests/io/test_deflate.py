"""A zip member from bytes deflated elsewhere (processor/io/deflate.py): the CRC of a concatenation, pieces
of deflate that join into one stream, the member zipfile reads back, ZIP64 decided from the member's
size, and the way back to deflating here when zipfile's member writer is not the one it knows."""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from processor.io import deflate
from processor.io.xlsx_splice import COMPRESS_LEVEL


@given(a=st.binary(max_size=3000), b=st.binary(max_size=3000))
def test_crc32_combine_is_the_crc_of_the_concatenation(a, b):
    assert deflate.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)


@given(c1=st.integers(0, 2**32 - 1), c2=st.integers(0, 2**32 - 1), c3=st.integers(0, 2**32 - 1),
       n2=st.integers(0, 2**40), n3=st.integers(0, 2**40))
def test_crc32_combine_joins_the_same_way_in_any_grouping(c1, c2, c3, n2, n3):
    """Lengths far past 4 GB (the sheet of a ZIP64 member): (a + b) + c and a + (b + c) agree."""
    combine = deflate.crc32_combine
    assert combine(combine(c1, c2, n2), c3, n3) == combine(c1, combine(c2, c3, n3), n2 + n3)


def test_crc32_combine_builds_a_megabyte_of_zeros_by_doubling():
    doubled, length = zlib.crc32(b"\0" * 4096), 4096
    while length < 1 << 20:
        doubled, length = deflate.crc32_combine(doubled, doubled, length), length * 2
    assert doubled == zlib.crc32(b"\0" * (1 << 20))
    twice = deflate.crc32_combine(deflate.crc32_combine(7, doubled, 1 << 20), doubled, 1 << 20)
    assert twice == zlib.crc32(b"\0" * (2 << 20), 7)
    with pytest.raises(ValueError):
        deflate.crc32_combine(0, 0, -1)


@settings(max_examples=50)
@given(head=st.binary(max_size=5000), chunks=st.lists(st.binary(max_size=70_000), max_size=4),
       tail=st.binary(max_size=5000), level=st.sampled_from([1, COMPRESS_LEVEL, 6, 9]))
def test_three_pieces_are_one_deflate_stream(head, chunks, tail, level):
    """head (sync-flushed), the rows in chunks (a Deflater, sync-flushed), tail (finished): inflated as one
    stream they are the bytes, and the stream ends exactly at the tail's end."""
    rows = deflate.Deflater(level)
    body = b"".join(rows.compress(c) for c in chunks) + rows.end()
    assert (rows.crc, rows.size) == (zlib.crc32(b"".join(chunks)), len(b"".join(chunks)))
    stream = deflate.piece(head, level, last=False) + body + deflate.piece(tail, level, last=True)
    inflate = zlib.decompressobj(-15)
    assert inflate.decompress(stream) + inflate.flush() == head + b"".join(chunks) + tail
    assert inflate.eof and inflate.unused_data == b""
    before_tail = zlib.decompressobj(-15)  # the first two pieces give all their bytes, and no last block
    assert before_tail.decompress(deflate.piece(head, level, last=False) + body) == head + b"".join(chunks)
    assert not before_tail.eof


def member(head: bytes, rows: bytes, tail: bytes, chunk: int = 10_000) -> tuple[bytes, zipfile.ZipInfo]:
    """A zip of three members, the middle one written by write_member from ``rows`` deflated in chunks."""
    d = deflate.Deflater(COMPRESS_LEVEL)
    body = b"".join(d.compress(rows[i:i + chunk]) for i in range(0, len(rows), chunk)) + d.end()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("before.xml", b"<a/>")
        zi = zipfile.ZipInfo("xl/worksheets/sheet1.xml", date_time=(2024, 5, 6, 7, 8, 10))
        zi.external_attr = 0o644 << 16
        deflate.write_member(zf, zi, head, io.BytesIO(body), d.crc, d.size, tail, COMPRESS_LEVEL)
        zf.writestr("after.xml", b"<b/>")
    return buf.getvalue(), zi


def local_header(data: bytes, zi: zipfile.ZipInfo) -> tuple:
    """(version needed, CRC, compressed size, size, extra field) of the member's local header."""
    fields = struct.unpack("<4sHHHHHLLLHH", data[zi.header_offset:zi.header_offset + 30])
    assert fields[0] == b"PK\x03\x04"
    start = zi.header_offset + 30 + fields[9]
    return fields[1], fields[6], fields[7], fields[8], data[start:start + fields[10]]


@settings(max_examples=30)
@given(head=st.binary(max_size=2000), rows=st.binary(max_size=60_000), tail=st.binary(max_size=2000))
def test_the_member_reads_back_with_its_crc_and_size(head, rows, tail):
    data, zi = member(head, rows, tail)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        assert zf.namelist() == ["before.xml", "xl/worksheets/sheet1.xml", "after.xml"]
        assert zf.read("xl/worksheets/sheet1.xml") == head + rows + tail
        info = zf.getinfo("xl/worksheets/sheet1.xml")
        whole = head + rows + tail
        assert (info.CRC, info.file_size, info.compress_type) == (zlib.crc32(whole), len(whole), zipfile.ZIP_DEFLATED)
        assert (info.date_time, info.external_attr) == ((2024, 5, 6, 7, 8, 10), 0o644 << 16)
    version, crc, csize, size, extra = local_header(data, zi)
    assert (crc, csize, size) == (zi.CRC, zi.compress_size, zi.file_size) and extra == b""  # no ZIP64 here


def test_zip64_is_decided_from_the_members_size_as_zipfile_decides_it(monkeypatch):
    """zipfile writes a ZIP64 local header when the size it is told, × 1.05, passes ZIP64_LIMIT (4 GB): the
    member's size is given before it is opened, so a sheet over the limit gets one. With the limit
    lowered to around this member's size, the header switches where zipfile's own rule says, and the
    archive still reads."""
    head, tail = b"<worksheet><sheetData>", b"</sheetData></worksheet>"
    rows = b'<row r="1"><c r="A1"><v>1</v></c></row>' * 500
    size = len(head + rows + tail)
    edge = int(size * 1.05)
    for limit, zip64 in [(size * 2, False), (edge + 1, False), (edge - 1, True), (size // 2, True)]:
        monkeypatch.setattr(zipfile, "ZIP64_LIMIT", limit)
        data, zi = member(head, rows, tail)
        version, crc, csize, size_field, extra = local_header(data, zi)
        monkeypatch.undo()
        if zip64:
            assert version >= 45 and (csize, size_field) == (0xFFFFFFFF, 0xFFFFFFFF)
            assert struct.unpack("<HHQQ", extra) == (1, 16, size, zi.compress_size)
        else:
            assert (csize, size_field) == (zi.compress_size, size) and extra == b""
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            assert zf.testzip() is None and zf.read(zi.filename) == head + rows + tail


def test_a_member_writer_without_the_attributes_is_not_used(monkeypatch):
    """A zipfile whose member writer keeps no _compressor/_crc/_file_size (a future Python): usable() is
    False, so the renderer writes plain XML and this process deflates it."""
    real_open = zipfile.ZipFile.open

    class Other(io.RawIOBase):  # another writer: the same public methods, none of the private state
        def __init__(self, inner):
            self.inner = inner

        def writable(self):
            return True

        def write(self, b):
            return self.inner.write(b)

        def close(self):
            self.inner.close()
            super().close()

    def other_open(self, name, mode="r", *args, **kwargs):
        opened = real_open(self, name, mode, *args, **kwargs)
        return Other(opened) if mode == "w" else opened

    monkeypatch.setattr(zipfile.ZipFile, "open", other_open)
    assert deflate.usable.__wrapped__() is False


def test_a_member_writer_that_counts_for_itself_is_not_used(monkeypatch):
    """A writer that has the attributes but takes its CRC from what passed through it: the probe's member
    would carry the wrong CRC, so usable() is False (and write_member refuses rather than write it)."""
    real_close = zipfile._ZipWriteFile.close

    def close(self):
        if not self.closed:
            self._crc = 0x12345678
        real_close(self)

    monkeypatch.setattr(zipfile._ZipWriteFile, "close", close)
    assert deflate.usable.__wrapped__() is False
    with pytest.raises(RuntimeError, match="校验值"):
        member(b"<a>", b"<b/>" * 10, b"</a>")


def test_usable_here():
    assert deflate.usable() is True


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])  # set before each use
@given(parts=st.lists(st.tuples(st.binary(max_size=40_000), st.booleans(), st.sampled_from([0, 1, 2, 3, 6])),
                      min_size=1, max_size=4))
def test_pieces_from_isa_l_and_zlib_make_one_stream_in_any_mix(monkeypatch, parts):
    """compressor(): ISA-L's deflate where it is installed (levels 0–3), zlib's otherwise; a piece from either
    joins a piece from the other — the renderer process and this one need not have the same one."""
    isal = pytest.importorskip("isal.isal_zlib")
    stream = b""
    for i, (data, use_isal, level) in enumerate(parts):
        monkeypatch.setattr(deflate, "_isal", isal if use_isal else None)
        stream += deflate.piece(data, level, last=i == len(parts) - 1)
    inflate = zlib.decompressobj(-15)
    assert inflate.decompress(stream) + inflate.flush() == b"".join(data for data, _i, _l in parts)
    assert inflate.eof and inflate.unused_data == b""


def test_without_isa_l_the_compressor_is_zlibs(monkeypatch):
    monkeypatch.setattr(deflate, "_isal", None)
    assert type(deflate.compressor(1)) is type(zlib.compressobj(1, zlib.DEFLATED, -15))
    isal = pytest.importorskip("isal.isal_zlib")
    monkeypatch.setattr(deflate, "_isal", isal)
    assert type(deflate.compressor(1)) is not type(zlib.compressobj(1, zlib.DEFLATED, -15))
    assert type(deflate.compressor(6)) is type(zlib.compressobj(6, zlib.DEFLATED, -15))  # not an ISA-L level


def _zip_with(data: bytes, level: int, declared: int | None = None) -> io.BytesIO:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr("xl/worksheets/sheet1.xml", data)
    if declared is not None:  # a member that says it inflates to fewer bytes than it does (a bomb's lie)
        raw = bytearray(buf.getvalue())
        for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):  # local header, central directory
            i = raw.find(sig)
            raw[i + at:i + at + 4] = struct.pack("<I", declared)
        buf = io.BytesIO(bytes(raw))
    return buf


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=40_000) | st.text(max_size=20_000).map(str.encode), level=st.sampled_from([1, 6, 9]),
       chunk=st.sampled_from([7, 1000, 1 << 20]))
def test_the_safety_scans_inflater_gives_zlibs_bytes_with_isa_l_or_without(monkeypatch, data, level, chunk):
    # safety._inflate feeds 1 MiB of the member at a time and takes at most 1 MiB out per call (here as little
    # as 7 bytes): ISA-L's inflater (deflate.inflater) and zlib's give the member's bytes alike
    from processor.io import safety
    monkeypatch.setattr(safety, "_CHUNK", chunk)
    buf = _zip_with(data, level)
    info = zipfile.ZipFile(buf).getinfo("xl/worksheets/sheet1.xml")
    got = {}
    for name, make in (("isal", deflate.inflater), ("zlib", lambda: zlib.decompressobj(-15))):
        monkeypatch.setattr(safety, "_inflater", make)
        got[name] = b"".join(safety._inflate(buf, info))
    assert got["isal"] == got["zlib"] == data


@pytest.mark.parametrize("with_isal", [True, False])
def test_the_scan_refuses_a_member_that_inflates_past_its_size_or_is_broken(monkeypatch, with_isal):
    from processor.errors import FileError
    from processor.io import safety
    if not with_isal:
        monkeypatch.setattr(safety, "_inflater", lambda: zlib.decompressobj(-15))
    data = b"<row>" * 50_000
    buf = _zip_with(data, 6, declared=1000)
    info = zipfile.ZipFile(buf).getinfo("xl/worksheets/sheet1.xml")
    with pytest.raises(FileError, match="超过声明大小"):
        b"".join(safety._inflate(buf, info))
    broken = bytearray(_zip_with(data, 6).getvalue())
    start = broken.find(b"sheet1.xml") + len(b"sheet1.xml")
    broken[start:start + 40] = b"\xff" * 40  # the deflate stream's first bytes
    buf = io.BytesIO(bytes(broken))
    info = zipfile.ZipFile(buf).getinfo("xl/worksheets/sheet1.xml")
    with pytest.raises(deflate.INFLATE_ERRORS):
        b"".join(safety._inflate(buf, info))


# --- open_member: the reader's ISA-L inflate of a part --------------------------------------------------------

def _zip_file(path, data: bytes, name: str = "xl/worksheets/sheet1.xml", level: int = 6):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
        z.writestr("[Content_Types].xml", b"<Types/>")
        z.writestr(name, data)
    return path


def _read_all(stream, sizes) -> bytes:
    parts, i = [], 0
    while True:
        chunk = stream.read(sizes[i % len(sizes)])
        i += 1
        if not chunk:
            return b"".join(parts)
        parts.append(chunk)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200_000) | st.text(max_size=50_000).map(str.encode), level=st.sampled_from([1, 6, 9]),
       sizes=st.lists(st.sampled_from([-1, 0, 1, 7, 4096, 1 << 16, 1 << 20]), min_size=1, max_size=5))
def test_open_member_reads_what_zipfile_reads_in_reads_of_any_size(tmp_path, data, level, sizes):
    pytest.importorskip("isal")
    path = _zip_file(tmp_path / "m.xlsx", data, level=level)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
        stream = deflate.open_member(zf, info)
        assert type(stream).__name__ == "_Inflating"  # ISA-L's path, not zipfile's stream
        try:
            got = _read_all(stream, sizes)
            assert stream.read(10) == b""  # and stays at its end
        finally:
            stream.close()
    assert got == data


def test_open_member_refuses_a_wrong_crc_a_cut_stream_and_a_header_of_another_name(tmp_path):
    pytest.importorskip("isal")
    data = b"<row r='1'><c><v>1</v></c></row>" * 40_000
    good = _zip_file(tmp_path / "good.xlsx", data).read_bytes()
    info = zipfile.ZipFile(tmp_path / "good.xlsx").getinfo("xl/worksheets/sheet1.xml")

    def read(raw: bytes, name: str):
        (tmp_path / name).write_bytes(raw)
        with zipfile.ZipFile(tmp_path / name) as zf:
            stream = deflate.open_member(zf, zf.getinfo("xl/worksheets/sheet1.xml"))
            try:
                return _read_all(stream, [1 << 16])
            finally:
                stream.close()

    wrong = bytearray(good)  # the CRC-32 in the central directory (zipfile checks against that one, as here)
    at = wrong.rfind(b"PK\x01\x02")  # the member's entry: the last, as it was written last
    assert wrong[at + 46:at + 46 + len(info.filename)] == info.filename.encode()
    wrong[at + 16:at + 20] = struct.pack("<I", info.CRC ^ 1)
    with pytest.raises(zipfile.BadZipFile, match="CRC"):
        read(bytes(wrong), "crc.xlsx")
    cut = bytearray(good)  # the member's deflate stream broken half-way: its second half overwritten with zeros
    start = info.header_offset + 30 + len(info.filename)
    cut[start + info.compress_size // 2:start + info.compress_size] = b"\x00" * (info.compress_size - info.compress_size // 2)
    with pytest.raises((zipfile.BadZipFile, EOFError, *deflate.INFLATE_ERRORS)):
        read(bytes(cut), "cut.xlsx")
    renamed = bytearray(good)  # the local header names another part than the directory does
    renamed[info.header_offset + 30:info.header_offset + 30 + 2] = b"XX"
    with pytest.raises(zipfile.BadZipFile, match="differ"):
        read(bytes(renamed), "renamed.xlsx")


def test_open_member_is_zipfiles_stream_without_isa_l_or_for_a_zip_in_memory(tmp_path, monkeypatch):
    data = b"<sheetData/>" * 1000
    path = _zip_file(tmp_path / "m.xlsx", data)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as zf:
        stream = deflate.open_member(zf, zf.getinfo("xl/worksheets/sheet1.xml"))
        assert isinstance(stream, zipfile.ZipExtFile) and stream.read() == data
    monkeypatch.setattr(deflate, "_isal", None)
    with zipfile.ZipFile(path) as zf:
        stream = deflate.open_member(zf, zf.getinfo("xl/worksheets/sheet1.xml"))
        assert isinstance(stream, zipfile.ZipExtFile) and stream.read() == data
