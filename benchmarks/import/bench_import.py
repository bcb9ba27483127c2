"""Import benchmark: the handbook, synthetic documents of 3,000 and 30,000 links, and
pathological Markdown (one paragraph of 8,000 links, 10,000 nested brackets).

Run from the project root:  .venv/bin/python benchmarks/import/bench_import.py
Options: --repeats N (default 3); --scenario all|sizes|pathological (default all).
Each import goes into a fresh SQLite file and reports wall time and links per
second; the pathological cases also report the parse alone (``parse_document``,
no database) with its CPU time, which a loaded machine disturbs less than wall
time. The handbook is read from ../shared/fixtures; synthetic documents are
generated in a temp dir. The machine's load average (``os.getloadavg``) is printed
before and after, since the development machine is shared.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tracker.config import load_settings
from tracker.db.session import open_database
from tracker.document.structure import parse_document
from tracker.services.import_ import import_document

ROOT = Path(__file__).resolve().parents[2]
HANDBOOK = ROOT.parent / "shared" / "fixtures" / "genai-handbook" / "2026-02-02_a7c5287"
WORDS = ("attention transformer token gradient diffusion sampling decoding retrieval agent scaling "
         "quantization kernel memory cache context window adapter reward preference evaluation").split()


def synthetic(folder: Path, links: int, per_chapter: int = 6, chapters_per_section: int = 10) -> Path:
    """A handbook-layout document with ``links`` links (a mix of hosts, arXiv and YouTube forms)."""
    rng = random.Random(links)
    includes, section_files = [], {}
    chapters = max(1, links // per_chapter)
    sections = max(1, chapters // chapters_per_section)
    n = 0
    for s in range(sections):
        lines = [f"Intro to section {s}.\n"]
        for c in range(chapters_per_section):
            lines.append(f"<h2>Chapter {s}.{c} {rng.choice(WORDS).title()}</h2>\n")
            sentences = []
            for _ in range(per_chapter):
                if n >= links:
                    break
                kind = n % 5
                if kind == 0:
                    url = f"https://arxiv.org/abs/{2300 + n % 100}.{n:05d}v{1 + n % 3}"
                elif kind == 1:
                    url = f"https://youtu.be/{n:011d}"[:31] + f"?si=x{n}"
                else:
                    url = f"https://blog{n % 97}.example.org/posts/{rng.choice(WORDS)}-{n}?utm_source=x"
                sentences.append(f"See this [{rng.choice(WORDS)} post]({url}) on {rng.choice(WORDS)} "
                                 f"and {rng.choice(WORDS)}.")
                n += 1
            lines.append(" ".join(sentences) + "\n")
        name = f"section{s}.md"
        section_files[name] = "\n".join(lines)
        includes.append(f'<div class="section">\n<h1>Section {s}</h1>\n<div class="section-summary">'
                        f'<b>Goal:</b> Learn {rng.choice(WORDS)}.</div>\n'
                        f'<div markdown="1">\n{{% include {name} %}}\n</div>\n</div>\n')
    (folder / "_includes").mkdir(parents=True)
    for name, text in section_files.items():
        (folder / "_includes" / name).write_text(text)
    (folder / "index.md").write_text("---\nlayout: default\n---\n\n" + "\n".join(includes))
    return folder


def fresh_postgres(admin_url: str, name: str) -> str:
    """A new, empty PostgreSQL database ``name`` on the server of ``admin_url``; returns its URL."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(admin_url).set(drivername="postgresql+psycopg")
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def run_case(label: str, path: Path, url: str, repeats: int) -> dict[str, float]:
    times, links = [], 0
    for i in range(repeats):
        db_url = url.format(i=i, label=label)
        if db_url.startswith("postgresql"):
            db_url = fresh_postgres(db_url, f"bench_import_{label}_{i}".replace("-", "_"))
        settings = load_settings(env={}, overrides={"database_url": db_url})
        db = open_database(db_url)
        start = time.perf_counter()
        [result] = import_document(db, path, settings)
        times.append(time.perf_counter() - start)
        links = result.links
        db.dispose()
    best = min(times)
    return {"links": links, "best_s": best, "median_s": statistics.median(times), "links_per_s": links / best}


def pathological(folder: Path) -> list[tuple[str, Path, str]]:
    """(label, folder, what the parse-only timing should read) for each pathological case."""
    cases = {
        # one sentence, no full stop: the worst case for sentence context (was quadratic)
        "paragraph-8000-links": "# Links\n\n" + " ".join(
            f"[item {i}](https://e{i % 97}.example.org/p/{i}) and" for i in range(8000)) + "\n",
        # "[[[…x](u)](u)…": one link and 9,999 bare URLs in one paragraph (was 75 s)
        "nested-links-10000": "# Nested\n\n" + "[" * 10000 + "x" + "](https://e.example.org/p)" * 10000 + "\n",
        "nested-brackets-10000": "# Brackets\n\n[a](https://e.example.org/a)\n\n"
                                 + "[" * 10000 + "]" * 10000 + "\n",
        # HTML block of openers never closed: the stdlib HTMLParser rescans for each one
        "html-openers-10000": "# HTML\n\n[a](https://e.example.org/a)\n\n<div>\n"
                              + "<a" * 10000 + "<!--x>" * 10000 + "\n",
    }
    out = []
    for label, text in cases.items():
        (folder / label).mkdir(parents=True)
        (folder / label / "README.md").write_text(text)
        out.append((label, folder / label, text))
    return out


def time_parse(text: str, repeats: int) -> dict[str, float]:
    walls, cpus, links = [], [], 0
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        parsed = parse_document({"README.md": text})
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        links = len(parsed.links)
    return {"links": links, "best_s": min(walls), "median_s": statistics.median(walls), "cpu_s": min(cpus)}


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scenario", choices=("all", "sizes", "pathological"), default="all")
    args = parser.parse_args()
    print(f"load average before: {load()}  (cores: {os.cpu_count()})")
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        url = f"sqlite:///{base}/{{label}}-{{i}}.db"
        if args.scenario in ("all", "sizes"):
            cases = [("handbook", HANDBOOK),
                     ("synthetic-3000", synthetic(base / "s3k", 3000)),
                     ("synthetic-30000", synthetic(base / "s30k", 30000))]
            print(f"import            {'links':>7} {'best s':>8} {'median s':>9} {'links/s':>9}")
            for label, path in cases:
                r = run_case(label, path, url, args.repeats)
                print(f"{label:18} {r['links']:>7.0f} {r['best_s']:>8.3f} {r['median_s']:>9.3f} "
                      f"{r['links_per_s']:>9.0f}")
                sys.stdout.flush()
        if args.scenario in ("all", "pathological"):
            print(f"{'pathological':22} {'links':>6} {'parse s':>8} {'(median)':>8} {'parse cpu':>9} "
                  f"{'import s':>9} {'(median)':>8}")
            for label, path, text in pathological(base / "patho"):
                p = time_parse(text, args.repeats)
                r = run_case(label, path, url, args.repeats)
                print(f"{label:22} {p['links']:>6.0f} {p['best_s']:>8.3f} {p['median_s']:>8.3f} "
                      f"{p['cpu_s']:>9.3f} {r['best_s']:>9.3f} {r['median_s']:>8.3f}")
                sys.stdout.flush()
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
