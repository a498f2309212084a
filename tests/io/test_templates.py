"""The ledger templates: header cells pinned, layout facts, rebuild gives the same headers."""
from __future__ import annotations

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from xlsx_templates import build as tb

NAMES = list(tb.LEDGER_COLUMNS)


def _ledger_headers(ws) -> list[str]:
    """Sub-headers from row 4; a single header merged over rows 3–4 sits in row 3."""
    out = []
    for col in range(1, ws.max_column + 1):
        sub = ws.cell(row=4, column=col).value
        out.append(sub if sub is not None else ws.cell(row=3, column=col).value)
    return out


def _all_values(wb) -> dict:
    return {
        ws.title: [[c.value for c in row] for row in ws.iter_rows()]
        for ws in wb.worksheets
    }


def test_column_constants():
    assert tb.LEDGER_COLUMNS["医疗救助待遇台账"] == [
        "序号", "结算ID", "姓名", "证件号码", "镇（街）", "村（居）", "人员类别", "适用身份", "医疗类别",
        "就诊医疗机构名称", "入院日期", "出院日期", "结算日期", "医疗费总额", "政策范围内费用", "基本医保支付",
        "大病保险", "进入医疗救助金额", "医疗救助", "倾斜救助", "医疗机构承担", "个人自付", "年度累计个人自付",
        "年度累计医疗救助", "监测提示", "备注", "政策依据",
    ]
    xixiu = tb.LEDGER_COLUMNS["待遇台账"]
    assert xixiu[xixiu.index("医疗类别") + 1] == "是否转诊"
    assert [c for c in xixiu if c != "是否转诊"] == tb.LEDGER_COLUMNS["医疗救助待遇台账"]


@pytest.mark.parametrize("name", NAMES)
def test_ledger_header_cells(name):
    wb = openpyxl.load_workbook(tb.template_path(name))
    assert wb.sheetnames == list(tb.SHEET_ROWS)
    assert wb.sheetnames[:4] == ["台账", "异常", "政策依据", "汇总"]
    ws = wb["台账"]
    columns = tb.LEDGER_COLUMNS[name]
    assert ws.max_column == len(columns)
    assert _ledger_headers(ws) == columns

    # title: bold 16pt, centered
    if name == "待遇台账":
        assert ws["A1"].value == "安顺市西秀区特殊群体待遇（报销）台账（表三）"
    else:
        assert "医疗救助待遇台账" in ws["A1"].value
    # merged over the first printed block (基本信息 and 就诊信息), which always holds them
    block = get_column_letter(columns.index("结算日期") + 1)
    assert f"A1:{block}1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws["A1"].font.b and ws["A1"].font.sz == 16
    assert ws["A1"].alignment.horizontal == "center"

    # row 2 labels where INFO_CELLS says
    info = tb.INFO_CELLS[name]
    assert ws[info["unit"]].value == "填报单位："
    assert ws[info["period"]].value == "所属期："
    assert ws[info["date"]].value == "制表日期："

    # group headers in row 3 span their sub-columns; single headers merge vertically
    merged = {str(r) for r in ws.merged_cells.ranges}
    col = 1
    for group, subs in tb.LEDGER_GROUPS[name]:
        letter = get_column_letter(col)
        if group is None:
            assert f"{letter}3:{letter}4" in merged
            assert ws.cell(row=3, column=col).value == subs[0]
        else:
            assert ws.cell(row=3, column=col).value == group
            if len(subs) > 1:
                assert f"{letter}3:{get_column_letter(col + len(subs) - 1)}3" in merged
        col += len(subs)
    groups = [g for g, _ in tb.LEDGER_GROUPS[name] if g]
    assert groups == ["基本信息", "就诊信息", "费用信息", "三重保障支付", "年度累计", "监测与依据"]


