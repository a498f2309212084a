"""Hand-made settlement exports for the ledger tests: a title row and an 导出时间 line above the
header (as the platform's exports have), the data rows in the order given, blank rows where asked,
and a 合计 row at the end.

Not a test module: import it with ``sys.path.insert(0, <this folder>)`` (tests/ has no __init__.py).
"""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl

# the platform's column headers (processor/io/headers.py knows each of them)
HEADERS = ["结算ID", "姓名", "证件号码", "人员类别", "镇街", "村（居）", "医疗类别", "是否转诊", "就诊医疗机构名称",
           "入院日期", "出院日期", "结算日期", "医疗费总额", "符合范围金额", "统筹基金支出"]
TITLE_ROWS = 2          # title + 导出时间, then the header
FIRST_DATA_ROW = TITLE_ROWS + 2
BLANK = None            # an item of ``rows`` that is an empty line


def write_export(path: Path, rows: list[dict | None], *, title: str = "医疗保障信息平台 结算明细导出（测试数据）",
                 extra_headers: tuple[str, ...] = ()) -> list[int | None]:
    """Write ``rows`` (dicts keyed by header text; ``BLANK`` for an empty line) below a title and a
    header. Returns the sheet row number of each item (``None`` for a blank line), as the tool
    reports source rows. A 合计 row (sum of 医疗费总额 over the numeric cells) closes the sheet."""
    headers = HEADERS + [h for h in extra_headers if h not in HEADERS]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "结算明细"
    ws.append([title])
    ws.append(["导出时间：2023-01-05 09:30"])
    ws.append(headers)
    numbers: list[int | None] = []
    total = 0.0
    for item in rows:
        if item is BLANK:
            ws.append([None] * len(headers))
            numbers.append(None)
            continue
        unknown = set(item) - set(headers)
        if unknown:
            raise KeyError(f"not a header of this export: {sorted(unknown)}")
        ws.append([_cell(item.get(h)) for h in headers])
        numbers.append(ws.max_row)
        if isinstance(item.get("医疗费总额"), (int, float)):
            total += item["医疗费总额"]
    ws.append(["合计"] + [None] * (headers.index("医疗费总额") - 1) + [round(total, 2)])
    wb.save(path)
    return numbers


def _cell(value):
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


def write_settings(path: Path, region: str, rows: list[tuple[str, int, str]]) -> Path:
    """A settings TOML with round test figures: ``rows`` = (key, year, value)."""
    parts = ["example = false\n"]
    for key, year, value in rows:
        parts.append(f'\n[[setting]]\nregion = "{region}"\nkey = "{key}"\nyear = {year}\nvalue = "{value}"\n'
                     f'source = "测试用整数（非官方数字）"\n')
    path.write_text("".join(parts), encoding="utf-8")
    return path
