"""Person identity (processor/io/ids.py): 居民身份证 numbers by GB 11643-1999, the numbers Excel has
rounded, other documents and the 人员编号 key.

Check digits are worked out by hand below (ISO 7064 MOD 11-2: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
on the first 17 digits, sum mod 11 mapped 0 1 2 3 4 5 6 7 8 9 10 → 1 0 X 9 8 7 6 5 4 3 2).
"""
from __future__ import annotations

from datetime import date

import pytest

from processor.errors import InputError
from processor.io.ids import (LOST_DIGITS, check_digit, doc_type_of, mask, normalise_document, normalise_id,
                              parse_key, person_of)

# 36070219800101001 → digits 3 6 0 7 0 2 1 9 8 0 0 1 0 1 0 0 1
#   3·7 + 6·9 + 0·10 + 7·5 + 0·8 + 2·4 + 1·2 + 9·1 + 8·6 + 0·3 + 0·7 + 1·9 + 0·10 + 1·5 + 0·8 + 0·4 + 1·2
#   = 21 + 54 + 0 + 35 + 0 + 8 + 2 + 9 + 48 + 0 + 0 + 9 + 0 + 5 + 0 + 0 + 2 = 193; 193 mod 11 = 6 → '6'
JIANGXI = "360702198001010016"
# 99970319711008602 → 9·7 + 9·9 + 9·10 + 7·5 + 0·8 + 3·4 + 1·2 + 9·1 + 7·6 + 1·3 + 1·7 + 0·9 + 0·10 + 8·5
#   + 6·8 + 0·4 + 2·2 = 63 + 81 + 90 + 35 + 0 + 12 + 2 + 9 + 42 + 3 + 7 + 0 + 0 + 40 + 48 + 0 + 4 = 436;
#   436 mod 11 = 7 (11 × 39 = 429) → '5'
SYNTHETIC = "999703197110086025"
# 11010519491231002 (GB 11643's own example) → 1·7 + 1·9 + 0·10 + 1·5 + 0·8 + 5·4 + 1·2 + 9·1 + 4·6 + 9·3
#   + 1·7 + 2·9 + 3·10 + 1·5 + 0·8 + 0·4 + 2·2 = 7 + 9 + 0 + 5 + 0 + 20 + 2 + 9 + 24 + 27 + 7 + 18 + 30 + 5
#   + 0 + 0 + 4 = 167; 167 mod 11 = 2 → 'X'
WITH_X = "11010519491231002X"
# 81000019900101001 (香港居民居住证) → 8·7 + 1·9 + 1·2 + 9·1 + 9·6 + 1·9 + 1·5 + 1·2 (the zeros add nothing)
#   = 56 + 9 + 2 + 9 + 54 + 9 + 5 + 2 = 146; 146 mod 11 = 3 (11 × 13 = 143) → '9'
HK_RESIDENCE = "810000199001010019"


def test_check_digits_worked_out_by_hand():
    assert check_digit(JIANGXI[:17]) == "6"
    assert check_digit(SYNTHETIC[:17]) == "5"
    assert check_digit(WITH_X[:17]) == "X"
    assert check_digit(HK_RESIDENCE[:17]) == "9"


@pytest.mark.parametrize("number", [JIANGXI, SYNTHETIC, WITH_X])
def test_valid_numbers_pass_unchanged(number):
    assert normalise_id(number).number == number


def test_birth_date_and_sex_are_derived():
    p = normalise_id(JIANGXI)
    assert p.birth == date(1980, 1, 1) and p.sex == "男"      # 17th digit 1: odd
    q = normalise_id(SYNTHETIC)
    assert q.birth == date(1971, 10, 8) and q.sex == "女"     # 17th digit 2: even
    assert normalise_id(WITH_X).birth == date(1949, 12, 31) and normalise_id(WITH_X).sex == "女"  # 17th digit 2


@pytest.mark.parametrize("typed", [
    "9997 03197110086025",              # an inner space
    " 999703 1971 1008 6025 ",          # several
    "\u3000999703197110086025\u3000",   # ideographic spaces
    "９９９７０３１９７１１００８６０２５",  # full-width digits
    "'999703197110086025",              # Excel's text mark typed by hand
])
def test_spaces_and_full_width_are_normalised(typed):
    assert normalise_id(typed).number == SYNTHETIC


@pytest.mark.parametrize("typed", ["11010519491231002x", "11010519491231002Ｘ", "11010519491231002ｘ"])
def test_lower_case_and_full_width_x(typed):
    assert normalise_id(typed).number == WITH_X


def test_fifteen_digits_become_eighteen():
    # 360702 800101 001 → 360702 + 19 + 800101 + 001 = 36070219800101001, check digit 6 (worked out above)
    assert normalise_id("360702800101001").number == JIANGXI
    # a 15-digit number in a numeric cell is exact (< 2**53, within Excel's 15 digits): calamine's float
    assert normalise_id(360702800101001.0).number == JIANGXI
    assert normalise_id(360702800101001).number == JIANGXI
    assert normalise_id("360702800101001.0").number == JIANGXI


@pytest.mark.parametrize("rounded", [
    1.40522e17, "1.40522E+17", "1.40522e+17", " 1.40522E+17 ",
    float(999703197110086025),      # what calamine hands over for the 18-digit number in a numeric cell
    999703197110086025,             # an int from a numeric cell (openpyxl): Excel keeps only 15 digits
    9.99703197110086e17, 1e15,
    "999703197110086016.0",
])
def test_numbers_excel_has_rounded_are_refused(rounded):
    with pytest.raises(InputError) as err:
        normalise_id(rounded)
    assert err.value.message == LOST_DIGITS


