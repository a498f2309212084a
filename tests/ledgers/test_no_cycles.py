"""settle_claims pauses the cyclic garbage collector (compute.no_cycle_collection): safe only while
normalising and settling make no reference cycles, which nothing else would free. On random years
(duplicates, reversals, several identities, caps reached, bad rows) a run leaves no cyclic garbage,
and the collector's state is what it was before, also after an error."""
from __future__ import annotations

import gc
import sys
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings

from processor.ledgers import compute as compute_module
from processor.ledgers.compute import compute, no_cycle_collection

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_table_properties import REGION, SETTINGS, gb_id, table, tables  # noqa: E402


# found by hypothesis: 医疗救助 of 低保 past its cap on the second claim of a day — identities.compete kept
# the BeyondCap with its traceback, whose frames held the list keeping it (78 objects a claim, freed only
# by the collector that settle_claims pauses); now kept without its traceback
_BEYOND_CAP = [{"settlement_id": f"S{i}", "id_number": "360702198001010016", "name": "人0",
                "category": "低保对象、边缘易致贫人口", "kind": "住院", "referral": "是",
                "settlement_date": date(2022, 1, 1), "total_cost": cost, "policy_cost": cost, "basic_paid": 0.0}
               for i, cost in enumerate([95_715.0, 0.0])]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=tables())
@example(rows=_BEYOND_CAP)
def test_a_years_settlement_leaves_no_cyclic_garbage(rows):
    t = table(rows)
    compute(t, REGION, SETTINGS)  # warm: policy views, caches and imports made once are not garbage
    gc.collect()
    gc.disable()
    try:
        outcome = compute(t, REGION, SETTINGS)
        del outcome
        assert gc.collect() == 0  # unreachable objects only a cycle collection would free: none
    finally:
        gc.enable()


def test_the_collectors_state_is_restored_also_after_an_error():
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        with no_cycle_collection():
            assert not gc.isenabled()
            1 / 0
    assert gc.isenabled()
    gc.disable()
    try:
        with no_cycle_collection():
            pass
        assert not gc.isenabled()  # paused by someone else: left paused
    finally:
        gc.enable()


def test_settle_claims_runs_with_the_collector_paused(monkeypatch):
    seen = []
    real = compute_module.settle_iter

    def spy(*a, **k):
        for line in real(*a, **k):
            seen.append(gc.isenabled())
            yield line
    monkeypatch.setattr(compute_module, "settle_iter", spy)
    claim = {"settlement_id": "S1", "id_number": gb_id(1), "name": "人0", "category": "低保对象", "kind": "住院",
             "referral": "是", "settlement_date": date(2022, 3, 1), "total_cost": 50_000.0,
             "policy_cost": 40_000.0, "basic_paid": 25_000.0}
    compute(table([claim]), REGION, SETTINGS)
    assert seen and not any(seen) and gc.isenabled()
