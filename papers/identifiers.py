"""Normalise the identifiers people paste: arXiv ids and DOIs.

One paper must have one spelling of its id, whatever link it came from,
so that the unique constraints on Paper really mean "one row per paper".
"""

from __future__ import annotations

import re

# 2401.12345, 1706.03762 (new style, since 2007), with an optional version.
_NEW_STYLE = r"\d{4}\.\d{4,5}"
# hep-th/9901001, math.GT/0309136 (old style, before 2007).
_OLD_STYLE = r"[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7}"
_ARXIV_ID = re.compile(
    rf"""^(?:arxiv:)?
    (?:(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html)/)?
    (?P<id>{_NEW_STYLE}|{_OLD_STYLE})
    (?:v\d+)?(?:\.pdf)?/?$""",
    re.IGNORECASE | re.VERBOSE,
)
_DOI = re.compile(r"^(?:doi:|https?://(?:dx\.)?doi\.org/)?(?P<doi>10\.\d{4,9}/\S+)$", re.IGNORECASE)


def normalize_arxiv_id(value: str) -> str:
    """Return the bare arXiv id (no version) of an id or arXiv URL.

    Raises ValueError for anything that is not one.
    """
    match = _ARXIV_ID.match(value.strip())
    if match is None:
        raise ValueError(f"not an arXiv id or arXiv URL: {value!r}")
    arxiv_id = match["id"]
    if "/" in arxiv_id:
        # Old-style archive names are lower case; the subject class stays upper.
        archive, number = arxiv_id.split("/")
        name, _, subject = archive.partition(".")
        arxiv_id = f"{name.lower()}{'.' + subject.upper() if subject else ''}/{number}"
    return arxiv_id


def normalize_doi(value: str) -> str:
    """Return the DOI of a DOI or doi.org URL, lower-cased (DOIs ignore case).

    Raises ValueError for anything that is not one.
    """
    match = _DOI.match(value.strip())
    if match is None:
        raise ValueError(f"not a DOI: {value!r}")
    return match["doi"].lower()
