"""The policy book: every region's documents, loaded and validated once.

A document file (``processor/policies/<region>/<文号>.toml``) holds the values of one official
document, each as a ``[[param]]`` with the clause it implements and, where it differs from the
document's own, the period it is in force. The loader

* parses every value by the schema below (a typo in a key is an error, not a silent miss),
* refuses a value without a clause (every figure cites 文号 + clause),
* refuses two values of the same key in force on the same day — Catala's rule: two rules that
  both apply with no stated priority are an error, not a silent choice.

:meth:`Region.view` then answers "which values are in force in 赣州 on 2022-06-30?".
"""
from __future__ import annotations

import tomllib
import weakref
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import NamedTuple

from .errors import PolicyBookError, PolicyNotInForce
from .money import parse_rate, yuan_to_fen

FOREVER = date(9999, 12, 31)


# ----------------------------------------------------------------------------- value types
class Amount(NamedTuple):
    """A money figure the document gives, in fen."""
    fen: int


class Unlimited(NamedTuple):
    """'no limit' (不设限额 / 取消封顶线)."""


class Share(NamedTuple):
    """A share of a local setting of the previous year, e.g. 50% of 上年度人均可支配收入."""
    rate: Decimal
    of: str


class FromSetting(NamedTuple):
    """A figure the document leaves to the bureau: a required local setting (optionally bounded below)."""
    key: str
    at_least: str | None = None


UNLIMITED = Unlimited()


class Citation(NamedTuple):
    """文号 and clause of the document a value or step comes from."""
    doc: str
    clause: str

    def __str__(self) -> str:
        return f"{self.doc} {self.clause}"


@dataclass(frozen=True)
class Param:
    key: str
    value: object
    citation: Citation
    start: date
    end: date
    note: str = ""

    def in_force(self, on: date) -> bool:
        return self.start <= on <= self.end


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    aliases: tuple[str, ...]
    tags: frozenset[str]
    citation: Citation
    start: date
    end: date
    note: str = ""


@dataclass(frozen=True)
class AliasRule:
    """A word the documents use for more than one identity.

    ``means``: the person holds every one of them (e.g. 西秀 脱贫不稳定户 = 脱贫人口 and 边缘人口), so the
    highest benefit among them applies. ``ambiguous``: the word may mean one or the other and the
    document does not say which (龙岩 边缘户: 边缘易致贫户 or 低保边缘户), so it is refused with ``hint``."""
    text: str
    means: tuple[str, ...]
    ambiguous: bool
    hint: str
    citation: Citation
    note: str = ""


@dataclass
class Document:
    id: str
    title: str
    issuer: str
    region: str
    issued: date
    start: date
    end: date
    citation: Citation
    note: str
    params: list[Param]
    categories: list[Category]
    path: str
    alias_rules: list[AliasRule] = field(default_factory=list)


# ----------------------------------------------------------------------------- parsing
def _money(v, where: str):
    if isinstance(v, str):
        if v == "none":
            return UNLIMITED
        try:
            return Amount(yuan_to_fen(v))
        except Exception:
            raise PolicyBookError(f"{where}：金额格式错误 {v!r}") from None
    if isinstance(v, int) and not isinstance(v, bool):
        return Amount(v * 100)
    if isinstance(v, dict):
        if set(v) == {"share", "of"}:
            return Share(parse_rate(v["share"]), v["of"])
        if "setting" in v and set(v) <= {"setting", "at_least"}:
            return FromSetting(v["setting"], v.get("at_least"))
    raise PolicyBookError(f"{where}：无法识别的金额 {v!r}")


def _rate(v, where: str):
    if isinstance(v, dict) and set(v) == {"setting"}:
        return FromSetting(v["setting"])
    try:
        r = parse_rate(v)
    except Exception:
        raise PolicyBookError(f"{where}：比例格式错误 {v!r}") from None
    if not (0 <= r <= 1):
        raise PolicyBookError(f"{where}：比例超出0~100% {v!r}")
    return r


def _bool(v, where):
    if not isinstance(v, bool):
        raise PolicyBookError(f"{where}：应为 true/false")
    return v


def _str_list(v, where):
    if not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
        raise PolicyBookError(f"{where}：应为文字列表")
    return tuple(v)


