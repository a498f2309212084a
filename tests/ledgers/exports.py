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


def run_fill(tmp: Path, name: str, rows: list, settings: Path, *, region: str = "阳城", previous=(),
             extra_headers: tuple[str, ...] = ()) -> Path:
    """Write ``rows`` as an export and run `yibao fill 医疗救助台账` on it (quiet, must succeed); returns the
    ledger's path. ``previous``: earlier ledgers of the year, in order."""
    import contextlib
    import io

    from processor.cli import main

    export = tmp / f"{name}.xlsx"
    write_export(export, rows, extra_headers=tuple(extra_headers))
    out = tmp / f"{name}_台账.xlsx"
    argv = ["fill", "医疗救助台账", str(export), "--region", region, "--out", str(out), "--settings", str(settings),
            "--quiet"]
    for p in previous:
        argv += ["--previous", str(p)]
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert main(argv) == 0, err.getvalue()
    return out


def ledger_rows(path: Path) -> list[dict]:
    """The 台账 sheet's data rows as {column name: value}, above the 合计 row, empty rows left out. A column
    under a group is named by its row-4 text, one spanning both header rows by its row-3 text."""
    ws = openpyxl.load_workbook(path)["台账"]
    names = [ws.cell(4, j).value or ws.cell(3, j).value for j in range(1, ws.max_column + 1)]
    out = []
    for values in ws.iter_rows(min_row=5, values_only=True):
        if values[0] == "合计":
            break
        if any(v is not None for v in values):
            out.append(dict(zip(names, values)))
    return out
