"""Downloads and feeds read back the way their clients read them, whatever text is stored:
spreadsheets (formulas), BibTeX (braces), XML (control characters), feed readers (HTML)."""

import csv
import io
import re
from xml.etree import ElementTree

import pytest

from papers.models import Paper
from sessions.models import Keyword, Person, Series, Session, Talk
from tests.factories import make_paper, make_person, make_series, make_session, make_talk

pytestmark = pytest.mark.django_db

ATOM = {"a": "http://www.w3.org/2005/Atom"}


# ---------------------------------------------------------------- CSV


def csv_rows(client) -> list[list[str]]:
    data = client.get("/nice/talks.csv").getvalue().decode("utf-8")
    return list(csv.reader(io.StringIO(data.removeprefix("\ufeff"))))


def test_it_neutralises_formula_cells(client):
    session = make_session(make_series(), number=7, title='=HYPERLINK("http://evil","x")')
    make_talk(
        session,
        "+cmd|' /C calc'!A0",
        presenters=[make_person("@SUM(1+1)")],
        segment="-2+3",
        paper=make_paper(
            "\tTabbed", authors="=1+1\nPlain Name", venue="  @cmd", code_url="\r=cmd", year=2024
        ),
    )
    (header, row) = csv_rows(client)
    cells = dict(zip(header, row, strict=True))
    assert cells["session"] == '\'=HYPERLINK("http://evil","x")'
    assert cells["talk"] == "'+cmd|' /C calc'!A0"
    assert cells["presenters"] == "'@SUM(1+1)"
    assert cells["segment"] == "'-2+3"
    assert cells["paper"] == "'\tTabbed"
    assert cells["authors"] == "'=1+1; Plain Name"
    assert cells["venue"] == "'  @cmd"
    assert cells["code_url"] == "'\r=cmd"


def test_it_keeps_numbers_and_plain_text_as_they_are(client):
    session = make_session(make_series(), number=7, title="多模态 - 第一场")
    make_talk(session, "LLaVA", order=2, paper=make_paper("P", year=2024, arxiv_id="2401.12345"))
    (header, row) = csv_rows(client)
    cells = dict(zip(header, row, strict=True))
    assert (cells["number"], cells["order"], cells["year"]) == ("7", "2", "2024")
    assert (cells["session"], cells["talk"], cells["arxiv_id"]) == (
        "多模态 - 第一场",
        "LLaVA",
        "2401.12345",
    )
    assert cells["session_url"] == "http://testserver/nice/7/"


def test_it_drops_control_characters_from_csv_cells(client):
    session = make_session(make_series(), number=7)
    Session.objects.filter(pk=session.pk).update(title="\x1b=bad\x08")
    make_talk(session, "T")
    (header, row) = csv_rows(client)
    assert dict(zip(header, row, strict=True))["session"] == "'=bad"


# ---------------------------------------------------------------- BibTeX


def parse_bibtex(text: str) -> dict[str, tuple[str, dict[str, str]]]:
    """{key: (kind, {field: value})}, read as BibTeX reads it: braces are counted,
    a backslash before one does not stop it counting. Fails on anything left over."""
    entries = {}
    position = 0
    entry = re.compile(r"\s*@(\w+)\{([^,\s]*),\n")
    field = re.compile(r"\s*(\w+) = \{")
    while position < len(text):
        match = entry.match(text, position)
        assert match, f"no entry at {text[position:]!r}"
        kind, key = match.groups()
        position = match.end()
        fields = {}
        while not text.startswith("\n}", position):
            match = field.match(text, position)
            assert match, f"no field at {text[position:]!r}"
            depth, start = 1, match.end()
            position = start
            while depth:
                depth += {"{": 1, "}": -1}.get(text[position], 0)
                position += 1
            assert match[1] not in fields
            fields[match[1]] = text[start : position - 1]
            if text.startswith(",\n", position):
                position += 1
        position += 2
        entries[key] = (kind, fields)
        assert text[position : position + 1] in ("\n", ""), "junk after an entry"
        position += 1
    return entries


LATEX_PRINTS = {
    r"{\textbraceleft}": "{",
    r"{\textbraceright}": "}",
    r"{\textbackslash}": "\\",
    r"{\textasciitilde}": "~",
    r"{\textasciicircum}": "^",
    r"{\textless}": "<",
    r"{\textgreater}": ">",
    r"{\textbar}": "|",
}


