"""A stand-in internet for the demo: one threaded HTTP server per loopback address.

Hosts (all on one port): ``127.0.0.1`` the "services" host (feeds, arXiv API,
YouTube feeds, Wayback API), ``127.0.0.2`` a blog whose pages live, change, die
(404/410), move (301) or sit behind a bot challenge (403), ``127.0.0.3`` a site that answers "page not found" with
a 200 for every path (soft 404s), ``127.0.0.4`` a host where nothing listens
(connection refused). ``phase`` (1, 2, 3) advances the world between weekly runs.
Does not talk to the real internet: it only listens on loopback.
"""

from __future__ import annotations

import html
import json
import socket
import threading
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = ["DemoInternet", "SERVICES", "BLOG", "SOFT404", "NOWHERE"]

SERVICES, BLOG, SOFT404, NOWHERE = "127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"

_PARAGRAPH = ("This page explains {topic} with worked examples, small diagrams and short code listings. "
              "It starts from first principles, builds intuition for why {topic} matters, and ends with "
              "a list of exercises for readers who want to go further.")

BLOG_PAGES: dict[str, str] = {
    "/posts/tokenizers-from-scratch": "Tokenizers from scratch",
    "/posts/attention-by-hand": "Attention, computed by hand",
    "/posts/positional-encodings": "A tour of positional encodings",
    "/posts/lora-in-practice": "LoRA in practice",
    "/posts/kv-cache-explained": "The KV cache, explained",
    "/posts/speculative-decoding": "Speculative decoding in ten minutes",
    "/posts/evals-that-matter": "Evaluations that matter",
    "/posts/diffusion-intuition": "An intuition for diffusion models",
    "/posts/rag-patterns": "Retrieval-augmented generation patterns",
    "/posts/quantization-notes": "Notes on 4-bit quantization",
}
GONE = "/posts/old-benchmark-roundup"  # 404 from the start: confirmed dead after a week
REMOVED = "/posts/withdrawn-draft"  # 410 from the start
MOVED_FROM, MOVED_TO = "/2023/07/scaling-laws", "/posts/scaling-laws-revisited"
DIES_LATER = "/posts/agents-overview"  # alive in phase 1, 404 from phase 2: failing, not yet dead
CHANGES = "/posts/evals-that-matter"  # its content changes in phase 2 (a new version)
BLOCKED = "/members/benchmark-writeup"  # 403 with a bot challenge: blocked, never dead

FEED_POSTS = [
    ("/posts/mixture-of-experts-routing", "Routing tokens in mixture-of-experts models",
     "How expert routing, load balancing losses and capacity factors shape sparse transformer training."),
    ("/posts/flash-attention-tiling", "FlashAttention tiling, step by step",
     "Why tiling attention into SRAM-sized blocks speeds up transformers and saves memory."),
    ("/posts/reward-models", "What reward models learn in RLHF",
     "Preference data, Bradley-Terry reward models and their failure modes during RLHF fine-tuning."),
    ("/posts/state-space-models", "State space models for long sequences",
     "From S4 to Mamba: selective state space models as an alternative to quadratic attention."),
]
ARXIV_PAPERS = [
    ("2611.00123", 1, "Faster Speculative Decoding with Draft Trees",
     "We propose tree-structured drafts for speculative decoding that raise acceptance rates of the "
     "target model and cut inference latency for large language models."),
    ("2611.00456", 1, "Low-Rank Adapters Revisited",
     "A study of LoRA rank, scaling and initialisation for parameter-efficient fine-tuning of LLMs."),
    ("2611.00789", 2, "Soft Tokens for Image Generation",
     "Vector-quantized image tokenizers for diffusion and autoregressive image generation models."),
]
VIDEOS = [
    ("dEmOvIdEo01", "Building a tokenizer live", "We write a byte-pair encoding tokenizer step by step."),
    ("dEmOvIdEo02", "KV caching and paged attention", "How inference servers manage the key-value cache."),
]


def _page(title: str, body: str) -> bytes:
    return (f"<!doctype html><html><head><title>{html.escape(title)}</title></head><body>"
            f"<h1>{html.escape(title)}</h1><p>{html.escape(body)}</p>"
            f"<p>{html.escape(body)}</p></body></html>").encode()


