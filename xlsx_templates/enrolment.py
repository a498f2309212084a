"""Build the enrolment-side templates (参保/资助台账 表一, 动员参保台账 表二, 合理化未参保, 代缴请款明细,
参保率统计, 比对结果) next to this file: ``python -m xlsx_templates.enrolment``.

Same conventions as :mod:`xlsx_templates.build` (whose styling helpers are used): a ledger sheet has the
title (row 1), 填报单位 / 所属期 / 制表日期 (row 2), a two-row merged header (rows 3–4), ONE prototype
data row (5) and, where money is summed, a totals row (6) with ``=SUMPRODUCT(col+0)``; simple sheets
have one header row and the prototype in row 2. Print area, print titles, landscape fit to width —
A4, or A3 for a sheet so wide that A4 would print its text below 60 % (表一: 22 columns, 44 % ≈ 4.4 pt on
A4, 63 % ≈ 6.3 pt on A3) — and frozen panes. Rebuilding gives byte-identical files (fixed dates and zip timestamps).

表一 and 表二 follow the names of 区医保发〔2021〕40号 附件1、附件2 (安顺市西秀区特殊群体参保/资助台账（表一）,
动员参保台账（表二）); the document gives only the names, the columns are the real 资助参保 ledgers' headers
(shared reference) plus what the rules compute. 代缴请款明细 uses the tax office's 代缴请款 columns.
"""
from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from openpyxl.worksheet.properties import PageSetupProperties

from .build import (_ALIGN, _BODY_FONT, _FONT, _FORMATS, _header_cell, grouped_header, prototype_row,
                    save_reproducible, set_widths, totals_row, TEMPLATE_DIR)

TABLE1 = "表一_参保资助台账"
TABLE2 = "表二_动员参保台账"
REASONABLE = "合理化未参保台账"
REQUESTS = "代缴请款明细"
COVERAGE = "参保率统计"
COMPARE = "比对结果"

TITLES = {
    TABLE1: "{地区}特殊群体参保/资助台账（表一）",
    TABLE2: "{地区}特殊群体动员参保台账（表二）",
    REASONABLE: "{地区}特殊群体合理化未参保台账",
    REQUESTS: "{地区}城乡居民医保资助参保代缴请款明细",
    COVERAGE: "{地区}特殊群体参保率统计",
    COMPARE: "{部门}医疗救助对象名单与参保数据比对结果",
}

_PERSON = ("基本信息", ["镇（街）", "村（居）", "姓名", "证件号码"])

# workbook → [(sheet, groups or None for a simple sheet, columns (simple), summed columns)]
GROUPS = {
    ("表一_参保资助台账", "表一"): [
        (None, ["序号"]), _PERSON,
        ("身份信息", ["医疗救助身份", "纳入资助时间", "身份取消时间", "身份变更情况", "适用身份"]),
        ("参保缴费", ["参保类型", "参保年度", "缴费时间", "资助地或参保地"]),
        ("资助参保", ["缴费标准", "资助金额", "个人应缴金额", "个人缴费金额", "资助方式"]),
        ("待遇享受", ["待遇起始日期", "救助待遇起始日期"]),
        (None, ["说明"]),
    ],
    ("表二_动员参保台账", "表二"): [
        (None, ["序号"]), _PERSON,
        ("身份与资助", ["人员类别", "认定日期", "应资助金额", "个人应缴金额", "首次列入", "备注"]),
        ("动员情况（经办人员填写）", ["动员时间", "动员人", "动员结果", "未参保原因", "佐证材料"]),
    ],
    ("合理化未参保台账", "合理化未参保"): [
        (None, ["序号"]), _PERSON,
        ("身份", ["人员类别", "认定日期"]),
        ("合理化未参保", ["合理化原因", "佐证材料", "来源"]),
    ],
    ("代缴请款明细", "代缴请款明细"): [
        (None, ["序号"]), ("参保人", ["镇（街）", "姓名", "证件号码", "人员编号"]),
        ("代缴信息", ["代缴类别", "参保类别", "代缴金额", "个人缴费金额", "缴费总额", "请款批次"]),
    ],
    ("参保率统计", "参保率"): [
        ("统计范围", ["镇（街）", "村（居）"]),
        ("人数", ["应参保", "已参保", "合理未参保", "未参保"]),
        ("参保率（已参保+合理未参保）÷应参保", ["参保率", "资助对象目标", "是否达标", "全省常住人口目标"]),
        (None, ["依据"]),
    ],
    ("比对结果", "比对结果"): [
        (None, ["序号"]), (None, ["认定部门"]), _PERSON,
        ("名单信息", ["人员类别", "认定日期", "取消日期", "来源行"]),
        ("比对", ["比对结果", "说明"]),
    ],
}
SIMPLE = {
    ("表一_参保资助台账", "异常"): ["来源文件", "源行号", "姓名", "证件号码", "原因"],
    ("表二_动员参保台账", "变动情况"): ["序号", "镇（街）", "村（居）", "姓名", "证件号码", "变动", "日期", "说明"],
    ("比对结果", "异常"): ["来源文件", "源行号", "姓名", "证件号码", "原因"],
    ("比对结果", "汇总"): ["认定部门", "名单行数", "名单人数", "一致", "未找到参保记录", "身份不符",
                       "身份已取消仍享受资助", "重复资助", "名单内重复", "多部门认定", "说明"],
}
SUMMED = {
    ("表一_参保资助台账", "表一"): ["缴费标准", "资助金额", "个人应缴金额", "个人缴费金额"],
    ("表二_动员参保台账", "表二"): ["应资助金额", "个人应缴金额"],
    ("代缴请款明细", "代缴请款明细"): ["代缴金额", "个人缴费金额", "缴费总额"],
}
BOOKS = {
    TABLE1: ["表一", "异常"], TABLE2: ["表二", "变动情况"], REASONABLE: ["合理化未参保"],
    REQUESTS: ["代缴请款明细"], COVERAGE: ["参保率"], COMPARE: ["比对结果", "汇总", "异常"],
}

