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

TEMPLATE_DIR = Path(__file__).resolve().parent

XIXIU = "待遇台账"          # 安顺市西秀区 表三 (区医保发〔2021〕40号 附件3)
GENERIC = "医疗救助待遇台账"  # 赣州 / 龙岩 / 阳城: the writer overwrites the title text

TITLES = {
    XIXIU: "安顺市西秀区特殊群体待遇（报销）台账（表三）",
    GENERIC: "{地区}医疗救助待遇台账",
}

# (group header or None for a single header merged over rows 3–4, [sub-headers])
_BASIC = ("基本信息", ["结算ID", "姓名", "证件号码", "镇（街）", "村（居）", "人员类别", "适用身份"])
_COST = ("费用信息", ["医疗费总额", "政策范围内费用"])
_PAY = ("三重保障支付", ["基本医保支付", "大病保险", "进入医疗救助金额", "医疗救助", "倾斜救助"])
_YEAR = ("年度累计", ["年度累计个人自付", "年度累计医疗救助"])
_MON = ("监测与依据", ["监测提示", "备注", "政策依据"])

LEDGER_GROUPS: dict[str, list[tuple[str | None, list[str]]]] = {
    XIXIU: [
        (None, ["序号"]), _BASIC,
        ("就诊信息", ["医疗类别", "是否转诊", "就诊医疗机构名称", "入院日期", "出院日期", "结算日期"]),
        _COST, _PAY, (None, ["医疗机构承担"]), (None, ["个人自付"]), _YEAR, _MON,
    ],
    GENERIC: [
        (None, ["序号"]), _BASIC,
        ("就诊信息", ["医疗类别", "就诊医疗机构名称", "入院日期", "出院日期", "结算日期"]),
        _COST, _PAY, (None, ["医疗机构承担"]), (None, ["个人自付"]), _YEAR, _MON,
    ],
}

LEDGER_COLUMNS: dict[str, list[str]] = {
    name: [col for _, cols in groups for col in cols] for name, groups in LEDGER_GROUPS.items()
}

# Columns the totals row sums (per-settlement amounts; the 年度累计 columns are running totals).
LEDGER_SUM_COLUMNS = ["医疗费总额", "政策范围内费用", "基本医保支付", "大病保险", "进入医疗救助金额", "医疗救助", "倾斜救助",
                      "医疗机构承担", "个人自付"]

ANOMALY_COLUMNS = ["源行号", "结算ID", "姓名", "原因"]
BASIS_COLUMNS = ["项目", "取值", "文号", "条款", "说明"]
SUMMARY_COLUMNS = ["分组方式", "分组", "人次", "医疗费总额", "大病保险", "医疗救助", "倾斜救助", "个人自付"]
# differences between what the export says a fund paid and what the policy gives (for 财务对账)
CHECK_COLUMNS = ["源行号", "结算ID", "姓名", "基金", "导出金额", "按政策金额", "差额", "说明"]
# each person's year-to-date state after this ledger: read back by `yibao fill --previous`.
# 证件号码 is the key the next month matches on (the full number, as in 台账); 姓名 is for the reader.
STATE_COLUMNS = ["证件号码", "姓名", "年度", "大病累计费用", "大病累计支付", "救助累计自付", "医疗救助累计",
                 "三重后累计自付", "倾斜救助累计", "个人自付累计"]
# the values every native formula of `fill --formulas` reads (processor/ledgers/formulas.py): 计算值 is in
# fen or 万分之一, column E (formulas.VALUE_COL)
PARAM_COLUMNS = ["项目", "地区", "适用", "取值", "计算值", "单位", "文号", "条款", "有效期", "说明"]
# the layout of ledgers written before 姓名 and the title rows (header in row 1): still readable
STATE_COLUMNS_V1 = ["证件号码", "年度", "大病累计费用", "大病累计支付", "救助累计自付", "医疗救助累计",
                    "三重后累计自付", "倾斜救助累计", "个人自付累计"]

SHEET_COLUMNS: dict[str, dict[str, list[str]]] = {
    name: {"台账": LEDGER_COLUMNS[name], "异常": ANOMALY_COLUMNS, "政策依据": BASIS_COLUMNS,
           "汇总": SUMMARY_COLUMNS, "核对": CHECK_COLUMNS, "年度累计": STATE_COLUMNS, "政策参数": PARAM_COLUMNS}
    for name in LEDGER_COLUMNS
}

# sheet -> (prototype_row, totals_row). Other sheets: title (1), 填报单位/所属期/制表日期 (2), header (3).
SHEET_ROWS: dict[str, tuple[int, int | None]] = {
    "台账": (5, 6),
    "异常": (4, None),
    "政策依据": (4, None),
    "汇总": (4, None),   # its 合计 rows are data rows (one per grouping), written by the ledger
    "核对": (4, None),
    "年度累计": (4, None),
    "政策参数": (4, None),
}
SHEET_TITLES = {
    "异常": "{台账}·异常行", "政策依据": "{台账}·政策依据", "汇总": "{台账}·汇总",
    "核对": "{台账}·导出金额核对", "年度累计": "{台账}·年度累计", "政策参数": "{台账}·政策参数（公式读取的取值）",
}
LEDGER_HEADER_ROWS = (3, 4)

