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
        ("统筹基金支出", "基本医疗保险报销金额", "统筹基金", "基本医疗基金支出", "基本医保支付", "统筹基金支付"),
    ),
    "critical_paid": (
        "大病保险支付",
        ("大病保险支付", "居民大病基金", "大病报销金额", "大病补充医疗保险支出", "大病保险", "大病保险基金"),
    ),
    "assistance_paid": ("医疗救助基金", ("医疗救助基金", "医疗救助", "医疗救助金额", "医疗救助基金支出")),
    "tilt_paid": ("倾斜救助", ("倾斜救助", "倾斜救助金额", "倾斜救助支付", "倾斜救助基金")),
    # the platform's 政府兜底 (a fund none of the five documents provides: any amount paid is a difference)
    "backstop_paid": ("政府兜底", ("政府兜底", "政府兜底支付", "政府兜底金额", "兜底保障")),
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
    "in_city": ("是否市域内", ("是否市域内", "是否设区市市域内")),  # the bureau's hospital list (yibao costcheck)
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


def _build_lookup(columns: dict | None = None) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for key, (_label, aliases) in (COLUMNS if columns is None else columns).items():
        for alias in aliases:
            norm = normalise_header(alias)
            if lookup.get(norm, key) != key:  # pragma: no cover - guards edits of COLUMNS
                raise AssertionError(f"alias {alias!r} maps to {lookup[norm]} and {key}")
            lookup[norm] = key
    return lookup


_LOOKUP = _build_lookup()
_LOOKUPS: dict[int, tuple[dict, dict[str, str]]] = {}


def _lookup(columns: dict | None) -> dict[str, str]:
    """The alias lookup of a column set (``None``: the settlement export's :data:`COLUMNS`)."""
    if columns is None or columns is COLUMNS:
        return _LOOKUP
    entry = _LOOKUPS.get(id(columns))
    if entry is None or entry[0] is not columns:
        entry = _LOOKUPS[id(columns)] = (columns, _build_lookup(columns))
    return entry[1]


def match_header(text: object, columns: dict | None = None) -> str | None:
    """The canonical key of a header cell, or None (``columns``: a column set, default :data:`COLUMNS`)."""
    return _lookup(columns).get(normalise_header(text))


def label(key: str, columns: dict | None = None) -> str:
    """The Chinese label of a canonical key (for messages)."""
    return (COLUMNS if columns is None else columns)[key][0]


def column_letter(index: int) -> str:
    """0-based column index → 'A', 'B', … 'AA'."""
    out, n = "", index + 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(65 + rem) + out
    return out


def find_header_row(
    rows: Sequence[Sequence[object]], scan: int = 30, columns: dict | None = None
) -> tuple[int, dict[int, str], list[str]]:
    """Find the header among the first ``scan`` rows (titles and 填报单位 lines above are skipped).

    Returns (0-based index into ``rows``, {column index: key}, unknown header texts). A second
    column mapping to a key already taken is reported as unknown with a note and ignored.
    """
    for index, row in enumerate(rows[:scan]):
        keys = {match_header(cell, columns) for cell in row if isinstance(cell, str)}
        keys.discard(None)
        if len(keys) >= MIN_KNOWN_COLUMNS:
            mapping, unknown = _map_row(row, columns)
            return index, mapping, unknown
    examples = "、".join(v[0] for v in list((COLUMNS if columns is None else columns).values())[:3]) \
        if columns is not None else "姓名、证件号码、结算日期"
    raise FileError(
        f"未找到表头行：前{scan}行中没有识别出至少{MIN_KNOWN_COLUMNS}个已知列名（如 {examples}）"
        + wrong_place_hint(rows[:scan], columns, 0)
    )


def wrong_place_hint(rows: Sequence[Sequence[object]], columns: dict | None, own: int) -> str:
    """A sentence for a file whose headers are another kind's (a payment file given as a roster), or ''."""
    other = looks_like(rows, columns, own)
    return f"。这个文件的表头像是「{other}」：是否选错了文件，或放错了位置？" if other else ""


def looks_like(rows: Sequence[Sequence[object]], columns: dict | None, own: int = 0) -> str | None:
    """The kind of file (:data:`FILE_KINDS`) other than ``columns`` whose headers a row matches best: at least
    :data:`MIN_KNOWN_COLUMNS` of them and more than the ``own`` columns recognised; None when none does
    (a settlement export missing one column is not called a roster for its 姓名 and 证件号码)."""
    best, best_n = None, max(MIN_KNOWN_COLUMNS - 1, own)
    for name, cols in FILE_KINDS.items():
        if cols is (COLUMNS if columns is None else columns):
            continue
        for row in rows:
            keys = {match_header(cell, cols) for cell in row if isinstance(cell, str)}
            keys.discard(None)
            if len(keys) > best_n:
                best, best_n = name, len(keys)
    return best


