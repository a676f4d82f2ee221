"""Repair Chinese text that was UTF-8 read as Windows-1252, with bytes lost on the way.

How the damage happened: each UTF-8 byte became one Windows-1252 character,
and eight byte values did not survive: 0x81, 0x8D, 0x8F, 0x90, 0x9D (undefined
in Windows-1252) and 0x8E, 0x9E, 0xAD (Ž, ž, soft hyphen). All eight are UTF-8
*continuation* bytes, so after re-encoding the text to Windows-1252 every hole
is a lead byte followed by too few continuation bytes: where it is, and which
few bytes it can be, are both known.

Which candidate is right depends on context (中 and 不 differ only in the lost
byte, so do 屏 and 属): each is scored by the most likely segmentation of the
surrounding text into words of jieba's dictionary (a word-frequency model),
so "其中" beats "其不" and "属于" beats "屏于". Lines whose choice is close
are reported; U+FFFD is never produced.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

LOST_BYTES = (0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x8E, 0x9E, 0xAD)
# How far either side of a hole the language model looks, in characters.
CONTEXT = 4
# A choice whose log-probability beats the runner-up by less than this is "unsure".
CONFIDENT_MARGIN = 2.0
MAX_WORD = 8


def garble(text: str) -> str:
    """Do to `text` what happened to the paper list: for tests and measurements."""
    data = bytes(b for b in text.encode("utf-8") if b not in LOST_BYTES)
    return data.decode("cp1252")


# ---------------------------------------------------------------- the language model


# Punctuation is absent from jieba's word list: how common each mark is in prose,
# relative to 的 (、 and 【 differ only in a lost byte).
PUNCTUATION = {
    "，": 3.0,
    "。": 1.5,
    "、": 1.0,
    "：": 0.2,
    "；": 0.1,
    "？": 0.1,
    "！": 0.05,
    "“": 0.2,
    "”": 0.2,
    "（": 0.2,
    "）": 0.2,
    "《": 0.05,
    "》": 0.05,
    "…": 0.02,
    "—": 0.02,
    "·": 0.02,
    "‘": 0.01,
    "’": 0.01,
    "【": 0.005,
    "】": 0.005,
    "「": 0.005,
    "」": 0.005,
    "『": 0.002,
    "』": 0.002,
}


def _is_rare(character: str) -> bool:
    """Characters prose almost never has: compatibility squares, rare extensions, private use."""
    code = ord(character)
    return (
        0x3300 <= code <= 0x33FF  # CJK compatibility (㍀)
        or 0x3400 <= code <= 0x4DBF  # CJK extension A
        or 0xE000 <= code <= 0xF8FF  # private use
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or 0x0080 <= code <= 0x024F  # Latin supplements: a CJK line rarely wants them here
    )


@functools.cache
def _model() -> tuple[dict[str, int], float]:
    """Word frequencies of jieba's dictionary (punctuation added), and the log of their total."""
    import jieba

    frequencies: dict[str, int] = {}
    total = 0
    path = Path(jieba.__file__).parent / "dict.txt"
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            word, count, *_rest = line.split(" ")
            frequencies[word] = int(count)
            total += int(count)
    common = frequencies.get("的", 1)
    for mark, share in PUNCTUATION.items():
        frequencies[mark] = int(common * share)
    return frequencies, math.log(total)


def _one_character(character: str, frequencies) -> float:
    if _is_rare(character):
        return 0.01
    return frequencies.get(character) or 1


def log_probability(text: str) -> float:
    """Log-probability of `text`: its best segmentation into dictionary words, plus how
    well each pair of neighbours goes together inside words (context across boundaries)."""
    frequencies, log_total = _model()
    best = [0.0] * (len(text) + 1)
    for start in range(len(text) - 1, -1, -1):
        scores = []
        for length in range(1, min(MAX_WORD, len(text) - start) + 1):
            word = text[start : start + length]
            count = frequencies.get(word) if length > 1 else _one_character(word, frequencies)
            if count:
                scores.append(math.log(count) - log_total - WORD_PENALTY + best[start + length])
        best[start] = max(scores)
    return best[0]


# Unigram word models split too eagerly into frequent single characters (后+好 over
# 偏好); charging each word a little more prefers fewer, longer words.
WORD_PENALTY = 4.0

# Candidates per hole that reach the joint decision, and holes decided together.
SHORTLIST = 5
MAX_CLUSTER = 4


# ---------------------------------------------------------------- reading the damage


@dataclass
class Hole:
    """A character whose UTF-8 bytes arrived incomplete, and what it can have been."""

    candidates: list[str]
    chosen: int = 0


@dataclass
class RepairResult:
    text: str
    repaired: int = 0
    unsure_lines: list[int] = field(default_factory=list)
    unrepairable_lines: list[int] = field(default_factory=list)


def _sequence_length(lead: int) -> int:
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


def _candidates(lead: int, present: list[int], length: int) -> list[str]:
    """Every character the bytes can have been, given which are missing."""
    missing = length - 1 - len(present)
    found = []
    for positions in itertools.combinations(range(length - 1), missing):
        for filler in itertools.product(LOST_BYTES, repeat=missing):
            tail, fill, known = [], iter(filler), iter(present)
            for index in range(length - 1):
                tail.append(next(fill) if index in positions else next(known))
            try:
                character = bytes([lead, *tail]).decode("utf-8")
            except UnicodeDecodeError:
                continue
            if character.isprintable() and character not in found:
                found.append(character)
    return found


