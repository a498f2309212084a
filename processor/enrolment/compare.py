"""比对 (龙政办规〔2022〕14号 二(六)5): each department's list against the enrolment data and against the
other departments' lists. Outcomes, per roster row:

- 未找到参保记录: no enrolment record of the year (居民 or 职工, any place);
- 身份不符: a subsidised record's 代缴类别 is none of the person's identities on any list;
- 身份已取消仍享受资助: subsidised on a date when every identity of the person had ended;
- 重复资助: two subsidised records in the year (two places or two identities);
- 名单内重复: the same person twice on one department's list;
- 多部门认定: on two departments' lists (information: the subsidy is paid once, highest benefit).

pandas does the joins and counts; person keys are strings, money int64 fen.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date

import pandas as pd

from .people import Payment, Person

NOT_FOUND = "未找到参保记录"
MISMATCH = "身份不符"
ENDED = "身份已取消仍享受资助"
TWICE = "重复资助"
DUPLICATE = "名单内重复"
MULTI = "多部门认定"
OUTCOMES = (NOT_FOUND, MISMATCH, ENDED, TWICE, DUPLICATE, MULTI)
NO_LIST = "（无名单）"


def _subsidised(p: Payment) -> bool:
    return bool(p.subsidy_category) or bool(p.subsidy_paid)


def compare(persons: dict[str, Person], payments: list[Payment], year: int):
    """Returns (detail rows without 序号, {department: summary counts}). A detail row:
    (department, township, village, name, key, identity, recognised, ended, source row, outcome, note)."""
    spells = [(p.key, s.department, s.source, s.row, s.identity, s.recognised, s.ended)
              for p in persons.values() for s in p.spells]
    R = pd.DataFrame(spells, columns=["key", "dept", "source", "row", "identity", "recognised", "ended"])
    R["key"] = R["key"].astype("string")
    rows = R.drop_duplicates(["source", "row"]).copy()  # a row naming two identities is one list row

    pay = [p for p in payments if p.year == year]
    P = pd.DataFrame({"key": pd.Series([p.key for p in pay], dtype="string"),
                      "subsidised": [_subsidised(p) for p in pay]})
    enrolled_keys = set(P["key"].tolist())
    by_key: dict[str, list[Payment]] = defaultdict(list)
    for p in pay:
        if _subsidised(p):
            by_key[p.key].append(p)

    out: list[tuple] = []
    flags: dict[tuple, set] = defaultdict(set)

    def add(r, outcome, note):
        person = persons[r.key]
        recognised = r.recognised
        ended = r.ended if isinstance(r.ended, date) else None
        out.append((r.dept, person.township, person.village, person.name, r.key, r.identity, recognised, ended,
                    f"{r.source} 第{r.row}行", outcome, note))
        flags[(r.source, r.row)].add(outcome)

    # the loops below walk plain tuples: iterating pandas' string column element by element is slow
    listed = list(rows.astype({"key": object}).itertuples(index=False))
    # 名单内重复
    first_row = {}
    for r in listed:
        k = (r.dept, r.key, r.identity)  # 低保 then 特困 on one list is a change, not a duplicate
        if k in first_row:
            add(r, DUPLICATE, f"与本部门名单 {first_row[k]} 为同一人")
        else:
            first_row[k] = f"{r.source} 第{r.row}行"
    # 未找到参保记录
    missing = (~rows["key"].isin(enrolled_keys)).tolist()
    for r in (r for r, m in zip(listed, missing) if m):
        add(r, NOT_FOUND, f"{year}年度参保缴费记录中没有此人")
    # 多部门认定 (one pass: 200,000 groups through pandas' per-group lambdas took a minute)
    rows_by_key: dict[str, list] = defaultdict(list)
    for r in listed:
        rows_by_key[r.key].append(r)
    multi = {}
    for key, rs in rows_by_key.items():
        names = {r.dept for r in rs}
        if len(names) > 1:
            multi[key] = sorted(names)
    for key, names in multi.items():
        for r in rows_by_key[key]:
            add(r, MULTI, f"同时在{'、'.join(names)}名单中（多重身份按最高待遇资助一次，不叠加）")
    # subsidised records against the lists
    spells_by_key: dict[str, list] = defaultdict(list)
    for p in persons.values():
        spells_by_key[p.key] = p.spells
    extra: list[tuple] = []
    for key, recs in by_key.items():
        person = persons.get(key)
        if person is None:
            for p in recs:
                extra.append((NO_LIST, "", "", p.name, key, p.subsidy_category, None, None,
                              f"{p.source} 第{p.row}行", MISMATCH, "享受资助参保，但不在任何部门的认定名单中"))
            continue
        identities = {s.identity for s in person.spells}
        for p in recs:
            if p.subsidy_category:
                named = set(p.subsidy_category.split("、"))
                if not named & identities:
                    for r in rows_by_key.get(key, []):
                        add(r, MISMATCH, f"缴费记录代缴类别“{p.subsidy_category}”，名单身份“{r.identity}”"
                                         f"（{p.source} 第{p.row}行）")
            if all(s.ended is not None and s.ended < p.pay_date for s in person.spells):
                for r in rows_by_key.get(key, []):
                    if isinstance(r.ended, date) and r.ended < p.pay_date:
                        add(r, ENDED, f"身份已于 {r.ended} 取消，{p.pay_date} 仍按资助参保缴费（{p.source} 第{p.row}行）")
        if len(recs) > 1:
            areas = sorted({p.area or "本地" for p in recs})
            cats = sorted({p.subsidy_category or "（未写类别）" for p in recs})
            what = (f"{len(recs)}处资助参保（{'、'.join(areas)}）" if len(areas) > 1 else
                    f"{len(recs)}个身份各资助一次（{'、'.join(cats)}）" if len(cats) > 1 else
                    f"同一身份资助{len(recs)}次")
            lines = "、".join(f"第{p.row}行" for p in recs)
            for r in rows_by_key.get(key, []):
                add(r, TWICE, f"{year}年度{what}（缴费记录 {lines}）")

    # summary per department
    problems = {k for k, v in flags.items() if v - {MULTI}}
    summary: dict[str, dict] = {}
    for dept, g in rows.groupby("dept", sort=True):
        counts = {o: 0 for o in OUTCOMES}
        ok = 0
        for source, row in zip(g["source"].tolist(), g["row"].tolist()):
            found = flags.get((source, row), ())
            for o in found:
                counts[o] += 1
            ok += (source, row) not in problems
        summary[dept] = {"rows": int(len(g)), "people": int(g["key"].nunique()), "ok": ok, **counts}
    if extra:
        summary[NO_LIST] = {"rows": 0, "people": len({e[4] for e in extra}), "ok": 0,
                            **{o: (len(extra) if o == MISMATCH else 0) for o in OUTCOMES}}
    order = {o: i for i, o in enumerate(OUTCOMES)}
    out.sort(key=lambda t: (t[0], t[8], order[t[9]]))
    return out + extra, summary
