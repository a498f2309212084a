"""The reader's size limits with the real constants (no monkeypatching): processor/io/safety.py refuses an
xlsx whose members declare more than 1 GiB in all (MAX_UNCOMPRESSED_BYTES, summed from the central
directory before anything is inflated), and any member that inflates past the size it declares.

The 1 GiB files are cheap: the padding is zeros, deflated at level 1 (≈ 230 KB per 50 MiB member), in
members of at most 50 MiB so that the separate ratio check (members above RATIO_MIN_BYTES = 50 MiB with a
ratio above 200) does not decide the case. About 5 MB reach the disk; the accepted file is inflated once
by the safety scan (streaming, 1 MiB at a time).
"""
from __future__ import annotations

import shutil
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest

from processor.errors import FileError
from processor.io import safety
from processor.io.reader import read_export
from processor.io.safety import check_xlsx

GIB = 1 << 30          # the limit, written out: 1 GiB of declared uncompressed bytes
MEMBER = 50 << 20      # the largest padding member (not above RATIO_MIN_BYTES)
ZEROS = bytes(1 << 20)


def _base(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "结算明细"
    ws.append(["结算ID", "身份证号", "姓名", "结算日期", "医疗费总额"])
    ws.append(["JS000001", "110101199001010001", "测试1", "2024-05-01", 1000.5])
    wb.save(path)
    return path


def _declared(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        return sum(i.file_size for i in zf.infolist())


def _pad(path: Path, total: int, start: int = 0) -> None:
    """Append zero-filled members (≤ 50 MiB each, deflated) until the declared sizes sum to ``total``."""
    left = total - _declared(path)
    assert left >= 0
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        n = start
        while left > 0:
            size = min(MEMBER, left)
            info = zipfile.ZipInfo(f"xl/media/pad{n:03d}.bin")
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as out:
                done = 0
                while done < size:
                    chunk = ZEROS[: min(len(ZEROS), size - done)]
                    out.write(chunk)
                    done += len(chunk)
            left -= size
            n += 1


@pytest.fixture(scope="module")
def just_under(tmp_path_factory) -> Path:
    """An export whose members declare 1 GiB − 1 byte in all."""
    path = _base(tmp_path_factory.mktemp("size") / "just_under.xlsx")
    _pad(path, GIB - 1)
    assert _declared(path) == GIB - 1
    assert path.stat().st_size < 20 << 20  # nothing like a GiB on disk
    return path


def test_the_limit_is_one_gib():
    assert safety.MAX_UNCOMPRESSED_BYTES == GIB


@pytest.mark.slow
def test_declared_one_byte_over_the_limit_is_refused(tmp_path, just_under, no_calamine):
    # the same file plus a 2-byte member: 1 GiB − 1 + 2 = 1 GiB + 1
    path = tmp_path / "just_over.xlsx"
    shutil.copyfile(just_under, path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/media/two.bin", b"\0\0")
    assert _declared(path) == GIB + 1
    with pytest.raises(FileError, match=r"文件解压后过大（声明 1\.0 GB），疑似压缩炸弹，已拒绝"):
        check_xlsx(path)  # for a reader that would load it whole
    # the export reader streams a row at a time (issue 12): its limit is STREAMED_BYTES, 4 GiB
    assert safety.STREAMED_BYTES == 4 * GIB
    assert len(read_export(path).rows) == len(read_export(just_under).rows) > 0


@pytest.mark.slow
def test_declared_one_byte_under_the_limit_is_read(just_under):
    assert check_xlsx(just_under) == set()
    table = read_export(just_under)  # calamine reads the sheet; the padding is never looked at
    assert table.header_row == 1
    assert [r.values["name"] for r in table.rows] == ["测试1"]


def test_csv_over_the_limit_is_refused_by_its_size(tmp_path):
    # a sparse file: 1 GiB + 1 byte long, nothing written
    path = tmp_path / "huge.csv"
    with path.open("wb") as fh:
        fh.truncate(GIB + 1)
    assert path.stat().st_size == GIB + 1
    with pytest.raises(FileError, match="CSV 文件过大（超过 1 GB）"):
        read_export(path)


# --- members inflating past their declared size -------------------------------------------------

def _set_declared_size(path: Path, member: str, size: int) -> None:
    """Rewrite one member's declared uncompressed size in its local header and its central directory
    entry (the CRC is left as it was: the scan must refuse before any CRC would be checked)."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    patched = 0
    pos = data.find(b"PK\x03\x04")
    while pos >= 0:  # local headers: name length at +26, name at +30, size at +22
        n = struct.unpack_from("<H", data, pos + 26)[0]
        if bytes(data[pos + 30: pos + 30 + n]) == name:
            struct.pack_into("<I", data, pos + 22, size)
            patched += 1
        pos = data.find(b"PK\x03\x04", pos + 4)
    pos = data.find(b"PK\x01\x02")
    while pos >= 0:  # central directory: name length at +28, name at +46, size at +24
        n = struct.unpack_from("<H", data, pos + 28)[0]
        if bytes(data[pos + 46: pos + 46 + n]) == name:
            struct.pack_into("<I", data, pos + 24, size)
            patched += 1
        pos = data.find(b"PK\x01\x02", pos + 4)
    assert patched == 2, patched
    path.write_bytes(bytes(data))


def _with_member(tmp_path: Path, name: str, data: bytes, compress=zipfile.ZIP_DEFLATED) -> Path:
    path = _base(tmp_path / "liar.xlsx")
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(name, data, compress_type=compress)
    return path


def _member_size(path: Path, name: str) -> int:
    with zipfile.ZipFile(path) as zf:
        return zf.getinfo(name).file_size


@pytest.mark.parametrize("compress", [zipfile.ZIP_DEFLATED, zipfile.ZIP_STORED], ids=["deflated", "stored"])
def test_one_byte_more_than_declared_is_refused(tmp_path, no_calamine, compress):
    path = _with_member(tmp_path, "xl/media/extra.bin", b"A" * 5000, compress)
    _set_declared_size(path, "xl/media/extra.bin", 4999)
    with pytest.raises(FileError, match="xl/media/extra.bin 实际解压大小超过声明大小，疑似压缩炸弹"):
        check_xlsx(path)


def test_exactly_the_declared_size_passes(tmp_path):
    path = _with_member(tmp_path, "xl/media/extra.bin", b"A" * 5000)
    assert _member_size(path, "xl/media/extra.bin") == 5000
    assert check_xlsx(path) == set()


def test_a_lie_beyond_the_first_chunk_is_refused(tmp_path, no_calamine):
    # 3 MiB of data declared as 1 MiB + 1: the scan inflates in 1 MiB steps and stops at the first excess
    path = _with_member(tmp_path, "xl/media/big.bin", b"B" * (3 << 20))
    _set_declared_size(path, "xl/media/big.bin", (1 << 20) + 1)
    with pytest.raises(FileError, match="实际解压大小超过声明大小"):
        check_xlsx(path)


def test_a_worksheet_inflating_past_its_declared_size_is_refused(tmp_path, no_calamine):
    # the worksheet itself (scanned for its grid) lies about its size
    path = _base(tmp_path / "sheet_liar.xlsx")
    member = "xl/worksheets/sheet1.xml"
    _set_declared_size(path, member, _member_size(path, member) - 1)
    with pytest.raises(FileError, match="sheet1.xml 实际解压大小超过声明大小"):
        read_export(path)
