"""Money: the one rounding rule, amount parsing, and display — exact to the fen."""
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from processor.errors import InputError
from processor.money import fen_to_float, fen_to_yuan, format_yuan, parse_amount, round_fen


def test_round_fen_is_half_up():
    assert round_fen(Decimal("0.5")) == 1
    assert round_fen(Decimal("1.5")) == 2
    assert round_fen(Decimal("2.5")) == 3          # not banker's rounding
    assert round_fen(Decimal("-0.5")) == -1        # half away from zero
    assert round_fen(Decimal("0.4999")) == 0


@pytest.mark.parametrize("text,fen", [("1,234.50", 123450), (" 12 ", 1200), ("１２３", 12300), ("123元", 12300),
                                      ("0.005", 1), ("1.005", 101), ("¥8", 800)])
def test_text_amounts(text, fen):
    assert parse_amount(text) == fen


@pytest.mark.parametrize("bad", ["abc", "1.2.3", "", "一千", True, [1]])
def test_bad_amounts_are_refused(bad):
    with pytest.raises(InputError):
        parse_amount(bad)


def test_negative_needs_permission():
    with pytest.raises(InputError, match="负数"):
        parse_amount(-1.0)
    assert parse_amount(-1.0, allow_negative=True) == -100


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))  # beyond ±MAX_YUAN (10亿元) amounts are refused
def test_float_fast_path_equals_the_decimal_rule(x):
    # what Excel shows (repr) × 100, rounded half-up: the fast path must never differ
    assert parse_amount(x, allow_negative=True) == round_fen(Decimal(repr(x)) * 100)


@given(st.integers(min_value=-10**13, max_value=10**13))
def test_display_and_cell_values_are_exact(fen):
    assert format_yuan(fen) == f"{Decimal(fen) / 100:,.2f}"
    assert fen_to_yuan(fen) == Decimal(fen) / 100
    # the float handed to Excel prints as exactly the two-decimal amount
    assert Decimal(repr(fen_to_float(fen))) == Decimal(fen) / 100


AMOUNTS = st.integers(min_value=-10**12, max_value=10**12)


@given(AMOUNTS, AMOUNTS, AMOUNTS)
def test_above_line_is_the_part_of_the_amount_above_the_line(ytd, amount, line):
    from processor.rules.common import above_line
    # the formula it was written as: the year's total after this amount, less the larger of the total before
    # it and the line; never below 0
    assert above_line(ytd, amount, line) == max(0, ytd + amount - max(ytd, line))


def test_above_line_by_hand():
    # ytd 3,000, amount 4,000, line 5,000 → 7,000 − 5,000 = 2,000 above
    from processor.rules.common import above_line
    assert above_line(300_000, 400_000, 500_000) == 200_000
    assert above_line(600_000, 400_000, 500_000) == 400_000  # the line already passed: all of it
    assert above_line(100_000, 400_000, 500_000) == 0  # exactly up to the line: none
