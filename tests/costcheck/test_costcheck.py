"""`yibao costcheck`: out-of-catalog cost against the control shares, per hospital and per claim.

阳医保发〔2022〕2号 六: 特困人员、低保对象、返贫致贫人口 in-province stays; out-of-catalog cost may not exceed
30% / 20% / 15% of the stay's total cost (一类 / 省市级二类 / 县级二类及三类); the excess is borne by the
hospital. Every figure below is worked by hand; settings are round test figures.
"""
from __future__ import annotations

import contextlib
import io
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl

from processor.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ledgers"))
import exports  # noqa: E402

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gb_id(first17: str) -> str:
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS)) % 11]


def hospitals(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["医疗机构名单（测试）"])
    ws.append(["医疗机构名称", "收费标准类别", "是否省内", "是否市域内"])
    ws.append(["县人民医院", "县级二类及三类", "是", "是"])
    ws.append(["市人民医院", "省市级二类", "是", "是"])
    ws.append(["某外省医院", "一类", "待定", "否"])          # a bad row: 是否省内 must be 是/否
    wb.save(path)
    return path


def claim(sid, n, category, hospital, total, ooc):
    return {"结算ID": sid, "姓名": f"人{n}", "证件号码": gb_id(f"1405221980010100{n}"), "人员类别": category,
            "镇街": "凤城镇", "医疗类别": "住院", "是否转诊": "是", "就诊医疗机构名称": hospital,
            "结算日期": date(2022, 3, n), "医疗费总额": total, "符合范围金额": total - ooc, "统筹基金支出": 0,
            "目录外费用": ooc}


def table(ws, first_header: str) -> tuple[list, list[list]]:
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    h = next(i for i, r in enumerate(rows) if r and r[0] == first_header)
    return rows[h], [r for r in rows[h + 1:] if any(v is not None for v in r)]


def test_yangcheng_shares_and_the_hospitals_part(tmp_path):
    rows = [
        claim("C1", 1, "低保", "县人民医院", 10000, 2000),      # 20% > 15%: limit 1,500, excess 500
        claim("C2", 2, "返贫致贫户", "县人民医院", 20000, 2000),  # 10% ≤ 15%: none
        claim("C3", 3, "特困", "市人民医院", 10000, 2500),       # 25% > 20%: limit 2,000, excess 500
        claim("C4", 4, "边缘户", "县人民医院", 10000, 5000),     # 易返贫致贫人口: not a 六 group, not counted
    ]
    export = tmp_path / "export.xlsx"
    exports.write_export(export, rows, extra_headers=("目录外费用",))
    settings = exports.write_settings(tmp_path / "s.toml", "阳城", [
        ("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"), ("critical_cap", 2022, "300000"),
        ("assistance_cap", 2022, "100000")])
    out = tmp_path / "控费.xlsx"
    buf, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(err):
        code = main(["costcheck", str(export), "--region", "阳城", "--hospitals", str(hospitals(tmp_path / "h.xlsx")),
                     "--settings", str(settings), "--out", str(out), "--quiet"])
    assert code == 0, err.getvalue()
    wb = openpyxl.load_workbook(out)
    head, body = table(wb["按医疗机构"], "医疗机构")
    got = {r[0]: dict(zip(head, r)) for r in body}
    county, city = got["县人民医院"], got["市人民医院"]
    # 县人民医院: C1 + C2 → 2 stays, 30,000 total, 4,000 out-of-catalog (13.33% ≤ 15%: the hospital as a whole is
    # within), one stay over, 500 borne by the hospital
    assert (county["结算笔数"], county["医疗费总额"], county["目录外费用"]) == (2, 30000, 4000)
    assert round(Decimal(str(county["目录外占比"])), 4) == Decimal("0.1333") and not county["是否超过"]
    assert (county["超比例结算笔数"], county["医疗机构承担（超比例部分）"]) == (1, 500)
    # 市人民医院: C3 alone, 25% > 20% → over; 500 borne
    assert city["是否超过"] == "超过" and (city["超比例结算笔数"], city["医疗机构承担（超比例部分）"]) == (1, 500)
    assert got["合计"]["医疗机构承担（超比例部分）"] == 1000 and got["合计"]["结算笔数"] == 3
    # the claims over their share, each with what the hospital bears
    head, body = table(wb["超比例结算"], "医疗机构")
    over = {r[2]: dict(zip(head, r)) for r in body if r[2] in ("C1", "C2", "C3", "C4")}
    assert set(over) == {"C1", "C3"} and over["C1"]["医疗机构承担"] == 500 and over["C3"]["医疗机构承担"] == 500
    # the bad hospital row is reported, not used
    _head, body = table(wb["名单问题"], "源行")
    assert any("某外省医院" == r[1] and "是否省内" in r[2] for r in body)
    assert "读入结算行 4 = 计入 4 + 异常 0" in buf.getvalue()


