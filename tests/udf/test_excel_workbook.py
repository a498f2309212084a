"""The clerks' workbook (udf/workbook/yibao_functions.xlsx) and docs/excel.md stay true to the functions."""
from __future__ import annotations

import importlib.util
import inspect
import re
from pathlib import Path

import openpyxl
import pytest
from pycel import ExcelCompiler

import udf

ROOT = Path(__file__).resolve().parents[2]
WORKBOOK = ROOT / "udf" / "workbook" / "yibao_functions.xlsx"
BUILD = ROOT / "udf" / "workbook" / "build.py"
DOC = ROOT / "docs" / "excel.md"


def _build_module():
    spec = importlib.util.spec_from_file_location("yibao_workbook_build", BUILD)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_conf_like_the_addin(ws) -> dict[str, str]:
    """xlwings add-in (addin/Config.bas GetConfigFromSheet): column A from A1 down to the first empty cell,
    keys upper-cased, values from column B."""
    out = {}
    row = 1
    while ws.cell(row, 1).value not in (None, ""):
        key = str(ws.cell(row, 1).value).upper()
        assert key not in out, f"duplicate key {key}: the add-in's Dictionary.Add would fail"
        out[key] = "" if ws.cell(row, 2).value is None else str(ws.cell(row, 2).value)
        row += 1
    return out


def test_conf_sheet_keys_are_pinned():
    wb = openpyxl.load_workbook(WORKBOOK)
    assert "xlwings.conf" in wb.sheetnames  # the exact name the add-in looks for (not "_xlwings.conf")
    conf = read_conf_like_the_addin(wb["xlwings.conf"])
    assert conf == {"UDF MODULES": "udf", "INTERPRETER_WIN": ""}
    # the comment rows are below an empty row, so the add-in never reads them as keys
    ws = wb["xlwings.conf"]
    assert ws["A3"].value is None and ws["A4"].value and "说明" in ws["A4"].value


def test_conf_keys_are_the_ones_xlwings_reads():
    """The installed xlwings add-in asks for exactly these (upper-cased) keys."""
    xlwings = pytest.importorskip("xlwings")
    main_bas = Path(xlwings.__file__).with_name("addin") / "Main.bas"
    if not main_bas.exists():
        pytest.skip("xlwings add-in sources not installed")
    src = main_bas.read_text("utf-8", errors="replace")
    assert 'GetConfig("UDF MODULES")' in src
    assert 'GetConfig("INTERPRETER_WIN"' in src


def test_udf_modules_value_is_this_package():
    module = __import__(openpyxl.load_workbook(WORKBOOK)["xlwings.conf"]["B1"].value)
    assert module is udf
    for name in ("ASSIST", "CRITICAL", "SUBSIDY", "TILT", "MONITOR", "IDENTITY", "ASSIST_EXPLAIN"):
        assert callable(getattr(module, name))


def test_sheets_and_no_live_formulas():
    wb = openpyxl.load_workbook(WORKBOOK)
    assert wb.sheetnames == ["示例", "说明", "xlwings.conf"]
    for ws in wb:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"{ws.title}!{c.coordinate} is a live formula in an .xlsx"
    steps = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    for must in ("pip install", "xlwings addin install", "Import Functions", "UDF Modules", "yibao_settings.toml",
                 ".xlsm", "#内部错误"):
        assert must in steps, must


def _values(path):
    wb = openpyxl.load_workbook(path)
    return {ws.title: [[c.value for c in row] for row in ws.iter_rows()] for ws in wb}


def test_committed_workbook_is_what_build_py_makes(tmp_path):
    fresh = _build_module().build(tmp_path / "fresh.xlsx")
    assert _values(fresh) == _values(WORKBOOK), "run: python udf/workbook/build.py"


def _examples():
    """(cell, formula text, stated result): every formula shown as text; the result column D for column B."""
    ws = openpyxl.load_workbook(WORKBOOK)["示例"]
    out = []
    for row in ws.iter_rows(min_row=2):
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("="):
                out.append((c.coordinate, c.value, row[3].value if c.column == 2 else None))
    return out


