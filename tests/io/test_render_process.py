"""A long sheet's rows rendered — and deflated — in a second process (processor/io/render_process.py):
the workbook has the one-process workbook's members in its order, each the same bytes uncompressed;
errors are the same errors; nothing is left behind when either side stops."""
from __future__ import annotations

import datetime as dt
import struct
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from processor.errors import FileError
from processor.io import child, deflate, render_process
from processor.io.xlsx_splice import Formula, SheetFill, write_workbook
from xlsx_templates.build import LEDGER_COLUMNS, template_path

TEMPLATE = template_path("医疗救助待遇台账")
WIDTH = len(LEDGER_COLUMNS["医疗救助待遇台账"])


class Hinted:
    """Rows as the ledger hands them over: an iterator with a length hint."""

    def __init__(self, rows, hint=None):
        self.it, self.hint = iter(rows), len(rows) if hint is None else hint

    def __iter__(self):
        return self

    def __next__(self):
        return next(self.it)

    def __length_hint__(self):
        return self.hint


@pytest.fixture
def renderer(monkeypatch, started):
    """Every hinted sheet rendered in a second process, in small batches; the processes kept
    (conftest.started)."""
    monkeypatch.setattr(render_process, "MIN_ROWS", 1)
    monkeypatch.setattr(render_process, "BATCH_ROWS", 3)
    return started


@pytest.fixture
def copied(monkeypatch):
    """The sheets whose rows the renderer deflated, copied into the workbook as they are
    (deflate.write_member), by member name."""
    assert deflate.usable()  # tried once (its own small member) before the spy is in place
    names: list[str] = []
    real = deflate.write_member

    def spy(dst, zinfo, *args):
        names.append(zinfo.filename)
        return real(dst, zinfo, *args)

    monkeypatch.setattr(deflate, "write_member", spy)
    return names


values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.integers(10**15, 10**17),
    st.floats(allow_nan=True, allow_infinity=False, width=64),
    st.decimals(min_value=-10**9, max_value=10**9, places=2, allow_nan=False),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)),
    st.datetimes(dt.datetime(1950, 1, 1), dt.datetime(2100, 1, 1)),
    st.text(max_size=40),
    st.sampled_from(["=1+1", "a & b <c>", " 前后空格 ", "_x0041_", "李\x01四", "赣医保发〔2021〕13号" * 30]),
    st.builds(Formula, st.sampled_from(["=SUM(N5:N7)", "=N5*2"])),
)
rows_st = st.lists(st.lists(values, min_size=1, max_size=WIDTH), min_size=0, max_size=25)


def write(path: Path, rows, hint=None) -> bytes:
    fit = {c: (60.0, c in (14, 15)) for c in range(1, WIDTH + 1)}
    write_workbook(TEMPLATE, path, {"台账": SheetFill(Hinted(rows, hint), 5, 6, fit=fit, wrap={24: 30.0})},
                   force=True)
    return path.read_bytes()


def members(path: Path) -> list[tuple]:
    """Every member in order, uncompressed, with what the central directory says of it; zipfile's
    testzip (every member's CRC) is clean."""
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None
        return [(i.filename, i.date_time, i.compress_type, i.external_attr, i.CRC, i.file_size, zf.read(i))
                for i in zf.infolist()]


