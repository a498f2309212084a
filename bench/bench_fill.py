"""`yibao fill` against two baselines that write the same cells with no rules, measured in one run.

    python bench/bench_fill.py                 # 100,000 claims (about 2 minutes)
    python bench/bench_fill.py --rows 1000000  # 1,000,000 claims (skips the openpyxl baseline)

Each contender runs as its own process; wall time and peak RSS (the process's ru_maxrss) are
reported, and the ratios fill/(a) and fill/(b):
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


def make_input(rows: int, region: str = "阳城") -> Path:
    """A synthetic export of ``rows`` claims of ``region`` (samples/make_sample.py's generator), written
    once per size to bench/.cache/ through the splice writer (also used by bench_chain and bench_readers)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{region}_{rows}.xlsx"
    if path.exists():
        return path
    sys.path.insert(0, str(ROOT))
    from openpyxl import Workbook

    from processor.io.xlsx_splice import SheetFill, write_workbook
    from samples.make_sample import HEADERS, claims
    template = CACHE / "export_template.xlsx"
    wb = Workbook()
    ws = wb.active
    ws.title = "结算明细"
    ws.append([f"{region} 结算明细导出（合成数据）"])
    ws.append(HEADERS)
    from openpyxl.styles import Font
    for col, name in enumerate(HEADERS, 1):  # a prototype row with real (styled) cells
        cell = ws.cell(row=3, column=col)
        cell.font = Font(name="宋体")
        if name.endswith("日期"):
            cell.number_format = "yyyy-mm-dd"
    wb.save(template)
    block = claims(region, min(20_000, rows), min(rows, 50_000))

    def gen():
        for i in range(rows):
            r = list(block[i % len(block)])
            r[0] = f"JS{i + 1:09d}"
            yield r
    write_workbook(template, path, {"结算明细": SheetFill(gen(), 3, None)}, force=True)
    return path


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


# A fresh launcher per contender, so that RUSAGE_CHILDREN's ru_maxrss is that contender's own peak.
LAUNCH = (
    "import json, resource, subprocess, sys, time\n"
    "t = time.perf_counter(); p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
    "wall = time.perf_counter() - t; u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
    "print(json.dumps({'rc': p.returncode, 'err': p.stderr[-2000:], 'wall': wall,\n"
    "                  'cpu': u.ru_utime + u.ru_stime, 'rss': u.ru_maxrss}))\n")


def run(cmd: list[str]) -> dict:
    proc = subprocess.run([sys.executable, "-c", LAUNCH, *cmd], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    if r["rc"] != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{r['err']}")
    return {"wall_s": round(r["wall"], 2), "cpu_s": round(r["cpu"], 2), "peak_rss_mb": round(r["rss"] / 1024)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--skip-openpyxl", action="store_true")
    args = ap.parse_args(argv)
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
        print(f"  {name:22s} wall {r['wall_s']:8.2f} s   cpu {r['cpu_s']:8.2f} s   peak RSS {r['peak_rss_mb']:6d} MB")
    fill, b = results["yibao fill"]["wall_s"], results["(b) bare splice"]["wall_s"]
    print(f"  fill / (b) = {fill / b:.2f}   (goal ≤ 1.5)")
    print(f"  fill peak RSS {results['yibao fill']['peak_rss_mb']} MB   (goal at 1,000,000 rows: < 1,024 MB)")
    if not skip_a:
        a = results["(a) openpyxl append"]["wall_s"]
        print(f"  (a) / fill = {a / fill:.2f}   (goal ≥ 5)")
    print(json.dumps(results, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
