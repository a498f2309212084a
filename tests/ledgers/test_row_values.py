"""A 台账 row's cells are picked for the layout's columns (benefit.row_values: _cells once, then the columns by
place) — whatever the order of a bureau's columns, with columns the batch does not fill left empty; and the
picked row is the row of the named cells that --formulas ledgers and the province's outputs use."""
from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from processor.ledgers.benefit import _CELLS, LedgerContext, _values, row_values
from processor.ledgers.compute import compute

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_table_properties import REGION, SETTINGS, table, tables  # noqa: E402

layouts = st.lists(st.sampled_from([*_CELLS, "本单位自加列", None, ""]), min_size=1, max_size=35)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=tables(), columns=layouts)
def test_a_row_holds_each_columns_cell_and_nothing_in_a_column_the_batch_does_not_fill(rows, columns):
    outcome = compute(table(rows), REGION, SETTINGS)
    ctx = LedgerContext(REGION, columns, False, 5)
    for seq, line in enumerate(outcome.lines, 1):
        named = _values(line, seq, ctx)
        assert row_values(line, seq, ctx) == [named[c] if c in named else None for c in columns]
        assert named["序号"] == seq and named["结算ID"] == line.row.claim.settlement_id
        assert named["个人自付"] == line.result.final_selfpay / 100  # fen → the number in the cell
