"""龙岩 — 龙政办规〔2022〕14号, checked against the document text.

Every expected amount below is worked out by hand from the clause quoted next to it; amounts are
int fen (1 元 = 100 fen). Each test builds the local settings it needs with round test figures
(they are NOT official figures): the document gives no income, contribution or caps.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from processor.book import Amount, Unlimited
from processor.engine import Engine
from processor.errors import InputError, PolicyNotInForce, SettingMissing, YibaoError
from support import engine_with, yuan  # tests/rules/support.py

R = "龙岩"
ON = date(2023, 6, 30)  # inside 四(二): 2023-01-01 起施行，有效期三年


def engine(*rows) -> Engine:
    """An engine whose settings are exactly ``rows`` = (key, year, value in yuan or a rate)."""
    return engine_with(*((R, k, y, v) for k, y, v in rows))


# ============================================================== 二(一)1 五类救助对象 and aliases
@pytest.mark.parametrize("text, cls", [
    ("第一类", "第一类"), ("特困供养人员", "第一类"), ("孤儿", "第一类"), ("事实无人抚养儿童", "第一类"),
    ("第二类", "第二类"), ("重度残疾人", "第二类"), ("重点优抚对象", "第二类"), ("计划生育特殊家庭成员", "第二类"),
    ("第三类", "第三类"), ("低保", "第三类"), ("最低生活保障对象", "第三类"), ("监测户", "第三类"),
    ("脱贫人员", "第三类"), ("农村易返贫致贫人员", "第三类"),
    ("第四类", "第四类"), ("低保边缘", "第四类"), ("最低生活保障边缘家庭成员", "第四类"),
    ("第五类", "第五类"), ("因病致贫重病患者", "第五类"),
])
def test_class_and_member_aliases(text, cls):
    # 二(一)1: 第一类 特困供养人员、孤儿（含事实无人抚养儿童）; 第二类 …重度残疾人; 第三类 低保对象、
    # 纳入监测的农村易返贫致贫人员、脱贫（享受政策）人员; 第四类 低保边缘家庭成员; 第五类 因病致贫重病患者
    assert engine().identity(text, R, ON) == cls


def test_unknown_identity_is_refused_with_the_classes_listed():
    with pytest.raises(InputError) as e:
        engine().identity("城镇职工", R, ON)
    assert "第一类" in str(e.value)


def test_empty_identity_is_an_ordinary_insured_person():
    assert engine().identity("", R, ON) == "普通参保人"


# ============================================================== 二(二) 资助参保
SUBSIDY_400 = [
    ("第一类", yuan(400)),        # 二(二) 第一、二类 全额资助: 400
    ("特困供养人员", yuan(400)),  # alias of 第一类
    ("孤儿", yuan(400)),
    ("第二类", yuan(400)),        # 全额: 400
    ("重度残疾人", yuan(400)),
    ("第三类", yuan(360)),        # 第三类 按照90%比例给予定额资助: 400 × 90% = 360
    ("低保", yuan(360)),
    ("监测户", yuan(360)),
    ("脱贫人员", yuan(360)),
    ("第四类", 0),                # 二(二) lists only classes 1–3: none
    ("低保边缘", 0),
    ("第五类", 0),
    ("因病致贫重病患者", 0),
    ("", 0),                      # ordinary insured person pays in full
]


@pytest.mark.parametrize("who, expected", SUBSIDY_400)
def test_subsidy_by_class(who, expected):
    e = engine(("individual_contribution", 2023, "400"))
    assert e.subsidy(who, R, 2023).fen == expected


def test_subsidy_class3_rounds_to_the_fen():
    e = engine(("individual_contribution", 2023, "385"))
    # 二(二): 385 × 90% = 346.50
    assert e.subsidy("第三类", R, 2023).fen == yuan("346.50")
    # 全额: 385
    assert e.subsidy("第一类", R, 2023).fen == yuan(385)


def test_subsidy_needs_the_contribution_setting():
    with pytest.raises(SettingMissing) as e:
        engine().subsidy("第三类", R, 2023)
    assert "individual_contribution" in str(e.value) and "二(二)" in str(e.value)


def test_subsidy_for_a_class_without_subsidy_needs_no_setting():
    # 第四类: no subsidy at all, so no contribution figure is needed.
    assert engine().subsidy("第四类", R, 2023).fen == 0


# ============================================================== 二(三) 大病保险 — tilt, explicit bands
# 第一类和第三类: 起付线 6500; 6500~100000 按65%; 100000~150000 按70%; 150000以上 按75%; 不设封顶线.
TILT = [
    # (ytd, amount, expected, arithmetic)
    (0, yuan(6500), 0),                                   # at the deductible: nothing above 6,500
    (0, yuan("6500.01"), 1),                              # 0.01 × 65% = 0.0065 元 = 0.65 分 → 1 分 (half-up)
    (0, yuan(10000), yuan(2275)),                         # (10,000 − 6,500) × 65% = 2,275
    (0, yuan(100000), yuan(60775)),                       # (100,000 − 6,500) × 65% = 60,775
    (yuan(5000), yuan(10000), yuan(5525)),                # ytd below deductible: (15,000 − 6,500) × 65% = 5,525
    (yuan(90000), yuan(20000), yuan(13500)),              # 10,000 × 65% + 10,000 × 70% = 6,500 + 7,000 = 13,500
    (yuan(120000), yuan(50000), yuan(36000)),             # 30,000 × 70% + 20,000 × 75% = 21,000 + 15,000 = 36,000
    (yuan(160000), yuan(10000), yuan(7500)),              # all above 150,000: 10,000 × 75% = 7,500
    (0, yuan(200000), yuan(133275)),                      # 93,500×65% + 50,000×70% + 50,000×75% = 60,775+35,000+37,500
]


@pytest.mark.parametrize("ytd, amount, expected", TILT)
@pytest.mark.parametrize("who", ["第一类", "第三类", "特困供养人员", "低保", "监测户", "脱贫人员"])
def test_critical_tilt_explicit_bands(who, ytd, amount, expected):
    # No settings: the tilted terms are all in 二(三) itself.
    r = engine().critical(who, R, amount, ytd_amount=ytd, on=ON)
    assert r.fen == expected


def test_critical_tilt_claim_spanning_two_band_boundaries():
    # ytd 50,000, this claim 150,000 → year total 200,000, crossing 100,000 and 150,000:
    #   50,000→100,000 at 65% = 32,500; 100,000→150,000 at 70% = 35,000; 150,000→200,000 at 75% = 37,500
    #   = 105,000 (二(三))
    r = engine().critical("第三类", R, yuan(150000), ytd_amount=yuan(50000), on=ON)
    assert r.fen == yuan(105000)
    assert any("二(三)" in line for line in r.lines())


def test_critical_tilt_ytd_carried_across_bands_adds_up_to_the_year():
    # Three claims of 70,000 in a year (total 210,000):
    #   1st: 0→70,000: 63,500 × 65% = 41,275
    #   2nd: 70,000→140,000: 30,000 × 65% + 40,000 × 70% = 19,500 + 28,000 = 47,500
    #   3rd: 140,000→210,000: 10,000 × 70% + 60,000 × 75% = 7,000 + 45,000 = 52,000
    # Year: 41,275 + 47,500 + 52,000 = 140,775 = 60,775 + 35,000 + 60,000 × 75% (45,000) ✓
    e = engine()
    pays, ytd = [], 0
    for _ in range(3):
        pays.append(e.critical("第一类", R, yuan(70000), ytd_amount=ytd, on=ON).fen)
        ytd += yuan(70000)
    assert pays == [yuan(41275), yuan(47500), yuan(52000)]
    assert sum(pays) == yuan(140775)


def test_critical_tilt_has_no_cap_even_when_the_ordinary_cap_is_set():
    # 二(三) 不设年度封顶线: 1,000,000 → 60,775 + 35,000 + 850,000 × 75% (637,500) = 733,275,
    # far above an ordinary cap of 60,000.
    e = engine(("critical_cap", 2023, "60000"))
    assert e.critical("第一类", R, yuan(1000000), on=ON).fen == yuan(733275)


# ============================================================== 二(三) 大病保险 — ordinary reading
# Reading (lzbg-2022-14.toml notes): 普通起付线 = 6,500 / 50% = 13,000; 比例 = 65/70/75 − 5 = 60/65/70 at the
# same band points; 普通封顶线 is not in the document → local setting critical_cap.
ORDINARY = [
    (0, yuan(13000), 0, "300000"),                        # at the deductible
    (0, yuan(20000), yuan(4200), "300000"),               # (20,000 − 13,000) × 60% = 4,200
    (0, yuan(100000), yuan(52200), "300000"),             # 87,000 × 60% = 52,200
    (0, yuan(200000), yuan(119700), "300000"),            # 52,200 + 50,000 × 65% + 50,000 × 70% = 52,200+32,500+35,000
    (yuan(90000), yuan(20000), yuan(12500), "300000"),    # 10,000 × 60% + 10,000 × 65% = 6,000 + 6,500
]


@pytest.mark.parametrize("ytd, amount, expected, cap", ORDINARY)
@pytest.mark.parametrize("who", ["", "第二类", "重度残疾人", "第四类", "第五类"])
def test_critical_ordinary_bands(who, ytd, amount, expected, cap):
    e = engine(("critical_cap", 2023, cap))
    assert e.critical(who, R, amount, ytd_amount=ytd, on=ON).fen == expected


def test_critical_ordinary_cap_exactly_and_one_fen_above():
    # cap 60,000 (test setting). 60,000 is reached at a year total of 112,000:
    #   87,000 × 60% = 52,200; (112,000 − 100,000) × 65% = 7,800; 52,200 + 7,800 = 60,000.
    e = engine(("critical_cap", 2023, "60000"))
    assert e.critical("第二类", R, yuan(112000), on=ON).fen == yuan(60000)
    # one fen more: uncapped it would add 0.01 × 65% = 0.65 分 → 60,000.01; the cap holds it at 60,000.00
    assert e.critical("第二类", R, yuan("112000.01"), on=ON).fen == yuan(60000)
    # the same with the year carried: ytd 100,000, claim 12,000 → 7,800 reaches the cap exactly
    assert e.critical("第二类", R, yuan(12000), ytd_amount=yuan(100000), on=ON).fen == yuan(7800)
    assert e.critical("第二类", R, yuan("12000.01"), ytd_amount=yuan(100000), on=ON).fen == yuan(7800)
    # once the cap is reached nothing more is paid
    assert e.critical("第二类", R, yuan(50000), ytd_amount=yuan(112000), on=ON).fen == 0


def test_critical_ordinary_needs_the_cap_setting():
    with pytest.raises(SettingMissing) as e:
        engine().critical("第二类", R, yuan(50000), on=ON)
    assert "critical_cap" in str(e.value)


def test_explicit_tilted_bands_equal_ordinary_minus_half_deductible_plus_five_points():
    # 二(三): "起付标准比普通参保人降低 50%，报销比例提高 5 个百分点 … 即 … 6500 … 65% / 70% / 75%".
    view = engine().in_force(R, ON)
    ordinary_ded = view.get("critical.deductible").value
    tilt_ded = view.get("critical.tilt.deductible").value
    assert isinstance(ordinary_ded, Amount) and isinstance(tilt_ded, Amount)
    assert tilt_ded.fen == yuan(6500)
    assert tilt_ded.fen * 2 == ordinary_ded.fen            # 6,500 = 13,000 × (1 − 50%)
    ordinary_bands = view.get("critical.bands").value
    tilt_bands = view.get("critical.tilt.bands").value
    assert len(ordinary_bands) == len(tilt_bands) == 3
    for (o_upto, o_rate), (t_upto, t_rate) in zip(ordinary_bands, tilt_bands):
        assert o_upto == t_upto                             # same band points 100,000 / 150,000 / open
        assert t_rate - o_rate == Decimal("0.05")           # +5 个百分点
    assert [t for _, t in tilt_bands] == [Decimal("0.65"), Decimal("0.70"), Decimal("0.75")]
    assert [u.fen for u, _ in tilt_bands[:2]] == [yuan(100000), yuan(150000)]
    assert isinstance(tilt_bands[-1][0], Unlimited)
    assert isinstance(view.get("critical.tilt.cap").value, Unlimited)   # 取消封顶线


def test_tilted_and_ordinary_payments_differ_by_the_stated_changes():
    # Same year total 120,000:
    #   tilt:     93,500 × 65% + 20,000 × 70% = 60,775 + 14,000 = 74,775
    #   ordinary: 87,000 × 60% + 20,000 × 65% = 52,200 + 13,000 = 65,200
    e = engine(("critical_cap", 2023, "300000"))
    assert e.critical("第一类", R, yuan(120000), on=ON).fen == yuan(74775)
    assert e.critical("第二类", R, yuan(120000), on=ON).fen == yuan(65200)


# ============================================================== 二(四) 医疗救助
# Test settings: 2022 居民人均可支配收入 50,000 (→ 第四类 threshold 5,000, 第五类 12,500); 2023 限额 60,000.
ASSIST = [("disposable_income", 2022, "50000"), ("assistance_cap", 2023, "60000")]


@pytest.mark.parametrize("who, selfpay, ytd, expected", [
    ("第一类", yuan(10000), 0, yuan(9000)),               # 二(四)2 第一类 90%, 二(四)1 no threshold
    ("孤儿", yuan(10000), 0, yuan(9000)),
    ("第二类", yuan(10000), 0, yuan(7000)),               # 第二、三类 70%
    ("第三类", yuan(10000), 0, yuan(7000)),
    ("脱贫人员", yuan(10000), 0, yuan(7000)),
    ("第四类", yuan(8000), 0, yuan(1800)),                # threshold 50,000 × 10% = 5,000; 3,000 × 60% = 1,800
    ("第四类", yuan(1000), yuan(3000), 0),                # year 4,000 ≤ 5,000: nothing
    ("第四类", yuan(2000), yuan(4000), yuan(600)),        # 1,000 above 5,000 × 60% = 600
    ("第四类", yuan(1000), yuan(6000), yuan(600)),        # all above: 1,000 × 60% = 600
    ("第五类", yuan(12500), 0, 0),                        # threshold 50,000 × 25% = 12,500: exactly at it
    ("第五类", yuan(5000), yuan(10000), yuan(1250)),      # 2,500 above 12,500 × 50% = 1,250
    ("因病致贫重病患者", yuan(20000), 0, yuan(3750)),     # 7,500 × 50% = 3,750
    ("", yuan(10000), 0, 0),                              # ordinary insured: not a 救助对象
])
def test_assistance_thresholds_and_rates(who, selfpay, ytd, expected):
    e = engine(*ASSIST)
    assert e.assistance(who, R, selfpay, ytd_selfpay=ytd, kind="住院", on=ON).fen == expected


@pytest.mark.parametrize("kind", ["住院", "门诊慢特病", "门诊特药"])
@pytest.mark.parametrize("who, expected", [
    ("第一类", yuan(900)), ("第二类", yuan(700)), ("第三类", yuan(700)),
    ("第四类", yuan(600)), ("第五类", yuan(500)),
])
def test_assistance_one_rate_for_inpatient_and_outpatient_special(kind, who, expected):
    # 二(四)2 统一门诊特殊病种和住院救助比例: with the year's self-pay already above every threshold
    # (ytd 20,000 > 12,500), 1,000 × 90/70/70/60/50%.
    e = engine(*ASSIST)
    assert e.assistance(who, R, yuan(1000), ytd_selfpay=yuan(20000), kind=kind, on=ON).fen == expected


def test_assistance_threshold_counts_outpatient_and_inpatient_self_pay_together():
    # 第四类: 门诊慢特病 self-pay 3,000 then 住院 4,000 → year 7,000; threshold 5,000.
    e = engine(*ASSIST)
    first = e.assistance("第四类", R, yuan(3000), kind="门诊慢特病", on=ON).fen
    second = e.assistance("第四类", R, yuan(4000), ytd_selfpay=yuan(3000), kind="住院", on=ON).fen
    assert first == 0                      # 3,000 ≤ 5,000
    assert second == yuan(1200)            # (7,000 − 5,000) × 60% = 1,200


def test_assistance_shared_cap_across_inpatient_and_outpatient():
    # 二(四)2 共用年度救助限额; 二(四)3 超过年度救助限额后不再支付. Cap 60,000 (test setting).
    e = engine(*ASSIST)
    # 住院 self-pay 60,000 × 90% = 54,000
    a1 = e.assistance("第一类", R, yuan(60000), kind="住院", on=ON).fen
    assert a1 == yuan(54000)
    # 门诊慢特病 self-pay 10,000 × 90% = 9,000, but only 60,000 − 54,000 = 6,000 left
    a2 = e.assistance("第一类", R, yuan(10000), ytd_selfpay=yuan(60000), ytd_assist=a1, kind="门诊慢特病", on=ON).fen
    assert a2 == yuan(6000)
    # cap used up: the next 住院 gets nothing
    a3 = e.assistance("第一类", R, yuan(1000), ytd_selfpay=yuan(70000), ytd_assist=a1 + a2, kind="住院", on=ON).fen
    assert a3 == 0
    assert a1 + a2 + a3 == yuan(60000)


def test_assistance_cap_exactly_and_one_fen_above():
    e = engine(*ASSIST)
    # ytd assistance 51,000; 10,000 × 90% = 9,000 reaches 60,000 exactly
    assert e.assistance("第一类", R, yuan(10000), ytd_assist=yuan(51000), on=ON).fen == yuan(9000)
    # 10,000.01 × 90% = 9,000.009 → 9,000.01 uncapped; the cap leaves 9,000.00
    assert e.assistance("第一类", R, yuan("10000.01"), ytd_assist=yuan(51000), on=ON).fen == yuan(9000)
    # same for 第三类 at 70%: ytd 53,000 + 7,000 = 60,000; one fen more of self-pay stays at 7,000
    assert e.assistance("第三类", R, yuan(10000), ytd_assist=yuan(53000), kind="门诊慢特病", on=ON).fen == yuan(7000)
    assert e.assistance("第三类", R, yuan("10000.01"), ytd_assist=yuan(53000), kind="门诊慢特病", on=ON).fen == yuan(7000)


def test_assistance_ytd_beyond_cap_is_an_input_error():
    with pytest.raises(InputError):
        engine(*ASSIST).assistance("第一类", R, yuan(100), ytd_assist=yuan("60000.01"), on=ON)


def test_assistance_cap_below_income_is_refused():
    # 二(四)3: 年度救助限额 原则上按不低于我市上年度居民人均可支配收入核定. Cap 40,000 < income 50,000.
    e = engine(("disposable_income", 2022, "50000"), ("assistance_cap", 2023, "40000"))
    with pytest.raises(YibaoError) as err:
        e.assistance("第一类", R, yuan(1000), on=ON)
    msg = str(err.value)
    assert "二(四)3" in msg and "40,000.00" in msg and "50,000.00" in msg


def test_assistance_cap_equal_to_income_is_accepted():
    # "不低于" admits equality: cap 50,000 = income 50,000. 60,000 × 90% = 54,000 → capped 50,000.
    e = engine(("disposable_income", 2022, "50000"), ("assistance_cap", 2023, "50000"))
    assert e.assistance("第一类", R, yuan(60000), on=ON).fen == yuan(50000)


def test_assistance_needs_cap_and_income_settings():
    with pytest.raises(SettingMissing) as err:
        engine(("disposable_income", 2022, "50000")).assistance("第一类", R, yuan(1000), on=ON)
    assert "assistance_cap" in str(err.value)
    with pytest.raises(SettingMissing) as err:
        engine(("assistance_cap", 2023, "60000")).assistance("第四类", R, yuan(1000), on=ON)
    assert "disposable_income" in str(err.value)


@pytest.mark.parametrize("who", ["第一类", "第二类", "第三类", "第四类", "第五类"])
@pytest.mark.parametrize("kind", ["住院", "门诊慢特病"])
def test_assistance_without_referral_is_zero(who, kind):
    # 二(四)2: 对未按规定转诊的救助对象，所发生的医疗费用原则上不纳入医疗救助范围.
    e = engine(*ASSIST)
    r = e.assistance(who, R, yuan(50000), ytd_selfpay=yuan(20000), kind=kind, referral=False, on=ON)
    assert r.fen == 0


# ============================================================== 二(五) 倾斜救助, monitoring
def test_tilt_is_on_application():
    # 二(五): 依申请实行倾斜救助，具体办法和标准由医保会同财政、民政等部门研究制定 — no amount.
    r = engine().tilt("第一类", R, yuan(100000), on=ON)
    assert r.fen is None and r.text == "依申请"
    assert any("二(五)" in line for line in r.lines())


def test_no_monitoring_line():
    # 二(七)3 asks for 预警监测 but gives no line: nothing to compute.
    with pytest.raises(PolicyNotInForce):
        engine().monitor("第三类", R, yuan(100000), on=ON)


# ============================================================== 四(二) in force 2023-01-01 … 2025-12-31
@pytest.mark.parametrize("on", [date(2023, 1, 1), date(2025, 12, 31)])
def test_in_force_at_both_ends(on):
    e = engine(("critical_cap", on.year, "300000"))
    assert e.in_force(R, on).on == on
    # one computation on each end day: (100,000 − 6,500) × 65% = 60,775
    assert e.critical("第三类", R, yuan(100000), on=on).fen == yuan(60775)


@pytest.mark.parametrize("on", [date(2022, 12, 31), date(2026, 1, 1)])
def test_refused_outside_the_period(on):
    e = engine()
    for call in (lambda: e.critical("第三类", R, yuan(100000), on=on),
                 lambda: e.tilt("第三类", R, yuan(100000), on=on),
                 lambda: e.in_force(R, on)):
        with pytest.raises(PolicyNotInForce) as err:
            call()
        msg = str(err.value)
        assert "2023-01-01" in msg and "2025-12-31" in msg and str(on) in msg


@pytest.mark.parametrize("year", [2022, 2026])
def test_subsidy_refused_for_years_outside_the_period(year):
    e = engine(("individual_contribution", year, "400"))
    with pytest.raises(PolicyNotInForce):
        e.subsidy("第一类", R, year)


# ============================================================== 二(一)1 同时符合多重救助身份 → 待遇就高
def test_class2_and_class3_each_benefit_from_its_best_class():
    e = engine(("individual_contribution", 2023, "400"), ("critical_cap", 2023, "300000"), *ASSIST)
    both = "重度残疾人、低保"
    # 资助参保: 第二类 全额 400 > 第三类 400 × 90% = 360
    s = e.subsidy(both, R, 2023)
    assert (s.fen, s.identity) == (yuan(400), "第二类")
    # 大病: 第三类 tilt (100,000 − 6,500) × 65% = 60,775 > 第二类 ordinary (100,000 − 13,000) × 60% = 52,200
    c = e.critical(both, R, yuan(100000), on=ON)
    assert (c.fen, c.identity) == (yuan(60775), "第三类")
    # 医疗救助: both 70%, 10,000 → 7,000 (never 14,000: 不叠加)
    a = e.assistance(both, R, yuan(10000), on=ON)
    assert a.fen == yuan(7000)
    assert any("不叠加" in line for line in a.lines())


def test_class1_and_class4_assistance_takes_class1():
    # 第一类 90% without threshold: 4,000 × 90% = 3,600; 第四类 would give 0 (below 5,000)
    e = engine(*ASSIST)
    a = e.assistance("低保边缘、孤儿", R, yuan(4000), on=ON)
    assert (a.fen, a.identity) == (yuan(3600), "第一类")
