"""`yibao fill` in constant memory (issue 12): the claim store gives every claim back unchanged and in
settlement order, and the streamed computation equals the in-memory one row for row and to the fen on
random years (duplicates, reversals, several identities, caps reached, bad rows), with the same
汇总/核对/年度累计 sheets."""
from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from processor.chain import Claim
from processor.ledgers.benefit import check_rows, state_rows, summary_rows
from processor.ledgers.compute import compute, compute_stream
from processor.ledgers.normalise import ClaimRow
from processor.ledgers import store as store_module
from processor.ledgers.store import ClaimStore, _record, _row

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_table_properties import REGION, SETTINGS, summary, table, tables  # noqa: E402

texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
fen = st.integers(-10**12, 10**12)
days = st.dates(date(2000, 1, 1), date(2099, 12, 31))


@st.composite
def claim_rows(draw):
    claim = Claim(draw(texts), draw(texts), draw(days), draw(texts), draw(fen), draw(fen), draw(fen),
                  draw(st.none() | fen), draw(st.booleans()), draw(st.booleans()), draw(fen), draw(texts),
                  draw(st.booleans()), draw(st.none() | fen))
    return ClaimRow(draw(st.integers(1, 2**31)), claim, draw(texts), draw(texts), draw(texts), draw(texts),
                    draw(texts), draw(texts), draw(st.none() | days), draw(st.none() | days),
                    draw(st.none() | fen), draw(st.none() | fen), draw(st.none() | fen), draw(st.booleans()))


@settings(max_examples=200, deadline=None)
@given(row=claim_rows())
def test_a_claim_comes_back_from_the_store_unchanged(row):
    assert _row(_record(row)) == row
    assert _row(_record(row, 3)) == replace(row, source=3)


@settings(max_examples=80, deadline=None)
@given(rows=st.lists(st.tuples(claim_rows(), st.integers(0, 3)), max_size=30), held=st.integers(0, 31))
def test_the_store_gives_every_claim_once_in_settlement_order(rows, held):
    """held: how many claims the store keeps in memory before it goes to its file (0: all on disk,
    ≥ len(rows): none) — the claims come back the same either way, and when the file takes over midway."""
    with ClaimStore(held_rows=held) as store:
        for row, source in rows:
            store.add(row, source)
        back = list(store.in_order())
        assert len(store) == len(rows)
    expected = [replace(r, source=s) for r, s in sorted(rows, key=lambda t: (t[0].claim.settled_on, t[1], t[0].source_row))]
    assert back == expected
    assert store.reversed_ids <= {r.claim.settlement_id for r, _s in rows}


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.tuples(claim_rows(), st.integers(0, 3)), max_size=40), held=st.integers(0, 41))
def test_claims_read_in_file_and_row_order_come_back_as_sorted(rows, held):
    """Claims added in (input file, source row) order, as fill reads them, are counted out by date
    (ClaimStore._order, no list of a million ints): the same order as the sort by the whole key."""
    rows = sorted(rows, key=lambda t: (t[1], t[0].source_row))
    with ClaimStore(held_rows=held) as store:
        for row, source in rows:
            store.add(row, source)
        keys = store._keys
        assert list(store._order()) == sorted(range(len(keys)), key=keys.__getitem__)
        assert list(store.in_order()) == [replace(r, source=s) for r, s in sorted(
            rows, key=lambda t: (t[0].claim.settled_on, t[1], t[0].source_row))]


def streamed(rows, finish=None, held=None):
    """held: claims the store keeps in memory (None: its default, which holds every claim of these tables)."""
    kept = store_module.HELD_ROWS
    store_module.HELD_ROWS = kept if held is None else held
    try:
        outcome = compute_stream(table(rows), REGION, SETTINGS, finish=finish)
        outcome.lines = list(outcome.lines)  # what the writer does: one pass, before the other sheets
    finally:
        store_module.HELD_ROWS = kept
    return outcome


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=tables(), held=st.none() | st.integers(0, 5))
def test_the_streamed_run_equals_the_in_memory_run(rows, held):
    memory, stream = compute(table(rows), REGION, SETTINGS), streamed(rows, held=held)
    assert summary(stream) == summary(memory)
    assert stream.states == memory.states
    assert stream.rows_read == memory.rows_read == len(rows)  # rows in = rows out + rows rejected
    for sheet in (summary_rows, check_rows, state_rows):  # the tally made in the pass = made from the list
        assert list(sheet(stream)) == list(sheet(memory))
    t = stream.tally
    assert (t.critical, t.assist, t.final_selfpay) == (sum(ln.result.critical for ln in memory.lines),
                                                       sum(ln.result.assist for ln in memory.lines),
                                                       sum(ln.result.final_selfpay for ln in memory.lines))


