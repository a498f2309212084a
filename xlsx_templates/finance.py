"""Small report workbooks (对账, 监测名单, 目录外费用控制) built with openpyxl: titled tables, money in
yuan with two decimals, bold 合计/核对 rows, frozen headers, print setup, and native bar charts that
Excel, WPS and LibreOffice draw from the sheet's cells.

The writer computes nothing: every figure arrives computed (int fen); this module only lays it out.
Saved through processor.io.xlsx_splice.write_atomically (temp file, exclusive rename, lock files).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

MONEY_FORMAT = "#,##0.00"
PCT_FORMAT = "0.00%"
_THIN = Side(style="thin", color="999999")
_BOX = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="DDEBF7")
_FOOT_FILL = PatternFill("solid", fgColor="F2F2F2")
_BAD_FILL = PatternFill("solid", fgColor="F8CBAD")


class Money(int):
    """An amount in fen, written as yuan with two decimals."""


class Pct(float):
    """A share (0.153 = 15.30%)."""


@dataclass
class Table:
    """One sheet: a title, notes, a header row, rows, and footer rows (合计, 核对) in bold."""
    name: str
    title: str
    headers: list[str]
    rows: list[list] = field(default_factory=list)
    footer: list[list] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    widths: dict[int, float] = field(default_factory=dict)
    flag_col: int | None = None     # rows whose value here is truthy (not 0/""/"平") are shaded

    @property
    def header_row(self) -> int:
        return 2 + len(self.notes) + 1

    @property
    def first_row(self) -> int:
        return self.header_row + 1


def _cell_value(v):
    if isinstance(v, Money):
        return int(v) / 100   # exact to the fen for any amount below 2**53 fen
    if isinstance(v, Pct):
        return float(v)
    return v


def write_table(wb: Workbook, t: Table, first: bool = False):
    ws = wb.active if first else wb.create_sheet()
    ws.title = t.name
    ws.cell(1, 1, t.title).font = Font(bold=True, size=14)
    for i, note in enumerate(t.notes, 2):
        ws.cell(i, 1, note).font = Font(size=9, color="555555")
    hr = t.header_row
    for c, h in enumerate(t.headers, 1):
        cell = ws.cell(hr, c, h)
        cell.font = Font(bold=True)
        cell.fill = _HEAD_FILL
        cell.border = _BOX
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    r = hr
    for row in t.rows:
        r += 1
        _put(ws, r, row)
        if t.flag_col is not None and row[t.flag_col] not in (0, "", None, "平"):
            ws.cell(r, t.flag_col + 1).fill = _BAD_FILL
    for row in t.footer:
        r += 1
        _put(ws, r, row)
        for c in range(1, len(t.headers) + 1):
            ws.cell(r, c).font = Font(bold=True)
            ws.cell(r, c).fill = _FOOT_FILL
    for c, h in enumerate(t.headers, 1):
        width = t.widths.get(c - 1) or max(8.0, min(40.0, len(str(h)) * 2.2 + 2))
        ws.column_dimensions[get_column_letter(c)].width = width
    ws.freeze_panes = ws.cell(hr + 1, 1)
    ws.print_title_rows = f"{hr}:{hr}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def _put(ws, r: int, row: list) -> None:
    for c, v in enumerate(row, 1):
        cell = ws.cell(r, c, _cell_value(v))
        cell.border = _BOX
        if isinstance(v, Money):
            cell.number_format = MONEY_FORMAT
        elif isinstance(v, Pct):
            cell.number_format = PCT_FORMAT


def bar_chart(ws, data_ws, table: Table, cat_col: int, series_cols: list[int], anchor: str, title: str,
              y_title: str = "元", stacked: bool = False, width: float = 16, height: float = 7.5) -> BarChart:
    """A clustered (or stacked) column chart of ``table``'s body rows on ``data_ws``: categories from column
    ``cat_col``, one series per column in ``series_cols`` (0-based), the header as the series name."""
    chart = BarChart()
    chart.type = "col"
    chart.title = title
    chart.y_axis.title = y_title
    chart.y_axis.numFmt = "#,##0"
    chart.y_axis.majorGridlines = chart.y_axis.majorGridlines  # keep the default gridlines
    chart.y_axis.delete = False
    chart.x_axis.delete = False
    if stacked:
        chart.grouping = "stacked"
        chart.overlap = 100
    first, last = table.first_row, table.first_row + max(len(table.rows), 1) - 1
    for c in series_cols:
        ref = Reference(data_ws, min_col=c + 1, min_row=table.header_row, max_row=last)
        chart.add_data(ref, titles_from_data=True)
    chart.set_categories(Reference(data_ws, min_col=cat_col + 1, min_row=first, max_row=last))
    chart.width, chart.height = width, height
    chart.legend.position = "b"
    ws.add_chart(chart, anchor)
    return chart


def workbook(tables: list[Table]) -> tuple[Workbook, dict[str, object]]:
    """A workbook with one sheet per table, in order; returns it and sheet name → worksheet."""
    wb = Workbook()
    sheets = {}
    for i, t in enumerate(tables):
        sheets[t.name] = write_table(wb, t, first=(i == 0))
    return wb, sheets


def save(wb: Workbook, out: Path, force: bool) -> Path:
    from processor.io.xlsx_splice import write_atomically
    return write_atomically(Path(out), force, wb.save)
