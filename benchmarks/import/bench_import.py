"""Import benchmark: the handbook, and synthetic documents of 3,000 and 30,000 links.

Run from the project root:  .venv/bin/python benchmarks/import/bench_import.py
Each case imports into a fresh SQLite file (and, with --postgres URL, a fresh
PostgreSQL database on that server, side by side) and reports wall time and links
per second. benchmarks/database covers the other commands and 100,000 links. The handbook is
read from ../shared/fixtures; synthetic documents are generated in a temp dir.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from tracker.config import load_settings
from tracker.db.session import open_database
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--postgres", metavar="URL",
                        help="also import into fresh databases on this PostgreSQL server")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        cases = [("handbook", HANDBOOK),
                 ("synthetic-3000", synthetic(base / "s3k", 3000)),
                 ("synthetic-30000", synthetic(base / "s30k", 30000))]
        print(f"{'case':18} {'links':>7} {'best s':>8} {'median s':>9} {'links/s':>9}")
        for label, path in cases:
            urls = [("sqlite", f"sqlite:///{base}/{{label}}-{{i}}.db")]
            if args.postgres:
                urls.append(("postgresql", args.postgres))
            for db_name, url in urls:
                r = run_case(label, path, url, args.repeats)
                print(f"{label:18} {r['links']:>7.0f} {r['best_s']:>8.3f} {r['median_s']:>9.3f} "
                      f"{r['links_per_s']:>9.0f}  {db_name}")
                sys.stdout.flush()


if __name__ == "__main__":
    main()
