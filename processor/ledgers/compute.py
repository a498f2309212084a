"""The month's computation: normalised claims → settlements, per person in settlement order.

Rows in = rows written + rows rejected. A rejected row carries its source row number and the
reason in Chinese. A duplicate 结算ID is rejected (never paid twice); a reversal (negative amounts
under an earlier 结算ID) undoes the original's effect on the year-to-date state.
"""
from __future__ import annotations

import contextlib
import gc
import struct
from dataclasses import dataclass, field
from typing import Callable, Iterable, Iterator

from .. import identities as ids
from ..book import Region
from ..chain import NO_STATE, Settlement, YearState, reverse, settle
from ..dates import parse_date
from ..errors import FileError, InputError, PolicyNotInForce, SettingMissing, YibaoError
from ..io.reader import ExportTable
from ..money import format_yuan
from ..rules.common import Ctx
from ..settings import Settings
from .normalise import ClaimRow, normalise
from .store import ClaimStore
from .tally import Tally


@dataclass
class Rejected:
    source_row: int
    settlement_id: str
    name: str
    reason: str
    source: str = ""  # the input file's name, when a run reads several


@dataclass(slots=True)
class Line:
    """One written ledger row."""
    row: ClaimRow
    result: Settlement
    state_after: YearState


class Earlier:
    """结算ID → what an earlier ledger says of that settlement, one ``bytes`` per 结算ID (issue 12: a month of
    a city hands over a million, and a dict of tuples, Settlements or a second dict for the amounts would
    take two to three times the memory).

    Each 结算ID has up to two parts, kept in one packed value:
      * the settlement (:meth:`put`'s ``original``: person, year, 适用身份 and the figures a reversal takes
        off; the ledger's last row of that ID with no negative amount wins). ``sid in earlier``, ``len`` and
        :meth:`owners` see only IDs that have it — they are "already settled".
      * the amounts (医疗费总额 or None, 政策范围内费用, 基本医保支付) a reversal this month must match; the
        first row with them wins.
    Figures are 4-byte integers (fen) when every one of an ID's fits, else 8-byte; persons and 适用身份 are
    numbers into one table of strings."""

    __slots__ = ("_d", "_strings", "_ix", "_count")

    def __init__(self):
        self._d: dict[str, bytes] = {}
        self._strings: list[str] = []
        self._ix: dict[str, int] = {}
        self._count = 0  # IDs with the settlement part

    def __contains__(self, sid) -> bool:
        v = self._d.get(sid)
        return v is not None and v[0] & _HAS_ORIGINAL != 0

    def __len__(self) -> int:
        return self._count

    def put(self, sid: str, original: tuple[str, int, Settlement] | None = None,
            amounts: tuple[int | None, int, int] | None = None) -> None:
        """``original`` (person, year, settlement) replaces the one kept; ``amounts`` is kept only if the ID
        has none yet."""
        old = self._d.get(sid)
        if old is not None:
            was, had = self._parts(old)
            if amounts is None or had is not None:
                amounts = had
            if original is None:
                original = was
        if original is not None and (old is None or not old[0] & _HAS_ORIGINAL):
            self._count += 1
        self._d[sid] = self._pack(original, amounts)

    def original(self, sid: str) -> tuple[str, int, Settlement] | None:
        v = self._d.get(sid)
        return None if v is None else self._parts(v)[0]

    def amounts(self, sid: str) -> tuple[int | None, int, int] | None:
        v = self._d.get(sid)
        return None if v is None else self._parts(v)[1]

    def owners(self) -> Iterator[tuple[str, str]]:
        """(结算ID, person) of every settled ID."""
        strings = self._strings
        for sid, v in self._d.items():
            if v[0] & _HAS_ORIGINAL:
                yield sid, strings[_PERSON.unpack_from(v, 1)[0]]

    def update(self, later: "Earlier") -> None:
        """Add a later ledger's: its settlement of an ID replaces this one's, this one's amounts stay."""
        for sid, v in later._d.items():
            self.put(sid, *later._parts(v))

    def same(self, text: str) -> str:
        """The equal string already in the table, else ``text``: a person's ID read again (年度累计) is then
        one object, not two (200,000 persons: 13 MB)."""
        i = self._ix.get(text)
        return text if i is None else self._strings[i]

    def _string(self, text: str) -> int:
        i = self._ix.get(text)
        if i is None:
            i = self._ix[text] = len(self._strings)
            self._strings.append(text)
        return i

    def _pack(self, original, amounts) -> bytes:
        flags, figures = 0, []
        if original is not None:
            person, year, s = original
            flags |= _HAS_ORIGINAL
            figures += [s.critical, s.assist, s.tilt or 0, s.final_selfpay, s.assist_base, s.hospital_borne, *s.delta]
        if amounts is not None:
            total, policy, basic = amounts
            flags |= _HAS_AMOUNTS
            figures += [total or 0, policy, basic]
        wide = any(not _I32_MIN <= f <= _I32_MAX for f in figures)
        parts = []
        if original is not None:
            parts.append((_ORIGINAL_WIDE if wide else _ORIGINAL_NARROW).pack(
                self._string(person), year, self._string(s.identity), *figures[:13],
                s.tilt is not None, s.in_critical, s.in_assistance))
        if amounts is not None:
            parts.append((_AMOUNTS_WIDE if wide else _AMOUNTS_NARROW).pack(*figures[-3:], amounts[0] is not None))
        return bytes((flags | (_WIDE if wide else 0),)) + b"".join(parts)

    def _parts(self, v: bytes):
        flags, at = v[0], 1
        wide = flags & _WIDE
        original = amounts = None
        if flags & _HAS_ORIGINAL:
            form = _ORIGINAL_WIDE if wide else _ORIGINAL_NARROW
            person, year, identity, *f, has_tilt, in_critical, in_assistance = form.unpack_from(v, at)
            at += form.size
            s = Settlement(self._strings[identity], f[0], f[1], f[2] if has_tilt else None, f[3], "",
                           YearState(*f[6:13]), in_critical=bool(in_critical), in_assistance=bool(in_assistance),
                           assist_base=f[4], hospital_borne=f[5])
            original = (self._strings[person], year, s)
        if flags & _HAS_AMOUNTS:
            form = _AMOUNTS_WIDE if wide else _AMOUNTS_NARROW
            total, policy, basic, has_total = form.unpack_from(v, at)
            amounts = (total if has_total else None), policy, basic
        return original, amounts


