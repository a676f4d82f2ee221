"""Repairing Chinese that was UTF-8 read as Windows-1252 with eight byte values lost."""

import json
from pathlib import Path

import pytest

from papers.mojibake import LOST_BYTES, garble, looks_garbled, repair

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DEMO = Path(__file__).resolve().parents[2] / "sessions" / "demo" / "archive.json"


def evaluation_text() -> str:
    """Several thousand characters of Chinese technical prose written for this test,
    plus the demo archive's Chinese summaries."""
    prose = (FIXTURES / "chinese_prose.txt").read_text(encoding="utf-8")
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    summaries = [talk.get("summary", "") for s in demo["sessions"] for talk in s.get("talks", [])]
    chinese = [text for text in summaries if sum("\u4e00" <= c <= "\u9fff" for c in text) > 20]
    return prose + "\n".join(chinese)


def chinese_accuracy(original: str, repaired: str) -> float:
    pairs = [(a, b) for a, b in zip(original, repaired, strict=True) if "\u4e00" <= a <= "\u9fff"]
    return sum(a == b for a, b in pairs) / len(pairs)


def test_garbling_drops_exactly_the_eight_byte_values():
    garbled = garble("中文")
    assert garbled == "ä¸æ–‡"  # 中 lost 0xAD; 文 kept all three bytes
    assert all(byte not in garbled.encode("cp1252") for byte in LOST_BYTES)


def test_at_least_98_percent_of_chinese_characters_come_back():
    original = evaluation_text()
    assert sum("\u4e00" <= c <= "\u9fff" for c in original) > 3000
    result = repair(garble(original))
    assert len(result.text) == len(original)
    assert chinese_accuracy(original, result.text) >= 0.98
    assert "\ufffd" not in result.text
    assert result.repaired > 700


@pytest.mark.parametrize(
    ("original", "why"),
    [
        ("其中最重要的是数据的质量。", "中 and 不 differ only in the lost byte"),
        ("屏幕上的内容属于用户。", "屏 and 属 differ only in the lost byte"),
        ("我们提出了直接偏好优化方法。", "偏 lost both continuation bytes"),
        ("模型的性能逐步提升。", "neighbouring holes decided together"),
    ],
)
def test_context_decides_between_characters_that_differ_only_in_the_lost_byte(original, why):
    assert repair(garble(original)).text == original, why


def test_ascii_emoji_and_latin_text_are_left_alone():
    text = "Direct Preference Optimization (DPO), café, 2024 📖"
    assert repair(text).text == text
    assert repair(garble("📖 Table of Contents")).text == "📖 Table of Contents"
    assert repair("## ğŸ“– Table of Contents").text == "## 📖 Table of Contents"  # via Windows-1254


def test_it_reports_what_it_repaired_and_what_it_is_unsure_of():
    result = repair(garble("第一行是中文。\nplain ASCII line\n第三行：中不"))
    assert result.repaired == 1 + 2  # 中 on line 1; 中 and 不 on line 3
    assert result.text.split("\n")[1] == "plain ASCII line"
    assert 2 not in result.unsure_lines


def test_it_detects_the_damage():
    assert looks_garbled(garble("多模态大语言模型"))
    assert not looks_garbled("多模态大语言模型 and café")
