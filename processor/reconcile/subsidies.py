"""资助参保 money: what the 代缴请款明细 asks the tax office/finance for, against what the enrolment payment
records show was subsidised (`yibao reconcile … --requests 代缴请款明细.xlsx --payments 缴费记录.xlsx`).

Both files go through the one safe reader (column sets REQUEST_COLUMNS and PAYMENT_COLUMNS) and the ID
module; a bad row is listed, never dropped silently. Per person (ID key):
  一致                      the requested 代缴金额 equals the payment record's 代缴金额
  请款金额与缴费记录不一致    both exist and differ (the difference is shown)
  请款但无缴费记录            requested, no payment record of the person
  缴费记录有代缴但未请款      the payment record shows a subsidy, nothing was requested
  重复请款                    the person is in the requests more than once (the amounts are added up)
Totals: Σ requested − Σ recorded = Σ of the listed differences (a 核对 row shows it).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..enrolment.people import RESIDENT, Reject, read_payments
from ..errors import FileError, InputError
from ..io.headers import PAYMENT_COLUMNS, REQUEST_COLUMNS
from ..io.ids import person_of
from ..io.reader import read_export, require_columns
from ..money import parse_amount

SAME = "一致"
DIFFERENT = "请款金额与缴费记录不一致"
NO_PAYMENT = "请款但无缴费记录"
NOT_REQUESTED = "缴费记录有代缴但未请款"
TWICE = "重复请款"


@dataclass
class SubsidyLine:
    key: str
    name: str
    requested: int | None
    recorded: int | None
    outcome: str

    @property
    def diff(self) -> int:
        return (self.requested or 0) - (self.recorded or 0)


def read_requests(path: Path, rejects: list[Reject]) -> dict[str, tuple[str, int, int]]:
    """key → (name, 代缴金额 fen summed, rows)."""
    table = read_export(path, columns=REQUEST_COLUMNS, what="代缴请款明细")
    require_columns(table, [("id_number", "person_no"), "subsidy_paid"])
    out: dict[str, tuple[str, int, int]] = {}
    for raw in table.rows:
        v = raw.values
        name = "" if v.get("name") is None else str(v["name"]).strip()
        try:
            key = person_of(v).key
            fen = parse_amount(v.get("subsidy_paid"), "代缴金额")
        except InputError as err:
            rejects.append(Reject(table.path.name, raw.source_row, name, str(v.get("id_number") or ""), err.message))
            continue
        old = out.get(key)
        out[key] = (name, fen + (old[1] if old else 0), 1 + (old[2] if old else 0))
    return out


def reconcile_subsidies(requests_path: Path, payments_path: Path, region) -> tuple[list[SubsidyLine], list[Reject]]:
    rejects: list[Reject] = []
    requested = read_requests(Path(requests_path), rejects)
    table = read_export(payments_path, columns=PAYMENT_COLUMNS, what="缴费记录")
    payments = read_payments(table, region, rejects)
    recorded: dict[str, tuple[str, int]] = {}
    for p in payments:
        if p.subsidy_paid is not None and p.scheme == RESIDENT and p.local:
            old = recorded.get(p.key)
            recorded[p.key] = (p.name, p.subsidy_paid + (old[1] if old else 0))
    if not any(p.subsidy_paid is not None for p in payments):
        raise FileError(f"缴费记录 {Path(payments_path).name} 没有「代缴金额」列或该列全空：无法核对资助请款")
    lines: list[SubsidyLine] = []
    for key in sorted(set(requested) | set(recorded)):
        req, rec = requested.get(key), recorded.get(key)
        name = (req or rec)[0]
        if req is None:
            if not rec[1]:
                continue  # no subsidy recorded, none requested: nothing to say
            outcome = NOT_REQUESTED
        elif rec is None:
            outcome = NO_PAYMENT
        elif req[2] > 1:
            outcome = TWICE
        else:
            outcome = SAME if req[1] == rec[1] else DIFFERENT
        lines.append(SubsidyLine(key, name, req[1] if req else None, rec[1] if rec else None, outcome))
    return lines, rejects


__all__ = ["reconcile_subsidies", "SubsidyLine"]
