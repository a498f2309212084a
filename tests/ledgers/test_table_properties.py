"""Whole claim tables, generated (hypothesis): random identities, amounts, orders, duplicates,
reversals and bad cells through the month's computation (processor/ledgers/compute.py), 赣州 2022.

Invariants (issue 7, "Trust the batch"):
- rows in = rows written + rows rejected, whatever the table holds;
- no person is paid over an annual cap (赣市医保字〔2021〕37号 二(三)3(1): 低保 50,000, ③ 30,000, ④ 20,000;
  二(三)3(4) 倾斜 50,000; 二(三)2 ordinary 大病 300,000), and no claim is paid a negative amount;
- the totals do not depend on the order of rows settled on the same day: 大病 exactly (it is the growth
  of the year's capped formula), 医疗救助/倾斜救助 within one fen per claim (each settlement is rounded
  to the fen on its own, as the platform settles it);
- a rerun gives the same ledger, row for row.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from processor.book import default_book
from processor.io.reader import ExportTable, RawRow
from processor.ledgers.compute import compute
from processor.settings import parse_settings

REGION = default_book().region("赣州")
SETTINGS = parse_settings(
    '[[setting]]\nregion = "赣州"\nkey = "disposable_income"\nyear = 2021\nvalue = "40000"\nsource = "测试"\n'
    '[[setting]]\nregion = "赣州"\nkey = "rural_income_province"\nyear = 2021\nvalue = "18000"\nsource = "测试"\n')
KEYS = ["settlement_id", "id_number", "name", "category", "kind", "referral", "settlement_date", "total_cost",
        "policy_cost", "basic_paid"]
IDENTITIES = ["低保对象", "特困人员", "边缘易致贫人口", "因病支出型困难家庭患者", "", "稳定脱贫人口", "低保对象、边缘易致贫人口"]
CAP = {"低保对象": 5_000_000, "边缘易致贫人口": 3_000_000, "因病支出型困难家庭患者": 2_000_000,
       "低保对象、边缘易致贫人口": 5_000_000}  # fen; 特困 none; the others get no 医疗救助
KINDS = ["住院", "住院", "门诊慢特病", "门诊两病", "普通门诊"]
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def gb_id(n: int) -> str:
    body = f"36070219800101{n:03d}"
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, WEIGHTS)) % 11]


@st.composite
def tables(draw):
    people = draw(st.lists(st.sampled_from(IDENTITIES), min_size=1, max_size=5))
    rows: list[dict] = []
    n_claims = draw(st.integers(min_value=1, max_value=14))
    for i in range(n_claims):
        who = draw(st.integers(min_value=0, max_value=len(people) - 1))
        policy = draw(st.integers(min_value=0, max_value=300_000))          # whole yuan
        basic = draw(st.integers(min_value=0, max_value=policy))
        extra = draw(st.integers(min_value=0, max_value=5_000))
        rows.append({"settlement_id": f"S{i}", "id_number": gb_id(who + 1), "name": f"人{who}",
                     "category": people[who], "kind": draw(st.sampled_from(KINDS)),
                     "referral": draw(st.sampled_from(["是", "是", "否"])),
                     "settlement_date": date(2022, 1, 1) + timedelta(days=draw(st.integers(0, 300))),
                     "total_cost": float(policy + extra), "policy_cost": float(policy), "basic_paid": float(basic)})
    for _ in range(draw(st.integers(0, 2))):                                 # duplicates of a claim
        rows.append(dict(draw(st.sampled_from(rows[:n_claims]))))
    for _ in range(draw(st.integers(0, 2))):                                 # reversals, on a later day
        orig = draw(st.sampled_from(rows[:n_claims]))
        rev = dict(orig, settlement_date=orig["settlement_date"] + timedelta(days=draw(st.integers(1, 30))))
        for k in ("total_cost", "policy_cost", "basic_paid"):
            rev[k] = -orig[k]
        rows.append(rev)
    for j in range(draw(st.integers(0, 2))):                                 # bad cells
        bad = dict(draw(st.sampled_from(rows[:n_claims])), settlement_id=f"B{j}")
        bad.update(draw(st.sampled_from([{"policy_cost": "abc"}, {"id_number": "12345"},
                                         {"settlement_date": "2022-13-40"}, {"kind": "火星门诊"}])))
        rows.append(bad)
    return rows


def table(rows: list[dict]) -> ExportTable:
    t = ExportTable(Path("generated.xlsx"), "结算明细", 1, dict(enumerate(KEYS)), [])
    t.rows = [RawRow(n, dict(r)) for n, r in enumerate(rows, 2)]
    return t


def by_person(outcome):
    sums = defaultdict(lambda: [0, 0, 0, 0])   # 大病, 救助, 倾斜, claims
    for ln in outcome.lines:
        s = ln.result
        acc = sums[ln.row.claim.person]
        acc[0] += s.critical
        acc[1] += s.assist
        acc[2] += s.tilt or 0
        acc[3] += 1
    return sums


def summary(outcome):
    return [(ln.row.claim.settlement_id, ln.row.source_row, ln.result.critical, ln.result.assist, ln.result.tilt,
             ln.result.final_selfpay, tuple(ln.state_after)) for ln in outcome.lines], \
           [(r.source_row, r.reason) for r in outcome.rejected]


PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(rows=tables(), data=st.data())
def test_whole_tables(rows, data):
    outcome = compute(table(rows), REGION, SETTINGS)
    # rows in = rows out + rows rejected (nothing lost, nothing counted twice)
    assert len(outcome.lines) + len(outcome.rejected) == len(rows)
    written = {ln.row.source_row for ln in outcome.lines}
    assert written.isdisjoint({r.source_row for r in outcome.rejected})
    # no claim pays a negative amount (only a reversal row carries negated figures)
    for ln in outcome.lines:
        if not ln.row.reversal:
            s = ln.result
            assert s.critical >= 0 and s.assist >= 0 and (s.tilt or 0) >= 0 and s.final_selfpay >= 0
    # no person over a cap
    category = {gb: r["category"] for r in rows for gb in [r["id_number"]] if isinstance(r["policy_cost"], float)}
    for person, (crit, assist, tilt, _n) in by_person(outcome).items():
        cat = category.get(person, "")
        if cat in CAP:
            assert assist <= CAP[cat]
        elif cat != "特困人员":
            assert assist == 0
        assert tilt <= 5_000_000
        if cat in ("", "稳定脱贫人口", "边缘易致贫人口", "因病支出型困难家庭患者"):
            assert crit <= 30_000_000  # ordinary 大病 cap 300,000
    # a rerun gives the same rows
    assert summary(compute(table(rows), REGION, SETTINGS)) == summary(outcome)
    # rows settled on the same day, in another order: the same totals (大病 exactly, the others within a fen a claim)
    shuffled = data.draw(st.permutations(rows))
    shuffled.sort(key=lambda r: str(r["settlement_date"]))  # stable: only same-day rows change order
    again = compute(table(shuffled), REGION, SETTINGS)
    assert len(again.lines) == len(outcome.lines) and len(again.rejected) == len(outcome.rejected)
    first, second = by_person(outcome), by_person(again)
    assert first.keys() == second.keys()
    # only where a person's claims are alike: which claim crosses the 大病 deductible decides what is paid
    # when an unreferred claim (no 大病 tilt, 赣市医保字〔2021〕37号 二(三)2) and a referred one share a day
    # — e.g. 10,000.00 reached by a referred claim, then 1.00 unreferred pays 0; the other way round, 0.65
    kinds = defaultdict(set)
    for r in rows:
        kinds[r["id_number"]].add((r["kind"], r["referral"]))
    for person, (crit, assist, tilt, n) in first.items():
        if len(kinds[person]) > 1:
            continue
        crit2, assist2, tilt2, _ = second[person]
        assert crit == crit2
        assert abs(assist - assist2) <= n and abs(tilt - tilt2) <= n
