"""`yibao monitor`: lists by 乡镇, one row per person and list (first month reached, the figure that triggered
it, the number of times, the running total), matching hand-computed expectations per region.

Claims are 普通门诊 (ordinary outpatient: neither 大病保险 nor 医疗救助 pays on them, chain.CRITICAL_KINDS and
each region's assistance.kinds), so the final self-pay is 医疗费总额 − 统筹基金支出 and the in-policy self-pay
is 符合范围金额 − 统筹基金支出: the figures below are plain subtractions.
"""
from __future__ import annotations

import contextlib
import io
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "ledgers"))
import exports  # noqa: E402
from test_batch_amounts import gb11643  # noqa: E402

from processor.cli import main  # noqa: E402


def Y(yuan) -> int:
    return int(Decimal(str(yuan)) * 100)


def fen(v) -> int:
    return int((Decimal(repr(v)) * 100).to_integral_value())


def visit(sid, who, idno, category, on, total, basic, town, policy=None) -> dict:
    return {"结算ID": sid, "姓名": who, "证件号码": gb11643(idno), "人员类别": category, "镇街": town, "医疗类别": "普通门诊",
            "是否转诊": "是", "结算日期": on, "医疗费总额": total, "符合范围金额": policy if policy is not None else total,
            "统筹基金支出": basic}


def run(tmp: Path, region: str, rows, settings_rows=()) -> tuple[dict[str, list[dict]], str]:
    export = tmp / "e.xlsx"
    exports.write_export(export, rows)
    settings = exports.write_settings(tmp / "s.toml", region, list(settings_rows))
    out = tmp / "监测.xlsx"
    so, se = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(so), contextlib.redirect_stderr(se):
        assert main(["monitor", str(export), "--region", region, "--out", str(out), "--settings", str(settings),
                     "--quiet"]) == 0, se.getvalue()
    wb = openpyxl.load_workbook(out)
    sheets = {}
    for ws in wb.worksheets:
        rows_ = list(ws.iter_rows(values_only=True))
        h = next((i for i, r in enumerate(rows_) if r[0] in ("乡镇", "名单", "源行")), None)
        if h is None:
            continue
        sheets[ws.title] = [dict(zip(rows_[h], r)) for r in rows_[h + 1:] if r[0] not in (None, "合计")]
    return sheets, so.getvalue()


def test_xixiu_per_visit_lines_and_notice(tmp_path):
    """区医保发〔2021〕40号 一(五)、二(八): one visit's self-pay above 4,000 (低收入人口) or 10,000 (others), strictly."""
    rows = [
        visit("X1", "甲", "52040219700101001", "脱贫户", date(2022, 1, 10), 6000, 1500, "旧州镇"),     # 4,500 > 4,000
        visit("X2", "甲", "52040219700101001", "脱贫户", date(2022, 3, 10), 7000, 2000, "旧州镇"),     # 5,000 again
        visit("X3", "乙", "52040219700101002", "脱贫户", date(2022, 2, 10), 5000, 1000, "旧州镇"),     # 4,000: not above
        visit("X4", "丙", "52040219700101003", "", date(2022, 4, 1), 12000.01, 2000, "七眼桥镇"),       # 10,000.01 > 10,000
        visit("X5", "丁", "52040219700101004", "", date(2022, 4, 2), 9000, 500, "七眼桥镇"),            # 8,500: none
    ]
    sheets, printed = run(tmp_path, "西秀", rows)
    low = sheets["高额费用预警（低收入人口）"]
    assert [(r["姓名"], r["乡镇"], r["首次达到月份"], r["首次结算ID"], fen(r["触发金额"]), r["达到次数"]) for r in low] == [
        ("甲", "旧州镇", "2022-01", "X1", Y(4500), 2)]
    assert fen(low[0]["监测线"]) == Y(4000)
    # running total: 4,500 + 5,000 = 9,500
    assert fen(low[0]["年度累计个人自付（至最后一次结算）"]) == Y(9500)
    high = sheets["高额费用预警"]
    assert [(r["姓名"], r["乡镇"], fen(r["触发金额"])) for r in high] == [("丙", "七眼桥镇", Y(10000.01))]
    notice = sheets["告知单"]
    assert sorted(r["姓名"] for r in notice) == ["丙", "甲"]
    assert "高额费用预警 1 人" in printed and "高额费用预警（低收入人口） 1 人" in printed