def test_ganzhou_ten_percent_line_and_the_city_visit_rate(tmp_path):
    # 赣市医保字〔2021〕37号 四(八): the low-income groups' out-of-catalog share per hospital at most 10%, and at least
    # 90% of their visits in hospitals within the city (设区市市域内).
    rows = [dict(claim("G1", 1, "低保对象", "县人民医院", 10000, 1500), 证件号码=gb_id("3607021980010100" + "1")),
            dict(claim("G2", 2, "低保对象", "省人民医院", 10000, 500), 证件号码=gb_id("3607021980010100" + "2")),
            dict(claim("G3", 3, "", "县人民医院", 10000, 5000), 证件号码=gb_id("3607021980010100" + "3"))]
    for r in rows:
        r["结算日期"] = date(2022, 3, int(r["结算ID"][1]))
    export = tmp_path / "export.xlsx"
    exports.write_export(export, rows, extra_headers=("目录外费用",))
    settings = exports.write_settings(tmp_path / "s.toml", "赣州", [("disposable_income", 2021, "40000"),
                                                                   ("rural_income_province", 2021, "18000")])
    h = tmp_path / "h.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["医疗机构名称", "收费标准类别", "是否省内", "是否市域内"])
    ws.append(["县人民医院", "县级二类及三类", "是", "是"])
    ws.append(["省人民医院", "一类", "是", "否"])
    wb.save(h)
    out = tmp_path / "控费.xlsx"
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        assert main(["costcheck", str(export), "--region", "赣州", "--hospitals", str(h), "--settings", str(settings),
                     "--out", str(out), "--quiet"]) == 0
    head, body = table(openpyxl.load_workbook(out)["按医疗机构"], "医疗机构")
    got = {r[0]: dict(zip(head, r)) for r in body}
    # G1: 1,500 / 10,000 = 15% > 10% → 县人民医院 over; G3 is an ordinary insured person: not counted.
    # 省人民医院 (G2): 5% ≤ 10%. Nothing is borne by the hospital in 赣州 (the document sets a line, no transfer).
    assert got["县人民医院"]["结算笔数"] == 1 and got["县人民医院"]["是否超过"] == "超过"
    assert got["省人民医院"]["是否超过"] in (None, "")
    assert got["合计"]["医疗机构承担（超比例部分）"] == 0
    # visits in the city: G1 yes, G2 no → 1/2 = 50% < 90%
    assert "市域内就诊率：1/2 = 50.00%（不低于 90%：未达到）" in buf.getvalue()