def test_examples_evaluate_to_their_stated_results(tmp_path, plugin):
    """Each example formula, made live in a copy of the sheet and evaluated (no local settings at all)."""
    examples = _examples()
    assert len(examples) >= 10
    wb = openpyxl.load_workbook(WORKBOOK)
    ws = wb["示例"]
    live = {}
    for coord, formula, _ in examples:
        cell = ws[coord].offset(column=10)
        cell.value = formula  # a string starting with '=' is a formula to openpyxl
        live[coord] = cell.coordinate
    path = tmp_path / "live.xlsx"
    wb.save(path)
    xc = ExcelCompiler(filename=str(path), plugins=[plugin])
    checked = 0
    for coord, formula, expected in examples:
        if expected is None or (isinstance(expected, str) and expected.startswith("（")):
            continue
        got = xc.evaluate(f"示例!{live[coord]}")
        if hasattr(got, "isoformat"):  # WAIT_START: a date (the sheet states it as text)
            got = got.isoformat()[:10]
        if isinstance(expected, str) and expected.startswith("#"):
            assert isinstance(got, str) and got.startswith(expected), (formula, got)
        else:
            assert got == expected, (formula, got, expected)
        checked += 1
    assert checked >= 10
    # the ledger rows reference their own row's cells
    ledger = [(c, f) for c, f, _ in examples if re.search(r"\(A\d+,", f)]
    assert ledger
    for coord, formula in ledger:
        row = re.search(r"\d+", coord).group()
        assert coord.startswith("F")
        assert formula == f'=ASSIST(A{row},B{row},"赣州",C{row},D{row},"住院",E{row})'
    results = [xc.evaluate(f"示例!{live[coord]}") for coord, _ in ledger]
    # 低保对象 10,000 → 75%; 低保边缘 needs the 2021 income setting (none here) → says so; 特困 "1,000.50" → 100%
    assert results[0] == 7500.0 and results[2] == 1000.5
    assert results[1].startswith("#缺少本地设置") and "disposable_income" in results[1]


def test_explain_example():
    formula = next(f for _, f, _ in _examples() if f.startswith("=ASSIST_EXPLAIN("))
    args = [a.strip('"') or None for a in formula[len("=ASSIST_EXPLAIN("):-1].split(",")]
    args[1] = float(args[1])
    lines = udf.ASSIST_EXPLAIN(*args)
    assert lines[-1] == "结果：7500.00 元"


# ---------------------------------------------------------------------------- docs/excel.md
def _doc_signature(fn) -> str:
    parts = [p.name if p.default is inspect.Parameter.empty else f"[{p.name}]"
             for p in inspect.signature(fn).parameters.values()]
    return f"{fn.__name__}({', '.join(parts)})"


@pytest.mark.parametrize("name", ["ASSIST", "CRITICAL", "SUBSIDY", "TILT", "MONITOR", "IDENTITY"])
def test_doc_states_each_signature(name):
    doc = DOC.read_text("utf-8")
    sig = _doc_signature(getattr(udf, name))
    assert sig in doc, sig
    for p in list(inspect.signature(getattr(udf, name)).parameters)[1:]:
        if p not in ("region", "date", "year", "categories"):
            assert f"`{p}`" in doc, (name, p)


def test_doc_covers_install_settings_and_limits():
    doc = DOC.read_text("utf-8")
    for must in ("pip install", "xlwings addin install", "Import Functions", "UDF Modules", "xlwings.conf",
                 "yibao_settings.toml", "YIBAO_SETTINGS", "255", "#内部错误", "默认今天", "默认 是",
                 "_EXPLAIN", "COUNTIF"):
        assert must in doc, must
    assert sorted(n for n in udf.__all__ if n.isupper()) == sorted(
        n for n in udf.__all__ if n.isupper() and n in doc)
