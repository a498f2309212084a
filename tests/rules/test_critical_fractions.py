"""大病保险's banded payment in integers (rules.critical._paid over _fractions) equals the Decimal arithmetic it
replaced (issue 12: two a claim, about 1 µs each). The reference below is the previous code, kept on purpose:
each band's rate times the part of the year's total inside the band, summed as Decimal, capped, and rounded
once by money.round_fen."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings, strategies as st

from processor.money import round_fen, round_ratio
from processor.rules.critical import _fractions, _paid


def reference_paid(total, deductible, bands, cap):
    if total <= deductible:
        return 0 if cap is None else min(0, cap)
    pay = Decimal(0)
    lower = deductible
    for upto, rate in bands:
        top = total if upto is None else min(total, upto)
        if top > lower:
            pay += (top - lower) * rate
        if upto is not None:
            lower = max(lower, upto)
        if total <= lower:
            break
    return round_fen(pay if cap is None else min(pay, Decimal(cap)))


# rates as the policy files and settings give them: a few decimals (0.6, 0.65, 0.925), or a setting's value
RATES = (st.integers(0, 100).map(lambda n: Decimal(n) / 100) | st.integers(0, 1000).map(lambda n: Decimal(n) / 1000)
         | st.decimals(min_value=0, max_value=1, places=7, allow_nan=False, allow_infinity=False))
FEN = st.integers(0, 200_000_000)


@st.composite
def bands(draw):
    uppers = sorted(set(draw(st.lists(FEN, min_size=0, max_size=4))))
    rates = [draw(RATES) for _ in range(len(uppers) + 1)]
    last = [] if draw(st.booleans()) and uppers else [(None, rates[-1])]
    return tuple(zip(uppers, rates)) + tuple(last)


@settings(max_examples=2000, deadline=None)
@given(bands=bands(), deductible=FEN, total=st.integers(-1_000_00, 300_000_000), cap=st.none() | FEN)
def test_the_integer_payment_is_the_decimal_one(bands, deductible, total, cap):
    assert _paid(total, deductible, _fractions(bands), cap) == reference_paid(total, deductible, bands, cap)


def test_a_payment_by_hand():
    # 赣市医保字〔2021〕37号 二(三)2 (processor/policies/ganzhou): one band, 60% above the 起付线 (50% of the
    # previous year's disposable income: a local setting, here 40,000 → 20,000), annual cap 300,000.
    # A year's total of 100,000: (100,000 − 20,000) × 60% = 48,000; of 600,000: 348,000, capped at 300,000.
    ganzhou = _fractions(((None, Decimal("0.6")),))
    assert _paid(100_000_00, 20_000_00, ganzhou, 300_000_00) == 48_000_00
    assert _paid(600_000_00, 20_000_00, ganzhou, 300_000_00) == 300_000_00
    # three bands made up for the arithmetic (no region's): 起付线 15,000; 60% up to 50,000, 70% up to
    # 100,000, 80% above; cap 400,000.
    # A year's total of 123,456.78: 35,000 × 0.6 = 21,000 + 50,000 × 0.7 = 35,000 + 23,456.78 × 0.8 = 18,765.424
    # → 74,765.424 → 74,765.42 元
    b = ((50_000_00, Decimal("0.6")), (100_000_00, Decimal("0.7")), (None, Decimal("0.8")))
    assert _fractions(b) == (10, ((50_000_00, 6), (100_000_00, 7), (None, 8)))
    assert _paid(123_456_78, 15_000_00, _fractions(b), 400_000_00) == 74_765_42
    # 700,000: 21,000 + 35,000 + 600,000 × 0.8 = 480,000 → 536,000, above the cap: 400,000
    assert _paid(700_000_00, 15_000_00, _fractions(b), 400_000_00) == 400_000_00
    # a tie rounds up: 1 fen above the line at 50% is half a fen → 1 fen
    assert _paid(15_000_01, 15_000_00, _fractions(((None, Decimal("0.5")),)), None) == 1


@given(num=st.integers(-10**20, 10**20), den=st.integers(1, 10**9))
def test_round_ratio_is_round_fen_of_the_exact_fraction(num, den):
    from fractions import Fraction
    exact = Fraction(num, den)
    # half-up, ties away from zero, on the exact fraction
    floor = exact.numerator // exact.denominator
    rest = exact - floor
    want = floor + (1 if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and exact > 0) else 0)
    assert round_ratio(num, den) == want
