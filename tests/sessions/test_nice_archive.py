"""The NICE format parser, quirk by quirk, on small inputs (no database)."""

from datetime import date, time

import pytest

from sessions.archive.docsify import (
    PageError,
    PersonRef,
    as_markdown,
    extract_talks,
    merge_rows,
    paper_link_fields,
    parse_index,
    parse_page,
    parse_time_section,
    split_keywords,
    split_people,
    split_venue_and_tags,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025.3.15 19:00", (date(2025, 3, 15), time(19, 0), None)),
        ("2023.11.26 14:00-17:00", (date(2023, 11, 26), time(14, 0), time(17, 0))),
        ("2024.12.28 10:30-12:00 周六", (date(2024, 12, 28), time(10, 30), time(12, 0))),
        ("第一场：2025.06.22 (周日) 9：00 ", (date(2025, 6, 22), time(9, 0), None)),
        ("2025.08.24", (date(2025, 8, 24), None, None)),
        ("2025年8月31日 10:00～11:00", (date(2025, 8, 31), time(10, 0), time(11, 0))),
        ("待定", (None, None, None)),
        ("2025.13.40 19:00", (None, None, None)),
    ],
)
def test_it_reads_every_time_shape(text, expected):
    assert parse_time_section(text) == expected


def test_it_splits_presenters_on_every_separator_and_keeps_notes_apart():
    people = split_people("张宇森 , 翟胜方，黎健进（知乎：Lil2J）、Qiyao (Chi-Yao) Wei, 张宇森")
    assert [(p.name, p.note) for p in people] == [
        ("张宇森", ""),
        ("翟胜方", ""),
        ("黎健进", "知乎：Lil2J"),
        ("Qiyao (Chi-Yao) Wei", ""),
    ]


def test_it_splits_keywords_on_full_width_commas():
    assert split_keywords("ICML&ACL分享会，可解释性, 可解释性") == ["ICML&ACL分享会", "可解释性"]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (
            "[ICLR 2025] Are Transformers Able to Reason?",
            ("Are Transformers Able to Reason?", "ICLR 2025", 2025, []),
        ),
        ("[Oral] Learning Streaming Video", ("Learning Streaming Video", "", None, ["Oral"])),
        ("[Highlight] [CVPR2024] X", ("X", "CVPR2024", 2024, ["Highlight"])),
        ("2.5 Years in Class", ("2.5 Years in Class", "", None, [])),
    ],
)
def test_it_tells_venues_from_tags_in_leading_brackets(title, expected):
    assert split_venue_and_tags(title) == expected


@pytest.mark.parametrize(
    ("url", "label", "expected"),
    [
        ("https://arxiv.org/abs/2409.05806", "", {"arxiv_id": "2409.05806"}),
        ("https://arxiv.org/pdf/2506.00698v2", "", {"arxiv_id": "2506.00698"}),
        (
            "https://github.com/MingyuJ666/Rope_with_LLM",
            "项目地址",
            {"code_url": "https://github.com/MingyuJ666/Rope_with_LLM"},
        ),
        ("https://example.org/p", "项目地址", {"project_url": "https://example.org/p"}),
        (
            "https://openreview.net/forum?id=x",
            "论文链接",
            {"url": "https://openreview.net/forum?id=x"},
        ),
    ],
)
def test_it_files_each_link_where_it_belongs(url, label, expected):
    assert paper_link_fields(url, label) == expected


INDEX = """# x
| ID | Date | Title | Presenter | Keywords | Link |
| ---- | ---- | --- | --- | --- | --- |
| NICE 84期 | 2025.8.31 | [推理？](./docs/files/nice_84.0.md) | 尹禹童 | 模型推理 | [Link](./docs/files/nice_84.md) |
| NICE 70期 | 2025.06.22  | [分享 @ICML](./docs/files/nice_70.md) | A, B | k1，k2 | [Link](./docs/files/nice_70.md) |
| NICE 70期 | 2025.6.22 | [分享 @ICML](./docs/files/nice_70.md) | C, A | k1，k2 | [Link](./docs/files/nice_70.md) |
| NICE 11期 | 2024.3.23 | [经验分享[1]](./docs/files/nice_11.md) | 黎健进（知乎：Lil2J） | AI | [Link](./docs/files/nice_11.md) |
| no number | 2024.3.23 | x | y | z | |

## after the table
| not | a | row |
"""


def test_it_reads_the_index_table_with_line_numbers():
    rows, problems = parse_index(INDEX, "README.md")
    assert [(r.line, r.number, r.title) for r in rows] == [
        (4, 84, "推理？"),
        (5, 70, "分享 @ICML"),
        (6, 70, "分享 @ICML"),
        (7, 11, "经验分享[1]"),
    ]
    assert rows[0].links == ["./docs/files/nice_84.md", "./docs/files/nice_84.0.md"]
    assert [str(p) for p in problems] == [
        "README.md:8: no session number in the ID cell “no number”"
    ]


def test_rows_of_one_session_merge_and_a_different_date_is_reported():
    rows, _ = parse_index(INDEX.replace("| 2025.6.22 |", "| 2025.6.23 |"), "README.md")
    groups, problems = merge_rows(rows, "README.md")
    assert [[r.number for r in g] for g in groups] == [[84], [70, 70], [11]]
    assert [str(p) for p in problems] == [
        "README.md:6: session 70 is listed again with another date (2025-06-23 instead of 2025-06-22); the first is kept"
    ]


