"""Person identity: 居民身份证 numbers (GB 11643-1999) and the other documents an export may key a person by.

One module decides who a row belongs to, for the batch (``person_of``), for last month's ledger read back
(``parse_key``) and for the Excel function ``ID_CHECK`` (``normalise_id``). Every refusal is an
:class:`InputError` with a Chinese reason; a number never appears in a message (``mask`` shows first 6 +
last 4 where one is needed outside the workbook).

居民身份证 (GB 11643-1999 公民身份号码):
- 18 characters: 6-digit address code, 8-digit birth date (YYYYMMDD), 3-digit sequence code (odd = 男,
  even = 女), and a check digit by ISO 7064 MOD 11-2: weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2 on the
  first 17 digits, the sum mod 11 mapped 0..10 → 1 0 X 9 8 7 6 5 4 3 2.
- Text is normalised before it is checked: every space (inner ones, U+3000, no-break space) removed,
  full-width digits and Ｘ made ASCII (NFKC), a lower-case x made X, a leading apostrophe (Excel's
  "store as text" mark typed by hand) dropped.
- A 15-digit first-generation number is converted: "19" inserted after the address code, the check
  digit computed.
- The birth date must be a real date, in 1900 or later, and not after the reference date when one is
  given (the settlement date in the batch: nobody is treated before being born).
- The address code is not checked against a list: the bundled samples and tests use synthetic codes.
- A number that reached us as a number is refused when it cannot be exact: Excel keeps 15 significant
  digits and calamine hands every numeric cell over as a float, so an 18-digit ID in a numeric cell has
  already lost its last digits (999703197110086025 becomes 999703197110086016 or …000); the same for text
  in scientific notation ('1.40522E+17'). Such a row is refused with the fix (format the column as text
  and export again), never keyed: two people whose IDs became 1.40522E+17 would share one year-to-date.
  A 15-digit number in a numeric cell is exact (below 2**53 and within Excel's 15 digits) and accepted.

Other documents (a 证件类型 column, header key ``id_type``):
- An empty 证件类型 cell, or no such column, means 居民身份证. Known types (with aliases): 居民身份证,
  护照, 港澳居民来往内地通行证, 台湾居民来往大陆通行证, 港澳台居民居住证, 外国人永久居留身份证. Any other
  text is refused (a typo of 身份证 must not open a second year for the same person).
- 港澳台居民居住证 numbers follow GB 11643 with address code 81 (香港), 82 (澳门) or 83 (台湾): fully
  checked like a 身份证 number, and keyed by the bare number (that number space cannot collide with a
  身份证 number, and a holder listed once as 居住证 and once without a type stays one person).
  An 18-digit 外国人永久居留身份证 (2023 version, first digit 9) is checked the same way; the 2017
  version (3 letters + 12 digits) gets the light check.
- Passports and travel permits get a light check (letters and digits only, 5–20 characters) and a key
  prefixed by the type, "护照:E12345678", so they never collide with a 身份证 number or each other.

人员编号 (header key ``person_no``, the platform's person number):
- used as the key, "人员编号:<number>", when the export has no 证件号码 column at all, or when the row's
  证件类型 is not 居民身份证 (and its 人员编号 cell is filled). A 身份证 row is always keyed by its number,
  even when the export also has 人员编号, so the key does not depend on which columns a month's export has.
- An empty 证件号码 cell in an export that has the column is refused (缺少证件号码), not keyed by 人员编号:
  the same person's other rows are keyed by the ID number and the year-to-date must not split.

The key (``PersonId.key``) is what the ledger shows in 证件号码 and writes to the 年度累计 sheet; ``parse_key``
reads it back from last month's ledger.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from operator import mul

from ..errors import InputError

RESIDENT = "居民身份证"
PASSPORT = "护照"
HK_MACAO_PERMIT = "港澳居民来往内地通行证"
TAIWAN_PERMIT = "台湾居民来往大陆通行证"
RESIDENCE_PERMIT = "港澳台居民居住证"
FOREIGN_PERMANENT = "外国人永久居留身份证"
PERSON_NO = "人员编号"

# text of a 证件类型 cell (normalised: NFKC, no spaces, brackets ASCII) → canonical type
DOC_TYPES: dict[str, str] = {}
for _canon, _aliases in {
    RESIDENT: ("居民身份证", "身份证", "居民身份证(户口簿)", "居民身份证(户口本)", "户口簿", "户口本", "公民身份号码",
               "中华人民共和国居民身份证", "身份证号码"),
    PASSPORT: ("护照", "外国人护照", "外籍护照", "中国护照", "普通护照"),
    HK_MACAO_PERMIT: ("港澳居民来往内地通行证", "港澳居民往来内地通行证", "回乡证", "港澳通行证"),
    TAIWAN_PERMIT: ("台湾居民来往大陆通行证", "台湾居民往来大陆通行证", "台胞证"),
    RESIDENCE_PERMIT: ("港澳台居民居住证", "港澳居民居住证", "台湾居民居住证"),
    FOREIGN_PERMANENT: ("外国人永久居留身份证", "外国人永久居留证", "永久居留身份证", "外国人永久居留身份证件"),
}.items():
    for _alias in _aliases:
        DOC_TYPES[_alias] = _canon

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_EIGHTEEN = re.compile(r"^\d{17}[\dX]$")
_CLEAN = re.compile(r"[0-9]{17}[0-9X]\Z")  # ASCII only: full-width digits go through the normalisation
_FIFTEEN = re.compile(r"^\d{15}$")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d*)?E[+-]?\d+$")
_DECIMAL = re.compile(r"^\d+\.\d*$")
_LIGHT = re.compile(r"^[0-9A-Z]{5,20}$")
_PERSON_NO = re.compile(r"^[0-9A-Z_-]{1,40}$")
_SPACES = re.compile(r"\s+")
_KEY = re.compile(r"^([^:]{2,20}):(.+)$")

_LOST = "{}被 Excel 存成了数字/科学计数法，后几位已丢失，请把该列设为文本后重新导出"
LOST_DIGITS = _LOST.format("证件号码")
_NUMERIC_LIMIT = 10 ** 15  # a number ≥ this has more than 15 digits: Excel (and a float) cannot hold it exactly


@dataclass(frozen=True, slots=True)
class PersonId:
    number: str                 # the normalised document number (18 characters for a 身份证)
    doc_type: str = RESIDENT    # canonical document type, or 人员编号
    birth: date | None = None   # from a GB 11643 number
    sex: str | None = None      # 男 / 女, from a GB 11643 number

    @property
    def key(self) -> str:
        """The person key: the bare number for GB 11643 numbers, "类型:号码" for everything else."""
        if self.doc_type in _BARE:
            return self.number
        return f"{self.doc_type}:{self.number}"


_BARE = frozenset({RESIDENT, RESIDENCE_PERMIT})


_WEIGHT_SUM_48 = 48 * sum(_WEIGHTS)  # the ASCII code of "0" times every weight


def check_digit(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits: Σ digit × weight (7 9 10 5 8 4 2 1 6 3
    7 9 10 5 8 4 2) mod 11 → 1 0 X 9 8 7 6 5 4 3 2. (Summed over the ASCII codes, less 48 per weight:
    the same number, in C — a county's roster checks hundreds of thousands.)"""
    return _CHECK[(sum(map(mul, body.encode("ascii"), _WEIGHTS)) - _WEIGHT_SUM_48) % 11]