def _map_row(row: Sequence[object], columns: dict | None = None) -> tuple[dict[int, str], list[str]]:
    mapping: dict[int, str] = {}
    taken: dict[str, int] = {}
    unknown: list[str] = []
    for col, cell in enumerate(row):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        key = match_header(text, columns)
        if key is None:
            unknown.append(text)
        elif key in taken:
            first = taken[key]
            unknown.append(
                f"{text}（第{column_letter(col)}列与第{column_letter(first)}列都是「{label(key, columns)}」，"
                f"只使用第{column_letter(first)}列）"
            )
        else:
            mapping[col] = key
            taken[key] = col
    return mapping, unknown


# --- column sets of the enrolment side (yibao enrol / compare) ---------------------------------------
# Aliases from the real exports' headers (shared reference: 资助参保 ledgers, 代缴请款, 防返贫监测).
_PERSON = {k: COLUMNS[k] for k in ("id_number", "person_no", "id_type", "name", "township", "village")}

# identity rosters of the recognising departments (民政、乡村振兴、退役军人、卫健、残联)
ROSTER_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    **_PERSON,
    "id_number": ("证件号码", ("证件号码", "身份证号", "身份证号码", "公民身份号码", "证件号")),
    "category": ("人员类别", ("人员类别", "救助身份", "医疗救助身份", "人员身份", "身份类别", "监测对象类别",
                            "认定类别", "对象类别", "户类型")),
    "recognised_on": ("认定日期", ("认定日期", "认定时间", "纳入资助时间", "识别监测时间", "纳入时间", "认定日")),
    "ended_on": ("取消日期", ("取消日期", "身份取消时间", "取消时间", "消除监测时间", "退出日期", "退出时间")),
    "department": ("认定部门", ("认定部门", "责任部门", "数据来源部门")),
    "unenrolled_reason": ("未参保原因", ("未参保原因", "合理化原因", "未参保情况")),
    "evidence": ("佐证材料", ("佐证材料", "佐证资料", "证明材料")),
}

# enrolment / payment records (参保缴费记录)
PAYMENT_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    **_PERSON,
    "id_number": ROSTER_COLUMNS["id_number"],
    "year": ("参保年度", ("参保年度", "缴费年度", "待遇年度")),
    "scheme": ("险种", ("险种", "险种类型", "参保类型", "参保类别", "险种名称")),
    "pay_date": ("缴费日期", ("缴费日期", "缴费时间", "到账日期")),
    "paid": ("个人缴费金额", ("个人缴费金额", "个人缴费", "个人实缴金额", "个人支付")),
    "insured_area": ("参保地", ("参保地", "参保统筹区", "资助地或参保地", "资助地或参保地（区外备注）",
                               "资助地或参保地(区外备注)")),
    "subsidy_category": ("代缴类别", ("代缴类别", "资助类别", "资助身份")),
    "subsidy_paid": ("代缴金额", ("代缴金额", "资助金额")),
    "case": ("免等待期情形", ("免等待期情形", "参保情形")),
}

# 代缴请款明细 (the tax office's request list; this tool writes it with `yibao enrol`)
REQUEST_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    **_PERSON,
    "id_number": ROSTER_COLUMNS["id_number"],
    "subsidy_category": ("代缴类别", ("代缴类别", "资助类别")),
    "subsidy_paid": ("代缴金额", ("代缴金额", "请款金额")),
    "paid": ("个人缴费金额", ("个人缴费金额", "个人缴费")),
    "total": ("缴费总额", ("缴费总额",)),
    "batch": ("请款批次", ("请款批次", "批次")),
}

# 表二 动员参保台账 as this tool writes it (read back next month for the clerk's columns)
MOBILISATION_COLUMNS: dict[str, tuple[str, tuple[str, ...]]] = {
    "id_number": ("证件号码", ("证件号码", "身份证号码", "身份证号")),
    "name": ("姓名", ("姓名",)),
    "township": COLUMNS["township"],
    "village": COLUMNS["village"],
    "mobilised_on": ("动员时间", ("动员时间", "动员日期")),
    "mobiliser": ("动员人", ("动员人", "动员人员")),
    "result": ("动员结果", ("动员结果",)),
    "unenrolled_reason": ("未参保原因", ("未参保原因", "合理化原因")),
    "evidence": ("佐证材料", ("佐证材料", "佐证资料", "证明材料")),
    "first_listed": ("首次列入", ("首次列入", "首次列入月份")),
}


# What each column set reads, for :func:`looks_like` (a file given in the wrong place).
FILE_KINDS: dict[str, dict] = {"结算导出": COLUMNS, "认定名单": ROSTER_COLUMNS, "缴费记录": PAYMENT_COLUMNS,
                          "代缴请款明细": REQUEST_COLUMNS, "动员参保台账（表二）": MOBILISATION_COLUMNS}
