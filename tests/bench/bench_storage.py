"""Storage benchmark: prints figures against the issue's goals (not a test; nothing here asserts).

    python tests/bench/bench_storage.py                 # the full size: 10,000 projects × 20 revisions
    python tests/bench/bench_storage.py --projects 1000 # a quicker look
    python tests/bench/bench_storage.py --json

Texts are the real essays of ../shared/datasets/aes-300 (or AES_DIR), so jieba, FTS5 and page
sizes see real Chinese. The big library is written with bulk SQL (setup, reported but not a goal);
everything measured goes through the app's own storage API.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from aes import load_essays  # noqa: E402

from writer_app.analysis.metrics import Analyzer  # noqa: E402
from writer_app.config import AppPaths  # noqa: E402
from writer_app.resources import resources_dir  # noqa: E402
from writer_app.storage.library import Library  # noqa: E402

QUERIES = ["坚持", "梦想", "母亲的爱", "成长 烦恼", "科技", "青春"]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def timed(fn, repeat: int) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def bench_autosave(root: Path, analyzer: Analyzer, essays: list[dict]) -> dict:
    """Typing: one autosave per pause; the text grows a few characters at a time."""
    paths = AppPaths(root, root)
    out = {}
    for label, every in (("coalesced", None), ("revision_each_call", 0.0)):
        with Library.open(paths, analyzer) as lib:
            store = lib.projects
            if every is not None:
                store.autosave_every_s = every
            pid = store.create(f"autosave {label}").id
            text = "".join(e["text"] for e in essays[:3])
            times = []
            for i in range(1, 1501):
                piece = text[: 400 + i * 2]
                t = time.perf_counter()
                store.autosave(pid, "answer", piece)
                times.append(time.perf_counter() - t)
            out[label] = {"calls": len(times), "p50_ms": ms(pct(times, 50)), "p99_ms": ms(pct(times, 99))}
            out[label]["revisions"] = len(store.revisions(pid, "answer"))
    return out


def build_library(root: Path, analyzer: Analyzer, essays: list[dict], projects: int, revisions: int) -> dict:
    rng = random.Random(1)
    paths = AppPaths(root, root)
    t0 = time.perf_counter()
    with Library.open(paths, analyzer, backup=False) as lib:
        conn = lib.database.conn
        start = time.time() - 365 * 86400
        for chunk in range(0, projects, 500):
            with lib.database.transaction():
                for n in range(chunk, min(projects, chunk + 500)):
                    e = essays[n % len(essays)]
                    answer = e["text"]
                    created = start + n * 365 * 86400 / projects
                    cur = conn.execute(
                        "INSERT INTO projects (uid, title, query_type, query, thought, answer, tags, created, updated)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        (
                            uuid.uuid4().hex,
                            f"{e['title']} ({n})",
                            rng.choice(["议论文", "记叙文", "散文"]),
                            f"以“{e['title']}”为题写一篇文章。",
                            "## 立意\n" + answer[:120] + "\n## 结构\n- 开头\n- 论证\n- 结尾\n",
                            answer,
                            json.dumps(
                                rng.sample(["高一", "高二", "高三", "练习", "考试"], 2), ensure_ascii=False
                            ),
                            created,
                            created + 3600,
                        ),
                    )
                    pid = cur.lastrowid
                    conn.executemany(
                        "INSERT INTO revisions (uid, project_id, field, text, kind, created) VALUES (?, ?, 'answer', ?, ?, ?)",
                        [
                            (
                                uuid.uuid4().hex,
                                pid,
                                answer[: max(1, len(answer) * (r + 1) // revisions)],
                                "autosave",
                                created + r * 60,
                            )
                            for r in range(revisions)
                        ],
                    )
        written = time.perf_counter() - t0
        t = time.perf_counter()
        indexed = lib.search.refresh()
        index_s = time.perf_counter() - t
    size = sum(p.stat().st_size for p in root.glob("writer.db*"))
    return {
        "projects": projects,
        "revisions": projects * revisions,
        "bulk_write_s": round(written, 1),
        "index_all_s": round(index_s, 1),
        "indexed": indexed,
        "db_mb": round(size / 1e6, 1),
    }


def bench_library(root: Path, analyzer: Analyzer) -> dict:
    paths = AppPaths(root, root)
    opens = []
    for _ in range(5):
        t = time.perf_counter()
        lib = Library.open(paths, analyzer, backup=False)
        opens.append(time.perf_counter() - t)
        lib.close()
    out: dict = {"open_ms": {"median": ms(statistics.median(opens)), "max": ms(max(opens))}}
    with Library.open(paths, analyzer, backup=False) as lib:
        lists = timed(lambda: lib.projects.list_projects(100), 30)
        out["list_100_ms"] = {"median": ms(statistics.median(lists)), "p99": ms(pct(lists, 99))}
        filtered = timed(lambda: lib.projects.list_projects(100, tag="高三", query_type="议论文"), 30)
        out["list_100_filtered_ms"] = {
            "median": ms(statistics.median(filtered)),
            "p99": ms(pct(filtered, 99)),
        }
        searches = []
        for q in QUERIES:
            searches += timed(lambda q=q: lib.search.search(q, limit=20), 5)
        out["search_ms"] = {
            "median": ms(statistics.median(searches)),
            "max": ms(max(searches)),
            "queries": QUERIES,
        }
        t = time.perf_counter()
        made = lib.database.backup("bench")
        out["backup_s"] = round(time.perf_counter() - t, 2)
        made.unlink()
    return out


def bench_import(root: Path, analyzer: Analyzer, essays: list[dict], records: int) -> dict:
    root.mkdir(parents=True, exist_ok=True)
    src = root / "coig.jsonl"
    texts = [e["text"] for e in essays]
    with src.open("w", encoding="utf-8") as fh:
        for i in range(records):
            answer = ""
            k = i
            while len(answer) < 2000:
                answer += texts[k % len(texts)]
                k += 7
            rec = {
                "id": f"bench-{i}",
                "query_type": "议论文",
                "query": f"以“{essays[i % len(essays)]['title']}”为题写一篇文章（{i}）",
                "thought": "## 立意\n" + answer[:150],
                "answer": answer[:2000],
                "score": "48分",
            }
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    chars = records * 2150
    out: dict = {"records": records, "chars": chars}
    # before and after in one run: the index segmented by jieba (as before), then by jieba-rs
    for name, fast in (("jieba", False), ("rjieba", True)):
        if not fast:
            analyzer.index_tokens = analyzer.tokens  # type: ignore[method-assign]
        home = root / f"import-home-{name}"
        with Library.open(AppPaths(home, home), analyzer, backup=False) as lib:
            t = time.perf_counter()
            report = lib.import_file(src)
            took = time.perf_counter() - t
        analyzer.__dict__.pop("index_tokens", None)
        out[name] = {"added": report.added, "seconds": round(took, 2)}
    out["seconds"] = out["rjieba"]["seconds"]
    out["added"] = out["rjieba"]["added"]
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--projects", type=int, default=10_000)
    ap.add_argument("--revisions", type=int, default=20)
    ap.add_argument("--records", type=int, default=1665)
    ap.add_argument("--dir", help="work folder (default: a temporary one, removed after)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only-import", action="store_true", help="only the COIG import (jieba, then rjieba)")
    args = ap.parse_args()
    root = Path(args.dir) if args.dir else Path(tempfile.mkdtemp(prefix="wc-bench-"))
    essays = load_essays()
    analyzer = Analyzer(resources_dir())
    t = time.perf_counter()
    analyzer.tokens("预热")
    figures: dict = {"jieba_load_s": round(time.perf_counter() - t, 2)}
    try:
        figures["import"] = bench_import(root / "import", analyzer, essays, args.records)
        if args.only_import:
            imp = figures["import"]
            print(f"import {imp['records']} records (~{imp['chars'] // 10000} 万字), indexed:")
            for name in ("jieba", "rjieba"):
                print(f"  segmented by {name:<7} {imp[name]['seconds']:>6} s ({imp[name]['added']} added)")
            return 0
        figures["autosave"] = bench_autosave(root / "autosave", analyzer, essays)
        figures["build"] = build_library(root / "big", analyzer, essays, args.projects, args.revisions)
        figures["library"] = bench_library(root / "big", analyzer)
    finally:
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
        return 0
    a, b, lib, imp = figures["autosave"], figures["build"], figures["library"], figures["import"]
    rows = [
        ("autosave p99 (typing, coalesced)", f"{a['coalesced']['p99_ms']} ms", "≤ 5 ms"),
        ("autosave p99 (a revision every call)", f"{a['revision_each_call']['p99_ms']} ms", "≤ 5 ms"),
        (
            f"open the data layer ({b['projects']} projects, {b['db_mb']} MB)",
            f"{lib['open_ms']['median']} ms",
            "≤ 300 ms",
        ),
        (
            "list newest 100",
            f"{lib['list_100_ms']['median']} ms (p99 {lib['list_100_ms']['p99']})",
            "≤ 50 ms",
        ),
        ("list newest 100, genre + tag filter", f"{lib['list_100_filtered_ms']['median']} ms", ""),
        (
            "search (median / max of 6 queries)",
            f"{lib['search_ms']['median']} / {lib['search_ms']['max']} ms",
            "≤ 50 ms",
        ),
        (
            f"import {imp['records']} records (~{imp['chars'] // 10000} 万字), indexed",
            f"{imp['seconds']} s (jieba: {imp['jieba']['seconds']} s)",
            "≤ 5 s",
        ),
        ("index all projects once (setup)", f"{b['index_all_s']} s", ""),
        ("daily backup of the whole library", f"{lib['backup_s']} s", ""),
        ("jieba dictionary load (once per process)", f"{figures['jieba_load_s']} s", ""),
    ]
    for name, value, goal in rows:
        print(f"{name:<55} {value:>24}   {goal}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
