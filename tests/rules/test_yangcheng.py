"""阳城 — 阳医保发〔2022〕2号 (with 晋医保发〔2021〕14号 for the 2022 contribution of 320 元).

Every expected amount is worked out by hand from the clause quoted next to it; amounts are int fen.
Each test builds the local settings it needs with round test figures (not official figures).
"""
from __future__ import annotations

from datetime import date

import pytest

from processor.engine import Engine
from processor.errors import InputError, PolicyNotInForce, SettingMissing
from processor.rules.assistance import out_of_catalog_within_share
from support import engine_with, yuan  # tests/rules/support.py

R = "阳城"
ON = date(2022, 6, 30)


# 四、五: 返贫致贫人口 shares a yearly 医疗救助 limit the document does not state: a required local
# setting. This round test figure keeps it out of the way of every amount below unless a test sets its own.
RETURNED_CAP = ("assistance_cap", 2022, "1000000")


def engine(*rows) -> Engine:
    """An engine whose settings are ``rows`` = (key, year, value in yuan or a rate), plus RETURNED_CAP
    unless ``rows`` give an assistance_cap for 2022."""
    if not any(k == "assistance_cap" and y == 2022 for k, y, _v in rows):
        rows = (*rows, RETURNED_CAP)
    return engine_with(*((R, k, y, v) for k, y, v in rows))


def bare_engine(*rows) -> Engine:
    """Settings exactly ``rows`` (no 返贫致贫 cap)."""
    return engine_with(*((R, k, y, v) for k, y, v in rows))


# ============================================================== 一 资助参保
@pytest.mark.parametrize("who, expected", [
    ("易返贫致贫人口", yuan(280)),   # 一: 易返贫致贫人口 按每人每年280元定额资助
    ("脱贫不稳定户", yuan(280)),     # 包括脱贫不稳定人口和边缘易致贫人口
    ("边缘易致贫户", yuan(280)),
    ("返贫致贫人口", yuan(288)),     # 个人缴费标准90%: 320 × 90% = 288
    ("特困人员", yuan(320)),         # 全额资助: 320
    ("五保户", yuan(320)),
    ("低保对象", yuan(280)),         # 80%: 320 × 80% = 256 < 280 → 低于280元按280元资助
    ("稳定脱贫人口", 0),             # 稳定脱贫人口不再享受资助参保政策
    ("脱贫户", 0),
    ("", 0),
])
def test_subsidy_2022_from_the_320_contribution(who, expected):
    # 2022 contribution 320 comes from 晋医保发〔2021〕14号: no settings at all.
    r = engine().subsidy(who, R, 2022)
    assert r.fen == expected


def test_subsidy_2022_cites_the_contribution_source():
    r = engine().subsidy("特困人员", R, 2022)
    assert any("晋医保发〔2021〕14号" in line for line in r.lines())
    r = engine().subsidy("低保对象", R, 2022)
    assert any("280" in line and "低于" in line for line in r.lines())


def test_subsidy_2023_needs_the_contribution_setting():
    with pytest.raises(SettingMissing) as e:
        engine().subsidy("特困人员", R, 2023)
    assert "individual_contribution" in str(e.value) and "2023" in str(e.value)


@pytest.mark.parametrize("contribution, who, expected", [
    ("400", "特困人员", yuan(400)),        # 全额 400
    ("400", "返贫致贫人口", yuan(360)),    # 400 × 90% = 360
    ("400", "低保对象", yuan(320)),        # 400 × 80% = 320 ≥ 280
    ("400", "易返贫致贫人口", yuan(280)),  # fixed 280 whatever the contribution
    ("400", "稳定脱贫人口", 0),
    ("350", "低保对象", yuan(280)),        # 350 × 80% = 280: exactly the floor
    ("340", "低保对象", yuan(280)),        # 340 × 80% = 272 < 280 → 280
    ("350", "返贫致贫人口", yuan(315)),    # 350 × 90% = 315
])
def test_subsidy_2023_with_the_setting(contribution, who, expected):
    e = engine(("individual_contribution", 2023, contribution))
    assert e.subsidy(who, R, 2023).fen == expected