def test_lost_last_digits_fail_the_check_digit():
    # 999703197110086025 read back through a float as …016: the 18th digit no longer matches
    with pytest.raises(InputError, match="校验位不符"):
        normalise_id("999703197110086016")
    # Excel's 15 significant digits: …086000 — the message says what probably happened
    with pytest.raises(InputError, match="Excel 存成数字"):
        normalise_id("999703197110086000")


@pytest.mark.parametrize("wrong", ["360702198001010011", "999703197110086024", "11010519491231002Y",
                                   "110105194912310020"])
def test_wrong_check_digit_is_refused(wrong):
    with pytest.raises(InputError, match="校验位不符|只能是18位"):
        normalise_id(wrong)


@pytest.mark.parametrize("text,reason", [
    ("张三", "不是居民身份证号码"), ("E12345678", "不是居民身份证号码"), ("36070219800101", "位数不对"),
    ("3607021980010100161", "位数不对"), ("", "缺少证件号码"), (None, "缺少证件号码"), ("   ", "缺少证件号码"),
    (3.5, "带小数"), (True, "无效"), ("360702198002300011", "出生日期"), ("360702189912310011", "1900"),
])
def test_text_that_is_no_id(text, reason):
    with pytest.raises(InputError, match=reason):
        normalise_id(text)


def test_birth_after_the_reference_date():
    body = "99970320230601001"
    number = body + check_digit(body)
    assert normalise_id(number, date(2023, 6, 1)).birth == date(2023, 6, 1)   # born that day: fine
    with pytest.raises(InputError, match="出生日期晚于2023-05-31"):
        normalise_id(number, date(2023, 5, 31))


def test_messages_never_show_the_number():
    for bad in ("360702198001010011", "36070219800230001X", "360702198001010016abc"):
        with pytest.raises(InputError) as err:
            normalise_id(bad)
        assert "3607021980" not in err.value.message


def test_mask():
    assert mask(JIANGXI) == "360702********0016"
    assert mask("9997 03197110086025") == "999703********6025"
    assert mask("E12345678") == "E1*****78"


# ----------------------------------------------------------------------------- other documents
def test_document_types_and_aliases():
    assert doc_type_of(None) == doc_type_of("") == doc_type_of("身份证") == "居民身份证"
    assert doc_type_of("居民身份证（户口簿）") == "居民身份证"
    assert doc_type_of("台胞证") == "台湾居民来往大陆通行证"
    assert doc_type_of(" 护 照 ") == "护照"
    with pytest.raises(InputError, match="未知证件类型：身分证"):
        doc_type_of("身分证")


def test_passport_keyed_by_type():
    p = normalise_document("e1234 5678", "护照")
    assert p.number == "E12345678" and p.key == "护照:E12345678"
    # the same characters under another document never meet the passport holder
    assert normalise_document("E12345678", "港澳居民来往内地通行证").key == "港澳居民来往内地通行证:E12345678"
    # a 身份证-looking number typed as a passport is not that 身份证 holder
    assert normalise_document(SYNTHETIC, "护照").key == "护照:" + SYNTHETIC != normalise_id(SYNTHETIC).key
    for bad in ("E12", "E1234-5678", "护照号E1234"):
        with pytest.raises(InputError, match="护照号码无效"):
            normalise_document(bad, "护照")


def test_residence_permit_is_a_gb11643_number():
    p = normalise_document(HK_RESIDENCE, "港澳台居民居住证")
    assert p.key == HK_RESIDENCE and p.birth == date(1990, 1, 1)
    with pytest.raises(InputError, match="校验位不符"):
        normalise_document(HK_RESIDENCE[:17] + "1", "港澳台居民居住证")
    with pytest.raises(InputError, match="81（香港）"):
        normalise_document(JIANGXI, "港澳台居民居住证")


def test_person_of_a_row():
    # no 证件类型 column: a 身份证 number
    assert person_of({"id_number": "9997 03197110086025"}).key == SYNTHETIC
    # a 身份证 row keeps its number even when the export has 人员编号
    assert person_of({"id_number": SYNTHETIC, "id_type": "居民身份证", "person_no": "P01"}).key == SYNTHETIC
    # another document with a 人员编号: the 人员编号 is the key
    assert person_of({"id_number": "E12345678", "id_type": "护照", "person_no": "3607 0001"}).key == "人员编号:36070001"
    # another document without one: the typed number
    assert person_of({"id_number": "E12345678", "id_type": "护照", "person_no": None}).key == "护照:E12345678"
    # no 证件号码 column at all: 人员编号 (a numeric cell's float becomes its integer text)
    assert person_of({"person_no": 36070001.0}).key == "人员编号:36070001"
    with pytest.raises(InputError, match="缺少必填项：证件号码"):
        person_of({"person_no": None})
    # an empty 证件号码 cell in an export that has the column is refused, not keyed by 人员编号
    with pytest.raises(InputError, match="缺少必填项：证件号码"):
        person_of({"id_number": None, "person_no": "P01"})
    with pytest.raises(InputError, match=LOST_DIGITS[:10]):
        person_of({"id_number": 1.40522e17})


def test_keys_read_back_from_a_ledger():
    for key in (SYNTHETIC, "护照:E12345678", "人员编号:36070001", HK_RESIDENCE, WITH_X):
        assert parse_key(key) == key
    assert parse_key(" 9997 03197110086025 ") == SYNTHETIC
    assert parse_key("360702800101001") == JIANGXI
    with pytest.raises(InputError, match="校验位不符"):
        parse_key("999703197110086024")
