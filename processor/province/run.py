"""`yibao province INPUT… --region R --settings S --out DIR`: the stages in order.

    1 split     inputs → normalised claims in bucket blocks, one task per input file (on the workers), then
                the buckets sharing a 结算ID united into partitions
    2 settle    one task per partition (settle_claims), in this process or on Dask; a progress line each
    3 outputs   结算明细.parquet, 异常.parquet, the ledgers per 统筹区 (one task per 统筹区)

DIR/_work/manifest.json keeps the run's fingerprint (processor/province/manifest.py) and the split; a run
restarted with the same fingerprint skips every input file already split and every partition already
complete. DIR/_work/lock keeps a second run off the same folder for the whole run (processor/province/lock.py).
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

from ..book import default_book
from ..errors import FileError, InputError, YibaoError
from ..io.mask import mask_text
from ..io.xlsx_splice import make_folder
from ..money import format_yuan
from ..settings import load_settings
from . import lock
from . import manifest as mf
from . import outputs
from .cluster import InProcess, open_runner
from .inputs import check_parquet_headers, expand
from .partition import FUNDS, done_path, settle_partition
from .split import finish, finished, links_of_shard, split_file, task_files

WORK = "_work"
MAX_PARTITIONS = 100_000


class PartitionFailed(YibaoError):
    """One or more partitions raised: the others are kept for the rerun."""


def _say(quiet: bool):
    def say(text: str, progress: bool = False) -> None:
        if not (quiet and progress):
            print(mask_text(text), file=sys.stderr, flush=True)
    return say


def _names(files) -> list[str]:
    """How a source file is named in the records: its name, or its full path when two share a name."""
    short = [f.path.name for f in files]
    return short if len(set(short)) == len(short) else [str(f.path) for f in files]


def _prepare_out(out: Path) -> Path:
    if out.exists() and not out.is_dir():
        raise FileError(f"--out 应是一个文件夹：{out} 是文件")
    work = out / WORK
    if out.is_dir() and any(out.iterdir()) and not (work / mf.MANIFEST).is_file() and not work.is_dir():
        raise FileError(f"输出文件夹 {out} 已有其他文件，且不是 yibao province 的输出文件夹：请给一个新的或空的文件夹")
    return make_folder(work)


def _clear(work: Path, keep: set[str] = frozenset()) -> None:
    """Everything in the work folder but the lock (this run's) and ``keep`` (file names)."""
    for p in work.iterdir():
        if p.name == lock.LOCK or p.name in keep:
            continue
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        else:
            p.unlink()


def province(args) -> int:
    try:
        return _province(args)
    except KeyboardInterrupt:
        print("已中断：已完成的分区已保存在输出文件夹的 _work 中，用同一命令重新运行将从中断处继续", file=sys.stderr)
        raise


def _province(args) -> int:
    started = time.monotonic()
    say = _say(args.quiet)
    if not 1 <= args.partitions <= MAX_PARTITIONS:
        raise InputError(f"--partitions 应在 1 到 {MAX_PARTITIONS:,} 之间（收到 {args.partitions}）")
    workers = args.workers if args.workers is not None else (os.cpu_count() or 1)
    if workers < 1:
        raise InputError(f"--workers 至少为 1（收到 {workers}）")
    book = default_book()
    region = book.region(args.region)
    settings_path = args.settings or os.environ.get("YIBAO_SETTINGS") or None
    settings = load_settings(settings_path, known_regions=set(book.regions))  # checked before any work
    files, notes = expand(args.inputs)
    for note in notes:
        say(note)
    check_parquet_headers(files)
    names = _names(files)
    out = Path(args.out)
    work = _prepare_out(out)
    with lock.hold(work, out, say):  # released on every way out: the end, an error, Ctrl-C
        return _locked(args, started, say, workers, region, settings_path, settings, files, names, out, work)


def _locked(args, started, say, workers, region, settings_path, settings, files, names, out, work) -> int:
    fp = mf.fingerprint(files, region.name, settings_path, args.partitions)
    man = mf.load(work)
    written = (man or {}).get("ledgers", [])  # an earlier run's ledgers: replaced, even when all is redone
    if man is not None and args.restart:
        say("按 --restart 丢弃上次运行的结果，全部分区重新计算")
        _clear(work)
        man = None
    elif man is not None and man.get("fingerprint") != fp:
        changed = mf.differences(man.get("fingerprint", {}), fp)
        say(f"与上次运行相比：{'；'.join(changed) or '运行记录不完整'}。全部分区重新计算")
        _clear(work)
        man = None
    elif man is None and any(work.iterdir()):
        _clear(work)  # a run cut short before its manifest was written
    man = man or {"fingerprint": fp, "ledgers": written}
    mf.save(work, man)
    job = {"region": region.name, "settings_path": settings_path or "",
           "settings_text": Path(settings_path).read_text("utf-8") if settings_path else None,
           "names": names, "unit": args.unit}

    # the workers first: a scheduler that does not answer stops the run before the inputs are read
    with open_runner(workers, args.scheduler, work) as runner:
        # ---- stage 1: split
        if man.get("split"):
            say(f"读入与分区已在上次运行完成（{man['split']['totals']['read']:,} 行），跳过")
        else:
            man["split"] = _split(runner, files, names, work, args.partitions, region.name, say)
            mf.save(work, man)
        groups = man["split"]["partitions"]
        merged = sum(len(g) - 1 for g in groups)
        parts = [g[0] for g in groups]
        done = [p for p in parts if done_path(work, p).is_file()]
        todo = [g for g in groups if not done_path(work, g[0]).is_file()]
        say(f"{len(groups)} 个分区" + (f"（{merged} 个桶因共用结算ID与其他桶合并）" if merged else "")
            + (f"；上次运行已完成 {len(done)} 个，跳过，计算其余 {len(todo)} 个" if done else ""))

        # ---- stage 2: settle; stage 3: the outputs (the ledgers on the same workers)
        if todo:
            say(f"计算：{runner.where}")
        _settle(runner, todo, work, job, len(groups), len(done), say)
        index = {p: json.loads(done_path(work, p).read_text("utf-8")) for p in parts}
        say("写出结算明细与异常 Parquet …")
        claims_path, rejects_path, n_claims, n_rejects = outputs.write_tables(out, work, parts)
        ledgers = _ledgers(runner, out, work, parts, index, job, man, say)
        rss = runner.worker_rss()
    man["ledgers"] = [str(p) for p in ledgers]
    mf.save(work, man)
    _summary(man, index, out, claims_path, rejects_path, ledgers, settings, rss, time.monotonic() - started)
    return 0


def _split(runner, files, names, work: Path, buckets: int, region: str, say) -> dict:
    """Stage 1 on the runner: one task per input file not split yet, then :func:`split.finish`."""
    records = {fi: finished(work, fi, f, n, buckets) for fi, (f, n) in enumerate(zip(files, names))}
    records = {fi: r for fi, r in records.items() if r is not None}
    # a split cut short: keep the files' tasks that completed, nothing else (no partition comes before it)
    _clear(work, {mf.MANIFEST} | {p.name for fi in records for p in task_files(work, fi)})
    todo = [fi for fi in range(len(files)) if fi not in records]
    runner = _split_runner(runner, [files[fi] for fi in todo], say)
    say(f"读入 {len(files)} 个文件，按人分成 {buckets} 个区 …"
        + (f"（上次运行已读完 {len(records)} 个，跳过，读入其余 {len(todo)} 个）" if records else "")
        + (f"（{runner.where}）" if todo and runner.workers > 1 else ""))
    tasks = [(str(work), fi, files[fi], names[fi], buckets, region) for fi in todo]
    failed = []
    for args, r, exc in runner.run(split_file, tasks):
        fi = args[1]
        if exc is not None:
            failed.append((fi, exc))
            continue
        records[fi] = r
        say(f"读入 {r['name']}：{r['read']:,} 行（异常 {r['rejected']:,}，空行/合计行 {r['skipped']:,}），"
            f"用时 {r['seconds']:.1f} 秒" + (f"（{len(records)}/{len(files)} 个文件）" if len(files) > 1 else ""))
    if failed:
        failed.sort(key=lambda t: t[0])
        fi, exc = failed[0]
        if len(failed) == 1 and isinstance(exc, YibaoError):
            raise exc
        for f_i, e in failed:
            say(f"读入 {names[f_i]} 失败：{_message(e)}")
        raise PartitionFailed(
            f"{len(failed)} 个输入文件读入失败（第一个：{names[fi]}，{_message(exc)}）；已读完的 {len(records)} 个文件"
            "已保存，重新运行同一命令将只读入未完成的文件")
    return finish(work, [records[fi] for fi in range(len(files))], lambda t: _links(runner, t))


def _links(runner, tasks):
    for args, pairs, exc in runner.run(links_of_shard, tasks):
        if exc is not None:
            raise exc if isinstance(exc, YibaoError) else PartitionFailed(
                f"合并共用结算ID的桶时出错：{_message(exc)}；各文件的读入结果已保存，重新运行同一命令将从这一步继续")
        yield pairs


def _split_runner(runner, files, say):
    """The runner for the split tasks: the workers, if they see the input files under the same paths;
    this process otherwise (said so)."""
    if runner.workers <= 1 or not files or getattr(runner, "local", True):
        return runner
    blind = runner.blind([str(f.path) for f in files])
    if not blind:
        return runner
    say(f"{len(blind)} 个工作进程（如 {blind[0]}）看不到输入文件（须以同一路径访问，如共享盘上的文件夹）："
        "读入与分区在本进程进行")
    return InProcess()


def _settle(runner, todo, work: Path, job: dict, total: int, done: int, say) -> None:
    tasks = [(str(work), g[0], g, job) for g in todo]
    failed = []
    for args, result, exc in runner.run(settle_partition, tasks):
        if exc is not None:
            failed.append((args[1], exc))
            say(f"分区 {args[1]} 失败：{_message(exc)}")
            continue
        done += 1
        say(f"分区 {done}/{total} 完成：{result['rows']:,} 条，用时 {result['seconds']:.1f} 秒"
            f"（剩余 {total - done - len(failed)} 个）", progress=True)
    if failed:
        part, exc = failed[0]
        raise PartitionFailed(
            f"{len(failed)} 个分区计算失败（第一个：分区 {part}，{_message(exc)}）；已完成的 {done} 个分区已保存，"
            "重新运行同一命令将只计算未完成的分区")


def _message(exc: BaseException) -> str:
    return exc.message if isinstance(exc, YibaoError) else f"{type(exc).__name__}：{exc}"[:300]


def _ledgers(runner, out: Path, work: Path, parts: list[int], index: dict, job: dict, man: dict, say) -> list[Path]:
    areas: dict[str, int] = {}
    spans: dict[str, list] = {}
    for p in parts:
        for area, a in index[p]["areas"].items():
            areas[area] = areas.get(area, 0) + a["lines"]
            if a["first"]:
                s = spans.setdefault(area, [a["first"], a["last"]])
                s[0], s[1] = min(s[0], a["first"]), max(s[1], a["last"])
    for area in _split_reject_areas(work):
        areas.setdefault(area, 0)
    for old in man.get("ledgers", []):  # an earlier run's volumes (their number may differ now)
        Path(old).unlink(missing_ok=True)
    planned = outputs.plan(areas)
    made_on = date.today().isoformat()
    tasks = []
    for area, (stem, volumes, per) in planned.items():
        area_parts = [p for p in parts if area in index[p]["areas"]]
        span = spans.get(area, [None, None])
        tasks.append((str(out), str(work), area, area_parts, stem, volumes, per, job,
                      outputs.period_text(*span), made_on))
        if volumes > 1:
            say(f"参保地 {area}：{areas[area]:,} 行，超过一张工作表的行数上限（{outputs.SHEET_ROW_LIMIT:,} 行，含表头），"
                f"分 {volumes} 册写出，每册至多 {per:,} 行")
    say(f"写出 {len(tasks)} 个参保地（统筹区）的台账 …")
    written: list[Path] = []
    failed = []
    for args, paths, exc in runner.run(outputs.write_area, tasks):
        if exc is not None:
            failed.append((args[2], exc))
            continue
        written.extend(Path(p) for p in paths)
    if failed:
        area, exc = failed[0]
        raise PartitionFailed(f"参保地 {area} 的台账写出失败：{_message(exc)}；各分区的计算结果已保存，"
                              "重新运行同一命令将只重写台账")
    return sorted(written)


def _split_reject_areas(work: Path) -> set[str]:
    """统筹区 that only have rejected rows (each still gets a ledger, with its 异常 sheet)."""
    import pyarrow.parquet as pq
    from .claims import REJECTED
    t = pq.read_table(str(work / "rejects-split.parquet"), columns=["参保地", "类别"])
    return {a for a, k in zip(t.column(0).to_pylist(), t.column(1).to_pylist()) if k == REJECTED and a}


def _summary(man, index, out, claims_path, rejects_path, ledgers, settings, rss: dict, seconds: float) -> None:
    t = man["split"]["totals"]
    lines = sum(i["lines"] for i in index.values())
    settle_rejects = sum(i["rejected"] for i in index.values())
    rejected = t["rejected"] + settle_rejects
    totals = {k: sum(i["totals"][k] for i in index.values()) for k in FUNDS}
    print(f"完成：{out}")
    print(f"读入结算行 {t['read']:,} = 计算 {lines:,} + 异常 {rejected:,}"
          f"（另有空行/合计行 {t['skipped']:,} 行未计入）")
    print(f"大病保险 {format_yuan(totals['critical'])} 元；医疗救助 {format_yuan(totals['assist'])} 元；"
          f"倾斜救助 {format_yuan(totals['tilt'])} 元；个人自付 {format_yuan(totals['final_selfpay'])} 元")
    if totals["hospital_borne"]:
        print(f"医疗机构承担（目录外费用超过控制比例的部分，不计入个人自付）{format_yuan(totals['hospital_borne'])} 元")
    print(f"结算明细：{claims_path}（{lines:,} 行，金额单位：分）")
    print(f"异常：{rejects_path}（拒绝 {rejected:,} 行，未计入 {t['skipped']:,} 行）")
    print(f"台账：{out / outputs.LEDGER_DIR}（{len(ledgers)} 个工作簿：" + "、".join(p.name for p in ledgers[:6])
          + (" 等" if len(ledgers) > 6 else "") + "）")
    if rss:
        import resource
        peak = max(rss.values()) / 1024
        main_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"峰值内存：工作进程 {peak:,.0f} MB（{len(rss)} 个进程中最大的）；主进程（调度、合并结算ID的桶关系、写出结算明细）{main_peak:,.0f} MB")
    if settings.example:
        print("注意：设置文件为示例数字（example = true），金额不可用于正式报送。")
    print(f"用时 {seconds:.1f} 秒")


__all__ = ["province"]