def test_subsidy_易返贫致贫_already_in_低保_takes_the_higher():
    # 一: 易返贫致贫人口 "不含已纳入低保、特困供养范围人员" → read as the higher benefit, never both.
    e = engine(("individual_contribution", 2023, "400"))
    r = e.subsidy("边缘易致贫户、低保", R, 2023)
    assert (r.fen, r.identity) == (yuan(320), "低保对象")   # 320 > 280, not 600
    r = e.subsidy("边缘易致贫户、特困", R, 2023)
    assert (r.fen, r.identity) == (yuan(400), "特困人员")


# ============================================================== 三 大病保险 tilt (base from settings)
CRIT_2022 = [("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"), ("critical_cap", 2022, "300000")]


@pytest.mark.parametrize("who", ["特困人员", "低保对象", "返贫致贫人口"])
@pytest.mark.parametrize("ytd, amount, expected", [
    (0, yuan(5000), 0),                       # 三 起付线降低50%: 10,000 × 50% = 5,000
    (0, yuan(105000), yuan(65000)),           # 比例提高5个百分点: 60% + 5% = 65%; 100,000 × 65% = 65,000
    (yuan(3000), yuan(4000), yuan(1300)),     # year 7,000: 2,000 above 5,000 × 65% = 1,300
    (0, yuan(1000000), yuan(646750)),         # 取消封顶线: 995,000 × 65% = 646,750 > ordinary cap 300,000
])
def test_critical_tilt(who, ytd, amount, expected):
    e = engine(*CRIT_2022)
    assert e.critical(who, R, amount, ytd_amount=ytd, on=ON).fen == expected


@pytest.mark.parametrize("who", ["易返贫致贫人口", "稳定脱贫人口", ""])
def test_critical_ordinary_from_settings(who):
    e = engine(*CRIT_2022)
    # (105,000 − 10,000) × 60% = 57,000
    assert e.critical(who, R, yuan(105000), on=ON).fen == yuan(57000)
    # cap 300,000 reached at 10,000 + 300,000 / 60% = 510,000 exactly
    assert e.critical(who, R, yuan(510000), on=ON).fen == yuan(300000)
    # one fen more: 0.6 分 would round to 300,000.01 uncapped; capped 300,000.00
    assert e.critical(who, R, yuan("510000.01"), on=ON).fen == yuan(300000)


def test_critical_tilt_needs_the_base_settings():
    # 三 gives the tilt relative to the ordinary terms, which the document does not state.
    with pytest.raises(SettingMissing) as e:
        engine(("critical_cap", 2022, "300000")).critical("特困人员", R, yuan(50000), on=ON)
    assert "critical_deductible" in str(e.value)


def test_critical_tilt_2023_uses_2023_settings():
    e = engine(("critical_deductible", 2023, "12000"), ("critical_rate", 2023, "50%"), ("critical_cap", 2023, "400000"))
    # deductible 12,000 × 50% = 6,000; rate 50% + 5% = 55%; (106,000 − 6,000) × 55% = 55,000
    assert e.critical("低保对象", R, yuan(106000), on=date(2023, 3, 1)).fen == yuan(55000)


# ============================================================== 四 医疗救助 住院
def test_inpatient_特困_in_full_without_cap():
    e = engine()
    # 四: 特困人员目录内个人自付住院医疗费用由医疗救助给予保障 → 100%
    assert e.assistance("特困人员", R, yuan("12345.67"), on=ON).fen == yuan("12345.67")
    # no cap: already 500,000 this year, another 1,000,000 in full
    assert e.assistance("特困人员", R, yuan(1000000), ytd_assist=yuan(500000), on=ON).fen == yuan(1000000)


def test_inpatient_低保_70_percent_and_the_60000_cap():
    e = engine()
    # 四: 低保对象 70%
    assert e.assistance("低保对象", R, yuan(10000), on=ON).fen == yuan(7000)
    # 年度最高救助限额6万元: 100,000 × 70% = 70,000 → 60,000
    assert e.assistance("低保对象", R, yuan(100000), on=ON).fen == yuan(60000)
    # exactly: ytd 53,000 + 10,000 × 70% (7,000) = 60,000
    assert e.assistance("低保对象", R, yuan(10000), ytd_assist=yuan(53000), on=ON).fen == yuan(7000)
    # one fen above: 10,000.01 × 70% = 7,000.007 → 7,000.01 uncapped; capped 7,000.00
    assert e.assistance("低保对象", R, yuan("10000.01"), ytd_assist=yuan(53000), on=ON).fen == yuan(7000)


