"""Build ``udf/workbook/yibao_functions.xlsx``: the clerks' starting workbook for the Excel functions.

    python udf/workbook/build.py            # writes udf/workbook/yibao_functions.xlsx

A ready ``.xlsm`` with the functions already imported can only be produced by Excel itself (xlwings'
"Import Functions" writes a VBA module into the open workbook). This file carries what can be prepared
without Excel: the ``xlwings.conf`` sheet, worked examples and the install steps; the clerk imports the
functions once and saves as .xlsm (docs/excel.md).

The ``xlwings.conf`` sheet follows xlwings' documented workbook config (docs/addin.rst, "Workbook Config:
xlwings.conf Sheet": "Workbook specific settings are set by listing the config key/value pairs in a sheet
with the name ``xlwings.conf``"; the keys are the ribbon's names, e.g. ``UDF Modules`` — "Names of Python
modules (without .py extension) from which the UDFs are being imported" — and ``Interpreter_Win``, "this is
stored as Interpreter_Win or Interpreter_Mac"; the same keys as the ``_xlwings.conf`` sheet of xlwings'
own quickstart.xlsm). How the add-in reads it (xlwings 0.37.8, addin/Config.bas ``GetConfigFromSheet``):
keys in column A from A1 down to the first empty cell, upper-cased, values in column B. Hence: keys from
A1 with no gap, and the comment only after an empty row. An *empty* ``Interpreter_Win`` present in the
sheet overrides the ribbon's interpreter and falls back to ``pythonw`` on PATH (addin/Main.bas), so it is
placed last: a clerk who set the interpreter in the ribbon clears row 2 and keeps ``UDF Modules``.
"""
from __future__ import annotations

import io
import os
import sys
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

OUT = Path(__file__).with_name("yibao_functions.xlsx")
CONF_SHEET = "xlwings.conf"

# (key, value): read by the xlwings add-in from A1 down to the first empty row
CONF = [
    ("UDF Modules", "udf"),
    ("Interpreter_Win", ""),
]
CONF_NOTE = [
    "说明：A、B 两列从第1行起连续填写，xlwings 读到第一个空行为止，本说明不会被读取。",
    "UDF Modules = udf：从已安装的 yibao 包导入函数（pip install 之后即可找到 udf 模块）。",
    "Interpreter_Win：填 pythonw.exe 的完整路径，例如 C:\\Users\\用户名\\AppData\\Local\\Programs\\Python\\Python311\\pythonw.exe；",
    "  若已在 xlwings 功能区设置了 Interpreter，请清空第2行（A2、B2 都清空）——留空的这一行会覆盖功能区设置，改用 PATH 中的 pythonw。",
    "本工作表在工作簿中时，其设置优先于 xlwings 功能区和用户配置文件（xlwings 文档 Add-in & Settings：Workbook Config）。",
]

