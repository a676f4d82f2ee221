"""import_paper_list and import_notes, on hand-made files and on the real examples when present."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from papers.models import Paper
from sessions.models import Keyword
from tests.factories import make_series, make_session

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "examples"


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_garbled_list_is_repaired_and_imported(client):
    output = run("import_paper_list", str(FIXTURES / "paper-list-garbled.md"), "--accept")
    assert "paper-list-garbled.md: repaired " in output
    assert "damage found: UTF-8 read as Windows-1252" in output
    # The one unsure character, the suggestion taken and recorded in the output:
    assert (
        "accepted suggestion 与: paper-list-garbled.md:8:28: “评估多模态模型，其中评分与人类偏好"
        in output
    )
    assert "3 papers: 3 created, 0 updated, 0 unchanged" in output
    critic = Paper.objects.get(arxiv_id="2410.02712")
    assert critic.title == "LLaVA-Critic: Learning to Evaluate Multimodal Models"
    assert (critic.venue, critic.year) == ("CVPR 2025", 2025)
    assert critic.project_url == "https://llava-vl.github.io/blog/2024-10-03-llava-critic/"
    assert critic.notes.startswith("本文提出了第一个开源的通用评估多模态模型，其中评分与人类")
    assert "\ufffd" not in critic.notes
    insight = Paper.objects.get(arxiv_id="2411.14432")
    assert insight.code_url == "https://github.com/dongyh20/Insight-V"
    assert Paper.objects.get(title__startswith="NoLinkModel").venue == "ICLR 2025"
    assert list(
        Keyword.objects.get(name="Image LLMs")
        .papers.order_by("title")
        .values_list("title", flat=True)
    ) == [
        "Insight-V: Exploring Long-Chain Visual Reasoning with Multimodal Large Language Models",
        "LLaVA-Critic: Learning to Evaluate Multimodal Models",
    ]
    html = client.get(f"/papers/{critic.pk}/").content.decode()
    assert (
        "本文提出了第一个开源" in html
        and "<strong>评测数据的质量决定了模型的上限。</strong>" in html
    )


def test_unsure_characters_stop_the_import_unless_accepted():
    with pytest.raises(CommandError) as refused:
        run("import_paper_list", str(FIXTURES / "paper-list-garbled.md"), "--no-input")
    message = str(refused.value)
    assert "1 repaired characters are unsure; nothing imported." in message
    assert (
        "unsure: paper-list-garbled.md:8:28: “评估多模态模型，其中评分与人类偏好高度一致。” — 与 "
        in message
    )
    assert "pass --accept to take the suggestions" in message
    assert not Paper.objects.exists()


def test_on_a_terminal_each_unsure_character_is_asked_for_and_the_choice_recorded():
    out = StringIO()
    call_command(
        "import_paper_list",
        str(FIXTURES / "paper-list-garbled.md"),
        interactive=True,
        stdin=StringIO("x\n2\n"),  # a wrong answer is asked again; 2 is the runner-up, 中
        stdout=out,
    )
    output = out.getvalue()
    assert "1 unsure characters: type a candidate's number" in output
    assert "“x” is not one of the numbers shown" in output
    assert "chose 中 at paper-list-garbled.md:8:28" in output
    critic = Paper.objects.get(arxiv_id="2410.02712")
    assert "其中评分中人类偏好高度一致" in critic.notes  # what the person chose, even if wrong


def test_on_a_terminal_enter_keeps_the_suggestion_and_end_of_input_imports_nothing():
    out = StringIO()
    path = str(FIXTURES / "paper-list-garbled.md")
    call_command("import_paper_list", path, interactive=True, stdin=StringIO("\n"), stdout=out)
    assert "kept suggestion 与 at paper-list-garbled.md:8:28" in out.getvalue()
    Paper.objects.all().delete()
    with pytest.raises(CommandError, match="no answer"):
        call_command("import_paper_list", path, interactive=True, stdin=StringIO(""), stdout=out)
    assert not Paper.objects.exists()


def test_a_clean_list_is_read_as_it_is_and_a_second_import_changes_nothing():
    assert "repaired" not in run("import_paper_list", str(FIXTURES / "paper-list-clean.md"))
    assert "3 papers: 0 created, 0 updated, 3 unchanged" in run(
        "import_paper_list", str(FIXTURES / "paper-list-clean.md")
    )


def test_papers_already_in_the_library_are_reused_and_completed():
    Paper.objects.create(title="LLaVA-Critic (old title)", arxiv_id="2410.02712")
    assert "1 updated" in run("import_paper_list", str(FIXTURES / "paper-list-clean.md"))
    assert Paper.objects.filter(arxiv_id="2410.02712").count() == 1
    assert Paper.objects.get(arxiv_id="2410.02712").venue == "CVPR 2025"


def test_with_a_session_the_papers_become_its_talks():
    session = make_session(make_series(), number=47)
    output = run("import_paper_list", str(FIXTURES / "paper-list-clean.md"), "--session", "nice/47")
    assert "3 talks added to nice/47" in output
    assert session.talks.first().title == "LLaVA-Critic: Learning to Evaluate Multimodal Models"
    run("import_paper_list", str(FIXTURES / "paper-list-clean.md"), "--session", "nice/47")
    assert session.talks.count() == 3
    with pytest.raises(CommandError, match="no session nice/99"):
        run("import_paper_list", str(FIXTURES / "paper-list-clean.md"), "--session", "nice/99")


def test_a_dry_run_writes_nothing():
    assert "dry run, nothing written" in run(
        "import_paper_list", str(FIXTURES / "paper-list-garbled.md"), "--dry-run", "--accept"
    )
    assert not Paper.objects.exists()


def test_notes_import_papers_with_code_notes_math_and_topic_keywords(client):
    output = run("import_notes", str(FIXTURES / "notes.md"))
    assert "notes.md: lines 1–8 come before the first paper and were not imported" in output
    assert "3 papers: 3 created" in output and "keywords: Grounding-MLLM, Visual Prompt" in output
    dinov = Paper.objects.get(title="DINOv: Visual In-Context Prompting")
    assert (dinov.venue, dinov.year, dinov.code_url) == (
        "CVPR 2024",
        2024,
        "https://github.com/UX-Decoder/DINOv",
    )
    assert "- In-context prompting：公式 $Attention" in dinov.notes
    assert "  - 语言提示" in dinov.notes
    assert "截屏" not in dinov.notes
    assert dinov.notes.endswith("在32张A100中进行训练")  # a comment, not a topic
    grounded = Paper.objects.get(title__startswith="Grounded SAM")
    assert (grounded.year, grounded.code_url) == (
        2024,
        "https://github.com/IDEA-Research/Grounded-Segment-Anything",
    )
    assert [k.name for k in dinov.keywords.all()] == ["Visual Prompt"]
    assert [k.name for k in Paper.objects.get(title__startswith="SimVG").keywords.all()] == [
        "Grounding-MLLM"
    ]
    html = client.get(f"/papers/{dinov.pk}/").content.decode()
    assert "<math" in html  # the math survives to the rendered page


def test_a_file_with_no_papers_is_a_clear_error(tmp_path):
    empty = tmp_path / "empty.md"
    empty.write_text("# nothing here\n")
    with pytest.raises(
        CommandError, match="no papers found: “- \\[x\\] \\*\\*Name\\*\\*: Title” items"
    ):
        run("import_paper_list", str(empty))
    with pytest.raises(CommandError, match="no “\\[VENUE YEAR\\] Title” lines found"):
        run("import_notes", str(empty))


@pytest.mark.skipif(not EXAMPLES.exists(), reason="../shared/examples is not beside this checkout")
def test_the_real_examples_import(client):
    output = run("import_paper_list", str(EXAMPLES / "paper-list-mojibake.md"), "--accept")
    assert "repaired" in output and "19 papers: 19 created" in output
    assert "damage found: UTF-8 read as Windows-1252" in output
    # Per character now (of 928 holes), no longer every Chinese line:
    assert 0 < output.count("accepted suggestion") < 100
    papers = Paper.objects.all()
    assert all(p.arxiv_id for p in papers) and all(p.venue for p in papers)
    assert all(p.notes and "\ufffd" not in p.notes for p in papers)
    chinese = [p for p in papers if any("\u4e00" <= c <= "\u9fff" for c in p.notes)]
    assert len(chinese) >= 10 and all("æ" not in p.notes and "ä¸" not in p.notes for p in chinese)
    output = run("import_notes", str(EXAMPLES / "paper-notes.md"))
    assert "35 papers" in output
    with_math = Paper.objects.filter(notes__contains="$").first()
    assert "<math" in client.get(f"/papers/{with_math.pk}/").content.decode()


def test_a_numbered_list_is_imported():
    output = run("import_paper_list", str(FIXTURES / "paper-list-numbered.md"))
    assert "3 papers: 3 created" in output and "repaired" not in output
    nullu = Paper.objects.get(arxiv_id="2412.13817")
    assert nullu.title == "Nullu: Mitigating Object Hallucinations via HalluSpace Projection"
    assert (nullu.venue, nullu.year) == ("CVPR 2025", 2025)
    assert nullu.code_url == "https://github.com/Ziwei-Zheng/Nullu"
    assert nullu.notes == "提取真实与幻觉特征之间的低秩子空间，并把权重投影到它的零空间。"
    zip_ = Paper.objects.get(arxiv_id="2412.04467")
    assert (zip_.title, zip_.venue) == (
        "VisionZip: Longer is Better but Not Necessary",
        "CVPR 2025",
    )
    diff = Paper.objects.get(arxiv_id="2408.04594")
    assert diff.title == "Img-Diff: Contrastive Data Synthesis for Multimodal Large Language Models"
    assert [k.name for k in diff.keywords.all()] == ["Hallucination"]


def test_a_table_is_imported_by_its_header():
    output = run("import_paper_list", str(FIXTURES / "paper-list-table.md"))
    assert "3 papers: 3 created" in output  # the row without a title is no paper
    divprune = Paper.objects.get(arxiv_id="2503.02175")
    assert divprune.title == "DivPrune: Diversity-based Visual Token Pruning"
    assert (divprune.venue, divprune.code_url) == ("CVPR 2025", "https://github.com/vbdi/divprune")
    atp = Paper.objects.get(arxiv_id="2412.00447")
    assert (atp.title, atp.venue, atp.code_url) == (
        "ATP-LLaVA: Adaptive Token Pruning",
        "CVPR 2025",
        "",
    )
    hires = Paper.objects.get(arxiv_id="2407.08706")
    assert (hires.title, hires.code_url) == (
        "HiRes-LLaVA",
        "https://github.com/example/hires-llava",
    )
    assert {k.name for k in hires.keywords.all()} == {"Token Pruning"}


def test_bare_arxiv_links_are_imported_with_a_stand_in_title():
    output = run("import_paper_list", str(FIXTURES / "paper-list-arxiv.md"))
    assert "4 papers: 4 created" in output
    assert sorted(Paper.objects.exclude(arxiv_id="").values_list("arxiv_id", "title")) == [
        ("2410.02712", "arXiv:2410.02712"),
        ("2411.14432", "arXiv:2411.14432"),
        ("2412.04467", "arXiv:2412.04467"),
    ]
    assert (
        "warning: paper-list-arxiv.md:3: a bare arXiv link: the title is “arXiv:2410.02712”"
        in output
    )
    assert (
        "warning: paper-list-arxiv.md:7: “https://arxiv.org/abs/not-an-id” is not a valid arXiv link"
        in output
    )
    assert "indented note" in Paper.objects.get(arxiv_id="2412.04467").notes
