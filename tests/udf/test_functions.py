"""The Excel functions called as plain Python, with the values Excel hands over.

Excel gives floats (never ints), ``None`` for an empty cell, text for numbers stored as text, serial
numbers or text for dates; with ``err_to_str`` an error cell arrives as '#N/A'. Every amount is checked
against the engine (fen / 100) and, for the anchor cases, against the document by hand.
"""
from __future__ import annotations

import math
import os
import re
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import processor.book
import udf
import udf.functions
import udf.inputs
from udf import (ASSIST, ASSIST_EXPLAIN, CRITICAL, CRITICAL_EXPLAIN, IDENTITY, MONITOR, SUBSIDY, SUBSIDY_EXPLAIN,
                 TILT, TILT_EXPLAIN)


CHINESE = re.compile(r"[\u4e00-\u9fff]")
D = "2022-06-30"
D_LY = "2023-06-30"  # 龙岩's document is in force from 2023-01-01


def assert_message(value, *words):
    """A bad input: a short Chinese text starting with '#', never 0, never a bug report."""
    assert isinstance(value, str), f"expected a # message, got {value!r}"
    assert value.startswith("#"), value
    assert CHINESE.search(value), value
    assert len(value) <= 255, len(value)
    assert not value.startswith("#内部错误"), value
    for w in words:
        assert w in value, (w, value)


def yuan(fen: int) -> float:
    return fen / 100


