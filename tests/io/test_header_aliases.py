"""Every column-header alias of processor/io/headers.py, pinned by a table typed out by hand here (never
generated from COLUMNS), and exports whose headers use each alias read with read_export: each value must
land under its key. A remapped alias (统筹基金 read as 大病保险) would pay a fund twice; a dropped one
(公民身份号码) would lose the person's ID column.

Aliases come from public bureau import tools (shared reference, "Column headers real exports use").
When an alias is added to headers.py, add it to ALIASES below as well.
"""
from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from processor.io.headers import COLUMNS, match_header
from processor.io.reader import read_export

# alias → canonical key, typed by hand
ALIASES = {
    "结算ID": "settlement_id", "结算id": "settlement_id", "结算编号": "settlement_id", "结算流水号": "settlement_id",
    "证件号码": "id_number", "身份证号": "id_number", "身份证号码": "id_number", "公民身份号码": "id_number",
    "人员编号": "person_no",
    "证件类型": "id_type", "证件种类": "id_type",
    "姓名": "name",
    "人员类别": "category", "救助身份": "category", "医疗救助身份": "category", "人员身份": "category",
    "身份类别": "category",
    "医疗类别": "kind", "医保就诊类别": "kind", "就诊类别": "kind", "医疗救助类别": "kind",
    "入院日期": "admission_date",
    "出院日期": "discharge_date",
    "结算日期": "settlement_date", "结算时间": "settlement_date",
    "医疗费总额": "total_cost", "费用总额": "total_cost", "医疗总费用": "total_cost",
    "全自费金额": "self_funded", "全自费": "self_funded",
    "超限价自费金额": "over_limit",
    "符合范围金额": "policy_cost", "符合医保报销金额": "policy_cost", "政策范围内费用": "policy_cost",
    "符合医保范围金额": "policy_cost", "政策范围内金额": "policy_cost",
    "统筹基金支出": "basic_paid", "基本医疗保险报销金额": "basic_paid", "统筹基金": "basic_paid", "统筹基金支付": "basic_paid",
    "基本医疗基金支出": "basic_paid", "基本医保支付": "basic_paid",
    "大病保险支付": "critical_paid", "居民大病基金": "critical_paid", "大病报销金额": "critical_paid",
    "大病补充医疗保险支出": "critical_paid", "大病保险": "critical_paid", "大病保险基金": "critical_paid",
    "医疗救助基金": "assistance_paid", "医疗救助": "assistance_paid", "医疗救助金额": "assistance_paid",
    "医疗救助基金支出": "assistance_paid",
    "倾斜救助": "tilt_paid", "倾斜救助金额": "tilt_paid", "倾斜救助支付": "tilt_paid", "倾斜救助基金": "tilt_paid",
    "政府兜底": "backstop_paid", "政府兜底支付": "backstop_paid", "政府兜底金额": "backstop_paid", "兜底保障": "backstop_paid",
    "目录外费用": "out_of_catalog", "政策范围外费用": "out_of_catalog",
    "限额以上个人自付": "above_limit_selfpay", "II类限额以上个人自付": "above_limit_selfpay",
    "年度限额以上个人自付": "above_limit_selfpay", "超限额个人自付": "above_limit_selfpay",
    "限额以上自付": "above_limit_selfpay",
    "镇街": "township", "乡镇": "township", "镇（街）": "township", "镇(街)": "township", "乡镇（街道）": "township",
    "村（居）": "village", "村(居)": "village", "村": "village",
    "就诊医疗机构名称": "hospital", "定点机构名称": "hospital", "医疗机构名称": "hospital", "就诊机构": "hospital",
    "医疗机构等级": "hospital_class", "医院等级": "hospital_class", "收费标准类别": "hospital_class",
    "是否转诊": "referral", "转诊": "referral",
    "是否省内": "in_province", "就医地类型": "in_province",
    "是否市域内": "in_city", "是否设区市市域内": "in_city",
    "参保地": "insured_area", "参保统筹区": "insured_area",
}


@pytest.mark.parametrize("alias", list(ALIASES))
def test_each_alias_maps_to_its_key(alias):
    assert match_header(alias) == ALIASES[alias]
    # the forms exports write around it: a 元 unit, surrounding spaces, a required-field star
    assert match_header(f" {alias}（元）") == ALIASES[alias]
    assert match_header(f"*{alias}") == ALIASES[alias]


