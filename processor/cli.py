"""`yibao` — the command line.

    yibao policy list                       收录的地区与文件
    yibao policy show 赣州 [--date D]        每个取值及其文号、条款
    yibao policy check [--settings F]       校验政策文件（引用、重叠、缺口）与设置文件
    yibao explain assist|critical|subsidy|tilt|monitor ...   一次计算的过程
    yibao fill 待遇台账 INPUT --region R --out OUT.xlsx [...]  月度台账
    yibao template check my.xlsx            单位自有模板的列识别情况
    yibao enrol ROSTERS… --payments F --region R --year Y --out DIR    参保/资助台账、动员参保台账
    yibao compare ROSTERS… --payments F --out DIR                     部门名单比对
    yibao reconcile|monitor|costcheck INPUT --region R --out OUT.xlsx [...]  财务对账、监测名单、目录外费用控制
"""
from __future__ import annotations

import argparse
import os
import sys
from datetime import date

from .book import coverage_problems, default_book, period_text
from .dates import parse_date
from .describe import param_row
from .errors import YibaoError
from .money import format_yuan, parse_amount
from .rules.assistance import KINDS as ASSISTED_KINDS
from .settings import load_settings
from .province.cli_args import add_parser as add_province_parser


def _out(text: str = "") -> None:
    print(text)


# ----------------------------------------------------------------------------- Chinese argparse
_ARGPARSE_ZH = {
    "usage: ": "用法：", "options": "选项", "positional arguments": "位置参数",
    "show this help message and exit": "显示本帮助并退出",
    "the following arguments are required: %s": "缺少必填参数：%s",
    "unrecognized arguments: %s": "不认识的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选项 %(value)r（可选：%(choices)s）",
    "expected one argument": "需要一个值", "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
    "invalid %(type)s value: %(value)r": "无效的%(type)s值：%(value)r",
    "ambiguous option: %(option)s could match %(matches)s": "选项不明确：%(option)s 可以是 %(matches)s",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "show program's version number and exit": "显示版本号并退出",
    "not allowed with argument %s": "不能与参数 %s 同时使用",
    "one of the arguments %s is required": "参数 %s 必须给出一个",
}


def _zh(text: str) -> str:
    return _ARGPARSE_ZH.get(text, text)


