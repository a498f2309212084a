"""`yibao fill` on the readings of the documents that change a ledger's columns or rows:

- 阳医保发〔2022〕2号 六: out-of-catalog cost above the hospital's control share is borne by the hospital —
  its own column 医疗机构承担, outside 个人自付 and the monitoring total;
- 赣市医保字〔2021〕37号 二(三)3(3): II类门诊特殊慢性病 assisted only on the export's 限额以上个人自付 (0 and a
  「核对」 line without it); 进入医疗救助金额 shows what 医疗救助 was computed on;
- 龙政办规〔2022〕14号 二(一)1: a bare 边缘户 is ambiguous — the row goes to 异常, naming both classes;
- a claim reversed next month takes off exactly what it added, 医疗机构承担 and 进入医疗救助金额 included.

Every amount is worked by hand in the comment beside it; settings are round test figures.
"""
from __future__ import annotations

import contextlib
import io
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
from xlsx_templates.build import SHEET_ROWS

from processor.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parent))
import exports  # noqa: E402


def Y(x) -> int:
    return int(Decimal(str(x)) * 100)


def gb_id(first17: str) -> str:
    """An 18-digit number with its GB 11643 check digit (ISO 7064 MOD 11-2), as a test oracle."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, weights)) % 11]


def fill(tmp_path: Path, region: str, rows: list[dict], settings: list, extra=(), previous=None, name="m"):
    export = tmp_path / f"{name}_导出.xlsx"
    exports.write_export(export, rows, extra_headers=tuple(extra))
    cfg = exports.write_settings(tmp_path / f"{name}_settings.toml", region, settings)
    out = tmp_path / f"{name}_台账.xlsx"
    argv = ["fill", "医疗救助台账", str(export), "--region", region, "--out", str(out), "--settings", str(cfg),
            "--quiet"] + (["--previous", str(previous)] if previous else [])
    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        code = main(argv)
    assert code == 0, err.getvalue()
    return out, buf.getvalue()


def table(path: Path, sheet: str = "台账") -> list[dict]:
    ws = openpyxl.load_workbook(path)[sheet]
    if sheet == "台账":
        names = [ws.cell(4, j).value or ws.cell(3, j).value for j in range(1, ws.max_column + 1)]
        first = 5
    else:
        first = SHEET_ROWS[sheet][0]  # below the title, 填报单位… and the header
        names = [ws.cell(first - 1, j).value for j in range(1, ws.max_column + 1)]
    out = []
    for r in range(first, ws.max_row + 1):
        values = [ws.cell(r, j).value for j in range(1, ws.max_column + 1)]
        if values[0] == "合计" or all(v is None for v in values):
            continue
        out.append(dict(zip(names, values)))
    return out


def fen(v) -> int:
    return int((Decimal(repr(v)) * 100).to_integral_value())


YC_SETTINGS = [("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"), ("critical_cap", 2022, "300000"),
               ("assistance_cap", 2022, "100000")]
YC1 = gb_id("14052219830101001")
YC2 = gb_id("14052219740202002")


def yc_row(sid, who, idno, category, on, total, policy, basic, out_of_catalog, hospital_class="县级二类及三类"):
    return {"结算ID": sid, "姓名": who, "证件号码": idno, "人员类别": category, "镇街": "凤城镇", "医疗类别": "住院",
            "是否转诊": "是", "结算日期": on, "医疗费总额": total, "符合范围金额": policy, "统筹基金支出": basic,
            "目录外费用": out_of_catalog, "医疗机构等级": hospital_class}


def test_yc_6_hospital_borne_column_and_totals(tmp_path):
    # 返贫致贫人口: total 100,000, in-policy 70,000, 统筹 49,000, out-of-catalog 30,000 at a 县级二类及三类 hospital
    # (share 15% × 100,000 = 15,000). 大病 tilted (10,000 × 50% = 5,000; 65%): (21,000 − 5,000) × 65% = 10,400;
    # self-pay 10,600 × 70% = 7,420 (combined 95.5% ≥ 90%, no top-up); 目录外 within 15,000 × 85% = 12,750;
    # 医疗救助 20,170; 医疗机构承担 15,000; 个人自付 100,000 − 49,000 − 10,400 − 20,170 − 15,000 = 5,430.
    # 低保对象, same stay: 救助 7,420, 承担 15,000, 个人自付 18,180.
    rows = [yc_row("Y1", "孙返贫", YC1, "返贫致贫户", date(2022, 3, 1), 100000, 70000, 49000, 30000),
            yc_row("Y2", "马低保", YC2, "低保", date(2022, 3, 2), 100000, 70000, 49000, 30000)]
    out, stdout = fill(tmp_path, "阳城", rows, YC_SETTINGS, extra=("目录外费用", "医疗机构等级"))
    got = {r["结算ID"]: r for r in table(out)}
    assert (fen(got["Y1"]["医疗救助"]), fen(got["Y1"]["医疗机构承担"]), fen(got["Y1"]["个人自付"])) == \
        (Y(20170), Y(15000), Y(5430))
    assert (fen(got["Y2"]["医疗救助"]), fen(got["Y2"]["医疗机构承担"]), fen(got["Y2"]["个人自付"])) == \
        (Y(7420), Y(15000), Y(18180))
    # 进入医疗救助金额: the in-policy self-pay 10,600 each
    assert fen(got["Y1"]["进入医疗救助金额"]) == fen(got["Y2"]["进入医疗救助金额"]) == Y(10600)
    # the year-to-date self-pay never holds the hospital's part
    assert fen(got["Y1"]["年度累计个人自付"]) == Y(5430)
    # the row balances: 医疗费总额 = 统筹 + 大病 + 救助 + 倾斜 + 医疗机构承担 + 个人自付
    for r in got.values():
        parts = ("基本医保支付", "大病保险", "医疗救助", "医疗机构承担", "个人自付")
        assert fen(r["医疗费总额"]) == sum(fen(r[k]) for k in parts) + fen(r["倾斜救助"] or 0)
    # the totals row sums the column: 30,000
    ws = openpyxl.load_workbook(out)["台账"]
    names = [ws.cell(4, j).value or ws.cell(3, j).value for j in range(1, ws.max_column + 1)]
    col = openpyxl.utils.get_column_letter(names.index("医疗机构承担") + 1)
    assert ws[f"{col}7"].value == f"=SUMPRODUCT({col}5:{col}6+0)"


def test_yc_6_reversal_next_month_takes_off_the_hospitals_part(tmp_path):
    first = [yc_row("Y1", "孙返贫", YC1, "返贫致贫户", date(2022, 3, 1), 100000, 70000, 49000, 30000)]
    jan, _ = fill(tmp_path, "阳城", first, YC_SETTINGS, extra=("目录外费用", "医疗机构等级"), name="03")
    rev = [yc_row("Y1", "孙返贫", YC1, "返贫致贫户", date(2022, 4, 2), -100000, -70000, -49000, -30000)]
    apr, _ = fill(tmp_path, "阳城", rev, YC_SETTINGS, extra=("目录外费用", "医疗机构等级"), previous=jan, name="04")
    r = table(apr)[0]
    # the reversal repeats the original negated: 承担 −15,000, 进入救助 −10,600, 个人自付 −5,430; the year is back to 0
    assert (fen(r["医疗机构承担"]), fen(r["进入医疗救助金额"]), fen(r["个人自付"])) == (Y(-15000), Y(-10600), Y(-5430))
    assert (fen(r["年度累计个人自付"]), fen(r["年度累计医疗救助"])) == (0, 0)
    state = table(apr, "年度累计")
    assert all(fen(v) == 0 for row in state for k, v in row.items() if k not in ("证件号码", "姓名", "年度"))


GZ_SETTINGS = [("disposable_income", 2021, "40000"), ("rural_income_province", 2021, "18000")]
GZ1 = gb_id("36070219800101001")


def gz_row(sid, on, policy, kind, above=None):
    row = {"结算ID": sid, "姓名": "张低保", "证件号码": GZ1, "人员类别": "低保对象", "镇街": "红旗镇", "医疗类别": kind,
           "是否转诊": "是", "结算日期": on, "医疗费总额": policy, "符合范围金额": policy, "统筹基金支出": 0}
    if above is not None:
        row["限额以上个人自付"] = above
    return row


def test_gz_2_3_3_3_class2_from_the_export_column(tmp_path):
    # 低保对象 75%; self-pay 8,000 each (below the tilted 大病 deductible 10,000 in the year? 8,000 then 16,000:
    # the second crosses it: (16,000 − 10,000) × 65% = 3,900 大病 → self-pay 4,100).
    # Row 1 II类, 限额以上个人自付 3,000: 3,000 × 75% = 2,250. Row 2 II类 without a figure (empty cell): 0 and a 核对 line.
    rows = [gz_row("G1", date(2022, 3, 1), 8000, "II类门诊特殊慢性病", above=3000),
            gz_row("G2", date(2022, 4, 1), 8000, "Ⅱ类门诊特殊慢性病")]
    out, _ = fill(tmp_path, "赣州", rows, GZ_SETTINGS, extra=("限额以上个人自付",))
    got = {r["结算ID"]: r for r in table(out)}
    assert (fen(got["G1"]["医疗救助"]), fen(got["G1"]["进入医疗救助金额"])) == (Y(2250), Y(3000))
    assert got["G1"]["医疗类别"] == "II类门诊特殊慢性病"
    assert fen(got["G2"]["大病保险"]) == Y(3900)
    assert (fen(got["G2"]["医疗救助"]), fen(got["G2"]["进入医疗救助金额"])) == (0, 0)
    checks = table(out, "核对")
    assert any(r["结算ID"] == "G2" and "限额以上个人自付" in (r["说明"] or "") for r in checks)


def test_gz_2_3_1_two_diseases_rows_get_no_assistance(tmp_path):
    rows = [gz_row("G1", date(2022, 3, 1), 500, "门诊两病")]
    out, _ = fill(tmp_path, "赣州", rows, GZ_SETTINGS)
    r = table(out)[0]
    # 两病: no 大病, no 救助 (低保 as 门诊慢特病 would get 375): 个人自付 500
    assert r["医疗类别"] == "门诊两病"
    assert (fen(r["大病保险"]), fen(r["医疗救助"]), fen(r["个人自付"])) == (0, 0, Y(500))


def test_ly_2_1_1_bare_edge_household_goes_to_the_exceptions(tmp_path):
    settings = [("disposable_income", 2022, "40000"), ("assistance_cap", 2023, "40000"), ("critical_cap", 2023, "300000")]
    base = {"姓名": "刘某", "镇街": "新罗区", "医疗类别": "住院", "是否转诊": "是", "结算日期": date(2023, 3, 1),
            "医疗费总额": 10000, "符合范围金额": 10000, "统筹基金支出": 5000}
    rows = [dict(base, 结算ID="L1", 证件号码=gb_id("35080219800101001"), 人员类别="边缘户"),
            dict(base, 结算ID="L2", 证件号码=gb_id("35080219800101002"), 人员类别="边缘易致贫户")]
    out, stdout = fill(tmp_path, "龙岩", rows, settings)
    assert [r["结算ID"] for r in table(out)] == ["L2"]
    # 第三类 70% of 5,000 = 3,500
    assert fen(table(out)[0]["医疗救助"]) == Y(3500)
    rejected = [r for r in table(out, "异常") if r["结算ID"]]  # (the 合计 row is listed as 未计入, without an ID)
    assert len(rejected) == 1 and rejected[0]["结算ID"] == "L1"
    assert "第三类" in rejected[0]["原因"] and "第四类" in rejected[0]["原因"]
    assert "读入结算行 2 = 写入台账 1 + 异常 1" in stdout


def test_a_formulas_ledger_carries_its_year_as_a_normal_one(tmp_path):
    # --formulas writes each formula with the engine's value cached in the cell, so next month reads the
    # same year-to-date from it as from a normal ledger (低保 75%: 8,000 → 6,000; then 1,000 → 750, year 6,750)
    rows = [gz_row("G1", date(2022, 3, 1), 8000, "住院")]
    export = tmp_path / "03_导出.xlsx"
    exports.write_export(export, rows)
    cfg = exports.write_settings(tmp_path / "s.toml", "赣州", GZ_SETTINGS)
    out = tmp_path / "03_台账.xlsx"
    base = ["fill", "医疗救助台账", str(export), "--region", "赣州", "--settings", str(cfg), "--quiet"]
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(base + ["--out", str(out), "--formulas"]) == 0
    apr_rows = [gz_row("G2", date(2022, 4, 1), 1000, "住院")]
    exports.write_export(tmp_path / "04_导出.xlsx", apr_rows)
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["fill", "医疗救助台账", str(tmp_path / "04_导出.xlsx"), "--region", "赣州", "--settings", str(cfg),
                     "--quiet", "--out", str(tmp_path / "04_台账.xlsx"), "--previous", str(out)])
    assert code == 0, err.getvalue()
    assert fen(table(tmp_path / "04_台账.xlsx")[0]["年度累计医疗救助"]) == Y(6750)


def test_a_ledger_with_formulas_without_results_is_refused_as_previous(tmp_path):
    # a ledger saved by a program that keeps no results (openpyxl): its year would read as 0 → refused
    rows = [gz_row("G1", date(2022, 3, 1), 8000, "住院")]
    export = tmp_path / "03_导出.xlsx"
    exports.write_export(export, rows)
    cfg = exports.write_settings(tmp_path / "s.toml", "赣州", GZ_SETTINGS)
    out = tmp_path / "03_台账.xlsx"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["fill", "医疗救助台账", str(export), "--region", "赣州", "--settings", str(cfg), "--quiet",
                     "--out", str(out), "--formulas"]) == 0
    wb = openpyxl.load_workbook(out)
    wb.save(out)  # openpyxl drops the cached values
    exports.write_export(tmp_path / "04_导出.xlsx", [gz_row("G2", date(2022, 4, 1), 1000, "住院")])
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["fill", "医疗救助台账", str(tmp_path / "04_导出.xlsx"), "--region", "赣州", "--settings", str(cfg),
                     "--quiet", "--out", str(tmp_path / "04_台账.xlsx"), "--previous", str(out)])
    assert code == 2
    assert "没有计算结果" in err.getvalue()
    assert not (tmp_path / "04_台账.xlsx").exists()


def test_a_ledger_in_a_bureau_template_carries_the_year_into_the_next_month(tmp_path):
    # 赣州 低保对象 75%, below the 大病 deductible: January 4,000 − 统筹 2,000 = 2,000 → 救助 1,500, written into a
    # bureau's own template; February (our template, --previous = January's bureau ledger) 2,000 − 1,000 →
    # 750; the year's 医疗救助 1,500 + 750 = 2,250
    from openpyxl.styles import Border, Side
    thin = Side(style="thin")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "发放表"
    ws.append(["结算ID", "姓名", "身份证号", "人员类别", "医疗类别", "结算日期", "符合范围金额", "统筹基金支付",
               "大病保险", "医疗救助", "个人自付"])
    for j in range(1, 12):
        ws.cell(2, j).border = Border(left=thin, right=thin, top=thin, bottom=thin)
    tpl = tmp_path / "bureau.xlsx"
    wb.save(tpl)
    cfg = exports.write_settings(tmp_path / "s.toml", "赣州", GZ_SETTINGS)
    jan_export, feb_export = tmp_path / "01.xlsx", tmp_path / "02.xlsx"
    row = gz_row("J1", date(2022, 1, 10), 4000, "住院")
    row["统筹基金支出"] = 2000
    exports.write_export(jan_export, [row])
    feb = gz_row("F1", date(2022, 2, 10), 2000, "住院")
    feb["统筹基金支出"] = 1000
    exports.write_export(feb_export, [feb])
    jan_out, feb_out = tmp_path / "01_台账.xlsx", tmp_path / "02_台账.xlsx"
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        assert main(["fill", "医疗救助台账", str(jan_export), "--region", "赣州", "--settings", str(cfg), "--quiet",
                     "--template", str(tpl), "--out", str(jan_out)]) == 0, err.getvalue()
        assert main(["fill", "医疗救助台账", str(feb_export), "--region", "赣州", "--settings", str(cfg), "--quiet",
                     "--previous", str(jan_out), "--out", str(feb_out)]) == 0, err.getvalue()
    assert fen(openpyxl.load_workbook(jan_out)["发放表"]["J2"].value) == Y(1500)
    got = table(feb_out)[0]
    assert (fen(got["医疗救助"]), fen(got["年度累计医疗救助"])) == (Y(750), Y(2250))