def _bands(v, where):
    if not (isinstance(v, list) and v):
        raise PolicyBookError(f"{where}：分段应为非空列表")
    out = []
    for i, band in enumerate(v):
        if not isinstance(band, dict) or "rate" not in band or set(band) - {"upto", "rate"}:
            raise PolicyBookError(f"{where}：第{i + 1}段格式错误")
        upto = _money(band["upto"], where) if "upto" in band else UNLIMITED
        if (upto is UNLIMITED) != (i == len(v) - 1):
            raise PolicyBookError(f"{where}：只有最后一段不写上限")
        out.append((upto, _rate(band["rate"], where)))
    return tuple(out)


def _subsidy(v, where):
    method = v.get("method") if isinstance(v, dict) else None
    allowed = {"full": {"method"}, "none": {"method"}, "fixed": {"method", "amount"},
               "percent": {"method", "rate", "floor"}}
    if method not in allowed or set(v) - allowed[method]:
        raise PolicyBookError(f"{where}：资助方式应为 full/fixed/percent/none")
    out = {"method": method}
    if method == "fixed":
        out["amount"] = _money(v["amount"], where)
    if method == "percent":
        out["rate"] = _rate(v["rate"], where)
        out["floor"] = _money(v["floor"], where) if "floor" in v else None
    return out


def _monitor(v, where):
    if not isinstance(v, dict) or set(v) != {"order", "basis", "tag", "line"} or v["basis"] not in ("year", "visit"):
        raise PolicyBookError(f"{where}：监测规则需要 order、basis(year/visit)、tag、line")
    return {"order": int(v["order"]), "basis": v["basis"], "tag": v["tag"], "line": _money(v["line"], where)}


def _topup(v, where):
    if not isinstance(v, dict) or set(v) != {"target", "kind", "in_province"}:
        raise PolicyBookError(f"{where}：兜底规则需要 target、kind、in_province")
    return {"target": _rate(v["target"], where), "kind": v["kind"], "in_province": _bool(v["in_province"], where)}


def _shares(v, where):
    if not isinstance(v, dict) or not v:
        raise PolicyBookError(f"{where}：应为 类别 = 比例 表")
    return {k: _rate(r, where) for k, r in v.items()}


def _period(v, where):
    if not isinstance(v, dict) or set(v) != {"from", "to"} or not all(isinstance(x, date) for x in v.values()):
        raise PolicyBookError(f"{where}：应为 {{from = 日期, to = 日期}}")
    return (v["from"], v["to"])


def _tilt_mode(v, where):
    if v not in ("computed", "on_application", "undefined"):
        raise PolicyBookError(f"{where}：tilt.mode 应为 computed/on_application/undefined")
    return v


def _tilt_scope(v, where):
    if v != "beyond_assistance_cap":
        raise PolicyBookError(f"{where}：tilt.scope 应为 beyond_assistance_cap")
    return v


def _enrol_route(v, where):
    if v != "fund_or_card":
        raise PolicyBookError(f"{where}：enrol.subsidy_route 应为 fund_or_card")
    return v


def _days(v, where):
    if not isinstance(v, int) or v < 0:
        raise PolicyBookError(f"{where}：天数应为非负整数")
    return v


