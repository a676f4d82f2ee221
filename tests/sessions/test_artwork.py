"""The images the app draws: permalink QR codes, the share card and the A4 poster."""

import io

import pytest
import zxingcpp
from django.contrib.auth.models import User
from django.core.files.base import ContentFile
from PIL import Image

from sessions import artwork
from tests.factories import make_person, make_series, make_session, make_talk

pytestmark = pytest.mark.django_db

LONG_TITLES = [
    "多模态大语言模型中视觉分词的语义等价性研究：从离散视觉标记到统一表示空间的探索与实践",
    "重建引导的视觉指令微调：以视觉为中心的监督信号如何提升细粒度理解能力",
    "F3Set：面向视频中快速、高频、细粒度事件分析的新基准数据集与方法",
    "之字形扩散采样：扩散模型能否通过自我反思在去噪与反转之间逐步自我改进",
    "从文本到视频的时序推理迁移：视频大语言模型的瓶颈究竟在哪里",
    "MLLM can see? Dynamic Correction Decoding for Hallucination Mitigation",
]


@pytest.fixture
def six_talks():
    session = make_session(
        make_series(), number=47, title="多模态论文分享@ICLR2025：从视觉分词到幻觉缓解的最新进展"
    )
    for index, title in enumerate(LONG_TITLES):
        make_talk(session, title, presenters=[make_person(f"讲者{index}")])
    return session


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def decoded(data: bytes) -> list[str]:
    return [code.text for code in zxingcpp.read_barcodes(Image.open(io.BytesIO(data)))]


def test_the_share_card_is_1200_by_630_and_its_qr_opens_the_session(client, six_talks):
    response = client.get("/nice/47/card.png")
    assert response["Content-Type"] == "image/png"
    data = body(response)
    assert Image.open(io.BytesIO(data)).size == (1200, 630)
    assert decoded(data) == ["http://testserver/nice/47/"]


def test_the_poster_is_a4_and_its_qr_opens_the_session(client, six_talks):
    data = body(client.get("/nice/47/poster.png"))
    assert Image.open(io.BytesIO(data)).size == (1240, 1754)  # A4 at 150 dpi
    assert decoded(data) == ["http://testserver/nice/47/"]
    pdf = body(client.get("/nice/47/poster.pdf"))
    assert (
        pdf.startswith(b"%PDF-")
        and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page\r") + pdf.count(b"/Type /Page ")
        >= 1
    )


def test_the_qr_codes_decode_to_the_permalink(client, six_talks):
    assert decoded(client.get("/nice/47/qr.png").content) == ["http://testserver/nice/47/"]
    svg = client.get("/nice/47/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg.content.startswith(b"<svg") and b"<script" not in svg.content


def test_images_are_drawn_once_and_again_when_the_session_changes(client, six_talks, media_root):
    client.get("/nice/47/card.png")
    drawn = sorted(p.name for p in (media_root / "generated" / "nice" / "47").iterdir())
    client.get("/nice/47/card.png")
    assert sorted(p.name for p in (media_root / "generated" / "nice" / "47").iterdir()) == drawn
    six_talks.title = "新的主题"
    six_talks.save()
    client.get("/nice/47/card.png")
    redrawn = sorted(p.name for p in (media_root / "generated" / "nice" / "47").iterdir())
    assert len(redrawn) == 1 and redrawn != drawn  # the stale card is gone too


def test_an_uploaded_poster_takes_precedence(client, six_talks):
    buffer = io.BytesIO()
    Image.new("RGB", (300, 420), "orange").save(buffer, "PNG")
    six_talks.poster.save("mine.png", ContentFile(buffer.getvalue()))
    response = client.get("/nice/47/poster.png")
    assert response.status_code == 302 and response["Location"] == six_talks.poster.url
    html = client.get("/nice/47/").content.decode()
    assert f'<meta property="og:image" content="http://testserver{six_talks.poster.url}">' in html
    assert body(client.get("/nice/47/poster.pdf")).startswith(b"%PDF-")


def test_the_page_uses_the_card_when_there_is_no_poster(client, six_talks):
    html = client.get("/nice/47/").content.decode()
    assert '<meta property="og:image" content="http://testserver/nice/47/card.png">' in html
    # The page's own QR code is a download for posters, never a second image beside the group's.
    assert 'src="/nice/47/qr.svg"' not in html
    assert '<a href="/nice/47/qr.svg" download="nice-47-qr.svg">SVG</a>' in html
    assert '<a href="/nice/47/qr.png" download="nice-47-qr.png">PNG</a>' in html


def test_drafts_have_no_public_images(client):
    make_session(make_series(), number=5, status="draft")
    for url in ("/nice/5/card.png", "/nice/5/poster.png", "/nice/5/poster.pdf", "/nice/5/qr.png"):
        assert client.get(url).status_code == 404, url
    client.force_login(User.objects.create_user("admin", is_staff=True))
    assert client.get("/nice/5/card.png").status_code == 200
    assert client.get("/nice/5/qr.gif").status_code == 404


def test_long_titles_wrap_within_the_width_and_shrink_before_they_are_cut():
    typeface = artwork.font(48, bold=True)
    lines = artwork.wrap(LONG_TITLES[0] + " Dynamic Correction Decoding", typeface, 600)
    assert len(lines) > 1
    assert all(typeface.getlength(line) <= 600 for line in lines)
    assert "".join(lines).replace(" ", "") == (LONG_TITLES[0] + "DynamicCorrectionDecoding")
    size_short = artwork.fit("短标题", 600, 2, range(64, 30, -4))[0].size
    size_long, lines = artwork.fit(LONG_TITLES[0] * 2, 600, 2, range(64, 30, -4))
    assert size_short == 64 and size_long.size == 32 and len(lines) == 2 and lines[-1].endswith("…")


@pytest.mark.skipif(artwork.cjk_font() is None, reason="no CJK font installed (fonts-noto-cjk)")
def test_chinese_is_drawn_with_real_glyphs():
    typeface = artwork.font(40)
    tofu = typeface.getmask("\U000f0000").getbbox()  # a private-use point: the font's empty box
    assert typeface.getmask("期").getbbox() not in (None, tofu)
    assert typeface.getlength("第47期") > typeface.getlength("47")
