"""西秀: 区医保发〔2021〕40号 (issued and in force 2021-08-03).

The document gives rules but few figures; every missing figure is a local setting. Every expected
amount below is worked out by hand from the document's text (arithmetic in the comment next to the
assertion), never copied from the engine's output.

Local settings used here (round figures, not official):
    individual_contribution 2021 = 280, 2022 = 320
    subsidy_fixed_amount    2021 = 100, 2022 = 150
    critical_deductible 2022 = 12,000; critical_rate 2022 = 50%; critical_cap 2022 = 200,000
        → tilt: deductible 12,000 × 50% = 6,000, rate 50% + 5 points = 55%, no cap
    assistance_cap 2021 = 20,000, 2022 = 30,000
"""
from __future__ import annotations

from datetime import date

import pytest

from processor.engine import Engine
from processor.errors import InputError, PolicyNotInForce, SettingMissing
from support import engine_with, yuan  # tests/rules/support.py

XX = "西秀"
DOC = "区医保发〔2021〕40号"
ON = date(2022, 6, 30)
LOW_INCOME_LIST = "高额费用预警（低收入人口）"
GENERAL_LIST = "高额费用预警"


Y = yuan
engine = engine_with


BASE = (
    (XX, "individual_contribution", 2021, "280"),
    (XX, "individual_contribution", 2022, "320"),
    (XX, "subsidy_fixed_amount", 2021, "100"),
    (XX, "subsidy_fixed_amount", 2022, "150"),
    (XX, "critical_deductible", 2022, "12000"),
    (XX, "critical_rate", 2022, "50%"),
    (XX, "critical_cap", 2022, "200000"),
    (XX, "assistance_cap", 2021, "20000"),
    (XX, "assistance_cap", 2022, "30000"),
)


@pytest.fixture
def xx() -> Engine:
    return engine(*BASE)


def cites(result, text: str) -> bool:
    return any(text in line for line in result.lines())


# =============================================================================== 资助参保 一(三)、二(二)
class TestSubsidy:
    def test_tekun_full(self, xx):
        r = xx.subsidy("特困人员", XX, 2022)
        # 一(三) 全额资助 = the 2022 contribution (setting) 320
        assert r.fen == Y(320)
        assert cites(r, f"{DOC} 一(三)") and any("设置来源" in line for line in r.lines())
        # 2021: contribution 280 → 280
        assert xx.subsidy("特困人员", XX, 2021).fen == Y(280)

    def test_tekun_needs_contribution_setting(self, xx):
        with pytest.raises(SettingMissing) as err:
            xx.subsidy("特困人员", XX, 2023)
        msg = str(err.value)
        assert "individual_contribution" in msg and "2023" in msg and XX in msg

    @pytest.mark.parametrize("who", ["脱贫人口", "低保对象"])
    def test_fixed_from_setting(self, xx, who):
        r = xx.subsidy(who, XX, 2022)
        # 一(三) 定额资助 "按照全省统一标准" = setting 150
        assert r.fen == Y(150)
        assert cites(r, f"{DOC} 一(三)")
        assert xx.subsidy(who, XX, 2021).fen == Y(100)
        with pytest.raises(SettingMissing, match="subsidy_fixed_amount"):
            xx.subsidy(who, XX, 2023)

    def test_newly_registered_2021(self):
        e = engine()  # no settings at all: 二(二) gives the figure itself
        r = e.subsidy("新识别建档立卡贫困人口", XX, 2021)
        # 二(二) 个人只缴140元，财政资助的140元直接减免 → 140
        assert r.fen == Y(140)
        assert cites(r, f"{DOC} 二(二)")

    def test_newly_registered_after_2021(self, xx):
        r = xx.subsidy("新识别建档立卡贫困人口", XX, 2022)
        # 二(二) is for 2021 only; afterwards 脱贫人口 定额 一(三) = setting 150
        assert r.fen == Y(150)
        assert cites(r, f"{DOC} 一(三)")

    @pytest.mark.parametrize("who", ["边缘人口", "低收入家庭重点人员", "易地搬迁人口", ""])
    def test_no_subsidy(self, xx, who):
        # 一(二) gives these groups dynamic enrolment only, no subsidy → 0
        assert xx.subsidy(who, XX, 2022).fen == 0

    def test_multi_identity_highest(self, xx):
        # 特困 320 (全额) vs 脱贫 150 → 320, not 470
        r = xx.subsidy("脱贫户、特困", XX, 2022)
        assert (r.fen, r.identity) == (Y(320), "特困人员")

    def test_before_document(self, xx):
        with pytest.raises(PolicyNotInForce):
            xx.subsidy("特困人员", XX, 2020)


