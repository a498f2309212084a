"""One run at a time on an output folder (processor/province/lock.py): a second run is refused while the
first holds the lock, nothing written; a lock left by a dead process on this host is taken over; a lock from
another host is refused with the file to delete; the lock is released on every way out."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import processor.province.run as province_run
from processor.province import lock
from processor.province.partition import settle_partition

sys.path.insert(0, str(Path(__file__).resolve().parent))
from helpers import claims, gb_id, run, synthetic, write_parquet  # noqa: E402
from test_equality import SETTINGS_TOML  # noqa: E402


def _inputs(tmp: Path, name: str = "a.parquet") -> list[str]:
    write_parquet(tmp / name, synthetic(60, seed=5))
    (tmp / "s.toml").write_text(SETTINGS_TOML, encoding="utf-8")
    return [str(tmp / name), "--region", "赣州", "--settings", str(tmp / "s.toml"), "--workers", "1",
            "--partitions", "4"]


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in sorted(folder.rglob("*")) if p.is_file()}


def _write_lock(work: Path, **info) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    path = work / lock.LOCK
    record = {"host": socket.gethostname(), "pid": 0, "started": "2022-12-31 23:00:00",
              "started_ts": time.time() - 3600, "command": "yibao province 测试"}
    record.update(info)
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    return path


def test_a_second_run_is_refused_while_the_first_holds_the_lock(tmp_path):
    args = _inputs(tmp_path)
    out = tmp_path / "out"
    assert run(*args, "--out", str(out))[0] == 0
    first = claims(out)
    before = _tree(out)
    said = []
    with lock.hold(out / "_work", out, said.append) as path:  # the first run, still going
        held = json.loads(path.read_text("utf-8"))
        assert held["pid"] == os.getpid() and held["host"] == socket.gethostname()
        during = _tree(out)
        code, stdout, err = run(*args, "--out", str(out), "--restart")
        assert code == 2 and stdout == "" and "Traceback" not in err
        assert f"输出文件夹 {out} 正由另一次运行使用（主机 {socket.gethostname()}，进程 {os.getpid()}，自 " in err
        assert "请等它结束后再运行" in err
        assert _tree(out) == during  # nothing written, the first run's lock untouched
        assert json.loads(path.read_text("utf-8")) == held
    assert said == []
    assert not (out / "_work" / lock.LOCK).exists()  # released
    assert _tree(out) == before
    code, _, err = run(*args, "--out", str(out), "--restart")  # the folder is free again
    assert code == 0, err
    assert claims(out) == first


def test_a_lock_left_by_a_dead_process_on_this_host_is_taken_over(tmp_path):
    args = _inputs(tmp_path)
    out = tmp_path / "out"
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    _write_lock(out / "_work", pid=gone.pid)
    code, _, err = run(*args, "--out", str(out))
    assert code == 0, err
    assert err.count("已不在运行，留下的锁文件由本次运行接管") == 1
    assert f"进程 {gone.pid}" in err
    assert not (out / "_work" / lock.LOCK).exists()
    assert claims(out)


def test_a_pid_reused_by_a_newer_process_is_not_the_holder():
    assert lock.pid_alive(os.getpid(), since=time.time())
    if Path("/proc/self/stat").exists():  # this process started long after 1970: not the lock's holder
        assert not lock.pid_alive(os.getpid(), since=0.0)


def test_a_lock_from_another_host_is_refused_naming_the_file(tmp_path):
    args = _inputs(tmp_path)
    out = tmp_path / "out"
    path = _write_lock(out / "_work", host="省平台-计算节点07", pid=4242)
    text = path.read_text("utf-8")
    code, stdout, err = run(*args, "--out", str(out))
    assert code == 2 and stdout == "" and "Traceback" not in err
    assert "正由另一台机器上的运行使用（主机 省平台-计算节点07，进程 4242，自 2022-12-31 23:00:00 起" in err
    assert f"请到主机 省平台-计算节点07 上确认该进程已经结束后，删除锁文件 {path} 再运行" in err
    assert path.read_text("utf-8") == text
    assert [p.name for p in (out / "_work").iterdir()] == [lock.LOCK]  # nothing written


def test_the_lock_is_released_after_an_error_and_an_interrupt_and_holds_no_id_number(tmp_path, monkeypatch):
    person = gb_id(7)
    args = _inputs(tmp_path, f"{person}.parquet")  # an ID number in the command line
    out = tmp_path / "out"
    seen = []

    def failing(work, part, buckets, job):
        seen.append((Path(work) / lock.LOCK).read_text("utf-8"))
        raise OSError("磁盘已满（测试模拟）")

    monkeypatch.setattr(province_run, "settle_partition", failing)
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/yibao", "province", *args, "--out", str(out)])  # as typed
    code, _, err = run(*args, "--out", str(out))
    assert code == 2 and "磁盘已满" in err
    assert not (out / "_work" / lock.LOCK).exists()
    held = json.loads(seen[0])
    assert set(held) >= {"host", "pid", "started", "command"}
    assert person not in seen[0]
    assert held["command"].startswith("yibao province ") and f"{person[:6]}********{person[-4:]}" in held["command"]

    def interrupted(*a):
        raise KeyboardInterrupt

    monkeypatch.setattr(province_run, "settle_partition", interrupted)
    code, _, err = run(*args, "--out", str(out))
    assert code == 130 and "已中断" in err
    assert not (out / "_work" / lock.LOCK).exists()

    (tmp_path / "s.toml").write_text("不是 TOML [", encoding="utf-8")  # an error before the lock: none taken
    assert run(*args, "--out", str(out))[0] == 2
    (tmp_path / "s.toml").write_text(SETTINGS_TOML, encoding="utf-8")
    monkeypatch.setattr(province_run, "settle_partition", settle_partition)
    bad = tmp_path / "b.csv"
    bad.write_text("结算ID,姓名,证件号码\nS1,甲,1\n", encoding="utf-8")  # a FileError in the split (a required column missing)
    code, _, err = run(*args[:1], str(bad), *args[1:], "--out", str(out))
    assert code == 2 and "缺少必填列" in err
    assert not (out / "_work" / lock.LOCK).exists()
    code, _, err = run(*args, "--out", str(out))
    assert code == 0, err


def test_a_lock_held_by_another_process_then_killed(tmp_path):
    """Another process (a run on this host) holds the lock: refused; killed with SIGKILL (no chance to release
    it), its lock is taken over by the next run."""
    import signal
    args = _inputs(tmp_path)
    out = tmp_path / "out"
    (out / "_work").mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from processor.province import lock\n"
         "with lock.hold(Path(sys.argv[1]), Path(sys.argv[2]), print):\n"
         "    print('held', flush=True); time.sleep(120)", str(out / "_work"), str(out)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        code, _, err = run(*args, "--out", str(out))
        assert code == 2 and f"正由另一次运行使用（主机 {socket.gethostname()}，进程 {holder.pid}，" in err
        assert [p.name for p in (out / "_work").iterdir()] == [lock.LOCK]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert (out / "_work" / lock.LOCK).exists()  # left behind
    code, _, err = run(*args, "--out", str(out))
    assert code == 0, err
    assert f"进程 {holder.pid}" in err and "已不在运行，留下的锁文件由本次运行接管" in err
    assert not (out / "_work" / lock.LOCK).exists()