# key (or key prefix ending with '.') → (parser, per_category). per_category keys take `for = [...]`.
SCHEMA: dict[str, tuple] = {
    "contribution": (_money, False),
    "subsidy": (_subsidy, True),
    "critical.deductible": (_money, False),
    "critical.bands": (_bands, False),
    "critical.cap": (_money, False),
    "critical.tilt.groups": (_str_list, False),
    "critical.tilt.deductible_factor": (_rate, False),
    "critical.tilt.rate_add": (_rate, False),
    "critical.tilt.deductible": (_money, False),
    "critical.tilt.bands": (_bands, False),
    "critical.tilt.cap": (_money, False),
    "critical.tilt.referral_required": (_bool, False),
    "assistance.kinds": (_str_list, False),
    "assistance.rate.": (_rate, True),
    "assistance.threshold": (_money, True),
    "assistance.cap": (_money, True),
    "assistance.topup": (_topup, True),
    "assistance.out_of_catalog_share": (_shares, False),
    "assistance.referral_required": (_bool, False),
    "tilt.mode": (_tilt_mode, False),
    "tilt.groups": (_str_list, False),
    "tilt.line": (_money, False),
    "tilt.rate": (_rate, False),
    "tilt.cap": (_money, False),
    "tilt.referral_required": (_bool, False),
    "tilt.scope": (_tilt_scope, False),
    "assistance.chronic_class2_above_limit": (_bool, False),
    "cost_control.groups": (_str_list, False),
    "monitor.": (_monitor, False),
    "heavy_burden.line": (_money, False),        # 龙政办规〔2022〕14号 二(一)1 第五类(1), 二(七)3 (yibao monitor)
    "heavy_burden.months": (_days, False),
    "cost_control.share_line": (_rate, False),   # 目录外费用占比控制线 (赣州 四(八), 西秀 一(七); yibao costcheck)
    "cost_control.share_line_groups": (_str_list, False),
    "cost_control.local_visit_rate": (_rate, False),  # 市域内就诊率 (赣州 四(八))
    "waiting.exempt_group": (_bool, True),
    "waiting.exempt_case": (_bool, True),
    "waiting.exempt_subsidised": (_bool, False),
    "waiting.collection_period": (_period, False),
    "waiting.days": (_days, False),
    # enrolment side (yibao enrol / compare): processor/rules/enrolment.py
    "enrol.subsidy_route": (_enrol_route, False),
    "enrol.benefit_from_next_month": (_bool, False),
    "enrol.no_subsidy_if_enrolled_before": (_bool, False),
    "enrol.subsidised_target": (_rate, False),
    "enrol.coverage_target": (_rate, False),
    "compare.list_due_day": (_days, False),
    "compare.fix_due_day": (_days, False),
}


def _schema_for(key: str):
    if key in SCHEMA:
        return SCHEMA[key]
    for prefix, entry in SCHEMA.items():
        if prefix.endswith(".") and key.startswith(prefix) and len(key) > len(prefix):
            return entry
    return None


def load_document(path: Path | str, text: str | None = None) -> Document:
    where0 = str(path)
    raw = tomllib.loads(text) if text is not None else tomllib.loads(Path(path).read_text("utf-8"))
    meta = raw.get("document")
    if not isinstance(meta, dict):
        raise PolicyBookError(f"{where0}：缺少 [document]")
    for k in ("id", "title", "issuer", "region", "issued", "in_force_from", "in_force_clause"):
        if not meta.get(k):
            raise PolicyBookError(f"{where0}：[document] 缺少 {k}")
    doc_id = meta["id"]
    start, end = meta["in_force_from"], meta.get("in_force_to", FOREVER)
    if not (isinstance(start, date) and isinstance(end, date) and start <= end):
        raise PolicyBookError(f"{where0}：施行日期无效")
    doc = Document(id=doc_id, title=meta["title"], issuer=meta["issuer"], region=meta["region"],
                   issued=meta["issued"], start=start, end=end,
                   citation=Citation(doc_id, meta["in_force_clause"]), note=meta.get("note", ""),
                   params=[], categories=[], path=where0)
    for c in raw.get("category", []):
        where = f"{doc_id} 身份 {c.get('name')}"
        if not c.get("name") or not c.get("clause"):
            raise PolicyBookError(f"{where}：身份需要 name 和 clause")
        doc.categories.append(Category(
            name=c["name"], label=c.get("label", c["name"]), aliases=tuple(c.get("aliases", ())),
            tags=frozenset(c.get("tags", ())), citation=Citation(doc_id, c["clause"]),
            start=start, end=end, note=c.get("note", "")))
    for a in raw.get("alias", []):
        where = f"{doc_id} 别名 {a.get('text')}"
        unknown = set(a) - {"text", "means", "ambiguous", "hint", "clause", "note"}
        if unknown or not a.get("text") or not a.get("clause"):
            raise PolicyBookError(f"{where}：[[alias]] 需要 text、clause，以及 means 或 ambiguous")
        if ("means" in a) == ("ambiguous" in a):
            raise PolicyBookError(f"{where}：[[alias]] 只能写 means（同时具有）或 ambiguous（有歧义）之一")
        names = _str_list(a.get("means", a.get("ambiguous")), where)
        if len(names) < 2:
            raise PolicyBookError(f"{where}：至少列出两个身份")
        if "ambiguous" in a and not a.get("hint"):
            raise PolicyBookError(f"{where}：有歧义的别名需要 hint（提示经办人员怎样写明）")
        doc.alias_rules.append(AliasRule(a["text"], names, "ambiguous" in a, a.get("hint", ""),
                                         Citation(doc_id, a["clause"]), a.get("note", "")))
    for p in raw.get("param", []):
        key = p.get("key")
        where = f"{doc_id} 参数 {key}"
        unknown = set(p) - {"key", "value", "clause", "for", "from", "to", "note"}
        if unknown:
            raise PolicyBookError(f"{where}：未知字段 {sorted(unknown)}")
        if not key or "value" not in p:
            raise PolicyBookError(f"{where}：参数需要 key 和 value")
        if not str(p.get("clause", "")).strip():
            raise PolicyBookError(f"{where}：没有条款引用（clause）——每个数值都必须注明文号和条款")
        entry = _schema_for(key)
        if entry is None:
            raise PolicyBookError(f"{where}：未知参数名")
        parser, per_category = entry
        value = parser(p["value"], where)
        p_start, p_end = p.get("from", start), p.get("to", end)
        if not (start <= p_start <= p_end <= end):
            raise PolicyBookError(f"{where}：参数有效期超出文件施行期")
        cite = Citation(doc_id, p["clause"])
        targets = p.get("for")
        if per_category != bool(targets):
            raise PolicyBookError(f"{where}：{'需要' if per_category else '不应有'} for = [身份…]")
        keys = [f"{key}.{cat}" for cat in targets] if targets else [key]
        for k in keys:
            doc.params.append(Param(k, value, cite, p_start, p_end, p.get("note", "")))
    return doc


