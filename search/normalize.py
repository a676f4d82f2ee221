"""One normaliser for what is indexed and what is typed, so that both meet.

Text is folded (NFKC, so full-width ＡＢＣ１２ is ABC12; case; accents on Latin
letters, so Tomás is tomas) and cut into tokens:

- identifiers whole: an arXiv id (2005.11401, with or without v2, or its
  arxiv.org link) and a DOI (10.1145/3292500, or its doi.org link);
- CJK runs as overlapping bigrams plus the run's last character
  (多模态 → 多模 模态 态), so every character of a run starts some token and a
  one-character query still finds it as a prefix;
- other words whole (neural, 2025, iclr2025), and venue names with their year
  either way: ICLR2025 also gives iclr and 2025, ICLR 2025 also gives iclr2025.

Tokens hold only characters both engines keep inside one token (letters, digits
and . / _ -), so PostgreSQL (tsvector built from our tokens, no parser) and
SQLite (FTS5 with those token characters) see the same stream.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Characters that form CJK runs: Han (with extensions and compatibility forms),
# kana and hangul. Each is a "word" of its own, so runs are cut into bigrams.
_CJK = (
    "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
    "\U00020000-\U0002ebef\U00030000-\U0003134f"
)
_NEW_ARXIV = r"\d{4}\.\d{4,5}"
_OLD_ARXIV = r"[a-z][a-z-]*(?:\.[a-z]{2})?/\d{7}"
_TOKEN = re.compile(
    rf"""
    (?:(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/|arxiv:)?
        (?P<arxiv>{_NEW_ARXIV}|{_OLD_ARXIV})(?:v(?P<version>\d+))?(?![\d.])
    | (?:(?:https?://)?(?:dx\.)?doi\.org/|doi:)?(?P<doi>10\.\d{{4,9}}/[\x21\x23-\x7e]+)
    | (?P<cjk>[{_CJK}]+)
    | (?P<word>[^\W_{_CJK}]+)
    """,
    re.VERBOSE,
)
# A venue and its year written together: iclr2025, neurips2024, cvpr24.
_VENUE_YEAR = re.compile(r"^(?P<name>[a-z]{2,})(?P<year>(?:19|20)\d{2}|\d{2})$")
_YEAR = re.compile(r"^(?:19|20)\d{2}$")
_NOT_TOKEN_CHAR = re.compile(r"[^0-9a-z._/\-]")
MAX_TOKEN_LENGTH = 60
MAX_QUERY_TERMS = 12


def fold(text: str) -> str:
    """NFKC (full-width to half-width), case folded, accents off Latin letters only:
    marks on other scripts make different words."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    kept: list[str] = []
    for char in decomposed:
        if unicodedata.combining(char) and kept and ord(kept[-1]) < 0x250:
            continue
        kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept)).casefold()


@dataclass(frozen=True)
class Piece:
    """One stretch of text as the normaliser cut it."""

    tokens: tuple[str, ...]  # in order, consecutive (a phrase)
    extras: tuple[str, ...] = ()  # other spellings, indexed after the text
    kind: str = "word"  # "word", "cjk" or "identifier"


def pieces(text: str) -> list[Piece]:
    """The text cut into pieces, in order."""
    found: list[Piece] = []
    words = [match for match in _TOKEN.finditer(fold(text))]
    for index, match in enumerate(words):
        if match["arxiv"]:
            arxiv_id = match["arxiv"]
            extras = (f"{arxiv_id}v{match['version']}",) if match["version"] else ()
            found.append(Piece((_clip(arxiv_id),), tuple(map(_clip, extras)), "identifier"))
        elif match["doi"]:
            doi = match["doi"].rstrip(".,;:)]}>'")
            found.append(Piece((_clip(_NOT_TOKEN_CHAR.sub("-", doi)),), (), "identifier"))
        elif match["cjk"]:
            found.append(Piece(cjk_tokens(match["cjk"]), (), "cjk"))
        else:
            word = match["word"]
            following = words[index + 1]["word"] if index + 1 < len(words) else None
            found.append(Piece((_clip(word),), _venue_spellings(word, following)))
    return found


def _venue_spellings(word: str, following: str | None) -> tuple[str, ...]:
    """The other spelling of a venue and year: iclr2025 → iclr, 2025; iclr 2025 → iclr2025."""
    joined = _VENUE_YEAR.match(word)
    if joined:
        year = joined["year"]
        return (joined["name"], year if len(year) == 4 else "20" + year)
    if following and word.isalpha() and word.isascii() and _YEAR.match(following):
        return (word + following,)
    return ()


def _clip(token: str) -> str:
    return token[:MAX_TOKEN_LENGTH]


def cjk_tokens(run: str) -> tuple[str, ...]:
    """Overlapping bigrams and the last character: 多模态 → 多模, 模态, 态."""
    return (*(run[i : i + 2] for i in range(len(run) - 1)), run[-1])


def index_tokens(text: str) -> list[str]:
    """The token stream stored for `text`: the text's tokens in order, then the other
    spellings of its identifiers and venues (so they do not break phrases)."""
    found = pieces(text)
    return [token for piece in found for token in piece.tokens] + [
        token for piece in found for token in piece.extras
    ]


# ---------------------------------------------------------------- queries


@dataclass(frozen=True)
class Term:
    """One thing every result must contain: a token, or tokens in order (a phrase);
    `prefix` when the last token may be the start of a longer one."""

    tokens: tuple[str, ...]
    prefix: bool = False


_QUOTED = re.compile(r'"([^"]*)"?')


def parse_query(query: str) -> list[Term]:
    """The terms of what someone typed: "quoted text" is a phrase, a CJK run is a
    phrase of its bigrams, other words and identifiers stand alone; the last word
    (and a lone CJK character anywhere) matches as a prefix, for as-you-type."""
    terms: list[Term] = []
    text = unicodedata.normalize("NFKC", query).replace("“", '"').replace("”", '"')
    position = 0
    for quoted in _QUOTED.finditer(text):
        terms.extend(_loose_terms(text[position : quoted.start()]))
        tokens = tuple(token for piece in pieces(quoted[1]) for token in _phrase_tokens(piece))
        if tokens:
            terms.append(Term(tokens))
        position = quoted.end()
    loose = _loose_terms(text[position:])
    if loose and not text.rstrip().endswith('"') and loose[-1].tokens[-1].isalnum():
        last = loose[-1]
        loose[-1] = Term(last.tokens, prefix=True)
    terms.extend(loose)
    unique = list(dict.fromkeys(terms))
    return unique[:MAX_QUERY_TERMS]


def _loose_terms(text: str) -> list[Term]:
    terms = []
    for piece in pieces(text):
        if piece.kind == "cjk" and len(piece.tokens) == 1:
            terms.append(Term(piece.tokens, prefix=True))
        else:
            terms.append(Term(_phrase_tokens(piece)))
    return terms


def _phrase_tokens(piece: Piece) -> tuple[str, ...]:
    """The tokens a piece must match in order: a CJK run's bigrams without its
    trailing single character (which is only there to be found by prefix)."""
    if piece.kind == "cjk" and len(piece.tokens) > 1:
        return piece.tokens[:-1]
    return piece.tokens


def highlight_terms(query: str) -> list[str]:
    """What to mark in a snippet: each term as folded text (a CJK phrase joined back)."""
    shown = []
    for term in parse_query(query):
        if all(_is_cjk(token) for token in term.tokens):
            shown.append(term.tokens[0] + "".join(token[1:] for token in term.tokens[1:]))
        else:
            shown.extend(term.tokens)
    return shown


def _is_cjk(token: str) -> bool:
    return bool(re.fullmatch(f"[{_CJK}]+", token))