_MONEY = {"医疗费总额", "政策范围内费用", "基本医保支付", "大病保险", "进入医疗救助金额", "医疗救助", "倾斜救助",
          "医疗机构承担", "个人自付",
          "年度累计个人自付", "年度累计医疗救助", "导出金额", "按政策金额", "差额", *STATE_COLUMNS[3:]}
_DATES = {"入院日期", "出院日期", "结算日期"}
_INTS = {"序号", "源行号", "人次", "年度", "计算值"}
COLUMN_KIND: dict[str, str] = {}
for _cols in (*LEDGER_COLUMNS.values(), ANOMALY_COLUMNS, BASIS_COLUMNS, SUMMARY_COLUMNS, CHECK_COLUMNS, STATE_COLUMNS,
              PARAM_COLUMNS):
    for _c in _cols:
        COLUMN_KIND[_c] = "money" if _c in _MONEY else "date" if _c in _DATES else "int" if _c in _INTS else "text"

# Starting widths (Excel width units; a CJK character is about 2). Headers of up to four characters
# fit on one line (是否转诊 no longer breaks as 是否转/诊); longer ones wrap into two even lines.
_WIDTHS = {
    "序号": 7, "结算ID": 16, "姓名": 9, "证件号码": 20, "镇（街）": 10, "村（居）": 10, "人员类别": 10,
    "适用身份": 10, "医疗类别": 10, "是否转诊": 10, "就诊医疗机构名称": 16, "入院日期": 12, "出院日期": 12,
    "结算日期": 12, "监测提示": 18, "备注": 16, "政策依据": 26,
    "源行号": 8, "原因": 50, "项目": 26, "取值": 22, "文号": 22, "条款": 24, "说明": 44, "分组方式": 10,
    "分组": 16, "人次": 8, "基金": 10, "年度": 7, "地区": 8, "适用": 14, "计算值": 16, "单位": 9, "有效期": 22,
}
_MONEY_WIDTH = 12
# long free text: fixed width, wrapped (the row grows), never widened
WRAP_COLUMNS = frozenset({"监测提示", "备注", "政策依据", "原因", "取值", "条款", "说明"})
FIT_CAP = 40  # a measured number or date column is never made wider than this
TEXT_CAP = 16  # nor a measured text column (人员类别 低保、返贫致贫人口 wraps into two lines)

# sheet -> (paper, orientation, scale %): see "Printing" in the module docstring
PAGE = {"台账": ("A3", "landscape", 80), "异常": ("A4", "landscape", 100), "政策依据": ("A4", "landscape", 100),
        "汇总": ("A4", "landscape", 100), "核对": ("A4", "landscape", 100), "年度累计": ("A4", "landscape", 100),
        "政策参数": ("A4", "landscape", 100)}
PAPER_MM = {"A4": (210, 297), "A3": (297, 420)}
MARGIN_IN = (0.4, 0.6)  # left/right, top/bottom
BODY_PT = 10
# columns repeated at the left of every page (identify the row on a second block of pages)
TITLE_COLUMNS = {"台账": 3, "异常": 0, "政策依据": 0, "汇总": 0, "核对": 0, "年度累计": 0, "政策参数": 0}


def column_width(name: str) -> float:
    """The template's width of column ``name`` (the writer only ever widens it)."""
    return _MONEY_WIDTH if COLUMN_KIND.get(name) == "money" else _WIDTHS.get(name, 12)


def page_units(sheet: str) -> float:
    """How many Excel width units fit across one page of ``sheet`` at its print scale.
    One unit is one digit of the workbook's default font: 7 px at 96 dpi with Calibri 11 (Excel on
    Windows), 9 px where Calibri is missing and DejaVu Sans stands in (LibreOffice on Linux). Pages
    are planned for the wider 9 px, so a block fits on paper in both (Excel leaves some room)."""
    paper, orientation, scale = PAGE[sheet]
    short, long_ = PAPER_MM[paper]
    width_mm = (long_ if orientation == "landscape" else short) - 2 * MARGIN_IN[0] * 25.4
    return width_mm / (UNIT_PX / 96 * 25.4) * 100 / scale


UNIT_PX = 9


def _first_block(name: str) -> int:
    """The last column of 就诊信息: the first printed block always holds 基本信息 and 就诊信息, so the
    title and 填报单位 / 所属期 / 制表日期 sit over it (a title merged over every column would be cut
    across the blocks of pages)."""
    col = 0
    for group, subs in LEDGER_GROUPS[name]:
        col += len(subs)
        if group == "就诊信息":
            return col
    return col


def _info_cells(name: str) -> dict[str, str]:
    end = _first_block(name)
    return {"title": "A1", "unit": "A2", "period": f"{get_column_letter(end - 6)}2",
            "date": f"{get_column_letter(end - 3)}2"}


INFO_CELLS: dict[str, dict[str, str]] = {name: _info_cells(name) for name in LEDGER_COLUMNS}


# the other sheets are narrower: 填报单位, 所属期 and 制表日期 share one cell merged over row 2
SHEET_INFO_CELLS: dict[str, dict[str, str]] = {sheet: {"title": "A1", "info": "A2"} for sheet in SHEET_ROWS if sheet != "台账"}
INFO_LINE = "填报单位：{unit}　　所属期：{period}　　制表日期：{date}"


def template_path(name: str) -> Path:
    """Path of the template ``name`` (a key of :data:`LEDGER_COLUMNS`)."""
    if name not in LEDGER_COLUMNS:
        raise KeyError(name)
    return TEMPLATE_DIR / f"{name}.xlsx"


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
