"""One run at a time on an output folder: DIR/_work/lock, held for the whole run.

Two runs on the same --out (two clerks, a scheduled job and a manual one) would write the same partition
files and the same manifest and interleave them. The lock file is created atomically (os.open with
O_CREAT | O_EXCL: of two runs exactly one creates it, also on a shared disk over NFS) and holds who holds
it: host, pid, start time and the command line (masked: an ID number typed in a path never lands in it).

A lock that is there already:

- its run is alive (this host, the pid exists and started before the lock was taken): refused, naming
  who holds it and since when (FileError: exit 2, nothing written);
- left by a run that died on this host (the pid no longer exists, or is a newer process that reused the
  number): taken over, and said so in one line;
- from another host: refused — whether that run is alive cannot be seen from here; the message names the
  file to delete once the user has checked that the run has ended;
- unreadable (a run killed between creating and writing it): treated as from another host, with its
  modification time as the start.

The lock is released (deleted, if it is still this run's) on every way out of the ``with`` block: a normal
end, a FileError, a KeyboardInterrupt. A run killed with SIGKILL or a power cut leaves it behind; the next
run on the same host takes it over.
"""
from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from datetime import datetime
from pathlib import Path

from ..errors import FileError
from ..io.mask import mask_text

LOCK = "lock"


def _host() -> str:
    return socket.gethostname() or "（未知主机）"


def _now_text(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def _record() -> dict:
    now = time.time()
    return {"host": _host(), "pid": os.getpid(), "started": _now_text(now), "started_ts": now,
            "command": mask_text(" ".join([Path(sys.argv[0]).name, *sys.argv[1:]]))[:2000]}


def _read(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "pid" in data and "host" in data else None


def _process_started(pid: int) -> float | None:
    """When the process ``pid`` started (epoch seconds), where /proc says it; None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        ticks = int(stat.rsplit(")", 1)[1].split()[19])
        boot = next(int(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime "))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return None


def pid_alive(pid: int, since: float | None = None) -> bool:
    """The process exists (and, where its start time can be read, started before ``since`` + 2 s: a newer
    process that got the same number after a reboot is not the lock's holder)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, another user's
    except OSError:
        return False
    if since is not None:
        started = _process_started(pid)
        if started is not None and started > since + 2:
            return False
    return True


def _who(info: dict) -> str:
    return (f"主机 {info.get('host')}，进程 {info.get('pid')}，自 {info.get('started')} 起"
            + (f"，命令：{info['command']}" if info.get("command") else ""))


def _create(path: Path, record: dict) -> bool:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    except OSError as exc:
        raise FileError(f"无法在输出文件夹中建立锁文件 {path}（{exc.strerror or exc}）：请换一个可写的输出文件夹") from None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(record, fh, ensure_ascii=False)
    return True


def _take_over(path: Path, stale_text: str) -> bool:
    """Move the stale lock away and check it is the one judged stale (another run may have taken it over
    and made its own lock in between: that one is put back)."""
    aside = path.with_name(f".{path.name}.stale.{os.getpid()}")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return True  # gone already: try to create ours
    try:
        same = aside.read_text(encoding="utf-8") == stale_text
    except OSError:
        same = False
    if not same:  # a live lock: back where it was (os.link fails rather than replace a newer one)
        with contextlib.suppress(OSError):
            os.link(aside, path)
        with contextlib.suppress(OSError):
            aside.unlink()
        return False
    aside.unlink()
    return True


def _refuse(path: Path, info: dict | None, out: Path) -> FileError:
    if info is None:
        try:
            since = _now_text(path.stat().st_mtime)
        except OSError:
            since = "（未知）"
        return FileError(f"输出文件夹 {out} 有一个内容不完整的锁文件（{since} 建立），可能另一次运行正在使用它：确认没有其他"
                         f" yibao province 在写这个文件夹后，删除锁文件 {path} 再运行")
    if info.get("host") == _host():
        return FileError(f"输出文件夹 {out} 正由另一次运行使用（{_who(info)}）：请等它结束后再运行，"
                         "或换一个输出文件夹（--out）")
    return FileError(f"输出文件夹 {out} 正由另一台机器上的运行使用（{_who(info)}）。这台机器无法判断它是否还在运行："
                     f"请到主机 {info.get('host')} 上确认该进程已经结束后，删除锁文件 {path} 再运行")


@contextlib.contextmanager
def hold(work: Path, out: Path, say):
    """The lock on ``work`` for the duration of the block (see the module docstring)."""
    path = work / LOCK
    record = _record()
    mine = json.dumps(record, ensure_ascii=False)
    for _attempt in range(3):
        if _create(path, record):
            break
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            continue  # released meanwhile
        except OSError:
            text = ""
        info = _read(path) if text else None
        if (info is None or info.get("host") != _host()
                or pid_alive(int(info.get("pid") or 0), info.get("started_ts"))):
            raise _refuse(path, info, out)
        if not _take_over(path, text):
            continue
        if _create(path, record):
            say(f"上次运行（{_who(info)}）已不在运行，留下的锁文件由本次运行接管")
            break
    else:
        raise _refuse(path, _safe_read(path), out)
    try:
        yield path
    finally:
        with contextlib.suppress(OSError):
            if path.read_text(encoding="utf-8") == mine:
                path.unlink()


def _safe_read(path: Path) -> dict | None:
    try:
        return _read(path)
    except FileNotFoundError:
        return None


__all__ = ["hold", "pid_alive", "LOCK"]
