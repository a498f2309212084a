"""`--previous` refuses what cannot be right, with a Chinese message and exit 2 (never a traceback,
never a ledger written): a 年度累计 row with a blank or text year, #N/A or a negative year-to-date;
a ledger of a later month, of another year, given twice or out of order; another region's ledger
whose title was edited to pass the region check (its 政策依据 still cites the other region's documents).
"""
from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ledgers for the export builder
import exports  # noqa: E402

from processor.cli import main  # noqa: E402
from processor.io.ids import check_digit  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
ID = "99900019500101123" + check_digit("99900019500101123")
PERSON = dict(姓名="甲", 证件号码=ID, 人员类别="低保对象", 镇街="凤城镇", 医疗类别="住院", 是否转诊="是")


def claim(sid, day, policy=1000, basic=600):
    return dict(PERSON, 结算ID=sid, 结算日期=day, 符合范围金额=policy, 统筹基金支出=basic, 医疗费总额=policy)


@pytest.fixture
def settings(tmp_path):
    rows = []
    for year in (2022, 2023):
        rows += [("critical_deductible", year, "100000"), ("critical_rate", year, "60%"),
                 ("critical_cap", year, "300000"), ("assistance_cap", year, "60000")]
    return exports.write_settings(tmp_path / "s.toml", "阳城", rows)


def run(tmp, name, rows, settings, previous=(), region="阳城", extra=()) -> tuple[int, str, str, Path]:
    export = tmp / f"{name}.xlsx"
    exports.write_export(export, rows)
    out = tmp / f"{name}_台账.xlsx"
    argv = ["fill", "医疗救助台账", str(export), "--region", region, "--out", str(out), "--settings", str(settings),
            "--quiet", *extra]
    for p in previous:
        argv += ["--previous", str(p)]
    o, e = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
        rc = main(argv)
    return rc, o.getvalue(), e.getvalue(), out


def ledger(tmp, name, rows, settings, previous=(), **kw) -> Path:
    rc, _, err, out = run(tmp, name, rows, settings, previous, **kw)
    assert rc == 0, err
    return out


def refused(tmp, name, rows, settings, previous, *words, **kw) -> str:
    rc, stdout, err, out = run(tmp, name, rows, settings, previous, **kw)
    assert rc == 2, (stdout, err)
    last = err.strip().splitlines()[-1]
    assert last.startswith("错误：") and "Traceback" not in err, err
    for w in words:
        assert w in err, (w, err)
    assert not out.exists()
    return err


@pytest.fixture
def january(tmp_path, settings):
    return ledger(tmp_path, "01", [claim("JAN1", date(2022, 1, 10)), claim("JAN2", date(2022, 1, 20))], settings)


def edited(src: Path, dst: Path, sheet: str, cell: str, value) -> Path:
    wb = openpyxl.load_workbook(src)
    wb[sheet][cell] = value
    wb.save(dst)
    return dst


# ------------------------------------------------------------------------------- 年度累计 contents
@pytest.mark.parametrize("cell, value, words", [
    # 年度累计: title, 填报单位…, header in row 3, data from row 4; A 证件号码, B 姓名, C 年度, D… amounts
    ("C4", None, ("「年度累计」第4行「年度」为空",)),
    ("C4", "二〇二二", ("「年度累计」第4行「年度」不是年份：二〇二二",)),
    ("C4", "2022年度", ("「年度」不是年份",)),
    ("C4", 2022.5, ("「年度」不是年份",)),
    ("D4", "#N/A", ("「年度累计」第4行「大病累计费用」是 Excel 错误值 #N/A",)),   # a real error cell (t="e")
    ("G4", -100, ("「年度累计」第4行「医疗救助累计」是负数",)),
    ("F4", "四百元", ("「救助累计自付」不是数字",)),
    ("J4", None, ("「个人自付累计」为空",)),
])
def test_broken_year_to_date_is_refused(tmp_path, settings, january, cell, value, words):
    bad = edited(january, tmp_path / "01_改.xlsx", "年度累计", cell, value)
    err = refused(tmp_path, "02", [claim("FEB1", date(2022, 2, 10))], settings, [bad], *words, "01_改.xlsx")
    assert ID not in err


