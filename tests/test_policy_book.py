"""Lint tests for the policy book (PolicyEngine-style): every value cited, no gaps or overlaps,
two rules applying on the same day with no priority is an error (Catala-style)."""
import tomllib
from datetime import date, timedelta
from pathlib import Path

import pytest

from processor.book import (FOREVER, PolicyBookError, coverage_problems, default_book, load_book, load_document,
                            policy_dir)
from processor.errors import PolicyNotInForce

POLICY_FILES = sorted(p for p in policy_dir().glob("*/*.toml") if p.name != "region.toml")
SWEEP_UNTIL = date(2027, 12, 31)


@pytest.mark.parametrize("path", POLICY_FILES, ids=lambda p: p.parent.name + "/" + p.name)
def test_every_value_has_a_citation(path: Path):
    raw = tomllib.loads(path.read_text("utf-8"))
    doc = raw["document"]
    assert doc["id"].strip() and "〔" in doc["id"] and "号" in doc["id"], "文号 must look like X〔YYYY〕N号"
    assert doc["in_force_clause"].strip()
    for p in raw.get("param", []):
        assert str(p.get("clause", "")).strip(), f"{path.name}: {p['key']} has no clause"
    for c in raw.get("category", []):
        assert str(c.get("clause", "")).strip(), f"{path.name}: identity {c['name']} has no clause"


def test_loader_refuses_a_value_without_a_clause(tmp_path):
    text = ('[document]\nid = "测〔2022〕1号"\ntitle = "t"\nissuer = "i"\nregion = "r"\n'
            'issued = 2022-01-01\nin_force_from = 2022-01-01\nin_force_clause = "一"\n'
            '[[param]]\nkey = "critical.cap"\nvalue = "100"\n')
    with pytest.raises(PolicyBookError, match="没有条款引用"):
        load_document("x.toml", text)


def test_loader_refuses_an_unknown_key():
    text = ('[document]\nid = "测〔2022〕1号"\ntitle = "t"\nissuer = "i"\nregion = "r"\n'
            'issued = 2022-01-01\nin_force_from = 2022-01-01\nin_force_clause = "一"\n'
            '[[param]]\nkey = "critical.capp"\nvalue = "100"\nclause = "一"\n')
    with pytest.raises(PolicyBookError, match="未知参数名"):
        load_document("x.toml", text)


@pytest.mark.parametrize("region", sorted(default_book().regions))
def test_sweep_dates_no_gap_no_overlap(region):
    """Every day of the region's span: exactly one value per key (loader refuses overlaps) and
    each key's versions are contiguous; every day inside the span has a document in force."""
    r = default_book().regions[region]
    assert coverage_problems(r) == []
    start, end = r.span
    d = start
    end = min(end, SWEEP_UNTIL)
    seen_keys_by_day = {}
    while d <= end:
        view = r.view(d)
        for key, p in view.params.items():
            assert p.start <= d <= p.end
        seen_keys_by_day[d] = frozenset(view.params)
        d += timedelta(days=1)
    # a key present on two days is present on every day between them (no gap)
    days = sorted(seen_keys_by_day)
    all_keys = set().union(*seen_keys_by_day.values())
    for key in all_keys:
        present = [x for x in days if key in seen_keys_by_day[x]]
        assert (present[-1] - present[0]).days + 1 == len(present), f"{region} {key} has a gap"


@pytest.mark.parametrize("region,outside", [("龙岩", date(2022, 12, 31)), ("龙岩", date(2026, 1, 1)),
                                            ("阳城", date(2021, 12, 31)), ("阳城", date(2026, 1, 1)),
                                            ("西秀", date(2021, 8, 2)), ("赣州", date(2021, 9, 30))])
def test_no_policy_outside_the_documents(region, outside):
    with pytest.raises(PolicyNotInForce, match="没有生效的政策"):
        default_book().region(region).view(outside)


def _copy_policies(tmp_path):
    import shutil
    root = tmp_path / "policies"
    shutil.copytree(policy_dir(), root)
    return root


def test_two_documents_giving_one_value_on_the_same_day_is_an_error(tmp_path):
    root = _copy_policies(tmp_path)
    (root / "ganzhou" / "extra.toml").write_text(
        '[document]\nid = "测〔2022〕9号"\ntitle = "t"\nissuer = "i"\nregion = "赣州"\n'
        'issued = 2022-01-01\nin_force_from = 2022-06-01\nin_force_clause = "一"\n'
        '[[param]]\nkey = "critical.cap"\nvalue = "400000"\nclause = "一"\n', "utf-8")
    with pytest.raises(PolicyBookError, match="没有优先顺序"):
        load_book(root)


def test_a_gap_between_versions_is_reported(tmp_path):
    root = _copy_policies(tmp_path)
    f = root / "yangcheng" / "yybf-2022-2.toml"
    f.write_text(f.read_text("utf-8").replace("from = 2023-01-01", "from = 2023-03-01"), "utf-8")
    book = load_book(root)
    problems = coverage_problems(book.regions["阳城"])
    assert any("contribution" in p and "2023-01-01 至 2023-02-28" in p for p in problems)


def test_priority_lists_every_identity(tmp_path):
    root = _copy_policies(tmp_path)
    f = root / "longyan" / "region.toml"
    f.write_text(f.read_text("utf-8").replace('"第五类"]', ']'), "utf-8")
    with pytest.raises(PolicyBookError, match="priority"):
        load_book(root)


def test_every_rated_identity_has_a_cap():
    """A rate without a cap would be an unlimited payment nobody decided: each needs its own cap value."""
    for r in default_book().regions.values():
        keys = {p.key for p in r.params()}
        for k in keys:
            if k.startswith("assistance.rate."):
                ident = k.rsplit(".", 1)[1]
                assert f"assistance.cap.{ident}" in keys, f"{r.name}: {ident} has a rate but no cap"


def test_open_ended_documents_are_marked():
    for r in default_book().regions.values():
        for d in r.documents:
            if d.end == FOREVER:
                assert d.note, f"{d.id}: an open-ended document must say why in its note"


def test_a_view_holds_what_is_in_force_that_day_on_every_day_things_change():
    # book._in_force gathers the documents and params of the days between two changes once; on each first and
    # last day of every document and param (and the days either side) the view holds exactly what the
    # documents say is in force on that day, computed here the long way
    from datetime import timedelta
    from processor.book import PolicyNotInForce, default_book
    for region in default_book().regions.values():
        dated = [*region.documents, *(p for d in region.documents for p in d.params)]
        days = {x.start for x in dated} | {x.end for x in dated if x.end.year < 9999}
        days |= {d + timedelta(days=k) for d in list(days) for k in (-1, 1)}
        for on in sorted(days):
            docs = [d for d in region.documents if d.start <= on <= d.end]
            if not docs:
                with pytest.raises(PolicyNotInForce):
                    region.view(on)
                continue
            view = region.view(on)
            assert view.on == on
            assert list(view.documents) == docs
            assert view.params == {p.key: p for d in docs for p in d.params if p.start <= on <= p.end}
            assert view.categories == {c.name: c for d in docs for c in d.categories}
            assert view.alias_rules == {r.text: r for d in docs for r in d.alias_rules}
