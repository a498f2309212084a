"""Read a settlement export (.xlsx/.xlsm streamed by :mod:`processor.io.xlsx_stream`, .csv, or .parquet by
:mod:`processor.io.parquet`) into raw rows, one at a time (:func:`open_export`) or as a list
(:func:`read_export`).

Values are returned as the reader gives them (strings stripped, numbers, dates); parsing amounts,
dates and codes is the callers' job. Every data row below the header ends up in exactly one of
``ExportTable.rows`` and ``ExportTable.skipped``.

Every xlsx passes :func:`processor.io.safety.check_xlsx` before the sheet is parsed. Cells a fast
reader would hand over as empty although they are not are replaced by markers (subclasses of
:class:`~processor.io.safety.CellError`, so the row is rejected naming the column): Excel error
values (#N/A …) and formulas saved without a result (openpyxl writes no cached value).

Merged cells in the data (below the header row). A clerk who merges 人员类别 over rows 3–4 means
"both rows are 低保对象"; the sheet leaves row 4 empty, which would silently make it an ordinary
insured person. So:

- a merged range in a text column (人员类别, 镇街, 村, 医院, 医疗类别, 姓名, dates, flags …) is filled
  from its top-left cell into every row it covers;
- a merged range that covers an amount column or an identifier (结算ID, 证件号码, 人员编号) is not
  filled: one amount or one ID cannot belong to several settlements, and filling would count the
  money twice. Every row the range covers (the top-left row too) gets a
  :class:`~processor.io.safety.MergedCell` marker in that column and is rejected with the range
  named, so the clerk unmerges and fills each row;
- a range that starts in or above the header row (a two-row header, a title) is left alone above
  the header; data rows it reaches are marked, not filled (a header text is not a value).

The required columns are checked for the whole table, before anything is computed
(:func:`require_columns`): a missing 证件号码 or a misspelled 结算日期 header is one file-level error
naming the column, the headers seen and the names accepted, not a rejection of every row.
"""
from __future__ import annotations

import codecs
import csv
import itertools
import zipfile
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Iterable, Sequence

from ..errors import FileError
from .headers import COLUMNS, find_header_row, label, wrong_place_hint
from .safety import MAX_UNCOMPRESSED_BYTES, MergedCell, check_xlsx, require_input_file

XLSX_SUFFIXES = (".xlsx", ".xlsm")
CSV_ENCODINGS = (("utf-8-sig", "UTF-8"), ("gb18030", "GB18030（含 GBK）"))
HEADER_SCAN_ROWS = 30
BLANK = "空行"
TOTAL = "合计行，不是结算记录"
REPEATED_HEADER = "重复的表头行"
_TOTAL_PREFIXES = ("合计", "总计", "小计")
_TOTAL_KEYS = ("name", "id_number", "settlement_id")
# Columns a merged range must not be filled into (see the module docstring): identifiers and amounts.
MERGE_REJECT_KEYS = frozenset({
    "settlement_id", "id_number", "person_no", "total_cost", "self_funded", "over_limit", "policy_cost",
    "basic_paid", "critical_paid", "assistance_paid", "tilt_paid", "out_of_catalog", "above_limit_selfpay",
    "paid", "subsidy_paid",  # payment records (PAYMENT_COLUMNS)
})
_MAX_HEADERS_SHOWN = 40


@dataclass
class RawRow:
    source_row: int  # 1-based row number as the user sees it in the sheet / CSV line number
    values: dict[str, object]  # canonical key → raw value; None for an empty cell


@dataclass
class ExportTable:
    path: Path
    sheet: str | None  # None for CSV
    header_row: int  # 1-based
    mapping: dict[int, str]  # 0-based column index → canonical key
    unknown_headers: list[str]
    rows: list[RawRow] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (source row, reason)
    headers: list[str] = field(default_factory=list)  # the header row's texts, as written
    columns: dict | None = None  # the column set read (None: the settlement export's COLUMNS)
    what: str = "结算导出"  # what the file is, in messages


