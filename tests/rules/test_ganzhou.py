"""赣州: 赣市医保字〔2021〕37号 (benefits from 2022-01-01) and 赣医保发〔2021〕13号 (2022 enrolment).

Every expected amount below is worked out by hand from the documents' text (the arithmetic is in
the comment next to the assertion), never copied from the engine's output.

Local settings used here (round figures, not official):
    赣州 disposable_income 2021 = 40,000 → 2022 benefits:
        大病 deductible 50% = 20,000 (tilt: 10,000); 救助 ③ threshold 10% = 4,000;
        救助 ④ threshold 25% = 10,000; 倾斜救助 line 100% = 40,000
    赣州 rural_income_province 2021 = 18,000 → 2022 monitoring: 50% = 9,000, 100% = 18,000
    赣州 disposable_income 2022 = 50,000 → 2023 benefits (大病 deductible 25,000, ③ threshold 5,000)
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from processor.engine import Engine
from processor.errors import InputError, PolicyNotInForce, SettingMissing
from support import engine_with, yuan  # tests/rules/support.py

GZ = "赣州"
DOC37 = "赣市医保字〔2021〕37号"
DOC13 = "赣医保发〔2021〕13号"
ON = date(2022, 6, 30)  # a 2022 settlement date: both documents in force


Y = yuan
engine = engine_with


BASE = (
    (GZ, "disposable_income", 2021, "40000"),
    (GZ, "rural_income_province", 2021, "18000"),
    (GZ, "disposable_income", 2022, "50000"),
)


@pytest.fixture
def gz() -> Engine:
    return engine(*BASE)


def cites(result, text: str) -> bool:
    return any(text in line for line in result.lines())


# =============================================================================== 资助参保
class TestSubsidy2022:
    """2022: 37号 二(二) + 13号 二(一)(二)(四); individual contribution 320 (13号 二(一)、二(二))."""

    def test_tekun_full(self, gz):
        r = gz.subsidy("特困人员", GZ, 2022)
        # 37号 二(二)1 全额资助; 13号 二(二) 2022 contribution 320 → 320
        assert r.fen == Y(320)
        assert cites(r, f"{DOC37} 二(二)1") and cites(r, f"{DOC13} 二(二)")

    def test_orphan_like_tekun(self, gz):
        r = gz.subsidy("孤儿", GZ, 2022)
        # 13号 二(四)1 特困供养人员（孤儿参照执行）→ 全额 = 320
        assert r.fen == Y(320)
        assert cites(r, f"{DOC13} 二(四)1")

    def test_dibao_fixed(self, gz):
        r = gz.subsidy("低保对象", GZ, 2022)
        # 37号 二(二)2 定额 320
        assert r.fen == Y(320)
        assert cites(r, f"{DOC37} 二(二)2")

    @pytest.mark.parametrize("who", ["返贫致贫人口", "脱贫不稳定人口", "边缘易致贫人口"])
    def test_transition_groups_fixed(self, gz, who):
        r = gz.subsidy(who, GZ, 2022)
        # 37号 二(二)3 过渡期内定额 320
        assert r.fen == Y(320)
        assert cites(r, f"{DOC37} 二(二)3")

    @pytest.mark.parametrize("who", ["重度残疾学生和儿童", "丧失劳动能力的重度残疾人", "城镇低收入家庭未成年人",
                                     "城镇低收入家庭老年人", "未参加职工医保的退役士兵"])
    def test_reference_groups_fixed(self, gz, who):
        r = gz.subsidy(who, GZ, 2022)
        # 13号 二(四) 末段：参照定额资助参保对象执行 → 320
        assert r.fen == Y(320)
        assert cites(r, f"{DOC13} 二(四)")

    def test_stable_out_of_poverty_none(self, gz):
        r = gz.subsidy("稳定脱贫人口", GZ, 2022)
        # 37号 二(二) 末段：稳定脱贫人口按标准退出，不再享受资助参保 → 0
        assert r.fen == 0
        assert cites(r, f"{DOC37} 二(二)")

    @pytest.mark.parametrize("who", ["低保边缘家庭人口", "因病支出型困难家庭患者", "因病突发严重困难人口"])
    def test_unlisted_low_income_none(self, gz, who):
        # 二(二) lists only 特困/低保/返贫致贫/脱贫不稳定/边缘易致贫 → the others get none (TOML note)
        assert gz.subsidy(who, GZ, 2022).fen == 0

    def test_ordinary_none(self, gz):
        assert gz.subsidy("", GZ, 2022).fen == 0

    def test_document_figure_beats_a_setting_in_2022(self):
        e = engine(*BASE, (GZ, "individual_contribution", 2022, "350"))
        # 13号 二(一)/(二) fixes 320 for 2022; the document is the source, not a setting → 320
        assert e.subsidy("特困人员", GZ, 2022).fen == Y(320)


class TestSubsidy2023:
    """2023: 13号 has ended (2022 benefit year only); 37号 needs the contribution from settings."""

    def test_tekun_without_setting_names_it(self, gz):
        with pytest.raises(SettingMissing) as err:
            gz.subsidy("特困人员", GZ, 2023)
        msg = str(err.value)
        assert "individual_contribution" in msg and "2023" in msg and GZ in msg
        assert DOC37 in msg  # the clause that needs it

    def test_tekun_with_setting(self):
        e = engine(*BASE, (GZ, "individual_contribution", 2023, "380"))
        r = e.subsidy("特困人员", GZ, 2023)
        # 37号 二(二)1 全额 = the 2023 contribution 380
        assert r.fen == Y(380)
        assert any("设置来源" in line for line in r.lines())

    def test_dibao_needs_no_setting(self, gz):
        # 37号 二(二)2: 320 with no end date
        assert gz.subsidy("低保对象", GZ, 2023).fen == Y(320)

    @pytest.mark.parametrize("who", ["孤儿", "重度残疾人"])
    def test_13_groups_not_in_force(self, gz, who):
        with pytest.raises((InputError, PolicyNotInForce)) as err:
            gz.subsidy(who, GZ, 2023)
        msg = str(err.value)
        assert DOC13 in msg and "2022-12-31" in msg

    def test_transition_period_ends_2025(self, gz):
        # 二(二)3 "在过渡期内"; 过渡期 read as 2021–2025 (一、指导思想 "5年过渡期", TOML note)
        assert gz.subsidy("返贫致贫人口", GZ, 2025).fen == Y(320)
        with pytest.raises(PolicyNotInForce, match="返贫致贫人口"):
            gz.subsidy("返贫致贫人口", GZ, 2026)

    def test_multi_identity_after_transition(self, gz):
        r = gz.subsidy("低保、返贫致贫", GZ, 2026)
        # 五(十一) highest benefit: 返贫致贫 has none after 2025, 低保 keeps 320 (二(二)2)
        assert r.fen == Y(320) and r.identity == "低保对象"


# =============================================================================== 大病保险
class TestCritical:
    """37号 二(三)2: deductible 50% × 40,000 = 20,000, 60%, cap 300,000;
    特困/低保/返贫致贫: deductible −50% = 10,000, 65%, no cap."""

    def test_ordinary(self, gz):
        r = gz.critical("", GZ, Y(100_000), on=ON)
        # (100,000 − 20,000) × 60% = 48,000
        assert r.fen == Y(48_000)
        assert cites(r, f"{DOC37} 二(三)2")

    def test_below_and_at_deductible(self, gz):
        assert gz.critical("", GZ, Y(19_999), on=ON).fen == 0
        # exactly 20,000: nothing above the deductible → 0
        assert gz.critical("", GZ, Y(20_000), on=ON).fen == 0
        # 20,000.01: 0.01 × 60% = 0.006 yuan = 0.6 fen → half-up 1 fen
        assert gz.critical("", GZ, Y("20000.01"), on=ON).fen == 1

    @pytest.mark.parametrize("who", ["特困人员", "低保对象", "返贫致贫人口"])
    def test_tilted(self, gz, who):
        r = gz.critical(who, GZ, Y(100_000), on=ON)
        # deductible 20,000 × 50% = 10,000; (100,000 − 10,000) × 65% = 58,500
        assert r.fen == Y(58_500)
        assert cites(r, "10,000.00") and cites(r, "65%")

    @pytest.mark.parametrize("who", ["脱贫不稳定人口", "边缘易致贫人口", "低保边缘家庭人口", "稳定脱贫人口", "孤儿"])
    def test_not_tilted_groups_are_ordinary(self, gz, who):
        # only 特困/低保/返贫致贫 are tilted → (100,000 − 20,000) × 60% = 48,000
        assert gz.critical(who, GZ, Y(100_000), on=ON).fen == Y(48_000)

    def test_cap_reached_exactly(self, gz):
        r = gz.critical("", GZ, Y(520_000), on=ON)
        # (520,000 − 20,000) × 60% = 300,000 = the cap exactly
        assert r.fen == Y(300_000)

    def test_cap_one_fen_above(self, gz):
        # (520,000.01 − 20,000) × 60% = 300,000.006 → capped at 300,000
        assert gz.critical("", GZ, Y("520000.01"), on=ON).fen == Y(300_000)
        # and one fen below: (519,999.99 − 20,000) × 60% = 299,999.994 → 299,999.99
        assert gz.critical("", GZ, Y("519999.99"), on=ON).fen == Y("299999.99")

    def test_cap_reached_earlier_pays_nothing(self, gz):
        r = gz.critical("", GZ, Y(10_000), ytd_amount=Y(520_000), on=ON)
        # year total 530,000: capped 300,000 − already 300,000 = 0
        assert r.fen == 0
        assert cites(r, f"{DOC37} 二(三)2")

    def test_tilt_has_no_cap(self, gz):
        r = gz.critical("低保对象", GZ, Y(1_000_000), on=ON)
        # (1,000,000 − 10,000) × 65% = 643,500, above 300,000: 取消年度最高支付限额
        assert r.fen == Y(643_500)

    def test_no_referral_loses_tilt(self, gz):
        r = gz.critical("低保对象", GZ, Y(100_000), on=ON, referral=False)
        # 四(八): no 大病 tilt → ordinary (100,000 − 20,000) × 60% = 48,000
        assert r.fen == Y(48_000)
        assert cites(r, f"{DOC37} 四(八)")

    def test_year_to_date_crosses_deductible(self, gz):
        first = gz.critical("", GZ, Y(15_000), on=ON)
        second = gz.critical("", GZ, Y(10_000), ytd_amount=Y(15_000), on=ON)
        one = gz.critical("", GZ, Y(25_000), on=ON)
        # claim 1: 15,000 < 20,000 → 0; claim 2: year total 25,000 → (25,000 − 20,000) × 60% = 3,000
        assert (first.fen, second.fen) == (0, Y(3_000))
        assert one.fen == first.fen + second.fen == Y(3_000)

    def test_year_to_date_tilt(self, gz):
        # tilt deductible 10,000: 8,000 → 0; then +4,000 → (12,000 − 10,000) × 65% = 1,300
        assert gz.critical("特困人员", GZ, Y(8_000), on=ON).fen == 0
        assert gz.critical("特困人员", GZ, Y(4_000), ytd_amount=Y(8_000), on=ON).fen == Y(1_300)

    def test_pieces_telescope_sub_fen(self, gz):
        # three claims of 0.01 just above the deductible: cumulative 60% = 0.6, 1.2, 1.8 fen,
        # rounded 1, 1, 2 → pays 1, 0, 1 = 2 fen; one claim of 0.03: 1.8 fen → 2 fen
        pays = [gz.critical("", GZ, 1, ytd_amount=Y(20_000) + k, on=ON).fen for k in range(3)]
        assert pays == [1, 0, 1]
        assert sum(pays) == gz.critical("", GZ, 3, ytd_amount=Y(20_000), on=ON).fen == 2

    def test_pieces_telescope_tilt(self, gz):
        # tilt from the 10,000 deductible, pieces 33.33 + 33.33 + 33.34 = 100.00:
        # cumulative 65%: 21.6645 → 21.66; 43.329 → 43.33; 65.00 → pays 21.66, 21.67, 21.67
        ytd = Y(10_000)
        pays = []
        for piece in (Y("33.33"), Y("33.33"), Y("33.34")):
            pays.append(gz.critical("低保对象", GZ, piece, ytd_amount=ytd, on=ON).fen)
            ytd += piece
        assert pays == [Y("21.66"), Y("21.67"), Y("21.67")]
        # one claim of 100: 100 × 65% = 65.00 = the sum
        assert sum(pays) == gz.critical("低保对象", GZ, Y(100), ytd_amount=Y(10_000), on=ON).fen == Y(65)

    def test_pieces_telescope_across_cap(self, gz):
        # ytd 500,000 → 288,000 paid; +15,000 → 297,000 (pays 9,000); +10,000 → 303,000 capped
        # 300,000 (pays 3,000); one claim of 25,000 from 500,000 → 300,000 − 288,000 = 12,000
        a = gz.critical("", GZ, Y(15_000), ytd_amount=Y(500_000), on=ON).fen
        b = gz.critical("", GZ, Y(10_000), ytd_amount=Y(515_000), on=ON).fen
        assert (a, b) == (Y(9_000), Y(3_000))
        assert a + b == gz.critical("", GZ, Y(25_000), ytd_amount=Y(500_000), on=ON).fen == Y(12_000)

    def test_2023_uses_2022_income(self, gz):
        # "上一年度": 2023 deductible 50% × 50,000 = 25,000; (100,000 − 25,000) × 60% = 45,000
        r = gz.critical("", GZ, Y(100_000), on=date(2023, 3, 1))
        assert r.fen == Y(45_000)
        assert cites(r, "2022年")

    def test_missing_income_names_setting(self):
        e = engine((GZ, "disposable_income", 2021, "40000"))
        with pytest.raises(SettingMissing) as err:
            e.critical("", GZ, Y(100_000), on=date(2024, 1, 5))
        assert "disposable_income" in str(err.value) and "2023" in str(err.value)


# =============================================================================== 医疗救助
class TestAssistance:
    """37号 二(三)3(1)–(3), 四(八); income 40,000 → ③ threshold 4,000, ④ threshold 10,000."""

    # ---------------------------------------------------------------- ① 特困 100%, no cap
    def test_tekun_full_no_cap(self, gz):
        r = gz.assistance("特困人员", GZ, Y("123456.78"), on=ON)
        # ① 100% × 123,456.78 = 123,456.78
        assert r.fen == Y("123456.78")
        assert cites(r, f"{DOC37} 二(三)3(1)①")
        # 不设年度救助限额: 1,000,000 already paid changes nothing
        assert gz.assistance("特困人员", GZ, Y(10_000), ytd_assist=Y(1_000_000), on=ON).fen == Y(10_000)

    # ---------------------------------------------------------------- ② 低保/返贫致贫 75%, cap 50,000
    @pytest.mark.parametrize("who", ["低保对象", "返贫致贫人口"])
    def test_dibao_75(self, gz, who):
        r = gz.assistance(who, GZ, Y(10_000), on=ON)
        # ② 10,000 × 75% = 7,500 (no threshold)
        assert r.fen == Y(7_500)
        assert cites(r, f"{DOC37} 二(三)3(1)②")

    def test_dibao_cap_within_one_claim(self, gz):
        r = gz.assistance("低保对象", GZ, Y(70_000), on=ON)
        # 70,000 × 75% = 52,500 > 50,000 → 50,000
        assert r.fen == Y(50_000)
        assert any("限额" in line and "二(三)3(1)②" in line for line in r.lines())

    def test_dibao_exactly_at_cap(self, gz):
        # 20,000 already paid; 40,000 × 75% = 30,000 = 50,000 − 20,000 exactly → 30,000
        assert gz.assistance("低保对象", GZ, Y(40_000), ytd_assist=Y(20_000), on=ON).fen == Y(30_000)
        # single claim: 66,666.66 × 75% = 49,999.995 → half-up 50,000.00 = the cap, not cut
        assert gz.assistance("低保对象", GZ, Y("66666.66"), on=ON).fen == Y(50_000)

    def test_dibao_one_fen_above_cap(self, gz):
        # 20,000.01 already paid: 30,000 raw, only 29,999.99 left
        assert gz.assistance("低保对象", GZ, Y(40_000), ytd_assist=Y("20000.01"), on=ON).fen == Y("29999.99")
        # single claim: 66,666.68 × 75% = 50,000.01 → cut to 50,000
        assert gz.assistance("低保对象", GZ, Y("66666.68"), on=ON).fen == Y(50_000)

    def test_dibao_cap_already_used(self, gz):
        # 50,000 already paid: nothing left → 0
        assert gz.assistance("低保对象", GZ, Y(10_000), ytd_assist=Y(50_000), on=ON).fen == 0

    def test_dibao_ytd_beyond_cap_is_input_error(self, gz):
        with pytest.raises(InputError, match="50,000.00"):
            gz.assistance("低保对象", GZ, Y(10_000), ytd_assist=Y("50000.01"), on=ON)

    # ---------------------------------------------------------------- ③ 60% above 10%, cap 30,000
    @pytest.mark.parametrize("who", ["脱贫不稳定人口", "边缘易致贫人口", "低保边缘家庭人口"])
    def test_group3(self, gz, who):
        r = gz.assistance(who, GZ, Y(10_000), on=ON)
        # ③ threshold 10% × 40,000 = 4,000; (10,000 − 4,000) × 60% = 3,600
        assert r.fen == Y(3_600)
        assert cites(r, f"{DOC37} 二(三)3(1)③") and cites(r, "4,000.00")

    def test_group3_threshold_boundaries(self, gz):
        e = "边缘易致贫人口"
        # whole claim up to the threshold exactly: 4,000 − 4,000 = 0 → 0
        assert gz.assistance(e, GZ, Y(4_000), on=ON).fen == 0
        # year total reaches 4,000 exactly (3,999.99 + 0.01): nothing "超过" → 0
        assert gz.assistance(e, GZ, 1, ytd_selfpay=Y("3999.99"), on=ON).fen == 0
        # ytd exactly at threshold, 1,000 more: all of it above → 1,000 × 60% = 600
        assert gz.assistance(e, GZ, Y(1_000), ytd_selfpay=Y(4_000), on=ON).fen == Y(600)
        # one fen above: 0.01 × 60% = 0.6 fen → half-up 1 fen
        assert gz.assistance(e, GZ, 1, ytd_selfpay=Y(4_000), on=ON).fen == 1
        # crossing within a claim: ytd 3,000 + 2,000 = 5,000; above 4,000: 1,000 × 60% = 600
        assert gz.assistance(e, GZ, Y(2_000), ytd_selfpay=Y(3_000), on=ON).fen == Y(600)

    def test_group3_two_claims_equal_one(self, gz):
        e = "脱贫不稳定人口"
        a = gz.assistance(e, GZ, Y(3_000), on=ON).fen                         # below 4,000 → 0
        b = gz.assistance(e, GZ, Y(2_000), ytd_selfpay=Y(3_000), on=ON).fen  # (5,000 − 4,000) × 60% = 600
        assert (a, b) == (0, Y(600))
        assert a + b == gz.assistance(e, GZ, Y(5_000), on=ON).fen

    def test_group3_cap(self, gz):
        # (60,000 − 4,000) × 60% = 33,600 > 30,000 → 30,000
        assert gz.assistance("低保边缘家庭人口", GZ, Y(60_000), on=ON).fen == Y(30_000)
        # cap used up: 0; beyond it: input error
        assert gz.assistance("低保边缘家庭人口", GZ, Y(10_000), ytd_selfpay=Y(10_000),
                             ytd_assist=Y(30_000), on=ON).fen == 0
        with pytest.raises(InputError):
            gz.assistance("低保边缘家庭人口", GZ, Y(10_000), ytd_assist=Y("30000.01"), on=ON)

    # ---------------------------------------------------------------- ④ 50% above 25%, cap 20,000
    @pytest.mark.parametrize("who", ["因病突发严重困难人口", "因病支出型困难家庭患者"])
    def test_group4(self, gz, who):
        r = gz.assistance(who, GZ, Y(30_000), on=ON)
        # ④ threshold 25% × 40,000 = 10,000; (30,000 − 10,000) × 50% = 10,000
        assert r.fen == Y(10_000)
        assert cites(r, f"{DOC37} 二(三)3(1)④") and cites(r, "10,000.00")

    def test_group4_threshold_and_cap(self, gz):
        w = "因病突发严重困难人口"
        assert gz.assistance(w, GZ, Y(10_000), on=ON).fen == 0  # exactly at 10,000 → 0
        # ytd 9,000 + 2,000: above 10,000 is 1,000 × 50% = 500
        assert gz.assistance(w, GZ, Y(2_000), ytd_selfpay=Y(9_000), on=ON).fen == Y(500)
        # (60,000 − 10,000) × 50% = 25,000 > 20,000 → 20,000
        assert gz.assistance(w, GZ, Y(60_000), on=ON).fen == Y(20_000)
        # 15,000 paid: (10,000 × 50% = 5,000) = exactly the 5,000 left → 5,000
        assert gz.assistance(w, GZ, Y(10_000), ytd_selfpay=Y(20_000), ytd_assist=Y(15_000), on=ON).fen == Y(5_000)

    # ---------------------------------------------------------------- not covered
    @pytest.mark.parametrize("who", ["", "稳定脱贫人口", "孤儿", "重度残疾人"])
    def test_not_assistance_objects(self, gz, who):
        # 二(三)3(1) lists only the eight low-income identities → 0
        assert gz.assistance(who, GZ, Y(10_000), on=ON).fen == 0

    # ---------------------------------------------------------------- 门诊慢特病 (2)(3)
    @pytest.mark.parametrize("who,expected", [
        ("特困人员", Y(5_000)),      # as ①: 5,000 × 100% = 5,000
        ("低保对象", Y(3_750)),      # as ②: 5,000 × 75% = 3,750
        ("返贫致贫人口", Y(3_750)),  # as ②: 5,000 × 75% = 3,750
    ])
    def test_outpatient_chronic(self, gz, who, expected):
        r = gz.assistance(who, GZ, Y(5_000), kind="门诊慢特病", on=ON)
        assert r.fen == expected
        assert cites(r, f"{DOC37} 二(三)3(2)(3)")

    @pytest.mark.parametrize("who", ["脱贫不稳定人口", "边缘易致贫人口", "低保边缘家庭人口",
                                     "因病突发严重困难人口", "因病支出型困难家庭患者"])
    def test_outpatient_chronic_only_three_groups(self, gz, who):
        # (2)(3) name only 特困/低保/返贫致贫 → 0 even far above the threshold
        assert gz.assistance(who, GZ, Y(50_000), kind="门诊慢特病", on=ON).fen == 0

    def test_outpatient_shares_inpatient_cap(self, gz):
        # 45,000 already paid (住院); 门诊 10,000 × 75% = 7,500 but only 5,000 left of 50,000
        r = gz.assistance("低保对象", GZ, Y(10_000), ytd_assist=Y(45_000), kind="门诊慢特病", on=ON)
        assert r.fen == Y(5_000)

    def test_special_drugs_not_defined(self, gz):
        with pytest.raises(PolicyNotInForce, match="门诊特药"):
            gz.assistance("低保对象", GZ, Y(5_000), kind="门诊特药", on=ON)

    # ---------------------------------------------------------------- 四(八) referral
    @pytest.mark.parametrize("who", ["特困人员", "低保对象", "边缘易致贫人口"])
    def test_no_referral_no_assistance(self, gz, who):
        r = gz.assistance(who, GZ, Y(50_000), on=ON, referral=False)
        # 四(八) read as no 医疗救助 at all (TOML note) → 0
        assert r.fen == 0
        assert cites(r, f"{DOC37} 四(八)")

    # ---------------------------------------------------------------- dates
    def test_before_2022_no_assistance_policy(self, gz):
        # 37号 applies from 2022-01-01 (五(十一)); on 2021-12-31 only 13号 (enrolment) is in force
        with pytest.raises(PolicyNotInForce, match="医疗救助"):
            gz.assistance("", GZ, Y(10_000), on=date(2021, 12, 31))
        with pytest.raises(InputError, match="2022-01-01"):  # 特困 is a 37号 identity, not yet in force
            gz.assistance("特困人员", GZ, Y(10_000), on=date(2021, 12, 31))
        with pytest.raises(PolicyNotInForce):  # no 赣州 document at all
            gz.assistance("", GZ, Y(10_000), on=date(2021, 6, 30))

    def test_first_day(self, gz):
        # 2022-01-01: 10,000 × 75% = 7,500
        assert gz.assistance("低保对象", GZ, Y(10_000), on=date(2022, 1, 1)).fen == Y(7_500)

    def test_2023_threshold_uses_2022_income(self, gz):
        # ③ 2023: 10% × 50,000 = 5,000; (10,000 − 5,000) × 60% = 3,000
        assert gz.assistance("边缘易致贫人口", GZ, Y(10_000), on=date(2023, 5, 1)).fen == Y(3_000)


# =============================================================================== 倾斜救助
class TestTilt:
    """37号 二(三)3(4): 75% of the yearly remaining self-pay above 100% × 40,000 = 40,000, cap 50,000, and
    only on "超出医疗救助限额之上的高额费用": the caller gives this claim's self-pay beyond the annual
    医疗救助 cap (``beyond_cap``); what is paid is 75% of the overlap of that part and the part above the line."""

    @pytest.mark.parametrize("who", ["低保对象", "低保边缘家庭人口", "因病支出型困难家庭患者",
                                     "返贫致贫人口", "脱贫不稳定人口", "边缘易致贫人口", "因病突发严重困难人口"])
    def test_low_income(self, gz, who):
        r = gz.tilt(who, GZ, Y(50_000), on=ON, beyond_cap=Y(50_000))
        # all 50,000 beyond the cap; above the 40,000 line: 10,000 → overlap 10,000 × 75% = 7,500
        assert r.fen == Y(7_500)
        assert cites(r, f"{DOC37} 二(三)3(4)")

    def test_only_the_part_beyond_the_assistance_cap(self, gz):
        # above the line 10,000, beyond the cap only 4,000 → overlap 4,000 × 75% = 3,000
        assert gz.tilt("低保对象", GZ, Y(50_000), on=ON, beyond_cap=Y(4_000)).fen == Y(3_000)
        # beyond the cap 30,000 but above the line only 10,000 → 10,000 × 75% = 7,500
        assert gz.tilt("低保对象", GZ, Y(50_000), on=ON, beyond_cap=Y(30_000)).fen == Y(7_500)

    def test_cap_not_used_up_pays_nothing(self, gz):
        r = gz.tilt("边缘易致贫人口", GZ, Y(80_000), on=ON, beyond_cap=0)
        # far above the 40,000 line, but nothing beyond the 医疗救助 cap → 0
        assert r.fen == 0
        assert any("限额未用完" in line for line in r.lines())

    def test_beyond_cap_must_be_given_and_within_the_self_pay(self, gz):
        with pytest.raises(InputError, match="超出限额的个人自付"):
            gz.tilt("低保对象", GZ, Y(50_000), on=ON)
        with pytest.raises(InputError, match="不能大于"):
            gz.tilt("低保对象", GZ, Y(5_000), on=ON, beyond_cap=Y(6_000))

    def test_line_boundaries(self, gz):
        # exactly 100% → nothing above the line → 0
        assert gz.tilt("低保对象", GZ, Y(40_000), on=ON, beyond_cap=Y(40_000)).fen == 0
        # ytd 30,000 + 20,000: above 40,000 is 10,000 × 75% = 7,500
        assert gz.tilt("低保对象", GZ, Y(20_000), ytd_remaining=Y(30_000), on=ON, beyond_cap=Y(20_000)).fen == Y(7_500)

    def test_cap(self, gz):
        # (120,000 − 40,000) × 75% = 60,000 > 50,000 → 50,000
        assert gz.tilt("低保对象", GZ, Y(120_000), on=ON, beyond_cap=Y(120_000)).fen == Y(50_000)
        # 45,000 paid: 7,500 raw, 5,000 left
        assert gz.tilt("低保对象", GZ, Y(10_000), ytd_remaining=Y(50_000), ytd_tilt=Y(45_000), on=ON,
                       beyond_cap=Y(10_000)).fen == Y(5_000)
        assert gz.tilt("低保对象", GZ, Y(10_000), ytd_remaining=Y(50_000), ytd_tilt=Y(50_000), on=ON,
                       beyond_cap=Y(10_000)).fen == 0
        with pytest.raises(InputError):
            gz.tilt("低保对象", GZ, Y(10_000), ytd_remaining=Y(50_000), ytd_tilt=Y("50000.01"), on=ON,
                    beyond_cap=Y(10_000))

    @pytest.mark.parametrize("who", ["", "稳定脱贫人口"])
    def test_not_low_income(self, gz, who):
        assert gz.tilt(who, GZ, Y(100_000), on=ON, beyond_cap=Y(100_000)).fen == 0

    def test_no_referral(self, gz):
        r = gz.tilt("低保对象", GZ, Y(100_000), on=ON, referral=False, beyond_cap=Y(100_000))
        # 四(八): no 倾斜 treatment without referral → 0
        assert r.fen == 0
        assert cites(r, f"{DOC37} 四(八)")


# =============================================================================== 监测
class TestMonitor:
    """37号 三(六): 脱贫人口 above 50% × 18,000 = 9,000 → 因病返贫监测; anyone above 18,000 → 因病致贫监测."""

    @pytest.mark.parametrize("who", ["稳定脱贫人口", "脱贫不稳定人口"])
    def test_out_of_poverty_line(self, gz, who):
        # "超过": exactly 9,000 → no list
        assert gz.monitor(who, GZ, Y(9_000), on=ON).text == ""
        r = gz.monitor(who, GZ, Y("9000.01"), on=ON)
        assert r.text == "因病返贫监测"
        assert cites(r, f"{DOC37} 三(六)1") and cites(r, "9,000.00")

    def test_year_cumulative(self, gz):
        # 8,000 earlier + 1,000.01 now = 9,000.01 > 9,000
        assert gz.monitor("脱贫户", GZ, Y("1000.01"), ytd_selfpay=Y(8_000), on=ON).text == "因病返贫监测"
        assert gz.monitor("脱贫户", GZ, Y(1_000), ytd_selfpay=Y(8_000), on=ON).text == ""

    def test_anyone_above_full_line(self, gz):
        assert gz.monitor("", GZ, Y(18_000), on=ON).text == ""          # exactly 18,000 → no list
        r = gz.monitor("", GZ, Y("18000.01"), on=ON)
        assert r.text == "因病致贫监测"
        assert cites(r, f"{DOC37} 三(六)2")

    def test_dibao_is_not_tuopin(self, gz):
        # 低保 is not 脱贫人口: 10,000 is above 9,000 but below 18,000 → no list
        assert gz.monitor("低保对象", GZ, Y(10_000), on=ON).text == ""
        assert gz.monitor("低保对象", GZ, Y(18_001), on=ON).text == "因病致贫监测"

    def test_tuopin_above_both_lines_gets_first_list(self, gz):
        assert gz.monitor("稳定脱贫人口", GZ, Y(20_000), on=ON).text == "因病返贫监测"

    def test_missing_setting(self):
        e = engine((GZ, "disposable_income", 2021, "40000"))
        with pytest.raises(SettingMissing, match="rural_income_province"):
            e.monitor("", GZ, Y(20_000), on=ON)


# =============================================================================== 等待期
class TestWaiting:
    """13号 二(二)、三: collection period 2021-10-01 – 2022-03-31 → none; else 90 days from payment;
    listed special cases (资助参保对象 …) none; 37号 三(四)2: 资助参保 eligible none."""

    def test_inside_collection_period_before_benefit_year(self, gz):
        r = gz.benefit_start("", GZ, date(2021, 11, 15))
        # 待遇享受期 2022-01-01 – 2022-12-31, no waiting period → 2022-01-01
        assert r.text == "2022-01-01"
        assert cites(r, f"{DOC13} 二(二)")

    def test_13_2_2_collection_period_buys_the_whole_benefit_year(self, gz):
        # 13号 二(二): 集中征缴期 2021-10-01 – 2022-03-31, 待遇享受期 2022-01-01 – 2022-12-31: a payment on
        # 2022-02-15 or on the last day 2022-03-31 gives benefits from 2022-01-01, not from the payment day
        for paid in (date(2022, 2, 15), date(2022, 3, 31), date(2022, 1, 1)):
            r = gz.benefit_start("", GZ, paid)
            assert r.text == "2022-01-01", paid
            assert cites(r, f"{DOC13} 二(二)")

    def test_13_3_ninety_days_first_day_not_counted(self, gz):
        r = gz.benefit_start("", GZ, date(2022, 4, 1))
        # 民法典 第二百零一条: 2022-04-01 not counted; the 90 days are Apr 2–30 (29) + May (31) + Jun (30) = 90,
        # ending 2022-06-30 → benefits from 2022-07-01
        assert r.text == "2022-07-01"
        assert cites(r, f"{DOC13} 三") and any("第二百零一条" in line for line in r.lines())
        # 2022-12-01: Dec 2–31 (30) + Jan (31) + Feb (28) = 89, Mar 1 = 90 → from 2023-03-02
        assert gz.benefit_start("", GZ, date(2022, 12, 1)).text == "2023-03-02"

    def test_stable_out_of_poverty_waits(self, gz):
        # not subsidised (二(二) 退出): paid 2022-05-01; May 2–31 (30) + Jun (30) + Jul 1–30 (30) = 90 → 2022-07-31
        assert gz.benefit_start("稳定脱贫人口", GZ, date(2022, 5, 1)).text == "2022-07-31"

    @pytest.mark.parametrize("who", ["特困人员", "低保对象", "返贫致贫人口", "脱贫不稳定人口", "边缘易致贫人口"])
    def test_subsidised_groups_exempt(self, gz, who):
        r = gz.benefit_start(who, GZ, date(2022, 5, 1))
        assert r.text == "2022-05-01"
        assert cites(r, f"{DOC37} 三(四)2")

    @pytest.mark.parametrize("who", ["孤儿", "重度残疾人", "未参加职工医保的退役士兵"])
    def test_13_subsidised_groups_exempt(self, gz, who):
        # 13号 二(四): 资助参保对象 (孤儿 全额, others 参照定额); 二(二)、三: 资助参保对象 no waiting
        r = gz.benefit_start(who, GZ, date(2022, 5, 1))
        assert r.text == "2022-05-01"
        # 37号 三(四)2 (资助参保条件 → no waiting), the subsidy coming from 13号 二(四)
        assert cites(r, f"{DOC37} 三(四)2") and cites(r, f"{DOC13} 二(四)")

    def test_exempt_case(self, gz):
        r = gz.benefit_start("", GZ, date(2022, 5, 1), case="新生儿")
        assert r.text == "2022-05-01"
        with pytest.raises(InputError, match="新生儿"):  # the message lists the allowed cases
            gz.benefit_start("", GZ, date(2022, 5, 1), case="随便写的")

    def test_multi_identity_earliest(self, gz):
        # 稳定脱贫 would wait until 2022-07-31; 低保 none → 2022-05-01
        assert gz.benefit_start("稳定脱贫人口、低保", GZ, date(2022, 5, 1)).text == "2022-05-01"

    def test_subsidised_person_in_2021_part_of_collection_period(self, gz):
        # 13号 二(二): in the collection period (and as 资助参保对象) no waiting; 待遇享受期 from 2022-01-01
        assert gz.benefit_start("特困人员", GZ, date(2021, 11, 15)).text == "2022-01-01"

    def test_2023_no_collection_period_defined(self, gz):
        # 13号 covers the 2022 benefit year only; 37号 gives no period for ordinary people
        with pytest.raises(PolicyNotInForce, match="等待期"):
            gz.benefit_start("", GZ, date(2023, 5, 1))
        assert gz.benefit_start("特困人员", GZ, date(2023, 5, 1)).text == "2023-05-01"


# =============================================================================== 身份
class TestIdentities:
    """二(一) names, common aliases, several identities in one cell (五(十一))."""

    @pytest.mark.parametrize("alias,name", [
        ("低保户", "低保对象"), ("五保", "特困人员"), ("特困供养", "特困人员"), ("五保户", "特困人员"),
        ("边缘户", "边缘易致贫人口"), ("脱贫户", "稳定脱贫人口"), ("低保边缘户", "低保边缘家庭人口"),
        ("脱贫不稳定户", "脱贫不稳定人口"),
    ])
    def test_aliases(self, gz, alias, name):
        assert gz.identity(alias, GZ, on=ON) == name

    @pytest.mark.parametrize("sep", ["、", "；", ";", "，", ",", "/"])
    def test_separators(self, gz, sep):
        assert gz.identity(f"边缘户{sep}低保户", GZ, on=ON) == "低保对象"
        # assistance: 低保 10,000 × 75% = 7,500 beats 边缘 (10,000 − 4,000) × 60% = 3,600
        r = gz.assistance(f"边缘户{sep}低保户", GZ, Y(10_000), on=ON)
        assert (r.fen, r.identity) == (Y(7_500), "低保对象")

    def test_multi_equals_best_single(self, gz):
        multi = gz.assistance("低保户、边缘户", GZ, Y(10_000), on=ON)
        single = gz.assistance("低保对象", GZ, Y(10_000), on=ON)
        assert multi.fen == single.fen == Y(7_500)   # not 7,500 + 3,600 (不叠加)
        assert cites(multi, f"{DOC37} 五(十一)")

    def test_multi_critical(self, gz):
        # 大病: 边缘 ordinary 48,000 vs 低保 tilted (100,000 − 10,000) × 65% = 58,500 → 58,500
        r = gz.critical("边缘户、低保户", GZ, Y(100_000), on=ON)
        assert (r.fen, r.identity) == (Y(58_500), "低保对象")

    def test_tie_goes_to_priority(self, gz):
        # 2022 subsidy: 特困 320 (全额) = 孤儿 320 → tie → 特困人员 ranks first
        r = gz.subsidy("孤儿、特困", GZ, 2022)
        assert (r.fen, r.identity) == (Y(320), "特困人员")
        # 低保 320 = 边缘易致贫 320 → 低保对象 ranks first
        r = gz.subsidy("边缘户、低保户", GZ, 2022)
        assert (r.fen, r.identity) == (Y(320), "低保对象")

    def test_multi_with_one_cap_exhausted(self, gz):
        # 40,000 already paid: beyond 边缘's 30,000 cap (③) but within 低保's 50,000 (②);
        # 低保: 10,000 × 75% = 7,500 ≤ 10,000 left → 7,500
        r = gz.assistance("低保户、边缘户", GZ, Y(10_000), ytd_assist=Y(40_000), on=ON)
        assert (r.fen, r.identity) == (Y(7_500), "低保对象")

    def test_unknown_identity(self, gz):
        with pytest.raises(InputError, match="未知人员类别"):
            gz.identity("外星人", GZ, on=ON)

    def test_ordinary_words(self, gz):
        assert gz.identity("普通", GZ, on=ON) == "普通参保人"
        assert gz.identity("", GZ, on=ON) == "普通参保人"


# =============================================================================== settings hygiene
def test_settings_objects_do_not_share_cached_figures():
    """Each Engine sees its own settings, even when a new Settings object reuses a freed one's id
    (regression: resolved figures used to be cached under id(settings))."""
    for k in range(60):
        income = 20_000 + (k % 7) * 1_000
        e = engine((GZ, "disposable_income", 2021, str(income)))
        fen = e.critical("", GZ, Y(100_000), on=ON).fen
        # 二(三)2: deductible = income × 50%; pay = (100,000 − income × 50%) × 60%
        # e.g. 20,000 → (100,000 − 10,000) × 60% = 54,000; 26,000 → (100,000 − 13,000) × 60% = 52,200
        assert fen == Y((Decimal(100_000) - Decimal(income) / 2) * Decimal("0.6")), income
        del e


# =============================================================================== the explanation's text steps
class TestExplanationText:
    """What `yibao explain` and the *_EXPLAIN functions show: the steps of text alone (no citation) are written
    for them and skipped by the batch, which keeps only citations (trace.Citations; the chain's citations against
    the full traces': tests/test_chain_cache.py). Figures as in the tests above, worked by hand."""

    def test_critical(self, gz):
        lines = gz.critical("低保对象", GZ, Y(100_000), ytd_amount=Y(20_000), on=ON).lines()
        # tilted: deductible 10,000, 65%, no cap; before (20,000 − 10,000) × 65% = 6,500;
        # after (120,000 − 10,000) × 65% = 71,500; this claim 71,500 − 6,500 = 65,000
        assert any("此前 20,000.00 + 本次 100,000.00 = 120,000.00 元" in line for line in lines), lines
        assert any(line.startswith("分段：") for line in lines), lines
        assert any("年度累计支付 71,500.00 − 此前 6,500.00 = 本次大病保险 65,000.00 元" in line for line in lines), lines

    def test_assistance(self, gz):
        lines = gz.assistance("低保对象", GZ, Y(10_000), on=ON).lines()
        # ② 10,000 × 75% = 7,500, no threshold, within the 50,000 cap
        assert any("本次医疗救助 7,500.00 元" in line for line in lines), lines
        lines = gz.assistance("脱贫不稳定人口", GZ, Y(30_000), ytd_selfpay=Y(2_000), on=ON).lines()
        # ③ threshold 10% of 40,000 = 4,000: 2,000 + 30,000 = 32,000, above it this claim's 28,000
        assert any("此前 2,000.00 + 本次 30,000.00" in line and "4,000.00 的本次部分 28,000.00 元" in line
                   for line in lines), lines

    def test_tilt(self, gz):
        lines = gz.tilt("低保对象", GZ, Y(50_000), on=ON, beyond_cap=Y(50_000)).lines()
        # above the 40,000 line 10,000, all beyond the cap → 10,000 × 75% = 7,500
        assert any("本次倾斜救助 7,500.00 元" in line for line in lines), lines