def test_the_named_ones():
    # the two a mutation run moved without a test failing
    assert match_header("统筹基金") == "basic_paid" != match_header("大病保险")
    assert match_header("公民身份号码") == "id_number"


def test_headers_py_has_no_alias_missing_from_this_table():
    listed = {alias: key for key, (_label, aliases) in COLUMNS.items() for alias in aliases}
    new = sorted(set(listed) - set(ALIASES))
    assert not new, f"aliases not pinned here yet (add them to ALIASES with their key): {new}"
    gone = sorted(set(ALIASES) - set(listed))
    assert not gone, f"aliases dropped from headers.py: {gone}"
    moved = {a: (k, listed[a]) for a, k in ALIASES.items() if listed[a] != k}
    assert not moved, f"aliases mapped to another key (pinned, now): {moved}"


def _by_key() -> dict[str, list[str]]:
    """key → its aliases in the hand table's order."""
    out: dict[str, list[str]] = {}
    for alias, key in ALIASES.items():
        out.setdefault(key, []).append(alias)
    return out


def _export(path: Path, headers: list[str], values: list[str]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "结算明细"
    ws.append(["某县医疗保障局 结算明细（测试数据）"])
    ws.append(headers)
    ws.append(values)
    wb.save(path)
    return path


@pytest.mark.parametrize("round_", range(max(len(v) for v in _by_key().values())))
def test_exports_written_with_each_alias_read_into_the_right_keys(tmp_path, round_):
    """File ``round_`` uses, for every key, its ``round_``-th alias (the last one when it has fewer): over
    the rounds every alias heads a column once. Each cell holds a text naming its column, so a value
    landing under the wrong key shows which."""
    keys = _by_key()
    headers, values, expected = [], [], {}
    for i, (key, aliases) in enumerate(keys.items()):
        alias = aliases[min(round_, len(aliases) - 1)]
        text = f"值{i:02d}-{alias}"
        headers.append(alias)
        values.append(text)
        expected[key] = text
    table = read_export(_export(tmp_path / f"aliases_{round_}.xlsx", headers, values))
    assert table.header_row == 2
    assert table.unknown_headers == []
    assert sorted(table.mapping.values()) == sorted(keys)
    assert len(table.rows) == 1
    assert table.rows[0].values == expected


def test_the_less_common_aliases_in_one_export(tmp_path):
    """A bureau-tool export: 结算流水号, 公民身份号码, 身份类别, 医疗救助类别, 结算时间, 医疗总费用, 政策范围内金额,
    统筹基金, 大病保险, 医疗救助基金支出, 倾斜救助金额, 政策范围外费用, 乡镇（街道）, 村(居), 就诊机构, 收费标准类别,
    转诊, 就医地类型, 参保统筹区 — with numbers where the columns hold money."""
    headers = ["结算流水号", "公民身份号码", "姓名", "身份类别", "医疗救助类别", "结算时间", "医疗总费用", "政策范围内金额",
               "统筹基金", "大病保险", "医疗救助基金支出", "倾斜救助金额", "政策范围外费用", "乡镇（街道）", "村(居)",
               "就诊机构", "收费标准类别", "转诊", "就医地类型", "参保统筹区"]
    values = ["LS-0001", "140522197402020021", "马低保", "低保", "住院", "2022-03-10", 20000.5, 14000.25,
              8000.0, 650.0, 3745.0, 0.0, 6000.25, "凤城镇", "南林村", "县人民医院", "县级二类及三类", "是", "省内",
              "阳城县"]
    table = read_export(_export(tmp_path / "bureau.xlsx", headers, values))
    assert table.unknown_headers == []
    assert table.rows[0].values == {
        "settlement_id": "LS-0001", "id_number": "140522197402020021", "name": "马低保", "category": "低保",
        "kind": "住院", "settlement_date": "2022-03-10", "total_cost": 20000.5, "policy_cost": 14000.25,
        "basic_paid": 8000.0, "critical_paid": 650.0, "assistance_paid": 3745.0, "tilt_paid": 0.0,
        "out_of_catalog": 6000.25, "township": "凤城镇", "village": "南林村", "hospital": "县人民医院",
        "hospital_class": "县级二类及三类", "referral": "是", "in_province": "省内", "insured_area": "阳城县",
    }
