"""What the one-stop settlement paid from each fund, against what the policy gives, per claim.

The policy amounts come from the ledger's own computation (``ledgers.compute.compute`` → ``chain.settle``
per claim, the person's year carried, duplicates and reversals handled): never a second implementation.

Reading (documented in docs/finance.md):
- 大病保险: the policy figure is ``Settlement.critical_computed`` (the chain uses the export's paid figure
  downstream, so the ledger follows what was paid).
- 医疗救助 and 倾斜救助: the chain's amounts, computed on the 大病 actually paid (the ledger's reading).
  A 大病 error is therefore listed once, under 大病保险, and does not cascade into a 医疗救助 difference.
- 政府兜底: none of the five documents provides it; every amount paid is a difference.
- 统筹基金 (basic insurance) is the chain's input, not a figure the documents let us recompute: not reconciled.

A fund is reconciled only when the export has its column; an empty cell in that column is 0 paid.
The cause of a difference is found by re-running the same chain on the same claim and year state with
one thing changed (another identity, the referral given, the threshold passed, the cap not yet used):
the change that reproduces the paid amount is the cause.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace

from .. import identities as ids
from ..chain import Settlement, YearState, settle
from ..errors import InputError, PolicyNotInForce, SettingMissing
from ..io.reader import ExportTable
from ..money import _float_fen, format_yuan, parse_amount
from ..rules.assistance import assistance
from ..settings import Settings
from ..book import Region
from ..ledgers.compute import Line, Outcome, PreviousLedger, Rejected, compute

# fund label → (export column key, how the policy figure is read off a ledger line)
FUNDS = ("大病保险", "医疗救助", "倾斜救助", "政府兜底")
EXPORT_KEYS = {"大病保险": "critical_paid", "医疗救助": "assistance_paid", "倾斜救助": "tilt_paid",
               "政府兜底": "backstop_paid"}

CAUSE_IDENTITY = "身份不符"
CAUSE_ROSTER = "身份与名册不一致"
CAUSE_CAP = "年度限额已用完"
CAUSE_THRESHOLD = "未达起付标准"
CAUSE_REFERRAL = "未按规定转诊"
CAUSE_ROUNDING = "舍入差1分"
CAUSE_NOTHING = "文件未给该项待遇"
CAUSE_TOPUP = "漏付综合支付比例兜底"
CAUSE_ON_APPLICATION = "依申请项目"
CAUSE_UNCHECKED = "无法按政策核对"
CAUSE_OTHER = "原因待查"


@dataclass
class Difference:
    line: Line
    fund: str
    paid: int
    policy: int
    cause: str
    detail: str

    @property
    def diff(self) -> int:
        return self.paid - self.policy


@dataclass
class Reconciliation:
    outcome: Outcome
    funds: tuple[str, ...]                       # the funds the export has columns for
    paid: list[dict[str, int]]                   # per line: fund → paid (fen)
    policy: list[dict[str, int]]                 # per line: fund → policy (fen)
    differences: list[Difference] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def rows_read(self) -> int:
        return len(self.outcome.lines) + len(self.rejected)


def reconcile(table: ExportTable, region: Region, settings: Settings, previous: PreviousLedger | None = None,
              progress=None, roster: dict[str, str] | None = None) -> Reconciliation:
    """``roster``: person key → 人员类别 text from a roster (optional)."""
    present = set(table.mapping.values())
    funds = tuple(f for f in FUNDS if EXPORT_KEYS[f] in present)
    backstop: dict[int, object] = {}
    if "backstop_paid" in present:
        backstop = {raw.source_row: raw.values.get("backstop_paid") for raw in table.rows}
    outcome = compute(table, region, settings, previous, progress, consume=True)
    rejected = list(outcome.rejected)
    lines: list[Line] = []
    paid_rows: list[dict[str, int]] = []
    policy_rows: list[dict[str, int]] = []
    for line in outcome.lines:
        try:
            paid = _paid(line, funds, backstop)
        except InputError as err:
            rejected.append(Rejected(line.row.source_row, line.row.claim.settlement_id, line.row.name, err.message))
            continue
        lines.append(line)
        paid_rows.append(paid)
        policy_rows.append(_policy(line.row, line.result, funds))
    rejected.sort(key=lambda r: r.source_row)
    outcome.lines = lines
    rec = Reconciliation(outcome, funds, paid_rows, policy_rows, rejected=rejected)
    for line, paid, policy in zip(lines, paid_rows, policy_rows):
        for fund in funds:
            if paid[fund] != policy[fund]:
                cause, detail = explain(outcome, line, fund, paid, policy, region, roster)
                rec.differences.append(Difference(line, fund, paid[fund], policy[fund], cause, detail))
    return rec


def _paid(line: Line, funds, backstop) -> dict[str, int]:
    row = line.row
    out = {}
    for fund in funds:
        if fund == "大病保险":
            v = row.critical_export
        elif fund == "医疗救助":
            v = row.assist_export
        elif fund == "倾斜救助":
            v = row.tilt_export
        else:
            v = _amount(backstop.get(row.source_row), "政府兜底")
        out[fund] = v or 0
    return out


def _amount(v, what) -> int | None:
    if v is None or (isinstance(v, str) and not v.strip()):
        return None
    if v.__class__ is float:
        fen = _float_fen(v)
        if fen is not None:
            return fen
    return parse_amount(v, what, allow_negative=True)


def _policy(row, result: Settlement, funds) -> dict[str, int]:
    out = {}
    for fund in funds:
        if fund == "大病保险":
            # a reversal carries its original's computed figure (chain.reverse negates only what was used)
            c = result.critical_computed
            v = result.critical if c is None else (-c if row.reversal else c)
        elif fund == "医疗救助":
            v = result.assist
        elif fund == "倾斜救助":
            v = result.tilt or 0
        else:
            v = 0
        out[fund] = v
    return out


def _fund_of(s: Settlement, fund: str) -> int:
    if fund == "大病保险":
        return s.critical_computed if s.critical_computed is not None else s.critical
    if fund == "医疗救助":
        return s.assist
    if fund == "倾斜救助":
        return s.tilt or 0
    return 0


def explain(outcome: Outcome, line: Line, fund: str, paid: dict, policy: dict, region: Region,
            roster: dict[str, str] | None) -> tuple[str, str]:
    """The most likely cause of one fund's difference on one claim, and the figures behind it."""
    row, result = line.row, line.result
    claim = row.claim
    d = paid[fund] - policy[fund]
    if fund == "大病保险" and result.critical_computed is None:
        why = next((w for f, w in result.checks if f == "大病保险"), "缺少本地设置")
        return CAUSE_UNCHECKED, why
    ctx = outcome.views.get(claim.settled_on)
    if roster is not None and claim.person in roster and ctx is not None:
        try:
            listed = ids.resolve(ctx.view, roster[claim.person])
            given = ids.resolve(ctx.view, row.category)
        except InputError:
            listed = given = None
        if listed is not None and set(listed) != set(given):
            return CAUSE_ROSTER, f"导出人员类别「{row.category or '普通参保人'}」，名册为「{roster[claim.person] or '普通参保人'}」"
    if abs(d) == 1:
        return CAUSE_ROUNDING, f"差额 {format_yuan(d)} 元：四舍五入到分的差异"
    if row.reversal or ctx is None:
        return _plain(fund, d, paid, policy, region)
    state = line.state_after.minus(result.delta)
    funds = list(paid)

    def matches(s: Settlement, only: str | None = None) -> bool:
        keys = [only] if only else [f for f in funds if f != "政府兜底"]
        return all(_fund_of(s, f) == paid[f] for f in keys)

    def again(c=claim, st=state, identities=None):
        try:
            return settle(ctx, identities if identities is not None else ids.resolve(ctx.view, row.category), c, st)
        except (InputError, PolicyNotInForce, SettingMissing):
            return None

    if fund != "政府兜底":
        if not claim.referral and d > 0:
            s = again(c=replace(claim, referral=True))
            if s is not None and matches(s, fund):
                return CAUSE_REFERRAL, "未按规定转诊，政策不予支付（平台按已转诊支付）"
        if d > 0 and fund in ("医疗救助", "倾斜救助"):
            s = again(st=state._replace(selfpay=10 ** 13, remaining=10 ** 13))
            if s is not None and matches(s, fund):
                return CAUSE_THRESHOLD, (f"年度累计政策范围内个人自付此前 {format_yuan(state.selfpay)} 元，"
                                         f"本次后仍未超过起付标准的部分不予救助")
            s = again(st=state._replace(assist=0, tilt=0))
            if s is not None and matches(s, fund):
                used = state.assist if fund == "医疗救助" else state.tilt
                return CAUSE_CAP, f"本年此前已支付{fund} {format_yuan(used)} 元，年度限额剩余不足"
        if d < 0 and fund == "医疗救助" and _topped_up(ctx, result, claim, state):
            return CAUSE_TOPUP, f"政策应救助到综合支付比例，少付 {format_yuan(-d)} 元"
        # another identity: the whole claim's paid funds are that identity's policy amounts
        for other in (*ctx.view.priority, ids.ORDINARY):
            if other == result.identity:
                continue
            s = again(identities=() if other == ids.ORDINARY else (other,))
            if s is not None and matches(s) and _fund_of(s, fund) != policy[fund]:
                return CAUSE_IDENTITY, (f"平台按「{other}」支付；导出人员类别「{row.category or '普通参保人'}」，"
                                        f"按政策适用「{result.identity}」")
    return _plain(fund, d, paid, policy, region, ctx)