def latex_prints(value: str) -> str:
    """What LaTeX prints for a field value made of text and the escapes above."""
    pattern = "|".join(re.escape(escape) for escape in LATEX_PRINTS) + r"|\\([{}%&#$_])"
    return re.sub(pattern, lambda m: m[1] or LATEX_PRINTS[m[0]], value)


def test_it_keeps_a_title_that_closes_braces_inside_its_field(client):
    session = make_session(make_series(), number=1)
    make_talk(session, paper=make_paper("x}}, note={evil", authors="Ann Smith", year=2020))
    text = client.get("/nice/1/papers.bib").content.decode()
    title = r"{x{\textbraceright}{\textbraceright}, note={\textbraceleft}evil}"
    assert parse_bibtex(text) == {
        "smith2020note": ("misc", {"title": title, "author": "Ann Smith", "year": "2020"})
    }
    assert latex_prints(title[1:-1]) == "x}}, note={evil"


def test_it_escapes_every_latex_special_character(client):
    title = r"50% of R&D #1: $5 a_b ~x^2 \emph{y} <a|b> {Kept} }{"
    session = make_session(make_series(), number=1)
    make_talk(
        session,
        paper=make_paper(
            title,
            authors="Jean_Luc Picard & Co\nBarnes and Noble",
            venue="ACL {2024",
            primary_category="cs_CL",
        ),
    )
    text = client.get("/nice/1/papers.bib").content.decode()
    ((kind, fields),) = parse_bibtex(text).values()
    assert kind == "inproceedings"
    assert fields == {
        "title": (
            r"{50\% of R\&D \#1: \$5 a\_b {\textasciitilde}x{\textasciicircum}2 "
            r"{\textbackslash}emph\{y\} {\textless}a{\textbar}b{\textgreater} \{Kept\} "
            r"{\textbraceright}{\textbraceleft}}"
        ),
        "author": r"Jean\_Luc Picard \& Co and {Barnes and Noble}",
        "booktitle": r"ACL {\textbraceleft}2024",
        "primaryclass": r"cs\_CL",
    }
    assert latex_prints(fields["title"][1:-1]) == title


def test_it_keeps_urls_and_ids_verbatim_but_never_lets_them_close_the_field(client):
    session = make_session(make_series(), number=1)
    paper = make_paper(
        "P", authors="Ann Smith", year=2020, arxiv_id="2401.12345", doi="10.1000/a_b}c"
    )
    Paper.objects.filter(pk=paper.pk).update(url="https://example.org/a}b?q=1%20&r=x_y#s")
    make_talk(session, paper=paper)
    text = client.get("/nice/1/papers.bib").content.decode()
    ((_, fields),) = parse_bibtex(text).values()
    assert fields["url"] == "https://example.org/a%7Db?q=1%20&r=x_y#s"
    assert fields["doi"] == "10.1000/a_b%7Dc"
    assert (fields["eprint"], fields["archiveprefix"]) == ("2401.12345", "arXiv")


def test_it_writes_keys_of_ascii_letters_and_digits_unique_within_a_file(client):
    session = make_session(make_series(), number=1)
    papers = [
        make_paper("Attention Is All You Need", authors="Ashish Vaswani", year=2017),
        make_paper("Attention, again!", authors="Ashish Vaswani", year=2017),
        make_paper("Attention (third)", authors="Vaswani, Ashish", year=2017),
        make_paper("Über Modelle", authors="José Müller-Lüdenscheidt", year=2021),
        make_paper("{Evil}, key={x", authors="O'Brien, Jr.} ,x", year=2022),
        make_paper("多模态大模型", authors="王浩然\n周雨桐", arxiv_id="2401.12345"),
        make_paper("多模态综述", authors="王浩然"),
        make_paper("No authors at all"),
    ]
    for paper in papers:
        make_talk(session, paper=paper)
    keys = list(parse_bibtex(client.get("/nice/1/papers.bib").content.decode()))
    assert keys == [
        "vaswani2017attention",
        "vaswani2017attentiona",
        "vaswani2017attentionb",
        "mullerludenscheidt2021uber",
        "obrien2022evil",
        "arxiv240112345",
        f"paper{papers[6].pk}",
        f"paper{papers[7].pk}",
    ]


