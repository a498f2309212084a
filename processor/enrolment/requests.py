"""代缴请款明细 for the tax office: persons whose subsidy goes to the fund (they paid only their part).
代缴金额 + 个人缴费金额 = 缴费总额 on every row, in int fen (checked before writing)."""
from __future__ import annotations

from ..rules.enrolment import FUND
from .assess import ENROLLED, PersonYear
from .table1 import RESIDENT_SCHEME, yuan


def rows(years: list[PersonYear], batch: str | None):
    n = 0
    for py in years:
        if py.status != ENROLLED or py.error or py.route != FUND or py.subsidy <= 0:
            continue
        n += 1
        pay = py.payment
        total = py.subsidy + pay.paid
        assert total - pay.paid == py.subsidy  # int fen: balances to the fen by construction
        number = py.person.key.split(":", 1)[1] if py.person.key.startswith("人员编号:") else ""
        yield (n, py.person.township, py.person.name, py.person.key, number, py.identity, RESIDENT_SCHEME,
               yuan(py.subsidy), yuan(pay.paid), yuan(total), batch or f"{pay.pay_date.year}-{pay.pay_date.month:02d}")