SHEET = "xl/worksheets/sheet1.xml"  # the template's 台账


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(rows=rows_st)
def test_the_workbook_has_the_one_process_workbooks_members(tmp_path, renderer, copied, rows):
    """The renderer deflates the rows, so the compressed bytes differ from this process's; uncompressed,
    every member is the same, in the same order, with the same CRC and size."""
    renderer.clear()
    copied.clear()
    try:
        write(tmp_path / "one.xlsx", rows, hint=0)  # a hint under MIN_ROWS: this process
        assert not renderer
    except Exception as err:  # noqa: BLE001 — the same error must come from the renderer
        with pytest.raises(type(err)) as again:
            write(tmp_path / "two.xlsx", rows, hint=len(rows) + 1)
        assert str(again.value) == str(err) and len(renderer) == 1
        return
    write(tmp_path / "two.xlsx", rows, hint=len(rows) + 1)
    assert len(renderer) == 1 and renderer[-1].returncode == 0
    assert copied == ([SHEET] if rows else [])  # no rows: the template's styled row, written here
    assert members(tmp_path / "two.xlsx") == members(tmp_path / "one.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def ledger_rows(n: int) -> list[list]:
    return [[i + 1, f"JS{i:09d}", "张三" if i % 3 else "李四" * (i % 40), "36072119800101" + f"{i % 10000:04d}",
             Decimal(i % 100_000) / 100, dt.date(2024, 1 + i % 12, 1 + i % 28), i * 7 % 1000 / 4, None,
             i % 2 == 0, "赣医保发〔2021〕13号" * (i % 5)] for i in range(n)]


def test_openpyxl_and_calamine_read_the_same_cells(tmp_path, renderer, copied):
    """Several thousand rows: the renderer's deflate piece spans many blocks and chunks; both readers
    (openpyxl through zipfile, calamine through Rust's zip) read the cells of the one-process workbook."""
    import openpyxl
    import python_calamine

    rows = ledger_rows(5000)
    write(tmp_path / "one.xlsx", rows, hint=0)
    write(tmp_path / "two.xlsx", rows)
    assert copied == [SHEET] and len(renderer) == 1
    assert members(tmp_path / "two.xlsx") == members(tmp_path / "one.xlsx")
    for reader in (lambda p: [list(r) for r in openpyxl.load_workbook(p, read_only=True)["台账"].values],
                   lambda p: python_calamine.CalamineWorkbook.from_path(str(p)).get_sheet_by_name("台账").to_python()):
        one, two = reader(tmp_path / "one.xlsx"), reader(tmp_path / "two.xlsx")
        assert two == one and len(two) > 5000
        assert two[4 + 4998][1:3] == rows[4998][1:3] == ["JS000004998", "李四" * 38]  # the data start on row 5


def test_a_zipfile_without_the_writer_deflate_relies_on_renders_plain_xml(tmp_path, renderer, copied, monkeypatch):
    """deflate.usable() false (a zipfile whose member writer is not the one it knows): the renderer writes
    the XML and this process deflates it, as before — the same members."""
    monkeypatch.setattr(deflate, "usable", lambda: False)
    rows = ledger_rows(300)
    write(tmp_path / "one.xlsx", rows, hint=0)
    write(tmp_path / "two.xlsx", rows)
    assert len(renderer) == 1 and copied == []
    assert members(tmp_path / "two.xlsx") == members(tmp_path / "one.xlsx")
    assert zipfile.ZipFile(tmp_path / "two.xlsx").read(SHEET) == zipfile.ZipFile(tmp_path / "one.xlsx").read(SHEET)


def test_a_workbook_sheet_past_the_zip64_limit_gets_the_header_on_both_paths(tmp_path, monkeypatch, started, copied):
    """The whole writer, with ZIP64_LIMIT lowered under the 台账's size: the member the renderer deflated
    has a ZIP64 header as the one this process deflates does, and both workbooks read back."""
    monkeypatch.setattr(render_process, "MIN_ROWS", 1)
    monkeypatch.setattr(zipfile, "ZIP64_LIMIT", 50_000)
    rows = ledger_rows(400)
    write_workbook(TEMPLATE, tmp_path / "one.xlsx", {"台账": SheetFill(Hinted(rows, 0), 5, 6)})
    write_workbook(TEMPLATE, tmp_path / "two.xlsx", {"台账": SheetFill(Hinted(rows), 5, 6)})
    assert len(started) == 1 and copied == [SHEET]
    for name in ("one.xlsx", "two.xlsx"):
        data = (tmp_path / name).read_bytes()
        with zipfile.ZipFile(tmp_path / name) as zf:
            zi = zf.getinfo(SHEET)
        assert zi.file_size > 50_000
        csize, size, extra_length = struct.unpack("<LLxxH", data[zi.header_offset + 18:zi.header_offset + 30])
        assert (csize, size) == (0xFFFFFFFF, 0xFFFFFFFF) and extra_length == 20, name  # the ZIP64 extra field
    monkeypatch.undo()
    assert members(tmp_path / "two.xlsx") == members(tmp_path / "one.xlsx")


def test_a_row_wider_than_the_template_is_the_same_error(tmp_path, renderer):
    rows = [[1], [1] * (WIDTH + 1)]
    with pytest.raises(ValueError) as alone:
        write(tmp_path / "one.xlsx", rows, hint=0)
    assert not renderer
    with pytest.raises(ValueError) as two:
        write(tmp_path / "two.xlsx", rows)
    assert str(two.value) == str(alone.value) and "模板只有" in str(two.value)
    assert renderer and renderer[0].returncode is not None
    assert list(tmp_path.iterdir()) == []  # no output, no temp file


def test_an_error_in_the_rows_stops_the_renderer_and_leaves_nothing(tmp_path, renderer):
    def rows():
        yield [1, "a"]
        yield [2, "b"]
        raise FileError("异常行超过上限")  # as the reject guard stops a write

    with pytest.raises(FileError, match="异常行超过上限"):
        write_workbook(TEMPLATE, tmp_path / "out.xlsx", {"台账": SheetFill(Hinted(rows(), 50_000), 5, 6)})
    (proc,) = renderer
    assert proc.returncode is not None  # waited for, not left running
    assert list(tmp_path.iterdir()) == []


def test_a_renderer_that_dies_is_a_chinese_message(tmp_path, renderer, monkeypatch):
    monkeypatch.setattr(child, "command", lambda module, args: [sys.executable, "-c", "import sys; sys.exit(4)"])
    with pytest.raises(FileError, match="写入台账的进程意外退出（退出码 4）"):
        write(tmp_path / "out.xlsx", [[1, "a"]] * 10)
    assert list(tmp_path.iterdir()) == []


def test_short_sheets_and_lists_render_in_this_process(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(child.subprocess, "Popen", lambda *a, **k: started.append(a))
    write(tmp_path / "a.xlsx", [[1, "a"]] * 5)                      # hint 5 < MIN_ROWS
    monkeypatch.setattr(render_process, "MIN_ROWS", 1)
    write_workbook(TEMPLATE, tmp_path / "b.xlsx", {"台账": SheetFill([[1, "a"]] * 5, 5, 6)})  # a list
    monkeypatch.setattr(child.os, "cpu_count", lambda: 1)
    write(tmp_path / "c.xlsx", [[1, "a"]] * 5)                      # one core
    monkeypatch.setattr(child.os, "cpu_count", lambda: 8)
    monkeypatch.setattr(child.sys, "executable", "")
    write(tmp_path / "d.xlsx", [[1, "a"]] * 5)                      # an embedded interpreter
    assert started == []


def test_no_processes_here_renders_in_this_process(tmp_path, monkeypatch, no_processes):
    monkeypatch.setattr(render_process, "MIN_ROWS", 1)
    one = write(tmp_path / "a.xlsx", [[1, "a", Decimal("1.50")]] * 5)
    assert one == write(tmp_path / "b.xlsx", [[1, "a", Decimal("1.50")]] * 5, hint=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx"]


def test_a_killed_runs_temp_file_is_one_the_next_run_removes(tmp_path):
    """kill -9 leaves the renderer's file behind (an open file is not removed by anyone): it is named as
    write_atomically's temp files are, so remove_stale_temps takes it once its process is gone."""
    import os
    import time

    from processor.io import xlsx_splice

    name = Path(render_process._temp_file(tmp_path))
    assert xlsx_splice._TMP_NAME.match(name.name) and name.name.startswith(".")
    assert xlsx_splice.remove_stale_temps(tmp_path, now=time.time() + 3600) == []  # this process is alive
    left = tmp_path / ".xlsx-rows.yibao-999999999-0a1b2c3d.tmp"  # as left by a pid long gone
    os.rename(name, left)
    assert xlsx_splice.remove_stale_temps(tmp_path) == []            # too recent: another run may own it
    later = left.stat().st_mtime + xlsx_splice.STALE_SECONDS + 1
    assert xlsx_splice.remove_stale_temps(tmp_path, now=later) == [left]


def test_a_message_goes_out_whole_when_the_pipe_takes_part_of_a_write():
    """A raw pipe may write only part of what it is given (a signal mid-way): child.send writes the rest."""
    import io

    class Trickle(io.RawIOBase):
        def __init__(self):
            self.got = bytearray()

        def writable(self):
            return True

        def write(self, b):
            part = bytes(b[:7])  # at most 7 bytes a call
            self.got += part
            return len(part)

    out = Trickle()
    rows = [[i, "结算" * 50, Decimal("1.50"), dt.date(2024, 1, 2)] for i in range(300)]
    child.send(out, rows)
    assert child.receive(io.BytesIO(bytes(out.got))) == rows


def test_columns_measured_by_the_renderer_are_as_wide_as_measured_in_one_process(tmp_path, renderer, copied):
    """The rows reach the renderer in batches of 3; it measures them in the chunks the one-process path
    measures (xlsx_splice._measured), so every column — a summed one's running sum of fractional amounts
    over several chunks too — comes out as wide."""
    rows = ledger_rows(2_600)
    write(tmp_path / "one.xlsx", rows, hint=0)
    write(tmp_path / "two.xlsx", rows, hint=len(rows))
    assert len(renderer) == 1
    assert members(tmp_path / "two.xlsx") == members(tmp_path / "one.xlsx")
