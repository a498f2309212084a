"""The explanation of one computation: short steps, each with the clause it applies.

Steps stay short (one line each, well under Excel's 255-character limit for a returned string) so
that ``*_EXPLAIN`` can spill them down a column.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from .book import Citation


class Step:
    """One line of explanation. ``text`` may be a zero-argument function: the batch computes
    thousands of claims whose traces nobody reads, so a step's text is formatted only when shown."""
    __slots__ = ("_text", "cite", "source")

    def __init__(self, text: "str | Callable[[], str]", cite: Citation | None = None, source: str = ""):
        self._text = text
        self.cite = cite
        self.source = source  # where a local-setting figure comes from

    @property
    def text(self) -> str:
        t = self._text
        if not isinstance(t, str):
            t = self._text = t()
        return t

    def __repr__(self) -> str:
        return f"Step({self.text!r}, {self.cite!r})"

    def __eq__(self, other) -> bool:
        return isinstance(other, Step) and (self.text, self.cite, self.source) == (other.text, other.cite, other.source)

    __hash__ = None

    def render(self) -> str:
        out = self.text
        if self.cite is not None:
            out += f"〔{self.cite}〕"
        if self.source:
            out += f"〔设置来源：{self.source}〕"
        return out


class Trace:
    """Where a calculator writes its explanation, one :class:`Step` at a time (``trace.step(text, cite)``).

    The public calculators (``critical``, ``assistance`` …) write into a ``Trace`` and return its steps in
    their :class:`Result`: what the Excel functions' ``*_EXPLAIN`` and ``yibao explain`` show."""
    __slots__ = ("steps",)
    # whether the steps' text is kept: a calculator skips a step that has text and no citation when it is not
    # (each such step costs the batch a closure and a call: about 0.1 µs, six times a claim in 赣州)
    explains = True

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def step(self, text: "str | Callable[[], str]", cite: Citation | None = None, source: str = "") -> None:
        self.steps.append(Step(text, cite, source))

    def append(self, step: Step) -> None:  # a step made elsewhere (rules.common.Ctx.money's)
        self.steps.append(step)

    def extend(self, steps) -> None:
        self.steps.extend(steps)


class Citations(Trace):
    """A trace that keeps only the steps' citations, each once, in order of first use, appended to
    ``into`` (which may already hold some: those are not repeated). The batch writes 政策依据 for every
    claim but no step text, so its calls through the same calculators build no steps."""
    __slots__ = ("into",)
    explains = False

    def __init__(self, into: list) -> None:
        self.into = into

    def step(self, text, cite: Citation | None = None, source: str = "") -> None:
        if cite is not None and cite not in self.into:
            self.into.append(cite)

    def append(self, step: Step) -> None:
        c = step.cite
        if c is not None and c not in self.into:
            self.into.append(c)

    def extend(self, steps) -> None:
        into = self.into
        for s in steps:
            c = s.cite
            if c is not None and c not in into:
                into.append(c)


class Result(NamedTuple):
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
