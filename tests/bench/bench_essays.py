"""Essay import bench: a class's .docx essays into the library, indexed; then the class's
feedback sheets, PDF and Word, after an analysis-only batch critique (prints figures only).

python tests/bench/bench_essays.py [--essays 45] [--chars 900]
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from docx import Document  # noqa: E402

from writer_app.analysis.metrics import Analyzer  # noqa: E402
from writer_app.config import AppPaths  # noqa: E402
from writer_app.resources import resources_dir  # noqa: E402
from writer_app.storage.library import Library  # noqa: E402

SENTENCES = [
    "清晨的操场上，我一圈又一圈地奔跑。",
    "汗水湿透了衣背，可我知道，坚持才能看见远方。",
    "老师说，写作要有真情实感，不能空喊口号。",
    "那年冬天，外婆的手在灯下缝补着我的棉衣。",
    "窗外的雨下了一夜，树叶在风里轻轻摇动。",
    "我们常说失败是成功之母，可真正的成长来自反思。",
]


def essays(folder: Path, n: int, chars: int) -> None:
    rng = random.Random(1)
    for i in range(n):
        doc = Document()
        doc.add_paragraph(f"第{i + 1}篇：坚持的意义")
        text = ""
        while len(text) < chars:
            text += rng.choice(SENTENCES)
        for k in range(0, len(text), 150):
            doc.add_paragraph(text[k : k + 150])
        doc.save(str(folder / f"2023{i:04d}-学生{i + 1}.docx"))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--essays", type=int, default=45)
    ap.add_argument("--chars", type=int, default=900)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "class"
        folder.mkdir()
        essays(folder, args.essays, args.chars)
        paths = AppPaths(Path(tmp) / "data", Path(tmp) / "cfg")
        analyzer = Analyzer(resources_dir())
        lib = Library.open(paths, analyzer)
        analyzer.words("预热")  # jieba's dictionary loads once per app start, not per import
        t = time.perf_counter()
        report = lib.import_essays([folder], tag="高三2班", pattern="{学号}-{姓名}", query="坚持")
        first = time.perf_counter() - t
        t = time.perf_counter()
        again = lib.import_essays([folder], tag="高三2班", pattern="{学号}-{姓名}", query="坚持")
        second = time.perf_counter() - t
        hits = lib.search.search("坚持", doc_type="project", limit=100)
        sheets = feedback(Path(tmp), paths, lib)
        lib.close()
    print(f"{args.essays} .docx essays of ~{args.chars} 字, imported and indexed: {first:.2f} s (goal ≤ 5 s)")
    print(f"  added {len(report.added)}, rejected {len(report.rejected)}; found by search: {len(hits)}")
    print(f"  the same files again (unchanged {len(again.unchanged)}): {second:.2f} s")
    n, pages, took = sheets["pdf"]
    print(f"{n} feedback sheets as PDF: {took:.1f} s (goal ≤ 30 s); the longest has {pages} page(s)")
    n, _pages, took = sheets["docx"]
    print(f"{n} feedback sheets as Word, with comments: {took:.1f} s")


def feedback(tmp: Path, paths: AppPaths, lib: Library) -> dict[str, tuple[int, int, float]]:
    """The class's sheets as the window writes them (Qt prints the PDFs, offscreen)."""
    from writer_app.config import Settings
    from writer_app.gui.pdf import printer
    from writer_app.llm.engine import CancelToken
    from writer_app.workbench import Workbench
    from writer_app.writing.feedback import write_sheets

    wb = Workbench.create(paths, Settings(), resources_dir())
    batch = wb.start_batch(lib, tag="高三2班", use_model=False)
    assert batch is not None
    wb.run_batch(lib, batch.id, CancelToken())
    rows = wb.gradebook(lib, "高三2班")
    marked = {m.project_id: m for m in lib.marking.marked([r.project_id for r in rows])}
    print_pdf, family = printer(resources_dir() / "fonts")
    pages: list[int] = []

    def counting(html_at, path):  # noqa: ANN001, ANN202
        pages.append(print_pdf(html_at, path))
        return pages[-1]

    out = {}
    for fmt in ("pdf", "docx"):
        folder = tmp / f"sheets-{fmt}"
        folder.mkdir()
        t = time.perf_counter()
        written, _failed = write_sheets(
            rows, marked, folder, fmt, group="高三2班", font=family, print_pdf=counting
        )
        out[fmt] = (len(written), max(pages, default=1), time.perf_counter() - t)
    return out


if __name__ == "__main__":
    main()
