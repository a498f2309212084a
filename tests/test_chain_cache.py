"""The chain's fast path equals the one it replaced, on random years of claims (issue 12 item 2).

processor/chain.py settles a claim through the calculators' ``*_fen`` cores with a citations-only trace
(trace.Citations), and the derived values it reads are cached: per policy version and year
(book._version_cache, shared by the views of every day), per Settings (rules.common.Ctx.memo) and per
identity and kind. The reference below is the chain as it was before (commit ca5779b's processor/chain.py,
copied verbatim but for names): the public calculators with their full traces, citations collected from the
steps, run on a fresh view for every claim (nothing cached across claims, dates or settings). Every field
of every settlement — amounts, identity, monitoring list, delta, citations in order, notes, checks — and
every refusal (type and message) must be the same.
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from processor import identities as ids
from processor.book import Citation, PolicyView, default_book
from processor.chain import CRITICAL_KINDS, Claim, Settlement, YearState, settle, year_delta, _remaining
from processor.errors import BeyondCap, InputError, PolicyNotInForce, SettingMissing, YibaoError
from processor.money import format_yuan
from processor.rules.assistance import KINDS, assistance, assisted, beyond_cap, out_of_catalog_within_share
from processor.rules.common import Ctx
from processor.rules.critical import critical
from processor.rules.monitor import monitor, rules as monitor_rules
from processor.rules.tilt import tilt
from processor.settings import Settings, load_settings
from processor.trace import Result

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = load_settings(ROOT / "settings.example.toml")
YEARS = {"阳城": 2022, "赣州": 2022, "西秀": 2022, "龙岩": 2023}


# ----------------------------------------------------------------------------- the reference (the old chain)
def ref_settle(ctx: Ctx, identities: tuple[str, ...], claim: Claim, state: YearState) -> Settlement:
    if not identities:
        return _ref_one(ctx, ids.ORDINARY, claim, state)
    chosen, _, without = ids.compete(ctx.view, identities, lambda i: _ref_one(ctx, i, claim, state),
                                     lambda s: s.critical + s.assist + (s.tilt or 0))
    if len(identities) - len(without) > 1:
        cite = ids.multi_identity_citation(ctx.view)
        if cite is not None:
            chosen.citations.insert(0, cite)
    return chosen


def _ref_one(ctx: Ctx, identity: str, claim: Claim, state: YearState) -> Settlement:
    cites: list[Citation] = []
    notes: list[str] = []
    amount = claim.policy_cost - claim.basic_paid
    if amount < 0:
        raise InputError("政策范围内费用小于基本医保支付")
    checks: list[tuple[str, str]] = []
    in_critical = claim.kind in CRITICAL_KINDS
    crit: int | None = 0
    if in_critical:
        try:
            r_crit = critical(ctx, identity, amount, state.critical_base, claim.referral)
            _collect(r_crit, cites)
            crit = r_crit.fen
        except SettingMissing as err:
            if claim.critical_paid is None:
                raise
            # the export says what 大病保险 paid: the ledger goes on with it, unchecked, and says why
            crit = None
            checks.append(("大病保险", f"无法按政策核对（采用导出金额）：{err.message}"))
    if claim.critical_paid is not None:
        if crit is not None and claim.critical_paid != crit:
            notes.append(f"大病保险：导出 {format_yuan(claim.critical_paid)}，按政策应为 {format_yuan(crit)}")
        crit_used = claim.critical_paid
    else:
        crit_used = crit
    selfpay = amount - crit_used
    if selfpay < 0:
        raise InputError("大病保险支付大于政策范围内费用扣除基本医保后的余额")
    kinds = ctx.view.get("assistance.kinds")
    in_assistance = kinds is not None and claim.kind in kinds.value
    base = _ref_assist_base(ctx, claim, selfpay, in_assistance, checks, cites)
    counts = in_assistance and assisted(ctx, identity, claim.kind, claim.referral)
    assist = 0
    if in_assistance:
        r = assistance(ctx, identity, base, state.selfpay, state.assist, claim.kind, claim.referral,
                       claim.policy_cost, claim.in_province)
        assist = r.fen
        _collect(r, cites)
        assist += _ref_out_of_catalog(ctx, identity, claim, state.assist + assist, notes, cites)
    elif kinds is not None:
        cites.append(kinds.citation)
    counted = base if counts and claim.kind != "住院目录外" else 0
    remaining = _remaining(counted, assist)   # this claim's part of the 倾斜救助 line's year total

    tilt_fen: int | None = None
    beyond = 0
    mode = ctx.view.get("tilt.mode")
    if mode is not None and mode.value == "computed":
        tilt_fen = 0
        if counts:
            beyond = beyond_cap(ctx, identity, claim.kind, base, state.selfpay, state.assist)
            r_tilt = tilt(ctx, identity, remaining, state.remaining, state.tilt, claim.referral, beyond)
            tilt_fen = r_tilt.fen
            _collect(r_tilt, cites)
    borne = _ref_hospital_borne(ctx, identity, claim, checks, cites)
    final = claim.total_cost - claim.basic_paid - crit_used - assist - (tilt_fen or 0) - borne
    if final < 0:
        raise InputError("医疗费总额小于各项基金支付与医疗机构承担之和")
    listed = ""
    if monitor_rules(ctx):
        r_mon = monitor(ctx, identity, final, state.final_selfpay)
        listed = r_mon.text
        if listed:
            _collect(r_mon, cites)
    delta = year_delta(amount if in_critical else 0, crit_used, counted, assist, tilt_fen, final)
    notes.extend(why for _fund, why in checks)
    return Settlement(identity, crit_used, assist, tilt_fen, final, listed, delta, cites, notes, crit,
                      in_critical, in_assistance, counted, borne, beyond, checks)


def _ref_assist_base(ctx: Ctx, claim: Claim, selfpay: int, in_assistance: bool, checks: list, cites: list) -> int:
    """The in-policy self-pay 医疗救助 acts on: all of it, except for II类门诊特殊慢性病 where the policy
    assists only the part above the disease's annual limit (赣市医保字〔2021〕37号 二(三)3(3))."""
    if not (in_assistance and claim.chronic_class2):
        return selfpay
    rule = ctx.view.get("assistance.chronic_class2_above_limit")
    if rule is None or not rule.value:
        return selfpay
    cites.append(rule.citation)
    if claim.above_limit is None:
        checks.append(("医疗救助", "II类门诊特殊慢性病：导出没有“限额以上个人自付”，医疗救助按 0 计（只救助年度限额以上部分）"))
        return 0
    if claim.above_limit > selfpay:
        checks.append(("医疗救助", f"II类门诊特殊慢性病：限额以上个人自付 {format_yuan(claim.above_limit)} 大于本次政策范围内自付 "
                                    f"{format_yuan(selfpay)}，按后者计"))
    return min(claim.above_limit, selfpay)


