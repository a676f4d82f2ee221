"""Build a large, realistic archive for the search bench: series, sessions of five talks,
Chinese and English titles and summaries, presenters (some accented), papers with arXiv
ids, venues and keywords; then the search index. Bulk inserts, no signals.

    DATABASE_URL=postgres://… .venv/bin/python scripts/generate_archive.py --talks 500000

Refuses a database that already has sessions (it is for empty bench databases).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "nice.settings")

TALKS_PER_SESSION = 5
BATCH = 5000

CN_TOPICS = [
    "大语言模型",
    "多模态",
    "视觉语言模型",
    "强化学习",
    "扩散模型",
    "检索增强生成",
    "模型推理",
    "幻觉",
    "对齐",
    "智能体",
    "图神经网络",
    "知识蒸馏",
    "长上下文",
    "代码生成",
    "机器人",
    "语音识别",
    "推荐系统",
    "量化",
    "稀疏注意力",
    "联邦学习",
    "因果推断",
    "数学推理",
]
CN_METHODS = [
    "高效训练",
    "评测基准",
    "理论分析",
    "可解释性",
    "鲁棒性",
    "数据合成",
    "奖励模型",
    "思维链",
    "混合专家",
    "参数高效微调",
    "自监督学习",
    "偏好优化",
    "缓存压缩",
    "规划",
]
EN_ADJ = [
    "Efficient",
    "Scalable",
    "Robust",
    "Unified",
    "Sparse",
    "Adaptive",
    "Contrastive",
    "Hierarchical",
    "Self-Supervised",
    "Multimodal",
    "Causal",
    "Latent",
    "Structured",
]
EN_NOUN = [
    "Transformers",
    "Diffusion Models",
    "Language Models",
    "Retrieval",
    "Agents",
    "Reasoning",
    "Vision Encoders",
    "Reward Models",
    "Mixture of Experts",
    "Attention",
    "Tokenizers",
    "Policy Optimization",
    "World Models",
    "Embeddings",
]
EN_TASK = [
    "Long-Context Understanding",
    "Code Generation",
    "Object Hallucination",
    "Robot Manipulation",
    "Mathematical Reasoning",
    "Speech Recognition",
    "Recommendation",
    "Image Generation",
    "Question Answering",
    "Instruction Following",
    "Video Understanding",
    "Protein Design",
]
VENUES = ["ICLR", "NeurIPS", "ICML", "ACL", "EMNLP", "CVPR", "ICCV", "AAAI", "KDD", "SIGIR"]
SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘")
GIVEN = list("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏建文辉力健进若曦思远一舟")
LATIN_FIRST = ["Tomás", "José", "Zoë", "Ana", "Lukas", "Mei", "Rafael", "Søren", "Chloé", "Ivan"]
LATIN_LAST = ["Ferreira", "Müller", "García", "Novák", "Smith", "Kowalski", "Dubois", "Tanaka"]
AFFILIATIONS = ["清华大学", "北京大学", "上海交通大学", "浙江大学", "中国科学院", "MIT", "Stanford"]


def _title(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return f"{rng.choice(CN_TOPICS)}的{rng.choice(CN_METHODS)}"
    return f"{rng.choice(EN_ADJ)} {rng.choice(EN_NOUN)} for {rng.choice(EN_TASK)}"


def _summary(rng: random.Random) -> str:
    return (
        f"本文研究{rng.choice(CN_TOPICS)}中的{rng.choice(CN_METHODS)}问题，"
        f"提出一种基于{rng.choice(CN_TOPICS)}的方法。"
        f"We study {rng.choice(EN_NOUN).lower()} for {rng.choice(EN_TASK).lower()} and "
        f"report results on {rng.choice(VENUES)} benchmarks."
    )


def _name(rng: random.Random, index: int) -> str:
    if index % 5 == 0:
        return f"{rng.choice(LATIN_FIRST)} {rng.choice(LATIN_LAST)} {index}"
    return rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN) + str(index)


def run(talks: int = 500_000, seed: int = 12, out=print) -> dict:
    """Generate `talks` talks and index them; returns timings (seconds) and counts."""
    import django

    django.setup()
    from django.db import transaction

    from papers.models import Paper
    from search.models import SearchDocument
    from sessions.models import Keyword, Person, Series, Session, Talk, TalkPresenter

    if Session.objects.exists():
        raise SystemExit("The database already has sessions; generate into an empty one.")
    rng = random.Random(seed)
    started = time.monotonic()
    sessions_count = talks // TALKS_PER_SESSION
    people_count = max(talks // 10, 10)
    papers_count = talks * 7 // 10
    with transaction.atomic():
        series = [
            Series.objects.create(slug=f"s{n}", name=f"{name} 论文分享", timezone="Asia/Shanghai")
            for n, name in enumerate(["NICE", "MLSys", "CV Reading", "NLP Club", "Theory"])
        ]
        keywords = Keyword.objects.bulk_create(
            Keyword(name=name, slug=f"k{n}") for n, name in enumerate(CN_TOPICS + CN_METHODS)
        )
        Person.objects.bulk_create(
            (
                Person(
                    name=(name := _name(rng, n)),
                    name_key=name.casefold(),
                    slug=f"p{n}",
                    affiliation=rng.choice(AFFILIATIONS),
                )
                for n in range(people_count)
            ),
            batch_size=BATCH,
        )
        person_ids = list(Person.objects.values_list("pk", flat=True))
        Paper.objects.bulk_create(
            (
                Paper(
                    title=_title(rng),
                    authors="\n".join(_name(rng, rng.randrange(10**6)) for _ in range(3)),
                    year=(year := rng.randrange(2015, 2026)),
                    venue=f"{rng.choice(VENUES)} {year}",
                    # Unique for up to a million papers: yymm from n's high digits.
                    arxiv_id=f"{15 + n // 100_000 % 10:02d}{n // 1_000_000 + 1:02d}.{n % 100_000:05d}",
                )
                for n in range(papers_count)
            ),
            batch_size=BATCH,
        )
        paper_ids = list(Paper.objects.values_list("pk", flat=True))
        first = datetime(2010, 1, 2, 11, tzinfo=UTC)
        Session.objects.bulk_create(
            (
                Session(
                    series=series[n % len(series)],
                    number=n // len(series) + 1,
                    title=_title(rng),
                    starts_at=first + timedelta(hours=6 * n),
                    description=_summary(rng),
                    status="published" if rng.random() < 0.97 else "draft",
                    published_at=first,
                )
                for n in range(sessions_count)
            ),
            batch_size=BATCH,
        )
        session_ids = list(Session.objects.order_by("pk").values_list("pk", flat=True))
        Session.keywords.through.objects.bulk_create(
            (
                Session.keywords.through(session_id=pk, keyword_id=rng.choice(keywords).pk)
                for pk in session_ids
            ),
            batch_size=BATCH,
        )
        Talk.objects.bulk_create(
            (
                Talk(
                    session_id=session_ids[n // TALKS_PER_SESSION],
                    order=n % TALKS_PER_SESSION + 1,
                    title=_title(rng),
                    summary=_summary(rng),
                    paper_id=paper_ids[n % len(paper_ids)] if rng.random() < 0.9 else None,
                )
                for n in range(talks)
            ),
            batch_size=BATCH,
        )
        TalkPresenter.objects.bulk_create(
            (
                TalkPresenter(talk_id=pk, person_id=rng.choice(person_ids), order=1)
                for pk in Talk.objects.values_list("pk", flat=True).iterator()
            ),
            batch_size=BATCH,
        )
    loaded = time.monotonic()
    out(f"archive: {talks} talks, {sessions_count} sessions in {loaded - started:.0f} s")
    index(out=out)
    indexed = time.monotonic()
    size = index_size()
    out(f"index: {SearchDocument.objects.count()} rows in {indexed - loaded:.0f} s, {size}")
    return {
        "talks": talks,
        "load_seconds": loaded - started,
        "index_seconds": indexed - loaded,
        "total_seconds": indexed - started,
        "index_size": size,
    }


INDEX_BATCH = 2000


def index(workers: int | None = None, missing_only: bool = False, out=print) -> None:
    """Write the search rows of every object, batch by batch; on PostgreSQL in
    `workers` processes at once (the documents are built in Python, one CPU each).
    With `missing_only`, only objects that have no row yet (to finish a run that
    was stopped)."""
    from django.db import connection, connections

    from papers.models import Paper
    from search.models import SearchDocument
    from sessions.models import Person, Session, Talk

    models = {"session": Session, "talk": Talk, "paper": Paper, "person": Person}
    tasks = []
    for kind, model in models.items():
        objects = model.objects.order_by("pk")
        if missing_only:
            objects = objects.exclude(
                pk__in=SearchDocument.objects.filter(kind=kind).values("object_id")
            )
        ids = list(objects.values_list("pk", flat=True))
        tasks += [
            (kind, ids[start : start + INDEX_BATCH]) for start in range(0, len(ids), INDEX_BATCH)
        ]
    if connection.vendor != "postgresql":
        workers = 1  # one writer at a time
    workers = workers or os.cpu_count() or 1
    started = time.monotonic()
    done = {kind: 0 for kind in models}
    if workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        connections.close_all()  # each process opens its own
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            for number, (kind, count) in enumerate(pool.map(_index_batch, tasks), 1):
                done[kind] += count
                if number % 25 == 0:
                    out(f"  {sum(done.values())} rows at {time.monotonic() - started:.0f} s")
    else:
        for task in tasks:
            kind, count = _index_batch(task)
            done[kind] += count
    out("  indexed " + ", ".join(f"{n} {kind}" for kind, n in done.items()))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _index_batch(task: tuple[str, list[int]]) -> tuple[str, int]:
    from django.db import transaction

    from search import sync

    kind, ids = task
    with transaction.atomic():
        sync.write(kind, ids)
    return kind, len(ids)


def index_size() -> str:
    """The search table and its indexes on disk (PostgreSQL), or the SQLite file's pages."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_size_pretty(pg_total_relation_size(%s)),"
                " pg_size_pretty(pg_relation_size(%s)),"
                " pg_size_pretty(SUM(pg_relation_size(i.indexrelid)))"
                " FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
                " JOIN pg_am a ON a.oid = c.relam"
                " WHERE i.indrelid = %s::regclass AND a.amname IN ('gin', 'rum')",
                ["search_searchdocument"] * 3,
            )
            total, table, gin = cursor.fetchone()
            return f"{total} (table {table}; with TOAST and indexes; full-text indexes {gin})"
        cursor.execute(
            "SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'search_%'"
            if _has_dbstat(cursor)
            else "SELECT 0"
        )
        (size,) = cursor.fetchone()
        return f"{(size or 0) / 2**20:.0f} MB (search tables)" if size else "n/a"


def _has_dbstat(cursor) -> bool:
    try:
        cursor.execute("SELECT 1 FROM dbstat LIMIT 1")
    except Exception:
        return False
    return True


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--talks", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--finish-index",
        action="store_true",
        help="only write the search rows missing from an archive already generated",
    )
    arguments = parser.parse_args()
    if arguments.finish_index:
        import django

        django.setup()
        started = time.monotonic()
        index(missing_only=True)
        print(f"index finished in {time.monotonic() - started:.0f} s, {index_size()}")
    else:
        run(arguments.talks, arguments.seed)