def require_columns(table: ExportTable, required: Iterable[str | tuple[str, ...]]) -> None:
    """Raise :class:`FileError` unless every required column is in the table's header.

    ``required``: canonical keys; a tuple is satisfied by any one of its keys (证件号码 or 人员编号).
    The message names each missing column with the header names accepted for it, and the headers
    the file has, so a misspelt header (证件号, 结算曰期) is found at once."""
    present = set(table.mapping.values())
    missing = [need if isinstance(need, tuple) else (need,) for need in required]
    missing = [keys for keys in missing if not present.intersection(keys)]
    if not missing:
        return
    parts = []
    for keys in missing:
        names = "或".join(f"「{label(k, table.columns)}」" for k in keys)
        accepted = "、".join(alias for k in keys for alias in (table.columns or COLUMNS)[k][1])
        parts.append(f"{names}（可用的列名：{accepted}）")
    seen = table.headers[:_MAX_HEADERS_SHOWN]
    more = f" 等 {len(table.headers)} 列" if len(table.headers) > _MAX_HEADERS_SHOWN else ""
    raise FileError(
        f"{table.what}缺少必填列：{'；'.join(parts)}。"
        f"第{table.header_row}行表头中的列：{'、'.join(seen) or '（无）'}{more}。"
        "请改正表头（或在导出时勾选这些列）后重新导入；" + ("尚未计算任何结算" if table.columns is None else "尚未计算")
        + wrong_place_hint([table.headers], table.columns, len(set(table.mapping.values())))
    )


def read_export(path: str | Path, sheet: str | None = None, columns: dict | None = None,
                what: str = "结算导出") -> ExportTable:
    """Read a platform/bureau settlement export. Raises :class:`FileError` for whole-file problems.

    ``columns``: another column set (:data:`processor.io.headers.ROSTER_COLUMNS`, ``PAYMENT_COLUMNS`` …)
    read with the same safety scan, header detection, blank/合计 row skipping and error-cell marking;
    ``what`` names the file in messages (认定名单, 缴费记录 …). ``rows`` is a list: for a month of a
    city, :func:`open_export` hands them over one at a time instead."""
    table = open_export(path, sheet, columns, what)
    table.rows = list(table.rows)
    return table


def open_export(path: str | Path, sheet: str | None = None, columns: dict | None = None,
                what: str = "结算导出") -> ExportTable:
    """:func:`read_export` with ``rows`` an iterator that reads the file as it is consumed: the whole
    sheet is never in memory (issue 12: a million claims within 1 GB). The header is found and the
    required columns can be checked before a data row is read; ``skipped`` fills as rows go by. A
    whole-file problem found further down (a CSV quote left open on line 900,000) raises
    :class:`FileError` from the iteration, before anything is written."""
    path = require_input_file(path)
    suffix = path.suffix.lower()
    merges: list[str] = []
    if suffix in XLSX_SUFFIXES:
        sheet, numbered, merges = _stream_xlsx(path, sheet)
    elif suffix == ".csv":
        numbered, sheet = _stream_csv(path), None
    elif suffix in (".parquet", ".parq"):
        from .parquet import read_parquet  # pyarrow: installed with the province extra
        return read_parquet(path, what=what) if columns is None else _no_parquet(what)
    else:
        raise FileError(f"不支持的文件类型“{suffix or '无扩展名'}”：请提供 .xlsx、CSV（UTF-8）或 Parquet 文件")
    try:
        table = _build_table(path, sheet, numbered, merges, columns)
    except FileError as err:  # no header row: say which file
        raise FileError(f"{what.strip()} {path.name}：{err.message}" if path.name not in what else
                        f"{what.strip()}：{err.message}") from None
    table.columns, table.what = columns, what
    return table


def _no_parquet(what: str):
    raise FileError(f"{what}请提供 .xlsx 或 CSV 文件（Parquet 只用于结算导出）")


# --- readers: (0-based index, row number as the user sees it, cells) in file order --------------

