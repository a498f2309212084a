"""Stage 1: stream the inputs once, normalise every row, and write each claim to its partition's file.

A claim's bucket is a stable hash of its NORMALISED person key (ClaimRow.claim.person: the GB 11643
checked ID, or the typed document / 人员编号 key) — zlib.crc32, never Python's salted hash(), so a
restart, another machine and another worker agree. Everything settle_claims carries from row to row is
keyed by person or by 结算ID, so buckets that share a 结算ID (a duplicate or a reversal under another
ID number) are merged into one partition — the generalisation of processor.ledgers.compute.partitions()
(union-find over persons) to union-find over buckets, found without holding every 结算ID in memory:
each claim's (64-bit hash of 结算ID, bucket) goes to one of 16 spill files by the hash's top bits, and
each spill file is then sorted on its own. A hash collision can only merge two buckets that need not be
(never split two that must not be): the result is the same, the partition larger.

Memory: at most BUFFER_ROWS claims are held before a block is appended to its bucket file (pickle), and
the spill arrays are flushed every SPILL_ROWS claims. The input files themselves are read by the one
reader (Parquet in record batches; CSV/xlsx by processor.io.reader).
"""
from __future__ import annotations

import hashlib
import time
import zlib
from pathlib import Path

from ..errors import InputError
from ..ledgers.normalise import normalise
from . import store
from .claims import NOT_COUNTED, REJECTED, BlockWriter, reject_schema
from .inputs import InputFile, open_table

BUFFER_ROWS = 100_000
SPILL_ROWS = 500_000
SPILL_FILES = 16
PROGRESS_ROWS = 1_000_000
NO_AREA = "参保地未填"


def bucket_of(person: str, buckets: int) -> int:
    return zlib.crc32(person.encode("utf-8")) % buckets


def sid_hash(sid: str) -> int:
    return int.from_bytes(hashlib.blake2b(sid.encode("utf-8"), digest_size=8).digest(), "little")


def bucket_path(work: Path, b: int) -> Path:
    return work / f"bucket-{b:05d}.pkl"


def area_of(value, has_column: bool, region: str) -> str:
    """The 统筹区 a row's ledger goes to: its 参保地 text; the region's name when the file has no such
    column; NO_AREA for an empty cell of a file that has it."""
    if not has_column:
        return region
    text = "" if value is None else str(value).strip()
    return text or NO_AREA


class _Spill:
    def __init__(self, work: Path):
        self.work, self.hashes, self.buckets = work, [], []

    def add(self, sid: str, b: int) -> None:
        self.hashes.append(sid_hash(sid))
        self.buckets.append(b)
        if len(self.hashes) >= SPILL_ROWS:
            self.flush()

    def flush(self) -> None:
        import numpy as np
        if not self.hashes:
            return
        h = np.array(self.hashes, dtype=np.uint64)
        b = np.array(self.buckets, dtype=np.uint32)
        top = (h >> np.uint64(60)).astype(np.int64)
        for k in range(SPILL_FILES):
            sel = top == k
            if sel.any():
                rec = np.empty(int(sel.sum()), dtype=[("h", "<u8"), ("b", "<u4")])
                rec["h"], rec["b"] = h[sel], b[sel]
                with open(self.work / f"sids-{k:02d}.bin", "ab") as fh:
                    rec.tofile(fh)
        self.hashes, self.buckets = [], []

    def links(self):
        """Pairs of buckets holding the same 结算ID hash."""
        import numpy as np
        self.flush()
        for k in range(SPILL_FILES):
            path = self.work / f"sids-{k:02d}.bin"
            if not path.exists():
                continue
            rec = np.unique(np.fromfile(path, dtype=[("h", "<u8"), ("b", "<u4")]))  # sorted by (h, b), distinct
            same = np.nonzero(rec["h"][1:] == rec["h"][:-1])[0]
            for i in same:
                yield int(rec["b"][i]), int(rec["b"][i + 1])
            path.unlink()


def merge_buckets(used: set[int], links) -> list[list[int]]:
    """Union-find over buckets: groups (each sorted) ordered by their lowest bucket."""
    parent: dict[int, int] = {b: b for b in used}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for b in sorted(used):
        groups.setdefault(find(b), []).append(b)
    return [groups[k] for k in sorted(groups)]


def split(files: list[InputFile], names: list[str], work: Path, buckets: int, region: str, say) -> dict:
    """Stage 1. Returns what the manifest keeps: the partitions (bucket groups) and the row counts."""
    block = max(64, BUFFER_ROWS // buckets)
    held: dict[int, list] = {}
    counts: dict[int, int] = {}
    spill = _Spill(work)
    rejects = BlockWriter(work / "rejects-split.parquet.tmp", reject_schema())
    totals = {"read": 0, "accepted": 0, "rejected": 0, "skipped": 0}

    def flush(b: int) -> None:
        with open(bucket_path(work, b), "ab") as fh:
            store.dump(held.pop(b), fh)

    for fi, (f, name) in enumerate(zip(files, names)):
        started = time.monotonic()
        table = open_table(f)
        has_kind = "kind" in table.mapping.values()
        has_area = "insured_area" in table.mapping.values()
        n = bad = 0
        for raw in table.rows:
            n += 1
            if n % PROGRESS_ROWS == 0:
                say(f"读入 {name}：已读 {n:,} 行，用时 {time.monotonic() - started:.0f} 秒", progress=True)
            v = raw.values
            area = area_of(v.get("insured_area"), has_area, region)
            try:
                row = normalise(raw, has_kind)
            except InputError as err:
                bad += 1
                rejects.add((name, raw.source_row, _t(v.get("settlement_id")), _t(v.get("name")), area, REJECTED,
                             err.message))
                continue
            b = bucket_of(row.claim.person, buckets)
            part = held.get(b)
            if part is None:
                part = held[b] = []
            part.append((fi, area, row))
            counts[b] = counts.get(b, 0) + 1
            spill.add(row.claim.settlement_id, b)
            if len(part) >= block:
                flush(b)
        for source_row, reason in table.skipped:
            rejects.add((name, source_row, "", "", "", NOT_COUNTED, f"未计入：{reason}"))
        totals["read"] += n
        totals["rejected"] += bad
        totals["accepted"] += n - bad
        totals["skipped"] += len(table.skipped)
        say(f"读入 {name}：{n:,} 行（异常 {bad:,}，空行/合计行 {len(table.skipped):,}），"
            f"用时 {time.monotonic() - started:.1f} 秒")
        del table
    for b in list(held):
        flush(b)
    rejects.close()
    (work / "rejects-split.parquet.tmp").replace(work / "rejects-split.parquet")
    groups = merge_buckets(set(counts), spill.links())
    return {"partitions": groups, "rows": {str(b): c for b, c in counts.items()}, "totals": totals}


def read_bucket(work: Path, b: int):
    """The (file index, area, ClaimRow) of one bucket, block by block."""
    path = bucket_path(work, b)
    if path.exists():
        yield from store.load_all(path)


def _t(v) -> str:
    return "" if v is None else str(v).strip()[:40]


__all__ = ["split", "bucket_of", "merge_buckets", "read_bucket", "area_of", "NO_AREA"]