# =============================================================================== 大病保险 一(四)
class TestCritical:
    def test_ordinary_from_settings(self, xx):
        r = xx.critical("", XX, Y(100_000), on=ON)
        # (100,000 − 12,000) × 50% = 44,000
        assert r.fen == Y(44_000)
        assert cites(r, f"{DOC} 一(四)")

    def test_ordinary_cap(self, xx):
        # (412,000 − 12,000) × 50% = 200,000 = the cap exactly
        assert xx.critical("", XX, Y(412_000), on=ON).fen == Y(200_000)
        # (500,000 − 12,000) × 50% = 244,000 → 200,000
        assert xx.critical("", XX, Y(500_000), on=ON).fen == Y(200_000)

    @pytest.mark.parametrize("who", ["特困人员", "脱贫人口", "低保对象", "新识别建档立卡贫困人口"])
    def test_tilt(self, xx, who):
        r = xx.critical(who, XX, Y(100_000), on=ON)
        # 起付线降低50%: 12,000 × 50% = 6,000; 提高5个百分点: 55%; (100,000 − 6,000) × 55% = 51,700
        assert r.fen == Y(51_700)
        assert cites(r, "6,000.00") and cites(r, "55%")

    def test_tilt_no_cap(self, xx):
        # 取消封顶线: (1,000,000 − 6,000) × 55% = 546,700 > 200,000
        assert xx.critical("低保对象", XX, Y(1_000_000), on=ON).fen == Y(546_700)

    def test_tilt_needs_no_referral(self, xx):
        # 40号 has no referral condition → still (100,000 − 6,000) × 55% = 51,700
        assert xx.critical("脱贫人口", XX, Y(100_000), on=ON, referral=False).fen == Y(51_700)

    @pytest.mark.parametrize("who", ["边缘人口", "易地搬迁人口", "低收入家庭重点人员"])
    def test_others_ordinary(self, xx, who):
        # tilt only for 特困/脱贫/低保 → (100,000 − 12,000) × 50% = 44,000
        assert xx.critical(who, XX, Y(100_000), on=ON).fen == Y(44_000)

    def test_year_to_date(self, xx):
        # tilt deductible 6,000: 5,000 → 0; then +3,000 → (8,000 − 6,000) × 55% = 1,100
        assert xx.critical("特困人员", XX, Y(5_000), on=ON).fen == 0
        assert xx.critical("特困人员", XX, Y(3_000), ytd_amount=Y(5_000), on=ON).fen == Y(1_100)

    def test_missing_settings(self, xx):
        with pytest.raises(SettingMissing, match="critical_deductible"):
            xx.critical("", XX, Y(100_000), on=date(2023, 2, 1))
        with pytest.raises(SettingMissing, match="critical_deductible"):  # the tilt starts from it too
            xx.critical("特困人员", XX, Y(100_000), on=date(2023, 2, 1))


