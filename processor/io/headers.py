"""Column headers of settlement exports: canonical keys, Chinese labels and the aliases seen.

Aliases come from public bureau tools that import platform and bureau exports (shared reference,
"Column headers real exports use"); they are not an official standard.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Sequence

from ..errors import FileError

# key: (Chinese label, aliases). The label is also an alias.
COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "settlement_id": ("结算ID", ("结算ID", "结算id", "结算编号", "结算流水号")),
    "id_number": ("证件号码", ("证件号码", "身份证号", "身份证号码", "公民身份号码")),
    "person_no": ("人员编号", ("人员编号",)),
    "id_type": ("证件类型", ("证件类型", "证件种类")),
    "name": ("姓名", ("姓名",)),
    "category": ("人员类别", ("人员类别", "救助身份", "医疗救助身份", "人员身份", "身份类别")),
    "kind": ("医疗类别", ("医疗类别", "医保就诊类别", "就诊类别", "医疗救助类别")),
    "admission_date": ("入院日期", ("入院日期",)),
    "discharge_date": ("出院日期", ("出院日期",)),
    "settlement_date": ("结算日期", ("结算日期", "结算时间")),
    "total_cost": ("医疗费总额", ("医疗费总额", "费用总额", "医疗总费用")),
    "self_funded": ("全自费金额", ("全自费金额", "全自费")),
    "over_limit": ("超限价自费金额", ("超限价自费金额",)),
    "policy_cost": (
        "符合范围金额",
        ("符合范围金额", "符合医保报销金额", "政策范围内费用", "符合医保范围金额", "政策范围内金额"),
    ),
    "basic_paid": (
        "统筹基金支出",
        ("统筹基金支出", "基本医疗保险报销金额", "统筹基金", "基本医疗基金支出", "基本医保支付"),
    ),
    "critical_paid": (
        "大病保险支付",
        ("大病保险支付", "居民大病基金", "大病报销金额", "大病补充医疗保险支出", "大病保险"),
    ),
    "assistance_paid": ("医疗救助基金", ("医疗救助基金", "医疗救助", "医疗救助金额", "医疗救助基金支出")),
    "tilt_paid": ("倾斜救助", ("倾斜救助", "倾斜救助金额")),
    "out_of_catalog": ("目录外费用", ("目录外费用", "政策范围外费用")),
    # II类门诊特殊慢性病: the self-pay of the in-policy cost above the disease's annual limit (赣市医保字〔2021〕37号 二(三)3(3))
    "above_limit_selfpay": ("限额以上个人自付", ("限额以上个人自付", "II类限额以上个人自付", "年度限额以上个人自付",
                                             "超限额个人自付", "限额以上自付")),
    "township": ("镇街", ("镇街", "乡镇", "镇（街）", "镇(街)", "乡镇（街道）")),
    "village": ("村（居）", ("村（居）", "村(居)", "村")),
    "hospital": ("就诊医疗机构名称", ("就诊医疗机构名称", "定点机构名称", "医疗机构名称", "就诊机构")),
    "hospital_class": ("医疗机构等级", ("医疗机构等级", "医院等级", "收费标准类别")),
    "referral": ("是否转诊", ("是否转诊", "转诊")),
    "in_province": ("是否省内", ("是否省内", "就医地类型")),
    "insured_area": ("参保地", ("参保地", "参保统筹区")),
}

MIN_KNOWN_COLUMNS = 3
_WHITESPACE = re.compile(r"\s+")
# Only 元 is stripped: a column in 万元 must stay unknown rather than be read 10 000 times too small.
_UNIT = re.compile(r"\((元|单位:元)\)$")
_ASCII_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def normalise_header(text: object) -> str:
    """'医疗费总额（元）' → '医疗费总额'; '结算 ID' → '结算id'; None → ''."""
    if text is None:
        return ""
    # NFKC turns full-width brackets, letters, digits and the ideographic space into ASCII.
    text = unicodedata.normalize("NFKC", str(text))
    text = _WHITESPACE.sub("", text).strip("*")
    text = _UNIT.sub("", text)
    return text.translate(_ASCII_UPPER)


def _build_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for key, (_label, aliases) in COLUMNS.items():
        for alias in aliases:
            norm = normalise_header(alias)
            if lookup.get(norm, key) != key:  # pragma: no cover - guards edits of COLUMNS
                raise AssertionError(f"alias {alias!r} maps to {lookup[norm]} and {key}")
            lookup[norm] = key
    return lookup


_LOOKUP = _build_lookup()


def match_header(text: object) -> str | None:
    """The canonical key of a header cell, or None."""
    return _LOOKUP.get(normalise_header(text))


def label(key: str) -> str:
    """The Chinese label of a canonical key (for messages)."""
    return COLUMNS[key][0]


def column_letter(index: int) -> str:
    """0-based column index → 'A', 'B', … 'AA'."""
    out, n = "", index + 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def find_header_row(
    rows: Sequence[Sequence[object]], scan: int = 30
) -> tuple[int, dict[int, str], list[str]]:
    """Find the header among the first ``scan`` rows (titles and 填报单位 lines above are skipped).

    Returns (0-based index into ``rows``, {column index: key}, unknown header texts). A second
    column mapping to a key already taken is reported as unknown with a note and ignored.
    """
    for index, row in enumerate(rows[:scan]):
        keys = {match_header(cell) for cell in row if isinstance(cell, str)}
        keys.discard(None)
        if len(keys) >= MIN_KNOWN_COLUMNS:
            mapping, unknown = _map_row(row)
            return index, mapping, unknown
    raise FileError(
        f"未找到表头行：前{scan}行中没有识别出至少{MIN_KNOWN_COLUMNS}个已知列名（如 姓名、证件号码、结算日期）"
    )


def _map_row(row: Sequence[object]) -> tuple[dict[int, str], list[str]]:
    mapping: dict[int, str] = {}
    taken: dict[str, int] = {}
    unknown: list[str] = []
    for col, cell in enumerate(row):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        key = match_header(text)
        if key is None:
            unknown.append(text)
        elif key in taken:
            first = taken[key]
            unknown.append(
                f"{text}（第{column_letter(col)}列与第{column_letter(first)}列都是「{label(key)}」，"
                f"只使用第{column_letter(first)}列）"
            )
        else:
            mapping[col] = key
            taken[key] = col
    return mapping, unknown
