"""Stage 1: read the inputs, normalise every row, and put each claim in its person's bucket — one task per
input file, on the same workers as stage 2 (or in this process), then the buckets that share a 结算ID
united into partitions.

A claim's bucket is a stable hash of its NORMALISED person key (ClaimRow.claim.person: the GB 11643
checked ID, or the typed document / 人员编号 key) — zlib.crc32, never Python's salted hash(), so a
restart, another machine and another worker agree. Everything settle_claims carries from row to row is
keyed by person or by 结算ID, so buckets that share a 结算ID (a duplicate or a reversal under another
ID number, also in another file) are merged into one partition — the generalisation of
processor.ledgers.compute.partitions() (union-find over persons) to union-find over buckets, found
without holding every 结算ID in memory: each claim's (64-bit hash of 结算ID, bucket) is spilled by its
file's task, sharded by the hash's top bits; each shard (of every file) is then sorted on its own, as a
task. A hash collision can only merge two buckets that need not be (never split two that must not be):
the result is the same, the partition larger.

One file's task (:func:`split_file`) writes, under temporary names renamed when it is done, the .json last:

    split-FFFFF.pkl              its claims, in blocks of one bucket each (pickle; the blocks' offsets in the .json)
    split-FFFFF.sids             its (结算ID hash, bucket) records, each flush ordered by shard
    split-FFFFF.rejects.parquet  its rejected rows (with the reason) and its blank / 合计 rows
    split-FFFFF.json             counts, per-bucket block offsets, shard ranges — present ⇒ the task is complete

(one data file per input file, not one per (file, bucket): a province's hundreds of files times hundreds of
buckets would be a hundred thousand small files on the shared disk). :func:`finish` then, in this process:
the rejections of all files in file order into rejects-split.parquet, the shards' links (tasks), the
partitions (union-find), and pieces.json — for each bucket its blocks, in file order, which
:func:`read_bucket` reads. The partitions, the rows of each and every output are those of reading the
files one after another in one process: a partition sorts its claims by (settlement date, file, row), and
the union of the links does not depend on who found them.

Memory per task: at most BUFFER_ROWS claims are held before a block is written, the spill records are
flushed every SPILL_ROWS claims, Parquet is read in record batches (CSV/xlsx by processor.io.reader).
"""
from __future__ import annotations

import hashlib
import json
import os
import pickle
import time
import zlib
from pathlib import Path

from ..errors import FileError, InputError
from ..ledgers.normalise import normalise
from . import store
from .claims import NOT_COUNTED, REJECTED, BlockWriter, reject_schema
from .inputs import InputFile, open_table

BUFFER_ROWS = 100_000
SPILL_ROWS = 500_000
SPILL_SHARDS = 64
SHARD_SHIFT = 64 - 6        # the top 6 bits of the hash: its shard
PIECES = "pieces.json"
REJECTS_SPLIT = "rejects-split.parquet"
NO_AREA = "参保地未填"
_SID = [("h", "<u8"), ("b", "<u4")]


def bucket_of(person: str, buckets: int) -> int:
    return zlib.crc32(person.encode("utf-8")) % buckets


def sid_hash(sid: str) -> int:
    return int.from_bytes(hashlib.blake2b(sid.encode("utf-8"), digest_size=8).digest(), "little")


def task_path(work: Path, fi: int, suffix: str) -> Path:
    return work / f"split-{fi:05d}{suffix}"


def task_files(work: Path, fi: int) -> list[Path]:
    """What a finished split task leaves (its .json last)."""
    return [task_path(work, fi, x) for x in (".pkl", ".sids", ".rejects.parquet", ".json")]


def area_of(value, has_column: bool, region: str) -> str:
    """The 统筹区 a row's ledger goes to: its 参保地 text; the region's name when the file has no such
    column; NO_AREA for an empty cell of a file that has it."""
    if not has_column:
        return region
    text = "" if value is None else str(value).strip()
    return text or NO_AREA


