"""settle_claims pauses the cyclic garbage collector (compute.no_cycle_collection): safe only while
normalising and settling make no reference cycles, which nothing else would free. On random years
(duplicates, reversals, several identities, caps reached, bad rows) a run leaves no cyclic garbage,
and the collector's state is what it was before, also after an error. `yibao fill` pauses it for the whole
run: what cyclic garbage a fill leaves does not grow with the month."""
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


def _month(n: int, month: int = 3) -> list[dict]:
    """n claims of a handful of persons over a month (several identities), and for every tenth claim a
    duplicate, a reversal and a bad row: the rejections grow with the month too."""
    kinds = ["低保对象", "特困人员", "防止返贫监测对象", "低保对象、边缘易致贫人口"]
    rows = [{"结算ID": f"S{month}-{i}", "姓名": f"人{i % 7}", "证件号码": gb_id(i % 7), "人员类别": kinds[i % 7 % 4],
             "镇街": "城关镇", "村（居）": f"{i % 3}村", "医疗类别": "住院", "是否转诊": "是",
             "就诊医疗机构名称": "县医院", "入院日期": date(2022, month, 1), "出院日期": date(2022, month, 2),
             "结算日期": date(2022, month, 2 + i % 26), "医疗费总额": 20_000.0 + 97 * i,
             "符合范围金额": 18_000.0 + 97 * i, "统筹基金支出": 9_000.0}
            for i in range(n)]
    for i in range(0, n, 10):
        rows.append(dict(rows[i]))  # a duplicate 结算ID
        rows.append({**rows[i + 1], "医疗费总额": -rows[i + 1]["医疗费总额"], "符合范围金额": -rows[i + 1]["符合范围金额"],
                     "统筹基金支出": -9_000.0, "结算日期": date(2022, month, 28)})  # a reversal
        rows.append({**rows[i + 2], "结算ID": f"BAD{i}", "证件号码": "123"})  # a bad row
    return rows


def _write_csv(path: Path, rows: list[dict]) -> None:
    import csv
    with open(path, "w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(list(rows[0]))
        out.writerows([v.isoformat() if isinstance(v, date) else v for v in r.values()] for r in rows)


@pytest.mark.parametrize("processes", [False, True], ids=["one process", "reader and renderer processes"])
def test_a_streamed_fill_makes_no_cyclic_garbage_per_claim(tmp_path, monkeypatch, processes):
    """`yibao fill` runs with the collector paused (run.fill): whatever cyclic garbage a run leaves must not
    grow with the month, or a month of a city would hold it all until the end. A month of 40 claims and one
    of 400 (an xlsx and a CSV, rejections among them), and the next month read with it as --previous,
    leave the same: the readers, the claim store, the chain, the renderer's pipe and the zip writer."""
    import contextlib
    import io

    from exports import write_export
    from processor.cli import main
    from processor.io import render_process, sheet_process
    if processes:  # the helper processes for a small month too
        monkeypatch.setattr(render_process, "MIN_ROWS", 1)
        monkeypatch.setattr(sheet_process, "MIN_BYTES", 1)
    settings_file = Path(__file__).resolve().parents[2] / "settings.example.toml"  # the figures do not matter here

    def garbage(argv: list[str]) -> int:
        """Cyclic garbage one run leaves (its inputs written before: openpyxl's cycles are not ours)."""
        gc.collect()
        gc.disable()
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                assert main(argv + ["--region", "阳城", "--settings", str(settings_file), "--quiet",
                                    "--allow-rejects"]) == 0
            return gc.collect()
        finally:
            gc.enable()

    def fill(n: int) -> tuple[int, int]:
        march, march_csv, april = tmp_path / f"3月_{n}.xlsx", tmp_path / f"3月下_{n}.csv", tmp_path / f"4月_{n}.xlsx"
        rows = _month(n)
        write_export(march, rows[: len(rows) // 2])
        _write_csv(march_csv, rows[len(rows) // 2:])
        write_export(april, _month(n, 4))
        ledger = tmp_path / f"3月_{n}_台账.xlsx"
        return (garbage(["fill", "医疗救助台账", str(march), str(march_csv), "--out", str(ledger)]),
                garbage(["fill", "医疗救助台账", str(april), "--previous", str(ledger),
                         "--out", str(tmp_path / f"4月_{n}_台账.xlsx")]))
    fill(20)  # imports, policy views and caches made once
    small, big = fill(40), fill(400)
    # a cycle made per claim would leave 360 objects more (and a rejection's traceback dozens); the few hundred
    # a run leaves (its arguments, the template) are the same give or take a cache filled on the way
    for a, b in zip(small, big):
        assert b - a < 36, (small, big)
