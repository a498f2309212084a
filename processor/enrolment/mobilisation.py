"""表二 动员参保台账 (区医保发〔2021〕40号 附件2) and the 合理化未参保 ledger.

Month to month: the previous 表二 (read with the same safe reader, column set MOBILISATION_COLUMNS) gives
the clerk's typed columns (动员时间, 动员人, 动员结果, 未参保原因, 佐证材料) and 首次列入, matched by person
key. This month's 表二 keeps them for those still unenrolled, drops those since enrolled or reasonably
unenrolled (listed in 变动情况 as 已参保 / 转入合理化未参保), drops those no longer on the rosters, and
adds the new ones (新增)."""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import YibaoError
from ..io.headers import MOBILISATION_COLUMNS
from ..io.ids import parse_key
from ..io.reader import read_export, require_columns
from .assess import ENROLLED, REASONABLE, UNENROLLED, PersonYear
from .people import Reject, _text
from .table1 import yuan

CLERK = ("mobilised_on", "mobiliser", "result", "unenrolled_reason", "evidence")


@dataclass
class Previous:
    clerk: dict[str, dict]        # person key → {clerk column: value, first_listed, name, township, village}
    rows_read: int
    rejected: list[Reject]


def read_previous(path) -> Previous:
    table = read_export(path, columns=MOBILISATION_COLUMNS, what="上月动员参保台账（表二）")
    require_columns(table, ["id_number"])
    clerk: dict[str, dict] = {}
    rejected: list[Reject] = []
    for raw in table.rows:
        v = raw.values
        try:
            key = parse_key(v.get("id_number"))
        except YibaoError as err:
            rejected.append(Reject(table.path.name, raw.source_row, _text(v.get("name")), _text(v.get("id_number")),
                                   err.message))
            continue
        clerk[key] = {k: v.get(k) for k in (*CLERK, "first_listed", "name", "township", "village")}
    return Previous(clerk, len(table.rows), rejected)


def rows(years: list[PersonYear], previous: Previous | None, period: str):
    """(表二 rows, 变动情况 rows)."""
    clerk = previous.clerk if previous else {}
    table, changes = [], []
    now = {py.person.key: py for py in years}
    n = 0
    for py in years:
        if py.status != UNENROLLED:
            continue
        n += 1
        p = py.person
        c = clerk.get(p.key, {})
        first = c.get("first_listed") or period
        reason = c.get("unenrolled_reason") or p.reason or None
        evidence = c.get("evidence") or p.evidence or None
        table.append((n, p.township, p.village, p.name, p.key, py.identities, py.spells[0].recognised,
                      None if py.error else yuan(py.subsidy), None if py.error else yuan(py.due), first,
                      py.note or (py.error and f"无法计算资助：{py.error}") or None,
                      c.get("mobilised_on"), c.get("mobiliser"), c.get("result"), reason, evidence))
        if p.key not in clerk:
            changes.append((p.township, p.village, p.name, p.key, "新增", None, f"{period} 首次列入未参保"))
    for key, c in clerk.items():
        py = now.get(key)
        if py is None:
            changes.append((c.get("township"), c.get("village"), c.get("name"), key, "移出",
                            None, "不在本期认定名单（身份已取消或未在本年度名单中）"))
        elif py.status == ENROLLED:
            changes.append((py.person.township, py.person.village, py.person.name, key, "已参保",
                            py.payment.pay_date, f"缴费 {py.payment.source} 第{py.payment.row}行"))
        elif py.status == REASONABLE:
            changes.append((py.person.township, py.person.village, py.person.name, key, "转入合理化未参保",
                            None, f"{py.reason}：{py.evidence}"))
    return table, [(i, *row) for i, row in enumerate(changes, 1)]


def reasonable_rows(years: list[PersonYear]):
    n = 0
    for py in years:
        if py.status != REASONABLE:
            continue
        n += 1
        p = py.person
        source = "参保缴费记录" if py.reason in ("参加职工医保", "异地参保") else "经办人员填写（表二/名单）"
        yield (n, p.township, p.village, p.name, p.key, py.identities, py.spells[0].recognised, py.reason,
               py.evidence, source)
