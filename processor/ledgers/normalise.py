"""Raw export rows → claims, or a rejection with its reason (nothing is dropped silently)."""
from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import date

from ..chain import Claim
from ..dates import parse_date
from ..errors import InputError
from ..flags import parse_flag
from ..io.headers import label as _header_label
from ..io.ids import person_of
from ..io.reader import RawRow
from ..io.safety import CELL_MARKERS
from ..money import MAX_YUAN, parse_amount
from ..rules.assistance import KIND_ALIASES, is_class2

# 证件号码 is checked by io.ids.person_of (an export may key persons by 人员编号 instead)
REQUIRED = ("settlement_id", "name", "settlement_date", "policy_cost", "basic_paid")
# the columns an export must have, checked before computing (io.reader.require_columns); a tuple is
# satisfied by any one of its keys (io.ids.person_of keys a person by 人员编号 when there is no 证件号码)
REQUIRED_COLUMNS = (("id_number", "person_no"), *REQUIRED)
EXTRA_KINDS = {"普通门诊": "普通门诊", "门诊": "普通门诊", "门诊统筹": "普通门诊", "普通门诊统筹": "普通门诊",
               "药店购药": "普通门诊"}


@dataclass(slots=True)
class ClaimRow:
    """A claim with what the ledger shows besides the computation. A value, like :class:`Claim` (not frozen
    for the same reason; tests/ledgers/test_claims_unchanged.py)."""
    source_row: int
    claim: Claim
    category: str
    name: str
    id_number: str
    township: str
    village: str
    hospital: str
    admission: date | None
    discharge: date | None
    critical_export: int | None
    assist_export: int | None
    tilt_export: int | None
    reversal: bool
    source: int = 0  # which input file (0: the first) when a run reads several


def _text(v) -> str:
    if v.__class__ is str:  # the reader hands over stripped text (or None for an empty cell)
        return v.strip()
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _shared(v) -> str:
    """Text that repeats down a column (镇街, 村, 医院, 类别): one string object for all its rows."""
    hit = _SHARED.get(v) if v.__class__ is str else None
    if hit is None:
        hit = sys.intern(_text(v))
        if v.__class__ is str and len(_SHARED) < _SEEN_MAX:
            _SHARED[v] = hit
    return hit


# Cell text → what it normalises to, for texts that repeat down a column (a handful of 医疗类别, the towns,
# villages and hospitals of a county): looked up once per distinct text, not once per row. Bounded: a file
# of all-different texts is normalised row by row as before.
_SEEN_MAX = 50_000
_SHARED: dict[str, str] = {}
_KINDS: dict = {}


_flag = parse_flag


def _money(values: dict, key: str, what: str, required: bool = False) -> int | None:
    v = values.get(key)
    if v.__class__ is float and -MAX_YUAN <= v <= MAX_YUAN:  # Excel's numbers: money._float_fen, inline
        scaled = v * 100
        n = round(scaled)
        if -0.001 < scaled - n < 0.001:
            return n
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise InputError(f"缺少{what}")
        return None
    return parse_amount(v, what, allow_negative=True)


def kind_of(text) -> str:
    key = _text(text).replace(" ", "")
    if not key:
        raise InputError("缺少医疗类别")
    kind = KIND_ALIASES.get(key) or EXTRA_KINDS.get(key)
    if kind is None:
        if is_class2(key):
            return "门诊慢特病"
        raise InputError(f"未知医疗类别：{key[:20]}")
    return kind


def _kind(value) -> tuple[str, bool]:
    """(kind_of(value), is_class2(value)) of a 医疗类别 cell."""
    key = value if value is None or value.__class__ is str else False
    hit = _KINDS.get(key) if key is not False else None
    if hit is None:
        hit = (kind_of(value), is_class2(value))
        if key is not False and len(_KINDS) < _SEEN_MAX:
            _KINDS[key] = hit
    return hit


_MARKERS = frozenset(CELL_MARKERS)