_HAS_ORIGINAL, _HAS_AMOUNTS, _WIDE = 1, 2, 4
_I32_MIN, _I32_MAX = -(1 << 31), (1 << 31) - 1
_PERSON = struct.Struct("<I")
# person, year, 适用身份; 大病, 救助, 倾斜, 自付, 进入救助, 机构承担, year delta ×7; has 倾斜, 大病 kind, 救助 kind
_ORIGINAL_NARROW, _ORIGINAL_WIDE = struct.Struct("<IHI13i3B"), struct.Struct("<IHI13q3B")
_AMOUNTS_NARROW, _AMOUNTS_WIDE = struct.Struct("<3iB"), struct.Struct("<3qB")  # 医疗费总额, 政策范围内, 基本医保; has 总额


@dataclass
class PreviousLedger:
    """What last month's filled ledger hands over: per-person state and the settlements already paid
    (``settled``: :class:`Earlier`, packed, unpacked only when this month reverses or matches one)."""
    year_state: dict[tuple[str, int], YearState] = field(default_factory=dict)
    settled: Earlier = field(default_factory=Earlier)
    reversed: set[str] = field(default_factory=set)  # settled IDs whose reversal is in that ledger too
    path: str = ""
    spans: list[tuple] = field(default_factory=list)  # (file name, first month, last month) per ledger

    def original(self, sid: str) -> tuple[str, int, Settlement] | None:
        """(person, year, the settlement as last month's ledger shows it) of an earlier 结算ID, or None."""
        return self.settled.original(sid)

    def amounts_of(self, sid: str) -> tuple[int | None, int, int] | None:
        """(医疗费总额 or None, 政策范围内费用, 基本医保支付) of an earlier 结算ID, for a reversal to match."""
        return self.settled.amounts(sid)