def test_monitor_agrees_with_the_ledger_monitor_column(tmp_path):
    """The list a claim puts its person on is the MONITOR text the ledger (yibao fill) writes for it."""
    rows = [visit("X1", "甲", "52040219700101001", "脱贫户", date(2022, 1, 10), 6000, 1500, "旧州镇"),
            visit("X4", "丙", "52040219700101003", "", date(2022, 4, 1), 12000.01, 2000, "七眼桥镇")]
    sheets, _ = run(tmp_path, "西秀", rows)
    from processor.engine import Engine
    eng = Engine()
    # MONITOR("脱贫户", 4500, "西秀") and MONITOR("", 10000.01, "西秀") as a cell computes them
    assert eng.monitor("脱贫户", "西秀", Y(4500), 0, date(2022, 1, 10)).text == "高额费用预警（低收入人口）"
    assert eng.monitor("", "西秀", Y(10000.01), 0, date(2022, 4, 1)).text == "高额费用预警"
    assert set(sheets) >= {"高额费用预警（低收入人口）", "高额费用预警"}


def test_ganzhou_yearly_lines(tmp_path):
    """赣市医保字〔2021〕37号 三(六): 2021 全省农村 20,000 → 因病返贫 line 50% = 10,000 for 脱贫人口 (year total),
    因病致贫 line 100% = 20,000 for any rural resident. Lines are "超过" (strictly above)."""
    settings = [("rural_income_province", 2021, "20000"), ("disposable_income", 2021, "40000")]
    rows = [
        visit("G1", "甲", "36072119700101001", "脱贫户", date(2022, 1, 5), 7000, 1000, "梅林镇"),     # 6,000
        visit("G2", "甲", "36072119700101001", "脱贫户", date(2022, 2, 5), 6000, 1000, "梅林镇"),     # +5,000 = 11,000 > 10,000
        visit("G3", "乙", "36072119700101002", "", date(2022, 3, 5), 21000, 1000, "贡江镇"),          # 20,000: not above
        visit("G4", "丙", "36072119700101003", "", date(2022, 3, 6), 21000, 999.99, "贡江镇"),        # 20,000.01 > 20,000
    ]
    sheets, _ = run(tmp_path, "赣州", rows, settings)
    back = sheets["因病返贫监测"]
    assert [(r["姓名"], r["首次达到月份"], r["首次结算ID"], fen(r["触发金额"]), fen(r["监测线"])) for r in back] == [
        ("甲", "2022-02", "G2", Y(11000), Y(10000))]
    poor = sheets["因病致贫监测"]
    assert [(r["姓名"], r["乡镇"], fen(r["触发金额"])) for r in poor] == [("丙", "贡江镇", Y(20000.01))]


def test_longyan_heavy_burden_and_class5_candidates(tmp_path):
    """龙政办规〔2022〕14号 二(一)1 第五类(1): 12 months of in-policy self-pay at or above (≥) the previous year's
    居民人均可支配收入 (2022: 50,000). 甲 (ordinary): 25,000 (Jan) + 25,000 (Apr) = 50,000 → candidate from April.
    乙 (低保对象, class 3): the same → heavy-burden warning. 丙 (ordinary): 49,999.99 → none. Out-of-policy cost
    (医疗费总额 above 符合范围金额) does not count: 丁 has 60,000 total but 40,000 in-policy self-pay → none."""
    settings = [("disposable_income", 2022, "50000")]
    rows = [
        visit("L1", "甲", "35080219700101001", "", date(2023, 1, 5), 30000, 5000, "新罗区"),
        visit("L2", "甲", "35080219700101001", "", date(2023, 4, 5), 30000, 5000, "新罗区"),
        visit("L3", "乙", "35080219700101002", "低保对象", date(2023, 2, 5), 55000, 5000, "永定区"),
        visit("L4", "丙", "35080219700101003", "", date(2023, 2, 6), 54999.99, 5000, "永定区"),
        visit("L5", "丁", "35080219700101004", "", date(2023, 2, 7), 65000, 5000, "上杭县", policy=45000),
    ]
    sheets, printed = run(tmp_path, "龙岩", rows, settings)
    cand = sheets["第五类候选（因病致贫重病患者）"]
    assert [(r["姓名"], r["首次达到月份"], fen(r["触发金额"]), fen(r["监测线"])) for r in cand] == [
        ("甲", "2023-04", Y(50000), Y(50000))]
    heavy = sheets["高额医疗费用负担预警"]
    assert [(r["姓名"], r["乡镇"], fen(r["触发金额"])) for r in heavy] == [("乙", "永定区", Y(50000))]
    summary = sheets["总览"]
    assert {(r["名单"], r["乡镇"], r["人数"]) for r in summary} == {
        ("第五类候选（因病致贫重病患者）", "新罗区", 1), ("高额医疗费用负担预警", "永定区", 1)}
