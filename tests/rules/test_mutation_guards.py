"""Rule-level tests for bugs a mutation run planted without any test failing (and for rules only one
test used to pin): the 大病 year past its cap, the mixed-sign row check, the subsidy floor above the
contribution, half-up rounding at the fen through the calculators, and the several-identity tie-break.

Every expected amount is worked out by hand from the clause cited beside it; the settings are round
test figures (not official).
"""
from __future__ import annotations

from datetime import date

import pytest

import udf
from processor.errors import InputError
from processor.io.reader import RawRow
from processor.ledgers.normalise import normalise
from support import engine_with, settings_text, yuan

GZ = date(2022, 6, 30)   # 赣市医保字〔2021〕37号 in force (from 2022-01-01)
YC = date(2022, 6, 30)   # 阳医保发〔2022〕2号 in force (2022-01-01 to 2025-12-31)

# 赣州: 2021 城乡居民人均可支配收入 40,000 → 2022 大病 deductible 40,000 × 50% = 20,000 (二(三)2).
# 阳城 2022: ordinary 大病 deductible 10,000, 60%, cap 300,000 (三 leaves them to the bureau); a 医疗救助
# annual cap of 100,000 for the identities whose cap is a local setting — far above every claim here.
GZ_ROWS = [("赣州", "disposable_income", 2021, "40000"), ("赣州", "rural_income_province", 2021, "20000")]
YC_ROWS = [("阳城", "critical_deductible", 2022, "10000"), ("阳城", "critical_rate", 2022, "60%"),
           ("阳城", "critical_cap", 2022, "300000"), ("阳城", "assistance_cap", 2022, "100000")]


@pytest.fixture(scope="module")
def eng():
    return engine_with(*GZ_ROWS, *YC_ROWS)


@pytest.fixture
def cells(tmp_path, monkeypatch):
    """The Excel functions over the same settings (YIBAO_SETTINGS), nothing leaking in from elsewhere."""
    path = tmp_path / "settings.toml"
    path.write_text(settings_text(*GZ_ROWS, *YC_ROWS), encoding="utf-8")
    monkeypatch.setenv("YIBAO_SETTINGS", str(path))
    monkeypatch.chdir(tmp_path)
    udf.reload_settings()
    yield
    udf.reload_settings()


# ============================================================================ 大病 past the cap
class TestCriticalPastTheCap:
    """赣市医保字〔2021〕37号 二(三)2: ordinary insured person — deductible 20,000, 60%, annual cap 300,000.
    The year's payment reaches the cap at an amount of 20,000 + 300,000 / 60% = 520,000; a year-to-date
    amount of 600,000 is well above it (not exactly at it)."""

    def test_engine(self, eng):
        # (600,000 − 20,000) × 60% = 348,000 → capped 300,000
        assert eng.critical("", "赣州", yuan(600000), 0, on=GZ).fen == yuan(300000)
        # year 500,000 → 600,000: min(348,000, 300,000) − (480,000 × 60% = 288,000) = 12,000
        assert eng.critical("", "赣州", yuan(100000), yuan(500000), on=GZ).fen == yuan(12000)
        # year 600,000 → 700,000: 300,000 − 300,000 = 0 (uncapped base: 300,000 − 348,000 = −48,000)
        assert eng.critical("", "赣州", yuan(100000), yuan(600000), on=GZ).fen == 0
        # far beyond: 5,000,000 → 5,000,000.01: 0
        assert eng.critical("", "赣州", 1, yuan(5000000), on=GZ).fen == 0
        # 四(八): 低保 not referred is computed as an ordinary person, cap included
        assert eng.critical("低保", "赣州", yuan(100000), yuan(600000), on=GZ, referral=False).fen == 0

    def test_cell(self, cells):
        assert udf.CRITICAL("", 600000.0, "赣州", 0.0, GZ) == 300000.0
        assert udf.CRITICAL("", 100000.0, "赣州", 600000.0, GZ) == 0.0
        assert udf.CRITICAL("低保", 100000.0, "赣州", 600000.0, GZ, "否") == 0.0

    def test_a_year_of_claims_past_the_cap_never_pays_negative(self, eng):
        # 600,000 then 100,000, 50,000, 250,000: 300,000, then 0, 0, 0
        ytd, pays = 0, []
        for amount in (600000, 100000, 50000, 250000):
            pays.append(eng.critical("", "赣州", yuan(amount), ytd, on=GZ).fen)
            ytd += yuan(amount)
        assert pays == [yuan(300000), 0, 0, 0]