class _Spill:
    """(结算ID hash, bucket) records to one open file; each flush sorted by shard, its ranges kept."""

    def __init__(self, fh):
        self.fh, self.hashes, self.buckets, self.ranges = fh, [], [], []

    def add(self, sid: str, b: int) -> None:
        self.hashes.append(sid_hash(sid))
        self.buckets.append(b)
        if len(self.hashes) >= SPILL_ROWS:
            self.flush()

    def flush(self) -> None:
        import numpy as np
        if not self.hashes:
            return
        rec = np.empty(len(self.hashes), dtype=_SID)
        rec["h"], rec["b"] = np.array(self.hashes, dtype=np.uint64), np.array(self.buckets, dtype=np.uint32)
        shard = (rec["h"] >> np.uint64(SHARD_SHIFT)).astype(np.int64)
        order = np.argsort(shard, kind="stable")
        rec, shard = rec[order], shard[order]
        at = self.fh.tell()
        rec.tofile(self.fh)
        bounds = np.searchsorted(shard, np.arange(SPILL_SHARDS + 1))
        for k in range(SPILL_SHARDS):
            n = int(bounds[k + 1] - bounds[k])
            if n:
                self.ranges.append((k, at + int(bounds[k]) * rec.itemsize, n))
        self.hashes, self.buckets = [], []


def links_of_shard(work: str, pieces: list) -> list[tuple[int, int]]:
    """Stage 1's second task: the distinct pairs of buckets holding the same 结算ID hash, in one shard
    (``pieces``: (file index, byte offset, records) of every file's records of the shard)."""
    import numpy as np
    work = Path(work)
    parts = [np.fromfile(task_path(work, fi, ".sids"), dtype=_SID, count=n, offset=off) for fi, off, n in pieces]
    if not parts:
        return []
    rec = np.unique(np.concatenate(parts))  # sorted by (h, b), distinct
    same = np.nonzero(rec["h"][1:] == rec["h"][:-1])[0]
    if not len(same):
        return []
    pairs = np.unique(np.stack([rec["b"][same], rec["b"][same + 1]], axis=1), axis=0)
    return [(int(a), int(b)) for a, b in pairs]


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