# =============================================================================== 医疗救助 一(四)
class TestAssistance:
    @pytest.mark.parametrize("who", ["特困人员", "脱贫人口", "低保对象", "新识别建档立卡贫困人口"])
    def test_seventy_percent(self, xx, who):
        r = xx.assistance(who, XX, Y(10_000), on=ON)
        # "不低于70%": 10,000 × 70% = 7,000
        assert r.fen == Y(7_000)
        assert cites(r, f"{DOC} 一(四)")

    def test_no_threshold(self, xx):
        # 0.01 × 70% = 0.7 fen → half-up 1 fen
        assert xx.assistance("低保对象", XX, 1, on=ON).fen == 1

    def test_cap_from_settings(self, xx):
        # 50,000 × 70% = 35,000 > 30,000 → 30,000
        assert xx.assistance("特困人员", XX, Y(50_000), on=ON).fen == Y(30_000)
        # 23,000 paid: 10,000 × 70% = 7,000 = exactly the 7,000 left
        assert xx.assistance("特困人员", XX, Y(10_000), ytd_assist=Y(23_000), on=ON).fen == Y(7_000)
        # one fen more paid: 6,999.99 left
        assert xx.assistance("特困人员", XX, Y(10_000), ytd_assist=Y("23000.01"), on=ON).fen == Y("6999.99")
        assert xx.assistance("特困人员", XX, Y(10_000), ytd_assist=Y(30_000), on=ON).fen == 0
        with pytest.raises(InputError):
            xx.assistance("特困人员", XX, Y(10_000), ytd_assist=Y("30000.01"), on=ON)

    def test_inpatient_only(self, xx):
        with pytest.raises(PolicyNotInForce, match="门诊慢特病"):
            xx.assistance("低保对象", XX, Y(5_000), kind="门诊慢特病", on=ON)
        with pytest.raises(PolicyNotInForce):
            xx.assistance("低保对象", XX, Y(5_000), kind="门诊特药", on=ON)

    @pytest.mark.parametrize("who", ["", "边缘人口", "易地搬迁人口", "低收入家庭重点人员"])
    def test_not_covered(self, xx, who):
        # 一(四) names 特困/脱贫/低保 only → 0
        assert xx.assistance(who, XX, Y(10_000), on=ON).fen == 0

    def test_no_referral_condition(self, xx):
        # no referral rule in 40号 → 10,000 × 70% = 7,000
        assert xx.assistance("低保对象", XX, Y(10_000), on=ON, referral=False).fen == Y(7_000)

    def test_cap_setting_missing(self, xx):
        with pytest.raises(SettingMissing, match="assistance_cap"):
            xx.assistance("低保对象", XX, Y(10_000), on=date(2023, 2, 1))


# =============================================================================== 倾斜救助
def test_tilt_not_defined(xx):
    with pytest.raises(PolicyNotInForce) as err:
        xx.tilt("特困人员", XX, Y(100_000), on=ON)
    assert "倾斜救助" in str(err.value) and DOC in str(err.value)


# =============================================================================== 监测 一(五)、二(八)
class TestMonitor:
    @pytest.mark.parametrize("who", ["特困人员", "脱贫人口", "低保对象", "新识别建档立卡贫困人口"])
    def test_low_income_line(self, xx, who):
        # "超过" 4,000: exactly 4,000 → no list; 4,000.01 → list
        assert xx.monitor(who, XX, Y(4_000), on=ON).text == ""
        r = xx.monitor(who, XX, Y("4000.01"), on=ON)
        assert r.text == LOW_INCOME_LIST
        assert cites(r, f"{DOC} 一(五)、二(八)")

    def test_general_line(self, xx):
        assert xx.monitor("", XX, Y("4000.01"), on=ON).text == ""
        assert xx.monitor("", XX, Y(10_000), on=ON).text == ""   # exactly 10,000 → none
        r = xx.monitor("", XX, Y("10000.01"), on=ON)
        assert r.text == GENERAL_LIST

    def test_relocated_not_low_income(self, xx):
        # 易地搬迁人口 is not named among the 低收入人口 → the 10,000 line
        assert xx.monitor("易地搬迁人口", XX, Y(5_000), on=ON).text == ""
        assert xx.monitor("易地搬迁人口", XX, Y("10000.01"), on=ON).text == GENERAL_LIST

    def test_per_visit_not_cumulative(self, xx):
        # 单次自付: 100,000 earlier in the year does not count
        assert xx.monitor("低保对象", XX, Y(100), ytd_selfpay=Y(100_000), on=ON).text == ""

    def test_low_income_above_both(self, xx):
        assert xx.monitor("低保对象", XX, Y("10000.01"), on=ON).text == LOW_INCOME_LIST

    def test_needs_no_setting(self):
        assert engine().monitor("低保", XX, Y(5_000), on=ON).text == LOW_INCOME_LIST