# ============================================================================ mixed signs
def _raw(**amounts) -> RawRow:
    values = {"settlement_id": "MX-1", "id_number": "14052219740202002X", "name": "马低保",
              "settlement_date": date(2022, 3, 10), "category": "低保", "total_cost": 10000.0, "policy_cost": 10000.0,
              "basic_paid": 6000.0}
    values.update(amounts)
    return RawRow(4, values)


class TestMixedSigns:
    """A reversal repeats the original's 结算ID with every amount negated (README 月度台账, 冲销行); a row with
    some amounts negative and some positive is neither and is refused with its reason."""

    def test_all_negative_is_a_reversal_and_all_positive_a_claim(self):
        assert normalise(_raw(total_cost=-10000.0, policy_cost=-10000.0, basic_paid=-6000.0), False).reversal
        assert not normalise(_raw(), False).reversal

    @pytest.mark.parametrize("amounts", [
        {"basic_paid": -6000.0},                                        # 统筹 negative, the rest positive
        {"total_cost": -10000.0},                                       # 总额 negative
        {"total_cost": -10000.0, "policy_cost": -10000.0},              # 统筹 still positive
        {"critical_paid": -100.0},                                      # 大病 negative
        {"out_of_catalog": -100.0},                                     # 目录外 negative
        {"total_cost": -10000.0, "policy_cost": -10000.0, "basic_paid": -6000.0, "critical_paid": 100.0},
    ])
    def test_mixed_signs_refused(self, amounts):
        with pytest.raises(InputError, match="金额正负混杂"):
            normalise(_raw(**amounts), False)


# ============================================================================ subsidy floor vs contribution
@pytest.mark.parametrize("contribution, category, expected", [
    # 阳医保发〔2022〕2号 一: 低保对象 80% of the individual contribution, at least 280 — but a subsidy never
    # exceeds the contribution it subsidises: 250 × 80% = 200 < 280 → min(280, 250) = 250
    ("250", "低保对象", yuan(250)),
    # 300 × 80% = 240 < 280 → 280 (≤ 300)
    ("300", "低保对象", yuan(280)),
    # 400 × 80% = 320 ≥ 280 → 320
    ("400", "低保对象", yuan(320)),
    # 易返贫致贫人口: a fixed 280 (below the contribution 400): 280
    ("400", "易返贫致贫人口", yuan(280)),
])
def test_yangcheng_subsidy_floor_never_above_the_contribution(contribution, category, expected):
    eng = engine_with(("阳城", "individual_contribution", 2023, contribution))
    assert eng.subsidy(category, "阳城", 2023).fen == expected


# ============================================================================ half-up at the fen
class TestHalfUpThroughTheRules:
    """processor/money.py round_fen: 四舍五入到分 (half-up), the one rounding of every rule. Each case is a
    product whose fen fraction is exactly .5 (up: 2.5 → 3 where banker's rounding gives 2 and truncation 2)
    or just below it (down)."""

    def test_assist_rate_product(self, eng, cells):
        # 赣市医保字〔2021〕37号 二(三)3(1)②: 低保 75%, no threshold.
        # 1,000.06 = 100,006 fen × 75% = 75,004.5 fen → 75,005 (banker's and truncation: 75,004)
        assert eng.assistance("低保", "赣州", 100006, on=GZ).fen == 75005
        # 1,000.03 = 100,003 × 75% = 75,002.25 → 75,002
        assert eng.assistance("低保", "赣州", 100003, on=GZ).fen == 75002
        # 1,000.01 = 100,001 × 75% = 75,000.75 → 75,001
        assert eng.assistance("低保", "赣州", 100001, on=GZ).fen == 75001
        # 0.06 = 6 × 75% = 4.5 → 5 (banker's: 4)
        assert eng.assistance("低保", "赣州", 6, on=GZ).fen == 5
        # the same through the cell
        assert udf.ASSIST("低保", 1000.06, "赣州", None, None, "住院", GZ) == 750.05
        assert udf.ASSIST("低保", 1000.03, "赣州", None, None, "住院", GZ) == 750.02
        assert udf.ASSIST("低保", 0.06, "赣州", None, None, "住院", GZ) == 0.05

    def test_assist_topup(self, eng, cells):
        # 阳医保发〔2022〕2号 四: 返贫致贫 in-province 住院 — 70%, topped up to a 90% combined ratio:
        # assistance ≥ selfpay − stay × 10%. selfpay 5,000 = 500,000 fen: 70% = 350,000.
        # stay 10,000.15 = 1,000,015 fen: 500,000 − 100,001.5 = 399,998.5 → 399,999 (banker's: 399,998)
        assert eng.assistance("返贫致贫", "阳城", 500000, on=YC, stay_total=1000015, in_province=True).fen == 399999
        # stay 10,000.16: 500,000 − 100,001.6 = 399,998.4 → 399,998
        assert eng.assistance("返贫致贫", "阳城", 500000, on=YC, stay_total=1000016, in_province=True).fen == 399998
        assert udf.ASSIST("返贫致贫", 5000.0, "阳城", None, None, "住院", YC, "是", 10000.15, "是") == 3999.99

    def test_critical_rate_from_settings(self):
        # 阳医保发〔2022〕2号 三: the ordinary rate is a local setting; a test rate of 60.01% gives
        # fractions that are not multiples of a quarter fen. Deductible 10,000.
        eng = engine_with(("阳城", "critical_deductible", 2022, "10000"), ("阳城", "critical_rate", 2022, "60.01%"),
                          ("阳城", "critical_cap", 2022, "300000"))
        # 10,009.99 − 10,000 = 999 fen × 60.01% = 599.4999 → 599 (a ceiling would give 600)
        assert eng.critical("", "阳城", 1000999, on=YC).fen == 599
        # 10,050.00 − 10,000 = 5,000 fen × 60.01% = 3,000.5 → 3,001 (banker's and truncation: 3,000)
        assert eng.critical("", "阳城", 1005000, on=YC).fen == 3001

    def test_subsidy_percent(self):
        # 阳医保发〔2022〕2号 一: 返贫致贫人口 90% of the contribution. 300.05 = 30,005 fen × 90% = 27,004.5 → 27,005
        eng = engine_with(("阳城", "individual_contribution", 2023, "300.05"))
        assert eng.subsidy("返贫致贫人口", "阳城", 2023).fen == 27005
        # 300.04 × 90% = 27,003.6 → 27,004
        eng = engine_with(("阳城", "individual_contribution", 2023, "300.04"))
        assert eng.subsidy("返贫致贫人口", "阳城", 2023).fen == 27004