def test_finish_sees_every_rejection_before_the_other_sheets():
    rows = [{"settlement_id": "S1", "id_number": "11010519491231002X", "name": "甲", "category": "低保对象",
             "kind": "住院", "referral": "是", "settlement_date": date(2022, 3, 1), "total_cost": 1000.0,
             "policy_cost": 800.0, "basic_paid": 500.0}]
    rows.append(dict(rows[0]))  # the same 结算ID again: rejected while settling, not while reading
    seen = []
    outcome = streamed(rows, finish=lambda o: seen.append((o.tally.count, len(o.rejected))))
    assert seen == [(1, 1)]
    assert outcome.rejected[0].source_row == 3 and "重复的结算ID（与第2行重复）" in outcome.rejected[0].reason
    assert outcome.months == {(2022, 3): [2, 2, 1]} and outcome.first == (date(2022, 3, 1), 2)


def test_a_store_that_cannot_be_written_is_a_chinese_error_not_a_traceback(tmp_path):
    import errno

    import pytest

    from processor.errors import FileError
    with pytest.raises(FileError, match="无法写入暂存结算的临时文件.*未写出台账"):
        ClaimStore(str(tmp_path / "不存在的文件夹"))

    class Full:
        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            pass
    store = ClaimStore(str(tmp_path), held_rows=0)  # every claim goes to the file at once
    store._fh.close()
    store._fh = Full()
    row = ClaimRow(2, Claim("S1", "p", date(2022, 3, 1), "住院", 100, 100, 50), "低保对象", "甲", "p", "", "", "",
                   None, None, None, None, None, False)
    with pytest.raises(FileError, match="磁盘空间不足"):
        store.add(row)
    held = ClaimStore(str(tmp_path), held_rows=1)  # the disk fills when the month outgrows memory
    held._fh.close()
    held._fh = Full()
    held.add(row)
    with pytest.raises(FileError, match="磁盘空间不足"):
        held.add(replace(row, source_row=3))


# figures in fen around where Earlier switches from 4-byte to 8-byte integers, and far beyond
money = st.one_of(st.integers(-(2**31) - 2, 2**31 + 1), st.sampled_from([-(2**31), 2**31 - 1, 2**31, 0]), fen)


@st.composite
def earlier_settlements(draw):
    from processor.chain import Settlement, YearState
    crit, assist, tilt, final, counted, borne, *delta = draw(st.lists(money, min_size=13, max_size=13))
    return (draw(st.sampled_from(["999A", "999B", "999C"])), draw(st.integers(2000, 2099)),
            Settlement(draw(st.sampled_from(["低保对象", "特困人员", ""])), crit, assist,
                       draw(st.sampled_from([None, tilt])), final, "", YearState(*delta),
                       in_critical=draw(st.booleans()), in_assistance=draw(st.booleans()), assist_base=counted,
                       hospital_borne=borne))


ledger_rows_of_ids = st.lists(st.tuples(st.sampled_from(["JS1", "JS2", "JS3", "JS4"]), st.none() | earlier_settlements(),
                                        st.none() | st.tuples(st.none() | money, money, money)), max_size=12)


def _as_dicts(rows, settled=None, amounts=None):
    """What --previous kept before Earlier: a dict of settlements (the last row of an ID wins) and a dict of
    amounts (the first wins)."""
    settled, amounts = ({} if settled is None else settled), ({} if amounts is None else amounts)
    for sid, original, figures in rows:
        if original is not None:
            settled[sid] = original
        if figures is not None:
            amounts.setdefault(sid, figures)
    return settled, amounts


def _same(earlier, settled, amounts):
    assert len(earlier) == len(settled)
    assert sorted(earlier.owners()) == sorted((sid, v[0]) for sid, v in settled.items())
    for sid in ("JS1", "JS2", "JS3", "JS4", "JS5"):
        assert (sid in earlier) == (sid in settled)
        assert earlier.original(sid) == settled.get(sid)
        assert earlier.amounts(sid) == amounts.get(sid)


@settings(max_examples=300, deadline=None)
@given(rows=ledger_rows_of_ids, later=ledger_rows_of_ids)
def test_last_months_settlements_kept_packed_equal_the_dicts_they_replace(rows, later):
    """--previous keeps a million earlier settlements packed, one bytes per 结算ID (issue 12): what a
    reversal takes off and the amounts it must match come back exactly as the two dicts kept them —
    the last settlement of an ID, its first amounts, figures beyond 4 bytes — also over two ledgers
    (read_previous_all: a later ledger's settlement wins, the first amounts stay)."""
    from processor.ledgers.compute import Earlier
    earlier = Earlier()
    for sid, original, figures in rows:
        earlier.put(sid, original, figures)
    settled, amounts = _as_dicts(rows)
    _same(earlier, settled, amounts)
    second = Earlier()
    for sid, original, figures in later:
        second.put(sid, original, figures)
    earlier.update(second)
    later_settled, later_amounts = _as_dicts(later)
    settled.update(later_settled)
    for sid, figures in later_amounts.items():
        amounts.setdefault(sid, figures)
    _same(earlier, settled, amounts)
