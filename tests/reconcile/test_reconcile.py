"""`yibao reconcile`: a month the platform paid correctly reconciles to zero differences; a month with
planted errors (wrong identity, cap overrun, missed threshold, one fen, missed referral rule, missed 90%
top-up, a 政府兜底 the documents do not give) lists exactly those claims with their causes; every total
sheet balances to the fen.

Every policy amount below is worked out by hand from the clause cited. Settings are round test figures.
赣州 (赣市医保字〔2021〕37号): 2021 城乡居民人均可支配收入 40,000 → 大病 ordinary deductible 40,000 × 50% = 20,000
at 60%; 特困/低保/返贫致贫 tilt: deductible halved 10,000, 65%, no cap (二(三)2). 医疗救助 (二(三)3(1)): 低保
75%, cap 50,000, no threshold; 边缘易致贫 60% above 10% × 40,000 = 4,000, cap 30,000. No referral → no 大病
tilt and no assistance (四(八)). 倾斜救助 line 100% × 40,000 = 40,000 (二(三)3(4)), not reached below.
"amount" = 符合范围金额 − 统筹基金支出.
"""
from __future__ import annotations

import contextlib
import io
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ledgers"))
import exports  # noqa: E402
from test_batch_amounts import GZ_SETTINGS, YC_SETTINGS, gb11643  # noqa: E402

from processor.cli import main  # noqa: E402

PAID = ("大病保险支付", "医疗救助基金", "倾斜救助", "政府兜底")


def Y(yuan) -> int:
    return int(Decimal(str(yuan)) * 100)


def fen(v) -> int:
    if v is None:
        return 0
    return int((Decimal(repr(v)) * 100).to_integral_value())


def claim(sid, who, idno, category, on, policy, basic, crit, assist, tilt=0, backstop=0, referral="是", total=None,
          town="梅林镇", **more) -> dict:
    r = {"结算ID": sid, "姓名": who, "证件号码": gb11643(idno), "人员类别": category, "镇街": town, "医疗类别": "住院",
         "是否转诊": referral, "结算日期": on, "医疗费总额": total or policy, "符合范围金额": policy, "统筹基金支出": basic,
         "大病保险支付": crit, "医疗救助基金": assist, "倾斜救助": tilt, "政府兜底": backstop}
    r.update(more)
    return r


def run(tmp: Path, region: str, rows: list, settings_rows, *extra) -> tuple[Path, str]:
    export = tmp / "export.xlsx"
    exports.write_export(export, rows, extra_headers=PAID)
    settings = exports.write_settings(tmp / "s.toml", region, settings_rows)
    out = tmp / f"对账_{len(extra)}.xlsx"
    so, se = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
        rc = main(["reconcile", str(export), "--region", region, "--out", str(out), "--settings", str(settings),
                   "--quiet", "--force", *extra])
    assert rc == 0, se.getvalue()
    return out, so.getvalue()


def body(path: Path, name: str) -> tuple[list[dict], list[tuple]]:
    """(data rows as dicts by header, footer rows) of a report sheet."""
    ws = openpyxl.load_workbook(path)[name]
    rows = list(ws.iter_rows(values_only=True))
    h = next(i for i, r in enumerate(rows) if r[0] in ("月份", "基金", "适用身份", "乡镇", "源行"))
    header = rows[h]
    data, foot = [], []
    for r in rows[h + 1:]:
        if r[0] is None:
            continue
        if isinstance(r[0], str) and (r[0] == "合计" or r[0].startswith("核对")):
            foot.append(r)
        else:
            data.append(dict(zip(header, r)))
    return data, foot


