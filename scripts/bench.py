"""`make bench`: how fast the public pages and the API answer on a large archive.

Builds a throwaway SQLite database with the demo archive plus 300 synthetic
sessions of 6 talks each, then times each page through Django's test client
(no network) and counts its queries. Figures, not assertions.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
workdir = tempfile.mkdtemp(prefix="nice-bench-")
os.environ.setdefault("DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nice.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

SYNTHETIC_SESSIONS = 300
TALKS_PER_SESSION = 6
REPEATS = 30


def build_archive() -> None:
    from datetime import timedelta

    from papers.models import Paper
    from sessions.models import Person, Series, Session, Talk, TalkPresenter

    call_command("migrate", verbosity=0)
    call_command("load_demo", verbosity=0)
    series = Series.objects.get(slug="nice")
    start = Session.objects.earliest("starts_at").starts_at
    people = [Person.objects.create(name=f"嘉宾{i}") for i in range(60)]
    with transaction.atomic():
        for n in range(SYNTHETIC_SESSIONS):
            session = Session.objects.create(
                series=series,
                number=1000 + n,
                title=f"合成分享 {n}: 多模态与推理",
                starts_at=start - timedelta(weeks=n + 1),
                status="published",
            )
            for t in range(TALKS_PER_SESSION):
                paper = Paper.objects.create(
                    title=f"Synthetic paper {n}.{t}", venue="ICLR 2025", year=2025
                )
                talk = Talk.objects.create(
                    session=session,
                    order=t + 1,
                    title=f"Talk {n}.{t}",
                    paper=paper,
                    summary=f"Loss $\\mathcal{{L}}_{t} = -\\log p(x)$, 第{t}个报告的摘要。",
                )
                TalkPresenter.objects.create(talk=talk, person=people[(n + t) % len(people)])


def measure(client: Client, url: str) -> tuple[float, float, int]:
    client.get(url)  # warm caches (templates, Markdown)
    timings = []
    for _ in range(REPEATS):
        began = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        timings.append((time.perf_counter() - began) * 1000)
        assert response.status_code in (200, 302), (url, response.status_code)
    return statistics.median(timings), max(timings), len(queries)


def write_synthetic_archive(root: Path, sessions: int) -> None:
    """An archive in the NICE format: index rows plus pages of three 论文： talks each."""
    pages = root / "docs" / "files"
    pages.mkdir(parents=True)
    rows = []
    for n in range(1, sessions + 1):
        people = [f"讲者{(n * 3 + k) % 400}" for k in range(3)]
        rows.append(
            f"| NICE {n}期 | 2020.1.{n % 28 + 1} | [合成第{n}期](./docs/files/nice_{n}.md) | "
            f"{', '.join(people)} | 关键词{n % 30}，多模态 | [Link](./docs/files/nice_{n}.md) |"
        )
        talks = "\n\n".join(
            f"论文：Synthetic paper {n}.{t}\n论文链接：https://arxiv.org/abs/{2001 + n % 12:04d}.{n * 3 + t:05d}\n\n"
            f"论文介绍：第{n}期第{t}个报告的摘要，讨论 $x_{t}^2$ 与多模态大模型的幻觉问题。"
            for t in range(3)
        )
        (pages / f"nice_{n}.md").write_text(
            f"# NICE {n}期 | 合成第{n}期\n\n## 时间\n\n2020.1.{n % 28 + 1} 19:00-21:00\n\n## 内容\n\n{talks}\n",
            encoding="utf-8",
        )
    header = (
        "| ID | Date | Title | Presenter | Keywords | Link |\n| -- | -- | -- | -- | -- | -- |\n"
    )
    (root / "README.md").write_text(header + "\n".join(rows) + "\n", encoding="utf-8")


def bench_import() -> None:
    from io import StringIO

    def timed(path: Path, slug: str) -> tuple[float, str]:
        out = StringIO()
        began = time.perf_counter()
        call_command("import_archive", str(path), "--series", slug, stdout=out)
        return time.perf_counter() - began, out.getvalue().strip().splitlines()[-1]

    sample = Path(__file__).resolve().parents[2] / "shared" / "examples" / "nice-archive"
    if sample.exists():
        for label in ("first", "again"):
            seconds, last = timed(sample, "sample")
            print(f"import the 8-session NICE sample ({label}): {seconds:.2f} s  [{last}]")
    root = Path(workdir) / "synthetic-archive"
    write_synthetic_archive(root, 1000)
    for label in ("first", "again"):
        seconds, last = timed(root, "synthetic")
        print(f"import 1,000 sessions × 3 talks ({label}): {seconds:.1f} s  [{last}]")


MEDIA_CHILD = r"""
import io, os, resource, sys, time
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nice.settings")
os.environ["IMAGE_UPLOAD_MAX_BYTES"] = str(200 * 1024 * 1024)
import django
django.setup()
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw
from nice.media import process_image

