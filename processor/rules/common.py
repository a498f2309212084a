"""What every calculator shares: resolving cited values (with local settings) into fen and rates.

``Ctx`` is the calculators' only view of the world: the policy values in force on the settlement
date and the local settings. Calculators never read files.
"""
from __future__ import annotations

import weakref
from dataclasses import dataclass
from decimal import Decimal

from ..book import UNLIMITED, Amount, FromSetting, Param, PolicyView, Share, Unlimited
from ..errors import BeyondCap, InputError, SettingMissing
from ..money import format_yuan, round_fen
from ..settings import PREVIOUS_YEAR_KEYS, Settings
from ..trace import Step

ZERO = Decimal(0)


@dataclass
class Ctx:
    view: PolicyView
    settings: Settings

    @property
    def region(self) -> str:
        return self.view.region.name

    @property
    def year(self) -> int:
        return self.view.on.year

    # ------------------------------------------------------------------ settings
    def setting(self, key: str, param: Param):
        year = self.year - 1 if key in PREVIOUS_YEAR_KEYS else self.year
        return self.settings.get(self.region, key, year, needed_by=str(param.citation))

    # ------------------------------------------------------------------ memo
    def __post_init__(self):
        # Values derived from the policy and the settings only (not from a claim) are computed once
        # per (policy view, Settings object). Weakly keyed: a new Settings never sees a dead one's.
        per_settings = self.view.cache.get("memo")
        if per_settings is None:
            per_settings = self.view.cache["memo"] = weakref.WeakKeyDictionary()
        mine = per_settings.get(self.settings)
        if mine is None:
            mine = per_settings[self.settings] = {}
        self._memo = mine

    def memo(self, key, compute, *args):
        """``compute(*args)``, once per ``key`` (which must name everything the value depends on besides the
        policy version, the year and the settings)."""
        try:
            return self._memo[key]
        except KeyError:
            value = self._memo[key] = compute(*args)
            return value

    # ------------------------------------------------------------------ values
    def money(self, param: Param, value=None, steps: list | None = None, label: str = "") -> int | None:
        """A money value → fen, or ``None`` for no limit. Appends a step explaining it."""
        value = param.value if value is None else value
        fen, step = self.memo(("money", param.key, id(value), label), self._money, param, value, label)
        if steps is not None and step is not None:
            steps.append(step)
        return fen

    def _money(self, param: Param, value, label: str):
        if isinstance(value, Amount):
            return value.fen, (Step(f"{label}：{format_yuan(value.fen)} 元", param.citation) if label else None)
        if isinstance(value, Unlimited):
            return None, (Step(f"{label}：不设限额", param.citation) if label else None)
        if isinstance(value, Share):
            s = self.setting(value.of, param)
            fen = round_fen(Decimal(s.value) * value.rate)
            text = (f"{label}：{s.region} {s.year}年{s.label} {format_yuan(s.value)} × {_pct(value.rate)}"
                    f" = {format_yuan(fen)} 元")
            return fen, Step(text, param.citation, s.source_text())
        if isinstance(value, FromSetting):
            s = self.setting(value.key, param)
            if value.at_least:
                floor = self.setting(value.at_least, param)
                if s.value < floor.value:
                    raise SettingMissing(
                        f"本地设置 {s.region} {s.year}年「{s.label}」{format_yuan(s.value)} 元低于"
                        f"{floor.year}年{floor.label} {format_yuan(floor.value)} 元，不符合 {param.citation}")
            return s.value, Step(f"{label or s.label}：{format_yuan(s.value)} 元（本地设置）",
                                 param.citation, s.source_text())
        raise TypeError(value)  # pragma: no cover - the loader only produces the types above

    def rate(self, param: Param, value=None, steps: list | None = None) -> Decimal:
        value = param.value if value is None else value
        if isinstance(value, FromSetting):
            s = self.setting(value.key, param)
            if steps is not None:
                steps.append(Step(f"{s.label}：{_pct(s.value)}（本地设置）", param.citation, s.source_text()))
            return s.value
        return value


def _pct(rate: Decimal) -> str:
    text = f"{(rate * 100).normalize():f}"
    return f"{text}%"


pct = _pct


def points(rate: Decimal) -> str:
    """A rate increase as the documents write it: Decimal("0.05") → '5' in '提高5个百分点'."""
    return f"{(rate * 100).normalize():f}"


def above_line(ytd: int, amount: int, line: int) -> int:
    """The part of this amount that lies above an annual line, given the year's total before it:
    max(0, ytd + amount − max(ytd, line)), written without the two max() calls (a claim reaches it twice in
    赣州; tests/test_money.py checks it against that formula)."""
    top = ytd + amount
    base = ytd if ytd > line else line
    return top - base if top > base else 0


def within_cap(raw: int, cap: int | None, ytd_paid: int, what: str) -> int:
    """Limit a payment to what is left of an annual cap. ``ytd_paid`` beyond the cap is an input error."""
    if cap is None:
        return raw
    if ytd_paid > cap:
        raise BeyondCap(f"{what}年度累计已支付 {format_yuan(ytd_paid)} 元，超过年度限额 {format_yuan(cap)} 元，请核对累计数")
    return min(raw, cap - ytd_paid)


def require_nonneg(value: int, what: str) -> int:
    if value < 0:
        raise InputError(f"{what}不能为负数")
    return value


__all__ = ["Ctx", "above_line", "within_cap", "pct", "UNLIMITED", "ZERO", "round_fen", "format_yuan", "Step"]
