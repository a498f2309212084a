"""Identities (人员类别): canonical names, the aliases clerks and exports use, several in one cell.

A cell may hold several identities separated by 、；;，,/ (or spaces); the person then gets the
single identity with the highest benefit, never the sum (赣市医保字〔2021〕37号 五(十一),
龙政办规〔2022〕14号 二(一)1). How "highest" is decided is in :func:`best` below and in the README.
"""
from __future__ import annotations

import re
from typing import Callable

from .book import PolicyView, period_text
from .errors import BeyondCap, InputError, PolicyNotInForce, YibaoError
from .trace import Result, Step

ORDINARY = "普通参保人"
ORDINARY_WORDS = frozenset({"", "普通", "普通参保人", "普通居民", "一般", "一般参保人", "无", "城乡居民", "普通人员"})
_SEPARATORS = re.compile(r"[、；;，,/／|｜+＋\s]+")
_FULL = str.maketrans("（）“”", "()\"\"")


def _norm(token: str) -> str:
    return token.strip().translate(_FULL).replace("\"", "")


def _alias_index(view: PolicyView) -> dict[str, object]:
    """normalised word → canonical name, or the AliasRule of a word that means several identities
    (or is ambiguous between them: see book.AliasRule)."""
    idx = view.cache.get("alias_index")
    if idx is None:
        idx = {}
        for c in view.categories.values():
            for a in (c.name, c.label, *c.aliases):
                idx[_norm(a)] = c.name
        for rule in view.alias_rules.values():
            idx[_norm(rule.text)] = rule
        view.cache["alias_index"] = idx
    return idx


def resolve(view: PolicyView, text) -> tuple[str, ...]:
    """Cell text → canonical identities in force (``()`` for an ordinary insured person)."""
    if text is None:
        return ()
    if not isinstance(text, str):
        text = str(text)
    cached = view.cache.get(("ids", text))
    if cached is not None:
        return cached
    idx = _alias_index(view)
    found: list[str] = []
    for token in _SEPARATORS.split(text.strip()):
        key = _norm(token)
        if key in ORDINARY_WORDS:
            continue
        name = idx.get(key)
        if name is None:
            raise InputError(_unknown_message(view, token))
        if name.__class__ is not str:  # a word for several identities (book.AliasRule)
            if name.ambiguous:
                raise InputError(f"人员类别“{token[:20]}”有歧义：{name.hint}，请写明具体身份〔{name.citation}〕")
            for n in name.means:
                if n not in found:
                    found.append(n)
            continue
        if name not in found:
            found.append(name)
    result = tuple(found)
    view.cache[("ids", text)] = result
    return result


def _unknown_message(view: PolicyView, token: str) -> str:
    region = view.region
    for doc in region.documents:
        for c in doc.categories:
            if _norm(token) in {_norm(a) for a in (c.name, *c.aliases)}:
                return (f"人员类别“{token[:20]}”在{region.name} {view.on} 无适用政策"
                        f"（仅见于 {doc.id}，{period_text(doc.start, doc.end)}）")
    names = "、".join(view.priority)
    return f"未知人员类别：{token[:20]}（{region.name}可用：{names}；普通参保人留空）"


def tags(view: PolicyView, identity: str) -> frozenset[str]:
    c = view.categories.get(identity)
    return c.tags | {identity} if c else frozenset()


def rank(view: PolicyView, identity: str) -> int:
    order = view.priority
    return order.index(identity) if identity in order else len(order)


def highest(view: PolicyView, identities: tuple[str, ...]) -> str:
    """The identity ranked highest by the region's declared order (IDENTITY())."""
    if not identities:
        return ORDINARY
    return min(identities, key=lambda i: rank(view, i))


def best(view: PolicyView, identities: tuple[str, ...], compute: Callable[[str], Result],
         score: Callable[[Result], int] | None = None) -> Result:
    """Evaluate ``compute`` for each identity and keep the one with the highest amount.

    Highest is decided per benefit: the identity whose amount for *this* computation is largest;
    equal amounts go to the identity ranked higher in the region's ``priority`` list. One
    identity's result is returned whole — amounts of different identities are never added.
    An identity for which the benefit is not defined (PolicyNotInForce) or whose annual cap the
    year-to-date payment already exceeds (BeyondCap) does not compete; if none is left, its error
    is raised.
    """
    if not identities:
        return compute(ORDINARY)
    if len(identities) == 1:
        return compute(identities[0])
    chosen, ordered, without = compete(view, identities, compute,
                                       score or (lambda r: -1 if r.fen is None else r.fen))
    cite = multi_identity_citation(view)
    note = Step(f"多重身份 {'、'.join(ordered)}：取待遇最高的“{chosen.identity}”，不叠加享受", cite)
    skipped = tuple(Step(f"{i}：{str(err)[:60]}（不参与比较）") for i, err in without)
    return chosen.with_steps(before=(note, *skipped))


def compete(view: PolicyView, identities, compute: Callable, score: Callable):
    """The one competition behind every "highest benefit" choice (cells and batch alike).

    Returns (the winning result, the identities in priority order, [(identity, error)] of those that
    did not compete). Ties go to the identity ranked higher. An identity whose benefit is not defined
    (PolicyNotInForce) or whose annual cap is already exceeded (BeyondCap) does not compete; any
    other error (a missing setting…) stops. If none is left, the first such error is raised."""
    key = ("ranked", tuple(identities))  # a handful of distinct cells: each sorted once per policy version
    ordered = view.cache.get(key)
    if ordered is None:
        ordered = view.cache[key] = sorted(identities, key=lambda i: rank(view, i))
    results: list = []
    without: list[tuple[str, YibaoError]] = []
    for i in ordered:
        try:
            results.append(compute(i))
        except (PolicyNotInForce, BeyondCap) as err:
            # kept without its traceback: the traceback holds this frame, which holds ``without`` — a
            # reference cycle only the cyclic collector frees (settle_claims pauses it: compute.py)
            without.append((i, err.with_traceback(None)))
    if not results:
        raise without[0][1]
    winner = max(range(len(results)), key=lambda k: (score(results[k]), -k))
    return results[winner], ordered, without


def multi_identity_citation(view: PolicyView):
    """The clause that gives a person of several identities the single highest benefit (None if the region's
    documents have none); looked up once per policy version (every claim of such a person cites it)."""
    cite = view.cache.get("multi_identity_citation", _UNSET)
    if cite is _UNSET:
        from .book import Citation
        rule = view.region.multi_identity
        cite = view.cache["multi_identity_citation"] = Citation(rule["doc"], rule["clause"]) if rule else None
    return cite


_UNSET = object()
