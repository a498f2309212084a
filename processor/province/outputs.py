"""What a province run hands over, all from DIR/_work/:

    DIR/结算明细.parquet    every settled claim (processor/province/claims.py), the partitions' files in
                           partition order (within one: settlement order)
    DIR/异常.parquet        every row not settled: rejected rows with the reason, blank/合计 rows not counted
    DIR/台账/<统筹区>_医疗救助待遇台账.xlsx   one ledger per 统筹区 (the 参保地 column), the standard template

A sheet holds at most SHEET_ROW_LIMIT rows (Excel's 1,048,576, header and totals rows included): a
统筹区 with more claims is written in several workbooks, …_第1册.xlsx, …_第2册.xlsx, 序号 running on.
Each ledger's rows are the 统筹区's claims of every partition merged in (settlement date, source file,
source row) order with heapq.merge over the partitions' line files (constant memory), made into cells by
processor.ledgers.benefit.row_values and written by processor.io.xlsx_splice.write_workbook.
"""
from __future__ import annotations

import functools
import heapq
import itertools
import os
import re
from datetime import date
from operator import itemgetter
from pathlib import Path
from types import SimpleNamespace

from xlsx_templates.layout import INFO_CELLS, SHEET_ROWS

from ..io.xlsx_splice import SheetFill, write_workbook
from ..ledgers.benefit import (default_layout, header_texts, ledger_title, page_header_text, row_values, sheets,
                               sheet_header_texts, LedgerContext)
from ..ledgers.compute import Rejected
from ..rules.common import Ctx
from .claims import REJECTED, schema, reject_schema
from .partition import _context, lines_path, read_lines

SHEET_ROW_LIMIT = 1_048_576   # Excel's rows per sheet; tests lower it to prove the split
LEDGER = "医疗救助待遇台账"
LEDGER_DIR = "台账"
CLAIMS_FILE = "结算明细.parquet"
REJECTS_FILE = "异常.parquet"
_UNSAFE = re.compile(r'[\\/:*?"<>|\s]+')
KEPT_SHEETS = ("台账", "异常", "政策依据")


def concat(paths: list[Path], out: Path, schema_) -> int:
    """The files' rows, in order, into one Parquet file (row group by row group; temp file, then rename)."""
    import pyarrow.parquet as pq
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    n = 0
    with pq.ParquetWriter(str(tmp), schema_, compression="zstd") as writer:
        for p in paths:
            pf = pq.ParquetFile(str(p))
            for g in range(pf.num_row_groups):
                t = pf.read_row_group(g)
                n += t.num_rows
                writer.write_table(t)
    os.replace(tmp, out)
    return n


def write_tables(out_dir: Path, work: Path, parts: list[int]) -> tuple[Path, Path, int, int]:
    claims = out_dir / CLAIMS_FILE
    rejects = out_dir / REJECTS_FILE
    nc = concat([work / f"part-{p:05d}.parquet" for p in parts], claims, schema())
    nr = concat([work / "rejects-split.parquet"] + [work / f"rejects-{p:05d}.parquet" for p in parts], rejects,
                reject_schema())
    return claims, rejects, nc, nr


def file_stem(area: str) -> str:
    return _UNSAFE.sub("_", area).strip("_.") or "未命名"


def _capacity(sheet: str) -> int:
    """Data rows a sheet of the template can hold: the limit less the header rows above the first data row
    and the rows below it (the totals row)."""
    return SHEET_ROW_LIMIT - _template_rows(sheet) + 1


@functools.lru_cache(maxsize=None)
def _template_rows(sheet: str) -> int:
    from openpyxl import load_workbook
    wb = load_workbook(default_layout(LEDGER).template, read_only=True)
    try:
        return wb[sheet].max_row
    finally:
        wb.close()


