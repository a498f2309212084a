"""Yes/no cells (是否转诊, 是否省内) as Excel and exports write them; shared by the Excel functions
and the batch so a cell means the same in both."""
from __future__ import annotations

from .errors import InputError

YES = frozenset({"是", "y", "yes", "true", "1", "√", "转诊", "已转诊", "按规定转诊",
                 "省内", "省内就医", "本地", "市内", "县内"})
NO = frozenset({"否", "n", "no", "false", "0", "×", "未转诊", "未按规定转诊", "省外", "省外就医", "跨省"})


def parse_flag(value, what: str, default: bool = True) -> bool:
    """是/否 → bool; an empty cell gives ``default``; anything else is an :class:`InputError`."""
    if value.__class__ is str:  # a word exactly as listed (是, 否 …): what the lines below would answer
        exact = _EXACT.get(value)
        if exact is not None:
            return exact
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


_EXACT = {**dict.fromkeys(YES, True), **dict.fromkeys(NO, False)}
