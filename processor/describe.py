"""Human-readable (Chinese) text of policy values, for `yibao policy show` and the 政策依据 sheet."""
from __future__ import annotations

from decimal import Decimal

from .book import Amount, FromSetting, Param, Share, Unlimited, period_text
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
    if v == "fund_or_card":
        return "只缴个人应缴部分的划入医保基金；已全额缴费的打入“一卡通”"
    if v == "beyond_assistance_cap":
        return "超出医疗救助年度限额之上的个人自付"
    if isinstance(v, tuple) and v and isinstance(v[0], tuple):  # bands, from the deductible up
        parts = []
        for i, (up, rate) in enumerate(v):
            start = "起付线" if i == 0 else ""
            reach = "以上" if isinstance(up, Unlimited) else f"至 {value_text(up)}"
            parts.append(f"{start}{reach} {value_text(rate)}")
        return "；".join(parts)
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


_LABELS = {
    "contribution": "个人缴费标准", "subsidy": "资助参保",
    "critical.deductible": "大病保险起付线", "critical.bands": "大病保险分段比例", "critical.cap": "大病保险年度最高支付限额",
    "critical.tilt.groups": "大病保险倾斜对象", "critical.tilt.deductible_factor": "大病倾斜起付线（占普通起付线）",
    "critical.tilt.rate_add": "大病倾斜比例提高（百分点）", "critical.tilt.deductible": "大病倾斜起付线",
    "critical.tilt.bands": "大病倾斜分段比例", "critical.tilt.cap": "大病倾斜年度最高支付限额",
    "critical.tilt.referral_required": "大病倾斜须按规定转诊",
    "assistance.kinds": "医疗救助费用类别", "assistance.rate": "医疗救助比例", "assistance.threshold": "医疗救助起付标准",
    "assistance.cap": "医疗救助年度限额", "assistance.topup": "综合支付比例兜底",
    "assistance.out_of_catalog_share": "目录外费用控制比例", "assistance.referral_required": "医疗救助须按规定转诊",
    "tilt.mode": "倾斜救助方式", "tilt.groups": "倾斜救助对象", "tilt.line": "倾斜救助起点", "tilt.rate": "倾斜救助比例",
    "tilt.cap": "倾斜救助年度限额", "tilt.referral_required": "倾斜救助须按规定转诊",
    "monitor": "监测", "waiting.exempt_group": "不设等待期的身份", "waiting.exempt_case": "不设等待期的情形",
    "waiting.exempt_subsidised": "资助参保对象不设等待期", "tilt.scope": "倾斜救助费用范围",
    "assistance.chronic_class2_above_limit": "II类门诊慢特病只救助限额以上部分",
    "cost_control.groups": "目录外费用超比例由医疗机构承担的对象",
    "waiting.collection_period": "集中征缴期", "waiting.days": "等待期天数",
    "enrol.subsidy_route": "资助资金拨付方式", "enrol.benefit_from_next_month": "新认定对象待遇自认定次月起",
    "enrol.no_subsidy_if_enrolled_before": "认定前当年已参保的不再资助", "enrol.subsidised_target": "资助对象参保率目标",
    "enrol.coverage_target": "常住人口参保率目标", "compare.list_due_day": "部门名单报送日（每月）",
    "compare.fix_due_day": "比对修正反馈日（每月）",
}


def label_of(key: str) -> str:
    """'assistance.rate.住院.低保对象' → '医疗救助比例·住院·低保对象' (the longest known prefix, then the rest)."""
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        head = ".".join(parts[:n])
        if head in _LABELS:
            return "·".join([_LABELS[head], *parts[n:]])
    return key


def param_row(p: Param) -> tuple[str, str, str, str, str, str]:
    """(项目, value text, 文号, 条款, 有效期, 说明)"""
    if p.key == "critical.tilt.rate_add":
        value = f"{points(p.value)}个百分点"
    else:
        value = value_text(p.value)
    return (label_of(p.key), value, p.citation.doc, p.citation.clause, period_text(p.start, p.end), p.note)


def points(rate: Decimal) -> str:
    """Decimal("0.05") → '5' (percentage points, as the documents write 提高5个百分点)."""
    return f"{(rate * 100).normalize():f}"