def normalise(row: RawRow, has_kind_column: bool) -> ClaimRow:
    """Raises :class:`InputError` with the reason the row is rejected."""
    v = row.values
    if not _MARKERS.isdisjoint(map(type, v.values())):
        for key, x in v.items():
            if x.__class__ in CELL_MARKERS:  # error value, formula without result, merged amount/ID
                raise InputError(x.reason(_header_label(key)))
    for key in REQUIRED:
        x = v.get(key)
        if x is None or (x.__class__ is str and not x.strip()):
            raise InputError(f"缺少必填项：{_LABELS[key]}")
    sid = _text(v["settlement_id"])
    settled = parse_date(v["settlement_date"], "结算日期")
    id_number = person_of(v, settled).key  # GB 11643 checked, or a typed document / 人员编号 key
    kind, class2 = _kind(v.get("kind")) if has_kind_column else ("住院", False)
    policy = _money(v, "policy_cost", "政策范围内费用", True)
    basic = _money(v, "basic_paid", "基本医保支付", True)
    total = _money(v, "total_cost", "医疗费总额")
    if total is None:
        total = policy + (_money(v, "self_funded", "全自费金额") or 0)
    crit = _money(v, "critical_paid", "大病保险支付")
    out_cat = _money(v, "out_of_catalog", "目录外费用") or 0
    above = _money(v, "above_limit_selfpay", "限额以上个人自付")
    amounts = [policy, basic, total, out_cat]  # policy, basic and total are never None here
    if crit is not None:
        amounts.append(crit)
    if above is not None:
        amounts.append(above)
    reversal = min(amounts) < 0
    if reversal and max(amounts) > 0:
        raise InputError("金额正负混杂：冲销行的金额应全部为负数或零")
    if not reversal:
        if total < policy:
            raise InputError("医疗费总额小于政策范围内费用")
        if basic > policy:
            raise InputError("基本医保支付大于政策范围内费用")
        if crit is not None and basic + crit > policy:
            raise InputError("基本医保与大病保险支付之和大于政策范围内费用")
    admission = _opt_date(v.get("admission_date"), "入院日期")
    discharge = _opt_date(v.get("discharge_date"), "出院日期")
    _check_stay(admission, discharge, settled)
    claim = Claim(settlement_id=sid, person=id_number, settled_on=settled, kind=kind, total_cost=total,
                  policy_cost=policy, basic_paid=basic, critical_paid=crit,
                  referral=_flag(v.get("referral"), "是否转诊"), in_province=_flag(v.get("in_province"), "是否省内"),
                  out_of_catalog=out_cat, hospital_class=_shared(v.get("hospital_class")),
                  chronic_class2=class2,
                  above_limit=above)
    return ClaimRow(
        source_row=row.source_row, claim=claim, category=_shared(v.get("category")), name=_text(v["name"]),
        id_number=id_number, township=_shared(v.get("township")), village=_shared(v.get("village")),
        hospital=_shared(v.get("hospital")),
        admission=admission, discharge=discharge,
        critical_export=crit, assist_export=_money(v, "assistance_paid", "医疗救助"),
        tilt_export=_money(v, "tilt_paid", "倾斜救助"), reversal=reversal)


def _check_stay(admission: date | None, discharge: date | None, settled: date) -> None:
    """A stay is admitted before it is settled, and discharged no earlier than admitted (a day may hold
    all three). A discharge after the settlement date is accepted: a long stay may be settled in the
    middle (中途结算), the discharge coming later."""
    if admission is not None and admission > settled:
        raise InputError(f"入院日期 {admission} 晚于结算日期 {settled}")
    if discharge is not None and admission is not None and discharge < admission:
        raise InputError(f"出院日期 {discharge} 早于入院日期 {admission}")


def _opt_date(v, what):
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    return parse_date(v, what)


_LABELS = {"settlement_id": "结算ID", "id_number": "证件号码", "name": "姓名", "settlement_date": "结算日期",
           "policy_cost": "政策范围内费用（符合范围金额）", "basic_paid": "基本医保支付（统筹基金支出）"}
