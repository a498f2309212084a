"""Defect 2: one amount limit (processor.money.MAX_YUAN, 10亿元) for the Excel functions and the batch.
1e300 as a number or as text is a refused input with a Chinese reason, never a decimal traceback.
(The batch side — the row goes to 异常 — is in tests/ledgers/test_ids_batch.py.)"""
from __future__ import annotations

from decimal import Decimal

import pytest

import processor.money
import udf.inputs
from processor.errors import InputError
from processor.money import MAX_YUAN, parse_amount


def test_one_limit():
    assert MAX_YUAN == 1_000_000_000                      # 10亿元
    assert not hasattr(udf.inputs, "MAX_YUAN") and not hasattr(udf.inputs, "_MAX_FEN")


@pytest.mark.parametrize("huge", [1e300, -1e300, "1e300", "1E+300", " 1e300 ", Decimal("1e300"), 10 ** 300,
                                  "1e999999999", 1_000_000_000.01, "1,000,000,000.01", 2e9, 1.40522e17])
def test_beyond_the_limit_is_refused(huge):
    with pytest.raises(InputError) as err:
        parse_amount(huge, "政策范围内费用", allow_negative=True)
    assert err.value.message.startswith("政策范围内费用超出范围（超过10亿元）")


@pytest.mark.parametrize("value,fen", [
    (1e9, 1_000_000_000 * 100),                  # exactly 10亿元 is still an amount
    ("1000000000", 1_000_000_000 * 100),
    (-1e9, -1_000_000_000 * 100),                # a reversal of the largest amount
    (999_999_999.99, 99_999_999_999),            # 999,999,999.99 元 = 99,999,999,999 分
])
def test_up_to_the_limit_is_accepted(value, fen):
    assert parse_amount(value, allow_negative=True) == fen


def test_fast_path_stops_at_the_limit():
    # the float fast path (used directly by the batch's normalise) hands anything beyond ±MAX_YUAN to
    # parse_amount's Decimal path, where it is refused
    assert processor.money._float_fen(1e9) == 1_000_000_000 * 100
    assert processor.money._float_fen(1e9 + 1) is None
    assert processor.money._float_fen(-1e12) is None


def test_excel_functions_use_the_same_limit():
    assert udf.inputs.amount(1e9, "个人自付金额") == 1_000_000_000 * 100
    for huge in (1e300, "1e300", 1_000_000_000.01):
        with pytest.raises(InputError, match=r"^个人自付金额超出范围（超过10亿元）"):
            udf.inputs.amount(huge, "个人自付金额")
