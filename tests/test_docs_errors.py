"""docs/errors.md (出错了怎么办) quotes the messages a clerk sees: every quoted fragment must still be
a message the code can produce, so the page never explains a message that no longer exists."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _source() -> str:
    return "\n".join(p.read_text("utf-8") for p in (ROOT / "processor").rglob("*.py"))


def test_every_quoted_message_fragment_is_in_the_code():
    page = (ROOT / "docs" / "errors.md").read_text("utf-8")
    source = _source()
    quoted = [part for line in page.splitlines() for part in line.split("`")[1::2]
              if re.search(r"[\u4e00-\u9fff]", part)]
    assert len(quoted) > 40
    missing = []
    for text in quoted:
        # "……" marks an elided part; a fragment is checked when it is long enough to mean something
        # placeholders: a quoted name 「…」 or “…”, a number, a cell range, a one-letter count (N, A, B)
        for fragment in re.split(r"……|…|「[^」]*」|“[^”]*”|[A-Z]\d+:[A-Z]\d+|\d[\d,.-]*|(?:^|\s)[A-Z](?=\s|$)", text):
            fragment = fragment.strip(" ：:，,（）()、")
            if len(fragment) >= 4 and not fragment.startswith(("--", "~$", ".~", "#")) and fragment not in source:
                missing.append(fragment)
    assert not missing, missing