def test_低保_cap_is_shared_with_outpatient():
    # 五: 门诊和住院救助共用年度救助限额.
    e = engine()
    a1 = e.assistance("低保对象", R, yuan(80000), kind="住院", on=ON).fen          # 80,000 × 70% = 56,000
    assert a1 == yuan(56000)
    a2 = e.assistance("低保对象", R, yuan(10000), ytd_assist=a1, kind="门诊慢特病", on=ON).fen
    assert a2 == yuan(3000)                                                          # 10,000 × 30% = 3,000 → 59,000
    a3 = e.assistance("低保对象", R, yuan(20000), ytd_assist=a1 + a2, kind="门诊特药", on=ON).fen
    assert a3 == yuan(1000)                                                          # 20,000 × 10% = 2,000; 1,000 left
    a4 = e.assistance("低保对象", R, yuan(5000), ytd_assist=a1 + a2 + a3, kind="住院", on=ON).fen
    assert a4 == 0
    assert a1 + a2 + a3 + a4 == yuan(60000)
    with pytest.raises(InputError):
        e.assistance("低保对象", R, yuan(100), ytd_assist=yuan("60000.01"), on=ON)


# ---------------------------------------------------------- 返贫致贫: 70%, topped up to 90% in province
def test_返贫致贫_top_up_to_90_percent():
    # 四: 返贫致贫人口 70%；省内住院单次目录内费用综合支付比例达不到90%的，救助到90%.
    # stay 100,000 in catalog, self-pay after 基本医保+大病 50,000: 70% = 35,000;
    # combined (50,000 + 35,000) / 100,000 = 85% < 90% → assistance = 50,000 − 100,000 × 10% = 40,000
    # check: (100,000 − 50,000 + 40,000) / 100,000 = 90%
    r = engine().assistance("返贫致贫人口", R, yuan(50000), stay_total=yuan(100000), on=ON)
    assert r.fen == yuan(40000)
    assert any("90%" in line for line in r.lines())


def test_返贫致贫_70_percent_already_above_90():
    # self-pay 30,000 of 100,000: 70% = 21,000; combined (70,000 + 21,000) / 100,000 = 91% ≥ 90% → 21,000
    assert engine().assistance("返贫致贫人口", R, yuan(30000), stay_total=yuan(100000), on=ON).fen == yuan(21000)


def test_返贫致贫_70_percent_exactly_90():
    # self-pay 30,000 of 90,000: 70% = 21,000; combined (60,000 + 21,000) / 90,000 = 90% exactly → 21,000
    assert engine().assistance("返贫致贫人口", R, yuan(30000), stay_total=yuan(90000), on=ON).fen == yuan(21000)


def test_返贫致贫_top_up_needs_the_stay_total():
    with pytest.raises(InputError) as e:
        engine().assistance("返贫致贫人口", R, yuan(50000), on=ON)
    assert "90%" in str(e.value) and "目录内" in str(e.value)


def test_返贫致贫_stay_total_below_self_pay_is_refused():
    with pytest.raises(InputError):
        engine().assistance("返贫致贫人口", R, yuan(50000), stay_total=yuan(40000), on=ON)


def test_返贫致贫_out_of_province_no_top_up():
    # 四: the top-up is for 省内住院 only. 50,000 × 70% = 35,000 (no 40,000 top-up); no stay total needed.
    e = engine()
    assert e.assistance("返贫致贫人口", R, yuan(50000), stay_total=yuan(100000), in_province=False, on=ON).fen == yuan(35000)
    assert e.assistance("返贫致贫人口", R, yuan(50000), in_province=False, on=ON).fen == yuan(35000)


