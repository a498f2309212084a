"""README.md and docs/*.md: every relative link and image resolves to a file inside the repository
(no ../shared/…, no "the issue's closing note"); anchors of the README point at its own headings."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _docs() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces → '-'."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- \u4e00-\u9fff]", "", text)
    return text.replace(" ", "-")


def test_every_link_resolves_inside_the_repository():
    for doc in _docs():
        text = doc.read_text("utf-8")
        assert "../shared" not in text, doc.name
        assert "结案说明" not in text, doc.name
        headings = {_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}
        for target in LINK.findall(text):
            if re.match(r"^[a-z]+://", target) or target.startswith("mailto:"):
                continue
            path, _, anchor = target.partition("#")
            if not path:  # an anchor in the same file
                assert anchor in headings, (doc.name, target)
                continue
            resolved = (doc.parent / path).resolve()
            assert resolved.is_relative_to(ROOT), (doc.name, target)
            assert resolved.exists(), (doc.name, target)


def test_readme_opens_with_the_two_commands_and_quick_starts():
    text = (ROOT / "README.md").read_text("utf-8")
    head = text[:1200]
    assert 'pip install ".[test]" && python -m pytest' in head
    assert "pip install . && yibao fill 医疗救助台账 samples/阳城_结算导出.xlsx" in head
    for title in ("快速上手一：经办人员在 Excel 里算", "快速上手二：每月批量填台账", "快速上手三：财务对账"):
        assert f"## {title}" in text
    assert "docs/img/ledger_print_a3_page1.png" in text  # a picture of a printed page
    assert len(text.encode("utf-8")) < 16_000
    # the policy readings moved whole to docs/policy.md
    assert "### 文件有歧义处的读法" in (ROOT / "docs" / "policy.md").read_text("utf-8")
