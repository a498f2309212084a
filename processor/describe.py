"""Human-readable (Chinese) text of policy values, for `yibao policy show` and the 政策依据 sheet."""
from __future__ import annotations

from decimal import Decimal

from .book import Amount, FromSetting, Param, Share, Unlimited
from .money import format_yuan
from .rules.common import pct
from .settings import SETTING_KEYS


def value_text(v) -> str:
    if isinstance(v, Amount):
        return f"{format_yuan(v.fen)} 元"
    if isinstance(v, Unlimited):
        return "不设限额"
    if isinstance(v, Share):
        return f"上年度{SETTING_KEYS[v.of].label} × {pct(v.rate)}"
    if isinstance(v, FromSetting):
        text = f"本地设置「{SETTING_KEYS[v.key].label}」"
        return text + (f"（不低于{SETTING_KEYS[v.at_least].label}）" if v.at_least else "")
    if isinstance(v, Decimal):
        return pct(v)
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, tuple) and v and isinstance(v[0], tuple):  # bands
        return "；".join(f"{'≤' + value_text(up) if not isinstance(up, Unlimited) else '以上'} {value_text(r)}" for up, r in v)
    if isinstance(v, (tuple, list)):
        return "、".join(value_text(x) for x in v)
    if isinstance(v, dict):
        if "method" in v:
            m = v["method"]
            if m == "full":
                return "全额资助个人缴费"
            if m == "none":
                return "不资助"
            if m == "fixed":
                return f"定额 {value_text(v['amount'])}"
            floor = f"，不低于 {value_text(v['floor'])}" if v.get("floor") else ""
            return f"个人缴费 × {pct(v['rate'])}{floor}"
        if "basis" in v:
            basis = "单次自付" if v["basis"] == "visit" else "年度累计自付"
            who = "所有参保人" if v["tag"] == "*" else v["tag"]
            return f"{who}{basis}超过 {value_text(v['line'])}"
        if "target" in v:
            return f"{v['kind']}单次综合支付比例不足 {pct(v['target'])} 的救助到 {pct(v['target'])}" + \
                   ("（限省内）" if v["in_province"] else "")
        return "；".join(f"{k} {value_text(x)}" for k, x in v.items())
    return str(v)


def param_row(p: Param) -> tuple[str, str, str, str, str, str]:
    """(key, value text, 文号, 条款, 有效期, 说明)"""
    end = "" if p.end.year == 9999 else str(p.end)
    return (p.key, value_text(p.value), p.citation.doc, p.citation.clause, f"{p.start}~{end}", p.note)
