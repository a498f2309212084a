"""Stage 2: one partition's claims through processor.ledgers.compute.settle_claims — the task that runs in
this process, on a local Dask cluster or on a province's workers alike.

In a partition the claims are settled in (settlement date, source file order, source row) order, as
`yibao fill` settles one file's (date, row). Its results go to DIR/_work/:

    part-NNNNN.parquet          结算明细 rows of its settled claims (claims.schema), in settlement order
    rejects-NNNNN.parquet       the rows settle_claims rejected (duplicates, reversals without original …)
    lines-NNNNN-<统筹区>.pkl     the ledger's Line objects per 统筹区, in settlement order (pickled blocks)
    part-NNNNN.json             its counts and totals — written last, by rename: present ⇒ complete

Every file is written under a temporary name and renamed, the .json last, so a partition whose .json is
present is complete and a restart skips it; a partition cut short leaves only temporary files, removed
when it is redone.
"""
from __future__ import annotations

import hashlib
import json
import os
import resource
import time
from pathlib import Path

from ..book import default_book
from ..ledgers.compute import PreviousLedger, settle_claims
from ..settings import parse_settings
from . import store
from .claims import REJECTED, BlockWriter, record, reject_schema, schema, text_context
from .split import read_bucket

LINES_BLOCK = 1_000
_CONTEXT: dict = {}
FUNDS = ("critical", "assist", "tilt", "final_selfpay", "hospital_borne")


def area_key(area: str) -> str:
    return hashlib.sha1(area.encode("utf-8")).hexdigest()[:12]


def done_path(work: Path, part: int) -> Path:
    return work / f"part-{part:05d}.json"


def lines_path(work: Path, part: int, area: str) -> Path:
    return work / f"lines-{part:05d}-{area_key(area)}.pkl"


def _context(job: dict):
    key = (job["region"], job["settings_text"], job["settings_path"])
    ctx = _CONTEXT.get(key)
    if ctx is None:
        book = default_book()
        settings = parse_settings(job["settings_text"] or "", job["settings_path"] or None, set(book.regions))
        ctx = _CONTEXT[key] = (book.region(job["region"]), settings)
    return ctx


def settle_partition(work: str, part: int, buckets: list[int], job: dict) -> dict:
    """Settle one partition and write its results (module docstring). Returns its counts (small)."""
    started = time.monotonic()
    work = Path(work)
    for stale in work.glob(f".*-{part:05d}*.tmp"):  # left by an earlier attempt cut short
        stale.unlink()
    rows = [t for b in buckets for t in read_bucket(work, b)]
    rows.sort(key=lambda t: (t[2].claim.settled_on, t[0], t[2].source_row))
    accepted = [t[2] for t in rows]
    region, settings = _context(job)
    lines, rejected, _states = settle_claims(accepted, region, settings, PreviousLedger(), {})
    names = job["names"]
    ctx = text_context(region)

    tmp: list[tuple[Path, Path]] = []

    def temp(final: Path) -> Path:
        t = work / f".{final.name}.{os.getpid()}.tmp"
        tmp.append((t, final))
        return t

    claims_out = BlockWriter(temp(work / f"part-{part:05d}.parquet"), schema())
    rejects_out = BlockWriter(temp(work / f"rejects-{part:05d}.parquet"), reject_schema())
    areas: dict[str, dict] = {}
    held: dict[str, list] = {}
    files: dict[str, tuple] = {}
    totals = dict.fromkeys(FUNDS, 0)

    def flush(area: str) -> None:
        fh = files[area][0]
        store.dump(held[area], fh)
        held[area] = []

    li = ri = 0
    for fi, area, row in rows:  # each row is either the next line or the next rejection (settle_claims' order)
        if li < len(lines) and lines[li].row is row:
            line = lines[li]
            li += 1
            claims_out.add(record(line, names[fi], area, ctx))
            s, on = line.result, row.claim.settled_on
            a = areas.get(area)
            if a is None:
                a = areas[area] = {"lines": 0, "first": None, "last": None, "totals": dict.fromkeys(FUNDS, 0)}
            if area not in files:
                t = temp(lines_path(work, part, area))
                files[area] = (open(t, "wb"), t)
                held[area] = []
            a["lines"] += 1
            day = on.isoformat()
            a["first"] = day if a["first"] is None else min(a["first"], day)
            a["last"] = day if a["last"] is None else max(a["last"], day)
            for k in FUNDS:
                amount = getattr(s, k) or 0
                a["totals"][k] += amount
                totals[k] += amount
            held[area].append(((on.toordinal(), fi, row.source_row), line))
            if len(held[area]) >= LINES_BLOCK:
                flush(area)
        else:
            r = rejected[ri]
            ri += 1
            rejects_out.add((names[fi], r.source_row, r.settlement_id, r.name, area, REJECTED, r.reason))
            areas.setdefault(area, {"lines": 0, "first": None, "last": None, "totals": dict.fromkeys(FUNDS, 0)})
    assert li == len(lines) and ri == len(rejected), "settle_claims returned rows out of order"
    for area in files:
        flush(area)
        files[area][0].close()
    claims_out.close()
    rejects_out.close()
    for t, final in tmp:
        os.replace(t, final)
    result = {"part": part, "buckets": buckets, "rows": len(rows), "lines": len(lines), "rejected": len(rejected),
              "areas": areas, "totals": totals, "seconds": round(time.monotonic() - started, 3),
              "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "pid": os.getpid()}
    final = done_path(work, part)
    t = work / f".{final.name}.{os.getpid()}.tmp"
    t.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    os.replace(t, final)
    return result


def read_lines(path: Path):
    """The (sort key, Line) pairs of one lines file, block by block."""
    return store.load_all(path)


__all__ = ["settle_partition", "read_lines", "done_path", "lines_path", "area_key", "FUNDS"]
