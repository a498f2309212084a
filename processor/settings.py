"""Local settings: the figures the documents leave to the bureau, each with its source.

A settings file is TOML::

    example = false                # true marks demo figures; they are flagged in every output
    [[setting]]
    region = "赣州"
    key = "disposable_income"      # one of SETTING_KEYS below
    year = 2021                    # the year the figure belongs to (see each key's `year` rule)
    value = "45000"                # yuan as text, or a rate such as "60%"
    source = "赣州市2021年国民经济和社会发展统计公报"

Nothing here has a default: when a rule needs a setting that is absent, :class:`SettingMissing`
says which setting, for which region and year, and which clause needs it.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from .errors import InputError, SettingMissing
from .money import parse_rate, yuan_to_fen


@dataclass(frozen=True)
class SettingKey:
    label: str
    kind: str  # "money" or "rate"
    year_rule: str  # what `year` means for this key


SETTING_KEYS: dict[str, SettingKey] = {
    "disposable_income": SettingKey(
        "居民人均可支配收入（统筹地区）", "money",
        "统计年度：Y年的待遇按 Y-1 年的数字计算（“上一年度”）"),
    "rural_income_province": SettingKey(
        "全省农村居民人均可支配收入", "money",
        "统计年度：Y年的监测用 Y-1 年的数字（“上年公布的”读作上一统计年度，与“上一年度”同一规则）"),
    "individual_contribution": SettingKey(
        "城乡居民医保个人缴费标准（元/人·年）", "money", "待遇年度"),
    "subsidy_fixed_amount": SettingKey(
        "定额资助标准（元/人·年）", "money", "待遇年度"),
    "critical_deductible": SettingKey("大病保险起付线（普通参保人）", "money", "待遇年度"),
    "critical_rate": SettingKey("大病保险支付比例（普通参保人）", "rate", "待遇年度"),
    "critical_cap": SettingKey("大病保险年度最高支付限额（普通参保人）", "money", "待遇年度"),
    "assistance_cap": SettingKey("医疗救助年度救助限额", "money", "待遇年度"),
}

# settings whose figure is the *previous* year's statistic
PREVIOUS_YEAR_KEYS = frozenset({"disposable_income", "rural_income_province"})


@dataclass(frozen=True)
class SettingValue:
    region: str
    key: str
    year: int
    value: int | Decimal  # fen for money, Decimal for rates
    source: str
    example: bool

    @property
    def label(self) -> str:
        return SETTING_KEYS[self.key].label

    def source_text(self) -> str:
        return ("【示例数字，非官方】" if self.example else "") + self.source


class Settings:
    """An immutable set of local settings, looked up by (region, key, year)."""

    def __init__(self, values: dict[tuple[str, str, int], SettingValue] | None = None,
                 path: str | None = None, example: bool = False):
        self._values = dict(values or {})
        self.path = path
        self.example = example

    def __len__(self):
        return len(self._values)

    def __iter__(self):
        return iter(sorted(self._values.values(), key=lambda v: (v.region, v.key, v.year)))

    def find(self, region: str, key: str, year: int) -> SettingValue | None:
        return self._values.get((region, key, year))

    def get(self, region: str, key: str, year: int, needed_by: str) -> SettingValue:
        v = self._values.get((region, key, year))
        if v is None:
            label = SETTING_KEYS[key].label if key in SETTING_KEYS else key
            where = f"设置文件 {self.path}" if self.path else "设置文件（--settings 或 YIBAO_SETTINGS，见 settings.example.toml）"
            raise SettingMissing(
                f"缺少本地设置：{region} {year}年「{label}」({key})，{needed_by} 需要它；请在{where}中填写并注明来源")
        return v


def parse_settings(text: str, path: str | None = None, known_regions=None) -> Settings:
    text = text.removeprefix("\ufeff")  # Notepad saves UTF-8 with a BOM; TOML does not allow one
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise InputError(f"设置文件格式错误：{_toml_message(e)}（请检查该行的写法，如 键 = \"值\"，文字要加英文引号）") from None
    example = bool(raw.get("example", False))
    values: dict[tuple[str, str, int], SettingValue] = {}
    for i, s in enumerate(raw.get("setting", []), 1):
        where = f"设置文件第{i}项"
        missing = [k for k in ("region", "key", "year", "value", "source") if k not in s]
        if missing:
            raise InputError(f"{where}缺少：{'、'.join(missing)}")
        key, region = s["key"], s["region"]
        if key not in SETTING_KEYS:
            raise InputError(f"{where}：未知设置项 {key}（可用：{'、'.join(SETTING_KEYS)}）")
        if known_regions is not None and region not in known_regions:
            raise InputError(f"{where}：未知地区 {region}")
        if not str(s["source"]).strip():
            raise InputError(f"{where}：必须注明来源（source）")
        try:
            year = int(s["year"])
            raw_value = str(s["value"])
            if SETTING_KEYS[key].kind == "rate":
                value = parse_rate(raw_value)
                if not (0 <= value <= 1):
                    raise ValueError
            else:
                value = yuan_to_fen(raw_value)
                if value < 0:
                    raise ValueError
        except Exception:
            raise InputError(f"{where}：数值无效 {s['value']!r}") from None
        if (region, key, year) in values:
            raise InputError(f"{where}：{region} {year}年 {key} 重复")
        values[(region, key, year)] = SettingValue(region, key, year, value, str(s["source"]).strip(), example)
    return Settings(values, path, example)


_TOML_WORDS = [("Invalid value", "取值无效"), ("Invalid statement", "语句无效"), ("Expected '=' after a key in a key/value pair", "键后面缺少 ="),
               ("Cannot overwrite a value", "重复的键"), ("Invalid initial character for a key part", "键的开头字符无效"),
               ("Unterminated string", "字符串缺少结束引号"), ("Illegal character", "非法字符"), ("Cannot declare", "重复声明的表"),
               ("Expected newline or end of document after a statement", "一行只能写一项")]


def _toml_message(e: Exception) -> str:
    """tomllib's English message in Chinese: "Invalid value (at line 3, column 9)" → "第3行第9列：取值无效"."""
    import re
    text = str(e)
    m = re.search(r"\(at line (\d+), column (\d+)\)", text)
    where = f"第{m.group(1)}行第{m.group(2)}列：" if m else ""
    what = re.sub(r"\s*\(at (?:line \d+, column \d+|end of document)\)", "", text)
    for en, zh in _TOML_WORDS:
        if what.startswith(en):
            return where + zh
    return where + "写法无效"


def load_settings(path: str | os.PathLike | None, known_regions=None) -> Settings:
    """Load a settings file; ``None`` gives an empty set (every setting then reports itself missing)."""
    if path is None:
        return Settings()
    p = Path(path)
    if not p.exists():
        raise InputError(f"找不到设置文件：{p}")
    if not p.is_file():
        raise InputError(f"设置文件不是文件：{p}")
    try:
        text = p.read_text("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"设置文件应为 UTF-8 编码：{p}（请用记事本“另存为”并选择 UTF-8）") from None
    except OSError as e:
        raise InputError(f"无法读取设置文件：{p}（{e.strerror}）") from None
    return parse_settings(text, str(p), known_regions)