# ---------------------------------------------------------------- feeds


def feed(client, url: str) -> ElementTree.Element:
    response = client.get(url)
    assert response.status_code == 200
    return ElementTree.fromstring(response.content)


@pytest.fixture
def odd_session() -> Session:
    """A session whose stored texts have control characters, put there past validation."""
    series = make_series()
    session = make_session(series, number=5, keywords=["多模态"])
    paper = make_paper("P", code_url="https://github.com/x/y")
    talk = make_talk(session, "Talk", presenters=[make_person("王浩然")], paper=paper)
    Series.objects.filter(pk=series.pk).update(name="NICE\x1b 分享")
    Session.objects.filter(pk=session.pk).update(title="Bad\x1b title\x1f")
    Keyword.objects.filter(name="多模态").update(name="多模\x08态")
    Talk.objects.filter(pk=talk.pk).update(title="<i>Talk</i>\x1b")
    Person.objects.filter(name="王浩然").update(name="王\x0c浩然")
    Paper.objects.filter(pk=paper.pk).update(url="javascript:alert(1)\x1b")
    return session


def test_it_cleans_control_characters_from_the_rss_feeds(client, odd_session):
    for url in ["/nice/feed/rss/", "/keywords/%E5%A4%9A%E6%A8%A1%E6%80%81/feed/rss/"]:
        channel = feed(client, url).find("channel")
        (item,) = channel.findall("item")
        assert item.findtext("title") == "NICE 分享 第5期：Bad title"
        assert [c.text for c in item.findall("category")] == ["多模态"]
    assert feed(client, "/nice/feed/rss/").findtext("channel/title") == "NICE 分享"
    keyword_channel = feed(client, "/keywords/%E5%A4%9A%E6%A8%A1%E6%80%81/feed/rss/")
    assert keyword_channel.findtext("channel/title") == "关于“多模态”的分享会"
    assert keyword_channel.findtext("channel/description") == "关于“多模态”的分享会"


def test_it_cleans_control_characters_from_the_atom_feeds(client, odd_session):
    for url in ["/nice/feed/atom/", "/keywords/%E5%A4%9A%E6%A8%A1%E6%80%81/feed/atom/"]:
        (entry,) = feed(client, url).findall("a:entry", ATOM)
        assert entry.findtext("a:title", namespaces=ATOM) == "NICE 分享 第5期：Bad title"
        assert [c.get("term") for c in entry.findall("a:category", ATOM)] == ["多模态"]
    root = feed(client, "/nice/feed/atom/")
    assert root.findtext("a:title", namespaces=ATOM) == "NICE 分享"
    assert root.findtext("a:subtitle", namespaces=ATOM) == "NICE 分享 的新一期"


def test_it_escapes_the_item_description_and_links_only_http(client, odd_session):
    (entry,) = feed(client, "/nice/feed/atom/").findall("a:entry", ATOM)
    summary = entry.findtext("a:summary", namespaces=ATOM)
    (talks,) = re.findall(r"<ol>.*</ol>", summary)
    assert talks == (
        "<ol><li>&lt;i&gt;Talk&lt;/i&gt; — 王浩然"
        ' · <a href="https://github.com/x/y">代码</a></li></ol>'
    )


def test_it_describes_the_rss_channel_in_plain_text(client):
    make_series(
        description=(
            "# Weekly\n\n**Papers** we <b>love</b>, <script>alert(1)</script>\x1b "
            "and [links](https://example.org) & more."
        )
    )
    channel = feed(client, "/nice/feed/rss/").find("channel")
    assert channel.findtext("description") == "Weekly Papers we love, alert(1) and links & more."
    atom = feed(client, "/nice/feed/atom/")
    assert atom.findtext("a:subtitle", namespaces=ATOM) == (
        "Weekly Papers we love, alert(1) and links & more."
    )


def test_it_cuts_a_long_series_description(client):
    make_series(description="word " * 200)
    description = feed(client, "/nice/feed/rss/").findtext("channel/description")
    # Django's own ellipsis, which its Chinese catalog spells "...".
    assert description == ("word " * 60)[:297] + "..."
    assert len(description) == 300