@dataclass
class Outcome:
    lines: list[Line]
    rejected: list[Rejected]
    skipped: list[tuple[int, str]]
    states: dict[tuple[str, int], YearState]
    views: dict
    tally: Tally | None = None  # gathered while the lines were written (streamed), else made on demand

    @property
    def rows_read(self) -> int:
        return len(self.lines) + len(self.rejected)


class StreamedOutcome(Outcome):
    """A month of a city (issue 12): ``lines`` is one pass over the claims, settled as the 台账 is
    written and then let go; ``rejected``, ``states`` and ``tally`` are complete once it has been
    consumed (the writer fills 台账 before the other sheets). See :func:`compute_stream`."""

    def __init__(self, lines: Iterator[Line], rejected, skipped, states, views, read: int, months, first):
        super().__init__(lines, rejected, skipped, states, views, Tally())
        self.read = read        # rows read (accepted or rejected), known before settling
        self.months = months    # (year, month) → [rows, first row] of every settlement date that parses
        self.first = first      # (earliest settlement date, its row) or (None, None)

    @property
    def rows_read(self) -> int:
        return self.read


def compute(table: ExportTable, region: Region, settings: Settings, previous: PreviousLedger | None = None,
            progress: Callable[[int, int], None] | None = None, consume: bool = False, workers: int = 1) -> Outcome:
    """``consume``: empty ``table.rows`` while reading them (the batch does not need them again).
    ``workers`` > 1: settle the claims in that many processes, partitioned by person (a large month)."""
    previous = previous or PreviousLedger()
    has_kind = "kind" in table.mapping.values()
    rejected: list[Rejected] = []
    accepted: list[ClaimRow] = []
    rows = table.rows
    for i, raw in enumerate(rows):
        if consume:  # a large month: let each raw row go once it is a claim
            rows[i] = None
        try:
            accepted.append(normalise(raw, has_kind))
        except InputError as err:
            v = raw.values
            rejected.append(Rejected(raw.source_row, _t(v.get("settlement_id")), _t(v.get("name")), err.message))
    if consume:
        table.rows = []

    accepted.sort(key=lambda r: (r.claim.settled_on, r.source_row))
    views: dict = {}
    if workers > 1 and len(accepted) >= PARALLEL_MIN_ROWS:
        lines, settled_rejects, states = _settle_in_parallel(accepted, region, settings, previous, workers, progress)
        for on in sorted({row.claim.settled_on for row in accepted}):  # the views the serial loop makes
            try:
                _ctx(views, region, on, settings)
            except PolicyNotInForce:
                pass
    else:
        lines, settled_rejects, states = settle_claims(accepted, region, settings, previous, views, progress)
    rejected.extend(settled_rejects)
    rejected.sort(key=lambda r: r.source_row)
    return Outcome(lines, rejected, list(table.skipped), states, views)


