"""``tracker eval queue``: a git repository made here replayed against a folder of dated feeds."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.conftest import CLI

V1 = """Welcome: a roadmap for learning how language models work.

# Part one: text

## Tokenization

Byte pair encoding (BPE) merges frequent byte pairs into subword tokens; see
[SentencePiece](https://github.com/google/sentencepiece).

## Scaling Laws

Loss falls as a power law in parameters, data and compute; compute-optimal training
(Chinchilla) balances model size and tokens, see [scaling laws](https://example.org/scaling).

# Part two: images

## Diffusion Models

Diffusion models learn to denoise images step by step with score matching, see
[this post](https://example.org/diffusion).
"""
# the maintainers later add a BPE paper to Tokenization and a post to Diffusion Models
V2 = V1.replace("see\n[SentencePiece]", "see [BPE](https://arxiv.org/abs/1508.07909) and\n[SentencePiece]").replace(
    "see\n[this post]", "see [a denoising post](https://blog.example/denoising-steps) and\n[this post]")


def _commit(repo: Path, text: str, when: str, message: str) -> None:
    (repo / "guide.md").write_text(text, encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_NAME": "m",
           "GIT_AUTHOR_EMAIL": "m@example.org", "GIT_COMMITTER_NAME": "m", "GIT_COMMITTER_EMAIL": "m@example.org"}
    subprocess.run(["git", "add", "guide.md"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-q", "-m", message], cwd=repo, check=True, env=env)


def _rss(items: list[tuple[str, str, str]]) -> str:
    body = "".join(f"<item><title>{t}</title><link>{u}</link><guid>{u}</guid><description>{d}</description>"
                   f"<pubDate>Tue, 13 Jan 2026 10:00:00 +0000</pubDate></item>" for t, u, d in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>f</title>{body}</channel></rss>'


def test_eval_queue_on_a_git_history_and_dated_feeds(run: CLI, tmp_path: Path) -> None:
    repo = tmp_path / "doc"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    _commit(repo, V1, "2026-01-01T10:00:00Z", "first")
    _commit(repo, V2, "2026-01-28T10:00:00Z", "add BPE and a denoising post")
    feeds = tmp_path / "feeds"
    feeds.mkdir()
    (feeds / "2026-01-13_arxiv-listing.xml").write_text(_rss([
        ("Neural Machine Translation of Rare Words with Subword Units", "https://arxiv.org/abs/1508.07909v5",
         "Byte pair encoding merges frequent byte pairs into subword units for rare words."),
        ("Lunar lander photographs", "https://arxiv.org/abs/2601.00002", "Astronauts photograph the Moon."),
    ] + [(f"Compute-optimal scaling laws, part {n}", f"https://arxiv.org/abs/2601.1{n:04d}",
          "Loss falls as a power law in parameters and compute; Chinchilla balances model size and tokens.")
         for n in range(4)]), encoding="utf-8")
    (feeds / "2026-01-14_blog.xml").write_text(_rss([
        ("Denoising step by step", "https://blog.example/denoising-steps",
         "Diffusion models denoise images step by step with score matching."),
    ]), encoding="utf-8")
    (feeds / "2026-01-20_blog.xml").write_text(_rss([
        ("More on score matching for images", "https://blog.example/score-matching",
         "Score matching trains diffusion models that denoise images."),
    ]), encoding="utf-8")
    (feeds / "README.txt").write_text("not a feed", encoding="utf-8")
    env = {"TRACKER_CANDIDATES__PER_TOPIC_BUDGET": "2"}
    result = run("eval", "queue", str(repo), str(feeds), "--format", "json", env=env)
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [(w["week"], w["items"]) for w in data["weeks"]] == [("2026-W03", 7), ("2026-W04", 1)]
    # two scaling-law papers wait beyond the chapter's budget of 2; unreviewed ones compete again
    assert [(w["queued"], w["held_back"]) for w in data["weeks"]] == [(4, 2), (5, 2)]
    assert data["queue_size"] == {"min": 4, "max": 5, "mean": 4.5}
    assert data["added_in_stream"] == 2 and data["in_queue"] == 2
    assert data["recall_within_budget"] == 1.0 and data["chapter_accuracy"] == 1.0
    assert {(x["topic"], x["queued_in"]) for x in data["links"]} == {("tokenization", "2026-W03"),
                                                                     ("diffusion-models", "2026-W03")}
    text = run("eval", "queue", str(repo), str(feeds), env=env)
    assert "recall within budget 1.000" in text.stdout and "2026-W03" in text.stdout
    bad = run("eval", "queue", str(repo), str(tmp_path / "nope"))
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: ") and bad.stdout == ""