_MONEY = {"缴费标准", "资助金额", "个人应缴金额", "个人缴费金额", "应资助金额", "代缴金额", "缴费总额"}
_DATES = {"纳入资助时间", "身份取消时间", "缴费时间", "待遇起始日期", "救助待遇起始日期", "认定日期", "取消日期"}
_INTS = {"序号", "源行号", "参保年度", "应参保", "已参保", "合理未参保", "未参保", "名单行数", "名单人数", "一致",
         "未找到参保记录", "身份不符", "身份已取消仍享受资助", "重复资助", "名单内重复", "多部门认定"}
_RATES = {"参保率", "资助对象目标", "全省常住人口目标"}
_WIDTHS = {"序号": 6, "姓名": 9, "证件号码": 20, "镇（街）": 10, "村（居）": 10, "医疗救助身份": 16, "身份变更情况": 40,
           "适用身份": 12, "参保类型": 14, "资助方式": 30, "说明": 44, "备注": 30, "动员结果": 14, "未参保原因": 16,
           "佐证材料": 24, "合理化原因": 16, "来源": 30, "代缴类别": 14, "参保类别": 20, "人员编号": 16,
           "比对结果": 16, "依据": 40, "来源文件": 24, "原因": 50, "变动": 16, "认定部门": 10, "来源行": 20,
           "人员类别": 16, "资助地或参保地": 14, "请款批次": 10, "是否达标": 18, "全省常住人口目标": 14}


def kind(column: str) -> str:
    return ("money" if column in _MONEY else "date" if column in _DATES else "int" if column in _INTS
            else "rate" if column in _RATES else "text")


_FMT = {**_FORMATS, "rate": "0.00%"}
_AL = {**_ALIGN, "rate": _ALIGN["money"]}

# sheet → (prototype_row, totals_row or None)
def rows_of(book: str, sheet: str) -> tuple[int, int | None]:
    if (book, sheet) in SIMPLE:
        return 2, None
    return 5, (6 if (book, sheet) in SUMMED else None)


def columns_of(book: str, sheet: str) -> list[str]:
    if (book, sheet) in SIMPLE:
        return SIMPLE[(book, sheet)]
    return [c for _g, cols in GROUPS[(book, sheet)] for c in cols]


def width_of(column: str) -> float:
    return _WIDTHS.get(column, 12 if kind(column) != "int" else 9)


def layout_of(book: str, sheet: str) -> tuple[dict[int, tuple[float, bool]], dict[int, float]]:
    """(fit, wrap) for the writer: numbers and dates widened after filling to their widest value (never
    ###); text wraps at the column's width and the row grows to hold it (files are not re-laid out on
    opening, so wrapped lines would otherwise overlap the next row)."""
    cols = columns_of(book, sheet)
    summed = set(SUMMED.get((book, sheet), ()))
    fit = {i: (40, c in summed) for i, c in enumerate(cols, 1) if kind(c) != "text"}
    wrap = {i: width_of(c) for i, c in enumerate(cols, 1) if kind(c) == "text"}
    return fit, wrap


