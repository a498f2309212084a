"""Build the ledger templates (台账模板) next to this file.

Run ``python -m xlsx_templates.build``. The generated ``.xlsx`` files are checked in; rebuilding
gives byte-identical files (fixed document dates and zip timestamps).

Every sheet of a template has header row(s), ONE prototype data row (empty cells that carry the
styles: "@" text, "#,##0.00" money, "yyyy-mm-dd" dates) and optionally a totals row whose
formulas sum the prototype row (``=SUM(N5:N5)``). :mod:`processor.io.xlsx_splice` streams the
data rows in place of the prototype row and widens the totals' ranges.

Importable layout facts (use them instead of hard-coding cell addresses):

- ``LEDGER_COLUMNS[name]``: the data columns of sheet "台账", in order.
- ``SHEET_COLUMNS[name][sheet]``: the columns of every sheet.
- ``SHEET_ROWS[sheet]``: ``(prototype_row, totals_row or None)`` (same in both templates).
- ``INFO_CELLS[name]``: where the title, 填报单位, 所属期 and 制表日期 texts go on "台账";
  ``SHEET_INFO_CELLS[sheet]`` the same for the other sheets (every sheet is a report: row 1 title,
  row 2 填报单位 / 所属期 / 制表日期, then the header).
- ``SHEET_TITLES[sheet]``: the title of each other sheet (``{台账}`` = the ledger's title).
- ``WRAP_COLUMNS``: long free-text columns kept at a fixed width and wrapped; every other column is
  widened after filling to fit the widest value it holds (``FIT_CAP`` = the largest width).
- ``PAGE``: paper, orientation and print scale of each sheet (see "Printing" below).

Printing: a clerk prints the ledger. 24+ columns on one A4 width came out at 4–5 pt, so every sheet
prints at a FIXED scale (never fit-to-width) with a 10 pt body font: 台账 on A3 landscape at 85 %
(8 pt on paper; bureaus print wide ledgers on A3), the other sheets on A4 landscape at 100 %.
Columns that do not fit one page width continue on a second block of pages: the writer puts manual
column breaks at column-group boundaries from the widths measured after filling, pages go "over
then down" (block 1 and block 2 of the same rows are consecutive), and the header rows plus the
identifying columns (序号, 结算ID, 姓名) repeat on every page.
- ``COLUMN_KIND[header]``: "text", "money", "date", "int".
- ``template_path(name)``: the path of the ``.xlsx``.
"""
from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties

# the layout facts live in xlsx_templates/layout.py (no openpyxl, for the batch); importable from here too
from .layout import *  # noqa: F401,F403
from .layout import _first_block


# ---------------------------------------------------------------------------------------------
_FONT = "宋体"
_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="D9D9D9")
_HEADER_FONT = Font(name=_FONT, size=10, bold=True)
_BODY_FONT = Font(name=_FONT, size=10)
_CENTER_WRAP = Alignment(horizontal="center", vertical="center", wrap_text=True)
_FORMATS = {"text": "@", "money": "#,##0.00", "date": "yyyy-mm-dd", "int": "0"}
_ALIGN = {
    # text wraps inside its column (never runs into the next one nor past the page edge)
    "text": Alignment(horizontal="left", vertical="center", wrap_text=True),
    "money": Alignment(horizontal="right", vertical="center"),
    "date": Alignment(horizontal="center", vertical="center"),
    "int": Alignment(horizontal="center", vertical="center"),
}


def grouped_header(ws, groups) -> None:
    """Rows 3–4: a group's name merged across its columns in row 3 and the column names in row 4; a column
    without a group is merged down over both rows. ``groups``: [(group or None, [column, …]), …]."""
    col = 1
    for group, subs in groups:
        if group is None:
            (sub,) = subs
            _header_cell(ws, 3, col, sub)
            _header_cell(ws, 4, col, None)
            ws.merge_cells(start_row=3, start_column=col, end_row=4, end_column=col)
        else:
            for j, sub in enumerate(subs):
                _header_cell(ws, 3, col + j, group if j == 0 else None)
                _header_cell(ws, 4, col + j, sub)
            if len(subs) > 1:
                ws.merge_cells(start_row=3, start_column=col, end_row=3, end_column=col + len(subs) - 1)
        col += len(subs)
    ws.row_dimensions[3].height = 20
    ws.row_dimensions[4].height = 30