def compute_stream(tables: ExportTable | list[ExportTable], region: Region, settings: Settings, previous: PreviousLedger | None = None,
                   progress: Callable[[int, int], None] | None = None, reading=None,
                   folder: str | None = None, finish: Callable[[StreamedOutcome], None] | None = None
                   ) -> StreamedOutcome:
    """:func:`compute` in constant memory (issue 12): ``table.rows`` is read once (it may be
    :func:`processor.io.reader.open_export`'s iterator), each claim normalised and put in a
    :class:`ClaimStore` on disk (a temp file in ``folder``); the returned outcome's ``lines`` settles
    them in settlement order while they are written, and each line is tallied and let go.
    ``reading(n)``: progress while reading. ``finish(outcome)``: called once every line is settled and
    before the other sheets are written (the reject guard): raising there stops the write."""
    previous = previous or PreviousLedger()
    tables = tables if isinstance(tables, list) else [tables]
    names = _file_names(tables) if len(tables) > 1 else None
    rejected: list[Rejected] = []
    skipped: list[tuple[int, str]] = []
    months: dict[tuple[int, int], list] = {}  # (year, month) → [rows, first row, its place] (_count_month)
    first: tuple = (None, None)
    store = ClaimStore(folder)
    read = 0
    try:
        for k, table in enumerate(tables):
            has_kind = "kind" in table.mapping.values()
            file = names[k] if names else ""
            for raw in (_naming(table.rows, file) if names else table.rows):
                read += 1
                if reading and read % 5000 == 0:
                    reading(read)
                try:
                    row = normalise(raw, has_kind)
                except InputError as err:
                    v = raw.values
                    rejected.append(Rejected(raw.source_row, _t(v.get("settlement_id")), _t(v.get("name")),
                                             err.message, file))
                    on = _date_or_none(v.get("settlement_date"))
                else:
                    store.add(row, k)
                    on = row.claim.settled_on
                if on is not None:
                    _count_month(months, on, raw.source_row, file, read)
                    if first[0] is None or on < first[0]:
                        first = (on, f"{file} 第{raw.source_row}" if file else raw.source_row)
            skipped.extend((n, f"〔{file}〕{why}" if file else why) for n, why in table.skipped)
        if reading:
            reading(read)
    except BaseException:
        store.close()
        raise
    states: dict[tuple[str, int], YearState] = dict(previous.year_state)
    views: dict = {}
    outcome: StreamedOutcome

    early = read - len(store)  # rejected while reading: already done when the bar starts
    bar = (lambda n, total: progress(n + early, total + early)) if progress else None

    def lines() -> Iterator[Line]:
        try:
            tally = outcome.tally
            for line in settle_iter(store.in_order(), len(store), region, settings, previous, views, rejected, states,
                                    bar, keep=store.reversed_ids, sources=names):
                tally.add(line)
                yield line
        finally:
            store.close()
        order = {name: i for i, name in enumerate(names or ())}
        rejected.sort(key=lambda r: (order.get(r.source, 0), r.source_row))
        if finish:
            finish(outcome)

    outcome = StreamedOutcome(lines(), rejected, skipped, states, views, read, months, first)
    return outcome


def _naming(rows, file: str):
    """``rows``; a FileError while reading them (a part that does not unpack, rows out of order) names the
    file, one of several given. Only the reading: the store's own errors (disk full) are not the file's."""
    try:
        yield from rows
    except FileError as err:
        raise (err if file in err.message else FileError(f"{file}：{err.message}")) from None


def _file_names(tables: list[ExportTable]) -> list[str]:
    """How messages name each input file: its name, or its whole path when two files share a name."""
    short = [t.path.name for t in tables]
    return short if len(set(short)) == len(short) else [str(t.path) for t in tables]


def _count_month(months: dict, on, source_row: int, file: str, seq: int) -> None:
    """months: (year, month) → [rows, where its first row is, that row's place in the run]."""
    month = months.get((on.year, on.month))
    if month is None:
        months[(on.year, on.month)] = [1, f"{file} 第{source_row}" if file else source_row, seq]
    else:
        month[0] += 1


def _where(row: ClaimRow, sources: list[str] | None) -> int | str:
    """Where a claim was read: its row, or "B.xlsx 第12" when a run reads several files."""
    return f"{sources[row.source]} 第{row.source_row}" if sources else row.source_row


def _date_or_none(value):
    if value is None:
        return None
    try:
        return parse_date(value, "结算日期")
    except YibaoError:
        return None


def settle_claims(accepted: list[ClaimRow], region: Region, settings: Settings, previous: PreviousLedger,
                  views: dict, progress=None) -> tuple[list[Line], list[Rejected], dict]:
    """The claims in settlement order through the chain, each person's year carried; duplicates and
    reversals by 结算ID. Returns (lines, rejected, year states)."""
    rejected: list[Rejected] = []
    states: dict[tuple[str, int], YearState] = dict(previous.year_state)
    with no_cycle_collection():
        lines = list(settle_iter(accepted, len(accepted), region, settings, previous, views, rejected, states,
                                 progress))
    return lines, rejected, states