# ============================================================================ hand-checked amounts
class TestAgainstTheDocuments:
    """Anchor cases worked out by hand from the clause and the test settings (conftest.SETTINGS, fixture settings_text)."""

    def test_ganzhou_dibao_assistance_75_percent(self, settings_file):
        # 赣市医保字〔2021〕37号 二(三)3(1)②: 低保对象 75%, no threshold, 50,000 a year
        assert ASSIST("低保", "10,000", "赣州", None, None, "住院", 44742.0) == 7500.0
        assert ASSIST("低保对象", 10000.0, "赣州市", None, None, "住院", D) == 7500.0

    def test_ganzhou_tekun_full(self, settings_file):
        # 二(三)3(1)①: 特困人员 100%
        assert ASSIST("五保户", "1,000.50", "赣州", None, None, None, D) == 1000.5

    def test_ganzhou_dibao_edge_threshold_10_percent_of_income(self, settings_file):
        # 二(三)3(1)③: 60% above 10% × 30,000 = 3,000 of the year's self-pay
        assert ASSIST("低保边缘", 5000.0, "赣州", None, None, "住院", D) == 1200.0      # (5,000 − 3,000) × 60%
        assert ASSIST("低保边缘", 5000.0, "赣州", 2000.0, None, "住院", D) == 2400.0    # (7,000 − 3,000) × 60%
        assert ASSIST("低保边缘", 2000.0, "赣州", None, None, "住院", D) == 0.0         # below the threshold

    def test_ganzhou_cap_left(self, settings_file):
        # 二(三)3(1)②: 50,000 a year; 49,000 already paid → 1,000 left of the 7,500
        assert ASSIST("低保", 10000.0, "赣州", None, 49000.0, "住院", D) == 1000.0

    def test_ganzhou_outpatient_fullwidth_text(self, settings_file):
        # 二(三)3(2)(3): 门诊慢特病 as 住院 → 75% of 123
        assert ASSIST("低保", "１２３", "赣州", None, None, "门诊慢性病", D) == 92.25

    def test_ganzhou_no_referral_no_assistance(self, settings_file):
        # 四(八): 未按规定转诊 → no 医疗救助 (a rule's 0, explained — not a bad input)
        assert ASSIST("低保", 10000.0, "赣州", None, None, "住院", D, "否") == 0.0
        assert any("未按规定转诊" in line for line in ASSIST_EXPLAIN("低保", 10000.0, "赣州", None, None, "住院", D, "否"))

    def test_ganzhou_critical_tilt(self, settings_file):
        # 二(三)2: 起付线 50% × 30,000 = 15,000, 60%; 低保 tilt: 7,500 and 65%, no cap
        assert CRITICAL("低保", 100000.0, "赣州", None, D) == 60125.0      # (100,000 − 7,500) × 65%
        assert CRITICAL(None, 100000.0, "赣州", None, D) == 51000.0        # (100,000 − 15,000) × 60%
        assert CRITICAL("低保", 100000.0, "赣州", None, D, "否") == 51000.0  # 四(八): no tilt without referral

    def test_longyan_critical_bands(self, settings_file):
        # 龙政办规〔2022〕14号 二(三): tilt 6,500; 65% to 100,000, 70% to 150,000
        assert CRITICAL("低保", 120000.0, "龙岩市", None, D_LY) == 74775.0  # 93,500×65% + 20,000×70%

    def test_yangcheng_critical_from_settings(self, settings_file):
        # 阳医保发〔2022〕2号 三 with the settings' 12,000 / 60%; 低保 tilt 6,000 / 65%
        assert CRITICAL("", 20000.0, "阳城县", None, D) == 4800.0
        assert CRITICAL("低保", 20000.0, "阳城县", None, D) == 9100.0

    def test_yangcheng_subsidy_floor(self, settings_file):
        # 阳医保发〔2022〕2号 一: 低保 80% × 320 = 256 < 280 → 280; 返贫致贫 90% × 320 = 288; 特困 全额 320
        assert SUBSIDY("低保", "阳城", 2022.0) == 280.0
        assert SUBSIDY("低保户", "阳城县", "2022年") == 280.0
        assert SUBSIDY("返贫致贫", "阳城", "2022") == 288.0
        assert SUBSIDY("特困", "阳城", 2022.0) == 320.0
        assert SUBSIDY("边缘户", "阳城", 2022.0) == 280.0  # 易返贫致贫人口 定额 280

    def test_subsidy_other_regions(self, settings_file):
        assert SUBSIDY("低保", "赣州", 2022.0) == 320.0        # 37号 二(二)2
        assert SUBSIDY("特困", "赣州", "2023年度") == 380.0     # 二(二)1 全额 × the 2023 setting
        assert SUBSIDY("低保", "龙岩", 2023.0) == 342.0        # 二(二) 第三类 90% × 380
        assert SUBSIDY("低保", "西秀区", 2022.0) == 100.0      # 一(三) 定额 = setting
        assert SUBSIDY("特困", "西秀", 2022.0) == 350.0        # 一(三) 全额 = setting

    def test_assistance_other_regions(self, settings_file):
        assert ASSIST("低保", 10000.0, "西秀区", None, None, "住院", D) == 7000.0      # 40号 一(四) 70%
        assert ASSIST("低保", 10000.0, "龙岩市", None, None, "住院", D_LY) == 7000.0   # 14号 二(四)2 第三类 70%
        assert ASSIST("低保边缘", 10000.0, "龙岩", None, None, "住院", D_LY) == 3600.0  # (10,000 − 4,000) × 60%

    def test_yangcheng_topup_to_90_percent(self, settings_file):
        # 阳医保发〔2022〕2号 四: 返贫致贫 70%, topped up so that the stay is paid to 90%
        assert ASSIST("返贫致贫", 2000.0, "阳城", None, None, "住院", D, None, 10000.0) == 1400.0  # 70% ≥ 1,000 needed
        assert ASSIST("返贫致贫", 5000.0, "阳城", None, None, "住院", D, None, 10000.0) == 4000.0  # 5,000 − 10% × 10,000

    def test_tilt(self, settings_file):
        # 37号 二(三)3(4): 75% above 100% × 30,000, 50,000 a year
        # 二(三)3(4): line 30,000; all 50,000 beyond the 医疗救助 cap → (50,000 − 30,000) × 75% = 15,000
        assert TILT("低保", 50000.0, "赣州", None, None, D, None, 50000.0) == 15000.0
        assert TILT("低保", 50000.0, "赣州", None, 40000.0, D, None, 50000.0) == 10000.0  # cap 50,000: 10,000 left
        # only 8,000 beyond the cap: 8,000 × 75% = 6,000; none beyond it (cap not used up) → 0
        assert TILT("低保", 50000.0, "赣州", None, None, D, None, 8000.0) == 6000.0
        assert TILT("低保", 50000.0, "赣州", None, None, D, None, 0.0) == 0.0
        # left empty in 赣州: a message, never a guess
        assert str(TILT("低保", 50000.0, "赣州", None, None, D)).startswith("#")
        assert TILT("低保", 50000.0, "龙岩市", None, None, D_LY) == "依申请"  # 14号 二(五)

    def test_monitor(self, settings_file):
        # 37号 三(六): 脱贫人口 above 50% × 20,000; anyone above 100% × 20,000
        assert MONITOR("脱贫户", 12000.0, "赣州", None, D) == "因病返贫监测"
        assert MONITOR("脱贫户", 8000.0, "赣州", None, D) == ""
        assert MONITOR(None, 15000.0, "赣州", 6000.0, D) == "因病致贫监测"
        assert MONITOR(None, 15000.0, "赣州", None, D) == ""
        # 40号 一(五)、二(八): one visit above 4,000 (低收入人口) / 10,000
        assert MONITOR("低保", 5000.0, "西秀区", None, D) == "高额费用预警（低收入人口）"
        assert MONITOR("", 5000.0, "西秀", None, D) == ""
        assert MONITOR("", 12000.0, "西秀", None, D) == "高额费用预警"

    def test_identity(self, settings_file):
        assert IDENTITY("低保、五保户", "赣州", D) == "特困人员"
        assert IDENTITY(None, "赣州", D) == "普通参保人"
        assert IDENTITY("低保;重度残疾", "龙岩", D_LY) == "第三类"
        assert IDENTITY("脱贫户 边缘户", "阳城县", D) == "易返贫致贫人口"