def plan(areas: dict[str, int]) -> dict[str, tuple[str, int, int]]:
    """统筹区 → (file stem, volumes, data rows per volume)."""
    per = _capacity("台账")
    out, stems = {}, set()
    for area, n in sorted(areas.items()):
        stem = file_stem(area)
        if stem in stems:
            from .partition import area_key
            stem = f"{stem}_{area_key(area)[:6]}"
        stems.add(stem)
        out[area] = (stem, max(1, -(-n // per)), per)
    return out


def ledger_paths(out_dir: Path, stem: str, volumes: int) -> list[Path]:
    base = out_dir / LEDGER_DIR
    if volumes == 1:
        return [base / f"{stem}_{LEDGER}.xlsx"]
    return [base / f"{stem}_{LEDGER}_第{k}册.xlsx" for k in range(1, volumes + 1)]


def _rejects_of(work: Path, parts: list[int], area: str, limit: int, several_files: bool):
    """The 异常 sheet's rows of one 统筹区 (as Rejected, at most ``limit``; then a line saying where the rest is)."""
    import pyarrow.parquet as pq
    n = 0
    for p in [work / "rejects-split.parquet"] + [work / f"rejects-{q:05d}.parquet" for q in parts]:
        pf = pq.ParquetFile(str(p))
        for g in range(pf.num_row_groups):
            for r in pf.read_row_group(g).to_pylist():
                if r["参保地"] != area or r["类别"] != REJECTED:  # blank/合计 lines: only in 异常.parquet
                    continue
                n += 1
                if n > limit:
                    yield Rejected(None, "", "", f"其余异常行未列出（超过工作表行数上限），见 {REJECTS_FILE}")
                    return
                reason = r["原因"] + (f"（文件 {r['源文件']}）" if several_files else "")
                yield Rejected(r["源行号"], r["结算ID"], r["姓名"], reason)


def write_area(out_dir: str, work: str, area: str, parts: list[int], stem: str, volumes: int, per: int,
               job: dict, period: str, made_on: str) -> list[str]:
    """The ledger(s) of one 统筹区 (a task: it runs where the partitions do)."""
    out_dir, work = Path(out_dir), Path(work)
    region, settings = _context(job)
    layout = default_layout(LEDGER)
    title = ledger_title(LEDGER, region)
    streams = [read_lines(lines_path(work, p, area)) for p in parts if lines_path(work, p, area).exists()]
    merged = heapq.merge(*streams, key=itemgetter(0))
    paths = ledger_paths(out_dir, stem, volumes)
    seq = itertools.count(1)
    several_files = len(job["names"]) > 1
    for k, path in enumerate(paths, 1):
        views: dict = {}
        vol = f"（参保地：{area}" + (f"，第{k}册，共{volumes}册" if volumes > 1 else "") + "）"
        ctx = LedgerContext(region, layout.columns, False, layout.first_row, views)

        def rows(take=itertools.islice(merged, per), ctx=ctx, views=views):
            for _key, line in take:
                on = line.row.claim.settled_on
                if on not in views:
                    views[on] = Ctx(region.view(on), settings)
                yield row_values(line, next(seq), ctx)

        stub = SimpleNamespace(lines=[], rejected=[], skipped=[], views=views, states={}, rows_read=0)
        if k == 1:
            stub.rejected = _rejects_of(work, parts, area, _capacity("异常"), several_files)
        else:
            stub.rejected = [Rejected(None, "", "", f"本{area}的异常行见第1册的「异常」工作表及 {REJECTS_FILE}")]
        fills = sheets(stub, layout, region, settings, False, None, LEDGER, page_header_text(title + vol, period))
        fills = {name: fill for name, fill in fills.items() if name in KEPT_SHEETS}
        fills["台账"].rows = rows()
        note = (f"省级运行（yibao province）按参保地分册写出的台账{vol}：本工作簿只有「台账」「异常」「政策依据」；"
                f"全部结算的计算结果（每条一行，金额以分为单位）见输出文件夹中的 {CLAIMS_FILE}，全部异常行见 {REJECTS_FILE}")
        for sheet in ("汇总", "核对", "年度累计", "政策参数"):
            if sheet in layout.extra_sheets:
                fills[sheet] = SheetFill([["说明", note]], *_sheet_rows(sheet))
        texts = {layout.sheet: header_texts(LEDGER, region, job.get("unit", ""), period, date.fromisoformat(made_on))}
        texts[layout.sheet][INFO_CELLS[LEDGER]["title"]] = title + vol
        texts.update(sheet_header_texts(title + vol, job.get("unit", ""), period, date.fromisoformat(made_on),
                                        [s for s in ("异常", "政策依据", "汇总", "核对", "年度累计", "政策参数")
                                         if s in layout.extra_sheets]))
        path.parent.mkdir(parents=True, exist_ok=True)
        write_workbook(layout.template, path, fills, texts, force=True)
    return [str(p) for p in paths]


def _sheet_rows(sheet: str):
    return SHEET_ROWS[sheet]


def period_text(first: str | None, last: str | None) -> str:
    if not first:
        return ""
    a, b = first[:7], last[:7]
    return a if a == b else f"{a} 至 {b}"


__all__ = ["SHEET_ROW_LIMIT", "write_tables", "write_area", "plan", "ledger_paths", "period_text",
           "CLAIMS_FILE", "REJECTS_FILE", "LEDGER_DIR"]