def _ref_out_of_catalog(ctx: Ctx, identity: str, claim: Claim, ytd_assist: int, notes: list,
                               cites: list) -> int:
    """阳医保发〔2022〕2号 六: out-of-catalog cost within the hospital's control share, assisted at its own rate."""
    kinds = ctx.view.get("assistance.kinds")
    if not (claim.out_of_catalog > 0 and claim.kind == "住院" and "住院目录外" in kinds.value
            and ctx.view.get(f"assistance.rate.住院目录外.{identity}") is not None):
        return 0
    if not claim.hospital_class:
        notes.append("有目录外费用但缺少医疗机构收费类别，未计算目录外救助")
        return 0
    within, step = out_of_catalog_within_share(ctx, claim.out_of_catalog, claim.total_cost, claim.hospital_class)
    r2 = assistance(ctx, identity, within, 0, ytd_assist, "住院目录外", claim.referral, None, claim.in_province)
    cites.append(step.cite)
    _collect(r2, cites)
    return r2.fen


def _ref_hospital_borne(ctx: Ctx, identity: str, claim: Claim, checks: list, cites: list) -> int:
    """阳医保发〔2022〕2号 六: for the named groups' in-province stays, out-of-catalog cost above the hospital
    class's control share "均由医疗机构承担" — it is not the patient's self-pay."""
    groups = ctx.view.get("cost_control.groups")
    if groups is None or identity not in groups.value or claim.out_of_catalog <= 0 or claim.kind != "住院" \
            or not claim.in_province:
        return 0
    if not claim.hospital_class:
        checks.append(("医疗机构承担", "有目录外费用但缺少医疗机构收费类别，无法计算超控制比例由医疗机构承担的部分"))
        return 0
    within, step = out_of_catalog_within_share(ctx, claim.out_of_catalog, claim.total_cost, claim.hospital_class)
    cites.append(groups.citation)
    return claim.out_of_catalog - within


def _collect(result: Result, cites: list[Citation]) -> None:
    for step in result.steps:
        c = step.cite
        if c is not None and c not in cites:
            cites.append(c)


# ----------------------------------------------------------------------------- random years of claims
def _fresh(view: PolicyView) -> PolicyView:
    """The same values in force, with an empty cache: nothing derived by an earlier claim or day is reused."""
    return PolicyView(view.region, view.on, view.params, view.categories, view.documents, view.alias_rules)


def _outcome(fn):
    try:
        return fn()
    except YibaoError as err:
        return (type(err).__name__, err.message)