# ============================================================================ equal to the engine
# (function, args, engine method, engine args) — the engine gets normalised values (fen, date)
CASES = [
    (ASSIST, ("低保", 10000.0, "赣州", None, None, "住院", 44742.0),
     "assistance", ("低保", "赣州", 1000000, 0, 0, "住院", date(2022, 6, 30))),
    (ASSIST, ("低保边缘家庭成员", "5,000", "赣州市", "2,000", None, "住院", "2022/6/30"),
     "assistance", ("低保边缘", "赣州", 500000, 200000, 0, "住院", date(2022, 6, 30))),
    (ASSIST, ("低保 低保边缘", 3333.33, "赣州", None, 1234.56, "门诊慢特病", "2022年6月30日"),
     "assistance", ("低保、低保边缘", "赣州", 333333, 0, 123456, "门诊慢特病", date(2022, 6, 30))),
    (ASSIST, ("第四类", 12345.67, "龙岩", 1000.0, None, "特药", datetime(2023, 3, 1, 9, 30)),
     "assistance", ("第四类", "龙岩", 1234567, 100000, 0, "门诊特药", date(2023, 3, 1))),
    (ASSIST, ("返贫致贫", 5000.0, "阳城县", None, None, None, D, "是", "10,000", "省内"),
     "assistance", ("返贫致贫人口", "阳城", 500000, 0, 0, "住院", date(2022, 6, 30), True, 1000000, True)),
    (CRITICAL, ("低保", 100000.0, "赣州", None, D),
     "critical", ("低保", "赣州", 10000000, 0, date(2022, 6, 30))),
    (CRITICAL, ("特困、低保", 55555.55, "龙岩市", 80000.0, D_LY),
     "critical", ("第一类", "龙岩", 5555555, 8000000, date(2023, 6, 30))),
    (CRITICAL, ("", "20,000", "西秀", "5,000", 44742.0),
     "critical", ("", "西秀", 2000000, 500000, date(2022, 6, 30))),
    (SUBSIDY, ("低保", "阳城", 2022.0), "subsidy", ("低保对象", "阳城", 2022)),
    (SUBSIDY, ("第三类", "龙岩", "2023年"), "subsidy", ("低保", "龙岩", 2023)),
    (TILT, ("低保", 45678.9, "赣州", 1000.0, None, D, None, 45678.9),
     "tilt", ("低保", "赣州", 4567890, 100000, 0, date(2022, 6, 30), True, 4567890)),
]


@pytest.mark.parametrize("fn, args, method, eargs", CASES, ids=lambda v: getattr(v, "__name__", None))
def test_equals_engine(eng, fn, args, method, eargs):
    expected = getattr(eng, method)(*eargs)
    got = fn(*args)
    assert isinstance(got, float)
    assert got == yuan(expected.fen)


def test_amounts_are_float_yuan_to_the_fen(settings_file):
    got = ASSIST("低保", 3333.33, "赣州", None, None, "住院", D)  # 75% of 3,333.33 = 2,499.9975 → 2,500.00
    assert type(got) is float and got == 2500.0
    got = ASSIST("低保", 0.01, "赣州", None, None, "住院", D)  # 0.0075 → 0.01 (half-up)
    assert got == 0.01


# ============================================================================ input forms
@pytest.fixture
def today(monkeypatch):
    """Pin the day an empty date or year cell stands for: udf.inputs calls ``date.today()``; its ``date`` is
    replaced by a subclass whose today() is the pinned day (2022-06-30 unless the test sets another)."""
    def pin(day: date) -> None:
        class Pinned(date):
            @classmethod
            def today(cls):
                return day
        monkeypatch.setattr(udf.inputs, "date", Pinned)
    pin(date(2022, 6, 30))
    return pin