# Some lines went through Windows-1254 instead (📖 arrived as ğŸ“–): its six
# Turkish letters stand where Windows-1252 has ð, Ð, ý, Ý, þ, Þ.
_CP1254_LETTERS = str.maketrans("ğĞıİşŞ", "ðÐýÝþÞ")


def _tokens(line: str) -> list[str | Hole] | None:
    """The line as characters and holes; None if it does not look like this damage."""
    try:
        data = line.translate(_CP1254_LETTERS).encode("cp1252")
    except UnicodeEncodeError:
        return None  # it holds characters Windows-1252 never had: not this kind of damage
    tokens: list[str | Hole] = []
    index = 0
    saw_multibyte = False
    while index < len(data):
        byte = data[index]
        length = _sequence_length(byte)
        if length == 0:
            if byte >= 0x80:
                return None  # a stray continuation byte: something else happened here
            tokens.append(chr(byte))
            index += 1
            continue
        present: list[int] = []
        while (
            len(present) < length - 1
            and index + 1 + len(present) < len(data)
            and 0x80 <= data[index + 1 + len(present)] <= 0xBF
        ):
            present.append(data[index + 1 + len(present)])
        index += 1 + len(present)
        if len(present) == length - 1:
            try:
                tokens.append(bytes([byte, *present]).decode("utf-8"))
                saw_multibyte = True
                continue
            except UnicodeDecodeError:
                pass
        # A lead byte with no continuation at all is a lone Latin-1 letter such as é,
        # unless the rest of the line shows the damage: decided below.
        tokens.append(Hole(_candidates(byte, present, length)))
        saw_multibyte = saw_multibyte or bool(present)
    if not saw_multibyte:
        return None
    return tokens


# ---------------------------------------------------------------- choosing


def _text(tokens: list[str | Hole], start: int, end: int) -> str:
    return "".join(
        t if isinstance(t, str) else (t.candidates[t.chosen] if t.candidates else "")
        for t in tokens[start:end]
    )


def _clusters(holes: list[int]) -> list[list[int]]:
    """Holes close enough to share a word are decided together (提升: both lost a byte)."""
    clusters: list[list[int]] = []
    for index in holes:
        if clusters and index - clusters[-1][-1] <= 2 and len(clusters[-1]) < MAX_CLUSTER:
            clusters[-1].append(index)
        else:
            clusters.append([index])
    return clusters


def _score(tokens: list[str | Hole], cluster: list[int]) -> float:
    start, end = max(0, cluster[0] - CONTEXT), min(len(tokens), cluster[-1] + CONTEXT + 1)
    return log_probability(_text(tokens, start, end))


def _shortlist(tokens: list[str | Hole], index: int, hole: Hole, size: int) -> list[int]:
    """The `size` best candidates of `hole` (which is tokens[index]) in its context."""
    scores = []
    for choice in range(len(hole.candidates)):
        hole.chosen = choice
        scores.append(log_probability(_text(tokens, max(0, index - CONTEXT), index + CONTEXT + 1)))
    return sorted(range(len(scores)), key=scores.__getitem__, reverse=True)[:size]


def _choose(tokens: list[str | Hole]) -> bool:
    """Pick each hole's candidate in context; False if some choice was close."""
    frequencies, _log_total = _model()
    holes = {
        index: token
        for index, token in enumerate(tokens)
        if isinstance(token, Hole) and token.candidates
    }
    for hole in holes.values():  # start from each hole's most frequent reading
        candidates = hole.candidates
        hole.chosen = max(
            range(len(candidates)), key=lambda c: _one_character(candidates[c], frequencies)
        )
    sure = True
    for _pass in range(2):  # the second pass sees the first one's choices on both sides
        for cluster in _clusters(list(holes)):
            shortlists = [_shortlist(tokens, index, holes[index], SHORTLIST) for index in cluster]
            scored = []
            for combination in itertools.product(*shortlists):
                for index, choice in zip(cluster, combination, strict=True):
                    holes[index].chosen = choice
                scored.append((_score(tokens, cluster), combination))
            scored.sort(reverse=True)
            for index, choice in zip(cluster, scored[0][1], strict=True):
                holes[index].chosen = choice
            if _pass and len(scored) > 1 and scored[0][0] - scored[1][0] < CONFIDENT_MARGIN:
                sure = False
    return sure


def repair(text: str) -> RepairResult:
    """Undo the damage line by line; lines that do not show it are left as they are."""
    result = RepairResult(text="")
    lines = []
    for number, line in enumerate(text.split("\n"), start=1):
        tokens = _tokens(line)
        if tokens is None:
            lines.append(line)
            continue
        holes = [t for t in tokens if isinstance(t, Hole)]
        if any(not hole.candidates for hole in holes):
            result.unrepairable_lines.append(number)
        if not _choose(tokens):
            result.unsure_lines.append(number)
        result.repaired += sum(1 for hole in holes if hole.candidates)
        lines.append(_text(tokens, 0, len(tokens)))
    result.text = "\n".join(lines)
    return result


def looks_garbled(text: str) -> bool:
    """Text with the telltale pairs of UTF-8 read as Windows-1252 (æ–‡, ç», ðŸ…)."""
    return bool(
        re.search(
            r"[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]",
            text,
        )
    )