# (函数, 示例公式 — stored as text, 说明, 结果 as the bundled policy files give it without any local settings;
#  None where the result depends on the ledger's own cells)
EXAMPLES = [
    ("ASSIST", '=ASSIST("低保对象",10000,"赣州",,,"住院","2022-06-30")',
     "赣州低保对象住院，个人自付 10,000 元：75%（赣市医保字〔2021〕37号 二(三)3(1)②）", 7500),
    ("ASSIST", '=ASSIST("特困人员、低保对象",10000,"赣州",,,"住院","2022-06-30")',
     "一个单元格写多个身份：取待遇最高的一个，不叠加（37号 五(十一)）", 10000),
    ("ASSIST", '=ASSIST("低保",10000,"赣州",,49000,"住院","2022-06-30")',
     "本年已救助 49,000 元，年度限额 50,000 元只剩 1,000 元", 1000),
    ("ASSIST", '=ASSIST("低保",5000,"阳城",,,"住院","2022-06-30")',
     "阳城低保对象住院：目录内个人自付 5,000 元 × 70%（阳医保发〔2022〕2号 四，年度限额 6 万元）", 3500),
    ("ASSIST", '=ASSIST("低保",10000,"赣州",,,"住院","2022-06-30","否")',
     "未按规定转诊：不予医疗救助（37号 四(八)）", 0),
    ("CRITICAL", '=CRITICAL("低保",100000,"龙岩",,"2023-06-30")',
     "龙岩第三类大病保险倾斜：6,500 元以上按 65%（龙政办规〔2022〕14号 二(三)）", 60775),
    ("SUBSIDY", '=SUBSIDY("低保","阳城",2022)',
     "阳城低保 2022 年度：80% × 320 = 256，低于 280 按 280（阳医保发〔2022〕2号 一）", 280),
    ("SUBSIDY", '=SUBSIDY("低保","赣州","2022年")',
     "赣州低保 2022 年度定额资助 320 元（37号 二(二)2）", 320),
    ("TILT", '=TILT("低保",50000,"龙岩",,,"2023-06-30")',
     "龙岩倾斜救助依申请办理，文件无计算标准（14号 二(五)）", "依申请"),
    ("MONITOR", '=MONITOR("低保",5000,"西秀",,"2022-06-30")',
     "西秀低收入人口单次自付超过 4,000 元（区医保发〔2021〕40号 一(五)）", "高额费用预警（低收入人口）"),
    ("IDENTITY", '=IDENTITY("低保、五保户","赣州","2022-06-30")',
     "多重身份中待遇最高的一个", "特困人员"),
    ("WAIT_START", '=WAIT_START("2022-02-15","赣州")',
     "集中征缴期（2021-10-01 至 2022-03-31）内缴费：待遇享受期为 2022 年全年，自 2022-01-01 起（赣医保发〔2021〕13号 二(二)）",
     "2022-01-01"),
    ("ID_CHECK", '=ID_CHECK("9997 03197110086025")',
     "证件号码：去掉空格、全角转半角、小写 x 转大写，按 GB 11643 校验第18位；15位一代证转为18位（号码为合成示例）",
     "999703197110086025"),
    ("ID_CHECK", '=ID_CHECK("1.40522E+17")',
     "证件号码被 Excel 存成了数字（科学计数法）：后几位已丢失，返回 # 说明", "#证件号码被 Excel 存成了数字"),
    ("ASSIST", '=ASSIST("外星人",100,"赣州")',
     "输入有误时返回以 # 开头的中文说明，不会返回 0", "#未知人员类别：外星人"),
    ("ASSIST_EXPLAIN", '=ASSIST_EXPLAIN("低保对象",10000,"赣州",,,"住院","2022-06-30")',
     "计算过程：每步一行、向下溢出（旧版 Excel 先选中一列单元格再按 Ctrl+Shift+Enter），最后一行是结果", None),
]

# a small ledger: inputs in cells, the formula shown as text beside them
LEDGER_HEADER = ["人员类别", "个人自付", "年度累计自付", "年度累计救助", "结算日期", "医疗救助公式（示例）"]
LEDGER_ROWS = [  # 结算日期 as a date cell; 1,000.50 as a number stored as text — both are accepted
    ["低保对象", 10000, None, None, datetime(2022, 6, 30)],
    ["低保边缘", 5000, 2000, None, datetime(2022, 6, 30)],
    ["特困人员", "1,000.50", None, None, datetime(2022, 6, 30)],
]