class TestExcelInputs:
    def test_dates(self, settings_file):
        forms = [44742.0, 44742, "2022-06-30", "2022/6/30", "2022.06.30", "2022年6月30日", "20220630",
                 datetime(2022, 6, 30, 15, 0), date(2022, 6, 30), "2022-06-30 08:00:00"]
        assert {ASSIST("低保", 10000.0, "赣州", None, None, "住院", d) for d in forms} == {7500.0}

    def test_serial_date_boundary(self, settings_file):
        # 44562 = 2022-01-01, the day 37号 takes effect; 44561 = 2021-12-31: no 低保 医疗救助 yet
        assert ASSIST("低保", 100.0, "赣州", None, None, "住院", 44562.0) == 75.0
        assert_message(ASSIST("低保", 100.0, "赣州", None, None, "住院", 44561.0), "2021-12-31")

    def test_empty_date_is_today(self, settings_file, today):
        # An empty date cell stands for the day of the calculation (udf.inputs: date.today(), pinned here by
        # the ``today`` fixture, so the test does not depend on the day it runs).
        # 赣市医保字〔2021〕37号 二(三)3(1)②: 低保 75% from 2022-01-01 (十一): 100 × 75% = 75
        today(date(2022, 1, 1))
        assert ASSIST("低保", 100.0, "赣州", None, None, "住院", None) == 75.0
        assert ASSIST("低保", 100.0, "赣州", None, None, "住院", "") == 75.0
        assert IDENTITY("低保", "赣州") == "低保对象"
        # the day before, the document is not in force yet: the message names that day (so the empty
        # cell really was read as "today", not as some fixed date)
        today(date(2021, 12, 31))
        assert_message(ASSIST("低保", 100.0, "赣州", None, None, "住院", None), "2021-12-31")
        assert_message(IDENTITY("低保", "赣州"), "2021-12-31")

    def test_empty_year_is_this_year(self, settings_file, today):
        # 阳医保发〔2022〕2号 一: 低保 80% of the contribution, at least 280. 2022: 晋医保发〔2021〕14号 320 ×
        # 80% = 256 < 280 → 280. 2023 needs the local individual_contribution, absent from these settings.
        today(date(2022, 12, 31))
        assert SUBSIDY("低保", "阳城") == SUBSIDY("低保", "阳城", None) == 280.0
        today(date(2023, 1, 1))
        assert_message(SUBSIDY("低保", "阳城"), "2023", "individual_contribution")

    def test_years(self, settings_file):
        for y in (2022.0, 2022, "2022", "2022年", "2022年度", " 2022 ", "２０２２年"):
            assert SUBSIDY("低保", "阳城", y) == 280.0, y

    def test_amount_text(self, settings_file):
        for v in ("10000", "10,000", "10,000.00", " 10000 ", "１０，０００", "10000元", "￥10,000", 10000.0):
            assert ASSIST("低保", v, "赣州", None, None, "住院", D) == 7500.0, v

    def test_empty_optional_cells(self, settings_file):
        assert ASSIST("低保", 10000.0, "赣州", "", " ", "", D, "", "", "") == 7500.0

    def test_region_aliases(self, settings_file):
        assert {ASSIST("低保", 10000.0, r, None, None, "住院", D) for r in ("赣州", "赣州市", " 赣州 ", "江西省赣州市")} == {7500.0}
        assert SUBSIDY("低保", "西秀区", 2022.0) == SUBSIDY("低保", "安顺市西秀区", 2022.0) == 100.0
        assert ASSIST("低保", 10000.0, "龙岩市", None, None, "住院", D_LY) == 7000.0
        assert SUBSIDY("低保", "阳城县", 2022.0) == SUBSIDY("低保", "晋城市阳城县", 2022.0) == 280.0

    def test_category_aliases(self, settings_file):
        for c in ("低保", "低保户", "低保对象", "城乡低保对象", "最低生活保障对象"):
            assert ASSIST(c, 10000.0, "赣州", None, None, "住院", D) == 7500.0, c
        for c in ("特困", "五保户", "特困供养人员"):
            assert ASSIST(c, 10000.0, "赣州", None, None, "住院", D) == 10000.0, c

    def test_several_identities_in_one_cell_highest_not_summed(self, settings_file):
        # 37号 五(十一): 就高不叠加 — 特困 100% beats 低保 75%
        for cell in ("低保、特困", "低保,五保户", "特困人员；低保对象", "低保 / 特困", "低保\n特困"):
            assert ASSIST(cell, 10000.0, "赣州", None, None, "住院", D) == 10000.0, cell
        lines = ASSIST_EXPLAIN("低保、特困", 10000.0, "赣州", None, None, "住院", D)
        assert any("多重身份" in line and "不叠加" in line for line in lines)

    def test_referral_and_province_flags(self, settings_file):
        for yes in ("是", "已转诊", True, 1.0, "Y"):
            assert ASSIST("低保", 10000.0, "赣州", None, None, "住院", D, yes) == 7500.0, yes
        for no in ("否", "未转诊", False, 0.0):
            assert ASSIST("低保", 10000.0, "赣州", None, None, "住院", D, no) == 0.0, no
        assert ASSIST("返贫致贫", 5000.0, "阳城", None, None, "住院", D, None, 10000.0, "省外") == 3500.0  # no top-up


