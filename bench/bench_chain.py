"""The per-claim chain of `yibao fill`, measured alone: µs per claim for (a) normalise (raw row → ClaimRow)
and (b) settle_claims (the claims in settlement order through processor/chain.py), per region.

    python bench/bench_chain.py                    # 20,000 claims per region, best of 5
    python bench/bench_chain.py --rows 100000 --profile settle --region 阳城
    python bench/bench_chain.py --profile normalise --top 25

The input is the bundled synthetic generator (samples/make_sample.py `claims`) written once per region
and size to bench/.cache/<地区>_<rows>.xlsx and read back through the real reader (processor.io.reader),
so the raw rows are exactly what `yibao fill` normalises. Settings: settings.example.toml. Nothing is
asserted on time: figures are printed. Issue 12 item 2's goal, ≤ 10 µs a claim, is read as the chain's: (b)
settle_claims, with the collector off as `yibao fill` runs it (the figure in brackets); normalise, the
reading side, is reported beside it (docs/scale.md, 计算链的成本).
"""
from __future__ import annotations

import argparse
import cProfile
import gc
import io
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
SETTINGS = ROOT / "settings.example.toml"
REGIONS = ("阳城", "赣州", "西秀", "龙岩")
sys.path.insert(0, str(ROOT))


def make_input(region: str, rows: int) -> Path:
    """A synthetic export of ``rows`` claims of ``region`` (bench_fill.make_input, written once)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_fill import make_input as make
    return make(rows, region)


def load(region: str, rows: int):
    from processor.book import default_book
    from processor.io.reader import read_export
    from processor.settings import load_settings
    book = default_book()
    table = read_export(make_input(region, rows))
    settings = load_settings(SETTINGS, known_regions=book.regions)
    return table, book.regions[region], settings


def run_normalise(table):
    from processor.errors import InputError
    from processor.ledgers.normalise import normalise
    has_kind = "kind" in table.mapping.values()
    accepted, rejected = [], 0
    for raw in table.rows:
        try:
            accepted.append(normalise(raw, has_kind))
        except InputError:
            rejected += 1
    accepted.sort(key=lambda r: (r.claim.settled_on, r.source_row))
    return accepted, rejected


def run_settle(accepted, region, settings):
    from processor.ledgers.compute import PreviousLedger, settle_claims
    return settle_claims(accepted, region, settings, PreviousLedger(), {})


def _fresh_caches() -> None:
    """Each timed run starts cold, as one `yibao fill` process does: the policy views (and the memo
    and alias caches they hold) are made again."""
    from processor import book
    book._view.cache_clear()
    book._VERSION_CACHES.clear()
    book._IN_FORCE.clear()


def timed(fn, repeat: int, collect: bool = True) -> tuple[float, object]:
    """Best CPU time of the process over ``repeat`` runs (CPU, not wall: the machine is shared). ``collect=False``: with the cyclic garbage collector off, i.e.
    the work itself without the collections its allocations trigger (shown beside, as a diagnostic)."""
    best, out = float("inf"), None
    for _ in range(repeat):
        _fresh_caches()
        out = None
        gc.collect()
        if not collect:
            gc.disable()
        try:
            t = time.process_time()
            out = fn()
            best = min(best, time.process_time() - t)
        finally:
            gc.enable()
    return best, out


def profile(fn, top: int) -> str:
    """cProfile with the collector off: a collection's time would land on whichever function allocated."""
    _fresh_caches()
    gc.collect()
    gc.disable()
    pr = cProfile.Profile()
    pr.enable()
    try:
        fn()
    finally:
        pr.disable()
        gc.enable()
    buf = io.StringIO()
    st = pstats.Stats(pr, stream=buf).strip_dirs().sort_stats("tottime")
    st.print_stats(top)
    return buf.getvalue()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=20_000)
    ap.add_argument("--region", action="append", choices=REGIONS)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--profile", choices=("normalise", "settle", "both"))
    ap.add_argument("--top", type=int, default=20)
    args = ap.parse_args(argv)
    regions = args.region or REGIONS
    print(f"{args.rows:,} claims per region, best of {args.repeat}; CPU µs per claim (rows read);"
          " in brackets: the same with the garbage collector off")
    print(f"{'region':<6} {'normalise':>16} {'settle':>16} {'sum':>16}   accepted / rejected by normalise / "
          "by settle")
    for name in regions:
        table, region, settings = load(name, args.rows)
        n = len(table.rows)
        t_norm, (accepted, rej) = timed(lambda: run_normalise(table), args.repeat)
        g_norm, _ = timed(lambda: run_normalise(table), args.repeat, collect=False)
        t_settle, (lines, rejected, _states) = timed(lambda: run_settle(accepted, region, settings), args.repeat)
        g_settle, _ = timed(lambda: run_settle(accepted, region, settings), args.repeat, collect=False)
        un, us, gn, gs = (x / n * 1e6 for x in (t_norm, t_settle, g_norm, g_settle))
        print(f"{name:<6} {un:>7.2f} ({gn:>6.2f}) {us:>7.2f} ({gs:>6.2f}) {un + us:>7.2f} ({gn + gs:>6.2f})"
              f"   {len(accepted)} / {rej} / {len(rejected)}")
        if args.profile in ("normalise", "both"):
            print(profile(lambda: run_normalise(table), args.top))
        if args.profile in ("settle", "both"):
            print(profile(lambda: run_settle(accepted, region, settings), args.top))
        del table, accepted, lines, rejected, _states  # the next region starts from the same heap
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
