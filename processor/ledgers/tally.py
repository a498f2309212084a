"""What the ledger's other sheets and the closing summary need from the 台账 lines, gathered in one pass.

`yibao fill` writes the 台账 rows as they are settled and lets each line go (issue 12: a month of a
city in constant memory); 汇总, 核对, 年度累计 and the console totals are made from this tally,
fed the same lines in the same order. A command that keeps its lines in a list gets the same tally
from :func:`tally_of`.
"""
from __future__ import annotations

from dataclasses import dataclass, field

SUMMARY_GROUPS = (("适用身份", "（冲销）"), ("乡镇", "（未填）"))  # (grouping, what a line without its key is under)
(_BY_IDENTITY, _NO_IDENTITY), (_BY_TOWN, _NO_TOWN) = SUMMARY_GROUPS
FUNDS = ("大病保险", "医疗救助", "倾斜救助")


@dataclass
class Tally:
    count: int = 0
    # (适用身份, 乡镇) → [人次, 医疗费总额, 大病保险, 医疗救助, 倾斜救助, 个人自付] in fen: the one list a line adds
    # to (a few hundred pairs in a month); 汇总's two groupings are summed from them (groups)
    pairs: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    # 核对: (source row, 结算ID, 姓名, fund, exported, computed, why) where the export and the policy differ
    checks: list[tuple] = field(default_factory=list)
    compared: int = 0
    funds: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)  # person key → 姓名 (年度累计)
    critical: int = 0
    assist: int = 0
    tilt: int = 0
    final_selfpay: int = 0
    hospital_borne: int = 0

    def add(self, line) -> None:
        r, s = line.row, line.result
        c = r.claim
        self.count += 1
        self.critical += s.critical or 0
        self.assist += s.assist or 0
        self.tilt += s.tilt or 0
        self.final_selfpay += s.final_selfpay or 0
        self.hospital_borne += s.hospital_borne
        if r.name:
            self.names[c.person] = r.name
        pair = (s.identity or _NO_IDENTITY, r.township or _NO_TOWN)
        acc = self.pairs.get(pair)
        if acc is None:
            acc = self.pairs[pair] = [0] * 6
        acc[0] += 1
        acc[1] += c.total_cost
        acc[2] += s.critical
        acc[3] += s.assist
        acc[4] += s.tilt or 0
        acc[5] += s.final_selfpay
        if r.reversal:
            return
        for fund, exported, computed in zip(FUNDS, (r.critical_export, r.assist_export, r.tilt_export),
                                            (s.critical_computed, s.assist, s.tilt)):
            if exported is not None and computed is not None:
                self.compared += 1
                self.funds.add(fund)
                if exported != computed:
                    self.checks.append((r.source_row, c.settlement_id, r.name, fund, exported, computed, ""))
        for fund, why in s.checks:  # what the policy amount could not be computed from, and why
            self.checks.append((r.source_row, c.settlement_id, r.name, fund, None, None, why))


    @property
    def groups(self) -> dict[tuple[str, str], list[int]]:
        """(grouping, key) → [人次, 医疗费总额, 大病保险, 医疗救助, 倾斜救助, 个人自付] in fen: by 适用身份 and by 乡镇,
        each the sum of its pairs (a line once in each grouping, as when both were added to line by line)."""
        out: dict[tuple[str, str], list[int]] = {}
        for (identity, town), acc in self.pairs.items():
            for key in ((_BY_IDENTITY, identity), (_BY_TOWN, town)):
                sums = out.get(key)
                if sums is None:
                    out[key] = list(acc)
                else:
                    for i, a in enumerate(acc):
                        sums[i] += a
        return out


def tally_of(outcome) -> Tally:
    """The outcome's tally: the one gathered while its lines were written, or made now from its list."""
    tally = getattr(outcome, "tally", None)
    if tally is None:
        tally = Tally()
        for line in outcome.lines:
            tally.add(line)
        outcome.tally = tally
    return tally
