"""The functions inside formulas: a small ledger evaluated outside Excel with pycel.

How the functions are wired into pycel: ``ExcelCompiler(filename=..., plugins=["module.path"])`` imports
each plugin module (``importlib.import_module``) and searches it before pycel's own library for every
function a formula calls (pycel/excelformula.py ``build_eval_context`` → ``function_helpers.load_functions``).
The formula compiler lower-cases function names (``FunctionNode.emit``: ``ASSIST(`` → ``assist(``, and a
dotted prefix such as ``_xludf.ASSIST`` → ``_xludf_assist``), so the plugin module exposes each Excel
function under its lower-case name (the ``plugin`` fixture in conftest.py builds that module from
``udf.__all__``). Functions without pycel metadata get the raw cell values: ``None`` for
an empty cell or an omitted argument, int/float numbers, text as text, date cells as serial numbers.
"""
from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pytest
from pycel import ExcelCompiler

from udf import ASSIST

SHEET = "台账"


# Input rows: 人员类别, 个人自付 (after 基本医保/大病), 年度累计自付, 年度累计救助, 进入大病的费用, 结算日期, 三重后自付
ROWS = [
    ("低保", 10000.0, None, None, 100000.0, datetime(2022, 6, 30), 50000.0),
    ("五保户", "1,000.50", None, None, "20,000", 44742.0, 12000.0),
    ("低保边缘、低保", 3333.33, 2000.0, 1234.56, 8000.0, "2022-06-30", "2,000"),
    ("低保边缘", "５０００", "2,000", None, 55555.55, "2022年6月30日", 31000.0),
]
FIRST, LAST = 2, 1 + len(ROWS)
TOTAL = LAST + 1


