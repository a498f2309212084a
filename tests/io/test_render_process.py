"""A long sheet's rows rendered in a second process (processor/io/render_process.py): the workbook is the
one-process workbook byte for byte; errors are the same errors; nothing is left behind when either
side stops."""
from __future__ import annotations

import datetime as dt
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from processor.errors import FileError
from processor.io import child, render_process
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


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(rows=rows_st)
def test_the_workbook_is_the_one_process_workbook_byte_for_byte(tmp_path, renderer, rows):
    try:
        alone = write(tmp_path / "one.xlsx", rows, hint=0)  # a hint under MIN_ROWS: this process
        assert not renderer
    except Exception as err:  # noqa: BLE001 — the same error must come from the renderer
        with pytest.raises(type(err)) as again:
            write(tmp_path / "two.xlsx", rows, hint=len(rows) + 1)
        assert str(again.value) == str(err) and len(renderer) == 1
        renderer.clear()
        return
    assert write(tmp_path / "two.xlsx", rows, hint=len(rows) + 1) == alone
    assert len(renderer) == 1 and renderer[-1].returncode == 0
    renderer.clear()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


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
