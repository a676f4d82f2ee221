"""Each normalisation rule, with the tokens it gives, in order."""

from __future__ import annotations

import pytest

from search.normalize import Term, fold, highlight_terms, index_tokens, parse_query


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        # NFKC: full-width letters and digits are half-width; case folded.
        ("ＧＰＴ－４ｏ Ｍｏｄｅｌ", ["gpt", "4o", "model"]),
        # Accents off Latin letters (Tomás is tomas); ß folds as German does.
        ("Tomás Müller Straße", ["tomas", "muller", "strasse"]),
        # CJK runs: overlapping bigrams, then the run's last character.
        ("多模态幻觉", ["多模", "模态", "态幻", "幻觉", "觉"]),
        ("周", ["周"]),
        ("大模型 LLM 推理", ["大模", "模型", "型", "llm", "推理", "理"]),
        # Japanese kana and Korean hangul are runs too.
        ("トランス", ["トラ", "ラン", "ンス", "ス"]),
        # arXiv ids whole, with the versioned spelling after the text.
        ("see 2005.11401v3 now", ["see", "2005.11401", "now", "2005.11401v3"]),
        ("https://arxiv.org/abs/2005.11401", ["2005.11401"]),
        ("arXiv:hep-th/9901001", ["hep-th/9901001"]),
        # DOIs whole, from a doi.org link too, without trailing punctuation.
        ("(https://doi.org/10.1145/3292500.3330701).", ["10.1145/3292500.3330701"]),
        # Venues with the year joined or apart give both spellings.
        ("ICLR2025", ["iclr2025", "iclr", "2025"]),
        ("ICLR 2025", ["iclr", "2025", "iclr2025"]),
        ("CVPR'24", ["cvpr", "24"]),
        ("NeurIPS24", ["neurips24", "neurips", "2024"]),
        # Punctuation separates words; underscores too.
        ("state-of-the-art, snake_case", ["state", "of", "the", "art", "snake", "case"]),
    ],
)
def test_it_cuts_text_into_tokens(text, tokens):
    assert index_tokens(text) == tokens


def test_it_folds_width_case_and_latin_accents_but_keeps_other_marks():
    assert fold("ＡＢＣ Éclair") == "abc eclair"
    assert fold("が") == "が"  # a dakuten makes another kana


@pytest.mark.parametrize(
    ("query", "terms"),
    [
        # All terms must match; the last word is a prefix (as you type).
        ("multimodal halluc", [Term(("multimodal",)), Term(("halluc",), prefix=True)]),
        # A CJK run is a phrase of its bigrams.
        ("多模态 幻觉", [Term(("多模", "模态")), Term(("幻觉",), prefix=True)]),
        ("模型", [Term(("模型",), prefix=True)]),
        # A lone CJK character is a prefix wherever it stands.
        ("周 talk", [Term(("周",), prefix=True), Term(("talk",), prefix=True)]),
        # Quoted phrases match in order, and are never prefixes.
        ('"vision language" model', [Term(("vision", "language")), Term(("model",), True)]),
        ("“视觉语言”", [Term(("视觉", "觉语", "语言"))]),
        ('"vision language"', [Term(("vision", "language"))]),
        # Identifiers are exact, whatever spelling was typed.
        ("https://arxiv.org/abs/2005.11401v2", [Term(("2005.11401",))]),
        ("10.1145/3292500", [Term(("10.1145/3292500",))]),
        ("ICLR2025", [Term(("iclr2025",), prefix=True)]),
        ("ＩＣＬＲ　２０２５", [Term(("iclr",)), Term(("2025",), prefix=True)]),
        ("", []),
        ("!!! ...", []),
    ],
)
def test_it_parses_queries_with_the_same_rules(query, terms):
    assert parse_query(query) == terms


def test_it_caps_the_number_of_terms():
    assert len(parse_query(" ".join(f"w{n}" for n in range(50)))) == 12


def test_it_marks_cjk_phrases_as_the_text_typed():
    assert highlight_terms("多模态 Tomás") == ["多模态", "tomas"]
