"""`yibao province` on this machine: N synthetic claims of one province-year (赣州 2022, eight 统筹区) as
Parquet, through the distributed path (a LocalCluster of --workers processes), then the same totals checked
against ONE plain settle_claims run of a subset of the persons.

    python bench/bench_province.py --rows 1000000                # 1M claims, 2 workers, 64 partitions
    python bench/bench_province.py --rows 20000000 --partitions 256
    python bench/bench_province.py --rows 1000000 --files 12       # the same rows as 12 files (a folder)

The input is generated vectorised (numpy + pyarrow) and cached in bench/.cache/province_<rows>.parquet:
persons re-used across the year (about 20 claims each, amounts up to ~200,000 元, so 大病 and 医疗救助
caps are reached), valid GB 11643 ID numbers, 0.5 % duplicates and 0.5 % reversals. Settings:
settings.example.toml. --files N cuts the same rows into N files of consecutive rows (part-01.parquet …,
a folder given as the input): the settlement order (date, file, row) is then the one file's (date, row), so
the results are the same as with one file. Reported: the CPU seconds of the run (this process's children:
the main process and its worker processes), wall time per stage (from the timestamps of the progress lines), claims/s
overall and per core of the settle stage (rows / Σ task seconds), the peak RSS of the workers (each task
records its process's ru_maxrss) and of the main process, and the subset check.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
SETTINGS = ROOT / "settings.example.toml"
sys.path.insert(0, str(ROOT))

AREAS = ["章贡区", "南康区", "赣县区", "信丰县", "大余县", "上犹县", "崇义县", "安远县"]
AREA_CODES = ["360702", "360703", "360704", "360722", "360723", "360724", "360725", "360726"]
CATEGORIES = ["低保对象", "特困人员", "边缘易致贫人口", "因病支出型困难家庭患者", "", "稳定脱贫人口", "低保对象、边缘易致贫人口"]
KINDS = ["住院", "住院", "住院", "门诊慢特病", "普通门诊"]
WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
CHUNK = 1_000_000
CLAIMS_PER_PERSON = 20


def persons(n: int, rng) -> dict:
    """n persons: ID number (valid check digit), name, category, 统筹区 (the ID's area code)."""
    area = rng.integers(0, len(AREAS), n)
    born = np.datetime64("1940-01-01") + rng.integers(0, 365 * 60, n).astype("timedelta64[D]")
    ymd = np.char.replace(np.datetime_as_string(born, unit="D"), "-", "")
    seq = np.char.zfill((np.arange(n) % 1000).astype(str), 3)
    body = np.char.add(np.char.add(np.array(AREA_CODES)[area], ymd), seq)
    digits = np.frombuffer("".join(body.tolist()).encode(), dtype=np.uint8).reshape(n, 17) - 48
    check = np.array(list("10X98765432"))[(digits * WEIGHTS).sum(axis=1) % 11]
    ids = np.char.add(body, check)
    return {"id": ids, "name": np.char.add("人", np.arange(n).astype(str)), "area": area,
            "category": rng.integers(0, len(CATEGORIES), n)}


def make_input(rows: int, seed: int = 2022) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"province_{rows}.parquet"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    people = persons(max(1, rows // CLAIMS_PER_PERSON), rng)
    n_people = len(people["id"])
    tmp = path.with_suffix(".tmp")
    writer = None
    made = 0
    while made < rows:
        n = min(CHUNK, rows - made)
        base = int(n * 0.99)
        who = rng.integers(0, n_people, base)
        day = rng.integers(0, 365, base)
        policy = np.round(rng.lognormal(8.5, 1.2, base).clip(0, 400_000), 2)
        basic = np.round(policy * rng.uniform(0.3, 0.8, base), 2)
        total = np.round(policy + rng.uniform(0, 3000, base), 2)
        kind = rng.integers(0, len(KINDS), base)
        sid = np.char.add("JS", np.char.zfill(np.arange(made, made + base).astype(str), 11))
        dup = rng.integers(0, base, (n - base) // 2)                   # duplicates: the same row again
        rev = rng.integers(0, base, n - base - len(dup))               # reversals: negated, a few days later
        idx = np.concatenate([np.arange(base), dup, rev])
        sign = np.concatenate([np.ones(base + len(dup)), -np.ones(len(rev))])
        later = np.concatenate([np.zeros(base + len(dup), int), rng.integers(1, 20, len(rev))])
        w = who[idx]
        days = np.minimum(day[idx] + later, 364).astype("int32") + np.int32((np.datetime64("2022-01-01")
                                                                             - np.datetime64("1970-01-01")).astype(int))
        table = pa.table({
            "结算ID": sid[idx], "姓名": people["name"][w], "证件号码": people["id"][w],
            "人员类别": np.array(CATEGORIES)[people["category"][w]], "参保地": np.array(AREAS)[people["area"][w]],
            "医疗类别": np.array(KINDS)[kind[idx]], "结算日期": pa.array(days, pa.date32()),
            "医疗费总额": total[idx] * sign, "符合范围金额": policy[idx] * sign, "统筹基金支出": basic[idx] * sign})
        if writer is None:
            writer = pq.ParquetWriter(str(tmp), table.schema, compression="zstd")
        writer.write_table(table, row_group_size=256_000)
        made += n
        print(f"  生成 {made:,}/{rows:,}", file=sys.stderr)
    writer.close()
    tmp.rename(path)
    return path


def split_input(path: Path, files: int) -> Path:
    """The rows of ``path`` as ``files`` files of consecutive rows, in a folder (cached beside it)."""
    if files <= 1:
        return path
    folder = CACHE / f"{path.stem}_x{files}"
    if folder.is_dir() and len(list(folder.glob("part-*.parquet"))) == files:
        return folder
    folder.mkdir(exist_ok=True)
    pf = pq.ParquetFile(str(path))
    n = pf.metadata.num_rows
    edges = [n * k // files for k in range(files + 1)]
    batches = pf.iter_batches(batch_size=64_000)
    pending, at = None, 0
    for k in range(files):
        with pq.ParquetWriter(str(folder / f"part-{k + 1:02d}.parquet"), pf.schema_arrow, compression="zstd") as w:
            while at < edges[k + 1]:
                if pending is None:
                    pending = next(batches)
                take = min(pending.num_rows, edges[k + 1] - at)
                w.write_batch(pending.slice(0, take))
                pending = pending.slice(take) if take < pending.num_rows else None
                at += take
    return folder


def input_files(path: Path) -> list[Path]:
    return sorted(path.glob("part-*.parquet")) if path.is_dir() else [path]


def run_province(path: Path, out: Path, partitions: int, workers: int) -> tuple[float, list[tuple[float, str]], str]:
    cmd = [sys.executable, "-m", "processor.cli", "province", str(path), "--region", "赣州", "--settings", str(SETTINGS),
           "--out", str(out), "--partitions", str(partitions), "--workers", str(workers), "--restart"]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    lines = []
    for line in proc.stderr:
        lines.append((time.monotonic() - started, line.rstrip()))
        if not line.startswith("分区 ") or "/" in line and line.split("/")[0].endswith(("0", "5")):
            print(f"  [{lines[-1][0]:7.1f}s] {line.rstrip()}", file=sys.stderr)
    stdout = proc.stdout.read()
    proc.wait()
    if proc.returncode:
        raise SystemExit(f"yibao province exit {proc.returncode}:\n{stdout}\n" + "\n".join(t for _, t in lines[-5:]))
    return time.monotonic() - started, lines, stdout


def stage_times(lines, end: float) -> dict:
    def at(prefix):
        return next((t for t, text in lines if text.startswith(prefix)), None)
    t_read = next((t for t, text in lines if text.startswith("读入 ") and "个文件，按人分成" in text), None)
    t_parts, t_tables, t_ledgers = at("计算："), at("写出结算明细"), at("写出 ")
    return {"split": (t_parts or 0) - (t_read or 0), "settle": (t_tables or 0) - (t_parts or 0),
            "parquet": (t_ledgers or 0) - (t_tables or 0), "ledgers": end - (t_ledgers or 0)}


def subset_check(path: Path, out: Path, share: int = 100) -> tuple[int, int, bool]:
    """The persons with crc32(ID) % share == 0: their rows through ONE settle_claims call, per-person totals
    against the province run's 结算明细."""
    import pyarrow.compute as pc

    from processor.book import default_book
    from processor.errors import InputError
    from processor.io.parquet import read_parquet
    from processor.ledgers.compute import PreviousLedger, settle_claims
    from processor.ledgers.normalise import normalise
    from processor.settings import load_settings

    paths = input_files(path)
    ids = pa.concat_arrays([pq.read_table(str(p), columns=["证件号码"]).column(0).combine_chunks()
                            for p in paths]).unique().to_pylist()
    chosen = sorted(i for i in ids if zlib.crc32(i.encode()) % share == 0)
    sub = CACHE / f"subset_{path.stem}.parquet"
    with pq.ParquetWriter(str(sub), pq.ParquetFile(str(paths[0])).schema_arrow) as w:
        for p in paths:  # in file order: (date, row in this file) is (date, file, row) of the run
            pf = pq.ParquetFile(str(p))
            for g in range(pf.num_row_groups):
                t = pf.read_row_group(g)
                w.write_table(t.filter(pc.is_in(t.column("证件号码"), pa.array(chosen))))
    book = default_book()
    region, settings = book.region("赣州"), load_settings(SETTINGS, set(book.regions))
    accepted = []
    for raw in read_parquet(sub).rows:
        try:
            accepted.append(normalise(raw, True))
        except InputError:
            pass
    accepted.sort(key=lambda r: (r.claim.settled_on, r.source_row))  # one file: (date, row) is fill's order
    lines, _rej, _ = settle_claims(accepted, region, settings, PreviousLedger(), {})
    want: dict = {}
    for ln in lines:
        acc = want.setdefault(ln.row.claim.person, [0, 0, 0, 0])
        for i, k in enumerate(("critical", "assist", "tilt", "final_selfpay")):
            acc[i] += getattr(ln.result, k) or 0
    t = pq.read_table(str(out / "结算明细.parquet"),
                      columns=["证件号码", "大病保险（分）", "医疗救助（分）", "倾斜救助（分）", "个人自付（分）"])
    t = t.filter(pc.is_in(t.column("证件号码"), pa.array(chosen)))
    got = {}
    for r in t.group_by("证件号码").aggregate([(c, "sum") for c in t.column_names[1:]]).to_pylist():
        got[r["证件号码"]] = [r["大病保险（分）_sum"], r["医疗救助（分）_sum"], r["倾斜救助（分）_sum"], r["个人自付（分）_sum"]]
    return len(chosen), len(lines), got == want


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=20_000_000)
    ap.add_argument("--partitions", type=int, default=64)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--files", type=int, default=1, help="the rows as N input files of consecutive rows (a folder)")
    args = ap.parse_args()
    t0 = time.monotonic()
    path = split_input(make_input(args.rows), args.files)
    size = sum(p.stat().st_size for p in input_files(path))
    print(f"输入 {path}（{len(input_files(path))} 个文件，{size / 2**20:,.0f} MB，生成/读取缓存 {time.monotonic() - t0:.1f} 秒）")
    out = CACHE / f"province_out_{args.rows}"
    import resource
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, lines, stdout = run_province(path, out, args.partitions, args.workers)
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    print(stdout)
    parts = [json.loads(p.read_text()) for p in sorted((out / "_work").glob("part-*.json"))]
    task_s = sum(p["seconds"] for p in parts)
    rows = sum(p["rows"] for p in parts)
    rss = max(p["maxrss_kb"] for p in parts) / 1024
    st = stage_times(lines, wall)
    print(f"行数 {args.rows:,}，分区 {len(parts)}，工作进程 {args.workers}；总用时 {wall:,.1f} 秒（{args.rows / wall:,.0f} 条/秒）")
    print("各阶段用时（秒）：" + "，".join(f"{k} {v:,.1f}" for k, v in st.items()))
    print(f"CPU 合计（主进程与工作进程）{cpu:,.1f} 秒 / 墙钟 {wall:,.1f} 秒")
    splits = [json.loads(p.read_text()) for p in sorted((out / "_work").glob("split-*.json"))]
    if splits:  # the split on the workers: one task per input file
        print(f"读入与分区：{len(splits)} 个任务，CPU 合计 {sum(s.get('cpu', 0) for s in splits):,.1f} 秒，"
              f"任务用时合计 {sum(s['seconds'] for s in splits):,.1f} 秒")
    print(f"结算阶段：{rows:,} 条 / 任务用时合计 {task_s:,.1f} 秒 = 每核 {rows / task_s:,.0f} 条/秒；"
          f"墙钟 {st['settle']:,.1f} 秒（{rows / max(st['settle'], 1e-9):,.0f} 条/秒）")
    print(f"工作进程峰值内存（任务记录的 ru_maxrss 最大值）{rss:,.0f} MB")
    t1 = time.monotonic()
    n_persons, n_lines, same = subset_check(path, out)
    print(f"对照：{n_persons:,} 人（{n_lines:,} 条）单进程 settle_claims 的每人合计与分区运行"
          f"{'完全相同' if same else '不同！'}（{time.monotonic() - t1:.1f} 秒）")
    if not same:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
