"""Build the encoding-repair model ahead of time (e.g. in the Docker image), so the
first import does not spend a few seconds on it.

    python scripts/build_mojibake_model.py

Sources, all installed with requirements.txt, nothing downloaded: jieba 0.42.1's
dict.txt and posseg/prob_trans.py (MIT licence, © Sun Junyi), and the project's own
papers/data/field_terms.txt. The result is a pickle in $MOJIBAKE_CACHE_DIR, else
$XDG_CACHE_HOME/nice, else ~/.cache/nice, named by a fingerprint of its sources;
papers.mojibake.model() loads it (about 0.5 s) or builds it when it is missing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from papers import mojibake


def main() -> None:
    began = time.perf_counter()
    path = mojibake._cache_path()
    path.unlink(missing_ok=True)
    model = mojibake.model()
    print(
        f"{path}: {len(model.words):,} words and prefixes, {len(model.pairs):,} character pairs, "
        f"built in {time.perf_counter() - began:.1f} s"
    )


if __name__ == "__main__":
    main()
