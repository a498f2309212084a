"""Cost of one ASSIST cell: the engine (policy lookup, identity resolution, Decimal, trace) against
a bare Python function doing the same arithmetic, measured in one run and reported as a ratio.

    python bench/bench_engine.py [--calls 10000]

Target (issue 2): the engine's cost per call stays under 50 µs on this machine.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def bare_assist(selfpay: float, ytd_selfpay: float, ytd_assist: float) -> float:
    """赣州 低保对象 住院: 75%, no threshold, cap 50,000 — the arithmetic alone, in floats."""
    raw = round(max(0.0, selfpay) * 0.75, 2)
    return min(raw, 50000.0 - ytd_assist)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    os.environ.pop("YIBAO_SETTINGS", None)
    from udf import ASSIST, ASSIST_EXPLAIN
    # a sheet of 10,000 cells: different self-pay per row, Excel floats, several identity spellings
    cats = ["低保户", "低保对象", "五保", "返贫致贫人口", "低保、返贫致贫"]
    rows = [(cats[i % len(cats)], float(100 + (i * 37) % 90000) + 0.5, float((i * 13) % 20000), float((i * 7) % 10000))
            for i in range(args.calls)]
    assert ASSIST("低保户", 10000.0, "赣州", 0, 0, "住院", "2022-06-30") == 7500.0

    def run_engine():
        for cat, s, ys, ya in rows:
            ASSIST(cat, s, "赣州", ys, ya, "住院", 44742.0)

    def run_bare():
        for cat, s, ys, ya in rows:
            bare_assist(s, ys, ya)

    def best(fn):
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    run_engine()  # warm: the policy book loads once here
    t_engine, t_bare = best(run_engine), best(run_bare)
    per_call = t_engine / args.calls * 1e6
    per_bare = t_bare / args.calls * 1e6
    t_explain = best(lambda: [ASSIST_EXPLAIN(c, s, "赣州", ys, ya, "住院", 44742.0) for c, s, ys, ya in rows[:2000]])
    print(f"calls: {args.calls:,} (best of {args.repeat})")
    print(f"ASSIST (engine):        {per_call:8.2f} µs/call")
    print(f"bare float arithmetic:  {per_bare:8.2f} µs/call")
    print(f"ratio engine / bare:    {t_engine / t_bare:8.1f} ×")
    print(f"ASSIST_EXPLAIN:         {t_explain / 2000 * 1e6:8.2f} µs/call")
    print(f"target: engine under 50 µs/call -> {'met' if per_call < 50 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
