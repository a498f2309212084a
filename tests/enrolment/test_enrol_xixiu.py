"""西秀 区医保发〔2021〕40号, 2022 (test settings: 个人缴费 320 元, 定额资助 100 元): subsidy and route (一(三)),
benefit start (一(一)、一(二) exempt groups), identity change within the year, 合理化未参保 with evidence
(一(一)), coverage, 代缴请款 totals, and 表二 carried across two months."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from openpyxl import load_workbook

from .support import PAY_HEAD, ROSTER_HEAD, by_name, d, gid, run, settings, sheet_rows, xlsx

C = "520402"
A, B, Cc, D, E, F, G, H, J = (gid(C, "19500101", i) for i in range(1, 10))


def _files(tmp, month2: bool = False):
    roster = [
        ["旧州镇", "大寨村", "甲", A, "特困人员", d("2020-01-01")],
        ["旧州镇", "大寨村", "乙", B, "低保", d("2020-03-01")],
        ["旧州镇", "大寨村", "丁", D, "低保对象", d("2020-01-01"), d("2022-03-31")],
        ["旧州镇", "大寨村", "丁", D, "特困人员", d("2022-04-01")],
        ["旧州镇", "小屯村", "戊", E, "低保对象", d("2020-01-01")],
        ["旧州镇", "小屯村", "己", F, "低保对象", d("2020-01-01")],
        ["旧州镇", "小屯村", "庚", G, "低保对象", d("2020-01-01"), None, "服兵役", "入伍通知书"],
        ["旧州镇", "小屯村", "辛", H, "低保对象", d("2020-01-01"), None, "服刑"],
        ["旧州镇", "小屯村", "壬", J, "特困人员", d("2020-01-01")],
    ]
    rural = [["旧州镇", "大寨村", "丙", Cc, "脱贫户", d("2019-01-01")]]
    pays = [
        ["甲", A, 2022, "城乡居民基本医疗保险", d("2021-12-20"), 0, "西秀区", "特困人员"],
        ["乙", B, 2022, "城乡居民基本医疗保险", d("2022-05-10"), 220, "", "低保对象"],
        ["丙", Cc, 2022, "城乡居民基本医疗保险", d("2022-02-01"), 320, "安顺市西秀区"],
        ["丁", D, 2022, "城乡居民基本医疗保险", d("2022-06-01"), 0, "", "特困人员"],
        ["己", F, 2022, "职工基本医疗保险", d("2022-01-15"), 0, "安顺市"],
    ]
    if month2:
        pays.append(["戊", E, 2022, "城乡居民基本医疗保险", d("2022-07-02"), 220, "", "低保对象"])
        roster.append(["旧州镇", "小屯村", "癸", gid(C, "19600101", 11), "低保对象", d("2022-07-01")])
    return [xlsx(tmp / "西秀_认定名单_民政.xlsx", ROSTER_HEAD, roster, "民政局名单"),
            xlsx(tmp / "西秀_认定名单_乡村振兴.xlsx", ROSTER_HEAD, rural)], \
        xlsx(tmp / f"缴费{2 if month2 else 1}.xlsx", PAY_HEAD, pays)


def _enrol(tmp, out, month2=False, previous=None):
    rosters, pays = _files(tmp, month2)
    extra = ["--previous-mobilisation", previous] if previous else []
    assert run("enrol", *rosters, "--payments", pays, "--region", "西秀", "--year", 2022, "--out", out,
               "--settings", settings(tmp), "--quiet", *extra) == 0
    return out


def test_subsidy_route_and_benefit_start(tmp_path, capsys):
    out = _enrol(tmp_path, tmp_path / "m1")
    t1 = by_name(sheet_rows(out / "表一_参保资助台账.xlsx", "表一", 5), 3)
    # columns: 缴费标准 14, 资助金额 15, 个人应缴 16, 个人缴费 17, 资助方式 18, 待遇起始 19
    # 甲 特困人员 全额资助 (一(三)): 320 − 320 = 0 to pay, paid 0 → 划入医保基金
    assert (t1["甲"][15], t1["甲"][16], t1["甲"][17]) == (320, 0, 0)
    assert "划入医保基金" in t1["甲"][18]
    # 乙 低保 定额 100 (setting): 320 − 100 = 220 to pay, paid 220 → fund; exempt group 一(二): from the payment day
    assert (t1["乙"][15], t1["乙"][16], t1["乙"][17]) == (100, 220, 220)
    assert "划入医保基金" in t1["乙"][18] and t1["乙"][19] == datetime(2022, 5, 10)
    # 丙 脱贫户 paid the full 320 → the 100 goes to the 一卡通 (一(三)); 脱贫人口 no waiting (一(一)): 2022-02-01
    assert (t1["丙"][15], t1["丙"][17]) == (100, 320)
    assert "一卡通" in t1["丙"][18] and "一(三)" in t1["丙"][18]
    assert t1["丙"][19] == datetime(2022, 2, 1)
    printed = capsys.readouterr().out
    assert "认定名单：读入 10 行 = 采用 10 + 异常 0" in printed
    assert A not in printed  # IDs never printed


def test_identity_change_within_the_year(tmp_path):
    out = _enrol(tmp_path, tmp_path / "m1")
    row = by_name(sheet_rows(out / "表一_参保资助台账.xlsx", "表一", 5), 3)["丁"]
    # 低保 ended 2022-03-31, 特困 from 2022-04-01; paid 2022-06-01: only 特困 in force → full 320, pays 0
    assert row[9] == "特困人员" and row[15] == 320 and row[17] == 0
    assert row[8].startswith("年内变更") and "低保对象" in row[8] and "特困人员" in row[8]
    assert row[6] == datetime(2022, 4, 1)  # 纳入资助时间 of the identity that gives the subsidy


def test_requests_balance_to_the_fen(tmp_path):
    out = _enrol(tmp_path, tmp_path / "m1")
    rows = sheet_rows(out / "代缴请款明细.xlsx", "代缴请款明细", 5)
    data = [r for r in rows if r[0] != "合计"]
    # fund route: 甲 320 + 0, 乙 100 + 220, 丁 320 + 0 (丙 paid in full → 一卡通, not requested)
    assert sorted((r[2], r[7], r[8], r[9]) for r in data) == [("丁", 320, 0, 320), ("乙", 100, 220, 320), ("甲", 320, 0, 320)]
    total = next(r for r in rows if r[0] == "合计")
    assert total[7].startswith("=SUMPRODUCT(H5:H7")  # widened to the 3 data rows: 740 + 220 = 960 when calculated


def test_reasonable_and_coverage(tmp_path):
    out = _enrol(tmp_path, tmp_path / "m1")
    reas = by_name(sheet_rows(out / "合理化未参保台账.xlsx", "合理化未参保", 5), 3)
    assert reas["己"][7] == "参加职工医保" and "职工医保缴费记录" in reas["己"][8]
    assert reas["庚"][7] == "服兵役" and reas["庚"][8] == "入伍通知书"
    t2 = by_name(sheet_rows(out / "表二_动员参保台账.xlsx", "表二", 5), 3)
    assert set(t2) == {"戊", "辛", "壬"}  # 辛 服刑 without evidence stays (一(一) 佐证资料)
    assert "缺佐证材料" in t2["辛"][10]
    assert (t2["戊"][7], t2["戊"][8]) == (100, 220)  # 应资助 100, 个人应缴 320 − 100
    cov = sheet_rows(out / "参保率统计.xlsx", "参保率", 5)
    total = next(r for r in cov if r[0] == "合计")
    # 9 persons: 已参保 甲乙丙丁 4, 合理 己庚 2, 未参保 戊辛壬 3; rate (4 + 2) / 9 = 66.67%
    assert total[2:6] == (9, 4, 2, 3)
    assert abs(total[6] - 0.6667) < 1e-9 and total[7] == 1
    assert total[8] == "未达标（差 3 人）"
    daz = next(r for r in cov if r[1] == "大寨村")
    assert daz[2:6] == (4, 4, 0, 0) and daz[8] == "达标"


def test_mobilisation_kept_across_two_months(tmp_path):
    m1 = _enrol(tmp_path, tmp_path / "m1")
    path = m1 / "表二_动员参保台账.xlsx"
    wb = load_workbook(path)
    ws = wb["表二"]
    for r in range(5, ws.max_row + 1):
        name = ws.cell(r, 4).value
        if name in ("戊", "壬"):  # clerk types 动员时间/动员人/动员结果 (columns L, M, N)
            ws.cell(r, 12).value = "2022-06-15"
            ws.cell(r, 13).value = "李四"
            ws.cell(r, 14).value = f"已动员{name}"
        if name == "辛":  # evidence supplied: moves to 合理化未参保
            ws.cell(r, 16).value = "判决书"
    prev = tmp_path / "上月表二.xlsx"
    wb.save(prev)
    m2 = _enrol(tmp_path, tmp_path / "m2", month2=True, previous=prev)
    t2 = by_name(sheet_rows(m2 / "表二_动员参保台账.xlsx", "表二", 5), 3)
    assert set(t2) == {"壬", "癸"}
    assert t2["壬"][11:14] == ("2022-06-15", "李四", "已动员壬")  # the clerk's columns survive
    assert t2["癸"][11:14] == (None, None, None)
    changes = {r[3]: r[5] for r in sheet_rows(m2 / "表二_动员参保台账.xlsx", "变动情况", 2)}
    assert changes == {"戊": "已参保", "辛": "转入合理化未参保", "癸": "新增"}
    reas = by_name(sheet_rows(m2 / "合理化未参保台账.xlsx", "合理化未参保", 5), 3)
    assert reas["辛"][7] == "服刑" and reas["辛"][8] == "判决书"


def test_subsidy_and_wait_start_cells_agree_with_the_batch(tmp_path, monkeypatch):
    """A clerk's =SUBSIDY(适用身份, "西秀", 2022) and =WAIT_START(缴费时间, "西秀", 身份) give 表一's 资助金额 and
    待遇起始日期 on every row (same settings file)."""
    import udf
    out = _enrol(tmp_path, tmp_path / "cells")
    monkeypatch.setenv("YIBAO_SETTINGS", str(tmp_path / "settings.toml"))
    monkeypatch.delenv("YIBAO_SETTINGS_TOML", raising=False)
    udf.reload_settings()
    rows = sheet_rows(out / "表一_参保资助台账.xlsx", "表一", 5)
    rows = [r for r in rows if r[0] != "合计"]
    assert len(rows) == 4  # 甲 乙 丙 丁 enrolled here (己 is in 职工医保)
    for r in rows:
        identity, paid_on = r[9], r[12]  # 适用身份, 缴费时间
        # money columns hold yuan as numbers: compare in fen
        assert round(Decimal(str(udf.SUBSIDY(identity, "西秀", 2022))) * 100) == round(Decimal(str(r[15])) * 100), r[3]
        start = udf.WAIT_START(paid_on.date(), "西秀", identity)
        if r[19] is None:  # no date in 表一: the cell gives the same reason as a # message, never a date
            assert isinstance(start, str) and start.startswith("#"), (r[3], start)
        else:
            assert start == r[19].date(), r[3]
    # 乙 (一(二) exempt: its payment day 2022-05-10) and 丙 (脱贫 一(一): 2022-02-01) have dates: not vacuous
    assert {r[3]: r[19] for r in rows if r[19] is not None}.keys() >= {"乙", "丙"}
    # by hand: 甲 特困人员 320 (全额), 乙/丙 定额 100 (setting), 丁 特困人员 at its 2022-06-01 payment → 320
    assert {r[3]: r[15] for r in rows} == {"甲": 320, "乙": 100, "丙": 100, "丁": 320}
    udf.reload_settings()
