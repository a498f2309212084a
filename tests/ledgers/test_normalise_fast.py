"""normalise's fast paths (processor/ledgers/normalise.py, dates.py, flags.py) answer exactly as before.

The per-text caches (医疗类别, the repeating 镇街/村/医院/类别 texts), the inline float → fen, the marker
pre-check, the exact-word flags and the date fast path must give every row the same ClaimRow, or the
same refusal with the same message. The reference below is the previous code (commit ca5779b's
normalise.py, dates.parse_date, flags.parse_flag), copied verbatim but for names.
"""
from __future__ import annotations

import re
import sys
from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from processor.chain import Claim
from processor.errors import InputError
from processor.io.headers import label as _header_label
from processor.io.ids import person_of
from processor.io.reader import RawRow
from processor.io.safety import CELL_MARKERS, MergedCell, UncomputedFormula
from processor.ledgers.normalise import REQUIRED, EXTRA_KINDS, ClaimRow, _LABELS, _check_stay, normalise
from processor.money import _float_fen, parse_amount
from processor.rules.assistance import CLASS2_WORDS, KIND_ALIASES, is_class2

_EXCEL_EPOCH = date(1899, 12, 30)
_TEXT = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
from processor.flags import NO, YES  # noqa: E402


# ----------------------------------------------------------------------------- the reference (the old code)
def ref_parse_date(value, what: str = "日期", default: date | None = None) -> date:
    if value is None or (isinstance(value, str) and not value.strip()):
        if default is not None:
            return default
        raise InputError(f"缺少{what}")
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise InputError(f"{what}无效：{value}")
    if isinstance(value, (int, float)):
        if not (1 <= value < 2958466):
            raise InputError(f"{what}无效：{value}")
        return _EXCEL_EPOCH + timedelta(days=int(value))
    text = str(value).strip()
    m = _TEXT.match(text)
    if m and m[4] is not None and not (int(m[4]) <= 23 and int(m[5]) <= 59 and int(m[6] or 0) <= 59):
        raise InputError(f"{what}的时间无效：{text[:20]}（时 0–23，分、秒 0–59）")
    m = m or _COMPACT.match(text)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            pass
    raise InputError(f"{what}无效：{text[:20]}（请写成 2022-06-30）")