def _build(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = SHEET
    ws.append(["人员类别", "个人自付", "年度累计自付", "年度累计救助", "进入大病费用", "结算日期", "三重后自付",
               "医疗救助", "大病保险", "资助参保", "倾斜救助", "身份", "监测", "救助+大病"])
    for i, (cat, selfpay, ytd, ytd_assist, big, when, remaining) in enumerate(ROWS, FIRST):
        ws.append([cat, selfpay, ytd, ytd_assist, big, when, remaining])
        ws[f"H{i}"] = f'=ASSIST(A{i},B{i},"赣州",C{i},D{i},"住院","2022-06-30")'
        ws[f"I{i}"] = f'=CRITICAL(A{i},E{i},"赣州市",,F{i})'
        ws[f"J{i}"] = f'=SUBSIDY(A{i},"赣州",2022)'
        ws[f"K{i}"] = f'=TILT(A{i},G{i},"赣州",,,F{i},"是",G{i})'  # all of it beyond the 医疗救助 cap
        ws[f"L{i}"] = f'=IDENTITY(A{i},"赣州",F{i})'
        ws[f"M{i}"] = f'=MONITOR(A{i},B{i},"赣州",C{i},F{i})'
        ws[f"N{i}"] = f"=H{i}+I{i}"
    for col in "HIJKN":
        ws[f"{col}{TOTAL}"] = f"=SUM({col}{FIRST}:{col}{LAST})"
    # a result computed from another formula's float, and a formula saved with Excel's unknown-function prefix
    ws["P2"] = '=ASSIST("低保",B2-H2/3,"赣州",,,,"2022-06-30")'
    ws["P3"] = '=_xludf.ASSIST("低保",10000,"赣州",,,"住院","2022-06-30")'
    # a bad input: a # message is text, so SUM skips it (as Excel does) — documented in docs/excel.md
    ws["P5"] = '=ASSIST("外星人",100,"赣州",,,"住院","2022-06-30")'
    ws["P6"] = '=ASSIST("低保",100,"赣州",,,"住院","2022-06-30")'
    ws["P7"] = "=SUM(P5:P6)"
    ws["P8"] = '=TILT("低保",G99,"赣州",,,"2022-06-30")'  # an empty required cell
    wb.save(path)


@pytest.fixture
def ledger(tmp_path):
    path = tmp_path / "台账.xlsx"
    _build(path)
    return path


def test_formula_text_is_unprefixed(ledger):
    ws = openpyxl.load_workbook(ledger)[SHEET]
    assert ws["H2"].value == '=ASSIST(A2,B2,"赣州",C2,D2,"住院","2022-06-30")'
    assert ws["I3"].value.startswith("=CRITICAL(") and ws[f"H{TOTAL}"].value == f"=SUM(H{FIRST}:H{LAST})"


def _fen(text_or_number) -> int:
    from processor.money import parse_amount
    return 0 if text_or_number is None else parse_amount(text_or_number)


def test_ledger_evaluates_to_the_engines_numbers(ledger, plugin, eng):
    xc = ExcelCompiler(filename=str(ledger), plugins=[plugin])
    on = date(2022, 6, 30)
    sums = {c: 0 for c in "HIJKN"}
    for i, (cat, selfpay, ytd, ytd_assist, big, _when, remaining) in enumerate(ROWS, FIRST):
        a = eng.assistance(cat, "赣州", _fen(selfpay), _fen(ytd), _fen(ytd_assist), "住院", on)
        c = eng.critical(cat, "赣州", _fen(big), 0, on)
        s = eng.subsidy(cat, "赣州", 2022)
        t = eng.tilt(cat, "赣州", _fen(remaining), 0, 0, on, True, _fen(remaining))
        expected = {"H": a.fen, "I": c.fen, "J": s.fen, "K": t.fen}
        for col, fen in expected.items():
            got = xc.evaluate(f"{SHEET}!{col}{i}")
            assert isinstance(got, float), (col, i, got)
            assert got == fen / 100, (col, i, got, fen)
            sums[col] += fen
        assert xc.evaluate(f"{SHEET}!N{i}") == pytest.approx((a.fen + c.fen) / 100, abs=1e-9)
        sums["N"] += a.fen + c.fen
        assert xc.evaluate(f"{SHEET}!L{i}") == eng.identity(cat, "赣州", on)
        assert xc.evaluate(f"{SHEET}!M{i}") == eng.monitor(cat, "赣州", _fen(selfpay), _fen(ytd), on).text
    # what pycel ran: the lower-case plugin names over the cells
    assert xc.cell_map[f"{SHEET}!H2"].formula.python_code.startswith('assist(_C_("台账!A2"), _C_("台账!B2"), "赣州"')
    assert xc.cell_map[f"{SHEET}!I2"].formula.python_code.startswith("critical(")
    for col, fen in sums.items():
        total = xc.evaluate(f"{SHEET}!{col}{TOTAL}")
        assert total == pytest.approx(fen / 100, abs=1e-9), col
        assert round(total * 100) == fen, col


def test_hand_checked_cells(ledger, plugin, settings_file):
    xc = ExcelCompiler(filename=str(ledger), plugins=[plugin])
    # 赣市医保字〔2021〕37号 二(三)3(1)②: 低保 75% of 10,000; ① 特困 100% of 1,000.50
    assert xc.evaluate(f"{SHEET}!H2") == 7500.0
    assert xc.evaluate(f"{SHEET}!H3") == 1000.5
    # 二(三)2 with 2021 income 30,000: 低保 tilt (100,000 − 7,500) × 65%
    assert xc.evaluate(f"{SHEET}!I2") == 60125.0
    # 二(二)2: 低保 320 a year; 特困 全额 = 2022 contribution 320 (赣医保发〔2021〕13号)
    assert xc.evaluate(f"{SHEET}!J2") == xc.evaluate(f"{SHEET}!J3") == 320.0
    # 二(三)3(1)③: 低保边缘 (2,000 + 5,000 − 3,000) × 60% = 2,400
    assert xc.evaluate(f"{SHEET}!H5") == 2400.0
    assert xc.evaluate(f"{SHEET}!L4") == "低保对象"


def test_formula_arguments_and_prefixed_names(ledger, plugin, settings_file):
    xc = ExcelCompiler(filename=str(ledger), plugins=[plugin])
    # B2 − H2/3 = 10,000 − 2,500 = 7,500 (a float from another formula) → 75% = 5,625
    assert xc.evaluate(f"{SHEET}!P2") == 5625.0 == ASSIST("低保", 7500.0, "赣州", None, None, None, "2022-06-30")
    assert xc.evaluate(f"{SHEET}!P3") == 7500.0


def test_message_in_a_ledger(ledger, plugin, settings_file):
    xc = ExcelCompiler(filename=str(ledger), plugins=[plugin])
    msg = xc.evaluate(f"{SHEET}!P5")
    assert isinstance(msg, str) and msg.startswith("#未知人员类别")
    assert xc.evaluate(f"{SHEET}!P7") == 75.0  # SUM skips the text: check a ledger with COUNTIF(H:H,"#*")
    assert xc.evaluate(f"{SHEET}!P8") == "#缺少三重制度后个人自付"  # not 0