def info_cells(book: str, sheet: str) -> dict[str, str]:
    n = len(columns_of(book, sheet))
    return {"title": "A1", "unit": "A2", "period": f"{get_column_letter(max(n // 2 - 1, 2))}2",
            "date": f"{get_column_letter(max(n - 3, 3))}2"}


def template_path(book: str) -> Path:
    if book not in BOOKS:
        raise KeyError(book)
    return TEMPLATE_DIR / f"{book}.xlsx"


# ---------------------------------------------------------------------------------------------
# Landscape width inside 0.4" margins, in points, and one column-width unit printed at 100 % (7 px at 96 dpi).
PRINTABLE_PT = {"A4": 842 - 2 * 0.4 * 72, "A3": 1191 - 2 * 0.4 * 72}
UNIT_PT = 7 * 0.75
MIN_SCALE = 0.60  # body text 10 pt → at least 6 pt on paper


def paper_for(width_units: float) -> tuple[str, float]:
    """(paper, estimated fit-to-width scale): A4 unless that prints below :data:`MIN_SCALE`, then A3."""
    for paper in ("A4", "A3"):
        scale = min(1.0, PRINTABLE_PT[paper] / (width_units * UNIT_PT))
        if scale >= MIN_SCALE:
            return paper, scale
    return "A3", scale


def _page_setup(ws, last_col: str, last_row: int, title_rows: str) -> None:
    """Landscape on :func:`paper_for`'s paper, fit to one page wide, print area and print titles, page
    numbers in the footer."""
    ws.print_area = f"A1:{last_col}{last_row}"
    ws.print_title_rows = title_rows
    ws.page_setup.orientation = "landscape"
    width = sum(ws.column_dimensions[get_column_letter(i)].width or 8.43 for i in range(1, ws.max_column + 1))
    paper, _scale = paper_for(width)
    ws.page_setup.paperSize = ws.PAPERSIZE_A3 if paper == "A3" else ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = "第 &P 页，共 &N 页"


def _prototype(ws, row: int, columns: list[str]) -> None:
    prototype_row(ws, row, [kind(n) for n in columns], _FMT, _AL)


def _widths(ws, columns: list[str]) -> None:
    set_widths(ws, [width_of(n) for n in columns])


def _ledger(ws, book: str, sheet: str) -> None:
    columns = columns_of(book, sheet)
    n = len(columns)
    last = get_column_letter(n)
    proto, totals = rows_of(book, sheet)
    ws["A1"] = TITLES[book]
    ws["A1"].font = Font(name=_FONT, size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 30
    info = info_cells(book, sheet)
    left = Alignment(horizontal="left", vertical="center")
    for key, text in (("unit", "填报单位："), ("period", "所属期："), ("date", "制表日期：")):
        cell = ws[info[key]]
        cell.value = text
        cell.font = _BODY_FONT
        cell.alignment = left
    unit_end = ws[info["period"]].column - 1
    date_col = ws[info["date"]].column
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=max(unit_end, 1))
    ws.merge_cells(start_row=2, start_column=unit_end + 1, end_row=2, end_column=date_col - 1)
    ws.merge_cells(start_row=2, start_column=date_col, end_row=2, end_column=n)
    grouped_header(ws, GROUPS[(book, sheet)])
    _prototype(ws, proto, columns)
    if totals is not None:
        totals_row(ws, totals, proto, columns, SUMMED[(book, sheet)])
    _widths(ws, columns)
    ws.freeze_panes = f"A{proto}"
    _page_setup(ws, last, totals or proto, "3:4")


def _simple(ws, book: str, sheet: str) -> None:
    columns = SIMPLE[(book, sheet)]
    for i, name in enumerate(columns, start=1):
        _header_cell(ws, 1, i, name)
    ws.row_dimensions[1].height = 22
    _prototype(ws, 2, columns)
    _widths(ws, columns)
    ws.freeze_panes = "A2"
    _page_setup(ws, get_column_letter(len(columns)), 2, "1:1")


def build_workbook(book: str) -> Workbook:
    wb = Workbook()
    for i, sheet in enumerate(BOOKS[book]):
        ws = wb.active if i == 0 else wb.create_sheet(sheet)
        ws.title = sheet
        (_simple if (book, sheet) in SIMPLE else _ledger)(ws, book, sheet)
    wb.properties.creator = "yibao"
    wb.properties.title = TITLES[book]
    return wb


def build(book: str, directory: Path | None = None) -> Path:
    return save_reproducible(build_workbook(book), (directory or TEMPLATE_DIR) / f"{book}.xlsx")


def main() -> None:
    for book in BOOKS:
        print(build(book))


if __name__ == "__main__":
    main()
