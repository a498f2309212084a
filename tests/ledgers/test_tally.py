"""The 汇总 sheet's groups (Tally.add, one line at a time while the 台账 is written) equal a pandas group-by of
the same lines: 人次 and each sum in fen, by 适用身份 (a reversal, which has none, under （冲销）) and by 乡镇
(（未填） where the export gives none); the fund totals are the column sums."""
from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings

from processor.ledgers.compute import compute
from processor.ledgers.tally import Tally

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_table_properties import REGION, SETTINGS, table, tables  # noqa: E402

SUMS = ["人次", "医疗费总额", "大病保险", "医疗救助", "倾斜救助", "个人自付"]


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=tables())
def test_the_summary_groups_are_a_group_by_of_the_lines(rows):
    lines = compute(table(rows), REGION, SETTINGS).lines
    tally = Tally()
    for line in lines:
        tally.add(line)
    frame = pd.DataFrame({
        "适用身份": [ln.result.identity or "（冲销）" for ln in lines],
        "乡镇": [ln.row.township or "（未填）" for ln in lines],
        "人次": 1,
        "医疗费总额": [ln.row.claim.total_cost for ln in lines],
        "大病保险": [ln.result.critical for ln in lines],
        "医疗救助": [ln.result.assist for ln in lines],
        "倾斜救助": [ln.result.tilt or 0 for ln in lines],
        "个人自付": [ln.result.final_selfpay for ln in lines],
    }, columns=["适用身份", "乡镇", *SUMS]).astype({c: "int64" for c in SUMS})  # fen: whole numbers, never float
    expected = {}
    for how in ("适用身份", "乡镇"):
        for key, sums in frame.groupby(how)[SUMS].sum().iterrows():
            expected[(how, key)] = [int(x) for x in sums]
    assert tally.groups == expected
    assert tally.count == len(lines)
    assert (tally.critical, tally.assist, tally.final_selfpay) == tuple(
        int(frame[c].sum()) for c in ("大病保险", "医疗救助", "个人自付"))