# ----------------------------------------------------------------------------- regions
@dataclass(eq=False)  # identity equality and hash: one object per region of a loaded book (view cache key)
class Region:
    name: str
    full_name: str
    province: str
    aliases: tuple[str, ...]
    priority: tuple[str, ...]
    multi_identity: dict | None = None
    documents: list[Document] = field(default_factory=list)

    @property
    def span(self) -> tuple[date, date]:
        return min(d.start for d in self.documents), max(d.end for d in self.documents)

    def params(self):
        for d in self.documents:
            yield from d.params

    def check(self) -> None:
        """Refuse overlaps of one key, unknown identities, and a priority list that misses one."""
        by_key: dict[str, list[Param]] = {}
        for p in self.params():
            by_key.setdefault(p.key, []).append(p)
        for key, versions in by_key.items():
            versions.sort(key=lambda p: p.start)
            for a, b in zip(versions, versions[1:]):
                if b.start <= a.end:
                    raise PolicyBookError(
                        f"{self.name}：参数 {key} 在 {b.start} 同时由 {a.citation} 和 {b.citation} 规定，"
                        "两条规则都适用且没有优先顺序——请在政策文件中明确有效期")
        names = {c.name for d in self.documents for c in d.categories}
        cats_by_name: dict[str, list[Category]] = {}
        for d in self.documents:
            for c in d.categories:
                cats_by_name.setdefault(c.name, []).append(c)
        for name, defs in cats_by_name.items():
            defs.sort(key=lambda c: c.start)
            for a, b in zip(defs, defs[1:]):
                if b.start <= a.end:
                    raise PolicyBookError(f"{self.name}：身份 {name} 在两份同时有效的文件中重复定义")
        if set(self.priority) != names or len(self.priority) != len(names):
            raise PolicyBookError(f"{self.name}：region.toml 的 priority 必须恰好列出全部身份 {sorted(names)}")
        for p in self.params():
            for ref in _category_refs(p):
                if ref not in names:
                    raise PolicyBookError(f"{self.name}：{p.citation} 的参数 {p.key} 引用了未定义的身份 {ref}")
        alias_owner: dict[tuple[str, date], str] = {}
        for c in (c for d in self.documents for c in d.categories):
            for a in (c.name, *c.aliases):
                prev = alias_owner.get((a, c.start))
                if prev and prev != c.name:
                    raise PolicyBookError(f"{self.name}：别名 {a} 同时指向 {prev} 和 {c.name}")
                alias_owner[(a, c.start)] = c.name
        words = {a for (a, _start) in alias_owner}
        for d in self.documents:
            for rule in d.alias_rules:
                if rule.text in words:
                    raise PolicyBookError(f"{self.name}：{rule.citation} 的别名 {rule.text} 已是某个身份的别名，"
                                          "不能再写成多重或有歧义的别名")
                for n in rule.means:
                    if n not in names:
                        raise PolicyBookError(f"{self.name}：{rule.citation} 的别名 {rule.text} 引用了未定义的身份 {n}")

    def view(self, on: date) -> "PolicyView":
        return _view(self, on)


