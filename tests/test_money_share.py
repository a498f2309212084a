"""money.share_of(fen, rate) is round_fen(fen × rate): the same half-up answer without a Decimal."""
from __future__ import annotations

from decimal import Decimal

from hypothesis import given, strategies as st

from processor.money import round_fen, share_of

RATES = st.one_of(
    st.decimals(min_value=-2, max_value=2, places=4, allow_nan=False),
    st.builds(lambda n, k: Decimal(n).scaleb(-k), st.integers(-10**14, 10**14), st.integers(0, 16)),
    st.sampled_from([Decimal("0.75"), Decimal("0.005"), Decimal("1"), Decimal("0"), Decimal("0.333333333333333333333"),
                     Decimal("1E+2"), Decimal("0.85"), Decimal("-0.5")]),
)
FEN = st.one_of(st.integers(-10**12, 10**12), st.integers(-1000, 1000), st.integers(-10**20, 10**20))


@given(FEN, RATES)
def test_share_of_is_round_fen_of_the_product(fen, rate):
    assert share_of(fen, rate) == round_fen(fen * rate)


@given(st.integers(-10**6, 10**6))
def test_ties_go_away_from_zero(n):
    # n × 0.5 fen: every odd n is a tie (…, -1.5 → -2, -0.5 → -1, 0.5 → 1, 1.5 → 2)
    assert share_of(n, Decimal("0.5")) == round_fen(n * Decimal("0.5"))