class ChineseParser(argparse.ArgumentParser):
    """argparse with its own messages in Chinese (usage, errors, -h). Passed as ``parser_class`` to
    every ``add_subparsers``, so each subcommand (fill, enrol, compare …) gets it without further edits."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"

    def add_subparsers(self, **kwargs):
        kwargs.setdefault("parser_class", ChineseParser)
        kwargs.setdefault("title", "子命令")
        return super().add_subparsers(**kwargs)

    def format_usage(self) -> str:
        return super().format_usage().replace("usage: ", "用法：", 1)

    def format_help(self) -> str:
        return super().format_help().replace("usage: ", "用法：", 1)

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}：错误：{message}\n")


def _translate_argparse() -> None:
    """argparse looks its messages up through ``argparse._`` (gettext): answer in Chinese."""
    argparse._ = _zh  # type: ignore[attr-defined]
    argparse.ngettext = lambda s, p, n: _zh(s if n == 1 else p)  # type: ignore[attr-defined]


_translate_argparse()


def _version() -> str:
    try:
        from importlib.metadata import version
        return version("yibao")
    except Exception:  # noqa: BLE001 - not installed (run from a source tree)
        return "未安装版本"


def _ellipsis(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


# ----------------------------------------------------------------------------- policy
def cmd_policy_list(args) -> int:
    book = default_book()
    for region in book.regions.values():
        start, end = region.span
        _out(f"{region.name}（{region.full_name}，{region.province}）  别名：{'、'.join(region.aliases)}")
        for d in region.documents:
            _out(f"  {d.id}  {period_text(d.start, d.end)}  参数 {len(d.params)} 项  {_ellipsis(d.title, 40)}")
    return 0


def cmd_policy_show(args) -> int:
    book = default_book()
    region = book.region(args.region)
    on = parse_date(args.date, "日期") if args.date else None
    _out(f"{region.name}（{region.full_name}）" + (f" 于 {on} 生效的取值" if on else " 全部取值"))
    docs = region.documents if on is None else list(region.view(on).documents)
    for d in docs:
        _out(f"\n■ {d.id}  {d.title}\n  {d.issuer}；{d.issued} 印发；施行 {period_text(d.start, d.end)}（{d.citation.clause}）")
        if d.note:
            _out(f"  说明：{d.note}")
        if d.categories:
            _out("  身份：")
            for c in d.categories:
                _out(f"    {c.label}〔{c.citation.clause}〕 别名：{'、'.join(c.aliases) or '无'}")
        _out("  取值：")
        for p in d.params:
            if on is not None and not p.in_force(on):
                continue
            label, value, doc, clause, period, note = param_row(p)
            _out(f"    {label} = {value}   〔{doc} {clause}〕 {period}  [{p.key}]")
            if note:
                _out(f"        说明：{note}")
    return 0


def cmd_policy_check(args) -> int:
    book = default_book()
    problems = [p for r in book.regions.values() for p in coverage_problems(r)]
    for p in problems:
        _out("问题：" + p)
    settings = load_settings(args.settings, known_regions=set(book.regions)) if args.settings else None
    _out(f"政策文件：{sum(len(r.documents) for r in book.regions.values())} 份，"
         f"参数 {sum(len(list(r.params())) for r in book.regions.values())} 项，问题 {len(problems)} 个")
    if settings is None:
        _out("设置文件：未检查（用 --settings 文件 检查本地设置；各地区需要的键见 settings.example.toml）")
    else:
        _out(f"设置文件：{args.settings}，{len(settings)} 项" + ("（示例数字，非官方）" if settings.example else ""))
        for s in settings:
            _out(f"  {s.region} {s.year} {s.label} = {format_yuan(s.value) if isinstance(s.value, int) else s.value}"
                 f"  来源：{s.source_text()}")
    return 1 if problems else 0


# ----------------------------------------------------------------------------- explain
def _engine(args):
    from .engine import Engine
    path = args.settings or os.environ.get("YIBAO_SETTINGS")
    return Engine(settings=load_settings(path, known_regions=set(default_book().regions)))


def cmd_explain(args) -> int:
    from .rules.assistance import normalise_kind
    eng = _engine(args)
    on = parse_date(args.date, "结算日期") if args.date else date.today()
    amt = (lambda v, what: parse_amount(v, what) if v is not None else 0)
    what = args.what
    if what == "assist":
        r = eng.assistance(args.category, args.region, amt(args.amount, "个人自付"), amt(args.ytd, "年度累计个人自付"),
                           amt(args.ytd_paid, "年度累计救助"), normalise_kind(args.kind), on, not args.no_referral,
                           parse_amount(args.stay_total, "本次目录内费用") if args.stay_total else None,
                           not args.out_of_province)
    elif what == "critical":
        r = eng.critical(args.category, args.region, amt(args.amount, "进入大病的费用"), amt(args.ytd, "年度累计"), on,
                         not args.no_referral)
    elif what == "subsidy":
        r = eng.subsidy(args.category, args.region, args.year or on.year)
    elif what == "tilt":
        r = eng.tilt(args.category, args.region, amt(args.amount, "三重制度后自付"), amt(args.ytd, "年度累计"),
                     amt(args.ytd_paid, "年度累计倾斜救助"), on, not args.no_referral)
    else:
        r = eng.monitor(args.category, args.region, amt(args.amount, "本次自付"), amt(args.ytd, "年度累计自付"), on)
    _out(f"适用身份：{r.identity}")
    for i, line in enumerate(r.lines(), 1):
        _out(f"{i:>2}. {line}")
    _out("结果：" + (f"{format_yuan(r.fen)} 元" if r.fen is not None else (r.text or "无")))
    return 0


# ----------------------------------------------------------------------------- batch
def cmd_fill(args) -> int:
    from .ledgers.run import fill
    return fill(args)


def cmd_reconcile(args) -> int:
    from .reconcile.run import run
    return run(args)


def cmd_monitor(args) -> int:
    from .monitor.run import run
    return run(args)


def cmd_costcheck(args) -> int:
    from .costcheck.run import run
    return run(args)


REGION_HELP = "地区：赣州、龙岩、阳城、西秀（或其全称、别名）"


def _report_args(sp, with_previous: bool = True) -> None:
    """The options the finance reports share with `fill`."""
    sp.add_argument("input", help="结算导出文件（xlsx 或 csv）")
    sp.add_argument("--region", required=True, help=REGION_HELP)
    sp.add_argument("--out", required=True, help="输出文件（.xlsx；已存在时须加 --force）")
    sp.add_argument("--settings", help="本地设置文件（默认取环境变量 YIBAO_SETTINGS）")
    if with_previous:
        sp.add_argument("--previous", action="append", help="本年度此前的台账（本工具生成），同 yibao fill")
    sp.add_argument("--period", help="所属期，如 2022-03（默认：导出中最后一个月）")
    sp.add_argument("--unit", default="", help="填报单位")
    sp.add_argument("--force", action="store_true", help="覆盖已存在的输出文件")
    sp.add_argument("--allow-rejects", action="store_true", help="多数行因同一原因被拒绝时仍写出")
    sp.add_argument("--quiet", action="store_true", help="不显示进度")


def cmd_enrol(args) -> int:
    from .enrolment.run import enrol
    return enrol(args)


def cmd_compare(args) -> int:
    from .enrolment.run import compare
    return compare(args)


def cmd_template_check(args) -> int:
    from .ledgers.run import template_check
    return template_check(args)


# ----------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    p = ChineseParser(prog="yibao", description="医保台账：农村低收入人口医保政策计算与月度台账")
    p.add_argument("--version", action="version", version=f"yibao {_version()}", help="显示版本号并退出")
    sub = p.add_subparsers(dest="command", required=True)

    pol = sub.add_parser("policy", help="政策文件").add_subparsers(dest="policy_cmd", required=True)
    pl = pol.add_parser("list", help="收录的地区与文件")
    pl.set_defaults(func=cmd_policy_list)
    ps = pol.add_parser("show", help="某地区的全部取值及文号、条款")
    ps.add_argument("region")
    ps.add_argument("--date", help="只列该日生效的取值，如 2022-06-30")
    ps.set_defaults(func=cmd_policy_show)
    pc = pol.add_parser("check", help="校验政策文件与设置文件")
    pc.add_argument("--settings", help="同时检查的本地设置文件（.toml）")
    pc.set_defaults(func=cmd_policy_check)

    ex = sub.add_parser("explain", help="一次计算的过程")
    ex.add_argument("what", choices=["assist", "critical", "subsidy", "tilt", "monitor"],
                    help="算什么：assist 医疗救助、critical 大病保险、subsidy 资助参保、tilt 倾斜救助、monitor 监测")
    ex.add_argument("--region", required=True, help=REGION_HELP)
    ex.add_argument("--category", default="", help="人员类别，可多个，用、分隔")
    ex.add_argument("--amount", help="本次金额（元）：自付 / 进入大病的费用 / 三重后自付")
    ex.add_argument("--ytd", help="本次之前的年度累计金额（元）")
    ex.add_argument("--ytd-paid", help="本次之前年度累计已支付的救助（元）")
    ex.add_argument("--kind", default="住院", help=f"医疗类别：{'、'.join(ASSISTED_KINDS)}（默认 住院）")
    ex.add_argument("--date", help="结算日期，默认今天")
    ex.add_argument("--year", type=int, help="资助参保年度")
    ex.add_argument("--stay-total", help="本次目录内费用（阳城返贫致贫90%%兜底用）")
    ex.add_argument("--no-referral", action="store_true", help="未按规定转诊")
    ex.add_argument("--out-of-province", action="store_true", help="省外就医")
    ex.add_argument("--settings", help="本地设置文件（默认取环境变量 YIBAO_SETTINGS）")
    ex.set_defaults(func=cmd_explain)

    fl = sub.add_parser("fill", help="从结算导出填写台账")
    fl.add_argument("ledger", help="台账名称：待遇台账 或 医疗救助台账")
    fl.add_argument("input", nargs="+", help="结算导出文件（xlsx、csv 或 parquet），可给多个文件或一个文件夹（读取其中全部导出）")
    fl.add_argument("--region", required=True, help=REGION_HELP)
    fl.add_argument("--out", required=True, help="输出的台账文件（.xlsx；已存在时须加 --force）")
    fl.add_argument("--settings", help="本地设置文件（默认取环境变量 YIBAO_SETTINGS）")
    fl.add_argument("--previous", action="append",
                    help="本年度此前的台账（本工具生成），可多次给出、按月份顺序：年度累计取最后一份，"
                         "已结算的结算ID取全部（识别跨月的重复与冲销）")
    fl.add_argument("--period", help="所属期，写作 年-月，如 2022-03：输入中每条结算都须在该月，否则不写出并列出不在该月的行数")
    fl.add_argument("--template", help="单位自有模板")
    fl.add_argument("--formulas", action="store_true", help="金额列写入 =ASSIST(...) 等公式")
    fl.add_argument("--force", action="store_true", help="覆盖已存在的输出文件")
    fl.add_argument("--allow-rejects", action="store_true",
                    help="多数行因同一原因被拒绝（如 --region 给错、导出不完整）时仍写出台账（默认停止并报错）")
    fl.add_argument("--unit", default="", help="填报单位")
    fl.add_argument("--quiet", action="store_true", help="不显示进度")
    fl.set_defaults(func=cmd_fill)

    rc = sub.add_parser("reconcile", help="财务对账：平台各基金支付与政策金额逐笔核对，按基金/身份/乡镇/月合计")
    _report_args(rc)
    rc.add_argument("--roster", help="人员名册（证件号码、姓名、人员类别），用于判断身份与名册不一致")
    rc.add_argument("--requests", help="代缴请款明细（yibao enrol 写出的或税务的请款表），与 --payments 一起核对资助请款")
    rc.add_argument("--payments", help="参保缴费记录（含代缴金额列），与 --requests 一起核对资助请款")
    rc.set_defaults(func=cmd_reconcile)
    mo = sub.add_parser("monitor", help="因病返贫致贫监测与高额费用预警名单（按乡镇）")
    _report_args(mo)
    mo.set_defaults(func=cmd_monitor)
    cc = sub.add_parser("costcheck", help="目录外费用控制：按医疗机构与结算核对目录外费用占比")
    _report_args(cc, with_previous=False)
    cc.add_argument("--hospitals", required=True, help="医疗机构名单（医疗机构名称、收费标准类别、是否省内、是否市域内）")
    cc.set_defaults(func=cmd_costcheck)

    en = sub.add_parser("enrol", help="参保/资助台账（表一）、动员参保台账（表二）、合理化未参保、代缴请款、参保率")
    en.add_argument("rosters", nargs="+", help="各部门认定名单（xlsx 或 csv），可多个")
    en.add_argument("--payments", required=True, help="参保缴费记录（xlsx 或 csv）")
    en.add_argument("--region", required=True, help=REGION_HELP)
    en.add_argument("--year", required=True, type=int, help="参保年度，如 2022")
    en.add_argument("--out", required=True, help="输出文件夹")
    en.add_argument("--previous-mobilisation", help="上月本工具生成的表二（保留经办人员填写的动员情况）")
    en.add_argument("--compare", metavar="DIR",
                    help="同时把各部门比对结果写到这个文件夹（与 yibao compare 相同，输入只读一次）")
    en.add_argument("--settings", help="本地设置文件（默认取环境变量 YIBAO_SETTINGS）")
    en.add_argument("--period", help="所属期，如 2022-03（默认：缴费记录中最后一个月）")
    en.add_argument("--batch", help="代缴请款批次（默认：缴费月份）")
    en.add_argument("--unit", default="", help="填报单位")
    en.add_argument("--force", action="store_true", help="覆盖已存在的输出文件")
    en.add_argument("--quiet", action="store_true", help="不显示进度")
    en.set_defaults(func=cmd_enrol)
    cp = sub.add_parser("compare", help="各部门认定名单与参保数据、与其他部门名单比对")
    cp.add_argument("rosters", nargs="+", help="各部门认定名单（xlsx 或 csv），可多个")
    cp.add_argument("--payments", required=True, help="参保缴费记录（xlsx 或 csv）")
    cp.add_argument("--out", required=True, help="输出文件夹")
    cp.add_argument("--region", help="地区：给出时身份按政策的规范名称比较（低保=低保对象）")
    cp.add_argument("--year", type=int, help="参保年度（默认：缴费记录中最近的年度）")
    cp.add_argument("--period", help="所属期")
    cp.add_argument("--unit", default="", help="填报单位")
    cp.add_argument("--force", action="store_true", help="覆盖已存在的输出文件")
    cp.add_argument("--quiet", action="store_true", help="不显示进度")
    cp.set_defaults(func=cmd_compare)

    tp = sub.add_parser("template", help="模板").add_subparsers(dest="template_cmd", required=True)
    tc = tp.add_parser("check", help="列出模板的表头识别情况")
    tc.add_argument("template")
    tc.set_defaults(func=cmd_template_check)
    add_province_parser(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except YibaoError as err:
        from .io.mask import mask_text
        print(f"错误：{mask_text(err.message)}", file=sys.stderr)  # an ID number never leaves the workbook whole
        return 2
    except BrokenPipeError:  # e.g. `yibao policy show 赣州 | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("已中断，未写出任何文件。", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
