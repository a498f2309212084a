"""A claim is a value: nothing changes it once it is made. Claim and ClaimRow are not frozen dataclasses
(making a frozen one costs about 1 µs more, two a row: 0.2 s of a 100,000-row fill's main process), so this
is proved here instead: every claim of random years — duplicates, reversals, several identities, caps
reached — is the same after the chain has settled the year (serially, and in the streamed run's lines) as
a deep copy taken before; and the streamed run hands the lines the same claims."""
from __future__ import annotations

import copy
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings

from processor.errors import InputError
from processor.ledgers.compute import PreviousLedger, compute_stream, settle_claims
from processor.ledgers.normalise import normalise

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_table_properties import REGION, SETTINGS, table, tables  # noqa: E402


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=tables())
def test_settling_a_year_changes_none_of_its_claims(rows):
    accepted = []
    for raw in table(rows).rows:
        try:
            accepted.append(normalise(raw, True))
        except InputError:
            pass
    accepted.sort(key=lambda r: (r.claim.settled_on, r.source_row))
    before = copy.deepcopy(accepted)
    lines, _rejected, _states = settle_claims(accepted, REGION, SETTINGS, PreviousLedger(), {})
    assert accepted == before
    assert all(line.row in before for line in lines)  # the lines carry those same claims


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=tables())
def test_the_streamed_run_changes_no_claim_after_its_line(rows):
    """A reversal reads its original's result: it must not change the original's claim either."""
    outcome = compute_stream(table(rows), REGION, SETTINGS)
    kept = [(line.row, copy.deepcopy(line.row)) for line in outcome.lines]  # copied as each line comes
    assert all(row == copy_ for row, copy_ in kept)  # compared once the whole year is settled
