"""The options of `yibao province` (processor/cli.py adds them with ``add_parser(sub)``)."""
from __future__ import annotations

import os


def _run(args) -> int:
    from .run import province
    return province(args)


def add_parser(sub) -> None:
    from ..cli import REGION_HELP
    p = sub.add_parser("province", help="全省（多个统筹区）一年的结算：按人分区在 Dask 上计算，"
                                        "写出结算明细 Parquet 和各统筹区台账，可中断后续算")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="结算导出：.parquet、.csv、.xlsx 文件，或存放它们的文件夹（读取其中全部这三类文件，按文件名排序），可多个")
    p.add_argument("--region", required=True, help=REGION_HELP + "（按该地区的政策计算）")
    p.add_argument("--settings", help="本地设置文件（默认取环境变量 YIBAO_SETTINGS）")
    p.add_argument("--out", required=True, metavar="DIR",
                   help="输出文件夹：结算明细.parquet、异常.parquet、台账/ 各统筹区台账，以及续算用的 _work/")
    p.add_argument("--partitions", type=int, default=64, metavar="N",
                   help="按人分成的区数（默认 64；数据越多可越大，每个分区在一个工作进程中一次算完）")
    workers = p.add_mutually_exclusive_group()
    workers.add_argument("--workers", type=int, default=None, metavar="N",
                         help=f"本机工作进程数（默认为本机核数，此处 {os.cpu_count() or 1}）；1 表示不用 Dask，在本进程计算")
    workers.add_argument("--scheduler", metavar="ADDRESS",
                         help="省级 Dask 调度器地址，如 tcp://10.0.0.5:8786（各工作机须以同一路径访问输出文件夹）")
    p.add_argument("--restart", action="store_true", help="不续算：丢弃上次运行已完成的分区，全部重新计算")
    p.add_argument("--unit", default="", help="填报单位（写在各台账表头）")
    p.add_argument("--quiet", action="store_true", help="不显示每个分区的进度")
    p.set_defaults(func=_run)


__all__ = ["add_parser"]