# ============================================================================ bad inputs
class TestBadInputs:
    def test_unknown_category(self, settings_file):
        assert_message(ASSIST("外星人", 100.0, "赣州", None, None, "住院", D), "未知人员类别", "外星人")
        assert_message(SUBSIDY("低保、外星人", "阳城", 2022.0), "未知人员类别")
        assert_message(IDENTITY(3.0, "赣州", D), "未知人员类别")

    def test_unknown_region(self, settings_file):
        for fn, args in ((ASSIST, ("低保", 100.0, "火星", None, None, "住院", D)), (SUBSIDY, ("低保", "火星", 2022.0)),
                         (CRITICAL, ("低保", 100.0, "南昌", None, D)), (TILT, ("低保", 1.0, "火星", None, None, D)),
                         (MONITOR, ("低保", 1.0, "火星", None, D)), (IDENTITY, ("低保", "火星", D))):
            assert_message(fn(*args), "未知地区")
        assert_message(ASSIST("低保", 100.0, None, None, None, "住院", D), "缺少地区")

    @pytest.mark.parametrize("bad", [-5.0, "-5", "－5", -0.01])
    def test_negative_amount(self, settings_file, bad):
        assert_message(ASSIST("低保", bad, "赣州", None, None, "住院", D), "负数")
        assert_message(ASSIST("低保", 100.0, "赣州", bad, None, "住院", D), "负数")
        assert_message(CRITICAL("低保", bad, "赣州", None, D), "负数")
        assert_message(TILT("低保", bad, "赣州", None, None, D), "负数")

    @pytest.mark.parametrize("bad", ["abc", "一万", "10 000,5x", "#N/A", "#VALUE!", True, float("nan"), float("inf"),
                                     "1,0,0.5.5", [[1.0]]])
    def test_non_numeric_amount(self, settings_file, bad):
        assert_message(ASSIST("低保", bad, "赣州", None, None, "住院", D), "个人自付金额")
        assert_message(CRITICAL("低保", bad, "赣州", None, D))
        assert_message(MONITOR("低保", bad, "赣州", None, D))

    def test_missing_required_amount(self, settings_file):
        assert_message(ASSIST("低保", None, "赣州", None, None, "住院", D), "缺少个人自付金额")
        assert_message(CRITICAL("低保", "", "赣州", None, D), "缺少")

    @pytest.mark.parametrize("bad", [1e300, "1e300", 360702199001011234.0, 2e9])
    def test_absurd_amount(self, settings_file, bad):
        # a misaligned column (an ID number) or an overflow is a bad input, never a bug or a giant payment
        assert_message(ASSIST("低保", bad, "赣州", None, None, "住院", D), "个人自付金额")
        assert_message(CRITICAL("低保", bad, "赣州", None, D))

    def test_ytd_beyond_cap(self, settings_file):
        assert_message(ASSIST("低保", 100.0, "赣州", None, 60000.0, "住院", D), "超过年度限额", "50,000.00")
        assert_message(TILT("低保", 50000.0, "赣州", None, 50000.01, D, None, 50000.0), "超过年度限额")

    @pytest.mark.parametrize("when", ["2019-01-01", 43466.0, "2021-06-30"])
    def test_date_outside_any_policy(self, settings_file, when):
        msg = ASSIST("低保", 100.0, "赣州", None, None, "住院", when)
        assert_message(msg)
        assert "没有生效的政策" in msg or "无适用政策" in msg
        assert_message(ASSIST("低保", 100.0, "龙岩", None, None, "住院", "2022-12-31"), "没有生效的政策")
        assert_message(SUBSIDY("低保", "阳城", 2026.0), "没有生效的政策")

    @pytest.mark.parametrize("bad", ["xyz", "2022-13-01", "2022-02-30", -1.0, 1e12, "44742", True, "#N/A"])
    def test_bad_dates(self, settings_file, bad):
        assert_message(ASSIST("低保", 100.0, "赣州", None, None, "住院", bad), "结算日期")

    @pytest.mark.parametrize("bad", ["两千", 2022.5, True, "22", "#N/A", 1800.0])
    def test_bad_years(self, settings_file, bad):
        assert_message(SUBSIDY("低保", "阳城", bad), "年度")

    def test_bad_kind_and_flags(self, settings_file):
        assert_message(ASSIST("低保", 100.0, "赣州", None, None, "牙科", D), "未知医疗类别")
        assert_message(ASSIST("低保", 100.0, "赣州", None, None, 3.0, D), "未知医疗类别")
        assert_message(ASSIST("低保", 100.0, "赣州", None, None, "门诊特药", D), "门诊特药")  # 37号 has none
        assert_message(ASSIST("低保", 100.0, "赣州", None, None, "住院", D, "maybe"), "是否转诊")
        assert_message(ASSIST("低保", 100.0, "赣州", None, None, "住院", D, 2.0), "是否转诊")
        assert_message(ASSIST("返贫致贫", 100.0, "阳城", None, None, "住院", D, None, 1000.0, "xx"), "是否省内")

    def test_rule_needs_an_input(self, settings_file):
        # 阳医保发〔2022〕2号 四: the 90% top-up needs the stay's in-policy total
        assert_message(ASSIST("返贫致贫", 100.0, "阳城", None, None, "住院", D), "目录内")
        assert_message(ASSIST("返贫致贫", 5000.0, "阳城", None, None, "住院", D, None, 100.0), "不能小于")

    def test_rule_not_provided(self, settings_file):
        assert_message(TILT("低保", 50000.0, "西秀", None, None, D), "未规定倾斜救助", "区医保发〔2021〕40号")

    def test_missing_setting_is_named(self, settings_text, tmp_path, monkeypatch):
        # a settings file without 西秀's 大病 figures: the message names the setting, region, year and clause
        partial = tmp_path / "partial.toml"
        partial.write_text(settings_text.split('[[setting]]\nregion = "西秀"\nkey = "critical_deductible"')[0], "utf-8")
        monkeypatch.setenv("YIBAO_SETTINGS", str(partial))
        msg = CRITICAL("低保", 100000.0, "西秀", None, D)
        assert_message(msg, "缺少本地设置", "critical_deductible", "大病保险起付线", "西秀", "2022", "区医保发〔2021〕40号")

    def test_no_settings_at_all(self):
        # no YIBAO_SETTINGS, no yibao_settings.toml: what needs a setting says which one; the rest works
        assert_message(SUBSIDY("低保", "龙岩", 2023.0), "individual_contribution", "YIBAO_SETTINGS")
        assert_message(ASSIST("低保边缘", 5000.0, "赣州", None, None, "住院", D), "disposable_income", "2021")
        assert ASSIST("低保", 10000.0, "赣州", None, None, "住院", D) == 7500.0
        assert SUBSIDY("低保", "阳城", 2022.0) == 280.0

    def test_explain_of_bad_input_is_one_message_line(self, settings_file):
        lines = ASSIST_EXPLAIN("外星人", 100.0, "赣州", None, None, "住院", D)
        assert isinstance(lines, list) and len(lines) == 1
        assert_message(lines[0], "未知人员类别")

    def test_long_messages_are_cut_to_255(self, settings_file):
        msg = ASSIST("不存在的身份" * 10, 100.0, "赣州", None, None, "住院", D)  # lists all 15 赣州 identities
        assert_message(msg)
        assert len(msg) <= 250


