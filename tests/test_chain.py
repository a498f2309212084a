"""One claim after another through the chain (processor/chain.py) with the person's year carried:
where the engine must follow the letter of the documents (issue: policy fidelity).

Each test is named after its clause; every amount is worked by hand in the comment beside it.
Settings are round test figures (not official), except where a test reproduces a case with the
bundled settings.example.toml (its example figures: 赣州 2021 disposable income 30,000).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from processor import identities as ids
from processor.book import default_book
from processor.chain import Claim, YearState, settle
from processor.cli import main
from processor.engine import Engine
from processor.errors import InputError, PolicyNotInForce, SettingMissing
from processor.ledgers.normalise import kind_of
from processor.rules.common import Ctx
from processor.settings import SETTING_KEYS, load_settings, parse_settings

ROOT = Path(__file__).resolve().parent.parent
DOC37 = "赣市医保字〔2021〕37号"
DOC13 = "赣医保发〔2021〕13号"
DOC40 = "区医保发〔2021〕40号"
DOC14 = "龙政办规〔2022〕14号"
DOC2 = "阳医保发〔2022〕2号"


def Y(x) -> int:
    """yuan (int or decimal text) → fen"""
    return int(Decimal(str(x)) * 100)


def settings(region: str, *rows):
    text = "".join(f'[[setting]]\nregion = "{region}"\nkey = "{k}"\nyear = {y}\nvalue = "{v}"\nsource = "测试用整数"\n'
                   for k, y, v in rows)
    return parse_settings(text)


def run(region: str, s, rows: list[tuple[str, Claim]]):
    """Settle ``rows`` = [(人员类别 text, Claim)] one after another for one person; → settlements."""
    reg = default_book().region(region)
    state = YearState()
    out = []
    for category, claim in rows:
        ctx = Ctx(reg.view(claim.settled_on), s)
        result = settle(ctx, ids.resolve(ctx.view, category), claim, state)
        state = state.plus(result.delta)
        out.append(result)
    return out, state


def claim(sid, on, total, policy, basic, kind="住院", **kw) -> Claim:
    return Claim(sid, "P", date.fromisoformat(on), kind, Y(total), Y(policy), Y(basic), **kw)


def cited(result, text: str) -> bool:
    return any(text in str(c) for c in result.citations)


# ==================================================================================== 赣州
# round settings: 赣州 2021 disposable income 40,000 → 大病 deductible 20,000 (tilted 10,000);
# ③ threshold 10% = 4,000; 倾斜 line 100% = 40,000
GZ = settings("赣州", ("disposable_income", 2021, "40000"), ("rural_income_province", 2021, "18000"))


def test_gz_2_3_3_4_no_tilt_before_the_assistance_cap_is_used_up_the_issue_case():
    # The issue's case with settings.example.toml (赣州 2021 income 30,000: 大病 deductible 15,000, line 30,000):
    # 边缘易致贫人口, 门诊慢特病 in-policy 50,000 then 30,000, nothing from 基本医保.
    # 大病 (ordinary): (50,000 − 15,000) × 60% = 21,000; then (80,000 − 15,000) × 60% − 21,000 = 18,000.
    # 医疗救助: 边缘易致贫 is not assisted for 门诊慢特病 (二(三)3(2)(3) name 特困/低保/返贫致贫 only) → 0, 0.
    # 倾斜救助: no 医疗救助 cap was ever reached → 0 both times (was 8,250 on the second claim).
    s = load_settings(ROOT / "settings.example.toml")
    out, _ = run("赣州", s, [("边缘易致贫人口", claim("A", "2022-03-01", 50000, 50000, 0, kind="门诊慢特病")),
                            ("边缘易致贫人口", claim("B", "2022-04-01", 30000, 30000, 0, kind="门诊慢特病"))])
    assert [(r.critical, r.assist, r.tilt) for r in out] == [(Y(21000), 0, 0), (Y(18000), 0, 0)]
    # final self-pay = total − 大病: 29,000 and 12,000
    assert [r.final_selfpay for r in out] == [Y(29000), Y(12000)]


def test_gz_2_3_3_4_tilt_only_on_the_self_pay_beyond_the_cap():
    # A low income line makes the cap point matter: 赣州 2021 income 10,000 → line 10,000 (tilted 大病 deductible 2,500).
    # 低保对象 75%, cap 50,000 (二(三)3(1)②). The export gives 大病 0 (used as given).
    s = settings("赣州", ("disposable_income", 2021, "10000"), ("rural_income_province", 2021, "18000"))
    out, state = run("赣州", s, [("低保对象", claim("A", "2022-05-01", 80000, 80000, 0, critical_paid=0))])
    r = out[0]
    # 救助: 80,000 × 75% = 60,000 > cap 50,000 → 50,000; the cap covers 50,000 / 75% = 66,666.67 of the self-pay,
    # so 80,000 − 66,666.67 = 13,333.33 lies beyond it.
    assert r.assist == Y(50000)
    assert r.tilt_beyond == Y("13333.33")
    # remaining after three tiers 80,000 − 50,000 = 30,000; above the 10,000 line: 20,000.
    # 倾斜 = 75% × min(13,333.33 beyond the cap, 20,000 above the line) = 9,999.9975 → half-up 10,000.00
    assert r.tilt == Y(10000)
    assert cited(r, f"{DOC37} 二(三)3(4)")
    # final 80,000 − 50,000 − 10,000 = 20,000
    assert r.final_selfpay == Y(20000)
    # a second claim after the cap: 10,000 all beyond it, all above the line → 7,500
    out2, _ = run("赣州", s, [("低保对象", claim("A", "2022-05-01", 80000, 80000, 0, critical_paid=0)),
                              ("低保对象", claim("B", "2022-06-01", 10000, 10000, 0, critical_paid=0))])
    assert (out2[1].assist, out2[1].tilt_beyond, out2[1].tilt) == (0, Y(10000), Y(7500))


def test_gz_2_3_3_4_tekun_has_no_cap_so_no_tilt():
    # 特困 100%, no cap (二(三)3(1)①): nothing is ever beyond a cap → 倾斜 0 (and nothing remains anyway)
    out, _ = run("赣州", GZ, [("特困人员", claim("A", "2022-05-01", 200000, 200000, 0, critical_paid=0))])
    assert (out[0].assist, out[0].tilt) == (Y(200000), 0)


def test_gz_2_3_3_1_threshold_counts_only_the_kinds_the_identity_is_assisted_for_the_issue_case():
    # settings.example.toml: ③ threshold 10% × 30,000 = 3,000. 边缘易致贫人口:
    # 门诊慢特病 self-pay 5,000 (not assisted for ③ → does not count), then 住院 self-pay 5,000:
    # (5,000 − 3,000) × 60% = 1,200 (was 3,000 when the 门诊慢特病 counted).
    # Both below the 大病 deductible 15,000 → 大病 0.
    s = load_settings(ROOT / "settings.example.toml")
    out, state = run("赣州", s, [("边缘易致贫人口", claim("A", "2022-03-01", 5000, 5000, 0, kind="门诊慢特病")),
                                ("边缘易致贫人口", claim("B", "2022-04-01", 5000, 5000, 0))])
    assert [r.assist for r in out] == [0, Y(1200)]
    assert [r.assist_base for r in out] == [0, Y(5000)]  # 进入医疗救助金额
    assert state.selfpay == Y(5000)


def test_gz_4_8_unreferred_costs_do_not_count_toward_the_threshold():
    # 四(八): no referral → no 医疗救助; nor does its self-pay count toward ③'s 4,000 threshold.
    # 3,000 unreferred, then 3,000 referred: (3,000 − 4,000) < 0 → 0 (counting both would give 2,000 × 60% = 1,200)
    out, _ = run("赣州", GZ, [("边缘易致贫人口", claim("A", "2022-03-01", 3000, 3000, 0, referral=False)),
                             ("边缘易致贫人口", claim("B", "2022-04-01", 3000, 3000, 0))])
    assert [r.assist for r in out] == [0, 0]


def test_gz_2_3_1_two_diseases_are_their_own_kind_without_assistance():
    # 二(三)1 "两病"（高血压、糖尿病）门诊用药 is a 基本医保 benefit apart from 门诊慢特病: no 医疗救助, no 大病.
    assert kind_of("门诊两病") == "门诊两病" and kind_of("两病") == "门诊两病"
    out, state = run("赣州", GZ, [("低保对象", claim("A", "2022-03-01", 600, 500, 300, kind="门诊两病"))])
    r = out[0]
    # total 600 − 统筹 300 = 300 paid by the person; 低保 would get 75% of 200 as 门诊慢特病, gets 0 here
    assert (r.critical, r.assist, r.tilt, r.final_selfpay) == (0, 0, 0, Y(300))
    assert state.selfpay == 0
    with pytest.raises(PolicyNotInForce, match="两病"):
        Engine(settings=GZ).assistance("低保对象", "赣州", Y(200), kind="门诊两病", on=date(2022, 3, 1))


def test_yc_5_two_diseases_no_assistance_either():
    # 阳医保发〔2022〕2号 五 assists 门诊慢性病 and 门诊特药; 两病 is named apart (二·二): none
    s = settings("阳城", ("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"),
                 ("critical_cap", 2022, "300000"), ("assistance_cap", 2022, "100000"))
    out, _ = run("阳城", s, [("低保对象", claim("A", "2022-03-01", 600, 500, 300, kind="门诊两病"))])
    assert (out[0].assist, out[0].final_selfpay) == (0, Y(300))


def test_gz_2_3_3_3_class2_chronic_only_above_its_annual_limit():
    # 低保对象 II类门诊特殊慢性病, self-pay 8,000 (below the tilted 大病 deductible 10,000 → 大病 0), of which
    # 3,000 above the disease's annual limit (export column 限额以上个人自付): 3,000 × 75% = 2,250
    c2 = dict(kind="门诊慢特病", chronic_class2=True)
    out, state = run("赣州", GZ, [("低保对象", claim("A", "2022-03-01", 8000, 8000, 0, above_limit=Y(3000), **c2))])
    assert (out[0].assist, out[0].assist_base) == (Y(2250), Y(3000))
    assert cited(out[0], f"{DOC37} 二(三)3(3)")
    assert state.selfpay == Y(3000)
    # no such column in the export: 0, with a 核对 entry saying why
    out, _ = run("赣州", GZ, [("低保对象", claim("A", "2022-03-01", 8000, 8000, 0, **c2))])
    assert out[0].assist == 0
    assert out[0].checks and "限额以上个人自付" in out[0].checks[0][1]
    # an above-limit figure larger than the claim's self-pay: never more than the self-pay → 8,000 × 75% = 6,000
    out, _ = run("赣州", GZ, [("低保对象", claim("A", "2022-03-01", 8000, 8000, 0, above_limit=Y(9000), **c2))])
    assert out[0].assist == Y(6000)
    # I类 (ordinary 门诊慢特病): all of it, 8,000 × 75% = 6,000
    out, _ = run("赣州", GZ, [("低保对象", claim("A", "2022-03-01", 8000, 8000, 0, kind="门诊慢特病"))])
    assert out[0].assist == Y(6000)
    assert kind_of("II类门诊特殊慢性病") == "门诊慢特病" and kind_of("Ⅱ类门诊特殊慢性病") == "门诊慢特病"


def test_gz_3_4_3_transfer_and_involuntary_break_have_no_waiting_period():
    e = Engine(settings=GZ)
    for case in ("跨区域参保关系转移接续", "非因个人原因停保断保"):
        r = e.benefit_start("", "赣州", date(2022, 5, 1), case=case)
        assert r.text == "2022-05-01"  # no waiting: from the payment day
        assert any(f"{DOC37} 三(四)3" in line for line in r.lines())
        # 37号 has no end date: still so in 2024, when 13号 (2022 benefit year) is over
        assert e.benefit_start("", "赣州", date(2024, 7, 9), case=case).text == "2024-07-09"


def test_gz_13_2_4_college_students_pay_nothing():
    e = Engine(settings=GZ)
    r = e.subsidy("高校大学生", "赣州", 2022)
    # 二(四) "高校大学生个人不缴费，其个人缴费部分由财政全额负担": the whole 2022 contribution 320 (二(二))
    assert r.fen == Y(320)
    assert e.subsidy("大学生", "赣州", 2022).fen == Y(320)
    # subsidised → no waiting period (三(四)2): paid 2022-06-01, benefits from that day
    assert e.benefit_start("高校大学生", "赣州", date(2022, 6, 1)).text == "2022-06-01"


def test_gz_3_4_2_waiting_exemption_ends_with_the_subsidy():
    e = Engine(settings=GZ)
    # 二(二)3: 脱贫不稳定人口 subsidised in the transition period (to 2025-12-31): no waiting in 2025
    assert e.benefit_start("脱贫不稳定人口", "赣州", date(2025, 6, 1)).text == "2025-06-01"
    # 2026: no subsidy → no exemption; and no waiting rule of 2026 is in the book → said, not guessed
    with pytest.raises(PolicyNotInForce, match="等待期"):
        e.benefit_start("脱贫不稳定人口", "赣州", date(2026, 6, 1))
    # 低保 (二(二)2, no end) stays exempt
    assert e.benefit_start("低保对象", "赣州", date(2026, 6, 1)).text == "2026-06-01"


def test_gz_3_6_rural_income_is_the_previous_statistical_year_in_settings_and_lookup():
    # One reading: Y年的监测 uses the setting with year = Y−1 (the same rule as 上一年度 disposable income)
    assert "Y-1" in SETTING_KEYS["rural_income_province"].year_rule
    s = settings("赣州", ("rural_income_province", 2020, "16000"), ("rural_income_province", 2022, "20000"))
    with pytest.raises(SettingMissing, match="2021年"):
        Engine(settings=s).monitor("", "赣州", Y(20000), on=date(2022, 6, 30))
    s = settings("赣州", ("rural_income_province", 2021, "18000"))
    # 2022: 100% × 18,000 (the 2021 figure); 18,000.01 is above it
    assert Engine(settings=s).monitor("", "赣州", Y("18000.01"), on=date(2022, 6, 30)).text == "因病致贫监测"


# ==================================================================================== 西秀
XX = settings("西秀", ("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"),
              ("critical_cap", 2022, "300000"), ("assistance_cap", 2022, "50000"))


@pytest.mark.parametrize("word", ["脱贫不稳定户", "脱贫不稳定人口", "脱贫监测户"])
def test_xx_1_2_unstable_out_of_poverty_is_both_identities(word):
    e = Engine(settings=XX)
    on = date(2022, 6, 30)
    # 一(二) lists 脱贫不稳定户 under 边缘人口; it is also 脱贫人口 (一(三)): the higher benefit — 脱贫人口's
    # 一(四) 医疗救助 70%: 10,000 × 70% = 7,000 (边缘人口 alone: 0). Never 7,000 for one word and 0 for another.
    r = e.assistance(word, "西秀", Y(10000), on=on)
    assert (r.fen, r.identity) == (Y(7000), "脱贫人口")
    assert ids.resolve(default_book().region("西秀").view(on), word) == ("脱贫人口", "边缘人口")


def test_xx_1_1_returned_to_poverty_is_known():
    e = Engine(settings=XX)
    on = date(2022, 6, 30)
    # 一(一) names 返贫致贫人口 (enrolment); no subsidy, 大病 tilt or 医疗救助 of its own in this document
    assert e.subsidy("返贫致贫人口", "西秀", 2022).fen == 0
    assert e.assistance("返贫致贫人口", "西秀", Y(10000), on=on).fen == 0
    # a low-income person for the 4,000 warning line of 一(五): 4,000.01 → listed
    assert e.monitor("返贫致贫人口", "西秀", Y("4000.01"), on=on).text == "高额费用预警（低收入人口）"


def test_xx_1_5_warning_base_is_the_visits_whole_self_pay():
    # 一(五) "单次自付医疗费用": the visit's final personal burden, out-of-policy costs included.
    # 边缘人口 (low income, no 救助): total 4,500, in-policy 3,500 (below the 5,000 … any 大病 deductible), no 统筹:
    # final self-pay 4,500 > 4,000 → listed, although the in-policy (合规) part 3,500 is below the line.
    out, _ = run("西秀", XX, [("边缘人口", claim("A", "2022-03-01", 4500, 3500, 0))])
    assert out[0].final_selfpay == Y(4500)
    assert out[0].monitor == "高额费用预警（低收入人口）"


# ==================================================================================== 龙岩
LY = settings("龙岩", ("disposable_income", 2022, "40000"), ("assistance_cap", 2023, "40000"),
              ("critical_cap", 2023, "300000"))


def test_ly_2_1_1_bare_edge_household_is_ambiguous():
    e = Engine(settings=LY)
    with pytest.raises(InputError) as err:
        e.assistance("边缘户", "龙岩", Y(10000), on=date(2023, 6, 30))
    assert "第三类" in str(err.value) and "第四类" in str(err.value) and "边缘易致贫户" in str(err.value)
    # the full words are unambiguous: 边缘易致贫户 → 第三类 70%, 低保边缘户 → 第四类 60% above 4,000
    assert e.assistance("边缘易致贫户", "龙岩", Y(10000), on=date(2023, 6, 30)).fen == Y(7000)
    assert e.assistance("低保边缘户", "龙岩", Y(10000), on=date(2023, 6, 30)).fen == Y(3600)  # (10,000 − 4,000) × 60%


def test_ly_2_4_2_unreferred_costs_do_not_count_toward_the_threshold():
    # 第四类: threshold 10% × 40,000 = 4,000, 60%. Claim 1 unreferred 4,000 ("原则上不纳入医疗救助范围": no 救助,
    # and not counted), claim 2 referred 4,000: (4,000 − 4,000) → 0 (counting claim 1 would give 4,000 × 60% = 2,400).
    # Both below the ordinary 大病 deductible 13,000 → 大病 0.
    out, state = run("龙岩", LY, [("第四类", claim("A", "2023-03-01", 4000, 4000, 0, referral=False)),
                                 ("第四类", claim("B", "2023-04-01", 4000, 4000, 0))])
    assert [r.assist for r in out] == [0, 0]
    assert state.selfpay == Y(4000)
    # a third referred 1,000: year 5,000 → (5,000 − 4,000) × 60% = 600
    out, _ = run("龙岩", LY, [("第四类", claim("A", "2023-03-01", 4000, 4000, 0, referral=False)),
                             ("第四类", claim("B", "2023-04-01", 4000, 4000, 0)),
                             ("第四类", claim("C", "2023-05-01", 1000, 1000, 0))])
    assert out[2].assist == Y(600)


# ==================================================================================== 阳城
YC = settings("阳城", ("critical_deductible", 2022, "10000"), ("critical_rate", 2022, "60%"),
              ("critical_cap", 2022, "300000"), ("assistance_cap", 2022, "100000"))
STAY = dict(out_of_catalog=Y(30000), hospital_class="县级二类及三类")


def test_yc_6_out_of_catalog_above_the_share_is_borne_by_the_hospital():
    # 六: 县级二类及三类 share 15% × total 100,000 = 15,000; out-of-catalog 30,000 → 15,000 within, 15,000 above:
    # "凡超过控制比例的费用均由医疗机构承担" → not the patient's.
    # 返贫致贫人口, total 100,000, in-policy 70,000, 统筹 49,000 → amount 21,000.
    # 三 大病 tilted: deductible 10,000 × 50% = 5,000, 60% + 5 = 65%: (21,000 − 5,000) × 65% = 10,400; self-pay 10,600.
    # 四 救助 70%: 7,420; combined (70,000 − 10,600 + 7,420) / 70,000 = 95.5% ≥ 90% → no top-up.
    # 六 目录外 within the share 15,000 × 85% = 12,750 → 救助 7,420 + 12,750 = 20,170.
    # final = 100,000 − 49,000 − 10,400 − 20,170 − 15,000 = 5,430 (= 3,180 in-policy + 2,250 within-share left)
    out, state = run("阳城", YC, [("返贫致贫人口", claim("A", "2022-03-01", 100000, 70000, 49000, **STAY))])
    r = out[0]
    assert (r.critical, r.assist, r.hospital_borne, r.final_selfpay) == (Y(10400), Y(20170), Y(15000), Y(5430))
    assert state.final_selfpay == Y(5430)  # the monitoring total never sees the hospital's part
    # 低保对象 (also a 六 group, no 85%): 救助 7,420; final 100,000 − 49,000 − 10,400 − 7,420 − 15,000 = 18,180
    out, _ = run("阳城", YC, [("低保对象", claim("A", "2022-03-01", 100000, 70000, 49000, **STAY))])
    assert (out[0].assist, out[0].hospital_borne, out[0].final_selfpay) == (Y(7420), Y(15000), Y(18180))
    # 易返贫致贫人口 is not among 六's groups: the hospital bears nothing; ordinary 大病 (21,000 − 10,000) × 60%
    # = 6,600; no 救助; final 100,000 − 49,000 − 6,600 = 44,400
    out, _ = run("阳城", YC, [("易返贫致贫人口", claim("A", "2022-03-01", 100000, 70000, 49000, **STAY))])
    assert (out[0].hospital_borne, out[0].final_selfpay) == (0, Y(44400))


def test_yc_6_without_hospital_class_the_share_cannot_be_computed():
    out, _ = run("阳城", YC, [("低保对象", claim("A", "2022-03-01", 100000, 70000, 49000, out_of_catalog=Y(30000)))])
    assert out[0].hospital_borne == 0
    assert any(fund == "医疗机构承担" and "收费类别" in why for fund, why in out[0].checks)


def test_yc_6_out_of_province_stay_is_outside_the_rule():
    # 六 speaks of 省内 hospitals: an out-of-province stay bears nothing by this rule
    out, _ = run("阳城", YC, [("低保对象", claim("A", "2022-03-01", 100000, 70000, 49000, in_province=False, **STAY))])
    assert out[0].hospital_borne == 0


# ==================================================================================== everywhere
def test_explain_help_does_not_crash(capsys):
    with pytest.raises(SystemExit) as done:
        main(["explain", "--help"])
    assert done.value.code == 0
    assert "90%" in capsys.readouterr().out


def test_traces_say_percentage_points_and_no_far_future_end_date(capsys):
    r = Engine(settings=GZ).critical("低保对象", "赣州", Y(50000), on=date(2022, 6, 30))
    assert any("提高5个百分点" in line for line in r.lines())
    assert not any("提高 5%" in line for line in r.lines())
    main(["policy", "show", "赣州"])
    main(["policy", "list"])
    out = capsys.readouterr().out
    assert "9999" not in out and "2022-01-01 起" in out
    with pytest.raises(InputError) as err:
        Engine(settings=GZ).assistance("孤儿", "赣州", Y(100), on=date(2023, 6, 30))
    assert "9999" not in str(err.value)
