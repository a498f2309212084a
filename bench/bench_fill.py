"""`yibao fill` against two baselines that write the same cells with no rules, measured in one run.

    python bench/bench_fill.py                 # 100,000 claims (about 2 minutes)
    python bench/bench_fill.py --rows 1000000  # 1,000,000 claims (skips the openpyxl baseline)

Each contender runs as its own process; wall time and peak RSS (the process's ru_maxrss) are
reported, and the ratios fill/(a) and fill/(b). Each runs twice: timed, then sampled for the PSS of its whole
process tree (``--no-tree`` skips the second run); the project's modules are compiled to bytecode first, as
`pip install` compiles them:
  fill  `yibao fill 医疗救助台账 INPUT --region 阳城` (safety scan, streamed read, normalise, claim store,
        rules, write, sheets: constant memory, docs/scale.md)
  (a)   read the export with calamine, then openpyxl: load the styled template, `ws.append` the
        ledger's cells (24 columns) row by row, save
  (b)   read the export with calamine, then the bare XML splice of the same 24 columns into the
        template (no rules, no other sheets)
Goals (issues 3 and 12): fill ≤ 1.5 × (b), fill ≥ 5 × faster than (a), 1M claims under 1 GB peak RSS.
(b) reads with calamine's whole-sheet load (2.2 GB at 1M rows), which fill no longer uses: the
difference between the two readers is in docs/scale.md and bench/bench_readers.py.
The synthetic input is made once per size in bench/.cache/ (not committed).

    python bench/bench_fill.py --previous --rows 1000000   # a December with and without last month's ledger

``--previous`` (issue 12: 1M claims within 1 GB end to end, also with --previous): N claims settled 1 January –
30 November are made into a ledger by `yibao fill` itself, then a December of N claims of the same N/5 persons,
1 in 100 reversing a settlement of that ledger, is filled with and without ``--previous LEDGER``. Peak RSS is
the largest process's; "all processes together" is the largest sampled sum of PSS of fill and its reader and
renderer processes. Measured on 2 cores under other load (walls are not comparable; CPU and memory are):
    rows       --previous   before (9f69f1f): wall / CPU / peak    after (8302245): wall / CPU / peak (all)
    100,000    without       20.2 s /  11.9 s /   113 MB            10.1 s /  10.0 s / 105 MB (113 MB)
    100,000    with          28.9 s /  27.0 s /   169 MB            18.2 s /  17.8 s / 136 MB (145 MB)
    1,000,000  without        197 s /   137 s /   589 MB             609 s /   127 s / 547 MB (550 MB)
    1,000,000  with           564 s /   303 s / 1,203 MB             469 s /   208 s / 876 MB (883 MB)
(docs/scale.md says what changed between the two.)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
SETTINGS = ROOT / "settings.example.toml"


def _export_template(region: str) -> Path:
    """An export's first sheet as the splice writer's template: a title row, the header, a styled prototype row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from samples.make_sample import HEADERS
    template = CACHE / "export_template.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "结算明细"
    ws.append([f"{region} 结算明细导出（合成数据）"])
    ws.append(HEADERS)
    for col, name in enumerate(HEADERS, 1):  # a prototype row with real (styled) cells
        cell = ws.cell(row=3, column=col)
        cell.font = Font(name="宋体")
        if name.endswith("日期"):
            cell.number_format = "yyyy-mm-dd"
    wb.save(template)
    return template


def _write_export(path: Path, rows, region: str) -> None:
    from processor.io.xlsx_splice import SheetFill, write_workbook
    write_workbook(_export_template(region), path, {"结算明细": SheetFill(rows, 3, None)}, force=True)


