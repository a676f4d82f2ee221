"""Encoding repair figures for `make bench`: how much of our own Chinese corpus
comes back exactly after each kind of damage, how fast, and how well the
"unsure" flag points at the characters that came back wrong.

The corpus is tests/fixtures/chinese_prose*.txt plus the demo archive's Chinese
summaries. chinese_prose_heldout.txt was written after the first model's weights
were chosen and never used to choose them (only its totals were looked at);
chinese_prose_heldout2.txt was written during the second round, before its last
choices, and likewise. Their lines are the honest ones; the others are what the
weights were tuned on (chinese_prose_more.txt was meant as held out and then seen).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from papers import mojibake  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
DEMO = ROOT / "sessions" / "demo" / "archive.json"


def is_han(character: str) -> bool:
    return "\u4e00" <= character <= "\u9fff"


def corpus() -> dict[str, str]:
    """The texts measured, by name: the tuning part and the held-out part."""
    demo = json.loads(DEMO.read_text(encoding="utf-8"))
    summaries = [t.get("summary", "") for s in demo["sessions"] for t in s.get("talks", [])]
    chinese = [text for text in summaries if sum(map(is_han, text)) > 20]
    return {
        "prose + demo": (FIXTURES / "chinese_prose.txt").read_text(encoding="utf-8")
        + "\n".join(chinese),
        "summaries": (FIXTURES / "chinese_prose_summaries.txt").read_text(encoding="utf-8"),
        "more": (FIXTURES / "chinese_prose_more.txt").read_text(encoding="utf-8"),
        "held out": (FIXTURES / "chinese_prose_heldout.txt").read_text(encoding="utf-8"),
        "held out 2": (FIXTURES / "chinese_prose_heldout2.txt").read_text(encoding="utf-8"),
    }


def chinese_accuracy(original: str, repaired: str) -> float:
    """Share of the original's Chinese characters that came back exactly."""
    if len(original) != len(repaired):
        # A line that came back longer or shorter: compare line by line, position by position.
        pairs = [
            (a, b)
            for left, right in zip(original.split("\n"), repaired.split("\n"), strict=False)
            for a, b in zip(left, right.ljust(len(left)), strict=False)
            if is_han(a)
        ]
    else:
        pairs = [(a, b) for a, b in zip(original, repaired, strict=True) if is_han(a)]
    return sum(a == b for a, b in pairs) / len(pairs)


def _as_windows_1252(text: str) -> str:
    """UTF-8 read as browsers read Windows-1252: its five undefined bytes become C1 controls."""
    return "".join(
        bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in text.encode("utf-8")
    )


def _line_gbk_replaced(line: str) -> str:
    return line.encode("utf-8").decode("gb18030", errors="replace")


# Each kind of damage measured: a name and what it does to a text.
DAMAGE: dict[str, Callable[[str], str]] = {
    "UTF-8 as Windows-1252, 8 byte values lost": mojibake.garble,
    "UTF-8 as Latin-1, C1 controls lost": mojibake.garble_latin1,
    "UTF-8 as Windows-1252, nothing lost": _as_windows_1252,
    "UTF-8 as GBK, bad bytes replaced": lambda t: "\n".join(map(_line_gbk_replaced, t.split("\n"))),
    "GBK as Latin-1": lambda t: t.encode("gbk").decode("latin-1"),
    "UTF-8 as Latin-1, twice": lambda t: (
        t.encode("utf-8").decode("latin-1").encode("utf-8").decode("latin-1")
    ),
}


# Losing 33 byte values leaves most characters with dozens of readings: measured
# on the held-out text alone, to keep `make bench` short.
SLOW = {"UTF-8 as Latin-1, C1 controls lost"}


def unsure_precision_recall(original: str, result: mojibake.RepairResult) -> tuple[int, int, int]:
    """(wrong fills, flagged fills, flagged fills that were wrong)."""
    lines = original.split("\n")
    wrong = {
        (line, column)
        for line, column, chosen, _confidence in result.filled
        if lines[line - 1][column : column + 1] != chosen
    }
    flagged = {(item.line, item.column) for item in result.unsure}
    return len(wrong), len(flagged), len(wrong & flagged)


def run(out: Callable[[str], object] = print) -> None:
    # CPU time: the machine running `make bench` is often shared, and wall-clock time
    # then measures the neighbours as much as the repair (wall time shown for load).
    began, cpu = time.perf_counter(), time.process_time()
    mojibake.model()
    mojibake.ngrams()
    out(
        f"encoding repair: model load {time.process_time() - cpu:.2f} s CPU "
        f"({time.perf_counter() - began:.2f} s wall)"
    )
    texts = corpus()
    for damage, garble in DAMAGE.items():
        for name, original in texts.items():
            if damage in SLOW and name != "held out":
                continue
            damaged = garble(original)
            began = time.process_time()
            result = mojibake.repair(damaged)
            seconds = time.process_time() - began
            holes = result.repaired
            speed = f", {holes / seconds:,.0f} holes/s" if holes else ""
            line = (
                f"  {damage:<44} {name:<13} {chinese_accuracy(original, result.text):7.2%} exact "
                f"of {sum(map(is_han, original))} ({holes} holes, {seconds:.2f} s CPU{speed})"
            )
            if holes:
                wrong, flagged, both = unsure_precision_recall(original, result)
                line += (
                    f"; unsure flag: precision {both / max(1, flagged):.0%}, "
                    f"recall {both / max(1, wrong):.0%} ({both}/{flagged} flagged, {wrong} wrong)"
                )
            out(line)


if __name__ == "__main__":
    run()
