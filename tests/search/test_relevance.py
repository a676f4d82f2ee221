"""Relevance: what people type, and the result they mean, which must be in the top 3.

Over the demo archive (manage.py load_demo) and, when present, the real NICE archive
in ../shared/examples. Each case is (query, kind, expected title)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command

from search.models import SearchDocument
from search.query import search

pytestmark = pytest.mark.django_db

DEMO_CASES = [
    ("attention is all you need", "talk", "Attention Is All You Need"),
    ("attention", "paper", "Attention Is All You Need"),
    ("Transformer 基础", "session", "Transformer 基础回顾"),
    ("RLHF", "session", "大模型对齐：从 RLHF 到 DPO"),
    ("DPO", "talk", "Direct Preference Optimization"),
    ("direct preference", "talk", "Direct Preference Optimization"),
    ("对齐", "session", "大模型对齐：从 RLHF 到 DPO"),
    ("旋转位置编码", "talk", "RoPE：旋转位置编码"),
    ("rope", "talk", "RoPE：旋转位置编码"),
    ("flashattention", "talk", "FlashAttention: IO-aware exact attention"),
    ("CLIP", "talk", "CLIP：图文对比预训练"),
    ("图文对比", "talk", "CLIP：图文对比预训练"),
    ("Flamingo", "talk", "Flamingo"),
    ("Q-Former", "talk", "BLIP-2：Q-Former 连接冻结的视觉编码器与语言模型"),
    ("视觉指令微调", "talk", "LLaVA：视觉指令微调"),
    ("llava", "talk", "LLaVA：视觉指令微调"),
    ("多模态 幻觉", "session", "视觉语言模型的幻觉"),
    ("object hallucination", "talk", "POPE: evaluating object hallucination"),
    ("幻觉纠正", "talk", "Woodpecker：免训练的幻觉纠正"),
    ("思维链", "session", "推理与思维链"),
    ("chain of thought", "talk", "Chain-of-Thought Prompting"),
    ("self-consistency", "talk", "Self-Consistency：多条推理路径投票"),
    ("tree of thoughts", "talk", "Tree of Thoughts"),
    ("扩散模型", "session", "扩散模型：从 DDPM 到 DiT"),
    ("DDPM", "talk", "DDPM"),
    ("stable diffusion", "talk", "Latent Diffusion / Stable Diffusion"),
    ("vllm", "talk", "vLLM 与 PagedAttention"),
    ("PagedAttention", "talk", "vLLM 与 PagedAttention"),
    ("speculative", "talk", "Speculative decoding"),
    ("高效推理", "session", "高效推理与服务"),
    ("scaling laws", "session", "Scaling laws"),
    ("chinchilla", "talk", "Chinchilla：算力最优的训练"),
    ("智能体", "session", "智能体与工具使用"),
    ("toolformer", "talk", "Toolformer"),
    ("ReAct", "talk", "ReAct"),
    ("GRPO", "talk", "GRPO：去掉价值网络的 PPO"),
    ("deepseek r1", "talk", "DeepSeek-R1"),
    ("verify step by step", "talk", "Let's Verify Step by Step"),
    ("ResNet", "talk", "ResNet 十年"),
    ("ViT", "talk", "ViT: an image is worth 16×16 words"),
    ("segment anything", "talk", "Segment Anything"),
    ("mamba", "talk", "Mamba"),
    ("混合专家", "session", "状态空间模型与混合专家"),
    ("mixtral", "talk", "Mixtral 8x7B"),
    ("Qwen2-VL", "talk", "Qwen2-VL"),
    ("InternVL", "talk", "InternVL：把视觉编码器放大到 6B"),
    ("检索增强", "talk", "RAG：检索增强生成"),
    ("LLM-as-a-judge", "talk", "LLM-as-a-judge"),
    ("Tomas", "person", "Tomás Ferreira"),
    ("tomás ferreira", "person", "Tomás Ferreira"),
    ("陈思远", "person", "陈思远"),
    ("思远", "person", "陈思远"),
    ("Maya", "person", "Maya Lindqvist"),
    ("Pree", "person", "Priya (Pree) Raman"),
    ("黄一舟", "talk", "RAG：检索增强生成"),
    ("1706.03762", "paper", "Attention Is All You Need"),
    ("2305.18290v3", "talk", "Direct Preference Optimization"),
    ("SOSP 2023", "talk", "vLLM 与 PagedAttention"),
    ("ICLR2023", "talk", "ReAct"),
    ("EMNLP", "talk", "POPE: evaluating object hallucination"),
]


def top3(query: str, kind: str) -> list[str]:
    ids = [hit.object_id for hit in search(query, [kind]).ranked(kind)[:3]]
    titles = dict(
        SearchDocument.objects.filter(kind=kind, object_id__in=ids).values_list(
            "object_id", "title"
        )
    )
    return [titles[pk] for pk in ids]


def test_there_are_at_least_forty_cases():
    assert len(DEMO_CASES) >= 40


def test_the_demo_archive_answers_what_people_type(demo):
    # One test for all cases: the demo loads once (about 3 s each time, twice per CI run).
    missed = [
        (query, kind, expected, top3(query, kind))
        for query, kind, expected in DEMO_CASES
        if expected not in top3(query, kind)
    ]
    assert missed == []


EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "examples" / "nice-archive"


@pytest.mark.skipif(not EXAMPLES.exists(), reason="../shared/examples is not here")
def test_the_real_archive_finds_each_talk_by_its_title():
    """Every talk of the real NICE archive is in the top 3 when its title is typed."""
    from sessions.models import Talk

    call_command("import_archive", str(EXAMPLES), verbosity=0)
    talks = list(Talk.objects.public().order_by("pk").values_list("title", flat=True))
    assert len(talks) > 20
    missed = [title for title in talks if title not in top3(title, "talk")]
    assert missed == []
