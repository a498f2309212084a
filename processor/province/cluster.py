"""Where the tasks of stages 1 and 2 run: in this process (--workers 1), on a local Dask cluster
(distributed.LocalCluster, one single-threaded worker process per core asked for), or on a province's
cluster by scheduler address (--scheduler tcp://host:8786). The same task function everywhere.

A real cluster's workers must see the run's folder under the same path (a shared file system: the
partitions' files are read and written there) and run the same yibao version; both are checked on
connecting, before any task is sent. The split tasks (stage 1) read the input files: they go to the
workers when every worker sees those files under the same paths too, else they run in this process.
"""
from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path
from typing import Callable, Iterator

from ..errors import YibaoError
from .manifest import code_version

CONNECT_TIMEOUT = "10s"
WORKER_WAIT_SECONDS = 60


class ClusterError(YibaoError):
    """The Dask scheduler does not answer, has no workers, or its workers cannot see the run's folder."""


class InProcess:
    """The tasks one after another in this process (no Dask)."""
    workers = 1
    where = "本进程"
    local = True

    def run(self, fn: Callable, tasks: list[tuple]) -> Iterator[tuple[tuple, object, BaseException | None]]:
        for args in tasks:
            try:
                yield args, fn(*args), None
            except (KeyboardInterrupt, SystemExit):
                raise
            except Exception as exc:  # noqa: BLE001 - reported by the caller with the partition's number
                yield args, None, exc

    def worker_rss(self) -> dict:
        import resource
        return {"本进程": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}


class OnDask:
    def __init__(self, client, where: str, local: bool = False):
        self.client, self.where, self.local = client, where, local
        self.workers = len(client.scheduler_info().get("workers", {}))

    def blind(self, paths: list[str]) -> list[str]:
        """The workers that do not see every one of ``paths`` (the input files, for the split tasks)."""
        return sorted(w for w, ok in self.client.run(_sees_all, paths).items() if not ok)

    def run(self, fn: Callable, tasks: list[tuple]):
        from distributed import as_completed
        futures = {}
        token = os.urandom(4).hex()
        for i, args in enumerate(tasks):
            fut = self.client.submit(fn, *args, pure=False, key=f"yibao-{fn.__name__}-{i}-{token}")
            futures[fut] = args
        try:
            for fut in as_completed(list(futures)):
                args = futures[fut]
                if fut.status == "error":
                    yield args, None, fut.exception()
                else:
                    yield args, fut.result(), None
        finally:
            self.client.cancel([f for f in futures if not f.done()])

    def worker_rss(self) -> dict:
        return self.client.run(_maxrss)


def _maxrss() -> int:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _sees(path: str) -> bool:
    return os.path.isdir(path)


def _sees_all(paths: list[str]) -> bool:
    return all(os.path.isfile(p) for p in paths)


@contextlib.contextmanager
def open_runner(workers: int, scheduler: str | None, work: Path):
    """InProcess, or OnDask connected to a LocalCluster or the scheduler at ``scheduler``."""
    if scheduler is None and workers <= 1:
        yield InProcess()
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - the province extra installs it
        raise ClusterError("分布式计算需要 dask[distributed]：请安装 pip install \"yibao[province]\"，"
                           "或用 --workers 1 在本进程计算") from None
    for name in ("distributed", "distributed.worker", "distributed.nanny", "distributed.scheduler",
                 "distributed.core", "distributed.comm"):
        logging.getLogger(name).setLevel(logging.ERROR)
    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                               silence_logs=logging.ERROR)
        client = Client(cluster)
        where = f"本机 Dask 集群（{workers} 个工作进程）"
    else:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError for a malformed address
            raise ClusterError(f"无法连接 Dask 调度器 {scheduler}（{CONNECT_TIMEOUT.rstrip('s')} 秒内无应答："
                               f"{type(exc).__name__}）：请确认地址和端口（如 tcp://10.0.0.5:8786）、调度器已启动"
                               "（dask scheduler），且本机能访问它；或不加 --scheduler 在本机计算") from None
        where = f"Dask 调度器 {scheduler}"
    try:
        if scheduler is not None:
            _check_remote(client, scheduler, work)
        runner = OnDask(client, where, local=scheduler is None)
        yield runner
    finally:
        with contextlib.suppress(Exception):
            client.close()
        if cluster is not None:
            with contextlib.suppress(Exception):
                cluster.close()


def _check_remote(client, scheduler: str, work: Path) -> None:
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
    except Exception:  # noqa: BLE001 - TimeoutError
        raise ClusterError(f"Dask 调度器 {scheduler} 在 {WORKER_WAIT_SECONDS} 秒内没有可用的工作进程"
                           "（dask worker 调度器地址）：请先启动工作进程") from None
    blind = [w for w, ok in client.run(_sees, str(work)).items() if not ok]
    if blind:
        raise ClusterError(f"{len(blind)} 个工作进程（如 {blind[0]}）看不到工作目录 {work}：各工作机须以同一路径"
                           "挂载同一共享目录（输出文件夹放在共享盘上）")
    mine = code_version()
    other = {v for v in client.run(code_version).values() if v != mine}
    if other:
        raise ClusterError(f"工作进程的程序版本（{'、'.join(sorted(other))}）与本机（{mine}）不同："
                           "请在各工作机安装同一版本的 yibao")


__all__ = ["open_runner", "InProcess", "OnDask", "ClusterError"]