@contextlib.contextmanager
def no_cycle_collection():
    """Python's cyclic garbage collector paused while a list of results grows. Settling a year keeps
    every Line, and each collection walks the ones already kept: at 20,000 claims the collector was
    over half of settle_claims' time (bench/bench_chain.py, CPU µs a claim: 阳城 23.9 → 11.7, 赣州 30.8 → 16.6).
    `yibao fill` pauses it for the whole month (run.fill), whose claim store holds up to 150,000 claims
    (100,000 rows: 0.68 s in 697 collections before, measured with gc.callbacks).
    Pausing is safe because the chain makes no reference cycles (tests/ledgers/test_no_cycles.py:
    gc.collect() after a run finds nothing; after a whole fill, the same few hundred objects for 40 claims
    as for 400), so nothing waits for the collector; reference counting frees everything as before. The
    collector's previous state is restored, also on an error."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def settle_iter(accepted: Iterable[ClaimRow], total: int, region: Region, settings: Settings,
                previous: PreviousLedger, views: dict, rejected: list[Rejected], states: dict,
                progress=None, keep: set[str] | None = None, sources: list[str] | None = None) -> Iterator[Line]:
    """:func:`settle_claims` one line at a time: rejections are appended to ``rejected`` and the year
    states kept in ``states`` as the claims go by. ``keep``: when given, only the 结算IDs in it (those a
    reversal row names) keep their whole result for a later reversal; the others keep their row number,
    which is all a duplicate needs — so a month of a city does not hold a million results. ``sources``: the
    input files' names when there are several (ClaimRow.source indexes it): messages name the file."""
    # this run's 结算IDs → (person, year, result, where) for those in ``keep``, else where it was read;
    # last month's are looked up in ``previous`` (never copied: a month of a city hands over a million)
    paid: dict[str, tuple | int | str] = {}
    earlier = previous.settled
    reversed_ids: set[str] = set(previous.reversed)
    amounts: dict[str, tuple[int | None, int, int]] = {}
    for n, row in enumerate(accepted, 1):
        if progress and (n % 2000 == 0 or n == total):
            progress(n, total)
        claim = row.claim
        sid = claim.settlement_id
        try:
            ctx = views.get(claim.settled_on) or _ctx(views, region, claim.settled_on, settings)
            key = (claim.person, claim.settled_on.year)
            state = states.get(key, NO_STATE)
            if row.reversal:
                original = paid.get(sid)
                if original is None and sid in earlier:
                    original = (*previous.original(sid), 0)
                if original is None:
                    raise InputError("冲销行找不到被冲销的结算ID（本次导入与所给的此前台账中均无）")
                if sid in reversed_ids:
                    raise InputError("该结算ID已冲销过，重复的冲销行")
                person, year, orig_result, orig_row = original
                if person != claim.person:
                    raise InputError("冲销行的证件号码与原结算不一致")
                _check_full_reversal(claim, amounts[sid] if sid in amounts else previous.amounts_of(sid))
                result = reverse(orig_result)
                if not orig_row:
                    result.notes = [_PREVIOUS_REVERSAL]
                reversed_ids.add(sid)
                key = (person, year)
                state = states.get(key, NO_STATE)
            else:
                if sid in paid or sid in earlier or sid in reversed_ids:
                    seen = paid.get(sid)
                    earlier_row = seen if seen.__class__ is not tuple else seen[3] if seen else 0
                    where = ("此前台账" if not earlier_row else f"{earlier_row}行" if isinstance(earlier_row, str)
                             else f"第{earlier_row}行")
                    raise InputError(f"重复的结算ID（与{where}重复），不重复计算")
                identities = ids.resolve(ctx.view, row.category)
                result = settle(ctx, identities, claim, state)
                where = row.source_row if sources is None else _where(row, sources)
                if keep is None or sid in keep:
                    paid[sid] = (claim.person, claim.settled_on.year, result, where)
                    amounts[sid] = (claim.total_cost, claim.policy_cost, claim.basic_paid)
                else:
                    paid[sid] = where
        except (InputError, PolicyNotInForce, SettingMissing) as err:
            rejected.append(Rejected(row.source_row, sid, row.name, err.message, sources[row.source] if sources else ""))
            continue
        state = state.plus(result.delta)
        states[key] = state
        yield Line(row, result, state)