def test_the_join_group_footer_is_cut_from_the_page_and_its_image_kept():
    page = parse_page(
        "# NICE 5期 | 标题\n\n## 时间\n\n2024.1.6 10:30-11:30\n\n## 内容\n\n正文\n\n### 入群\n\n欢迎加入\n\n"
        '<div align=center>\n<img src="../images/qr.png" width = "200">\n</div>\n',
        "nice_5.md",
    )
    assert (page.heading_number, page.heading_title) == (5, "标题")
    assert [text for _, text in page.sections["内容"] if text] == ["正文"]
    assert page.footer_images == ["../images/qr.png"]


def test_a_page_without_heading_or_sections_is_an_error_with_its_place():
    with pytest.raises(PageError) as error:
        parse_page("just some text\n", "docs/files/nice_3.md")
    assert (
        str(error.value.problem)
        == "docs/files/nice_3.md:1: not a session page: no “# NICE N期 | title” heading"
    )


def numbered(text: str) -> list[tuple[int, str]]:
    return list(enumerate(text.splitlines(), start=1))


def test_paper_blocks_become_talks_with_links_and_summaries():
    talks, description = extract_talks(
        numbered(
            "论文：CKnowEdit: A Dataset\n论文链接：https://arxiv.org/abs/2409.05806\n\n"
            "论文介绍：第一段。\n第二段。\n\n论文：Massive Values\n项目地址：https://github.com/a/b\n\n介绍。"
        ),
        "session",
        [PersonRef("甲"), PersonRef("乙")],
    )
    assert description == ""
    assert [(t.title, t.paper.arxiv_id, t.paper.code_url, t.summary) for t in talks] == [
        ("CKnowEdit: A Dataset", "2409.05806", "", "第一段。\n\n第二段。"),
        ("Massive Values", "", "https://github.com/a/b", "介绍。"),
    ]
    assert all(t.presenters == [] for t in talks)  # the page does not say who presented what


def test_a_presenter_list_gives_each_talk_its_presenter_segment_and_tags():
    talks, _ = extract_talks(
        numbered(
            "第一场：\n- A title, with a comma，张宇森 宾州州立大学\n\n第二场：\n- [Oral] B，翟胜方 北京大学&新加坡国立大学"
        ),
        "s",
        [PersonRef("张宇森"), PersonRef("翟胜方")],
    )
    assert [(t.segment, t.title, t.tags, t.presenters) for t in talks] == [
        ("第一场", "A title, with a comma", [], [PersonRef("张宇森", affiliation="宾州州立大学")]),
        ("第二场", "B", ["Oral"], [PersonRef("翟胜方", affiliation="北京大学&新加坡国立大学")]),
    ]


def test_a_list_of_topics_with_commas_is_not_mistaken_for_presenters():
    talks, description = extract_talks(
        numbered("分享最新研究。\n- 魔镜魔镜告诉我，谁是世界上最帅的男人\n- 大模型会句法吗？"),
        "s",
        [PersonRef("朱桐")],
    )
    assert talks == []
    assert (
        description
        == "分享最新研究。\n\n- 魔镜魔镜告诉我，谁是世界上最帅的男人\n- 大模型会句法吗？"
    )


def test_an_agenda_stays_the_description_without_its_label_line():
    talks, description = extract_talks(
        numbered("内容\n1. 背景介绍（15min）\n2. QA讨论环节（20mins）"), "s", [PersonRef("朱桐")]
    )
    assert (talks, description) == ([], "1. 背景介绍（15min）\n2. QA讨论环节（20mins）")


def test_headings_over_prose_become_one_talk_each():
    prose = "如何全面、科学地评估大语言模型的性能是一个重要挑战，传统方法仅关注模型预测与标注标签的比较，无法深入分析。"
    talks, _ = extract_talks(
        numbered(
            f"指标：Diff-eRank\n\n{prose}\n\n该工作已被接收。\n\n医学评估：MultifacetEval\n\n{prose}"
        ),
        "s",
        [PersonRef("魏"), PersonRef("周")],
    )
    assert [t.title for t in talks] == ["指标：Diff-eRank", "医学评估：MultifacetEval"]
    assert talks[0].summary == f"{prose}\n\n该工作已被接收。"


def test_an_outline_and_abstract_is_one_talk_by_the_one_presenter():
    prose = "随着技术的不断发展和资源的日益丰富，越来越多的团队开始关注参数量相对较小的大模型。这一趋势让我意识到，在未来参数量相对较小的大模型会有更广阔的应用，也让更多个人和团队能参与大模型的研究。"
    talks, description = extract_talks(
        numbered(f"内容概要\n1. 简介\n2. 动机\n\n引言部分\n{prose}"),
        "从0开始",
        [PersonRef("黎健进", note="知乎：Lil2J")],
    )
    assert description == ""
    assert [(t.title, t.presenters[0].name) for t in talks] == [("从0开始", "黎健进")]
    assert talks[0].summary == f"内容概要\n\n1. 简介\n2. 动机\n\n引言部分\n\n{prose}"


def test_markdown_keeps_each_source_line_and_list():
    assert as_markdown(["a", "b", "- x", "- y", "", "c"]) == "a\n\nb\n\n- x\n- y\n\nc"
