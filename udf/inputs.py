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
    # parse_amount refuses an amount above processor.money.MAX_YUAN (10亿元), as it does in the batch
    return parse_amount(value, what)


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
