"""Monitoring lists from the ledger's own computation: one row per person and list, by 乡镇.

- 赣州 (三(六)) and 西秀 (一(五)、二(八)): the list each claim puts its person on is the chain's own
  ``Settlement.monitor`` — the ledger's 监测提示 column and the MONITOR() cell, never a second reading.
- 龙岩 (二(一)1 第五类(1)、二(七)3): the 12-month in-policy self-pay against the line of
  ``rules.monitor.heavy_burden``; the 12 months are those the input (and nothing else) holds.

Deduplicated across months: the first settlement that reached the list gives the month and the figure
that triggered it; the running total is the person's year-to-date self-pay after their last claim.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date

from ..errors import InputError, PolicyNotInForce, SettingMissing
from ..ledgers.compute import Outcome
from ..rules.monitor import heavy_burden, rules as monitor_rules


@dataclass
class Entry:
    list_name: str
    person: str
    name: str
    id_number: str
    township: str
    village: str
    category: str
    identity: str
    first_month: str
    first_settlement: str
    first_date: date
    trigger: int            # the figure that crossed the line (fen)
    basis: str              # what ``trigger`` is
    line: int | None
    citation: str
    hits: int = 1
    running: int = 0        # year-to-date self-pay after the person's last claim (fen)
    notes: list[str] = field(default_factory=list)


def _line_of(ctx, name: str) -> tuple[int | None, str, str]:
    for p in monitor_rules(ctx):
        if p.key.split(".", 1)[1] == name:
            line = ctx.money(p, p.value["line"])
            basis = "本次自付" if p.value["basis"] == "visit" else "年度累计自付"
            return line, basis, str(p.citation)
    return None, "", ""


def lists(outcome: Outcome) -> tuple[list[Entry], list[str]]:
    """(entries, problems): problems are claims the 龙岩 line could not be applied to (a missing setting)."""
    entries: dict[tuple[str, str], Entry] = {}
    running: dict[tuple[str, int], int] = {}
    problems: list[str] = []
    by_person: dict[str, list] = {}
    for ln in outcome.lines:
        row, res = ln.row, ln.result
        claim = row.claim
        running[(claim.person, claim.settled_on.year)] = ln.state_after.final_selfpay
        ctx = outcome.views.get(claim.settled_on)
        if res.monitor and ctx is not None:
            line, basis, cite = _line_of(ctx, res.monitor)
            trigger = res.final_selfpay if basis == "本次自付" else ln.state_after.final_selfpay
            _add(entries, res.monitor, ln, trigger, basis, line, cite)
        if ctx is not None and ctx.view.get("heavy_burden.line") is not None:
            by_person.setdefault(claim.person, []).append(ln)
    for person, lns in by_person.items():
        window: deque = deque()
        total = 0
        for ln in lns:  # already in settlement order
            row, res = ln.row, ln.result
            claim = row.claim
            inpolicy = claim.policy_cost - claim.basic_paid - res.critical - res.assist - (res.tilt or 0)
            window.append((claim.settled_on, inpolicy))
            total += inpolicy
            ctx = outcome.views[claim.settled_on]
            months = ctx.view.get("heavy_burden.months")
            start = _months_before(claim.settled_on, months.value if months is not None else 12)
            while window and window[0][0] <= start:
                total -= window.popleft()[1]
            try:
                r = heavy_burden(ctx, res.identity, total)
            except (SettingMissing, PolicyNotInForce, InputError) as err:
                problems.append(err.message)
                break
            if r.text:
                line = ctx.money(ctx.view.get("heavy_burden.line"))
                _add(entries, r.text, ln, total, "前12个月政策范围内个人自付", line,
                     str(ctx.view.get("heavy_burden.line").citation))
    for e in entries.values():
        e.running = running.get((e.person, e.first_date.year), 0)
    ordered = sorted(entries.values(), key=lambda e: (e.list_name, e.township, e.first_date, e.first_settlement))
    return ordered, sorted(set(problems))


def _add(entries, list_name, ln, trigger, basis, line, cite) -> None:
    row = ln.row
    key = (list_name, row.claim.person)
    e = entries.get(key)
    if e is not None:
        e.hits += 1
        return
    entries[key] = Entry(list_name, row.claim.person, row.name, row.id_number, row.township, row.village,
                         row.category, ln.result.identity, f"{row.claim.settled_on:%Y-%m}", row.claim.settlement_id,
                         row.claim.settled_on, trigger, basis, line, cite)


def _months_before(d: date, months: int) -> date:
    """The day ``months`` months before ``d`` (the window is the days after it, up to ``d``)."""
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    m += 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, m, day)
        except ValueError:
            continue
    raise AssertionError(d)  # pragma: no cover