# ---------------------------------------------------------------------------- no input raises or hides
# ``today`` (below): an empty or odd date cell falls back to date.today(); it is pinned so that what these
# tests exercise does not change with the day they run.
ODD = [None, "", " ", 0.0, -1.0, 1.5, 1e300, float("nan"), float("-inf"), True, False, "abc", "#N/A", "#DIV/0!",
       "１２３", "2022-06-30", 44742.0, datetime(2022, 6, 30), [[1.0, 2.0]], "低保", "赣州", "是", "²", "٣"]
GOOD = {
    ASSIST: ("低保", 10000.0, "赣州", 0.0, 0.0, "住院", D, "是", 20000.0, "是"),
    ASSIST_EXPLAIN: ("低保", 10000.0, "赣州", 0.0, 0.0, "住院", D, "是", 20000.0, "是"),
    CRITICAL: ("低保", 100000.0, "赣州", 0.0, D, "是"),
    CRITICAL_EXPLAIN: ("低保", 100000.0, "赣州", 0.0, D, "是"),
    SUBSIDY: ("低保", "阳城", 2022.0),
    SUBSIDY_EXPLAIN: ("低保", "阳城", 2022.0),
    TILT: ("低保", 50000.0, "赣州", 0.0, 0.0, D, "是", 50000.0),
    TILT_EXPLAIN: ("低保", 50000.0, "赣州", 0.0, 0.0, D, "是", 50000.0),
    MONITOR: ("脱贫户", 12000.0, "赣州", 0.0, D),
    IDENTITY: ("低保", "赣州", D),
}


def _check_cell(value):
    lines = value if isinstance(value, list) else [value]
    for v in lines:
        assert isinstance(v, (float, str)), v
        if isinstance(v, float):
            assert math.isfinite(v) and v >= 0
        else:
            assert len(v) <= 255
            assert not v.startswith("#内部错误"), v