@pytest.mark.parametrize("who", ["易返贫致贫人口", "稳定脱贫人口", ""])
def test_inpatient_others_get_no_assistance(who):
    # 四 names only 特困人员, 返贫致贫人口, 低保对象.
    assert engine().assistance(who, R, yuan(10000), on=ON).fen == 0


# ============================================================== 五 门诊
@pytest.mark.parametrize("who, kind, expected", [
    ("特困人员", "门诊慢特病", yuan(6000)),      # 五: 门诊慢性病 剩余部分 特困人员 60%: 10,000 × 60%
    ("低保对象", "门诊慢特病", yuan(3000)),      # 低保对象和返贫致贫人口 30%
    ("返贫致贫人口", "门诊慢特病", yuan(3000)),  # (no 90% top-up: it is for 住院 only, no stay total needed)
    ("特困人员", "门诊特药", yuan(2000)),        # 门诊特药 特困人员 20%
    ("低保对象", "门诊特药", yuan(1000)),        # 低保对象和返贫致贫人口 10%
    ("返贫致贫人口", "门诊特药", yuan(1000)),
    ("易返贫致贫人口", "门诊慢特病", 0),
    ("易返贫致贫人口", "门诊特药", 0),
])
def test_outpatient_rates(who, kind, expected):
    assert engine().assistance(who, R, yuan(10000), kind=kind, on=ON).fen == expected


# ============================================================== 六 住院目录外
def test_out_of_catalog_85_percent_for_返贫致贫_only():
    e = engine()
    # 六: 过渡期内，返贫致贫人口省内住院目录外控制比例范围内的住院医疗费用由医疗救助基金按85%救助: 30,000 × 85%
    assert e.assistance("返贫致贫人口", R, yuan(30000), kind="住院目录外", on=ON).fen == yuan(25500)
    # 省内 only
    assert e.assistance("返贫致贫人口", R, yuan(30000), kind="住院目录外", in_province=False, on=ON).fen == 0
    # other identities: not named in 六
    for who in ("特困人员", "低保对象", "易返贫致贫人口"):
        assert e.assistance(who, R, yuan(30000), kind="住院目录外", on=ON).fen == 0


@pytest.mark.parametrize("hospital, within, assisted", [
    ("一类", yuan(30000), yuan(25500)),             # 六: 一类 30%: 100,000 × 30% = 30,000; × 85% = 25,500
    ("省市级二类", yuan(20000), yuan(17000)),       # 20%: 20,000; × 85% = 17,000
    ("县级二类及三类", yuan(15000), yuan(12750)),   # 15%: 15,000; × 85% = 12,750
])
def test_out_of_catalog_within_share_by_hospital_class(hospital, within, assisted):
    # a stay of 100,000 total with 40,000 out of catalog; the excess over the share is borne by the hospital.
    e = engine()
    ctx = e.ctx(R, ON)
    got, step = out_of_catalog_within_share(ctx, yuan(40000), yuan(100000), hospital)
    assert got == within
    assert "六" in step.render()
    assert e.assistance("返贫致贫人口", R, got, kind="住院目录外", on=ON).fen == assisted


def test_out_of_catalog_below_the_share_counts_in_full():
    # 10,000 out of catalog in a 100,000 stay at a 县级 hospital: 10,000 < 15,000 → all 10,000 counts
    got, _ = out_of_catalog_within_share(engine().ctx(R, ON), yuan(10000), yuan(100000), "县级二类及三类")
    assert got == yuan(10000)


def test_out_of_catalog_unknown_hospital_class():
    with pytest.raises(InputError):
        out_of_catalog_within_share(engine().ctx(R, ON), yuan(10000), yuan(100000), "四类")


# ============================================================== 四 倾斜救助
def test_tilt_on_application():
    # 四: 经三重制度支付后…个人负担仍然较重的，给予倾斜救助 — no standard given.
    r = engine().tilt("低保对象", R, yuan(100000), on=ON)
    assert r.fen is None and r.text == "依申请"


# ============================================================== in force 2022-01-01 … 2025-12-31
@pytest.mark.parametrize("on", [date(2022, 1, 1), date(2025, 12, 31)])
def test_in_force_at_both_ends(on):
    e = engine()
    assert e.in_force(R, on).on == on
    assert e.assistance("低保对象", R, yuan(10000), on=on).fen == yuan(7000)   # 70%