def make_input(rows: int, region: str = "阳城") -> Path:
    """A synthetic export of ``rows`` claims of ``region`` (samples/make_sample.py's generator), written
    once per size to bench/.cache/ through the splice writer (also used by bench_chain and bench_readers)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{region}_{rows}.xlsx"
    if path.exists():
        return path
    sys.path.insert(0, str(ROOT))
    from samples.make_sample import claims
    block = claims(region, min(20_000, rows), min(rows, 50_000))

    def gen():
        for i in range(rows):
            r = list(block[i % len(block)])
            r[0] = f"JS{i + 1:09d}"
            yield r
    _write_export(path, gen(), region)
    return path


REVERSE_EVERY = 100  # one claim in 100 of the month reverses a settlement of last month's ledger
PERSON_EVERY = 5     # claims per person in each of the two periods (1,000,000 claims: 200,000 persons)


def make_months(rows: int, region: str = "阳城") -> tuple[Path, Path]:
    """A year of ``rows`` claims settled 1 January – 30 November and a December of ``rows`` claims of the
    same persons (``rows`` // 5 of them), one in 100 of December's reversing one of the earlier settlements
    (the same 结算ID, person and amounts, negated: what fill takes off the year). Both made once in
    bench/.cache/; the earlier ledger is then made from the first by `yibao fill` itself (see
    :func:`make_previous`). Claims are samples/make_sample.py's, each given a person of the pool and a
    date of its period (admission and discharge moved with it)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    earlier, month = CACHE / f"{region}_1-11月_{rows}.xlsx", CACHE / f"{region}_12月_{rows}.xlsx"
    if earlier.exists() and month.exists():
        return earlier, month
    import random
    from datetime import date, timedelta
    sys.path.insert(0, str(ROOT))
    from samples.make_sample import REGIONS, claims
    year = REGIONS[region]["year"]
    people = max(rows // PERSON_EVERY, 1)
    persons = [tuple(r[1:6]) for r in claims(region, people, people, seed=7)]  # 姓名 … 村（居）
    block = claims(region, min(20_000, rows), min(rows, 50_000))
    rng = random.Random(12)
    jan1, dec1 = date(year, 1, 1), date(year, 12, 1)
    reversed_rows: list[list] = []

    def claim(i: int, first: date, days: int) -> list:
        r = list(block[i % len(block)])
        r[0] = f"JS{year}{i + 1:08d}"
        r[1:6] = persons[rng.randrange(people)]
        on = first + timedelta(days=rng.randrange(days))
        shift = on - r[12]
        r[10] = r[10] + shift if r[10] else r[10]
        r[11] = r[11] + shift if r[11] else r[11]
        r[12] = on
        return r

    def earlier_rows():
        for i in range(rows):
            r = claim(i, jan1, (dec1 - jan1).days)
            if i % REVERSE_EVERY == REVERSE_EVERY // 2:
                reversed_rows.append(r)
            yield r

    def december_rows():
        for i in range(rows):
            if i % REVERSE_EVERY == REVERSE_EVERY // 2 and reversed_rows:
                r = list(reversed_rows.pop())
                for k in (13, 14, 15, 16, 17):  # 医疗费总额, 全自费金额, 符合范围金额, 统筹基金支出, 目录外费用
                    r[k] = -r[k] if r[k] else r[k]
                r[12] = dec1 + timedelta(days=rng.randrange(31))  # 入院/出院 stay the original's
                yield r
            else:
                yield claim(rows + i, dec1, 31)
    _write_export(earlier, earlier_rows(), region)
    _write_export(month, december_rows(), region)
    return earlier, month


def make_previous(rows: int, region: str = "阳城") -> tuple[Path, Path, dict | None]:
    """(last month's ledger, this month's export, the figures of the `yibao fill` that made the ledger
    or None if it was made before)."""
    earlier, month = make_months(rows, region)
    ledger = CACHE / f"{region}_1-11月_{rows}_台账.xlsx"
    made = None
    if not ledger.exists():
        made = run(_fill_cmd(earlier, ledger, region))
    return ledger, month, made


def _fill_cmd(inp: Path, out: Path, region: str = "阳城", previous: Path | None = None) -> list[str]:
    return ([sys.executable, "-m", "processor.cli", "fill", "医疗救助台账", str(inp), "--region", region,
             "--settings", str(SETTINGS), "--out", str(out), "--force", "--quiet"]
            + (["--previous", str(previous)] if previous else []))


BASELINE = r'''
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from python_calamine import CalamineWorkbook
from xlsx_templates.build import LEDGER_COLUMNS, template_path
cols = LEDGER_COLUMNS["医疗救助待遇台账"]
with CalamineWorkbook.from_path({inp!r}) as wb:
    grid = wb.get_sheet_by_name(wb.sheet_names[0]).to_python()
body = grid[2:]
def rows():
    for i, r in enumerate(body, 1):
        # the ledger's 24 cells, filled from the export's 19 without any rule
        yield [i, r[0], r[1], r[2], r[4], r[5], r[3], r[3], r[6], r[8], r[10] or None, r[11] or None, r[12],
               r[13], r[15], r[16], r[16], r[18] or 0, None, r[14], r[14], 0, "", ""]
if {mode!r} == "openpyxl":
    from openpyxl import load_workbook
    wb = load_workbook(template_path("医疗救助待遇台账"))
    ws = wb["台账"]
    ws.delete_rows(5, 2)
    for r in rows():
        ws.append(r)
    wb.save({out!r})
else:
    from processor.io.xlsx_splice import SheetFill, write_workbook
    write_workbook(template_path("医疗救助待遇台账"), Path({out!r}), {{"台账": SheetFill(rows(), 5, 6)}}, force=True)
'''


# A fresh launcher per contender, so that RUSAGE_CHILDREN's ru_maxrss is that contender's own peak. That is
# the largest single process's: fill may parse a sheet or render the 台账 in a second process
# (processor/io/sheet_process.py, render_process.py) at the same time, so a second run of each contender
# samples the whole process tree (Linux /proc, every 50 ms) and reports the largest sum ("tree"). It sums PSS,
# not RSS: a child between fork and exec shares every page of its parent, and RSS would count them twice.
# The sampling is not in the timed run: reading smaps_rollup walks the page tables of processes that are using
# both cores, and slowed fill by 0.1–0.35 s of 3.9 (three runs each way, 100,000 rows) and a one-process
# contender hardly at all.
LAUNCH = (
    "import json, os, resource, subprocess, sys, threading, time\n"
    "def tree(pid):\n"
    "    try:\n"
    "        with open(f'/proc/{pid}/smaps_rollup') as f: kb = next(int(l.split()[1]) for l in f if l.startswith('Pss:'))\n"
    "        with open(f'/proc/{pid}/task/{pid}/children') as f: kids = f.read().split()\n"
    "    except (OSError, StopIteration, ValueError): return 0\n"
    "    return kb + sum(tree(int(k)) for k in kids)\n"
    "sampled = sys.argv[1] == 'sampled'\n"
    "t = time.perf_counter(); p = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)\n"
    "top = [0]\n"
    "def sample():\n"
    "    while sampled and p.poll() is None:\n"
    "        top[0] = max(top[0], tree(p.pid)); time.sleep(0.05)\n"
    "th = threading.Thread(target=sample, daemon=True); th.start()\n"
    "out, err = p.communicate(); th.join()\n"
    "wall = time.perf_counter() - t; u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'rc': p.returncode, 'err': err[-2000:], 'wall': wall,\n"
    "                  'cpu': u.ru_utime + u.ru_stime, 'rss': u.ru_maxrss, 'tree': top[0]}))\n")


def _launch(cmd: list[str], sampled: bool) -> dict:
    proc = subprocess.run([sys.executable, "-c", LAUNCH, "sampled" if sampled else "timed", *cmd], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    if r["rc"] != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r['err']}")
    return r


def run(cmd: list[str]) -> dict:
    """Wall, CPU and the largest process's peak RSS from a timed run; the process tree's peak PSS from a
    second, sampled run (see LAUNCH), unless ``--no-tree``."""
    r = _launch(cmd, sampled=False)
    tree = _launch(cmd, sampled=True)["tree"] if SAMPLE_TREE else None
    return {"wall_s": round(r["wall"], 2), "cpu_s": round(r["cpu"], 2), "peak_rss_mb": round(r["rss"] / 1024),
            "tree_rss_mb": None if tree is None else round(tree / 1024)}


SAMPLE_TREE = True


def compile_bytecode() -> None:
    """Compile the project's modules once, as `pip install` does for an installed yibao. A source tree run
    with PYTHONDONTWRITEBYTECODE (this machine sets it) would otherwise compile every module in every
    process of every run: about 0.06 s of the main process's start (`python -X importtime`), and as much in
    each of its reader and renderer processes; the baselines import openpyxl and calamine compiled."""
    import compileall
    for package in ("processor", "xlsx_templates"):
        compileall.compile_dir(str(ROOT / package), quiet=1)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--skip-openpyxl", action="store_true")
    ap.add_argument("--previous", action="store_true",
                    help="a December with last month's ledger (January–November, as many rows) against without it")
    ap.add_argument("--no-tree", action="store_true",
                    help="skip the second, sampled run of each contender (the process tree's PSS)")
    args = ap.parse_args(argv)
    global SAMPLE_TREE
    SAMPLE_TREE = not args.no_tree
    compile_bytecode()
    if args.previous:
        return main_previous(args.rows)
    skip_a = args.skip_openpyxl or args.rows > 200_000
    t = time.perf_counter()
    inp = make_input(args.rows)
    print(f"input: {inp.name} ({inp.stat().st_size / 1e6:.1f} MB, made in {time.perf_counter() - t:.0f} s)")
    out = CACHE / "out"
    out.mkdir(exist_ok=True)
    results = {}
    results["(b) bare splice"] = run([sys.executable, "-c", BASELINE.format(root=str(ROOT), inp=str(inp), mode="splice",
                                                                          out=str(out / "b.xlsx"))])
    results["yibao fill"] = run([sys.executable, "-m", "processor.cli", "fill", "医疗救助台账", str(inp), "--region", "阳城",
                                 "--settings", str(SETTINGS), "--out", str(out / "fill.xlsx"), "--force", "--quiet"])
    if not skip_a:
        results["(a) openpyxl append"] = run([sys.executable, "-c", BASELINE.format(
            root=str(ROOT), inp=str(inp), mode="openpyxl", out=str(out / "a.xlsx"))])
    print(f"rows: {args.rows:,}")
    for name, r in results.items():
        print(f"  {name:22s} wall {r['wall_s']:8.2f} s   cpu {r['cpu_s']:8.2f} s   peak RSS {r['peak_rss_mb']:6d} MB"
              f"   (all processes together, PSS {_mb(r['tree_rss_mb'])})")
    fill, b = results["yibao fill"]["wall_s"], results["(b) bare splice"]["wall_s"]
    print(f"  fill / (b) = {fill / b:.2f}   (goal ≤ 1.5)")
    print(f"  fill peak RSS {results['yibao fill']['peak_rss_mb']} MB   (goal at 1,000,000 rows: < 1,024 MB)")
    if not skip_a:
        a = results["(a) openpyxl append"]["wall_s"]
        print(f"  (a) / fill = {a / fill:.2f}   (goal ≥ 5)")
    print(json.dumps(results, ensure_ascii=False))
    return 0


def main_previous(rows: int) -> int:
    """``--previous``: `yibao fill` of a December of ``rows`` claims with --previous (the January–November
    ledger of ``rows`` settlements of the same persons) and without it, each in its own process."""
    t = time.perf_counter()
    ledger, month, made = make_previous(rows)
    print(f"inputs: {month.name} ({month.stat().st_size / 1e6:.1f} MB), {ledger.name} "
          f"({ledger.stat().st_size / 1e6:.1f} MB), made in {time.perf_counter() - t:.0f} s")
    out = CACHE / "out"
    out.mkdir(exist_ok=True)
    results = {}
    if made:
        results["fill 1–11月 (makes --previous)"] = made
    results["fill 12月"] = run(_fill_cmd(month, out / "dec.xlsx"))
    results["fill 12月 --previous"] = run(_fill_cmd(month, out / "dec_prev.xlsx", previous=ledger))
    print(f"rows: {rows:,} (--previous: {rows:,} settlements, {max(rows // PERSON_EVERY, 1):,} persons' pool)")
    for name, r in results.items():
        print(f"  {name:30s} wall {r['wall_s']:8.2f} s   cpu {r['cpu_s']:8.2f} s   peak RSS {r['peak_rss_mb']:6d} MB"
              f"   (all processes together, PSS {_mb(r['tree_rss_mb'])})")
    print(f"  fill --previous peak RSS {results['fill 12月 --previous']['peak_rss_mb']} MB   "
          f"(goal at 1,000,000 rows: < 1,000 MB)")
    print(json.dumps(results, ensure_ascii=False))
    return 0


def _mb(value: int | None) -> str:
    return "not sampled" if value is None else f"{value:6d} MB"


if __name__ == "__main__":
    sys.exit(main())