@pytest.mark.parametrize("fn", list(GOOD), ids=lambda f: f.__name__)
def test_any_value_in_any_argument(settings_file, today, fn):
    """Each argument replaced by each odd value: a number, an answer or a # message — never an exception."""
    good = GOOD[fn]
    _check_cell(fn(*good))
    assert not str(fn(*good)).startswith("#")
    for i in range(len(good)):
        for odd in ODD:
            args = list(good)
            args[i] = odd
            _check_cell(fn(*args))


excel_value = st.one_of(
    st.none(), st.booleans(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
    st.text(max_size=12), st.sampled_from(["低保", "特困、低保", "赣州", "阳城县", "2022-06-30", "1,000.50", "否", "住院"]),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2100, 1, 1)),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=st.lists(excel_value, min_size=10, max_size=10))
def test_random_excel_values_never_raise(settings_file, today, args):
    for fn, good in GOOD.items():
        _check_cell(fn(*args[: len(good)]))


# ============================================================================ *_EXPLAIN
class TestExplain:
    def check(self, lines, result_text, *docs):
        assert isinstance(lines, list) and len(lines) >= 2
        assert all(isinstance(line, str) and 0 < len(line) <= 255 for line in lines)
        assert lines[-1].startswith("结果："), lines[-1]
        assert result_text in lines[-1], lines[-1]
        text = "\n".join(lines)
        for doc in docs:
            assert doc in text, doc

    def test_assist(self, settings_file):
        lines = ASSIST_EXPLAIN("低保", "10,000", "赣州", None, None, "住院", 44742.0)
        self.check(lines, "7500.00 元", "赣市医保字〔2021〕37号 二(三)3(1)②")
        assert lines[0] == "适用身份：低保对象"
        assert any("75%" in line for line in lines)

    def test_critical(self, settings_file):
        self.check(CRITICAL_EXPLAIN("低保", 100000.0, "赣州", None, D), "60125.00 元", "赣市医保字〔2021〕37号 二(三)2")
        lines = CRITICAL_EXPLAIN("", 20000.0, "阳城", None, D)
        self.check(lines, "4800.00 元", "阳医保发〔2022〕2号")
        assert any("设置来源：测试数字" in line for line in lines)  # local settings show their source

    def test_subsidy(self, settings_file):
        lines = SUBSIDY_EXPLAIN("低保", "阳城县", "2022年")
        self.check(lines, "280.00 元", "阳医保发〔2022〕2号 一", "晋医保发〔2021〕14号")
        assert any("256.00" in line for line in lines)

    def test_tilt(self, settings_file):
        self.check(TILT_EXPLAIN("低保", 50000.0, "赣州", None, None, D, None, 50000.0), "15000.00 元",
                   "赣市医保字〔2021〕37号 二(三)3(4)")
        self.check(TILT_EXPLAIN("低保", 50000.0, "龙岩", None, None, D_LY), "依申请", "龙政办规〔2022〕14号 二(五)")

    def test_explain_agrees_with_the_amount(self, settings_file):
        for fn, ex, args in ((ASSIST, ASSIST_EXPLAIN, ("低保边缘", 5000.0, "赣州", 2000.0, None, "住院", D)),
                             (CRITICAL, CRITICAL_EXPLAIN, ("特困", 55555.55, "龙岩", 80000.0, D_LY)),
                             (SUBSIDY, SUBSIDY_EXPLAIN, ("第三类", "龙岩", 2023.0)),
                             (TILT, TILT_EXPLAIN, ("低保", 45678.9, "赣州", 1000.0, None, D, None, 45678.9))):
            assert ex(*args)[-1] == f"结果：{fn(*args):.2f} 元"


# ============================================================================ loading and settings
def test_policy_book_loaded_once(settings_file, settings_text, tmp_path, monkeypatch):
    ASSIST("低保", 100.0, "赣州", None, None, "住院", D)
    before = processor.book.default_book.cache_info()
    assert udf.functions.engine().book is processor.book.default_book()
    other = tmp_path / "other.toml"
    other.write_text(settings_text, "utf-8")
    for path in (other, settings_file, other):  # each switch builds a new engine over the same book
        monkeypatch.setenv("YIBAO_SETTINGS", str(path))
        for _ in range(3):
            assert ASSIST("低保", 100.0, "赣州", None, None, "住院", D) == 75.0
    after = processor.book.default_book.cache_info()
    assert after.misses == before.misses == 1
    assert after.hits > before.hits


def test_engine_reused_while_settings_unchanged(settings_file):
    first = udf.functions.engine()
    SUBSIDY("低保", "阳城", 2022.0)
    assert udf.functions.engine() is first
    udf.reload_settings()
    assert udf.functions.engine() is not first


def _with_income(text: str, income: str) -> str:
    return text.replace('key = "disposable_income"\nyear = 2021\nvalue = "30000"',
                            f'key = "disposable_income"\nyear = 2021\nvalue = "{income}"')


