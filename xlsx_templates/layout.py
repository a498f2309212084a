"""The ledger templates' layout as plain facts — columns, rows, widths, pages, where the title goes —
without openpyxl, so the batch (processor/ledgers) imports them in a few milliseconds. The templates
themselves are made by :mod:`xlsx_templates.build` from these facts (its docstring explains them)."""
from __future__ import annotations

from pathlib import Path


def _column_letter(n: int) -> str:
    """1 → A, 27 → AA (openpyxl's get_column_letter, which costs importing openpyxl)."""
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


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
    return {"title": "A1", "unit": "A2", "period": f"{_column_letter(end - 6)}2",
            "date": f"{_column_letter(end - 3)}2"}


INFO_CELLS: dict[str, dict[str, str]] = {name: _info_cells(name) for name in LEDGER_COLUMNS}


# the other sheets are narrower: 填报单位, 所属期 and 制表日期 share one cell merged over row 2
SHEET_INFO_CELLS: dict[str, dict[str, str]] = {sheet: {"title": "A1", "info": "A2"} for sheet in SHEET_ROWS if sheet != "台账"}
INFO_LINE = "填报单位：{unit}　　所属期：{period}　　制表日期：{date}"


def template_path(name: str) -> Path:
    """Path of the template ``name`` (a key of :data:`LEDGER_COLUMNS`)."""
    if name not in LEDGER_COLUMNS:
        raise KeyError(name)
    return TEMPLATE_DIR / f"{name}.xlsx"