class _State:
    def __init__(self, port: int, start: datetime) -> None:
        self.port = port
        self.phase = 1
        self.start = start
        self.requests = 0
        self.lock = threading.Lock()

    def url(self, host: str, path: str) -> str:
        return f"http://{host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
    server_version = "DemoInternet/1.0"
    state: _State

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        return

    def _send(self, status: int, body: bytes = b"", ctype: str = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        with self.state.lock:
            self.state.requests += 1
        host = str(self.server.server_address[0])  # type: ignore[index]
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if host == SOFT404:
            self._send(200, _page("Page not found", "Sorry, we could not find that page. Try the search box."))
        elif host == BLOG:
            self._blog(parts.path)
        else:
            self._services(parts.path, query)

    # -- the blog ------------------------------------------------------
    def _blog(self, path: str) -> None:
        st = self.state
        if path in (GONE,):
            self._send(404, _page("404 Not Found", "Nothing here."))
        elif path == REMOVED:
            self._send(410, _page("410 Gone", "This post was withdrawn."))
        elif path == MOVED_FROM:
            self._send(301, b"", headers={"Location": st.url(BLOG, MOVED_TO)})
        elif path == MOVED_TO:
            self._send(200, _page("Scaling laws, revisited", _PARAGRAPH.format(topic="scaling laws")))
        elif path == BLOCKED:
            self._send(403, _page("Just a moment...", "Checking your browser before accessing the site. "
                                  "Enable JavaScript and cookies to continue."))
        elif path == DIES_LATER:
            if st.phase == 1:
                self._send(200, _page("An overview of LLM agents", _PARAGRAPH.format(topic="tool-using agents")))
            else:
                self._send(404, _page("404 Not Found", "Nothing here."))
        elif path in BLOG_PAGES:
            title = BLOG_PAGES[path]
            body = _PARAGRAPH.format(topic=title.lower())
            if path == CHANGES and st.phase >= 2:
                title, body = title + " (2nd edition)", body + " Updated with new benchmarks and a section on contamination."
            self._send(200, _page(title, body))
        elif any(path == p for p, _, _ in FEED_POSTS):
            title = next(t for p, t, _ in FEED_POSTS if p == path)
            self._send(200, _page(title, _PARAGRAPH.format(topic=title.lower())))
        elif path == "/":
            self._send(200, _page("Demo blog", "Posts about language models."))
        else:
            self._send(404, _page("404 Not Found", "Nothing here."))

    # -- feeds and APIs --------------------------------------------------
    def _services(self, path: str, query: dict[str, str]) -> None:
        st = self.state
        if path == "/feeds/blog.xml":
            self._send(200, self._rss(), "application/rss+xml; charset=utf-8")
        elif path == "/arxiv/api/query":
            self._send(200, self._arxiv(), "application/atom+xml; charset=utf-8")
        elif path == "/youtube/feeds/videos.xml":
            self._send(200, self._youtube(query.get("channel_id", "UCdemo")), "application/atom+xml")
        elif path == "/wayback/available":
            url = query.get("url", "")
            stamp = (st.start - timedelta(days=200)).strftime("%Y%m%d%H%M%S")
            snapshot = {"available": True, "status": "200", "timestamp": stamp,
                        "url": st.url(SERVICES, f"/web/{stamp}/{url}")}
            self._send(200, json.dumps({"url": url, "archived_snapshots": {"closest": snapshot}}).encode(),
                       "application/json")
        elif path.startswith("/web/"):
            self._send(200, _page("Archived copy", "An archived copy of a page, served by the demo."))
        else:
            self._send(404, _page("404 Not Found", "Nothing here."))

    def _rss(self) -> bytes:
        st = self.state
        count = 2 + st.phase  # one more post each phase
        items = []
        for i, (path, title, summary) in enumerate(FEED_POSTS[:count]):
            date = format_datetime(st.start - timedelta(days=10 - 3 * i + 0.0))
            items.append(f"<item><title>{html.escape(title)}</title><link>{st.url(BLOG, path)}</link>"
                         f"<guid>{st.url(BLOG, path)}</guid><pubDate>{date}</pubDate>"
                         f"<description>{html.escape(summary)}</description></item>")
        return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Demo blog</title>'
                f"<link>{st.url(BLOG, '/')}</link><description>Posts about language models</description>"
                f"{''.join(items)}</channel></rss>").encode()

    def _arxiv(self) -> bytes:
        st = self.state
        entries = []
        for aid, version, title, summary in ARXIV_PAPERS:
            v = version + (1 if st.phase >= 2 and aid == ARXIV_PAPERS[0][0] else 0)
            date = (st.start - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
            entries.append(
                f"<entry><id>http://arxiv.org/abs/{aid}v{v}</id><updated>{date}</updated>"
                f"<published>{date}</published><title>{html.escape(title)}</title>"
                f"<summary>{html.escape(summary)}</summary><author><name>A. Researcher</name></author>"
                f'<link href="http://arxiv.org/abs/{aid}v{v}" rel="alternate" type="text/html"/>'
                f'<arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.CL"/>'
                f'<category term="cs.CL"/></entry>')
        return ('<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
                'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
                'xmlns:arxiv="http://arxiv.org/schemas/atom"><title>arXiv Query</title>'
                f"<id>http://arxiv.org/api/demo</id><updated>{st.start:%Y-%m-%dT%H:%M:%SZ}</updated>"
                f"<opensearch:totalResults>{len(entries)}</opensearch:totalResults>"
                + "".join(entries) + "</feed>").encode()

    def _youtube(self, channel: str) -> bytes:
        st = self.state
        entries = []
        for vid, title, text in VIDEOS:
            date = (st.start - timedelta(days=4)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
            entries.append(
                f"<entry><id>yt:video:{vid}</id><yt:videoId>{vid}</yt:videoId>"
                f"<yt:channelId>{channel}</yt:channelId><title>{html.escape(title)}</title>"
                f'<link rel="alternate" href="https://www.youtube.com/watch?v={vid}"/>'
                f"<author><name>Demo Channel</name></author><published>{date}</published>"
                f"<updated>{date}</updated><media:group><media:title>{html.escape(title)}</media:title>"
                f"<media:description>{html.escape(text)}</media:description></media:group></entry>")
        return ('<?xml version="1.0" encoding="UTF-8"?><feed xmlns:yt="http://www.youtube.com/xml/schemas/2015" '
                'xmlns:media="http://search.yahoo.com/mrss/" xmlns="http://www.w3.org/2005/Atom">'
                f"<title>Demo Channel</title><yt:channelId>{channel}</yt:channelId>"
                + "".join(entries) + "</feed>").encode()


class DemoInternet:
    """Start/stop the stand-in internet; ``url(host, path)`` builds links to it."""

    def __init__(self, start: datetime | None = None) -> None:
        self.start_time = start or datetime(2026, 11, 2, 9, tzinfo=timezone.utc)
        self.port = self._free_port()
        self.state = _State(self.port, self.start_time)
        handler = type("Handler", (_Handler,), {"state": self.state})
        self._servers = [ThreadingHTTPServer((host, self.port), handler) for host in (SERVICES, BLOG, SOFT404)]
        for server in self._servers:
            # a wake-up with no connection left to accept (another holder of the socket took it)
            # must not block the server thread in accept(): shutdown() would wait for it for ever
            server.socket.setblocking(False)
        self._threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in self._servers]

    @staticmethod
    def _free_port() -> int:
        for _ in range(50):
            with socket.socket() as probe:
                probe.bind((SERVICES, 0))
                port = int(probe.getsockname()[1])
            try:  # the same port must be free on every demo host
                for host in (BLOG, SOFT404, NOWHERE):
                    with socket.socket() as other:
                        other.bind((host, port))
                return port
            except OSError:
                continue
        raise OSError("no free port on the loopback addresses 127.0.0.1-4")

    def url(self, host: str, path: str) -> str:
        return self.state.url(host, path)

    @property
    def phase(self) -> int:
        return self.state.phase

    @phase.setter
    def phase(self, value: int) -> None:
        self.state.phase = value

    def __enter__(self) -> DemoInternet:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
