"""表一 参保/资助台账 (区医保发〔2021〕40号 附件1): one row per enrolled person of the subsidised groups,
and the 异常 sheet (rejected rows, persons whose figures could not be computed)."""
from __future__ import annotations

from .assess import ENROLLED, PersonYear
from .people import Reject

RESIDENT_SCHEME_DOC = "城乡居民基本医疗保险"


def yuan(fen: int | None):
    """int fen → the number written to the cell, as the ledger writes it: fen / 100 is correctly rounded,
    so the cell's XML text is exactly the two-decimal amount; nothing is computed on it afterwards."""
    return None if fen is None else fen / 100

RESIDENT_SCHEME = "城乡居民基本医疗保险"


def rows(years: list[PersonYear], region: str, year: int):
    n = 0
    for py in years:
        if py.status != ENROLLED or py.error:
            continue
        n += 1
        p, pay = py.person, py.payment
        yield (n, p.township, p.village, p.name, p.key, py.identities, py.since, py.until, py.changes,
               py.identity or "无资助身份", RESIDENT_SCHEME, year, pay.pay_date, pay.area or region,
               yuan(py.contribution), yuan(py.subsidy), yuan(py.due), yuan(pay.paid), py.route_text or py.route,
               py.benefit_start, py.identity_from, "；".join(x for x in (py.benefit_text, py.note) if x))


def anomaly_rows(rejects: list[Reject], years: list[PersonYear]):
    for r in rejects:
        yield (r.source, r.row, r.name, r.id_number, r.reason)
    for py in years:
        if py.error:
            s = py.spells[0]
            yield (s.source, s.row, py.person.name, py.person.key, f"{py.status}，无法计算资助：{py.error}")
