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


@settings(max_examples=50, deadline=None)
@given(rows=st.lists(st.tuples(claim_rows(), st.integers(0, 3)), max_size=30))
def test_the_store_gives_every_claim_once_in_settlement_order(rows):
    with ClaimStore() as store:
        for row, source in rows:
            store.add(row, source)
        back = list(store.in_order())
        assert len(store) == len(rows)
    expected = [replace(r, source=s) for r, s in sorted(rows, key=lambda t: (t[0].claim.settled_on, t[1], t[0].source_row))]
    assert back == expected
    assert store.reversed_ids <= {r.claim.settlement_id for r, _s in rows}


def streamed(rows, finish=None):
    outcome = compute_stream(table(rows), REGION, SETTINGS, finish=finish)
    outcome.lines = list(outcome.lines)  # what the writer does: one pass, before the other sheets
    return outcome


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=tables())
def test_the_streamed_run_equals_the_in_memory_run(rows):
    memory, stream = compute(table(rows), REGION, SETTINGS), streamed(rows)
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
    store = ClaimStore(str(tmp_path))
    store._fh.close()
    store._fh = Full()
    row = ClaimRow(2, Claim("S1", "p", date(2022, 3, 1), "住院", 100, 100, 50), "低保对象", "甲", "p", "", "", "",
                   None, None, None, None, None, False)
    with pytest.raises(FileError, match="磁盘空间不足"):
        store.add(row)


@settings(max_examples=200, deadline=None)
@given(figures=st.lists(fen, min_size=13, max_size=13), tilt_none=st.booleans(), flags=st.tuples(st.booleans(), st.booleans()),
       total=st.none() | fen, policy=fen, basic=fen)
def test_last_months_settlement_is_kept_packed_and_comes_back_whole(figures, tilt_none, flags, total, policy, basic):
    """--previous keeps each earlier settlement packed (a million of them for a city): what a reversal
    takes off comes back exactly."""
    from processor.chain import Settlement, YearState
    from processor.ledgers.compute import pack_amounts, pack_original, unpack_amounts, unpack_original
    crit, assist, tilt, final, counted, borne, *delta = figures
    s = Settlement("低保对象", crit, assist, None if tilt_none else tilt, final, "", YearState(*delta),
                   in_critical=flags[0], in_assistance=flags[1], assist_base=counted, hospital_borne=borne)
    assert unpack_original("低保对象", pack_original(s)) == s
    assert unpack_amounts(pack_amounts(total, policy, basic)) == (total, policy, basic)
