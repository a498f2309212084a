"""Money: integer fen inside, Decimal for rates, one rounding rule.

Every amount the engine handles is an ``int`` number of fen (分). Rates are ``Decimal``.
A product of a rate and an amount is a ``Decimal`` number of fen and becomes money again only
through :func:`round_fen` — the one rounding rule (half-up, to the fen). :func:`round_ratio` is the same
rule for an exact fraction of fen kept as two integers (share_of, 大病保险's bands): tested equal to it.
"""
from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .errors import InputError

FEN_PER_YUAN = 100
_ONE = Decimal(1)

# An amount no medical bill reaches: a larger number is a mistyped or misaligned cell (an ID number
# pasted into an amount column, 1e300), not money. It also keeps fen exact in Excel's 15 digits.
# The one limit for the Excel functions and the batch (parse_amount).
MAX_YUAN = 1_000_000_000
_TOO_LARGE = f"超出范围（超过{MAX_YUAN // 100_000_000}亿元），请核对（是否误填了证件号等）"


def round_fen(value: Decimal | int) -> int:
    """THE rounding rule: a Decimal number of fen → int fen, half-up (四舍五入到分)."""
    if isinstance(value, int):
        return value
    return int(value.quantize(_ONE, rounding=ROUND_HALF_UP))


def share_of(fen: int, rate: Decimal) -> int:
    """``round_fen(fen * rate)``: a rate's share of an amount, half-up to the fen — the same answer,
    without building a Decimal (the batch computes it several times a claim).

    With rate = n/d exactly (Decimal.as_integer_ratio), the share is the fraction fen·n/d rounded half-up
    (ties away from zero, as ROUND_HALF_UP). The Decimal product is exact as well when it has at most 28
    digits, which |fen| < 10**15 and a rate of at most 12 digits guarantee; outside that (no amount or
    policy rate comes near) the Decimal path itself is taken, so the answer is round_fen's in every case."""
    ratio = _RATIOS.get(rate)
    if ratio is None:
        if not (isinstance(rate, Decimal) and rate.is_finite() and len(rate.as_tuple().digits) <= 12):
            return round_fen(fen * rate)
        ratio = rate.as_integer_ratio()
        if len(_RATIOS) < 1024:
            _RATIOS[rate] = ratio
    if not -10**15 < fen < 10**15:
        return round_fen(fen * rate)
    n, d = ratio
    return round_ratio(fen * n, d)


def round_ratio(num: int, den: int) -> int:
    """``round_fen`` of the exact fraction num/den of fen (den > 0), in integers: half-up, ties away from
    zero as ROUND_HALF_UP. The same rule as round_fen, for amounts the batch computes as exact fractions
    (share_of; 大病保险's bands, rules.critical) without building Decimals
    (tests/rules/test_critical_fractions.py, tests/test_money_share.py)."""
    x = 2 * num
    return (x + den) // (2 * den) if x >= 0 else -((den - x) // (2 * den))


_RATIOS: dict[Decimal, tuple[int, int]] = {}


def yuan_to_fen(value: Decimal | int | str) -> int:
    """Exact yuan (Decimal, int or a decimal string) → fen, half-up to the fen."""
    if isinstance(value, str):
        value = Decimal(value)
    return round_fen(Decimal(value) * FEN_PER_YUAN)


def fen_to_yuan(fen: int) -> Decimal:
    """int fen → Decimal yuan with two places (for output cells and messages)."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def format_yuan(fen: int) -> str:
    """int fen → '12,345.67' (for traces and messages); integer arithmetic only."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), FEN_PER_YUAN)
    return f"{sign}{whole:,}.{cents:02d}"


def fen_to_float(fen: int) -> float:
    """int fen → the float Excel shows as that amount (fen / 100 is correctly rounded, so 123456 →
    1234.56 exactly as typed). Only for handing a final amount to Excel; never computed on."""
    return fen / FEN_PER_YUAN


_NUMBER_TEXT = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def parse_amount(value, what: str = "金额", allow_negative: bool = False) -> int:
    """A money value as Excel or an export hands it over → int fen.

    Accepts int, float (Excel's numbers; converted through ``repr`` so 0.1 stays 0.1),
    Decimal, and numbers stored as text ('1,234.50', ' 12 ', '１２３', '123元').
    ``None`` and '' are not amounts: callers decide what an empty cell means.
    An amount above :data:`MAX_YUAN` (either sign) is refused as a misplaced value.
    Raises :class:`InputError` with a Chinese message on anything else.
    """
    if isinstance(value, bool):
        raise InputError(f"{what}不是数字：{value}")
    if isinstance(value, int):
        dec = Decimal(value)
    elif isinstance(value, float):
        if math.isnan(value) or math.isinf(value):
            raise InputError(f"{what}不是有效数字")
        fen = _float_fen(value)
        if fen is not None:
            if fen < 0 and not allow_negative:
                raise InputError(f"{what}不能为负数：{fen_to_yuan(fen)}")
            return fen
        dec = Decimal(repr(value))
    elif isinstance(value, Decimal):
        dec = value
    elif isinstance(value, str):
        text = _normalise_number_text(value)
        if not _NUMBER_TEXT.match(text):
            raise InputError(f"{what}不是数字：{value.strip()[:20]}")
        try:
            dec = Decimal(text)
        except InvalidOperation:  # pragma: no cover - guarded by the regex
            raise InputError(f"{what}不是数字：{value.strip()[:20]}") from None
    else:
        raise InputError(f"{what}不是数字：{value!r}"[:60])
    if not dec.is_finite():
        raise InputError(f"{what}不是有效数字")
    if dec > MAX_YUAN or dec < -MAX_YUAN:  # exact comparison: no context, so 1e300 cannot overflow here
        raise InputError(what + _TOO_LARGE)
    fen = round_fen(dec * FEN_PER_YUAN)
    if fen < 0 and not allow_negative:
        raise InputError(f"{what}不能为负数：{fen_to_yuan(fen)}")
    return fen


def _float_fen(value: float) -> int | None:
    """Fast exact path for Excel's numbers. When value × 100 lies within 0.001 of an integer n and
    |value| < 2**40, the decimal that ``repr(value)`` shows, times 100, is within 0.03 of n, so its
    half-up rounding is n: the same answer as the Decimal path, without building a Decimal.
    Anything else (half-fen values such as 1.005) goes through Decimal(repr(value)); so does anything
    beyond ±MAX_YUAN (< 2**40), where parse_amount refuses it."""
    if -MAX_YUAN <= value <= MAX_YUAN:
        scaled = value * 100
        n = round(scaled)
        if -0.001 < scaled - n < 0.001:
            return n
    return None


def _normalise_number_text(text: str) -> str:
    # full-width digits and punctuation → ASCII; drop thousands separators, spaces and a unit.
    text = text.strip().translate(_FULLWIDTH)
    text = text.replace(",", "").replace(" ", "").replace("\u00a0", "")
    for unit in ("元", "￥", "¥"):
        text = text.replace(unit, "")
    return text


_FULLWIDTH = str.maketrans("０１２３４５６７８９．－＋，", "0123456789.-+,")


def parse_rate(value: str | int | Decimal) -> Decimal:
    """'75%' / '0.75' / Decimal → Decimal fraction. Used by the policy loader only."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    text = str(value).strip()
    if text.endswith("%"):
        return Decimal(text[:-1]) / 100
    return Decimal(text)