def _stream_xlsx(path: Path, sheet: str | None):
    """The sheet's rows streamed from its XML (processor/io/xlsx_stream.py: constant memory, error cells
    and formulas without a result already marked), after the safety scan of every part the
    workbook's relationships reach."""
    from .sheet_process import Early, sheet_rows
    from .xlsx_stream import CORRUPT, first_visible_sheet, sheet_names

    early = Early(path)  # a big sheet: the reader process scans half of it, then reads it once told to
    try:
        report = check_xlsx(path, streamed=True, share=early.share)  # before the reader sees a single row
        try:
            name = sheet if sheet is not None else first_visible_sheet(path)
            if name not in (names := sheet_names(path)):
                raise FileError(f"找不到工作表「{name}」，文件中的工作表有：{'、'.join(names)}")
        except (zipfile.BadZipFile, KeyError, OSError):
            raise FileError(CORRUPT) from None
    except BaseException:
        early.stop()
        raise
    return name, ((n - 1, n, row) for n, row in sheet_rows(path, name, early)), report.merges.get(name, [])


_CSV_BLOCK = 1 << 20


def _stream_csv(path: Path):
    """CSV records with the line each starts on, decoded as it is read: UTF-8 (with or without a BOM)
    when the whole file is UTF-8, else GB18030 — found by one pass over the bytes first, so a
    GBK file is never half read as UTF-8."""
    if path.stat().st_size > MAX_UNCOMPRESSED_BYTES:
        raise FileError("CSV 文件过大（超过 1 GB），请按月份拆分后再导入")
    codec = _csv_codec(path)

    def records():
        with open(path, encoding=codec, newline="") as fh:
            reader = csv.reader(fh)
            line = 0
            try:
                for index, record in enumerate(reader):
                    yield index, line + 1, record  # the line the record starts on
                    line = reader.line_num
            except csv.Error:
                raise FileError(f"CSV 文件第{line + 1}行格式错误（引号不配对或含有非法字符），请检查后再导入") from None
    return records()


def _csv_codec(path: Path) -> str:
    for codec, _shown in CSV_ENCODINGS:
        decoder = codecs.getincrementaldecoder(codec)()
        try:
            with open(path, "rb") as fh:
                while block := fh.read(_CSV_BLOCK):
                    decoder.decode(block)
            decoder.decode(b"", final=True)
            return codec
        except UnicodeDecodeError:
            continue
    tried = "、".join(shown for _codec, shown in CSV_ENCODINGS)
    raise FileError(f"无法识别 CSV 文件的编码（已尝试 {tried}），请在 Excel 中另存为 CSV（UTF-8）后再导入")


# --- rows ------------------------------------------------------------------------------------

def _build_table(path: Path, sheet: str | None, numbered, merges: Sequence[str] = (),
                 columns: dict | None = None) -> ExportTable:
    """The header from the first rows of ``numbered`` ((index, row number, cells) in file order),
    then ``rows``: an iterator over the rest (see :func:`open_export`)."""
    numbered = iter(numbered)
    head: list = []
    start = None
    for item in numbered:  # up to the first non-blank row and HEADER_SCAN_ROWS after it
        head.append(item)
        if start is None and not _is_blank(item[2]):
            start = len(head) - 1
        if start is not None and len(head) - start >= HEADER_SCAN_ROWS:
            break
    start = start or 0
    offset, mapping, unknown = find_header_row([cells for _i, _n, cells in head[start:]],
                                               scan=HEADER_SCAN_ROWS, columns=columns)
    header_index, header_number, header = head[start + offset]
    table = ExportTable(path, sheet, header_number, mapping, unknown)
    table.headers = [text for text in (str(c).strip() for c in header if c is not None) if text]
    after = (item for item in head[start + offset + 1:])
    table.rows = _data_rows(table, itertools.chain(after, numbered), header, header_index, mapping,
                            _merge_plan(merges, header_index, mapping))
    return table


