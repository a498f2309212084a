"""The output file: written atomically, exclusively, never half, never over a file a clerk has open.

- a folder that refuses the temp file (read-only, read-only disk) or a disk that fills up: a Chinese
  message, exit 2, the previous ledger byte-identical, no temp file left. Tests run as root, where
  chmod does not stop a write, so the refusals are made by the OS functions raising the errors the
  kernel gives (EACCES, EROFS, ENOSPC);
- two runs to the same new ``--out`` without ``--force``: exactly one writes it;
- SIGTERM during the write: exit 2, temp file removed; kill -9: the temp file of the dead run is
  removed by a later run once it is a few minutes old;
- Excel/WPS's lock file ``~$name`` (LibreOffice's ``.~lock.name#``) beside the output: refused even
  with ``--force``.
"""
from __future__ import annotations

import contextlib
import errno
import io
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from processor.cli import main
from processor.errors import FileError
from processor.io import xlsx_splice
from processor.io.ids import check_digit
from processor.io.xlsx_splice import SheetFill, remove_stale_temps, write_workbook
from xlsx_templates.build import LEDGER_COLUMNS, template_path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "ledgers"))  # the export builder
import exports  # noqa: E402

TEMPLATE = template_path("医疗救助待遇台账")
COLS = LEDGER_COLUMNS["医疗救助待遇台账"]
OLD = b"PK last month's ledger, not to be touched"


def _id(body: str) -> str:
    return body + check_digit(body)


def _claim(n: int) -> dict:
    return dict(结算ID=f"W{n:04d}", 姓名=f"测试{n}", 证件号码=_id(f"99900019500101{n % 1000:03d}"), 人员类别="低保对象",
                镇街="凤城镇", 医疗类别="住院", 是否转诊="是", 结算日期=date(2022, 3, 1 + n % 28),
                医疗费总额=1000, 符合范围金额=1000, 统筹基金支出=600)


@pytest.fixture
def setup(tmp_path):
    """An export (in its own folder), settings, and an empty output folder."""
    src_dir = tmp_path / "in"
    src_dir.mkdir()
    export = src_dir / "导出.xlsx"
    exports.write_export(export, [_claim(n) for n in range(1, 6)])
    settings = exports.write_settings(src_dir / "s.toml", "阳城", [
        ("critical_deductible", 2022, "100000"), ("critical_rate", 2022, "60%"), ("critical_cap", 2022, "300000"),
        ("assistance_cap", 2022, "60000")])
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    return export, settings, out_dir


def fill_argv(export, settings, out, *extra) -> list[str]:
    return ["fill", "医疗救助台账", str(export), "--region", "阳城", "--settings", str(settings), "--out", str(out),
            "--quiet", *extra]