# =============================================================================== in force from 2021-08-03
class TestStartDate:
    def test_day_before(self, xx):
        with pytest.raises(PolicyNotInForce):
            xx.monitor("低保对象", XX, Y(5_000), on=date(2021, 8, 2))
        with pytest.raises(PolicyNotInForce):
            xx.assistance("低保对象", XX, Y(5_000), on=date(2021, 8, 2))

    def test_issue_day(self, xx):
        assert xx.monitor("低保对象", XX, Y("4000.01"), on=date(2021, 8, 3)).text == LOW_INCOME_LIST
        # 2021 cap 20,000: 10,000 × 70% = 7,000
        assert xx.assistance("低保对象", XX, Y(10_000), on=date(2021, 8, 3)).fen == Y(7_000)
        # 30,000 × 70% = 21,000 > 2021 cap 20,000 → 20,000
        assert xx.assistance("低保对象", XX, Y(30_000), on=date(2021, 8, 3)).fen == Y(20_000)


# =============================================================================== 等待期 一(二)、二(一)
class TestWaiting:
    @pytest.mark.parametrize("who,clause", [
        ("低保对象", "一(二)"), ("低收入家庭重点人员", "一(二)"), ("边缘人口", "一(二)"), ("易地搬迁人口", "一(二)"),
        ("脱贫人口", "一(一)"), ("新识别建档立卡贫困人口", "二(一)"),
        ("脱贫不稳定户", "一(一)")])  # 脱贫人口 (一(一)) and 边缘人口 (一(二)) both exempt: the first in priority shows
    def test_special_groups_from_payment(self, xx, who, clause):
        r = xx.benefit_start(who, XX, date(2021, 10, 10))
        # 不设待遇等待期，从缴费之日起享受 → 2021-10-10, citing the clause that names the group
        assert r.text == "2021-10-10"
        assert cites(r, f"{DOC} {clause}")

    def test_tekun_is_not_named_by_any_waiting_clause(self, xx):
        # 一(二) names 低保、低收入家庭重点人员、边缘人口、易地搬迁人口; 二(一) the newly recognised; 一(一) 脱贫人口.
        # 特困人员 appear in none of them (only in 一(三)'s subsidy): no exemption is invented, and the
        # document gives no general waiting rule, so the start date is not inferred.
        with pytest.raises(PolicyNotInForce, match="特困人员的待遇享受等待期"):
            xx.benefit_start("特困人员", XX, date(2021, 10, 10))

    def test_ordinary_not_defined(self, xx):
        with pytest.raises(PolicyNotInForce, match="等待期"):
            xx.benefit_start("", XX, date(2021, 10, 10))


# =============================================================================== 身份
class TestIdentities:
    @pytest.mark.parametrize("alias,name", [
        ("低保户", "低保对象"), ("五保", "特困人员"), ("特困供养", "特困人员"), ("边缘户", "边缘人口"),
        ("脱贫户", "脱贫人口"), ("易地扶贫搬迁移民", "易地搬迁人口"),
    ])
    def test_aliases(self, xx, alias, name):
        assert xx.identity(alias, XX, on=ON) == name

    @pytest.mark.parametrize("sep", ["、", "；", ";", "，", ",", "/"])
    def test_multi(self, xx, sep):
        assert xx.identity(f"边缘户{sep}低保户", XX, on=ON) == "低保对象"
        r = xx.assistance(f"边缘户{sep}低保户", XX, Y(10_000), on=ON)
        # 低保 10,000 × 70% = 7,000; 边缘人口 0 → 7,000, identity 低保对象
        assert (r.fen, r.identity) == (Y(7_000), "低保对象")
        assert cites(r, f"{DOC} 未规定，按就高不叠加读")

    def test_ganzhou_identity_unknown_here(self, xx):
        with pytest.raises(InputError, match="未知人员类别"):
            xx.identity("因病突发严重困难人口", XX, on=ON)
