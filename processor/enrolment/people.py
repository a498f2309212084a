"""Rosters and payment records → persons and payments, or a rejected row with its reason.

Rows come from :func:`processor.io.reader.read_export` with the column sets
``ROSTER_COLUMNS`` / ``PAYMENT_COLUMNS`` (same safety scan, header aliases, blank/合计 rows); persons are
keyed by :func:`processor.io.ids.person_of` (GB 11643). Every data row ends in exactly one of
``used`` and ``rejected``. Money is int fen (:func:`processor.money.parse_amount`).
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from ..book import Region
from ..dates import parse_date
from ..errors import InputError, YibaoError
from ..identities import resolve
from ..io.ids import DOC_TYPES, RESIDENT as ID_RESIDENT, person_of
from ..io.reader import ExportTable
from ..io.safety import CELL_MARKERS
from ..money import parse_amount

RESIDENT = "居民"
EMPLOYEE = "职工"
_SCHEMES = {
    RESIDENT: ("居民", "城乡居民", "城乡居民医保", "居民医保", "城乡居民基本医疗保险", "城乡居民基本医疗保险费",
               "城镇居民", "城镇居民基本医疗保险", "新农合", "390"),
    EMPLOYEE: ("职工", "职工医保", "职工基本医疗保险", "城镇职工", "城镇职工基本医疗保险", "城镇职工医保",
               "职工基本医疗保险费", "灵活就业", "灵活就业人员", "310"),
}
SCHEME_OF = {alias: canon for canon, aliases in _SCHEMES.items() for alias in aliases}

DEPARTMENTS = ("民政", "乡村振兴", "退役军人", "卫健", "残联", "扶贫", "税务", "医保")

# 合理化未参保 (西秀 区医保发〔2021〕40号 一(一): "因合理化原因未在户籍地参保……佐证资料要做到清晰且依据充分"):
# what a clerk's 未参保原因 text means. The documents name no list; these are the cases the 江西 13号 二(二)
# exempt cases and the clerks' ledgers show (职工医保, 异地参保, 服兵役, 服刑, 死亡, 出国（境）).
_REASONABLE = (
    ("参加职工医保", re.compile(r"职工")),
    ("异地参保", re.compile(r"异地|外地|省外|区外|县外|市外|外省|他处|户籍地外")),
    ("服兵役", re.compile(r"参军|兵役|服役|现役|入伍|军人")),
    ("服刑", re.compile(r"服刑|在押|羁押|监狱")),
    ("死亡", re.compile(r"死亡|去世|已故|亡故|注销户口")),
    ("出国（境）", re.compile(r"出国|出境|国外|境外|定居海外")),
)


def reasonable_reason(text: str) -> str | None:
    """The reasonable-non-enrolment case a 未参保原因 text names, or None."""
    for name, pattern in _REASONABLE:
        if text and pattern.search(text):
            return name
    return None


@dataclass(slots=True)
class Reject:
    source: str
    row: int
    name: str
    id_number: str
    reason: str


@dataclass(slots=True)
class Spell:
    """One identity of one person from one roster row: in force from ``recognised`` to ``ended``."""
    identity: str          # canonical name in the region (or the text as written without a region)
    raw: str
    recognised: date
    ended: date | None
    department: str
    source: str
    row: int

    def in_force(self, on: date) -> bool:
        return self.recognised <= on and (self.ended is None or on <= self.ended)

    def overlaps(self, start: date, end: date) -> bool:
        return self.recognised <= end and (self.ended is None or self.ended >= start)


@dataclass(slots=True)
class Person:
    key: str
    name: str
    township: str
    village: str
    spells: list[Spell] = field(default_factory=list)
    reason: str = ""       # 未参保原因 from a roster
    evidence: str = ""     # 佐证材料 from a roster


@dataclass(slots=True)
class Payment:
    key: str
    name: str
    year: int
    scheme: str
    pay_date: date
    paid: int
    area: str
    local: bool
    subsidy_category: str
    subsidy_paid: int | None
    case: str
    source: str
    row: int


from ..ledgers.normalise import _shared, _text  # noqa: E402  (one reading of a text cell for every input)


def _check_markers(values: dict, columns: dict) -> None:
    for key, value in values.items():
        if value.__class__ in CELL_MARKERS:  # error value, formula without result, merged amount/ID
            raise InputError(value.reason(columns[key][0]))


_RESIDENT_SPELLINGS = frozenset(text for text, canon in DOC_TYPES.items() if canon == ID_RESIDENT)


def key_of(v: dict, known: dict[str, str]) -> str:
    """The person key of a row (:func:`person_of`), remembered per raw 居民身份证 text: a county's rosters and
    payment records name the same 200,000 people, and the same text always validates the same way.
    Only successes are remembered. Only rows whose 证件类型 is empty or a 居民身份证 spelling use the memo (their
    key depends on the number alone); any other type always goes through :func:`person_of`."""
    raw = v.get("id_number")
    id_type = v.get("id_type")
    if raw.__class__ is not str or (id_type is not None and id_type not in _RESIDENT_SPELLINGS):
        return person_of(v).key
    key = known.get(raw)
    if key is None:
        key = known[raw] = person_of(v).key
    return key


def department_of(path: Path, value: str = "") -> str:
    """The recognising department: the row's 认定部门, else a department named in the file name."""
    if value:
        return value
    stem = path.stem
    for d in DEPARTMENTS:
        if d in stem:
            return d
    return stem


