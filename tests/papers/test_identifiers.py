import pytest

from papers.identifiers import normalize_arxiv_id, normalize_doi


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("2401.12345", "2401.12345"),
        ("2401.12345v2", "2401.12345"),
        ("arXiv:2401.12345v3", "2401.12345"),
        ("https://arxiv.org/abs/2401.12345", "2401.12345"),
        ("https://arxiv.org/abs/1706.03762v7", "1706.03762"),
        ("http://arxiv.org/pdf/2401.12345v1.pdf", "2401.12345"),
        ("https://arxiv.org/pdf/2401.12345", "2401.12345"),
        ("https://www.arxiv.org/abs/0704.0001", "0704.0001"),
        ("  https://arxiv.org/abs/2305.18290/  ", "2305.18290"),
        ("hep-th/9901001", "hep-th/9901001"),
        ("https://arxiv.org/abs/hep-th/9901001v2", "hep-th/9901001"),
        ("math.gt/0309136", "math.GT/0309136"),
    ],
)
def test_it_normalises_arxiv_ids_and_urls(given, expected):
    assert normalize_arxiv_id(given) == expected


@pytest.mark.parametrize(
    "given", ["", "12345", "https://example.com/abs/2401.12345", "2401.123", "not an id"]
)
def test_it_rejects_what_is_not_an_arxiv_id(given):
    with pytest.raises(ValueError):
        normalize_arxiv_id(given)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("10.1145/3292500.3330701", "10.1145/3292500.3330701"),
        ("doi:10.1145/ABC", "10.1145/abc"),
        ("https://doi.org/10.48550/arXiv.2305.18290", "10.48550/arxiv.2305.18290"),
    ],
)
def test_it_normalises_dois(given, expected):
    assert normalize_doi(given) == expected


def test_it_rejects_what_is_not_a_doi():
    with pytest.raises(ValueError):
        normalize_doi("11.1/x")
