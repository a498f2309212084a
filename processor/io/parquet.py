"""Read a settlement export saved as Parquet (pyarrow) into the same raw rows as processor.io.reader.

The column names go through the same header aliases (:func:`processor.io.headers.find_header_row` on
the names, as if they were a header row), so a Parquet with 结算ID/证件号码/符合范围金额 … maps to the
same canonical keys as the xlsx or CSV export. Rows come out as :class:`processor.io.reader.RawRow`,
one record batch at a time (constant memory per batch): :attr:`ExportTable.rows` is an iterator here,
and :attr:`ExportTable.skipped` fills as it is consumed (blank and 合计 records, as the reader skips).

Row numbers: the column names count as row 1 and the first record is row 2 — the line it has in the
same data saved as CSV with its header line, and the row it has in an xlsx with the header in row 1.

Values are what pyarrow hands over (str stripped, empty → None; int, float, Decimal, date, datetime);
a float NaN (pandas' missing value) is an empty cell. Parsing them is the callers' job, as for xlsx.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Iterator

from ..errors import FileError
from .headers import COLUMNS, MIN_KNOWN_COLUMNS, find_header_row
from .reader import BLANK, TOTAL, ExportTable, RawRow, _is_blank, _is_total
from .safety import require_input_file

PARQUET_SUFFIXES = (".parquet", ".parq")
BATCH_ROWS = 32_768
FIRST_ROW = 2  # the names are "row 1"
_TOTAL_KEYS = ("name", "id_number", "settlement_id")


def _open(path: Path):
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - the province extra installs it
        raise FileError("读取 Parquet 需要 pyarrow：请安装 pip install \"yibao[province]\"") from None
    try:
        # pre_buffer=False: with read-ahead buffering, pyarrow keeps every compressed column chunk it has read
        # until the file is closed (about the file's size held at the end: 30 MB a million claims)
        return pq.ParquetFile(str(path), pre_buffer=False)
    except Exception:  # noqa: BLE001 - pyarrow raises ArrowInvalid/OSError with its own (English) text
        raise FileError(f"无法读取 Parquet 文件 {path.name}：文件已损坏或不是 Parquet 格式，"
                        "请重新导出后再导入") from None


def read_parquet(path: str | Path, batch_rows: int = BATCH_ROWS, what: str = "结算导出") -> ExportTable:
    """Header (mapping of the column names) now, rows lazily: ``table.rows`` is an iterator of RawRow."""
    path = require_input_file(path)
    pf = _open(path)
    names = [str(n) for n in pf.schema_arrow.names]
    try:
        _offset, mapping, unknown = find_header_row([names], scan=1)
    except FileError:
        examples = "、".join(v[0] for v in list(COLUMNS.values())[:6])
        raise FileError(f"{what} {path.name}：Parquet 的列名中没有识别出至少 {MIN_KNOWN_COLUMNS} 个已知列名"
                        f"（如 {examples}）；文件中的列：{'、'.join(names[:40]) or '（无）'}") from None
    table = ExportTable(path, None, 1, mapping, unknown, headers=[n for n in names if n.strip()])
    table.what = what
    table.rows = _rows(pf, path.name, names, mapping, table.skipped, batch_rows)
    return table


def count_rows(path: str | Path) -> int:
    """Records in the file (from its metadata; nothing is read)."""
    return _open(Path(path)).metadata.num_rows


def _rows(pf, file_name: str, names: list[str], mapping: dict[int, str], skipped: list, batch_rows: int) -> Iterator[RawRow]:
    cols = sorted(mapping)
    keys = [mapping[c] for c in cols]
    wanted = [names[c] for c in cols]
    total_cols = [i for i, k in enumerate(keys) if k in _TOTAL_KEYS]
    number = FIRST_ROW
    try:
        batches = pf.iter_batches(batch_size=batch_rows, columns=wanted, use_threads=False)
        for batch in batches:
            columns = [_clean(batch.column(i).to_pylist()) for i in range(batch.num_columns)]
            for values in zip(*columns):
                if _is_blank(values):
                    skipped.append((number, BLANK))
                elif _is_total(values, total_cols):
                    skipped.append((number, TOTAL))
                else:
                    yield RawRow(number, dict(zip(keys, values)))
                number += 1
    except FileError:
        raise
    except Exception:  # noqa: BLE001 - a truncated or corrupt row group
        raise FileError(f"Parquet 文件 {file_name} 读取到第{number}行时出错："
                        "文件已损坏，请重新导出后再导入") from None


def _clean(values: list) -> list:
    """Strings stripped (empty → None), NaN → None: what the xlsx/CSV reader hands over."""
    out = values
    for i, v in enumerate(values):
        if v.__class__ is str:
            s = v.strip()
            out[i] = s or None
        elif v.__class__ is float and math.isnan(v):
            out[i] = None
    return out


__all__ = ["read_parquet", "count_rows", "PARQUET_SUFFIXES", "BATCH_ROWS"]