# ----------------------------------------------------------------------------- all cores
PARALLEL_MIN_ROWS = 20_000  # below this a second process costs more than it saves
_JOB: dict = {}


def partitions(accepted: list[ClaimRow], previous: PreviousLedger, parts: int) -> list[list[int]]:
    """Indices of ``accepted`` in ``parts`` groups that can be settled apart: every person's claims in one
    group, and persons that share a 结算ID (a duplicate or a reversal across two ID numbers, also with
    last month's ledger) in the same group — everything the serial loop carries from row to row is keyed
    by person or by 结算ID. Each group keeps the settlement order; groups are balanced by row count."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    owner = dict(previous.settled.owners())
    for row in accepted:
        person, sid = row.claim.person, row.claim.settlement_id
        first = owner.setdefault(sid, person)
        if first != person:
            a, b = find(first), find(person)
            if a != b:
                parent[a] = b
    groups: dict[str, list[int]] = {}
    for i, row in enumerate(accepted):
        groups.setdefault(find(row.claim.person), []).append(i)
    bins: list[list[int]] = [[] for _ in range(max(1, parts))]
    for members in sorted(groups.values(), key=len, reverse=True):  # largest first into the lightest bin
        min(bins, key=len).extend(members)
    return [sorted(b) for b in bins if b]


def _settle_part(indices: list[int]):
    accepted, region, settings, previous = _JOB["args"]
    rows = [accepted[i] for i in indices]
    lines, rejected, states = settle_claims(rows, region, settings, previous, {})
    position = {id(r): i for i, r in zip(indices, rows)}
    persons = {r.claim.person for r in rows}
    return ([(position[id(ln.row)], ln.result, ln.state_after) for ln in lines], rejected,
            {k: v for k, v in states.items() if k[0] in persons})


def _settle_in_parallel(accepted, region, settings, previous, workers: int, progress):
    """The serial loop per partition (see :func:`partitions`) in ``workers`` processes; the result is
    the serial run's, row for row (tests/ledgers/test_partitions.py proves it on random years)."""
    import multiprocessing
    parts = partitions(accepted, previous, workers * 4)
    _JOB["args"] = (accepted, region, settings, previous)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            done = 0
            results = []
            for part, result in zip(parts, pool.imap(_settle_part, parts)):
                results.append(result)
                done += len(part)
                if progress:
                    progress(done, len(accepted))
    finally:
        _JOB.clear()
    settled: list = []
    rejected: list[Rejected] = []
    states = dict(previous.year_state)
    for lines, rejects, part_states in results:
        settled.extend(lines)
        rejected.extend(rejects)
        states.update(part_states)
    settled.sort(key=lambda t: t[0])
    return [Line(accepted[i], res, st) for i, res, st in settled], rejected, states


def _ctx(views: dict, region: Region, on, settings: Settings) -> Ctx:
    ctx = views.get(on)
    if ctx is None:
        try:
            ctx = Ctx(region.view(on), settings)
        except PolicyNotInForce as err:
            raise PolicyNotInForce(f"结算日期 {on}：{err.message}") from None
        views[on] = ctx
    return ctx


def _check_full_reversal(claim, original: tuple[int | None, int, int] | None) -> None:
    """A reversal undoes the whole original settlement, so its amounts must be exactly the original's
    negated. A partial one (-1.00 against 2,475.70) would mean settling again: it is rejected, never
    taken as a full reversal. ``original`` is None only for a ledger that did not record the amounts."""
    if original is None:
        return
    differ = []
    for label, orig, this in zip(("医疗费总额", "政策范围内费用", "基本医保支付"), original,
                                 (claim.total_cost, claim.policy_cost, claim.basic_paid)):
        if orig is not None and this != -orig:
            differ.append(f"{label} 原 {format_yuan(orig)} 本行 {format_yuan(this)}")
    if differ:
        raise InputError(f"冲销金额与原结算不一致（{'；'.join(differ)}），部分冲销请由平台重新结算")


_PREVIOUS_REVERSAL = "冲销上月台账中的结算，撤销其年度累计"


def _t(v) -> str:
    return "" if v is None else str(v).strip()[:40]