@pytest.mark.parametrize("on", [date(2021, 12, 31), date(2026, 1, 1)])
def test_refused_outside_the_period(on):
    e = engine()
    with pytest.raises(PolicyNotInForce) as err:
        e.assistance("低保对象", R, yuan(10000), on=on)
    msg = str(err.value)
    assert "2022-01-01" in msg and "2025-12-31" in msg and str(on) in msg


@pytest.mark.parametrize("year", [2021, 2026])
def test_subsidy_refused_outside_2022_2025(year):
    e = engine(("individual_contribution", year, "400"))
    with pytest.raises(PolicyNotInForce):
        e.subsidy("特困人员", R, year)


# ============================================================== multi-identity
def test_特困_and_低保_takes_特困_for_assistance():
    # 100% > 70%; never added.
    r = engine().assistance("低保、特困", R, yuan(10000), on=ON)
    assert (r.fen, r.identity) == (yuan(10000), "特困人员")


# ---------------------------------------------------------- 四、五: 返贫致贫人口's yearly cap is a local setting
def test_4_5_returned_to_poverty_cap_is_a_required_setting():
    # 五 "门诊和住院救助共用年度救助限额"; the document states 6万 only for 低保对象 (四): for 返贫致贫人口
    # the cap is a required setting, never "no limit".
    with pytest.raises(SettingMissing, match="assistance_cap"):
        bare_engine().assistance("返贫致贫人口", R, yuan(10000), kind="门诊慢特病", on=ON)
    # 低保对象's 60,000 comes from the document itself: no setting needed. 10,000 × 70% = 7,000
    assert bare_engine().assistance("低保对象", R, yuan(10000), on=ON).fen == yuan(7000)


def test_4_5_returned_to_poverty_cap_binds():
    e = engine(("assistance_cap", 2022, "20000"))
    # 门诊慢特病 30%: 100,000 × 30% = 30,000 > cap 20,000 → 20,000
    assert e.assistance("返贫致贫人口", R, yuan(100000), kind="门诊慢特病", on=ON).fen == yuan(20000)
    # 15,000 already paid this year: 10,000 × 30% = 3,000 > 5,000 left? no → 3,000; 30,000 × 30% = 9,000 → 5,000 left
    assert e.assistance("返贫致贫人口", R, yuan(10000), ytd_assist=yuan(15000), kind="门诊慢特病", on=ON).fen == yuan(3000)
    assert e.assistance("返贫致贫人口", R, yuan(30000), ytd_assist=yuan(15000), kind="门诊慢特病", on=ON).fen == yuan(5000)


def test_4_tekun_has_no_cap():
    # 四 "特困人员目录内个人自付住院医疗费用由医疗救助给予保障": full, no limit (the policy file's reading):
    # 500,000 × 100% = 500,000 with nothing set
    assert bare_engine().assistance("特困人员", R, yuan(500000), on=ON).fen == yuan(500000)


@pytest.mark.parametrize("who", ["重度残疾人", "重度残疾", "优抚对象", "重点优抚对象"])
def test_1_disabled_and_entitled_groups_are_accepted(who):
    # 一 "确保……低保、五保、重度残疾、优抚等重点人群全部纳入医疗保障范围": known identities (not rejected),
    # with what the document gives them: enrolment only — no subsidy, no 大病 tilt, no 医疗救助.
    e = engine(("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"), ("critical_cap", 2022, "300000"))
    assert e.subsidy(who, R, 2022).fen == 0
    assert e.assistance(who, R, yuan(10000), on=ON).fen == 0
    # 大病 as an ordinary insured person: (50,000 − 10,000) × 60% = 24,000
    assert e.critical(who, R, yuan(50000), on=ON).fen == yuan(24000)


def test_1_disabled_who_is_also_dibao_gets_the_dibao_benefit():
    # several identities → the highest: 低保 70% of 10,000 = 7,000
    assert engine().assistance("重度残疾人、低保", R, yuan(10000), on=ON).fen == yuan(7000)
