"""reconcile vs fill on the same export, in one run: wall time ratio and peak RSS.

    python bench/bench_reconcile.py [--rows 100000] [--region 阳城]
"""
from __future__ import annotations

import argparse
import contextlib
import io
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "samples"))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--region", default="阳城")
    args = ap.parse_args(argv)
    import make_sample
    from processor.cli import main as cli
    with tempfile.TemporaryDirectory() as tmp:
        export = Path(tmp) / "export.xlsx"
        make_sample.write(export, args.region, make_sample.claims(args.region, min(400, args.rows), args.rows),
                          specials=False)
        make_sample.with_paid(export, args.region)
        settings = str(ROOT / "settings.example.toml")
        times = {}
        for name, argv_ in (("fill", ["fill", "医疗救助台账", str(export), "--region", args.region, "--out",
                                      str(Path(tmp) / "f.xlsx"), "--settings", settings, "--quiet"]),
                            ("reconcile", ["reconcile", str(export), "--region", args.region, "--out",
                                           str(Path(tmp) / "r.xlsx"), "--settings", settings, "--quiet"])):
            t = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                assert cli(argv_) == 0
            times[name] = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{args.rows:,} 行：fill {times['fill']:.1f} 秒，reconcile {times['reconcile']:.1f} 秒，"
          f"比值 {times['reconcile'] / times['fill']:.2f}（目标 ≤ 1.5）；峰值内存 {rss:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