def _header_cell(ws, row: int, col: int, text: str | None) -> None:
    cell = ws.cell(row=row, column=col, value=text)
    cell.font = _HEADER_FONT
    cell.fill = _HEADER_FILL
    cell.border = _BORDER
    cell.alignment = _CENTER_WRAP


def prototype_row(ws, row: int, kinds: list[str], formats: dict, aligns: dict) -> None:
    """The styled empty row the writer copies for every data row: each column's number format and
    alignment by its kind, the body font and a thin border."""
    for i, kind in enumerate(kinds, start=1):
        cell = ws.cell(row=row, column=i)
        cell.number_format = formats[kind]
        cell.alignment = aligns[kind]
        cell.font = _BODY_FONT
        cell.border = _BORDER


def set_widths(ws, widths: list[float]) -> None:
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width


def _prototype_row(ws, row: int, columns: list[str]) -> None:
    prototype_row(ws, row, [COLUMN_KIND[n] for n in columns], _FORMATS, _ALIGN)


def _widths(ws, columns: list[str]) -> None:
    set_widths(ws, [column_width(n) for n in columns])


def _page_setup(ws, sheet: str, last_col: str, last_row: int, title_rows: str | None) -> None:
    ws.print_area = f"A1:{last_col}{last_row}"
    if title_rows:
        ws.print_title_rows = title_rows
    if TITLE_COLUMNS[sheet]:
        ws.print_title_cols = f"A:{get_column_letter(TITLE_COLUMNS[sheet])}"
    paper, orientation, scale = PAGE[sheet]
    ws.page_setup.orientation = orientation
    ws.page_setup.paperSize = ws.PAPERSIZE_A3 if paper == "A3" else ws.PAPERSIZE_A4
    ws.page_setup.scale = scale
    ws.page_setup.pageOrder = "overThenDown"
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=False)
    ws.page_margins.left = ws.page_margins.right = MARGIN_IN[0]
    ws.page_margins.top = ws.page_margins.bottom = MARGIN_IN[1]
    ws.oddFooter.left.text = "&A"
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _ledger_sheet(ws, name: str) -> None:
    columns = LEDGER_COLUMNS[name]
    ncols = len(columns)
    last = get_column_letter(ncols)
    info = INFO_CELLS[name]
    proto, totals = SHEET_ROWS["台账"]

    # row 1: title
    ws["A1"] = TITLES[name]
    ws["A1"].font = Font(name=_FONT, size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    block = _first_block(name)
    ws.merge_cells(f"A1:{get_column_letter(block)}1")
    ws.row_dimensions[1].height = 30

    # row 2: 填报单位 / 所属期 / 制表日期 (each merged up to the next, left aligned, over the first block)
    left = Alignment(horizontal="left", vertical="center")
    starts = [ws[info[k]].column for k in ("unit", "period", "date")] + [block + 1]
    for j, (key, text) in enumerate((("unit", "填报单位："), ("period", "所属期："), ("date", "制表日期："))):
        cell = ws[info[key]]
        cell.value = text
        cell.font = _BODY_FONT
        cell.alignment = left
        ws.merge_cells(start_row=2, start_column=cell.column, end_row=2, end_column=starts[j + 1] - 1)
    ws.row_dimensions[2].height = 20

    # rows 3–4: grouped header
    grouped_header(ws, LEDGER_GROUPS[name])

    _prototype_row(ws, proto, columns)
    totals_row(ws, totals, proto, columns, LEDGER_SUM_COLUMNS)
    _widths(ws, columns)
    ws.freeze_panes = f"D{proto}"  # keep 序号, 结算ID, 姓名 and the header in view
    _page_setup(ws, "台账", last, totals, "3:4")


def totals_row(ws, row: int, proto: int, columns: list[str], summed: list[str]) -> None:
    """合计 in column A and a SUMPRODUCT of the prototype row under each ``summed`` column (the writer widens
    the range to the data rows)."""
    for i, name in enumerate(columns, start=1):
        cell = ws.cell(row=row, column=i)
        cell.font = Font(name=_FONT, size=10, bold=True)
        cell.border = _BORDER
        if i == 1:
            cell.value = "合计"
            cell.alignment = Alignment(horizontal="center", vertical="center")
        elif name in summed:
            letter = get_column_letter(i)
            # +0 turns a money cell holding text into #VALUE!: the total shows an error, never a
            # sum that silently skipped a cell (SUM ignores text); empty cells count as 0.
            cell.value = f"=SUMPRODUCT({letter}{proto}:{letter}{proto}+0)"
            cell.number_format = _FORMATS["money"]
            cell.alignment = _ALIGN["money"]


def _simple_sheet(ws, sheet: str, columns: list[str], title: str) -> None:
    proto, totals = SHEET_ROWS[sheet]
    header_row = proto - 1
    last = get_column_letter(len(columns))
    info = SHEET_INFO_CELLS[sheet]
    ws["A1"] = title.replace("{台账}·", "")  # the writer puts the ledger's own title in front
    ws["A1"].font = Font(name=_FONT, size=14, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 26
    cell = ws[info["info"]]
    cell.value = INFO_LINE.format(unit="", period="", date="")
    cell.font = _BODY_FONT
    cell.alignment = Alignment(horizontal="left", vertical="center")
    ws.merge_cells(f"A2:{last}2")
    ws.row_dimensions[2].height = 20
    for i, name in enumerate(columns, start=1):
        _header_cell(ws, header_row, i, name)
    ws.row_dimensions[header_row].height = 22
    _prototype_row(ws, proto, columns)
    last_row = proto
    if totals is not None:
        totals_row(ws, totals, proto, columns, [c for c in columns if COLUMN_KIND[c] == "money"])
        last_row = totals
    _widths(ws, columns)
    ws.freeze_panes = f"A{proto}"
    _page_setup(ws, sheet, last, last_row, f"{header_row}:{header_row}")


def build_workbook(name: str) -> Workbook:
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    _ledger_sheet(ws, name)
    for sheet in ("异常", "政策依据", "汇总", "核对", "年度累计", "政策参数"):
        _simple_sheet(wb.create_sheet(sheet), sheet, SHEET_COLUMNS[name][sheet], SHEET_TITLES[sheet])
    wb.properties.creator = "yibao"
    wb.properties.title = TITLES[name]
    return wb


_FIXED_DATE = "2024-01-01T00:00:00Z"
_FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


def _reproducible(data: bytes) -> bytes:
    """Fixed core.xml dates and zip timestamps so that a rebuild gives the same bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = body.decode("utf-8")
                text = re.sub(r"(<dcterms:(?:created|modified)[^>]*>)[^<]*(<)", rf"\g<1>{_FIXED_DATE}\2", text)
                body = text.encode("utf-8")
            zi = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            dst.writestr(zi, body)
    return out.getvalue()


def build(name: str, directory: Path | None = None) -> Path:
    """Write template ``name`` into ``directory`` (default: next to this module)."""
    return save_reproducible(build_workbook(name), (directory or TEMPLATE_DIR) / f"{name}.xlsx")


def save_reproducible(wb: Workbook, target: Path) -> Path:
    """Save a template byte-stably (fixed dates and zip times) and atomically: a writer reading the
    template meanwhile never sees a half-written zip."""
    buf = io.BytesIO()
    wb.save(buf)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(_reproducible(buf.getvalue()))
    os.replace(tmp, target)
    return target


def main() -> None:
    for name in LEDGER_COLUMNS:
        print(build(name))


if __name__ == "__main__":
    main()