def ref_parse_flag(value, what: str, default: bool = True) -> bool:
    """是/否 → bool; an empty cell gives ``default``; anything else is an :class:`InputError`."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        if value in (0, 1):
            return bool(value)
        raise InputError(f"{what}应填 是/否")
    text = str(value).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise InputError(f"{what}应填 是/否：{str(value).strip()[:10]}")


def _text(v) -> str:
    if v.__class__ is str:  # the reader hands over stripped text (or None for an empty cell)
        return v.strip()
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip()


def _ref_shared(v) -> str:
    """Text that repeats down a column (镇街, 村, 医院, 类别): one string object for all its rows."""
    return sys.intern(_text(v))


_flag = ref_parse_flag


def _ref_money(values: dict, key: str, what: str, required: bool = False) -> int | None:
    v = values.get(key)
    if v.__class__ is float:  # Excel's numbers: the exact fast path of parse_amount
        fen = _float_fen(v)
        if fen is not None:
            return fen
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            raise InputError(f"缺少{what}")
        return None
    return parse_amount(v, what, allow_negative=True)


def ref_kind_of(text) -> str:
    key = _text(text).replace(" ", "")
    if not key:
        raise InputError("缺少医疗类别")
    kind = KIND_ALIASES.get(key) or EXTRA_KINDS.get(key)
    if kind is None:
        if is_class2(key):
            return "门诊慢特病"
        raise InputError(f"未知医疗类别：{key[:20]}")
    return kind


def ref_normalise(row: RawRow, has_kind_column: bool) -> ClaimRow:
    """Raises :class:`InputError` with the reason the row is rejected."""
    v = row.values
    for key, x in v.items():
        if x.__class__ in CELL_MARKERS:  # error value, formula without result, merged amount/ID
            raise InputError(x.reason(_header_label(key)))
    for key in REQUIRED:
        x = v.get(key)
        if x is None or (x.__class__ is str and not x.strip()):
            raise InputError(f"缺少必填项：{_LABELS[key]}")
    sid = _text(v["settlement_id"])
    settled = ref_parse_date(v["settlement_date"], "结算日期")
    id_number = person_of(v, settled).key  # GB 11643 checked, or a typed document / 人员编号 key
    kind = ref_kind_of(v.get("kind")) if has_kind_column else "住院"
    policy = _ref_money(v, "policy_cost", "政策范围内费用", True)
    basic = _ref_money(v, "basic_paid", "基本医保支付", True)
    total = _ref_money(v, "total_cost", "医疗费总额")
    if total is None:
        total = policy + (_ref_money(v, "self_funded", "全自费金额") or 0)
    crit = _ref_money(v, "critical_paid", "大病保险支付")
    out_cat = _ref_money(v, "out_of_catalog", "目录外费用") or 0
    above = _ref_money(v, "above_limit_selfpay", "限额以上个人自付")
    amounts = [x for x in (policy, basic, total, crit, out_cat, above) if x is not None]
    reversal = any(x < 0 for x in amounts)
    if reversal and any(x > 0 for x in amounts):
        raise InputError("金额正负混杂：冲销行的金额应全部为负数或零")
    if not reversal:
        if total < policy:
            raise InputError("医疗费总额小于政策范围内费用")
        if basic > policy:
            raise InputError("基本医保支付大于政策范围内费用")
        if crit is not None and basic + crit > policy:
            raise InputError("基本医保与大病保险支付之和大于政策范围内费用")
    admission = _ref_opt_date(v.get("admission_date"), "入院日期")
    discharge = _ref_opt_date(v.get("discharge_date"), "出院日期")
    _check_stay(admission, discharge, settled)
    claim = Claim(settlement_id=sid, person=id_number, settled_on=settled, kind=kind, total_cost=total,
                  policy_cost=policy, basic_paid=basic, critical_paid=crit,
                  referral=_flag(v.get("referral"), "是否转诊"), in_province=_flag(v.get("in_province"), "是否省内"),
                  out_of_catalog=out_cat, hospital_class=_ref_shared(v.get("hospital_class")),
                  chronic_class2=has_kind_column and is_class2(v.get("kind")),
                  above_limit=above)
    return ClaimRow(
        source_row=row.source_row, claim=claim, category=_ref_shared(v.get("category")), name=_text(v["name"]),
        id_number=id_number, township=_ref_shared(v.get("township")), village=_ref_shared(v.get("village")),
        hospital=_ref_shared(v.get("hospital")),
        admission=admission, discharge=discharge,
        critical_export=crit, assist_export=_ref_money(v, "assistance_paid", "医疗救助"),
        tilt_export=_ref_money(v, "tilt_paid", "倾斜救助"), reversal=reversal)


def _ref_opt_date(v, what):
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    return ref_parse_date(v, what)




# ----------------------------------------------------------------------------- random rows
def _fake_id(body: str) -> str:
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, weights)) % 11]


IDS = [_fake_id("99927919640708372"), _fake_id("99910020010101123"), "99927919640708372X", "abc", None, "",
       f" {_fake_id('99927919640708372')} "]
WORDS = sorted(set(KIND_ALIASES) | set(CLASS2_WORDS) | set(EXTRA_KINDS)) + [
    " 住院 ", "Ⅱ类门诊特殊慢性病", "II类门诊特殊慢性病 ", "门诊慢特病（II类）", "未知类别", "住 院"]
FLAGS = sorted(YES | NO) + [" 是 ", "Y", "YES", "True", "", "  ", "不知道", None, True, False, 0, 1, 1.0, 2, 0.5]
TEXTS = ["凤城镇", " 凤城镇 ", "东山村", "县人民医院", "一类", "县级二类及三类", "低保", "低保、特困人员", "", "  ", None,
         12.0, 3]
DATES = [date(2022, 6, 30), datetime(2022, 6, 30, 8, 30), 44742.0, 44742, "2022-06-30", "2022/6/30 10:00",
         "20220630", "2022-13-01", "明天", "", None, True, 0]
MARKERS = [MergedCell("N3:N4"), UncomputedFormula(""), CELL_MARKERS[0]("#N/A")]


def amount():
    return st.one_of(
        st.integers(-5_000_000, 10_000_000).map(lambda f: f / 100),     # Excel's numbers, to the fen
        st.sampled_from([1.005, 0.015, 2.675, -0.0, 1e300, float("nan"), float("inf"), 1e9, 1e9 + 1]),
        st.integers(-100_000, 1_000_000),
        st.sampled_from(["1,234.50", " 12 ", "１２３", "123元", "一千二", "", "  ", "-5", "1e3", None]),
    )


AMOUNT_KEYS = ("total_cost", "self_funded", "policy_cost", "basic_paid", "critical_paid", "out_of_catalog",
               "above_limit_selfpay", "assistance_paid", "tilt_paid")


def mostly(good, others):
    """``good`` three times in four, else one of ``others``."""
    return st.integers(0, 3).flatmap(lambda n: st.just(good) if n else st.sampled_from(others))


@st.composite
def rows(draw):
    values = {
        "settlement_id": draw(mostly("JS1", [" JS2 ", "", None, 123.0, 7])),
        "name": draw(mostly("张三", [" 李四 ", "", None])),
        "id_number": draw(mostly(IDS[0], IDS)),
        "category": draw(st.sampled_from(TEXTS)),
        "township": draw(st.sampled_from(TEXTS)),
        "village": draw(st.sampled_from(TEXTS)),
        "hospital": draw(st.sampled_from(TEXTS)),
        "hospital_class": draw(st.sampled_from(TEXTS)),
        "kind": draw(st.sampled_from([*WORDS, None, 1.0])),
        "referral": draw(mostly("是", FLAGS)),
        "in_province": draw(mostly("是", FLAGS)),
        "settlement_date": draw(mostly(date(2022, 6, 30), DATES)),
        "admission_date": draw(mostly(None, [date(2022, 6, 20), *DATES])),
        "discharge_date": draw(mostly(None, [date(2022, 6, 30), *DATES])),
    }
    policy = draw(st.integers(0, 5_000_000))
    basic = draw(st.integers(0, policy))
    sign = draw(st.sampled_from([1, 1, 1, -1]))
    values["policy_cost"], values["basic_paid"] = sign * policy / 100, sign * basic / 100
    values["total_cost"] = sign * (policy + draw(st.integers(0, 100_000))) / 100
    for key in AMOUNT_KEYS:
        if draw(st.integers(0, 5)) == 0:
            values[key] = draw(amount())
    for key in list(values):
        if draw(st.integers(0, 40)) == 0:
            del values[key]            # a column the export does not have
    if draw(st.integers(0, 20)) == 0:
        values[draw(st.sampled_from(sorted(values) or ["kind"]))] = draw(st.sampled_from(MARKERS))
    return RawRow(draw(st.integers(3, 100_000)), values), draw(st.booleans())


def _outcome(fn, *args):
    try:
        return fn(*args)
    except InputError as err:
        return ("InputError", err.message)


@given(st.lists(rows(), min_size=1, max_size=5))
@hsettings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_normalise_equals_the_old_one(batch):
    for row, has_kind in batch:
        got = _outcome(normalise, row, has_kind)
        want = _outcome(ref_normalise, row, has_kind)
        assert got == want, row.values
        if isinstance(got, ClaimRow):  # the same text, and the same shared string object down a column
            assert got.township is sys.intern(got.township) and got.category is sys.intern(got.category)


@given(st.sampled_from(FLAGS + [" 否", "NO", "×"]))
def test_flags_equal_the_old_ones(value):
    from processor.flags import parse_flag
    assert _outcome(parse_flag, value, "是否转诊") == _outcome(ref_parse_flag, value, "是否转诊")


@given(st.sampled_from(DATES) | st.dates() | st.datetimes() | st.floats(-10, 3e6) | st.text(max_size=12))
def test_dates_equal_the_old_ones(value):
    from processor.dates import parse_date
    assert _outcome(parse_date, value, "结算日期") == _outcome(ref_parse_date, value, "结算日期")