# 赣州 February: paid exactly as the policy gives.
FEB = [
    # P1 低保户: amount 30,000 − 15,000 = 15,000; 大病 (15,000 − 10,000) × 65% = 3,250;
    # 救助 (15,000 − 3,250) × 75% = 11,750 × 75% = 8,812.50
    claim("F1", "甲", "36072119700101001", "低保户", date(2022, 2, 10), 30000, 15000, 3250, 8812.50),
    # P3 低保户: amount 110,000; 大病 (110,000 − 10,000) × 65% = 65,000; 救助 45,000 × 75% = 33,750 (cap 50,000 left 16,250)
    claim("F3", "丙", "36072119700101003", "低保户", date(2022, 2, 12), 150000, 40000, 65000, 33750),
]
# 赣州 March: six claims, five of them planted.
MAR = [
    # P1 again, paid correctly: amount 10,000, 大病 10,000 × 65% = 6,500 (deductible passed in Feb); 救助 3,500 × 75% = 2,625
    claim("M1", "甲", "36072119700101001", "低保户", date(2022, 3, 1), 20000, 10000, 6500, 2625),
    # wrong identity: P2 is 边缘户 (ordinary 大病: amount 15,000 < 20,000 → 0), paid as 低保户 (大病 3,250, 救助 8,812.50).
    # Policy 救助 follows the 大病 paid: selfpay 15,000 − 3,250 = 11,750, above 4,000: 7,750 × 60% = 4,650.
    claim("M2", "乙", "36072119700101002", "边缘户", date(2022, 3, 2), 30000, 15000, 3250, 8812.50),
    # cap overrun: P3 amount 90,000, 大病 90,000 × 65% = 58,500; selfpay 31,500 × 75% = 23,625, but the cap leaves
    # 50,000 − 33,750 = 16,250; paid 23,625 → +7,375
    claim("M3", "丙", "36072119700101003", "低保户", date(2022, 3, 3), 130000, 40000, 58500, 23625),
    # missed threshold: P4 边缘户 amount 3,000 (大病 0), below the 4,000 threshold → 救助 0; paid 3,000 × 60% = 1,800
    claim("M4", "丁", "36072119700101004", "边缘户", date(2022, 3, 4), 10000, 7000, 0, 1800),
    # one fen: P5 低保户 amount 10,000 → 大病 (10,000 − 10,000) × 65% = 0; 救助 10,000 × 75% = 7,500; paid 7,500.01
    claim("M5", "戊", "36072119700101005", "低保户", date(2022, 3, 5), 20000, 10000, 0, 7500.01),
    # referral missing: P6 低保户 not referred → ordinary 大病 (15,000 < 20,000 → 0) and no 救助; paid as if referred
    # (大病 3,250, 救助 8,812.50) → +3,250 and +8,812.50
    claim("M6", "己", "36072119700101006", "低保户", date(2022, 3, 6), 30000, 15000, 3250, 8812.50, referral="否"),
]

EXPECTED_MARCH = {  # (结算ID, fund) → (paid, policy, cause)
    ("M2", "大病保险"): (Y(3250), 0, "身份不符"),
    ("M2", "医疗救助"): (Y(8812.50), Y(4650), "身份不符"),
    ("M3", "医疗救助"): (Y(23625), Y(16250), "年度限额已用完"),
    ("M4", "医疗救助"): (Y(1800), 0, "未达起付标准"),
    ("M5", "医疗救助"): (Y(7500.01), Y(7500), "舍入差1分"),
    ("M6", "大病保险"): (Y(3250), 0, "未按规定转诊"),
    ("M6", "医疗救助"): (Y(8812.50), 0, "未按规定转诊"),
}


def test_correct_month_reconciles_to_zero(tmp_path):
    out, printed = run(tmp_path, "赣州", FEB + MAR, GZ_SETTINGS, "--period", "2022-02")
    diffs, foot = body(out, "差异")
    assert diffs == []
    assert fen(foot[0][12]) == 0
    funds, _ = body(out, "按基金")
    by = {r["基金"]: r for r in funds}
    # February paid: 大病 3,250 + 65,000 = 68,250; 救助 8,812.50 + 33,750 = 42,562.50 — equal to the policy
    assert fen(by["大病保险"]["本月平台支付"]) == fen(by["大病保险"]["本月按政策"]) == Y(68250)
    assert fen(by["医疗救助"]["本月平台支付"]) == fen(by["医疗救助"]["本月按政策"]) == Y(42562.50)
    assert all(fen(r["年度差额"]) == 0 for r in funds)
    assert "差异 0 笔" in printed


def test_planted_month_lists_exactly_those_claims(tmp_path):
    out, printed = run(tmp_path, "赣州", FEB + MAR, GZ_SETTINGS)
    diffs, foot = body(out, "差异")
    got = {(d["结算ID"], d["基金"]): (fen(d["平台支付"]), fen(d["按政策"]), d["最可能的原因"]) for d in diffs}
    assert got == EXPECTED_MARCH
    for d in diffs:
        assert fen(d["差额"]) == fen(d["平台支付"]) - fen(d["按政策"])
    # total difference: 3,250 + 4,162.50 + 7,375 + 1,800 + 0.01 + 3,250 + 8,812.50 = 28,650.01
    assert fen(foot[0][12]) == Y(28650.01)
    assert "差异 7 笔" in printed and "差额合计 28,650.01 元" in printed