def _plain(fund, d, paid, policy, region, ctx=None) -> tuple[str, str]:
    if fund == "倾斜救助" and ctx is not None:
        mode = ctx.view.get("tilt.mode")
        if mode is not None and mode.value == "on_application":
            return CAUSE_ON_APPLICATION, f"倾斜救助依申请，文件未给计算标准（{mode.citation}）：请与审批材料核对"
    if policy[fund] == 0 and paid[fund] != 0:
        return CAUSE_NOTHING, f"按政策本次{fund}为 0，平台支付 {format_yuan(paid[fund])} 元"
    return CAUSE_OTHER, f"平台多付 {format_yuan(d)} 元" if d > 0 else f"平台少付 {format_yuan(-d)} 元"


def _topped_up(ctx, result: Settlement, claim, state: YearState) -> bool:
    """The policy's 医疗救助 includes a top-up to the combined payment ratio (阳医保发〔2022〕2号 四)."""
    if ctx.view.get(f"assistance.topup.{result.identity}") is None or not result.in_assistance:
        return False
    try:
        r = assistance(ctx, result.identity, result.assist_base, state.selfpay, state.assist, claim.kind,
                       claim.referral, claim.policy_cost, claim.in_province)
    except (InputError, PolicyNotInForce, SettingMissing):
        return False
    return any("兜底到" in line for line in r.lines())
