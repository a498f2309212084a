"""The explanation of one computation: short steps, each with the clause it applies.

Steps stay short (one line each, well under Excel's 255-character limit for a returned string) so
that ``*_EXPLAIN`` can spill them down a column.
"""
from __future__ import annotations

from dataclasses import dataclass

from .book import Citation


@dataclass(frozen=True)
class Step:
    text: str
    cite: Citation | None = None
    source: str = ""  # where a local-setting figure comes from

    def render(self) -> str:
        out = self.text
        if self.cite is not None:
            out += f"〔{self.cite}〕"
        if self.source:
            out += f"〔设置来源：{self.source}〕"
        return out


@dataclass(frozen=True)
class Result:
    """An amount in fen (``None`` when the rule gives no amount) with its trace."""
    fen: int | None
    identity: str
    steps: tuple[Step, ...]
    text: str = ""  # a non-amount answer: a monitoring list's name, 依申请, a date

    def lines(self) -> list[str]:
        return [s.render() for s in self.steps]

    def citations(self) -> list[Citation]:
        seen: dict[Citation, None] = {}
        for s in self.steps:
            if s.cite is not None:
                seen.setdefault(s.cite, None)
        return list(seen)

    def with_steps(self, before=(), after=()) -> "Result":
        return Result(self.fen, self.identity, tuple(before) + self.steps + tuple(after), self.text)