def mask(value) -> str:
    """An ID for console output, logs and messages: first 6 + last 4, the middle as '*'
    ('360702198001010011' → '360702********0011'). Short numbers keep only 2 + 2."""
    text = _clean(value) if value is not None else ""
    n = len(text)
    if n > 10:
        return text[:6] + "*" * (n - 10) + text[-4:]
    if n > 4:
        return text[:2] + "*" * (n - 4) + text[-2:]
    return "*" * n


def _clean(value) -> str:
    text = unicodedata.normalize("NFKC", str(value))
    return _SPACES.sub("", text).lstrip("'").upper()


def _numeric_text(value, what: str = "证件号码") -> str:
    """An ID that arrived as a number: exact only when it has at most 15 digits."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InputError(f"{what}不是有效号码")
        if abs(value) >= _NUMERIC_LIMIT:
            raise InputError(_LOST.format(what))
        if not value.is_integer():
            raise InputError(f"{what}不是有效号码（是一个带小数的数字）")
        value = int(value)
    if abs(value) >= _NUMERIC_LIMIT:
        raise InputError(_LOST.format(what))
    return str(value)


def _text_of(value) -> str:
    if value.__class__ is str:
        text = _clean(value)
    elif isinstance(value, bool):
        raise InputError(f"证件号码无效：{value}")
    elif isinstance(value, (int, float)):
        return _numeric_text(value)
    else:
        text = _clean(value)
    if _SCIENTIFIC.match(text):
        raise InputError(LOST_DIGITS)
    if _DECIMAL.match(text):  # '360702800101001.0': a number turned into text
        whole, _, frac = text.partition(".")
        if frac.strip("0"):
            raise InputError("证件号码不是有效号码（是一个带小数的数字）")
        if len(whole) > 15:
            raise InputError(LOST_DIGITS)
        text = whole
    return text


def normalise_id(value, on: date | None = None) -> PersonId:
    """A 居民身份证 number as a cell or export holds it → :class:`PersonId`; raises :class:`InputError`.

    ``on``: the reference date; a birth date after it is refused (the settlement date in the batch)."""
    if value is None:
        raise InputError("缺少证件号码")
    # most cells already hold a clean number: skip the normalisation (NFKC, spaces, x) for those
    text = value if value.__class__ is str and _CLEAN.match(value) else _text_of(value)
    if not text:
        raise InputError("缺少证件号码")
    pid = _gb11643(text, RESIDENT)
    if on is not None and pid.birth > on:
        raise InputError(f"证件号码中的出生日期晚于{on.isoformat()}，请核对号码")
    return pid


@lru_cache(maxsize=65536)
def _gb11643(text: str, doc_type: str) -> PersonId:
    """Validate a cleaned text as a GB 11643 number (cached: a person has many settlements)."""
    if _FIFTEEN.match(text):
        body = text[:6] + "19" + text[6:]
        text = body + check_digit(body)
    elif not _EIGHTEEN.match(text):
        if re.fullmatch(r"[\dX]+", text):
            raise InputError(f"证件号码位数不对：应为18位（或15位一代证），实为{len(text)}位")
        raise InputError(f"证件号码不是{doc_type}号码：只能是18位数字（最后一位可为 X）")
    try:
        birth = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise InputError("证件号码中的出生日期（第7–14位）不是有效日期，请核对号码") from None
    if birth.year < 1900:
        raise InputError("证件号码中的出生年份早于1900年，请核对号码")
    expected = check_digit(text[:17])
    if text[17] != expected:
        # Excel keeps 15 significant digits: a number stored as a number comes back ending in 000
        hint = "（后3位为0，可能被 Excel 存成数字后丢失了后几位）" if text[15:] == "000" else "，号码有误或被截断"
        raise InputError(f"证件号码校验位不符：按前17位第18位应为 {expected}，实为 {text[17]}{hint}")
    return PersonId(text, doc_type, birth, "男" if int(text[16]) % 2 else "女")


def doc_type_of(value) -> str:
    """The canonical document type of a 证件类型 cell; empty means 居民身份证."""
    if value is None:
        return RESIDENT
    text = unicodedata.normalize("NFKC", str(value))
    text = _SPACES.sub("", text)
    if not text:
        return RESIDENT
    canon = DOC_TYPES.get(text)
    if canon is None:
        raise InputError(f"未知证件类型：{text[:20]}（可用：{'、'.join(dict.fromkeys(DOC_TYPES.values()))}）")
    return canon


def normalise_document(value, doc_type: str, on: date | None = None) -> PersonId:
    """A number under a canonical document type (see :func:`doc_type_of`)."""
    if doc_type == RESIDENT:
        return normalise_id(value, on)
    if value is None:
        raise InputError(f"缺少证件号码（{doc_type}）")
    text = _text_of(value)
    if not text:
        raise InputError(f"缺少证件号码（{doc_type}）")
    if doc_type == RESIDENCE_PERMIT:
        if not text.startswith(("81", "82", "83")) or len(text) != 18:
            raise InputError("港澳台居民居住证号码应为18位、以81（香港）、82（澳门）或83（台湾）开头")
        return _dated(_gb11643(text, doc_type), on)
    if doc_type == FOREIGN_PERMANENT and len(text) == 18 and text.isdigit():
        if not text.startswith("9"):
            raise InputError("外国人永久居留身份证（2023年版）号码应以9开头")
        return _dated(_gb11643(text, doc_type), on)
    if not _LIGHT.match(text):
        raise InputError(f"{doc_type}号码无效：只能包含字母和数字，5–20位")
    return PersonId(text, doc_type)


def _dated(pid: PersonId, on: date | None) -> PersonId:
    if on is not None and pid.birth is not None and pid.birth > on:
        raise InputError(f"证件号码中的出生日期晚于{on.isoformat()}，请核对号码")
    return pid


def person_number(value) -> PersonId:
    """A 人员编号 cell → PersonId keyed "人员编号:…"."""
    if value is None:
        raise InputError("缺少人员编号")
    text = _numeric_text(value, "人员编号") if isinstance(value, (int, float)) and not isinstance(value, bool) \
        else _clean(value)
    if not text:
        raise InputError("缺少人员编号")
    if _SCIENTIFIC.match(text):
        raise InputError(_LOST.format("人员编号"))
    if not _PERSON_NO.match(text):
        raise InputError("人员编号无效：只能包含字母、数字、-、_，最多40位")
    return PersonId(text, PERSON_NO)


def _blank(v) -> bool:
    return v is None or (v.__class__ is str and not v.strip())


def person_of(values: dict, on: date | None = None) -> PersonId:
    """The person a raw export row belongs to (rules in the module docstring). ``values``: canonical
    header key → raw cell value, with every column of the export present (None when empty)."""
    if "id_number" not in values:  # the export has no 证件号码 column
        if _blank(values.get("person_no")):
            raise InputError("缺少必填项：证件号码（导出中既没有证件号码列，也没有人员编号）")
        return person_number(values["person_no"])
    doc_type = doc_type_of(values.get("id_type"))
    if doc_type != RESIDENT and not _blank(values.get("person_no")):
        return person_number(values["person_no"])
    if _blank(values["id_number"]):
        raise InputError("缺少必填项：证件号码")
    return normalise_document(values["id_number"], doc_type, on)


def parse_key(value) -> str:
    """A person key as the ledger writes it (证件号码 of 台账, first column of 年度累计) → the same key,
    validated by the same rules, so last month's people meet this month's."""
    text = _clean(value) if value is not None else ""
    if not text:
        raise InputError("缺少证件号码")
    m = _KEY.match(text)
    if m:
        kind, number = m[1], m[2]
        if kind == PERSON_NO:
            return person_number(number).key
        return normalise_document(number, doc_type_of(kind)).key
    return normalise_id(text).key


__all__ = ["PersonId", "normalise_id", "normalise_document", "person_of", "person_number", "parse_key", "mask",
           "check_digit", "doc_type_of", "LOST_DIGITS", "DOC_TYPES"]
