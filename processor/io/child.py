"""A helper process of our own, and the messages to and from it (issue 12: fill on two cores).

    proc = start("processor.io.sheet_process", [path, sheet], to_child=False)   # None: run in-process
    message = receive(proc.stdout)                                              # None: the pipe ended
    send(proc.stdin, obj)

The helper is ``python -m <module> args…`` started with :mod:`subprocess` (not multiprocessing: that
re-imports the caller's ``__main__``, which fails under a console script's stdin or a notebook), with
``processor`` importable from where this copy of it lies. Messages are pickles framed by an 8-byte
length; both ends are this package's own code, on this machine, in this run.

:func:`usable` says whether to try at all: two cores or more, a platform with processes (not Pyodide,
as in xlwings Lite), not a frozen executable and an interpreter that knows its executable (no
``python -m`` to start otherwise).
"""
from __future__ import annotations

import os
import pickle
import struct
import subprocess
import sys
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

__all__ = ["usable", "start", "send", "receive", "stop"]

_HEAD = struct.Struct("<Q")
_PACKAGE_ROOT = str(Path(__file__).resolve().parents[2])  # where `processor` is importable from


def usable() -> bool:
    return ((os.cpu_count() or 1) >= 2 and sys.platform != "emscripten" and not getattr(sys, "frozen", False)
            and bool(sys.executable))  # an embedded interpreter may not know its own executable


def command(module: str, args: list[str]) -> list[str]:
    return [sys.executable, "-m", module, *args]


def start(module: str, args: list[str], to_child: bool) -> subprocess.Popen | None:
    """The helper process with a pipe from it (and to it when ``to_child``); None when processes
    cannot be started here (the caller then does the work itself)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_PACKAGE_ROOT, os.environ.get("PYTHONPATH")]))}
    try:
        proc = subprocess.Popen(command(module, args), stdin=subprocess.PIPE if to_child else subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, bufsize=0)
    except OSError:  # a locked-down sandbox
        return None
    for pipe in (proc.stdin, proc.stdout):
        if pipe is not None:
            _widen(pipe)
    return proc


PIPE_BYTES = 1 << 20  # Linux's limit for a process without privileges (/proc/sys/fs/pipe-max-size)


def _widen(pipe) -> None:
    """Let the pipe hold several batches (1 MB: about 6 of 1,000 台账 rows) instead of the default 64 kB, a
    third of one: the sender then runs ahead while the receiver is slower for a moment, and each waits on the
    other only when the whole megabyte is full or empty. Only Linux can; elsewhere the pipe stays as it is."""
    setsize = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only (Python ≥ 3.10)
    if setsize is None:
        return
    try:
        fcntl.fcntl(pipe.fileno(), setsize, PIPE_BYTES)
    except OSError:  # a lower limit set by the administrator: the default size
        pass


def send(stream, obj) -> None:
    data = pickle.dumps(obj, pickle.HIGHEST_PROTOCOL)
    _write_all(stream, _HEAD.pack(len(data)) + data)


def _write_all(stream, data: bytes) -> None:
    """A raw pipe (bufsize=0) may take part of a write (a signal arriving mid-way): write the rest."""
    view = memoryview(data)
    while view:
        n = stream.write(view)
        view = view[n if n is not None else len(view):]


def receive(stream):
    """The next message, or None when the pipe ended (the other side exited or closed it)."""
    head = _exactly(stream, _HEAD.size)
    if head is None:
        return None
    data = _exactly(stream, _HEAD.unpack(head)[0])
    return None if data is None else pickle.loads(data)


def _exactly(stream, n: int) -> bytes | None:
    data = stream.read(n)
    if not data:
        return None if n else b""
    if len(data) == n:
        return data
    parts = [data]
    got = len(data)
    while got < n:
        more = stream.read(n - got)
        if not more:
            return None
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def stop(proc: subprocess.Popen) -> None:
    """Close our ends of the pipes and wait for the helper (killed if it does not end within 2 s)."""
    for stream in (proc.stdin, proc.stdout):
        if stream is not None:
            try:
                stream.close()
            except OSError:
                pass  # a pipe the helper already left
    try:
        proc.wait(2)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def died(proc: subprocess.Popen, what: str):
    """The Chinese error for a helper that ended without its closing message."""
    from ..errors import FileError
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return FileError(f"{what}的进程意外退出（退出码 {proc.returncode}），请重试；如果反复出现，请检查内存是否足够")
