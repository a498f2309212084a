"""`--previous` given several earlier ledgers of the year (January, February): a March duplicate or
reversal of a January claim is recognised; the year-to-date state is February's."""
import contextlib
import io
import sys
from datetime import date
from pathlib import Path

import openpyxl
from xlsx_templates.build import SHEET_ROWS

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ledgers for the export builder
import exports  # noqa: E402

from processor.cli import main  # noqa: E402

PERSON = dict(姓名="甲", 证件号码="999000195001011239", 人员类别="低保对象", 镇街="凤城镇", 医疗类别="住院", 是否转诊="是")


def claim(sid, day, policy, basic, total=None):
    return dict(PERSON, 结算ID=sid, 结算日期=day, 符合范围金额=policy, 统筹基金支出=basic,
                医疗费总额=policy if total is None else total)


def fill(tmp, name, rows, settings, previous=()):
    return exports.run_fill(tmp, name, rows, settings, previous=previous)


def sheet_rows(path, sheet, first):
    ws = openpyxl.load_workbook(path)[sheet]
    first = SHEET_ROWS[sheet][0]  # below the title, 填报单位… and the header
    return [r for r in ws.iter_rows(min_row=first, values_only=True) if r[0] not in (None, "合计")]


def test_march_sees_january_through_two_previous_ledgers(tmp_path):
    settings = exports.write_settings(tmp_path / "s.toml", "阳城", [
        ("critical_deductible", 2022, "100000"), ("critical_rate", 2022, "60%"), ("critical_cap", 2022, "300000")])
    jan = fill(tmp_path, "01", [claim("JAN1", date(2022, 1, 10), 10000, 6000)], settings)
    feb = fill(tmp_path, "02", [claim("FEB1", date(2022, 2, 10), 20000, 12000)], settings, [jan])
    mar = fill(tmp_path, "03", [
        claim("JAN1", date(2022, 3, 1), 10000, 6000),          # duplicate of a January claim
        claim("JAN1", date(2022, 3, 2), -10000, -6000),        # reversal of the January claim
        claim("MAR1", date(2022, 3, 10), 5000, 3000),
    ], settings, [jan, feb])
    rejected = sheet_rows(mar, "异常", 2)
    assert [(r[1], "重复" in r[3]) for r in rejected if r[1]] == [("JAN1", True)]
    ledger = {r[1]: r for r in sheet_rows(mar, "台账", 5)}
    cols = openpyxl.load_workbook(mar)["台账"]
    header = [c.value for c in cols[4]]
    assist, ytd_assist = header.index("医疗救助"), header.index("年度累计医疗救助")
    # 阳医保发〔2022〕2号 四: 低保 70% of the self-pay (大病 deductible 100,000 not reached):
    # JAN1 (10,000 − 6,000) × 70% = 2,800; FEB1 8,000 × 70% = 5,600; MAR1 2,000 × 70% = 1,400
    assert ledger["JAN1"][assist] == -2800            # the reversal takes January's 2,800 back
    assert ledger["MAR1"][assist] == 1400
    # year to date after March: 2,800 + 5,600 − 2,800 + 1,400 = 7,000
    assert ledger["MAR1"][ytd_assist] == 7000
    # with only February's ledger, the January claim is unknown: the reversal is refused
    mar2 = fill(tmp_path, "03b", [claim("JAN1", date(2022, 3, 2), -10000, -6000)], settings, [feb])
    assert any("找不到" in r[3] for r in sheet_rows(mar2, "异常", 2))


def test_another_regions_ledger_is_refused_as_previous(tmp_path):
    settings = exports.write_settings(tmp_path / "s.toml", "阳城", [
        ("critical_deductible", 2022, "100000"), ("critical_rate", 2022, "60%"), ("critical_cap", 2022, "300000")])
    yangcheng = fill(tmp_path, "01", [claim("JAN1", date(2022, 1, 10), 10000, 6000)], settings)
    export = tmp_path / "gz.xlsx"
    exports.write_export(export, [claim("GZ1", date(2022, 2, 10), 1000, 600)])
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["fill", "医疗救助台账", str(export), "--region", "赣州", "--out", str(tmp_path / "gz_台账.xlsx"),
                     "--previous", str(yangcheng), "--quiet"])
    assert code != 0 and "阳城县的台账" in err.getvalue()
    assert not (tmp_path / "gz_台账.xlsx").exists()