def run_cli(argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(argv)
    return rc, out.getvalue(), err.getvalue()


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _failed(rc, err, *words):
    assert rc == 2, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("错误：") and "Traceback" not in err, err
    for w in words:
        assert w in err, (w, err)


# ------------------------------------------------------------------------ read-only folder, disk full
def _raise_on_temp(real, error: OSError):
    """``real`` (os.open / os.replace …) raising ``error`` when it touches our temp file."""
    def fake(*args, **kwargs):
        if ".yibao-" in str(args[0]):
            raise error
        return real(*args, **kwargs)
    return fake


@pytest.mark.parametrize("target, error, words", [
    ("open", PermissionError(errno.EACCES, "Permission denied"), ("没有写入权限",)),    # chmod a-w on the folder
    ("open", OSError(errno.EROFS, "Read-only file system"), ("只读",)),               # a read-only mount
    ("fsync", OSError(errno.ENOSPC, "No space left on device"), ("磁盘空间不足",)),    # the disk fills up
    ("replace", OSError(errno.ENOSPC, "No space left on device"), ("磁盘空间不足",)),
    ("replace", PermissionError(errno.EACCES, "Permission denied"), ("没有写入权限",)),  # Windows: file in use
])
def test_os_refusals_leave_the_previous_ledger_and_no_temp(setup, monkeypatch, target, error, words):
    export, settings, out_dir = setup
    out = out_dir / "台账.xlsx"
    out.write_bytes(OLD)
    real = getattr(os, target)
    if target == "fsync":  # the file's fsync (the first one): no path to look at
        def fake(fd):
            raise error
    else:
        fake = _raise_on_temp(real, error)
    monkeypatch.setattr(os, target, fake)
    rc, stdout, err = run_cli(fill_argv(export, settings, out, "--force"))
    monkeypatch.undo()
    _failed(rc, err, *words, "原有文件未改动")
    assert out.read_bytes() == OLD
    assert _names(out_dir) == ["台账.xlsx"]
    assert "完成" not in stdout


def test_disk_full_while_writing_a_new_file(setup, monkeypatch):
    """ENOSPC from the compressing thread (zip member write) reaches the clerk as a message."""
    export, settings, out_dir = setup
    out = out_dir / "新台账.xlsx"

    class Full(xlsx_splice._ThreadedSink):
        def write(self, chunk):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(xlsx_splice, "_ThreadedSink", Full)
    rc, _, err = run_cli(fill_argv(export, settings, out))
    _failed(rc, err, "磁盘空间不足")
    assert _names(out_dir) == []


# ------------------------------------------------------------------------------ exclusive creation
def _rows(n=3, hook=None):
    for i in range(n):
        if hook and i == 1:
            hook()
        row = [None] * len(COLS)
        row[0] = i + 1
        yield row


def test_second_write_to_the_same_new_file_fails(tmp_path):
    out = tmp_path / "台账.xlsx"
    write_workbook(TEMPLATE, out, {"台账": SheetFill(_rows(), 5, 6)})
    first = out.read_bytes()
    with pytest.raises(FileError, match="输出文件已存在"):
        write_workbook(TEMPLATE, out, {"台账": SheetFill(_rows(), 5, 6)})
    assert out.read_bytes() == first
    assert _names(tmp_path) == ["台账.xlsx"]


def test_a_file_written_by_another_run_meanwhile_is_never_replaced(tmp_path):
    """The other run finishes while this one is writing its rows: this one fails, the other's file stays."""
    out = tmp_path / "台账.xlsx"
    other = b"PK written by the other run"
    with pytest.raises(FileError, match="另一次运行刚刚写出了它") as info:
        write_workbook(TEMPLATE, out, {"台账": SheetFill(_rows(hook=lambda: out.write_bytes(other)), 5, 6)})
    assert "--force" in info.value.message
    assert out.read_bytes() == other
    assert _names(tmp_path) == ["台账.xlsx"]


def test_two_concurrent_writes_to_a_new_file_exactly_one_wins(tmp_path):
    """Both runs pass the "does it exist" check, then meet (a barrier) while writing rows: one wins."""
    out = tmp_path / "台账.xlsx"
    barrier = threading.Barrier(2, timeout=30)
    results: dict[int, object] = {}

    def run(k):
        try:
            write_workbook(TEMPLATE, out, {"台账": SheetFill(_rows(hook=barrier.wait), 5, 6)})
            results[k] = "ok"
        except FileError as err:
            results[k] = err.message

    threads = [threading.Thread(target=run, args=(k,)) for k in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results.values(), key=str)[0] == "ok"
    loser = [v for v in results.values() if v != "ok"]
    assert len(loser) == 1 and "已存在" in loser[0]
    assert _names(tmp_path) == ["台账.xlsx"]


def test_no_hard_links_falls_back_to_an_exclusive_claim(tmp_path, monkeypatch):
    """A share without hard links (EPERM from link): the name is still taken exclusively."""
    def no_link(src, dst, *a, **k):
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_link)
    out = tmp_path / "台账.xlsx"
    write_workbook(TEMPLATE, out, {"台账": SheetFill(_rows(), 5, 6)})
    assert out.stat().st_size > 1000 and _names(tmp_path) == ["台账.xlsx"]
    other = b"PK written by the other run"
    out2 = tmp_path / "台账2.xlsx"
    with pytest.raises(FileError, match="另一次运行"):
        write_workbook(TEMPLATE, out2, {"台账": SheetFill(_rows(hook=lambda: out2.write_bytes(other)), 5, 6)})
    assert out2.read_bytes() == other
    assert _names(tmp_path) == ["台账.xlsx", "台账2.xlsx"]


def test_cli_does_not_overwrite_a_file_another_run_wrote_meanwhile(setup, monkeypatch):
    from processor.ledgers import benefit
    export, settings, out_dir = setup
    out = out_dir / "台账.xlsx"
    real = benefit.ledger_rows

    def racing(outcome, ctx):
        for i, row in enumerate(real(outcome, ctx)):
            if i == 1:
                out.write_bytes(OLD)  # the other run's ledger appears
            yield row

    monkeypatch.setattr(benefit, "ledger_rows", racing)
    rc, stdout, err = run_cli(fill_argv(export, settings, out))
    _failed(rc, err, "已存在", "另一次运行")
    assert out.read_bytes() == OLD and _names(out_dir) == ["台账.xlsx"]


# ---------------------------------------------------------------------------- stale temp files
def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_stale_temp_files_of_dead_runs_are_removed(tmp_path):
    now = time.time()
    old = now - 10 * 60        # 10 minutes: past STALE_SECONDS (5 minutes)
    dead = _dead_pid()
    files = {
        f".台账.xlsx.yibao-{dead}-0a1b2c3d.tmp": old,          # killed run, old: removed
        f".别的台账.xlsx.yibao-{dead}-99999999.tmp": old,       # another output's, same folder: removed
        f".台账.xlsx.yibao-{dead}-0a1b2c3e.tmp": now - 30,     # dead but only 30 s old: kept for now
        f".台账.xlsx.yibao-{os.getpid()}-0a1b2c3f.tmp": old,   # a live process (this one): kept
        ".台账.xlsx.k3j_x9ab.tmp": now - 2 * 3600,              # an earlier version's mkstemp name, 2 h: removed
        ".台账.xlsx.k3j_x9ac.tmp": now - 10 * 60,               # … 10 min: kept (no pid to ask)
        ".notes.tmp": old,                                      # not ours: kept
        "台账.xlsx": old,
    }
    for name, mtime in files.items():
        p = tmp_path / name
        p.write_bytes(b"x" * 10)
        os.utime(p, (mtime, mtime))
    removed = remove_stale_temps(tmp_path, now=now)
    assert sorted(p.name for p in removed) == sorted([
        f".台账.xlsx.yibao-{dead}-0a1b2c3d.tmp", f".别的台账.xlsx.yibao-{dead}-99999999.tmp",
        ".台账.xlsx.k3j_x9ab.tmp"])
    assert _names(tmp_path) == sorted([
        f".台账.xlsx.yibao-{dead}-0a1b2c3e.tmp", f".台账.xlsx.yibao-{os.getpid()}-0a1b2c3f.tmp",
        ".台账.xlsx.k3j_x9ac.tmp", ".notes.tmp", "台账.xlsx"])