def test_every_total_sheet_balances_to_the_fen(tmp_path):
    out, _ = run(tmp_path, "赣州", FEB + MAR, GZ_SETTINGS)
    funds, ffoot = body(out, "按基金")
    # year paid: 大病 68,250 + 6,500 + 3,250 + 58,500 + 0 + 0 + 3,250 = 139,750
    by = {r["基金"]: r for r in funds}
    assert fen(by["大病保险"]["年度平台支付"]) == Y(139750)
    # year 救助 policy: 42,562.50 + 2,625 + 4,650 + 16,250 + 0 + 7,500 + 0 = 73,587.50
    assert fen(by["医疗救助"]["年度按政策"]) == Y(73587.50)
    assert ffoot[1][8] == "平" and fen(ffoot[1][7]) == 0
    year_paid = sum(fen(r["年度平台支付"]) for r in funds)
    year_policy = sum(fen(r["年度按政策"]) for r in funds)
    for name in ("按身份", "按乡镇", "按月"):
        rows, foot = body(out, name)
        total, check = foot
        assert sum(r["人次"] for r in rows) == total[1] == 8          # 2 February + 6 March claims
        assert sum(fen(r["平台支付合计"]) for r in rows) == fen(total[-3]) == year_paid
        assert sum(fen(r["按政策合计"]) for r in rows) == fen(total[-2]) == year_policy
        assert all(fen(v) == 0 for v in check[1:]), (name, check)
    months, _ = body(out, "按月")
    assert [m["月份"] for m in months] == ["2022-02", "2022-03"]


def test_yangcheng_missed_top_up_and_a_backstop(tmp_path):
    """阳医保发〔2022〕2号 三 (返贫致贫 大病 tilt: deductible 10,000 × 50% = 5,000, 60% + 5 = 65%) and 四 (救助 70%,
    in-province stay topped up to a 90% combined ratio). Total 20,000 = policy 20,000, basic 10,000: amount 10,000;
    大病 (10,000 − 5,000) × 65% = 3,250; selfpay 6,750 × 70% = 4,725; combined (10,000 + 3,250 + 4,725) / 20,000
    = 89.875% < 90% → 救助 = 6,750 − 20,000 × 10% = 4,750. The platform paid 4,725: −25.
    Second claim: 特困人员 paid exactly (大病 3,250; 救助 100% of 6,750) but 政府兜底 100, which no document gives."""
    rows = [claim("Y1", "庚", "14052219740202002", "返贫致贫人口", date(2022, 3, 1), 20000, 10000, 3250, 4725,
                  town="凤城镇"),
            claim("Y2", "辛", "14052219740202003", "特困人员", date(2022, 3, 2), 20000, 10000, 3250, 6750,
                  backstop=100, town="凤城镇")]
    out, _ = run(tmp_path, "阳城", rows, YC_SETTINGS)
    diffs, _ = body(out, "差异")
    got = {(d["结算ID"], d["基金"]): (fen(d["平台支付"]), fen(d["按政策"]), d["最可能的原因"]) for d in diffs}
    assert got == {("Y1", "医疗救助"): (Y(4725), Y(4750), "漏付综合支付比例兜底"),
                   ("Y2", "政府兜底"): (Y(100), 0, "文件未给该项待遇")}


def test_roster_identity(tmp_path):
    """A roster saying P5 is 边缘户 while the export says 低保户: P5's one-fen difference is then put down to
    the identity (the roster is checked before the amounts)."""
    roster = tmp_path / "名册.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["证件号码", "姓名", "人员类别"])
    ws.append([gb11643("36072119700101005"), "戊", "边缘户"])
    wb.save(roster)
    out, _ = run(tmp_path, "赣州", FEB + MAR, GZ_SETTINGS, "--roster", str(roster))
    diffs, _ = body(out, "差异")
    m5 = [d for d in diffs if d["结算ID"] == "M5"]
    assert [d["最可能的原因"] for d in m5] == ["身份与名册不一致"]


def test_no_paid_columns_is_a_file_error(tmp_path):
    export = tmp_path / "e.xlsx"
    exports.write_export(export, [{"结算ID": "A", "姓名": "甲", "证件号码": gb11643("36072119700101001"),
                                   "人员类别": "低保户", "结算日期": date(2022, 3, 1), "医疗费总额": 100,
                                   "符合范围金额": 100, "统筹基金支出": 50}])
    se = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(se):
        rc = main(["reconcile", str(export), "--region", "赣州", "--out", str(tmp_path / "o.xlsx"), "--quiet"])
    assert rc == 2 and "没有任何基金支付列" in se.getvalue()
    assert not (tmp_path / "o.xlsx").exists()