@pytest.mark.parametrize("name", NAMES)
def test_ledger_prototype_and_totals(name):
    ws = openpyxl.load_workbook(tb.template_path(name))["台账"]
    columns = tb.LEDGER_COLUMNS[name]
    proto, totals = tb.SHEET_ROWS["台账"]
    assert (proto, totals) == (5, 6)
    formats = {"text": "@", "money": "#,##0.00", "date": "yyyy-mm-dd", "int": "0"}
    for i, col in enumerate(columns, start=1):
        cell = ws.cell(row=proto, column=i)
        assert cell.value is None
        assert cell.number_format == formats[tb.COLUMN_KIND[col]], col
        assert cell.border.left.style == "thin"
    assert ws.cell(row=proto, column=columns.index("证件号码") + 1).number_format == "@"
    assert ws.cell(row=totals, column=1).value == "合计"
    for i, col in enumerate(columns, start=1):
        value = ws.cell(row=totals, column=i).value
        letter = get_column_letter(i)
        if col in tb.LEDGER_SUM_COLUMNS:  # a sum over the prototype row, e.g. =SUM(N5:N5)
            assert value.startswith("=") and f"({letter}5:{letter}5" in value, value
        elif i > 1:
            assert value is None
    assert ws.max_row == totals


@pytest.mark.parametrize("name", NAMES)
def test_ledger_page_setup(name):
    ws = openpyxl.load_workbook(tb.template_path(name))["台账"]
    last = get_column_letter(len(tb.LEDGER_COLUMNS[name]))
    assert ws.freeze_panes == "D5"
    assert ws.print_title_rows == "$3:$4"
    assert ws.print_area == f"'台账'!$A$1:${last}$6"
    assert ws.print_title_cols == "$A:$C"  # 序号, 结算ID, 姓名 on every block of pages
    assert ws.page_setup.orientation == "landscape"
    assert str(ws.page_setup.paperSize) == "8"  # A3
    # a fixed scale, never fit-to-width: 10 pt × 80 % = 8 pt on paper
    assert not ws.sheet_properties.pageSetUpPr.fitToPage
    assert int(ws.page_setup.scale) * tb.BODY_PT / 100 >= 8
    assert ws.page_setup.pageOrder == "overThenDown"
    assert ws.column_dimensions["D"].width >= 18  # 证件号码 fits 18 digits


@pytest.mark.parametrize("name", NAMES)
def test_other_sheets(name):
    wb = openpyxl.load_workbook(tb.template_path(name))
    for sheet in wb.sheetnames[1:]:
        ws = wb[sheet]
        proto, totals = tb.SHEET_ROWS[sheet]
        columns = tb.SHEET_COLUMNS[name][sheet]
        assert [c.value for c in ws[proto - 1]] == columns
        assert all(c.value is None for c in ws[proto])
        assert ws.max_row == (totals or proto)
    assert tb.SHEET_COLUMNS[name]["异常"] == ["源行号", "结算ID", "姓名", "原因"]
    assert tb.SHEET_COLUMNS[name]["政策依据"] == ["项目", "取值", "文号", "条款", "说明"]
    assert tb.SHEET_COLUMNS[name]["汇总"] == ["分组方式", "分组", "人次", "医疗费总额", "大病保险", "医疗救助",
                                              "倾斜救助", "个人自付"]
    assert wb["汇总"]["D4"].number_format == "#,##0.00"
    for sheet in wb.sheetnames[1:]:  # every sheet a report: title and 填报单位 / 所属期 / 制表日期
        ws = wb[sheet]
        assert ws["A1"].value and ws["A1"].font.b
        assert ws["A2"].value.startswith("填报单位：") and "所属期：" in ws["A2"].value and "制表日期：" in ws["A2"].value


@pytest.mark.parametrize("name", NAMES)
def test_rebuild_gives_same_headers(name, tmp_path):
    rebuilt = tb.build(name, tmp_path)
    new = openpyxl.load_workbook(rebuilt)
    old = openpyxl.load_workbook(tb.template_path(name))
    assert _all_values(new) == _all_values(old)
    for ws in new.worksheets:
        assert {str(r) for r in ws.merged_cells.ranges} == {str(r) for r in old[ws.title].merged_cells.ranges}
    # the build is reproducible: twice gives the same bytes
    (tmp_path / "b").mkdir()
    again = tb.build(name, tmp_path / "b")
    assert again.read_bytes() == rebuilt.read_bytes()
