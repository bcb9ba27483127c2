"""The demo's living document: a small handbook-layout guide written for the demo.

``write_sample(folder, internet)`` writes ``index.md`` and ``_includes/*.md`` whose
links point at the stand-in internet, so every kind of link health shows up.
Does not import it: the demo service does.
"""

from __future__ import annotations

from pathlib import Path

from tracker.demo.site import BLOCKED, BLOG, DIES_LATER, GONE, MOVED_FROM, NOWHERE, REMOVED, SOFT404, DemoInternet

__all__ = ["write_sample"]

INDEX = """---
layout: default
title: A Small Field Guide to Language Models
---

A short guide written for the tracker demo. Its links point at a local stand-in for the internet.

<div class="section" id="section1">
  <h1 id="s1">Section I: Building Blocks</h1>
  <div class="section-summary"><b>Goal:</b> Understand tokens, attention and positions, the parts every language model shares.</div>
  <div class="section-content" markdown="1">
    {% include section1.md %}
  </div>
</div>

<div class="section" id="section2">
  <h1 id="s2">Section II: Training and Serving</h1>
  <div class="section-summary"><b>Goal:</b> See how models are adapted, evaluated and served efficiently.</div>
  <div class="section-content" markdown="1">
    {% include section2.md %}
  </div>
</div>
"""

SECTION1 = """
<h2>Tokenization</h2>

Models read text as tokens. Subword tokenizers such as byte-pair encoding (BPE) and SentencePiece
split rare words into pieces and keep common words whole; images and audio get tokens of their own.
Start with [Tokenizers from scratch]({tok}), which builds a byte-pair encoding tokenizer from nothing,
and skim the [old benchmark roundup]({gone}) for how vocabularies compare.

<h2>Attention</h2>

Self-attention lets every token look at every other token: queries, keys and values, a softmax over
scores, and several heads in parallel. Its cost grows with the square of the sequence length, which is
why fused kernels such as FlashAttention (attention computed in tiles that fit in fast on-chip
memory) and sparse or linear variants of attention exist. [Attention, computed by hand]({att})
walks through one head with small matrices. This [guide to attention]({soft}) used to be a good companion.

<h2>Positional Encoding</h2>

Transformers need positions added to their inputs: sinusoidal encodings, learned embeddings and rotary
embeddings (RoPE), and the tricks that stretch them to long contexts. See [a tour of positional
encodings]({pos}) and the [scaling laws post]({moved}) for how context length interacts with model size.
"""

SECTION2 = """
<h2>Fine-Tuning with Adapters</h2>

Low-rank adapters make fine-tuning cheap: freeze the pretrained weights and train small rank
decompositions instead. Instruction tuning, preference tuning and RLHF with a reward model build on the
same idea of adapting a pretrained model. [LoRA in practice]({lora}) covers rank and scaling choices;
the [withdrawn draft]({removed}) on adapter merging is no longer available.

<h2>Evaluation</h2>

Benchmarks only help when they measure what you need, and only while they are not in the training
data. Evaluating agents that plan and call tools is harder still. Read [Evaluations that matter]({evals})
and this [overview of LLM agents]({agents}) for agent benchmarks; the [members-only writeup]({blocked})
compares agent harnesses.

<h2>Efficient Inference</h2>

Serving is about memory. Caching keys and values, paging that cache, drafting tokens with a small model
and verifying them with the large one, and quantizing weights to 4 or 8 bits all cut latency and cost.
[The KV cache, explained]({kv}) and [speculative decoding in ten minutes]({spec}) cover the two biggest
wins; [notes on 4-bit quantization]({quant}) and a [mirror of the notes]({nowhere}) cover weights.
"""


def write_sample(folder: Path, internet: DemoInternet) -> Path:
    """Write the demo document into ``folder`` (created) and return it."""
    u = internet.url
    links = dict(
        tok=u(BLOG, "/posts/tokenizers-from-scratch"), gone=u(BLOG, GONE),
        att=u(BLOG, "/posts/attention-by-hand"), soft=u(SOFT404, "/guides/attention"),
        pos=u(BLOG, "/posts/positional-encodings"), moved=u(BLOG, MOVED_FROM),
        lora=u(BLOG, "/posts/lora-in-practice"), removed=u(BLOG, REMOVED),
        evals=u(BLOG, "/posts/evals-that-matter"), agents=u(BLOG, DIES_LATER), blocked=u(BLOG, BLOCKED),
        kv=u(BLOG, "/posts/kv-cache-explained"), spec=u(BLOG, "/posts/speculative-decoding"),
        quant=u(BLOG, "/posts/quantization-notes"), nowhere=u(NOWHERE, "/mirror/quantization-notes"),
    )
    (folder / "_includes").mkdir(parents=True, exist_ok=True)
    (folder / "index.md").write_text(INDEX, encoding="utf-8")
    (folder / "_includes" / "section1.md").write_text(SECTION1.format(**links), encoding="utf-8")
    (folder / "_includes" / "section2.md").write_text(SECTION2.format(**links), encoding="utf-8")
    return folder
