"""`yibao enrol` + `yibao compare` end to end against a bare pandas merge of the same files, in one run.

    python bench/bench_enrol.py                   # 211,841 roster rows × 200,293 payment records (西秀, 2022)
    python bench/bench_enrol.py --people 20000    # a smaller run

Inputs come from samples/make_enrolment_sample.py (seeded) into bench/.cache/ (not committed).
Each contender runs in its own process; wall time and peak RSS (ru_maxrss of that process) are reported:
  enrol    `yibao enrol ROSTERS… --payments P --region 西秀 --year 2022 --out DIR` (read, rules, 5 workbooks)
  compare  `yibao compare ROSTERS… --payments P --region 西秀 --out DIR` (read, 比对, one workbook per department)
  both     `yibao enrol … --compare DIR2`: the same nine workbooks in one run, the inputs read once
  merge    pandas.read_excel(engine="calamine") of the same files, concat, merge on 证件号码 (no rules, no writing)
Goal (issue 8): everything written within 5 × merge, under 1 GB peak. No assertions: figures only.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
SETTINGS = ROOT / "settings.example.toml"

_MEASURE = """
import json, resource, subprocess, sys, time
t = time.monotonic()
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode
print(json.dumps({"rc": rc, "seconds": time.monotonic() - t,
                  "peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
"""

_MERGE = """
import sys, pandas as pd
rosters = pd.concat([pd.read_excel(p, engine="calamine", header=1, dtype={"证件号码": str}) for p in sys.argv[2:]])
pays = pd.read_excel(sys.argv[1], engine="calamine", dtype={"证件号码": str})
m = rosters.merge(pays, on="证件号码", how="left")
print(len(rosters), len(pays), len(m))
"""


def measure(argv: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", _MEASURE, *argv], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=197_000)
    a = ap.parse_args()
    folder = CACHE / f"enrol_{a.people}"
    if not folder.exists():
        sys.path.insert(0, str(ROOT))
        sys.path.insert(0, str(ROOT / "samples"))
        from make_enrolment_sample import make
        make("西秀", a.people, folder)
    rosters = sorted(str(p) for p in folder.glob("西秀_认定名单_*.xlsx"))
    pays = str(folder / "西秀_缴费记录.xlsx")
    sys.path.insert(0, str(ROOT))
    from processor.io.headers import PAYMENT_COLUMNS, ROSTER_COLUMNS
    from processor.io.reader import read_export
    n_roster = sum(len(read_export(p, columns=ROSTER_COLUMNS).rows) for p in rosters)
    n_pay = len(read_export(pays, columns=PAYMENT_COLUMNS).rows)
    out = CACHE / "enrol_out"
    shutil.rmtree(out, ignore_errors=True)
    yibao = [sys.executable, "-m", "processor.cli"]
    results = {
        "merge": measure([sys.executable, "-c", _MERGE, pays, *rosters]),
        "enrol": measure([*yibao, "enrol", *rosters, "--payments", pays, "--region", "西秀", "--year", "2022",
                          "--settings", str(SETTINGS), "--out", str(out / "enrol"), "--quiet", "--force"]),
        "compare": measure([*yibao, "compare", *rosters, "--payments", pays, "--region", "西秀",
                            "--out", str(out / "compare"), "--quiet", "--force"]),
        "both": measure([*yibao, "enrol", *rosters, "--payments", pays, "--region", "西秀", "--year", "2022",
                         "--settings", str(SETTINGS), "--out", str(out / "both_enrol"),
                         "--compare", str(out / "both_compare"), "--quiet", "--force"]),
    }
    print(f"roster rows {n_roster:,}, payment records {n_pay:,}")
    for k, r in results.items():
        print(f"{k:8s} {r['seconds']:7.1f} s  peak {r['peak_mb']:7.0f} MB  rc={r['rc']}")
    both = results["enrol"]["seconds"] + results["compare"]["seconds"]
    print(f"(enrol + compare) / merge = {both / results['merge']['seconds']:.2f}")
    print(f"(enrol --compare) / merge = {results['both']['seconds'] / results['merge']['seconds']:.2f}  (goal ≤ 5)")


if __name__ == "__main__":
    main()
