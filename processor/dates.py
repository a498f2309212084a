"""Dates as Excel and exports hand them over: date/datetime, Excel serial numbers, text."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from .errors import InputError

_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 (with Excel's 1900 leap-year quirk)
# a date, optionally followed by a time of day (validated: 00:00:00 to 23:59:59, the fraction ignored)
_TEXT = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


def parse_date(value, what: str = "日期", default: date | None = None) -> date:
    if value.__class__ is date:  # what a reader hands over for a date cell
        return value
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
