"""阳城 阳医保发〔2022〕2号 一 (2022 个人缴费 320 元, 晋医保发〔2021〕14号): 资助参保 2022–2025 —
易返贫致贫人口 280 定额, 返贫致贫人口 90%, 特困人员 全额, 低保对象 80% (低于 280 按 280), 稳定脱贫人口 none;
several identities → the highest."""
from __future__ import annotations

from .support import PAY_HEAD, ROSTER_HEAD, by_name, d, gid, run, sheet_rows, xlsx


def test_yangcheng_subsidies(tmp_path):
    P, Q, R, S, T = (gid("140522", "19700101", i) for i in range(1, 6))
    mz = xlsx(tmp_path / "阳城_认定名单_民政.xlsx", ROSTER_HEAD, [
        ["凤城镇", "北山村", "P", P, "低保对象", d("2020-01-01")],
        ["凤城镇", "北山村", "Q", Q, "特困人员", d("2020-01-01")],
        ["凤城镇", "北山村", "T", T, "低保对象", d("2020-01-01")]])
    xc = xlsx(tmp_path / "阳城_认定名单_乡村振兴.xlsx", ROSTER_HEAD, [
        ["凤城镇", "南林村", "R", R, "返贫致贫人口", d("2021-05-01")],
        ["凤城镇", "南林村", "S", S, "边缘易致贫户", d("2021-05-01")],
        ["凤城镇", "北山村", "T", T, "脱贫不稳定户", d("2021-05-01")]])
    pays = xlsx(tmp_path / "pay.xlsx", PAY_HEAD, [
        ["P", P, 2022, "居民", d("2021-12-01"), 40], ["Q", Q, 2022, "居民", d("2021-12-01"), 0],
        ["R", R, 2022, "居民", d("2021-12-01"), 32], ["S", S, 2022, "居民", d("2021-12-01"), 40],
        ["T", T, 2022, "居民", d("2021-12-01"), 40]])
    out = tmp_path / "out"
    assert run("enrol", mz, xc, "--payments", pays, "--region", "阳城", "--year", 2022, "--out", out, "--quiet") == 0
    t1 = by_name(sheet_rows(out / "表一_参保资助台账.xlsx", "表一", 5), 3)
    # P 低保: 80% × 320 = 256 < 280 → 280; pays 320 − 280 = 40
    assert (t1["P"][15], t1["P"][16]) == (280, 40)
    # Q 特困: 全额 = 320; pays 0
    assert (t1["Q"][15], t1["Q"][16]) == (320, 0)
    # R 返贫致贫: 90% × 320 = 288; pays 32
    assert (t1["R"][15], t1["R"][16]) == (288, 32)
    # S 易返贫致贫 (边缘易致贫户): 280 定额; pays 40
    assert (t1["S"][15], t1["S"][16]) == (280, 40)
    # T 低保 and 脱贫不稳定 (易返贫致贫, "不含已纳入低保…"): the higher benefit, 280 either way, never both (560)
    assert t1["T"][15] == 280
    # the 代缴请款 rows add up: 代缴金额 + 个人缴费金额 = 缴费总额 = 320 for each
    req = [r for r in sheet_rows(out / "代缴请款明细.xlsx", "代缴请款明细", 5) if isinstance(r[0], int)]
    assert len(req) == 5 and all(r[-4] + r[-3] == r[-2] == 320 for r in req)
    # total requested: 280 + 320 + 288 + 280 + 280 = 1,448
    assert sum(r[-4] for r in req) == 1448
