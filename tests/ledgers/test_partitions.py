"""The month's computation on all cores (compute(..., workers=2)) equals the single-process run row for row
and to the fen, on random years: duplicates, reversals, several identities, caps reached, bad rows —
also with a 结算ID shared by two ID numbers, which ties the two persons into one partition."""
from __future__ import annotations

import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from processor.ledgers import compute as compute_module
from processor.ledgers.compute import compute, partitions

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_table_properties import REGION, SETTINGS, summary, table, tables  # noqa: E402


def run(rows, workers):
    old = compute_module.PARALLEL_MIN_ROWS
    compute_module.PARALLEL_MIN_ROWS = 0  # partition even a small year
    try:
        return compute(table(rows), REGION, SETTINGS, workers=workers)
    finally:
        compute_module.PARALLEL_MIN_ROWS = old


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=tables(), cross=st.booleans())
def test_partitioned_run_equals_the_serial_run(rows, cross):
    if cross and len(rows) > 1:  # a 结算ID used under another person's ID number
        rows = rows + [dict(rows[0], id_number=rows[-1]["id_number"])]
    serial, parallel = run(rows, 1), run(rows, 2)
    assert summary(parallel) == summary(serial)
    assert parallel.states == serial.states
    assert set(parallel.views) == set(serial.views)


def test_partitions_keep_a_persons_claims_and_shared_ids_together():
    rows = [{"settlement_id": sid, "id_number": who} for sid, who in
            [("A", "p1"), ("B", "p2"), ("C", "p1"), ("D", "p3"), ("B", "p4")]]  # B: p2 and p4 share it

    class R:  # the two fields partitions() reads
        def __init__(self, d):
            self.claim = type("C", (), {"person": d["id_number"], "settlement_id": d["settlement_id"]})()
    from processor.ledgers.compute import PreviousLedger
    parts = partitions([R(d) for d in rows], PreviousLedger(), 4)
    where = {i: k for k, part in enumerate(parts) for i in part}
    assert where[0] == where[2]          # p1's two claims
    assert where[1] == where[4]          # p2 and p4, tied by 结算ID B
    assert sorted(i for part in parts for i in part) == list(range(5))
    assert all(part == sorted(part) for part in parts)  # settlement order kept