def _data_rows(table: ExportTable, numbered, header, header_index: int, mapping: dict[int, str], plan):
    columns = sorted(mapping.items())
    keys = [key for _col, key in columns]
    pick = itemgetter(*(col for col, _key in columns))
    full_width = columns[-1][0] + 1
    total_cols = [col for col, key in columns if key in _TOTAL_KEYS]
    header_texts = [(col, str(header[col]).strip()) for col, _key in columns[:3]]
    skipped = table.skipped
    tops, actions = plan
    top_values: dict = {}
    for index, number, row in numbered:
        if tops and index in tops:  # the top-left cell of a range filled down: keep its value
            for box in tops[index]:
                top_values[box] = row[box[1]] if box[1] < len(row) else None
        if actions and index in actions:
            row = _merge_row(row, index, top_values, actions)
        if _is_blank(row):
            skipped.append((number, BLANK))
        elif _is_total(row, total_cols):
            skipped.append((number, TOTAL))
        elif _is_repeated_header(row, header_texts):
            skipped.append((number, REPEATED_HEADER))
        else:
            if len(row) < full_width:  # ragged CSV line
                row = list(row) + [None] * (full_width - len(row))
            yield RawRow(number, {
                key: (value.strip() or None) if value.__class__ is str else value
                for key, value in zip(keys, pick(row))
            })


def _merge_plan(merges: Sequence[str], header_index: int, mapping: dict[int, str]):
    """Merged ranges below the header (module docstring): ({row index of a range's top-left cell: its
    boxes}, {row index: [(column, box, marker or None)]}) — None: fill from the top-left cell, seen
    first since rows come in order."""
    tops: dict[int, list] = {}
    actions: dict[int, list] = {}
    for ref in merges:
        box = _range(ref)
        if box is None:
            continue
        r1, c1, r2, c2 = box
        if r2 <= header_index:
            continue  # a title or a two-row header
        shown = ref.replace("$", "").upper()
        for c in range(c1, c2 + 1):
            key = mapping.get(c)
            if key is None:
                continue
            if key in MERGE_REJECT_KEYS or r1 <= header_index:
                mark = MergedCell(shown)
                rows = range(max(r1, header_index + 1), r2 + 1)
            else:
                mark = None
                rows = range(r1 + 1, r2 + 1)
                tops.setdefault(r1, []).append(box)
            for r in rows:
                actions.setdefault(r, []).append((c, box, mark))
    return tops, actions


def _merge_row(row, index: int, top_values: dict, actions: dict):
    row = list(row)
    for c, box, mark in actions[index]:
        if c < len(row):
            row[c] = mark if mark is not None else top_values.get(box)
    return row


def _range(ref: str) -> tuple[int, int, int, int] | None:
    """'D3:D4' → 0-based (first row, first column, last row, last column); None if unreadable."""
    ends = []
    for part in ref.replace("$", "").split(":"):
        letters = part.rstrip("0123456789")
        digits = part[len(letters):]
        if not letters.isalpha() or not letters.isascii() or not digits.isdigit() or int(digits) < 1:
            return None
        col = 0
        for ch in letters.upper():
            col = col * 26 + ord(ch) - 64
        ends.append((int(digits) - 1, col - 1))
    if len(ends) == 1:
        ends.append(ends[0])
    if len(ends) != 2:
        return None
    (ra, ca), (rb, cb) = ends
    return min(ra, rb), min(ca, cb), max(ra, rb), max(ca, cb)


def _is_blank(row: Iterable[object]) -> bool:
    for cell in row:
        if cell.__class__ is str:
            if cell and not cell.isspace():
                return False
        elif cell is not None:
            return False
    return True


def _is_total(row: Sequence[object], total_cols: list[int]) -> bool:
    """合计/总计/小计 in the first non-empty cell, or in the name / ID / settlement-ID column."""
    for cell in row:
        if cell.__class__ is str:
            if cell and not cell.isspace():
                if _starts_with_total(cell):
                    return True
                break
        elif cell is not None:
            break
    width = len(row)
    for col in total_cols:
        if col < width and _starts_with_total(row[col]):
            return True
    return False


def _starts_with_total(value: object) -> bool:
    if value.__class__ is not str or "计" not in value:
        return False
    return "".join(value.split()).startswith(_TOTAL_PREFIXES)


def _is_repeated_header(row: Sequence[object], header_texts: list[tuple[int, str]]) -> bool:
    """The header repeated further down (exports pasted page by page): first 3 known columns."""
    width = len(row)
    for col, text in header_texts:
        cell = row[col] if col < width else None
        if not isinstance(cell, str) or cell.strip() != text:
            return False
    return True