# ============================================================================ several identities: equal amounts
class TestTieBreak:
    """赣市医保字〔2021〕37号 五(十一), 阳医保发〔2022〕2号 一: several identities → the highest benefit, never the
    sum; equal amounts go to the identity earlier in the region's region.toml priority. 赣州 lists 低保对象
    before 返贫致贫人口; 阳城 lists 返贫致贫人口 before 低保对象 — so the same pair resolves oppositely in the
    two regions, and the order the cell names them in never matters."""

    PAIRS = {"赣州": ("低保、返贫致贫", "返贫致贫、低保"), "阳城": ("低保、返贫致贫", "返贫致贫、低保")}

    def test_assist_equal_amounts(self, eng):
        for text in self.PAIRS["赣州"]:
            # 二(三)3(1)②: both 75%, cap 50,000: 10,000 × 75% = 7,500 either way → 低保对象 (earlier)
            r = eng.assistance(text, "赣州", yuan(10000), on=GZ)
            assert (r.fen, r.identity) == (yuan(7500), "低保对象"), text
        for text in self.PAIRS["阳城"]:
            # 四: both 70%; out of the province no 90% top-up: 10,000 × 70% = 7,000 → 返贫致贫人口 (earlier)
            r = eng.assistance(text, "阳城", yuan(10000), on=YC, stay_total=yuan(20000), in_province=False)
            assert (r.fen, r.identity) == (yuan(7000), "返贫致贫人口"), text

    def test_critical_equal_amounts(self, eng):
        # 赣州 二(三)2: 特困/低保 both tilted — deductible 20,000 × 50% = 10,000, 65%, no cap:
        # (100,000 − 10,000) × 65% = 58,500 either way → 特困人员 (first in 赣州's priority)
        for text in ("特困、低保", "低保、特困"):
            r = eng.critical(text, "赣州", yuan(100000), on=GZ)
            assert (r.fen, r.identity) == (yuan(58500), "特困人员"), text

    def test_cells(self, cells):
        for text in self.PAIRS["赣州"]:
            lines = udf.ASSIST_EXPLAIN(text, 10000.0, "赣州", None, None, "住院", GZ)
            assert lines[0] == "适用身份：低保对象", text
            assert "7500.00 元" in lines[-1]
        for text in self.PAIRS["阳城"]:
            lines = udf.ASSIST_EXPLAIN(text, 10000.0, "阳城", None, None, "住院", YC, "是", 20000.0, "否")
            assert lines[0] == "适用身份：返贫致贫人口", text
            assert "7000.00 元" in lines[-1]
            assert udf.IDENTITY(text, "阳城", YC) == "返贫致贫人口"