def split_file(work: str, fi: int, f: InputFile, name: str, buckets: int, region: str) -> dict:
    """Stage 1, one input file (a task: in this process or on a worker). Writes the task's files (module
    docstring) and returns its record (what its .json holds)."""
    started, cpu = time.monotonic(), time.process_time()
    work = Path(work)
    for stale in work.glob(f".split-{fi:05d}.*.tmp"):  # left by an earlier attempt cut short
        stale.unlink()
    try:
        st = os.stat(f.path)
    except OSError:
        raise FileError(f"读入 {name}：找不到输入文件 {f.path}（工作进程须以同一路径访问输入文件）") from None
    if (st.st_size, st.st_mtime_ns) != (f.size, f.mtime_ns):
        raise FileError(f"读入 {name}：输入文件在开始运行后变了（大小或修改时间与运行开始时不同）：请在导出完成后重新运行")
    tmp: list[tuple[Path, Path]] = []

    def temp(final: Path) -> Path:
        t = work / f".{final.name}.{os.getpid()}.tmp"
        tmp.append((t, final))
        return t

    block = max(64, BUFFER_ROWS // buckets)
    held: dict[int, list] = {}
    counts: dict[int, int] = {}
    blocks: dict[int, list] = {}
    data_path, sids_path, rejects_path, done = task_files(work, fi)
    with open(temp(data_path), "wb") as data, open(temp(sids_path), "wb") as sids:
        spill = _Spill(sids)
        rejects = BlockWriter(temp(rejects_path), reject_schema())

        def flush(b: int) -> None:
            at = data.tell()
            store.dump(held.pop(b), data)
            blocks.setdefault(b, []).append((at, data.tell() - at))

        table = open_table(f)
        has_kind = "kind" in table.mapping.values()
        has_area = "insured_area" in table.mapping.values()
        n = bad = 0
        for raw in table.rows:
            n += 1
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
        skipped = len(table.skipped)
        del table
        for b in sorted(held):
            flush(b)
        spill.flush()
        rejects.close()
    for t, final in tmp:
        os.replace(t, final)
    result = {"file": fi, "input": f.fingerprint(), "name": name, "buckets": buckets,
              "read": n, "accepted": n - bad, "rejected": bad, "skipped": skipped,
              "seconds": round(time.monotonic() - started, 3), "cpu": round(time.process_time() - cpu, 3),
              "pid": os.getpid(), "rows": {str(b): c for b, c in sorted(counts.items())},
              "blocks": {str(b): v for b, v in sorted(blocks.items())}, "sids": spill.ranges}
    t = work / f".{done.name}.{os.getpid()}.tmp"
    t.write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    os.replace(t, done)
    return result  # the caller uses it as it is (a shared disk may show the .json to another machine later)


def finished(work: Path, fi: int, f: InputFile, name: str, buckets: int) -> dict | None:
    """The record of a split task complete for this very file (its .json; None if absent or not this file's)."""
    done = task_path(work, fi, ".json")
    if not done.is_file():
        return None
    try:
        r = json.loads(done.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if r.get("input") != f.fingerprint() or r.get("buckets") != buckets or r.get("name") != name:
        return None
    return r if all(p.is_file() for p in task_files(work, fi)) else None


def finish(work: Path, records: list[dict], run_links) -> dict:
    """Stage 1's end, once every file's task is complete (``records``: their .json, in file order): the
    rejections into one file, the partitions, pieces.json. Returns what the manifest keeps.
    ``run_links(tasks)`` runs links_of_shard over the tasks (on the workers) and yields the results."""
    from .outputs import concat
    concat([task_path(work, r["file"], ".rejects.parquet") for r in records], work / REJECTS_SPLIT,
           reject_schema())
    counts: dict[int, int] = {}
    pieces: dict[int, list] = {}
    shards: dict[int, list] = {}
    for r in records:
        for b, c in r["rows"].items():
            counts[int(b)] = counts.get(int(b), 0) + c
        for b, v in r["blocks"].items():
            pieces.setdefault(int(b), []).extend([r["file"], at, size] for at, size in v)
        for k, at, n in r["sids"]:
            shards.setdefault(k, []).append((r["file"], at, n))
    links = [pair for pairs in run_links([(str(work), shards[k]) for k in sorted(shards)]) for pair in pairs]
    groups = merge_buckets(set(counts), links)
    tmp = work / f".{PIECES}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({str(b): pieces[b] for b in sorted(pieces)}), encoding="utf-8")
    os.replace(tmp, work / PIECES)
    totals = {k: sum(r[k] for r in records) for k in ("read", "accepted", "rejected", "skipped")}
    return {"partitions": groups, "rows": {str(b): c for b, c in sorted(counts.items())}, "totals": totals,
            "files": len(records)}


_PIECES_CACHE: dict = {}


def _pieces(work: Path) -> dict:
    path = work / PIECES
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _PIECES_CACHE:
        _PIECES_CACHE.clear()
        _PIECES_CACHE[key] = json.loads(path.read_text("utf-8"))
    return _PIECES_CACHE[key]


def read_bucket(work: Path, b: int):
    """The (file index, area, ClaimRow) of one bucket: its blocks of every file, in file order."""
    handles: dict[int, object] = {}
    try:
        for fi, at, size in _pieces(work).get(str(b), ()):
            fh = handles.get(fi)
            if fh is None:
                fh = handles[fi] = open(task_path(work, fi, ".pkl"), "rb")
            fh.seek(at)
            yield from pickle.loads(fh.read(size))
    finally:
        for fh in handles.values():
            fh.close()


def _t(v) -> str:
    return "" if v is None else str(v).strip()[:40]


__all__ = ["split_file", "finished", "finish", "links_of_shard", "bucket_of", "merge_buckets", "read_bucket",
           "area_of", "task_files", "NO_AREA", "REJECTS_SPLIT"]