def _category_refs(p: Param):
    if p.key in ("critical.tilt.groups", "tilt.groups", "cost_control.groups"):
        yield from p.value
    head = p.key.split(".")
    if p.key.startswith(("subsidy.", "assistance.rate.", "assistance.threshold.", "assistance.cap.",
                         "assistance.topup.", "waiting.exempt_group.")):
        yield head[-1]


@lru_cache(maxsize=4096)
def _view(region: Region, on: date) -> "PolicyView":
    docs, params, cats, rules = _in_force(region, on)
    if not docs:
        start, end = region.span
        raise PolicyNotInForce(f"{region.name}在 {on} 没有生效的政策（已收录政策有效期：{period_text(start, end)}）")
    return PolicyView(region, on, params, cats, docs, rules, _version_cache(region, on, docs, params))


# What is in force changes only on a document's or a param's first or last day: the days between two such
# dates share one set of documents and params, which is gathered once (a year of settlement dates made it
# 365 times, 0.3 µs a claim of a 20,000-claim batch). Keyed weakly by region, like _VERSION_CACHES.
_IN_FORCE: "weakref.WeakKeyDictionary[Region, tuple[list[date], list[date], dict]]" = weakref.WeakKeyDictionary()


def _in_force(region: Region, on: date) -> tuple[tuple, dict, dict, dict]:
    """(documents, params by key, categories by name, alias rules by text) in force on ``on``."""
    known = _IN_FORCE.get(region)
    if known is None:
        dated = [*region.documents, *(p for d in region.documents for p in d.params)]
        known = _IN_FORCE[region] = (sorted(x.start for x in dated), sorted(x.end for x in dated), {})
    starts, ends, periods = known
    # days with as many first days on or before them and as many last days before them: nothing begins or
    # ends between them, so every document and param is in force on both or on neither
    period = (bisect_right(starts, on), bisect_left(ends, on))
    found = periods.get(period)
    if found is None:
        docs = tuple(d for d in region.documents if d.start <= on <= d.end)
        found = periods[period] = (docs, {p.key: p for d in docs for p in d.params if p.in_force(on)},
                                   {c.name: c for d in docs for c in d.categories},
                                   {r.text: r for d in docs for r in d.alias_rules})
    return found


# The derived values a view caches (PolicyView.cache: resolved identities, rules.common.Ctx.memo's terms)
# depend on the view's documents, its params in force, and the year (settings are looked up by year), never
# on the day itself: the views of every day of one policy version and year share one cache, so a month's
# batch derives them once, not once per settlement date. Keyed weakly by region (a Region is not pickled
# with it) and by the identities of the document and Param objects (which the region keeps alive).
_VERSION_CACHES: "weakref.WeakKeyDictionary[Region, dict]" = weakref.WeakKeyDictionary()


def _version_cache(region: Region, on: date, docs: list[Document], params: dict[str, Param]) -> dict:
    per_region = _VERSION_CACHES.get(region)
    if per_region is None:
        per_region = _VERSION_CACHES[region] = {}
    key = (on.year, tuple(map(id, docs)), tuple(map(id, params.values())))
    cache = per_region.get(key)
    if cache is None:
        cache = per_region[key] = {}
    return cache


def period_text(start: date, end: date) -> str:
    """'2022-01-01 起' for an open end (never '至 9999-12-31'), else '2022-01-01 至 2025-12-31'."""
    return f"{start} 起" if end == FOREVER else f"{start} 至 {end}"




