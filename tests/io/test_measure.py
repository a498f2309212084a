"""Column widths measured after filling (xlsx_splice._Measure): a column of one type is taken whole, not
filtered value by value; what it measures — widest text, largest and smallest number, a summed column's
running sum, which columns hold fractions and dates, the widths — is what measuring every value one by one
gives (the oracle below is the measure as it was written first), on random chunks of mixed values."""
from __future__ import annotations

import datetime as dt
import itertools
import math
import operator
from decimal import Decimal

from hypothesis import given, settings, strategies as st

from processor.io.xlsx_splice import Formula, _Measure

NUMBER_TYPES = frozenset({int, float, Decimal})


def oracle(fit: dict, chunks: list[list]) -> dict:
    text = dict.fromkeys(fit, 0)
    hi = dict.fromkeys(fit, 0.0)
    lo = dict.fromkeys(fit, 0.0)
    total = dict.fromkeys(fit, 0.0)
    dates, fractional = set(), set()
    for chunk in chunks:
        if not chunk:
            continue
        columns = list(itertools.zip_longest(*chunk))
        for c in sorted(fit):
            if c > len(columns):
                continue
            col = columns[c - 1]
            strs = [v for v in col if type(v) is str]
            if strs:
                text[c] = max(text[c], max(map(operator.add, map(len, map(str.encode, strs)), map(len, strs))) // 2)
            nums = [v for v in col if type(v) in NUMBER_TYPES]
            if nums:
                if max(nums) > hi[c]:
                    hi[c] = float(max(nums))
                if min(nums) < lo[c]:
                    lo[c] = float(min(nums))
                if fit[c][1]:
                    total[c] += math.fsum(map(abs, nums))
                if any(type(v) is not int for v in nums):
                    fractional.add(c)
            if any(isinstance(v, dt.date) for v in col):
                dates.add(c)
    return {"text": text, "hi": hi, "lo": lo, "sum": total, "dates": dates, "fractional": fractional}


values = st.one_of(st.none(), st.booleans(), st.integers(-10**9, 10**9), st.floats(-1e9, 1e9, allow_nan=False),
                   st.decimals(-10**6, 10**6, places=2, allow_nan=False), st.dates(), st.datetimes(),
                   st.text(max_size=8), st.sampled_from(["张三", "低保对象", "", " "]),
                   st.builds(Formula, st.just("=1+1"), st.integers(0, 9)))
# columns of one type (most of a ledger's) as well as mixed ones
typed_column = st.sampled_from([st.integers(0, 10**6), st.floats(0, 1e6), st.text(max_size=6), st.dates()])


@st.composite
def chunks(draw) -> list[list]:
    width = draw(st.integers(1, 6))
    kinds = [draw(typed_column) if draw(st.booleans()) else values for _ in range(width)]
    out = []
    for _ in range(draw(st.integers(0, 4))):
        rows = draw(st.lists(st.tuples(*kinds).map(list), max_size=12))
        for row in rows:
            del row[draw(st.integers(0, len(row))):]  # short rows: zip_longest fills them with None
        out.append(rows)
    return out


@settings(max_examples=300, deadline=None)
@given(chunks=chunks(), summed=st.sets(st.integers(1, 7)))
def test_a_column_measured_whole_or_value_by_value_is_as_wide(chunks, summed):
    fit = {c: (40.0, c in summed) for c in range(1, 8)}
    measure = _Measure(fit)
    for chunk in chunks:
        measure.feed(chunk)
    expected = oracle(fit, chunks)
    got = {"text": measure.text, "hi": measure.hi, "lo": measure.lo, "sum": measure.sum, "dates": measure.dates,
           "fractional": measure.fractional}
    assert got == expected