def test_write_workbook_removes_stale_temps_first(tmp_path):
    dead = _dead_pid()
    stale = tmp_path / f".台账.xlsx.yibao-{dead}-deadbeef.tmp"
    stale.write_bytes(b"4.5 MB of ID numbers")
    past = time.time() - 3600
    os.utime(stale, (past, past))
    write_workbook(TEMPLATE, tmp_path / "台账.xlsx", {"台账": SheetFill(_rows(), 5, 6)})
    assert _names(tmp_path) == ["台账.xlsx"]


# ------------------------------------------------------------------------------ signals (real process)
_SLOW_FILL = """
import sys, time
from processor.ledgers import benefit
real = benefit.ledger_rows
def slow(outcome, ctx):
    for i, row in enumerate(real(outcome, ctx)):
        if i == 1:
            time.sleep(120)   # the write phase, held open until the test signals
        yield row
benefit.ledger_rows = slow
from processor.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _start_slow_fill(argv) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", _SLOW_FILL, *argv], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, encoding="utf-8")


def _wait_for_temp(folder: Path, proc: subprocess.Popen) -> Path:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = list(folder.glob(".*.yibao-*.tmp"))
        if found:
            return found[0]
        if proc.poll() is not None:
            raise AssertionError(f"the fill ended before writing: {proc.communicate()}")
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("no temp file appeared")


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_sigterm_during_the_write_removes_the_temp_file(setup):
    """A real process, a real SIGTERM while the ledger rows are being written (the row source is
    held open so the signal lands in the write phase every time, not by luck of timing)."""
    export, settings, out_dir = setup
    out = out_dir / "台账.xlsx"
    out.write_bytes(OLD)
    proc = _start_slow_fill(fill_argv(export, settings, out, "--force"))
    tmp = _wait_for_temp(out_dir, proc)
    assert f".yibao-{proc.pid}-" in tmp.name
    proc.send_signal(signal.SIGTERM)
    stdout, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert "收到终止信号" in err and "临时文件已删除" in err and "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("错误：")
    assert out.read_bytes() == OLD
    assert _names(out_dir) == ["台账.xlsx"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
def test_kill_9_leaves_a_temp_file_that_a_later_run_removes(setup):
    export, settings, out_dir = setup
    out = out_dir / "台账.xlsx"
    proc = _start_slow_fill(fill_argv(export, settings, out))
    tmp = _wait_for_temp(out_dir, proc)
    proc.kill()  # SIGKILL: no handler runs
    proc.communicate(timeout=60)
    assert tmp.exists() and not out.exists()
    past = time.time() - 10 * 60
    os.utime(tmp, (past, past))   # the next run comes 10 minutes later
    rc, _, err = run_cli(fill_argv(export, settings, out_dir / "重跑.xlsx"))
    assert rc == 0, err
    assert _names(out_dir) == ["重跑.xlsx"]


# ---------------------------------------------------------------------------------- office lock files
@pytest.mark.parametrize("lock", ["~$台账.xlsx", ".~lock.台账.xlsx#"])
def test_a_ledger_open_in_excel_is_not_replaced_even_with_force(setup, lock):
    export, settings, out_dir = setup
    out = out_dir / "台账.xlsx"
    out.write_bytes(OLD)
    (out_dir / lock).write_bytes(b"clerk")
    for extra in (("--force",), ()):
        rc, stdout, err = run_cli(fill_argv(export, settings, out, *extra))
        _failed(rc, err, "正在被 Excel/WPS 打开", "请关闭后重试", lock)
    with pytest.raises(FileError, match="正在被 Excel/WPS 打开"):
        write_workbook(TEMPLATE, out, {"台账": SheetFill(_rows(), 5, 6)}, force=True)
    assert out.read_bytes() == OLD
    assert _names(out_dir) == sorted(["台账.xlsx", lock])


def test_a_lock_file_without_its_ledger_does_not_block(setup):
    """``~$台账.xlsx`` left by a crashed Excel, the ledger itself gone: nothing is open, the fill runs."""
    export, settings, out_dir = setup
    (out_dir / "~$台账.xlsx").write_bytes(b"stale")
    rc, _, err = run_cli(fill_argv(export, settings, out_dir / "台账.xlsx"))
    assert rc == 0, err
    assert (out_dir / "台账.xlsx").stat().st_size > 1000