MOSTLY = st.sampled_from([True, True, True, False])


@st.composite
def years(draw):
    book = default_book()
    name = draw(st.sampled_from(sorted(YEARS)))
    region = book.regions[name]
    year = YEARS[name]
    words = sorted({c.name for d in region.documents for c in d.categories}
                   | {a for d in region.documents for c in d.categories for a in c.aliases[:2]}
                   | {r.text for d in region.documents for r in d.alias_rules})
    person = draw(st.lists(st.sampled_from(words), max_size=3))
    category = draw(st.sampled_from(["、", "，", " "])).join(person)
    shares = sorted({k for d in region.documents for p in d.params if p.key == "assistance.out_of_catalog_share"
                     for k in p.value})
    claims = []
    for n in range(draw(st.integers(1, 8))):
        on = date(year, 1, 1) + timedelta(days=draw(st.integers(-20, 400)))
        kind = draw(st.sampled_from(["住院", "住院", "住院", *KINDS, "普通门诊"]))
        policy = draw(st.integers(0, 80_000_00) | st.sampled_from([0, 1, 5_000_00, 50_000_00, 400_000_00]))
        basic = draw(st.integers(0, policy))
        critical_paid = draw(st.none() | st.integers(0, policy - basic))
        self_funded = draw(st.integers(0, 20_000_00))
        out_of_catalog = draw(st.sampled_from([0, 0, self_funded, self_funded // 3]))
        chronic = kind == "门诊慢特病" and draw(st.booleans())
        claims.append(Claim(
            f"S{n}", "P", on, kind, policy + self_funded, policy, basic, critical_paid,
            referral=draw(MOSTLY), in_province=draw(MOSTLY), out_of_catalog=out_of_catalog,
            hospital_class=draw(st.sampled_from([*shares, "", "未知类别"])) if shares else draw(st.sampled_from(["", "一类"])),
            chronic_class2=chronic, above_limit=draw(st.none() | st.integers(0, 30_000_00)) if chronic else None))
    claims.sort(key=lambda c: c.settled_on)
    settings = draw(st.sampled_from([EXAMPLE, EXAMPLE, Settings()]))
    # a year begun elsewhere (last month's ledger): any figures, caps already used up included
    start = YearState(*(draw(st.integers(0, top)) for top in (80_000_00, 30_000_00, 60_000_00, 20_000_00, 60_000_00,
                                                            10_000_00, 80_000_00))) if draw(st.booleans()) else YearState()
    return region, category, claims, settings, start


@given(years())
@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_fast_chain_equals_the_old_one(case):
    region, category, claims, settings, start = case
    state = ref_state = start
    for claim in claims:
        def fast():
            ctx = Ctx(region.view(claim.settled_on), settings)
            return settle(ctx, ids.resolve(ctx.view, category), claim, state)

        def reference():
            ctx = Ctx(_fresh(region.view(claim.settled_on)), settings)
            return ref_settle(ctx, ids.resolve(ctx.view, category), claim, ref_state)
        got, want = _outcome(fast), _outcome(reference)
        assert got == want, claim
        if isinstance(got, Settlement):
            state, ref_state = state.plus(got.delta), ref_state.plus(want.delta)


def test_fast_chain_equals_the_old_one_on_the_samples():
    """Every claim of the four bundled sample exports, each person's year carried, with the example settings."""
    from processor.io.reader import read_export
    from processor.ledgers.normalise import normalise
    book = default_book()
    for name in YEARS:
        region = book.regions[name]
        table = read_export(ROOT / "samples" / f"{name}_结算导出.xlsx")
        has_kind = "kind" in table.mapping.values()
        rows = []
        for raw in table.rows:
            try:
                rows.append(normalise(raw, has_kind))
            except InputError:
                continue
        rows.sort(key=lambda r: (r.claim.settled_on, r.source_row))
        states: dict = {}
        settled = 0
        for row in rows:
            if row.reversal:
                continue
            claim, key = row.claim, (row.claim.person, row.claim.settled_on.year)
            state = states.get(key, YearState())

            def fast():
                ctx = Ctx(region.view(claim.settled_on), EXAMPLE)
                return settle(ctx, ids.resolve(ctx.view, row.category), claim, state)

            def reference():
                ctx = Ctx(_fresh(region.view(claim.settled_on)), EXAMPLE)
                return ref_settle(ctx, ids.resolve(ctx.view, row.category), claim, state)
            got, want = _outcome(fast), _outcome(reference)
            assert got == want, (name, row.source_row)
            if isinstance(got, Settlement):
                states[key] = state.plus(got.delta)
                settled += 1
        assert settled > len(rows) * 0.9, name
