"""Normalising what Excel hands over: floats, ``None`` for empty cells, numbers stored as text.

On Linux xlwings' decorators run no converter, and on Windows a cell may still hold text, so
every function normalises its own inputs here. No rule lives in this module.
"""
from __future__ import annotations

from datetime import date

from processor.dates import parse_date
from processor.errors import InputError
from processor.flags import parse_flag
from processor.money import parse_amount
from processor.rules.assistance import normalise_kind

# An amount no medical bill reaches: a larger number is a mistyped or misaligned cell (an ID number
# pasted into an amount column, 1e300), not money. It also keeps fen exact in Excel's 15 digits.
MAX_YUAN = 1_000_000_000
_MAX_FEN = MAX_YUAN * 100



def amount(value, what: str, required: bool = True) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError(f"缺少{what}")
        return 0
    return _parse(value, what)


def optional_amount(value, what: str) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return _parse(value, what)


def _parse(value, what: str) -> int:
    try:
        fen = parse_amount(value, what)
    except ArithmeticError:  # Decimal overflow on e.g. 1e300: a bad input, not a bug
        raise InputError(f"{what}数值过大，请核对") from None
    if fen > _MAX_FEN:
        raise InputError(f"{what}超过{MAX_YUAN // 100_000_000}亿元，请核对（是否误填了证件号等）")
    return fen


flag = parse_flag


def when(value) -> date:
    return parse_date(value, "结算日期", default=date.today())


def year(value) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return date.today().year
    if isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() and 1900 < value < 3000:
        return int(value)
    text = str(value).strip().removesuffix("度").removesuffix("年")  # 2022 / 2022年 / 2022年度
    if text.isdecimal() and len(text) == 4:
        return int(text)
    raise InputError(f"年度无效：{str(value)[:10]}（请写 2022）")


def kind(value) -> str:
    return normalise_kind(value)
