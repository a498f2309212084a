"""龙岩 龙政办规〔2022〕14号 二(二) (test setting: 2023 个人缴费 380 元) and 赣州 赣医保发〔2021〕13号 (2022: 320 元,
集中征缴期 2021-10-01 至 2022-03-31, 90 日等待期), and WAIT_START equal to the batch."""
from __future__ import annotations

from datetime import datetime

from .support import PAY_HEAD, ROSTER_HEAD, by_name, d, gid, run, settings, sheet_rows, xlsx


def test_longyan_recognition_rules(tmp_path):
    K, L, M = (gid("350802", "19600101", i) for i in (1, 2, 3))
    mz = xlsx(tmp_path / "龙岩_认定名单_民政.xlsx", ROSTER_HEAD, [
        ["小池镇", "一村", "K", K, "低保对象", d("2022-05-01")],
        ["小池镇", "一村", "L", L, "特困人员", d("2023-03-15")],
        ["小池镇", "一村", "M", M, "低保对象", d("2021-01-01")]])
    cl = xlsx(tmp_path / "龙岩_认定名单_残联.xlsx", ROSTER_HEAD, [["小池镇", "一村", "M", M, "重度残疾人", d("2021-06-01")]])
    pays = xlsx(tmp_path / "pay.xlsx", PAY_HEAD, [
        ["K", K, 2023, "居民", d("2023-01-10"), 38],
        ["L", L, 2023, "居民", d("2023-01-05"), 380],
        ["M", M, 2023, "居民", d("2023-01-06"), 0]])
    out = tmp_path / "out"
    assert run("enrol", mz, cl, "--payments", pays, "--region", "龙岩", "--year", 2023, "--out", out,
               "--settings", settings(tmp_path), "--quiet") == 0
    t1 = by_name(sheet_rows(out / "表一_参保资助台账.xlsx", "表一", 5), 3)
    # K 第三类: 90% × 380 = 342 subsidy, pays 380 − 342 = 38 → fund; 待遇从认定之日次月起: 2022-05-01 → 2022-06-01
    assert (t1["K"][15], t1["K"][16], t1["K"][17]) == (342, 38, 38) and "划入医保基金" in t1["K"][18]
    assert t1["K"][20] == datetime(2022, 6, 1)
    # L paid 2023-01-05, recognised 特困 2023-03-15: 认定前个人当年已参保的，不再资助参保 → 0
    assert t1["L"][15] == 0 and t1["L"][18] == "不享受资助参保" and "不再资助参保" in t1["L"][21]
    # M 第三类 (低保) and 第二类 (重度残疾): highest, 第二类 全额 380, pays 0
    assert t1["M"][9] == "第二类" and (t1["M"][15], t1["M"][17]) == (380, 0)


def test_ganzhou_waiting_period_and_targets(tmp_path):
    from udf import WAIT_START
    N, O = gid("360702", "19700101", 1), gid("360702", "19700101", 2)
    mz = xlsx(tmp_path / "赣州_认定名单_民政.xlsx", ROSTER_HEAD, [
        ["梅林镇", "一村", "N", N, "低保对象", d("2020-01-01")],
        ["梅林镇", "一村", "O", O, "低保边缘家庭人口", d("2020-01-01")]])
    pays = xlsx(tmp_path / "pay.xlsx", PAY_HEAD, [
        ["N", N, 2022, "居民", d("2021-11-01"), 0],
        ["O", O, 2022, "居民", d("2022-05-10"), 320]])
    out = tmp_path / "out"
    assert run("enrol", mz, "--payments", pays, "--region", "赣州", "--year", 2022, "--out", out, "--quiet") == 0
    t1 = by_name(sheet_rows(out / "表一_参保资助台账.xlsx", "表一", 5), 3)
    # N 低保 320 定额 (37号 二(二)2) = the whole 2022 contribution; paid in the collection period → 2022-01-01
    assert (t1["N"][15], t1["N"][17]) == (320, 0) and t1["N"][19] == datetime(2022, 1, 1)
    # O 低保边缘 not subsidised, paid 2022-05-10 outside the period: 90 days after the payment day → 2022-08-09
    # (May 10 + 91 days: 21 left in May + 30 June + 31 July = 82, + 9 → August 9)
    assert t1["O"][15] == 0 and t1["O"][19] == datetime(2022, 8, 9)
    assert WAIT_START("2022-05-10", "赣州", "低保边缘家庭人口") == t1["O"][19].date()
    assert WAIT_START("2021-11-01", "赣州", "低保对象") == t1["N"][19].date()
    cov = sheet_rows(out / "参保率统计.xlsx", "参保率", 5)
    total = next(r for r in cov if r[0] == "合计")
    assert total[2:7] == (2, 2, 0, 0, 1) and total[8] == "达标"
    assert abs(total[9] - 0.95) < 1e-9 and "赣医保发〔2021〕13号 一" in total[10]  # 常住人口参保率 95%