@dataclass(eq=False)
class PolicyView:
    """The values of one region in force on one day. ``cache``: derived values, shared by the views of
    every day of the same policy version and year (see :func:`_version_cache`): nothing day-specific."""
    region: Region
    on: date
    params: dict[str, Param]
    categories: dict[str, Category]
    documents: tuple[Document, ...]
    alias_rules: dict[str, AliasRule] = field(default_factory=dict)
    cache: dict = field(default_factory=dict)

    def get(self, key: str) -> Param | None:
        return self.params.get(key)

    def require(self, key: str, what: str) -> Param:
        p = self.params.get(key)
        if p is None:
            raise PolicyNotInForce(f"{self.region.name}在 {self.on} 的政策未规定{what}")
        return p

    @property
    def priority(self) -> tuple[str, ...]:
        """The region's identity order, restricted to the identities in force on this day."""
        order = self.cache.get("priority")
        if order is None:
            order = self.cache["priority"] = tuple(c for c in self.region.priority if c in self.categories)
        return order


# ----------------------------------------------------------------------------- the book
@dataclass
class Book:
    regions: dict[str, Region]
    alias_index: dict[str, str]

    def region(self, text) -> Region:
        from .errors import InputError
        key = _norm(text)
        if not key:
            raise InputError("缺少地区：请填写 " + "、".join(self.regions))
        name = self.alias_index.get(key)
        if name is None:
            raise InputError(f"未知地区：{str(text).strip()[:20]}（可用：{'、'.join(self.regions)}）")
        return self.regions[name]


def _norm(text) -> str:
    return "" if text is None else str(text).strip().replace(" ", "").replace("\u3000", "")


def policy_dir() -> Path:
    return Path(str(resources.files("processor") / "policies"))


def load_book(root: Path | None = None) -> Book:
    root = Path(root) if root else policy_dir()
    regions: dict[str, Region] = {}
    alias_index: dict[str, str] = {}
    for region_dir in sorted(p for p in root.iterdir() if p.is_dir() and (p / "region.toml").exists()):
        meta = tomllib.loads((region_dir / "region.toml").read_text("utf-8"))["region"]
        region = Region(meta["name"], meta["full_name"], meta["province"], tuple(meta["aliases"]),
                        tuple(meta.get("priority", ())), meta.get("multi_identity"))
        for f in sorted(region_dir.glob("*.toml")):
            if f.name == "region.toml":
                continue
            doc = load_document(f)
            if doc.region != region.name:
                raise PolicyBookError(f"{f}：文件地区 {doc.region} 与目录 {region.name} 不符")
            region.documents.append(doc)
        if not region.documents:
            raise PolicyBookError(f"{region_dir}：没有政策文件")
        region.check()
        regions[region.name] = region
        for a in (region.name, region.full_name, *region.aliases):
            if alias_index.get(a, region.name) != region.name:
                raise PolicyBookError(f"地区别名 {a} 重复")
            alias_index[a] = region.name
    return Book(regions, alias_index)


@lru_cache(maxsize=1)
def default_book() -> Book:
    """The bundled policy book, loaded once per process."""
    return load_book()


def coverage_problems(region: Region, until: date = date(2030, 12, 31)) -> list[str]:
    """Gaps and overlaps between the dated versions of each value, and days with no document.

    Overlaps are also refused when the book loads; gaps are legal to load (a rule may stop) but
    a value that stops and later restarts is almost always a typo in a date, so it is reported.
    """
    problems: list[str] = []
    by_key: dict[str, list[Param]] = {}
    for p in region.params():
        by_key.setdefault(p.key, []).append(p)
    for key, versions in sorted(by_key.items()):
        versions.sort(key=lambda p: p.start)
        for a, b in zip(versions, versions[1:]):
            if b.start <= a.end:
                problems.append(f"{region.name} {key}: {a.citation} 与 {b.citation} 在 {b.start} 重叠")
            elif b.start > a.end + timedelta(days=1):
                problems.append(f"{region.name} {key}: {a.end + timedelta(days=1)} 至 {b.start - timedelta(days=1)} 无取值")
    start, end = region.span
    spans = sorted((d.start, d.end) for d in region.documents)
    covered_to = spans[0][1]
    for s, e in spans[1:]:
        if s > covered_to + timedelta(days=1) and s <= until:
            problems.append(f"{region.name}: {covered_to + timedelta(days=1)} 至 {s - timedelta(days=1)} 没有生效文件")
        covered_to = max(covered_to, e)
    return problems