class TestSettingsLookup:
    # 低保边缘 5,000 in 赣州: (5,000 − 10% × income) × 60%
    def test_env_variable(self, settings_text, tmp_path, monkeypatch):
        a, b = tmp_path / "a.toml", tmp_path / "b.toml"
        a.write_text(_with_income(settings_text, "30000"), "utf-8")
        b.write_text(_with_income(settings_text, "40000"), "utf-8")
        monkeypatch.setenv("YIBAO_SETTINGS", str(a))
        assert ASSIST("低保边缘", 5000.0, "赣州", None, None, "住院", D) == 1200.0
        monkeypatch.setenv("YIBAO_SETTINGS", str(b))
        assert ASSIST("低保边缘", 5000.0, "赣州", None, None, "住院", D) == 600.0

    def test_edited_file_is_reloaded(self, settings_text, settings_file):
        assert ASSIST("低保边缘", 5000.0, "赣州", None, None, "住院", D) == 1200.0
        settings_file.write_text(_with_income(settings_text, "40000"), "utf-8")
        st_ = settings_file.stat()
        os.utime(settings_file, ns=(st_.st_atime_ns, st_.st_mtime_ns + 5_000_000_000))
        assert ASSIST("低保边缘", 5000.0, "赣州", None, None, "住院", D) == 600.0

    def test_beside_the_calling_workbook(self, settings_text, tmp_path, monkeypatch):
        folder = tmp_path / "台账"
        folder.mkdir()
        (folder / "yibao_settings.toml").write_text(_with_income(settings_text, "40000"), "utf-8")

        class Caller:
            fullname = str(folder / "2022年台账.xlsm")

        monkeypatch.setattr(udf.functions.xw.Book, "caller", staticmethod(lambda: Caller))
        assert ASSIST("低保边缘", 5000.0, "赣州", None, None, "住院", D) == 600.0

    def test_env_wins_over_workbook_folder(self, settings_text, tmp_path, monkeypatch, settings_file):
        folder = tmp_path / "wb"
        folder.mkdir()
        (folder / "yibao_settings.toml").write_text(_with_income(settings_text, "40000"), "utf-8")

        class Caller:
            fullname = str(folder / "x.xlsm")

        monkeypatch.setattr(udf.functions.xw.Book, "caller", staticmethod(lambda: Caller))
        assert ASSIST("低保边缘", 5000.0, "赣州", None, None, "住院", D) == 1200.0

    def test_current_folder(self, settings_text, tmp_path):
        (tmp_path / "cwd" / "yibao_settings.toml").write_text(_with_income(settings_text, "40000"), "utf-8")
        assert ASSIST("低保边缘", 5000.0, "赣州", None, None, "住院", D) == 600.0

    def test_named_file_missing(self, tmp_path, monkeypatch):
        # first a call without any settings (cached), then a mistyped YIBAO_SETTINGS: must say so every time
        assert ASSIST("低保", 100.0, "赣州", None, None, "住院", D) == 75.0
        monkeypatch.setenv("YIBAO_SETTINGS", str(tmp_path / "typo.toml"))
        for _ in range(2):
            assert_message(ASSIST("低保", 100.0, "赣州", None, None, "住院", D), "找不到设置文件")

    def test_broken_file(self, tmp_path, monkeypatch):
        bad = tmp_path / "bad.toml"
        bad.write_text("[[setting]\nregion = ", "utf-8")
        monkeypatch.setenv("YIBAO_SETTINGS", str(bad))
        assert_message(SUBSIDY("低保", "阳城", 2022.0), "设置文件格式错误")
        bad.write_text('[[setting]]\nregion = "赣州"\nkey = "nonsense"\nyear = 2021\nvalue = "1"\nsource = "x"\n', "utf-8")
        udf.reload_settings()
        assert_message(SUBSIDY("低保", "阳城", 2022.0), "未知设置项")


def test_excel_errors_reach_python_as_text(monkeypatch):
    """Every argument of every function is declared err_to_str, so #N/A is not read as an empty cell.

    (On Linux xw.arg does nothing; record what the decorator asks xlwings for.)
    """
    calls = []

    def fake_arg(name, **options):
        calls.append((name, options))
        return lambda f: f

    monkeypatch.setattr(udf.functions.xw, "arg", fake_arg)

    def f(category, selfpay, region, date=None):
        return None

    assert udf.functions._errors_as_text(f) is f
    assert calls == [(n, {"err_to_str": True}) for n in ("category", "selfpay", "region", "date")]
    src = open(udf.functions.__file__, encoding="utf-8").read()
    for name in udf.__all__:
        if name.isupper():
            assert re.search(rf"@_errors_as_text\n@_(cell|explain)\ndef {name}\(", src), name