STEPS = [
    ("1", "安装 Python 3.11 或更高版本（python.org，安装时勾选 Add Python to PATH）。"),
    ("2", "打开“命令提示符”，进入 yibao 项目文件夹，运行：pip install ."),
    ("3", "运行：xlwings addin install（安装 xlwings 加载项，Excel 功能区出现 xlwings 选项卡）"),
    ("4", "Excel：文件 > 选项 > 信任中心 > 信任中心设置 > 宏设置，勾选“信任对 VBA 工程对象模型的访问”。"),
    ("5", "打开本工作簿，另存为“Excel 启用宏的工作簿 (*.xlsm)”。"),
    ("6", "检查 xlwings.conf 工作表：UDF Modules = udf；Interpreter_Win 填 pythonw.exe 路径或清空该行。"
          "（也可以不用该工作表，在 xlwings 选项卡的 UDF Modules 框里填 udf。）"),
    ("7", "在 xlwings 选项卡点击 Import Functions（导入函数），然后保存。"),
    ("8", "把本地设置文件 yibao_settings.toml 放在工作簿同一文件夹（格式见 settings.example.toml，每项注明来源）。"),
    ("9", "在单元格输入 =ASSIST(...) 等公式，见“示例”工作表；函数的参数说明见 docs/excel.md。"),
    ("注意", "结果以 # 开头表示输入或设置有误（中文说明原因）；#内部错误 表示程序缺陷，请联系维护人员。"),
    ("注意", "# 开头的结果是文字，SUM 会跳过它：汇总前用 =COUNTIF(H:H,\"#*\") 检查是否有错误。"),
    ("注意", "函数改了参数后需重新 Import Functions；修改设置文件后重新计算（Ctrl+Alt+F9）即可生效。"),
]

_BOLD = Font(bold=True)
_HEAD = PatternFill("solid", fgColor="DDEBF7")
_WRAP = Alignment(wrap_text=True, vertical="top")


def _text(cell, value: str) -> None:
    """A formula shown as text: never a live formula in this .xlsx (quotePrefix keeps it text when edited)."""
    cell.value = value
    cell.data_type = "s"
    cell.quotePrefix = True


def build(path: Path | str = OUT) -> Path:
    from xlsx_templates.build import _reproducible  # fixed core.xml dates and zip timestamps

    wb = Workbook()
    wb.properties.creator = "yibao udf/workbook/build.py"
    wb.properties.title = "医保救助函数（xlwings）"
    wb.properties.created = datetime(2024, 1, 1)

    ex = wb.active
    ex.title = "示例"
    ex.append(["函数", "示例公式（复制到单元格即可使用）", "说明", "结果（按政策文件，无需本地设置）"])
    for fn, formula, note, result in EXAMPLES:
        ex.append([fn, None, note, "（见说明）" if result is None else result])
        _text(ex.cell(ex.max_row, 2), formula)
    ex.append([])
    ex.append(["台账用法", None, "每行引用本行的输入单元格，向下填充"])
    ex.append(LEDGER_HEADER)
    head_row = ex.max_row
    for row in LEDGER_ROWS:
        ex.append(row)
        r = ex.max_row
        ex.cell(r, 5).number_format = "yyyy-mm-dd"
        _text(ex.cell(r, 6), f'=ASSIST(A{r},B{r},"赣州",C{r},D{r},"住院",E{r})')
    for r in (1, head_row):
        for c in ex[r]:
            c.font, c.fill = _BOLD, _HEAD
    for col, width in zip("ABCDEF", (16, 62, 70, 30, 14, 44)):
        ex.column_dimensions[col].width = width
    for row in ex.iter_rows(min_row=2):
        for c in row:
            c.alignment = _WRAP

    how = wb.create_sheet("说明")
    how.append(["步骤", "安装与使用（Windows 版 Excel）"])
    for step in STEPS:
        how.append(list(step))
    for c in how[1]:
        c.font, c.fill = _BOLD, _HEAD
    how.column_dimensions["A"].width = 8
    how.column_dimensions["B"].width = 110
    for row in how.iter_rows(min_row=2):
        for c in row:
            c.alignment = _WRAP

    conf = wb.create_sheet(CONF_SHEET)
    for key, value in CONF:
        conf.append([key, value])
    conf.append([])
    for line in CONF_NOTE:
        conf.append([line])
    conf.column_dimensions["A"].width = 20
    conf.column_dimensions["B"].width = 60

    path = Path(path)
    buf = io.BytesIO()
    wb.save(buf)
    # byte-stable like the ledger templates: openpyxl stamps core.xml "modified" with the time of
    # saving and the zip entries with today's date; both fixed, so a rebuild changes nothing
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(_reproducible(buf.getvalue()))
    os.replace(tmp, path)
    return path


if __name__ == "__main__":
    print(build(sys.argv[1] if len(sys.argv) > 1 else OUT))