def read_rosters(tables: list[ExportTable], region: Region | None, year: int | None,
                 persons: dict[str, Person], rejects: list[Reject], known: dict[str, str] | None = None) -> int:
    """Add every roster row to ``persons`` (by person key) or ``rejects``; returns the rows used.

    With a region, identities are resolved to the region's canonical names in the policy in force
    in ``year`` (its first day with a policy); a row naming several (西秀 脱贫不稳定户) gives a spell each."""
    from ..io.headers import ROSTER_COLUMNS
    view = None
    if region is not None:
        from ..engine import Engine
        view = Engine().ctx_for_year(region.name, year).view
    used = 0
    known = {} if known is None else known
    for table in tables:
        source = table.path.name
        for raw in table.rows:
            v = raw.values
            name = _text(v.get("name"))
            try:
                _check_markers(v, ROSTER_COLUMNS)
                key = key_of(v, known)
                raw_cat = _text(v.get("category"))
                if not raw_cat:
                    raise InputError("缺少人员类别")
                recognised = parse_date(v.get("recognised_on"), "认定日期")
                ended_v = v.get("ended_on")
                ended = None if ended_v is None or _text(ended_v) == "" else parse_date(ended_v, "取消日期")
                if ended is not None and ended < recognised:
                    raise InputError(f"取消日期 {ended} 早于认定日期 {recognised}")
                names = resolve(view, raw_cat) if view is not None else (raw_cat,)
                if not names:
                    raise InputError(f"人员类别“{raw_cat[:20]}”是普通参保人，不是资助对象身份")
            except YibaoError as err:
                rejects.append(Reject(source, raw.source_row, name, _text(v.get("id_number")), err.message))
                continue
            dept = sys.intern(department_of(table.path, _text(v.get("department"))))
            person = persons.get(key)
            if person is None:
                person = persons[key] = Person(key, name, _shared(v.get("township")), _shared(v.get("village")))
            else:  # a later row fills what an earlier one left empty
                person.township = person.township or _shared(v.get("township"))
                person.village = person.village or _shared(v.get("village"))
                person.name = person.name or name
            reason, evidence = _text(v.get("unenrolled_reason")), _text(v.get("evidence"))
            if reason:
                person.reason, person.evidence = reason, evidence or person.evidence
            for n in names:
                person.spells.append(Spell(n, raw_cat, recognised, ended, dept, source, raw.source_row))
            used += 1
    return used


def _year(value) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() \
            and 1900 < value < 3000:
        return int(value)
    text = _text(value).removesuffix("度").removesuffix("年")
    if text.isdecimal() and len(text) == 4:
        return int(text)
    if value is None or text == "":
        raise InputError("缺少参保年度")
    raise InputError(f"参保年度无效：{text[:10]}（请写 2022）")


def is_local(region: Region | None, area: str) -> bool:
    """An empty 参保地, or one naming the region, is the region itself."""
    if not area or region is None:
        return True
    if area in (region.name, region.full_name, *region.aliases):
        return True
    return any(a in area for a in (region.name, *region.aliases))


def read_payments(table: ExportTable, region: Region | None, rejects: list[Reject],
                  known: dict[str, str] | None = None) -> list[Payment]:
    """``known``: the raw-ID memo of :func:`key_of`, shared with :func:`read_rosters` in one run."""
    from ..io.headers import PAYMENT_COLUMNS
    out: list[Payment] = []
    known = {} if known is None else known
    source = table.path.name
    view_cache: dict[int, object] = {}
    for raw in table.rows:
        v = raw.values
        name = _text(v.get("name"))
        try:
            _check_markers(v, PAYMENT_COLUMNS)
            key = key_of(v, known)
            year = _year(v.get("year"))
            scheme_text = _text(v.get("scheme")) or "城乡居民基本医疗保险"
            scheme = SCHEME_OF.get(scheme_text.replace(" ", ""))
            if scheme is None:
                raise InputError(f"未知险种：{scheme_text[:20]}（应为 城乡居民基本医疗保险 或 职工基本医疗保险）")
            pay_date = parse_date(v.get("pay_date"), "缴费日期")
            paid = parse_amount(v.get("paid"), "个人缴费金额") if v.get("paid") is not None else None
            if paid is None:
                raise InputError("缺少个人缴费金额")
            sub_v = v.get("subsidy_paid")
            subsidy_paid = parse_amount(sub_v, "代缴金额") if sub_v is not None and _text(sub_v) != "" else None
            cat = _text(v.get("subsidy_category"))
            if cat and region is not None:
                view = view_cache.get(year)
                if view is None:
                    from ..engine import Engine
                    view = view_cache[year] = Engine().ctx_for_year(region.name, year).view
                cat = "、".join(resolve(view, cat))
            area = _shared(v.get("insured_area"))
        except YibaoError as err:
            rejects.append(Reject(source, raw.source_row, name, _text(v.get("id_number")), err.message))
            continue
        out.append(Payment(key, name, year, scheme, pay_date, paid, area, is_local(region, area), cat,
                           subsidy_paid, _text(v.get("case")), source, raw.source_row))
    return out
