"""Tests for pipeline.provisions on real pages (dev pages, sample corpus, govcn2019)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.metadata import detect_lang
from pipeline.normalize import normalize_text
from pipeline.provisions import provision_at, split_provisions

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "dev"
RAW = ROOT / "corpus" / "raw"
GOVCN = ROOT.parent / "shared" / "corpora" / "govcn2019"
PAGES = sorted(DEV.glob("*.txt")) + sorted(RAW.glob("*.txt"))
_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</h\d>")


def _split(path: Path):
    text = normalize_text(path.read_text(encoding="utf-8"))
    return text, split_provisions(path.stem, text, detect_lang(text))


def check_consistent(text, provs):
    """Offsets quote the text, parents exist and enclose, siblings do not overlap, ids sort in order."""
    by_id = {p.provision_id: p for p in provs}
    assert len(by_id) == len(provs)
    assert [p.provision_id for p in provs] == sorted(p.provision_id for p in provs)
    assert [p.start for p in provs] == sorted(p.start for p in provs)
    last_child_end: dict[str | None, int] = {}
    for p in provs:
        assert text[p.start:p.end] == p.text and p.text == p.text.rstrip() and p.end > p.start
        if p.parent_id is None:
            assert p.level == 1
        else:
            parent = by_id[p.parent_id]
            assert parent.start <= p.start and p.end <= parent.end
            assert p.level == parent.level + 1
        assert p.start >= last_child_end.get(p.parent_id, 0)
        last_child_end[p.parent_id] = p.end


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_real_pages_are_consistent(path):
    text, provs = _split(path)
    assert len(provs) > 1
    check_consistent(text, provs)


def _find(provs, prefix):
    return [p for p in provs if p.text.startswith(prefix)]


def test_cast2018_hierarchy_and_inline_tasks():
    text, provs = _split(RAW / "002_78a431ba2de34a7e.txt")
    by_id = {p.provision_id: p for p in provs}
    tops = [p for p in provs if p.label in {"一、", "二、", "三、"}]
    assert [p.level for p in tops] == [1, 1, 1]
    principle = _find(provs, "(一)工作原则")[0]
    assert by_id[principle.parent_id].label == "一、"
    assert by_id[_find(provs, "1.坚持改革创新。")[0].parent_id] is principle
    tasks_root = _find(provs, "二、重点任务")[0]
    tasks = [p for p in provs if p.parent_id == tasks_root.provision_id and p.label]
    assert [p.label for p in tasks] == [f"{i}." for i in range(1, 11)]
    for task in tasks:
        subs = [p for p in provs if p.parent_id == task.provision_id and p.label]
        assert len(subs) >= 2, task.text[:20]
    first = tasks[0]
    assert first.text.endswith("(调宣部牵头)")
    subs = [p for p in provs if p.parent_id == first.provision_id]
    assert [p.label for p in subs] == ["1", "2", "3", "(4)", "5"]
    assert subs[-1].text.endswith("定制化宣传服务。")
    tag = text.index("(调宣部牵头)")
    assert provision_at(provs, tag) is first
    assert provision_at(provs, subs[1].start + 3) is subs[1]
    # no false split inside running text
    assert not [p for p in provs if p.label and p.label[0].isdigit() and p.text[len(p.label):][:1] in "年次项"]


def test_sichuan_items_keep_their_responsibility_tag():
    _, provs = _split(DEV / "zh_sichuan2022_logistics.txt")
    item = _find(provs, "(一)加强市场体系建设。")[0]
    assert item.level == 2 and item.text.endswith("〕") and "〔责任单位:" in item.text


def test_executive_order_sections():
    text, provs = _split(DEV / "en_eo13769_sec5_7.txt")
    by_id = {p.provision_id: p for p in provs}
    sec6, sec7 = _find(provs, "Sec. 6.")[0], _find(provs, "Sec. 7.")[0]
    assert sec6.level == sec7.level == 1
    a = _find(provs, "(a) The Secretary of Homeland Security")[0]
    assert by_id[a.parent_id] is sec7
    assert "8 U.S.C. 1182" in sec6.text and not _find(provs, "1182")
    assert not _find(provs, "(b) of this section")


def test_wenzhou_inline_functions_are_siblings():
    _, provs = _split(DEV / "seed_wenzhou_functions.txt")
    items = [p for p in provs if p.label.startswith("(") and p.level == 1]
    assert [p.label for p in items] == [f"({i})" for i in range(1, 16)]
    subs = [p for p in provs if p.parent_id == items[-1].provision_id]
    assert [p.label for p in subs][:3] == ["(i)", "(ii)", "(iii)"]


def test_mofcom_numbered_items():
    _, provs = _split(DEV / "en_mofcom_main_responsibilities.txt")
    items = [p for p in provs if p.label]
    assert [p.label for p in items] == ["1.", "2.", "3.", "4.", "5."]
    assert items[0].text.startswith("1. To formulate")


def test_document_starting_below_top_level():
    text = "（一）加强领导。各地要落实。\n（二）强化保障。\n1.加大投入。\n2.完善机制。\n（三）抓好落实。"
    provs = split_provisions("x", text, "zh")
    assert [(p.label, p.level) for p in provs] == [
        ("（一）", 1), ("（二）", 1), ("1.", 2), ("2.", 2), ("（三）", 1)]
    check_consistent(text, provs)


def test_chapters_and_articles():
    text = "第一章 总则\n第一条 为了规范管理，制定本办法。\n第二条 本办法适用于：\n（一）甲；\n（二）乙。\n第二章 附则\n第三条 本办法自发布之日起施行。"
    provs = split_provisions("x", text, "zh")
    assert [(p.label, p.level) for p in provs] == [
        ("第一章", 1), ("第一条", 2), ("第二条", 2), ("（一）", 3), ("（二）", 3), ("第二章", 1), ("第三条", 2)]


def test_provision_at_edges():
    text = "一、总则\n正文。\n二、分则"
    provs = split_provisions("x", text, "zh")
    assert provision_at(provs, 0).label == "一、"
    assert provision_at(provs, text.index("正文")).label == ""
    assert provision_at(provs, len(text) - 1).label == "二、"
    assert provision_at(provs, len(text) + 5) is None
    assert provision_at([], 0) is None


def test_govcn2019_pages_split():
    if not GOVCN.exists():
        pytest.skip("../shared/corpora/govcn2019 is not present")
    import lxml.html

    counts = []
    for path in sorted(GOVCN.glob("*.html")):
        html = path.read_text(encoding="utf-8")
        text = normalize_text(lxml.html.fromstring(_BLOCK_END.sub("\n", html)).text_content())
        provs = split_provisions(path.stem, text, "zh")
        check_consistent(text, provs)
        counts.append(len(provs))
    assert len(counts) == 60 and min(counts) > 1