def test_blank_year_as_a_process_gives_no_traceback(tmp_path, settings, january):
    bad = edited(january, tmp_path / "01_改.xlsx", "年度累计", "C4", None)
    export = tmp_path / "02.xlsx"
    exports.write_export(export, [claim("FEB1", date(2022, 2, 10))])
    out = tmp_path / "02_台账.xlsx"
    p = subprocess.run([sys.executable, "-m", "processor.cli", "fill", "医疗救助台账", str(export), "--region", "阳城",
                        "--out", str(out), "--settings", str(settings), "--previous", str(bad), "--quiet"],
                       cwd=ROOT, capture_output=True, text=True, encoding="utf-8", timeout=300)
    assert p.returncode == 2 and "Traceback" not in p.stderr
    assert "「年度」为空" in p.stderr and not out.exists()


def test_the_unedited_ledger_is_accepted(tmp_path, settings, january):
    """The control: the same January, untouched, carries into February."""
    feb = ledger(tmp_path, "02", [claim("FEB1", date(2022, 2, 10))], settings, [january])
    ws = openpyxl.load_workbook(feb)["年度累计"]
    row = [c.value for c in ws[4]]  # 证件号码, 姓名, 年度, 大病累计费用, 大病累计支付, 救助累计自付, 医疗救助累计 …
    # 阳医保发〔2022〕2号 四: 低保 住院 70% of the self-pay, no deductible; 大病 (deductible 100,000 × 50%)
    # not reached. Each claim: (1,000 − 600) × 70% = 280 → JAN1 + JAN2 + FEB1 = 840 医疗救助累计
    assert (row[0], row[2]) == (ID, 2022) and row[6] == 840


# --------------------------------------------------------------------------------------- months
def test_a_later_months_ledger_is_refused(tmp_path, settings):
    march = ledger(tmp_path, "03", [claim("MAR1", date(2022, 3, 5))], settings)
    refused(tmp_path, "02", [claim("FEB1", date(2022, 2, 10)), claim("FEB2", date(2022, 2, 3))], settings, [march],
            "03_台账.xlsx", "2022-03", "不早于本次输入最早的结算月份 2022-02", "第5行")   # FEB2: sheet row 5


def test_the_same_months_ledger_is_refused(tmp_path, settings, january):
    """January's own ledger given as --previous for January (every row would be a "duplicate")."""
    refused(tmp_path, "01b", [claim("JAN3", date(2022, 1, 25))], settings, [january],
            "含 2022-01 的结算", "只能给本月之前的台账")


def test_ledgers_out_of_order_are_refused(tmp_path, settings, january):
    feb = ledger(tmp_path, "02", [claim("FEB1", date(2022, 2, 10))], settings, [january])
    refused(tmp_path, "03", [claim("MAR1", date(2022, 3, 5))], settings, [feb, january],
            "应按月份先后给出", "01_台账.xlsx")
    refused(tmp_path, "03", [claim("MAR1", date(2022, 3, 5))], settings, [january, january], "同一份台账只给一次")
    # the right order is accepted
    ledger(tmp_path, "03", [claim("MAR1", date(2022, 3, 5))], settings, [january, feb])


def test_last_years_ledger_is_refused(tmp_path, settings):
    december = ledger(tmp_path, "12", [claim("DEC1", date(2022, 12, 10))], settings)
    refused(tmp_path, "2301", [claim("JAN1", date(2023, 1, 10))], settings, [december], "2022年的台账", "自然年")


def test_an_empty_ledger_is_dated_by_its_period(tmp_path, settings):
    """No settlement rows (the one row is rejected): the ledger's 所属期 (from --period) dates it."""
    empty = ledger(tmp_path, "03", [claim("BAD1", date(2022, 3, 5), policy="abc")], settings, extra=("--period", "2022-03"))
    refused(tmp_path, "02", [claim("FEB1", date(2022, 2, 10))], settings, [empty], "含 2022-03 的结算")


# --------------------------------------------------------------------------------------- region
def test_another_regions_ledger_with_an_edited_title_is_refused(tmp_path, settings):
    """A 赣州 ledger whose title was changed to 阳城's: its 政策依据 cells still cite 赣州's documents."""
    ganzhou = ledger(tmp_path, "gz", [claim("GZ1", date(2022, 1, 10))], ROOT / "settings.example.toml", region="赣州")
    wb = openpyxl.load_workbook(ganzhou)
    assert "赣州" in wb["台账"]["A1"].value
    disguised = edited(ganzhou, tmp_path / "改标题.xlsx", "台账", "A1", "阳城县医疗救助待遇台账")
    refused(tmp_path, "02", [claim("FEB1", date(2022, 2, 10))], settings, [disguised],
            "改标题.xlsx", "政策依据", "赣州市", "不能作为阳城县的年度累计")
