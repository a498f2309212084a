"""key_of: one validation per raw ID text in a run, the same answer as person_of, failures never remembered."""
from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, strategies as st

from processor.enrolment.people import key_of
from processor.errors import InputError
from processor.io.ids import person_of

from .support import gid


def test_a_clean_number_is_validated_once_and_remembered():
    known: dict[str, str] = {}
    # 11010519491231002X: Σ(digit × weight) of the first 17 = 167, 167 mod 11 = 2 → check 'X' (GB 11643 table)
    assert key_of({"id_number": "11010519491231002X"}, known) == "11010519491231002X"
    assert known == {"11010519491231002X": "11010519491231002X"}
    # the same text from the payments: the remembered key, no second validation needed
    assert key_of({"id_number": "11010519491231002X", "id_type": None}, known) == "11010519491231002X"


def test_lower_case_x_and_spaces_give_the_key_and_the_raw_text_is_remembered():
    known: dict[str, str] = {}
    assert key_of({"id_number": " 11010519491231002x "}, known) == "11010519491231002X"
    assert known == {" 11010519491231002x ": "11010519491231002X"}


def test_a_bad_number_is_refused_every_time_and_never_remembered():
    known: dict[str, str] = {}
    for _ in range(2):  # last digit 0 where the check digit is X
        with pytest.raises(InputError, match="校验位"):
            key_of({"id_number": "110105194912310020"}, known)
    assert known == {}


def test_a_resident_card_type_written_out_uses_the_memo_other_types_do_not():
    known: dict[str, str] = {}
    # platform exports often fill 证件类型 with 居民身份证 on every row: same key as an empty type
    assert key_of({"id_number": "11010519491231002X", "id_type": "居民身份证"}, known) == "11010519491231002X"
    assert key_of({"id_number": "11010519491231002X", "id_type": "身份证"}, known) == "11010519491231002X"
    assert known == {"11010519491231002X": "11010519491231002X"}
    with pytest.raises(InputError, match="校验位"):
        key_of({"id_number": "110105194912310020", "id_type": "居民身份证"}, known)


def test_a_row_with_a_document_type_is_not_taken_from_the_memo():
    known = {"AB123456": "should-not-be-used"}
    # 护照: the key carries the type, so a bare text remembered from elsewhere must not answer for it
    row = {"id_number": "AB123456", "id_type": "护照", "person_no": None}
    assert key_of(row, known) == person_of(row).key == "护照:AB123456"


@given(st.lists(st.tuples(st.sampled_from(["360702", "110105", "522501"]),
                          st.dates(date(1900, 1, 1), date(2020, 12, 31)).map(lambda d: d.strftime("%Y%m%d")),
                          st.integers(0, 999), st.sampled_from(["", " ", "'"])), max_size=30))
def test_memo_gives_what_person_of_gives(rows):
    known: dict[str, str] = {}
    for code, birth, seq, pad in rows + rows:  # every text twice: second time from the memo
        raw = pad + gid(code, birth, seq)
        assert key_of({"id_number": raw}, known) == person_of({"id_number": raw}).key
