"""Defect 16 (processor/dates.py): a date with an impossible time of day is refused, not read as the date.
(Admission/discharge after the settlement date: tests/ledgers/test_ids_batch.py.)"""
from __future__ import annotations

from datetime import date

import pytest

from processor.dates import parse_date
from processor.errors import InputError


@pytest.mark.parametrize("text", ["2022-9-10 25:99", "2022-09-10 24:00", "2022-09-10 23:60", "2022-09-10 12:00:60",
                                  "2022-09-10T99:00:00", "2022年9月10日 25:00"])
def test_impossible_time_is_refused(text):
    with pytest.raises(InputError, match="结算日期的时间无效"):
        parse_date(text, "结算日期")


@pytest.mark.parametrize("text", ["2022-9-10 0:00", "2022-09-10 23:59", "2022-09-10 23:59:59",
                                  "2022-09-10T08:30:15.250", "2022/9/10 12:00", "2022年9月10日 07:05", "2022-9-10",
                                  "20220910"])
def test_valid_time_gives_the_date(text):
    assert parse_date(text, "结算日期") == date(2022, 9, 10)


@pytest.mark.parametrize("text", ["2022-02-30 10:00", "2022-13-01", "2022-9-10 10", "2022-9-10 10:5"])
def test_other_bad_dates_still_refused(text):
    with pytest.raises(InputError, match="结算日期"):
        parse_date(text, "结算日期")
