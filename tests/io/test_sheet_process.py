"""The worksheet read in a second process (processor/io/sheet_process.py): what the caller receives is
exactly iter_sheet's rows and iter_sheet's errors, the reader never outlives the read, and small
sheets stay in this process."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_xlsx_stream import REAL_FILES, build  # noqa: E402

from processor.errors import FileError  # noqa: E402
from processor.io import child, sheet_process  # noqa: E402
from processor.io.safety import check_xlsx  # noqa: E402
from processor.io.xlsx_stream import iter_sheet, workbook_sheets  # noqa: E402


@pytest.fixture
def always(monkeypatch, started):
    """Every sheet, however small, read in a second process; the processes kept (conftest.started)."""
    monkeypatch.setattr(sheet_process, "MIN_BYTES", 0)
    monkeypatch.setattr(sheet_process, "BATCH_ROWS", 7)  # several messages even for small sheets
    return started


@pytest.mark.parametrize("path", REAL_FILES[:12], ids=lambda p: p.name)
def test_the_rows_are_iter_sheets_rows(path, always):
    check_xlsx(path)
    for info in workbook_sheets(path):
        expected = list(iter_sheet(path, info.name))
        got = list(sheet_process.sheet_rows(path, info.name))
        assert got == expected
        # types too: a float stays a float, a date a date, a marker a marker
        assert [[type(v) for v in row] for _n, row in got] == [[type(v) for v in row] for _n, row in expected]
    assert always and all(p.returncode == 0 for p in always)


def test_markers_and_odd_values_cross_the_pipe_as_they_are(tmp_path, always):
    path = build(tmp_path / "odd.xlsx", {"S": '<row r="1"><c r="A1" t="e"><v>#N/A</v></c>'
                                                '<c r="B1"><f>1+1</f></c><c r="C1" t="b"><v>1</v></c>'
                                                '<c r="D1" s="1"><v>45000</v></c></row>'}, styles=(0, 14))
    got = list(sheet_process.sheet_rows(path, "S"))
    assert got == list(iter_sheet(path, "S"))
    row = got[0][1]
    assert [type(v).__name__ for v in row] == ["CellError", "UncomputedFormula", "bool", "date"]


def test_a_problem_in_the_file_is_the_same_message_after_the_same_rows(tmp_path, always):
    # rows 1..20, then row 3 again: iter_sheet yields 20 rows and then refuses the sheet
    data = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 21))
    path = build(tmp_path / "back.xlsx", {"S": data + '<row r="3"><c r="A3"><v>9</v></c></row>'})
    expected_rows, got_rows = [], []
    with pytest.raises(FileError) as in_process:
        for item in iter_sheet(path, "S"):
            expected_rows.append(item)
    with pytest.raises(FileError) as in_reader:
        for item in sheet_process.sheet_rows(path, "S"):
            got_rows.append(item)
    assert in_reader.value.message == in_process.value.message and "顺序" in in_process.value.message
    assert got_rows == expected_rows and len(got_rows) == 20
    assert always[0].returncode == 0


def test_a_reader_that_dies_is_a_chinese_message_not_a_hang(tmp_path, always, monkeypatch):
    path = build(tmp_path / "a.xlsx", {"S": '<row r="1"><c r="A1"><v>1</v></c></row>'})
    monkeypatch.setattr(child, "command", lambda module, args: [sys.executable, "-c", "import sys; sys.exit(3)"])
    with pytest.raises(FileError, match="读取工作表的进程意外退出（退出码 3）"):
        list(sheet_process.sheet_rows(path, "S"))


def test_a_caller_that_stops_early_leaves_no_reader_behind(tmp_path, always):
    data = "".join(f'<row r="{i}"><c r="A{i}"><v>{i}</v></c></row>' for i in range(1, 50_001))
    path = build(tmp_path / "big.xlsx", {"S": data})
    it = sheet_process.sheet_rows(path, "S")
    assert next(it) == (1, [1.0])
    it.close()  # as when fill stops at a bad row
    (reader,) = always
    assert reader.returncode is not None  # waited for (or killed), not left running


def test_small_sheets_and_one_core_machines_read_in_this_process(tmp_path, monkeypatch):
    started = []
    monkeypatch.setattr(child.subprocess, "Popen", lambda *a, **k: started.append(a))
    path = build(tmp_path / "small.xlsx", {"S": '<row r="1"><c r="A1"><v>1</v></c></row>'})
    assert list(sheet_process.sheet_rows(path, "S")) == [(1, [1.0])]  # far below MIN_BYTES
    monkeypatch.setattr(sheet_process, "MIN_BYTES", 0)
    monkeypatch.setattr(child.os, "cpu_count", lambda: 1)
    assert list(sheet_process.sheet_rows(path, "S")) == [(1, [1.0])]
    assert started == []


def test_no_processes_here_reads_in_this_process(tmp_path, monkeypatch, no_processes):
    monkeypatch.setattr(sheet_process, "MIN_BYTES", 0)
    path = build(tmp_path / "a.xlsx", {"S": '<row r="1"><c r="A1"><v>1</v></c></row>'})
    assert list(sheet_process.sheet_rows(path, "S")) == [(1, [1.0])]


def test_a_month_filled_through_the_reader_process_is_the_same_ledger(tmp_path, monkeypatch, started):
    """The bundled sample, read in a second process and its 台账 rendered in a third, gives every sheet
    of the one-process run, cell for cell (only where the work is done moved)."""
    import contextlib
    import io

    import openpyxl

    from processor.cli import main

    root = Path(__file__).resolve().parents[2]

    def fill(out: Path) -> dict:
        argv = ["fill", "医疗救助台账", str(root / "samples" / "阳城_结算导出.xlsx"), "--region", "阳城",
                "--settings", str(root / "settings.example.toml"), "--out", str(out), "--quiet"]
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            assert main(argv) == 0
        wb = openpyxl.load_workbook(out)
        return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}

    alone = fill(tmp_path / "one.xlsx")
    monkeypatch.setattr(sheet_process, "MIN_BYTES", 0)
    from processor.io import render_process
    monkeypatch.setattr(render_process, "MIN_ROWS", 1)  # and the 台账 (the one sheet with a length hint)
    two = fill(tmp_path / "two.xlsx")
    assert len(started) == 2, "the sample was not read and rendered in two other processes"
    assert len(alone["台账"]) > 1000 and two == alone


@pytest.mark.skipif(sys.platform != "linux", reason="only Linux sets a pipe's size")
def test_a_helpers_pipes_hold_a_megabyte(tmp_path):
    # the default 64 kB is a third of one batch of 1,000 台账 rows: sender and receiver then wait on each other at
    # every batch; 1 MB lets the faster side run ahead (100,000 rows: the time main blocked sending fell 0.24 → 0.16 s)
    import fcntl
    proc = child.start("processor.io.render_process", [str(tmp_path / "rows.tmp")], to_child=True)
    try:
        assert fcntl.fcntl(proc.stdin.fileno(), fcntl.F_GETPIPE_SZ) == child.PIPE_BYTES == 1 << 20
        assert fcntl.fcntl(proc.stdout.fileno(), fcntl.F_GETPIPE_SZ) == child.PIPE_BYTES
    finally:
        child.stop(proc)


def test_a_pipe_that_cannot_be_widened_stays_as_it_is(tmp_path, monkeypatch):
    import fcntl
    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        pytest.skip("no F_SETPIPE_SZ here")

    def refuse(*_args):  # an administrator's lower /proc/sys/fs/pipe-max-size: EPERM
        raise PermissionError(1, "Operation not permitted")
    monkeypatch.setattr(fcntl, "fcntl", refuse)
    proc = child.start("processor.io.render_process", [str(tmp_path / "rows.tmp")], to_child=True)
    assert proc is not None  # started all the same, with the default pipes
    child.stop(proc)