width, height = 6000, 4000  # 24 megapixels, a camera's size
# A gradient with sensor-like noise compresses like a photo, not like a flat test card.
noise = Image.effect_noise((width, height), 24)
image = Image.merge("RGB", (Image.linear_gradient("L").resize((width, height)), noise, noise.rotate(180)))
ImageDraw.Draw(image).ellipse((1000, 800, 5000, 3200), fill=(200, 60, 40))
buffer = io.BytesIO()
image.save(buffer, "JPEG", quality=90)
del image
upload = SimpleUploadedFile("poster.jpg", buffer.getvalue())
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
began = time.perf_counter()
result = process_image(upload)
seconds = time.perf_counter() - began
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(f"{len(upload) / 1e6:.1f} {seconds:.2f} {(peak - before) / 1024:.0f} {peak / 1024:.0f} {len(result.content) / 1e6:.1f}")
"""


def bench_media() -> None:
    import subprocess

    output = subprocess.run(
        [sys.executable, "-c", MEDIA_CHILD],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    ).stdout.split()
    size, seconds, growth, peak, out = output
    print(
        f"process a 24-megapixel JPEG poster ({size} MB in, {out} MB out): {seconds} s, "
        f"peak memory +{growth} MiB over the process's {int(peak) - int(growth)} MiB (peak {peak} MiB)"
    )
    from sessions import artwork

    content = {
        "series": "NICE 每周论文分享",
        "number": "第47期",
        "when": "2025年3月15日 星期六 19:00–21:00",
        "title": "多模态论文分享@ICLR2025：从视觉分词、指令微调到视频时序推理与幻觉缓解",
        "zone": "Asia/Shanghai (UTC+08:00)",
        "cancelled": "",
        "presenters": "甲、乙、丙",
        "talks": [
            {
                "title": f"第{n}个报告：一个相当长的中文论文标题用来测试换行与缩放",
                "presenters": "讲者",
            }
            for n in range(6)
        ],
        "url": "https://nice.example.org/nice/47/",
        "scan": "扫码查看详情",
    }
    for name, render in (("share card", artwork.render_card), ("A4 poster", artwork.render_poster)):
        render(content)  # fonts load once
        began = time.perf_counter()
        for _ in range(5):
            artwork.png_bytes(render(content))
        print(
            f"render and encode the {name} with six long Chinese titles: {(time.perf_counter() - began) / 5 * 1000:.0f} ms"
        )


def bench_repair() -> None:
    """Garble our own Chinese corpus in each common way, repair it, count (issue 14)."""
    import bench_mojibake

    bench_mojibake.run()


def main() -> None:
    began = time.perf_counter()
    build_archive()
    print(
        f"archive: demo + {SYNTHETIC_SESSIONS} sessions × {TALKS_PER_SESSION} talks, built in {time.perf_counter() - began:.1f} s"
    )
    client = Client(HTTP_HOST="127.0.0.1")
    urls = [
        "/",
        "/nice/",
        "/nice/?page=10",
        "/nice/?year=2025",
        "/nice/1/",
        "/nice/1100/",
        "/search/?q=%E5%A4%9A%E6%A8%A1%E6%80%81",
        "/search/?q=hallucination",
        "/api/v1/series",
        "/api/v1/series/nice/sessions",
        "/api/v1/series/nice/sessions/1100",
    ]
    print(f"{'url':<42}{'median ms':>11}{'max ms':>9}{'queries':>9}")
    for url in urls:
        median, worst, queries = measure(client, url)
        print(f"{url:<42}{median:>11.1f}{worst:>9.1f}{queries:>9}")

    from nice.markdown import render_markdown

    text = (
        "Loss $\\mathcal{L} = -\\log \\frac{e^{s_i}}{\\sum_j e^{s_j}}$ 与 **对比学习**。\n\n$$x^2$$"
    )
    began = time.perf_counter()
    for i in range(500):
        render_markdown.__wrapped__(text + str(i))
    print(f"render_markdown, uncached: {(time.perf_counter() - began) * 2:.2f} ms per summary")
    bench_import()
    bench_media()
    bench_repair()


if __name__ == "__main__":
    main()
