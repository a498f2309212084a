"""Per person and year: identities in force, status (已参保 / 合理未参保 / 未参保), subsidy, what the person
pays, the payment route and the benefit start — every figure from the rules (Engine.subsidy,
Engine.benefit_start, processor/rules/enrolment.py), never recomputed here."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..engine import Engine
from ..errors import YibaoError
from ..money import format_yuan
from ..rules import enrolment as rules
from .people import EMPLOYEE, RESIDENT, Payment, Person, Spell, reasonable_reason

ENROLLED = "已参保"
REASONABLE = "合理未参保"
UNENROLLED = "未参保"
EVIDENCE_CLAUSE = "区医保发〔2021〕40号 一(一)"


@dataclass(slots=True)
class PersonYear:
    person: Person
    spells: list[Spell]
    status: str
    payment: Payment | None = None
    extra_payments: int = 0
    identities: str = ""
    changes: str = ""
    subsidy: int = 0
    identity: str = ""
    since: date | None = None
    until: date | None = None
    contribution: int | None = None
    due: int | None = None
    route: str = ""
    route_text: str = ""
    benefit_start: date | None = None
    benefit_text: str = ""
    identity_from: date | None = None
    reason: str = ""
    evidence: str = ""
    note: str = ""
    error: str = ""


def _changes(spells: list[Spell], start: date, end: date) -> str:
    parts = []
    for s in spells:
        text = f"{s.identity}（{s.department}）{s.recognised} 起"
        if s.ended is not None:
            text += f" 至 {s.ended}"
        parts.append(text)
    changed = len({s.identity for s in spells}) > 1 or any(
        start < s.recognised <= end or (s.ended is not None and s.ended < end) for s in spells)
    return ("年内变更：" if changed else "") + "；".join(parts)


class Assessor:
    """Caches the rule results that do not depend on the person (same identities → same subsidy)."""

    def __init__(self, engine: Engine, region: str, year: int):
        self.engine, self.region, self.year = engine, region, year
        self.ctx = engine.ctx_for_year(region, year)
        self._subsidy: dict[tuple, object] = {}
        self._start: dict[tuple, object] = {}
        self._contribution: int | YibaoError | None = None
        self._texts: dict[tuple[str, ...], str] = {}  # per identity set: the subsidy's note
        self._routes: dict[tuple[int, int, int], tuple[str, str]] = {}

    def subsidy(self, names: tuple[str, ...]):
        r = self._subsidy.get(names)
        if r is None:
            try:
                r = self.engine.subsidy("、".join(names), self.region, self.year)
            except YibaoError as err:
                r = err
            self._subsidy[names] = r
        if isinstance(r, YibaoError):
            raise r
        return r

    def contribution(self) -> int:
        if self._contribution is None:
            try:
                self._contribution = rules.contribution(self.ctx)
            except YibaoError as err:
                self._contribution = err
        if isinstance(self._contribution, YibaoError):
            raise self._contribution
        return self._contribution

    def benefit_start(self, names: tuple[str, ...], on: date, case: str):
        """(start date or None, the note's text) of a payment on ``on`` by someone with ``names`` then."""
        key = (names, on, case)
        r = self._start.get(key)
        if r is None:
            try:
                res = self.engine.benefit_start("、".join(names), self.region, on, case)
                r = (date.fromisoformat(res.text), "；".join(res.lines()))
            except YibaoError as err:
                r = (None, f"待遇起始日：{err.message}")
            self._start[key] = r
        return r

    def subsidy_text(self, names: tuple[str, ...], r) -> str:
        """The note of the subsidy of ``names`` (``r``: :meth:`subsidy` of the same names)."""
        text = self._texts.get(names)
        if text is None:
            cites = "；".join(str(c) for c in r.citations())
            text = self._texts[names] = f"资助：{r.identity} {format_yuan(r.fen or 0)} 元" + (f"〔{cites}〕" if cites else "")
        return text

    def route(self, subsidy: int, paid: int, contrib: int) -> tuple[str, str]:
        key = (subsidy, paid, contrib)
        r = self._routes.get(key)
        if r is None:
            rt = rules.route(self.ctx, subsidy, paid, contrib)
            r = self._routes[key] = (rt.route, rt.text + (f"〔{rt.citation}〕" if rt.citation else ""))
        return r

    # ------------------------------------------------------------------------------------------
    def assess(self, person: Person, payments: list[Payment], clerk: dict | None = None) -> PersonYear | None:
        start, end = date(self.year, 1, 1), date(self.year, 12, 31)
        spells = [s for s in person.spells if s.overlaps(start, end)]
        if not spells:
            return None
        if len(spells) > 1:
            spells.sort(key=lambda s: (s.recognised, s.identity))
        py = PersonYear(person, spells, UNENROLLED)
        py.identities = "、".join(dict.fromkeys(s.identity for s in spells))
        py.changes = _changes(spells, start, end)
        mine = [p for p in payments if p.year == self.year]
        if len(mine) > 1:
            mine.sort(key=lambda p: (p.pay_date, p.row))
        local = [p for p in mine if p.scheme == RESIDENT and p.local]
        if local:
            py.status, py.payment, py.extra_payments = ENROLLED, local[0], len(local) - 1
        else:
            self._not_enrolled(py, mine, clerk)
        try:
            self._subsidy_of(py)
        except YibaoError as err:
            py.error = err.message
        return py

    def _not_enrolled(self, py: PersonYear, mine: list[Payment], clerk: dict | None) -> None:
        employee = [p for p in mine if p.scheme == EMPLOYEE]
        elsewhere = [p for p in mine if p.scheme == RESIDENT and not p.local]
        if employee:
            p = employee[0]
            py.status, py.reason = REASONABLE, "参加职工医保"
            py.evidence = f"职工医保缴费记录：{p.pay_date}（{p.source} 第{p.row}行）"
            return
        if elsewhere:
            p = elsewhere[0]
            py.status, py.reason = REASONABLE, "异地参保"
            py.evidence = f"参保地 {p.area}，缴费日期 {p.pay_date}（{p.source} 第{p.row}行）"
            return
        reason, evidence = py.person.reason, py.person.evidence
        if clerk:
            reason = str(clerk.get("unenrolled_reason") or "") or reason
            evidence = str(clerk.get("evidence") or "") or evidence
        case = reasonable_reason(reason)
        if case and evidence:
            py.status, py.reason, py.evidence = REASONABLE, f"{case}（{reason}）" if reason != case else case, evidence
        elif case:
            py.note = f"未参保原因“{reason[:30]}”属合理化情形，但缺佐证材料，仍列动员参保〔{EVIDENCE_CLAUSE}〕"

    def _subsidy_of(self, py: PersonYear) -> None:
        pay = py.payment
        on = pay.pay_date if pay is not None else None
        counting, notes = [], []
        for s in py.spells:
            ok, why = rules.counts_for_subsidy(self.ctx, s.recognised, s.ended, on)
            if ok:
                counting.append(s)
            elif why:
                notes.append(f"{s.identity}：{why}")
        names = tuple(dict.fromkeys(s.identity for s in counting))
        contrib = self.contribution()
        py.contribution = contrib
        if names:
            r = self.subsidy(names)
            py.subsidy, py.identity = r.fen or 0, r.identity
            notes.append(self.subsidy_text(names, r))
            spell = next(s for s in counting if s.identity == r.identity)
            py.since, py.until = spell.recognised, spell.ended
            py.identity_from, _cite = rules.identity_benefit_from(self.ctx, spell.recognised)
        py.due = contrib - py.subsidy
        if pay is not None:
            py.route, py.route_text = self.route(py.subsidy, pay.paid, contrib)
            at_pay = tuple(dict.fromkeys(s.identity for s in py.spells if s.in_force(pay.pay_date)))
            py.benefit_start, py.benefit_text = self.benefit_start(at_pay, pay.pay_date, pay.case)
            if py.extra_payments:
                notes.append(f"另有 {py.extra_payments} 条本地居民医保缴费记录（见 yibao compare 重复资助）")
        py.note = "；".join(x for x in (py.note, *notes) if x)
