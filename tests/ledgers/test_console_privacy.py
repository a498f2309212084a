"""Names and ID numbers stay in the workbook: nothing printed on stdout/stderr carries a name or an
unmasked ID number (first 6 + last 4 only) — the rejected rows listed for a bureau template without
an 异常 sheet, the messages about a broken --previous ledger, the reject guard's message."""
from __future__ import annotations

import contextlib
import io
import re
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ledgers for the export builder
import exports  # noqa: E402

from processor.cli import main  # noqa: E402
from processor.io.ids import check_digit  # noqa: E402

FULL_ID = re.compile(r"\d{17}[\dX]")


def pid(n: int) -> str:
    body = f"99900019600101{n:03d}"
    return body + check_digit(body)


NAMES = ["欧阳明月", "司马青云", "诸葛晴川", "上官飞燕", "东方既白"]
OTHER_ID = pid(900)   # someone's number typed into a wrong column


def claim(n: int, **more) -> dict:
    return {**dict(结算ID=f"S{n:03d}", 姓名=NAMES[n % len(NAMES)], 证件号码=pid(n), 人员类别="低保对象", 镇街="凤城镇",
                   医疗类别="住院", 是否转诊="是", 结算日期=date(2022, 3, 1 + n % 28), 医疗费总额=1000, 符合范围金额=1000,
                   统筹基金支出=600), **more}


@pytest.fixture
def settings(tmp_path):
    return exports.write_settings(tmp_path / "s.toml", "阳城", [
        ("critical_deductible", 2022, "100000"), ("critical_rate", 2022, "60%"), ("critical_cap", 2022, "300000"),
        ("assistance_cap", 2022, "60000")])


def run(tmp, name, items, settings, *extra) -> tuple[int, str, Path]:
    """Not --quiet: the progress lines are checked too. Returns (rc, stdout + stderr, output path)."""
    export = tmp / f"{name}.xlsx"
    exports.write_export(export, items)
    out = tmp / f"{name}_台账.xlsx"
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        rc = main(["fill", "医疗救助台账", str(export), "--region", "阳城", "--out", str(out), "--settings", str(settings),
                   *map(str, extra)])
    return rc, o.getvalue() + e.getvalue(), out


def assert_private(text: str, items) -> None:
    assert not FULL_ID.search(text), FULL_ID.search(text).group(0)
    for item in items:
        assert item["姓名"] not in text
        assert item["证件号码"] not in text
    assert OTHER_ID not in text


def bureau_template(path: Path) -> Path:
    """A bureau's own sheet: a header row using export aliases, a styled prototype row, no 异常 sheet."""
    from openpyxl.styles import Border, Side
    thin = Side(style="thin")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "救助发放明细"
    ws["A1"] = "某县医疗救助资金发放明细表"
    headers = ["序号", "姓名", "身份证号", "人员类别", "结算日期", "医疗费总额（元）", "医疗救助"]
    ws.append(headers)
    for i in range(1, len(headers) + 1):
        ws.cell(row=3, column=i).border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wb.save(path)
    return path


def test_rejected_rows_of_a_bureau_template_ledger_stay_in_the_workbook(tmp_path, settings):
    # a bureau's template without an 异常 sheet gets ours beside its own: the rejected rows (with the IDs
    # their reasons quote) are written there, and the console names neither IDs nor persons
    items = [claim(1), claim(2), claim(3, 医疗类别="牙科"), claim(4, 医疗类别=OTHER_ID), claim(1, 结算日期=date(2022, 3, 9))]
    rc, text, out = run(tmp_path, "m", items, settings, "--template", bureau_template(tmp_path / "tpl.xlsx"))
    assert rc == 0, text
    assert "异常行见工作表「异常」，共 3 行" in text
    assert_private(text, items)
    reasons = [r[3] for r in openpyxl.load_workbook(out)["异常"].iter_rows(min_row=4, values_only=True) if r[1]]
    # rows 4.. are the data rows (title, 导出时间, header above): S003 is row 6, S004 row 7, the duplicate row 8
    assert any("未知医疗类别：牙科" in r for r in reasons) and any("重复的结算ID" in r for r in reasons)
    # the workbook keeps them whole
    ws = openpyxl.load_workbook(out).active
    assert [ws.cell(r, 3).value for r in (3, 4)] == [pid(1), pid(2)]


def test_a_normal_run_prints_no_personal_data(tmp_path, settings):
    items = [claim(n) for n in range(1, 6)]
    rc, text, out = run(tmp_path, "m", items, settings)
    assert rc == 0 and "完成" in text
    assert_private(text, items)


def _january(tmp_path, settings):
    items = [claim(1, 结算日期=date(2022, 1, 5)), claim(2, 结算日期=date(2022, 1, 6))]
    rc, text, jan = run(tmp_path, "01", items, settings, "--quiet")
    assert rc == 0, text
    return items, jan


@pytest.mark.parametrize("cell", ["C4", "E5", "A4"])   # 年度, an amount, the person key itself (bad check digit)
def test_previous_errors_mask_the_id(tmp_path, settings, cell):
    items, jan = _january(tmp_path, settings)
    wb = openpyxl.load_workbook(jan)
    ws = wb["年度累计"]
    assert ws["A4"].value == pid(1)
    ws[cell] = OTHER_ID if cell != "A4" else pid(1)[:17] + ("0" if pid(1)[17] != "0" else "1")
    bad = tmp_path / "01_改.xlsx"
    wb.save(bad)
    rc, text, out = run(tmp_path, "02", [claim(3, 结算日期=date(2022, 2, 1))], settings, "--previous", bad)
    assert rc == 2 and "错误：" in text and "Traceback" not in text, text
    assert "年度累计" in text and "第" in text   # the sheet and the row are named instead
    assert_private(text, items)
    assert not out.exists()


def test_reject_guard_message_masks_an_id_in_the_reason(tmp_path, settings):
    items = [claim(n, 医疗类别=OTHER_ID) for n in range(1, 21)]
    rc, text, out = run(tmp_path, "m", items, settings)
    assert rc == 2 and "20 行中 20 行因同一原因被拒绝" in text, text
    assert f"{OTHER_ID[:6]}********{OTHER_ID[-4:]}" in text
    assert_private(text, items)