def test_xixiu_ten_percent_for_people_out_of_poverty(tmp_path):
    # 区医保发〔2021〕40号 一(七): "脱贫人口医疗费用目录外费用继续控制在10%以内" — per hospital, 脱贫人口's
    # out-of-catalog cost over their total cost. X1 (脱贫人口) 1,200 / 10,000 = 12% > 10% → over;
    # X2 (低保对象) is not counted by this clause.
    rows = [dict(claim("X1", 1, "脱贫人口", "县人民医院", 10000, 1200), 证件号码=gb_id("5204021980010100" + "1")),
            dict(claim("X2", 2, "低保对象", "县人民医院", 10000, 3000), 证件号码=gb_id("5204021980010100" + "2"))]
    export = tmp_path / "export.xlsx"
    exports.write_export(export, rows, extra_headers=("目录外费用",))
    settings = exports.write_settings(tmp_path / "s.toml", "西秀", [
        ("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"), ("critical_cap", 2022, "300000"),
        ("assistance_cap", 2022, "50000")])
    out = tmp_path / "控费.xlsx"
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        assert main(["costcheck", str(export), "--region", "西秀", "--hospitals", str(hospitals(tmp_path / "h.xlsx")),
                     "--settings", str(settings), "--out", str(out), "--quiet"]) == 0
    head, body = table(openpyxl.load_workbook(out)["按医疗机构"], "医疗机构")
    got = {r[0]: dict(zip(head, r)) for r in body}
    county = got["县人民医院"]
    assert (county["结算笔数"], county["目录外费用"], county["是否超过"]) == (1, 1200, "超过")
    assert round(Decimal(str(county["目录外占比"])), 2) == Decimal("0.12")


def test_costcheck_and_the_ledger_agree_on_what_hospitals_bear(tmp_path):
    # the same rule (阳医保发〔2022〕2号 六) behind both: costcheck's 医疗机构承担 total on the 阳城 sample equals
    # the sum of the ledger's 医疗机构承担 column (the hospital list of the sample names every hospital)
    root = Path(__file__).resolve().parents[2]
    sample, cfg = root / "samples" / "阳城_结算导出.xlsx", root / "settings.example.toml"
    out_c, out_f = tmp_path / "控费.xlsx", tmp_path / "台账.xlsx"
    buf_c, buf_f = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf_c), contextlib.redirect_stderr(io.StringIO()):
        assert main(["costcheck", str(sample), "--region", "阳城", "--settings", str(cfg), "--hospitals",
                     str(root / "samples" / "医疗机构名单_示例.xlsx"), "--out", str(out_c), "--quiet"]) == 0
    with contextlib.redirect_stdout(buf_f), contextlib.redirect_stderr(io.StringIO()):
        assert main(["fill", "医疗救助台账", str(sample), "--region", "阳城", "--settings", str(cfg), "--out", str(out_f),
                     "--quiet"]) == 0
    head, body = table(openpyxl.load_workbook(out_c)["按医疗机构"], "医疗机构")
    borne_c = round(dict(zip(head, next(r for r in body if r[0] == "合计")))["医疗机构承担（超比例部分）"] * 100)
    assert borne_c > 0
    assert f"医疗机构承担（目录外费用超过控制比例的部分，不计入个人自付）{borne_c / 100:,.2f} 元" in buf_f.getvalue()


def test_a_broken_hospital_list_is_named_in_the_message(tmp_path):
    # the export is read (and said) first: a message about the list alone read as if the export were broken
    export = tmp_path / "export.xlsx"
    exports.write_export(export, [claim("C1", 1, "低保", "县人民医院", 10000, 2000)], extra_headers=("目录外费用",))
    settings = exports.write_settings(tmp_path / "s.toml", "阳城", [
        ("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"), ("critical_cap", 2022, "300000"),
        ("assistance_cap", 2022, "100000")])
    broken = tmp_path / "名单.xlsx"
    broken.write_bytes(hospitals(tmp_path / "h.xlsx").read_bytes()[:-200])  # cut short: its zip directory is gone
    out = tmp_path / "控费.xlsx"
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["costcheck", str(export), "--region", "阳城", "--hospitals", str(broken),
                     "--settings", str(settings), "--out", str(out), "--quiet"])
    assert code == 2
    assert "医疗机构名单 名单.xlsx：不是有效的 xlsx 文件" in err.getvalue()
    assert not out.exists()
