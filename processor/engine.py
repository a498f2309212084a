"""One engine for the Excel functions and the batch: region + date → policy view → calculators.

Inputs here are already normalised (int fen, ``date``, canonical names come from cell text
through :mod:`processor.identities`). The UDF layer parses Excel's values; the batch parses rows.
"""
from __future__ import annotations

from datetime import date

from . import identities as ids
from .book import Book, PolicyView, default_book
from .errors import PolicyNotInForce
from .rules.assistance import assistance as _assistance
from .rules.common import Ctx
from .rules.critical import critical as _critical
from .rules.monitor import monitor as _monitor
from .rules.subsidy import subsidy as _subsidy
from .rules.tilt import tilt as _tilt
from .rules.waiting import benefit_start as _benefit_start
from .settings import Settings
from .trace import Result, Step


class Engine:
    def __init__(self, book: Book | None = None, settings: Settings | None = None):
        self.book = book or default_book()
        self.settings = settings or Settings()

    # ------------------------------------------------------------------ lookups
    def ctx(self, region_text, on: date) -> Ctx:
        region = self.book.region(region_text)
        return Ctx(region.view(on), self.settings)

    def ctx_for_year(self, region_text, year: int) -> Ctx:
        """The view used for a yearly figure (资助参保): the first day of the year with a policy in force."""
        region = self.book.region(region_text)
        for d in sorted({date(year, 1, 1)} | {doc.start for doc in region.documents if doc.start.year == year}):
            if any(doc.start <= d <= doc.end for doc in region.documents):
                return Ctx(region.view(d), self.settings)
        return Ctx(region.view(date(year, 1, 1)), self.settings)  # raises PolicyNotInForce

    # ------------------------------------------------------------------ benefits (highest identity wins)
    def subsidy(self, categories, region, year: int) -> Result:
        ctx = self.ctx_for_year(region, year)
        return ids.best(ctx.view, ids.resolve(ctx.view, categories), lambda i: _subsidy(ctx, i))

    def critical(self, categories, region, amount: int, ytd_amount: int = 0, on: date | None = None,
                 referral: bool = True) -> Result:
        ctx = self.ctx(region, on or date.today())
        return ids.best(ctx.view, ids.resolve(ctx.view, categories),
                        lambda i: _critical(ctx, i, amount, ytd_amount, referral))

    def assistance(self, categories, region, selfpay: int, ytd_selfpay: int = 0, ytd_assist: int = 0,
                   kind: str = "住院", on: date | None = None, referral: bool = True,
                   stay_total: int | None = None, in_province: bool = True) -> Result:
        ctx = self.ctx(region, on or date.today())
        return ids.best(ctx.view, ids.resolve(ctx.view, categories),
                        lambda i: _assistance(ctx, i, selfpay, ytd_selfpay, ytd_assist, kind, referral,
                                              stay_total, in_province))

    def tilt(self, categories, region, remaining: int, ytd_remaining: int = 0, ytd_tilt: int = 0,
             on: date | None = None, referral: bool = True, beyond_cap: int | None = None) -> Result:
        ctx = self.ctx(region, on or date.today())
        return ids.best(ctx.view, ids.resolve(ctx.view, categories),
                        lambda i: _tilt(ctx, i, remaining, ytd_remaining, ytd_tilt, referral, beyond_cap))

    def monitor(self, categories, region, selfpay: int, ytd_selfpay: int = 0, on: date | None = None) -> Result:
        """The list the person belongs on: the first list (in the document's order) any identity reaches."""
        ctx = self.ctx(region, on or date.today())
        found = ids.resolve(ctx.view, categories) or (ids.ORDINARY,)
        results = [_monitor(ctx, i, selfpay, ytd_selfpay) for i in found]
        hits = [r for r in results if r.text]
        if not hits:
            return results[0]
        order = {p.key.split(".", 1)[1]: p.value["order"] for p in ctx.view.params.values()
                 if p.key.startswith("monitor.")}
        return min(hits, key=lambda r: order[r.text])

    def identity(self, categories, region, on: date | None = None) -> str:
        ctx = self.ctx(region, on or date.today())
        return ids.highest(ctx.view, ids.resolve(ctx.view, categories))

    def benefit_start(self, categories, region, paid_on: date, case: str = "") -> Result:
        ctx = self.ctx(region, paid_on)
        period = ctx.view.get("waiting.collection_period")
        if period is not None and period.value[0] <= paid_on <= period.value[1]:
            year_start = date(period.value[1].year, 1, 1)
            if year_start > paid_on:  # paying ahead for the next benefit year: that year's policy applies
                ctx = self.ctx(region, year_start)
        found = ids.resolve(ctx.view, categories) or (ids.ORDINARY,)
        results = [_benefit_start(ctx, i, paid_on, case) for i in found]
        return min(results, key=lambda r: r.text)  # earliest start wins

    def in_force(self, region, on: date) -> PolicyView:
        return self.ctx(region, on).view


__all__ = ["Engine", "PolicyNotInForce", "Result", "Step"]
