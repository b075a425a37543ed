"""``writer-app calibrate``: fit the critique's total to one teacher's own marking.

The teacher gives essays they scored (a folder of text files with a score list, or JSONL). Each is
critiqued by the current model (scores only) and its text features computed; the same ridge as
the shipped calibration (:mod:`writer_app.writing.calibration`) is fitted, its cross-validated
agreement reported, and the result kept per model and rubric in the data folder, where the
critique finds it. Everything is read and checked before the first critique, so a bad score file
costs nothing; the model's answers are cached line by line, so a cancelled run resumes where it
stopped; the calibration file is written once, atomically, at the end.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from writer_app.errors import BadInputError
from writer_app.storage.marking import MarkedProject
from writer_app.textio import read_text_path
from writer_app.writing.calibration import MIN_ESSAYS

TEXT_SUFFIXES = (".txt", ".md")
SCORE_FILES = ("scores.csv", "scores.tsv", "scores.txt", "分数.csv", "成绩.csv")
MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True)
class ScoredEssay:
    id: str
    text: str
    score: float
    query: str = ""

    @property
    def key(self) -> str:
        """What the model's answer is cached under: the text, not the name."""
        return hashlib.sha256(f"{self.query}\x00{self.text}".encode()).hexdigest()[:24]


def _score(raw: Any, where: str, max_score: float) -> float:
    try:
        value = float(str(raw).strip())
    except ValueError:
        raise BadInputError(f"{where}：分数「{raw}」不是数字 (the score is not a number)") from None
    if not math.isfinite(value) or value < 0 or value > max_score:
        raise BadInputError(
            f"{where}：分数 {raw} 不在 0–{max_score:g} 之内 (score outside the rubric's range; see --max-score)"
        )
    return value


def _read(path: Path) -> str:
    return read_text_path(path, MAX_FILE_BYTES)  # a FIFO or device in the folder is refused


def read_scored(path: Path, max_score: float) -> list[ScoredEssay]:
    """Scored essays from ``path``: a JSONL file ({"id", "text", "score"} and optionally "query"),
    or a folder of .txt/.md essays (UTF-8 or GBK) with a score list (scores.csv / .tsv / .txt:
    "file name, score" per line, a header row allowed). Every problem is one line naming where."""
    if not path.exists():
        raise BadInputError(f"找不到 {path} (not found)")
    if path.is_dir():
        essays = _read_folder(path, max_score)
    elif path.is_file():
        essays = _read_jsonl(path, max_score)
    else:
        raise BadInputError(f"{path} 不是普通文件或文件夹 (not a regular file or folder)")
    return check_scored(essays)


def check_scored(essays: list[ScoredEssay]) -> list[ScoredEssay]:
    """The essays, once none is empty, no id repeats, and there are enough to fit."""
    seen: set[str] = set()
    for e in essays:
        if e.id in seen:
            raise BadInputError(f"编号 {e.id} 出现了两次 (duplicate id)")
        seen.add(e.id)
        if not e.text.strip():
            raise BadInputError(f"{e.id}：文章为空 (the essay is empty)")
    if len(essays) < MIN_ESSAYS:
        raise BadInputError(
            f"只有 {len(essays)} 篇打过分的文章，校准至少需要 {MIN_ESSAYS} 篇 (need ≥ {MIN_ESSAYS} scored essays)"
        )
    return essays


def scored_from_marks(marked: list[MarkedProject]) -> list[ScoredEssay]:
    """The essays of a class the teacher gave their own total (the class view's override), as
    scored essays to calibrate on."""
    return [
        ScoredEssay(id=m.student or m.title or m.uid, text=m.answer, score=float(m.mark.total), query=m.query)
        for m in marked
        if m.mark is not None and m.mark.total is not None and m.answer.strip()
    ]


def _read_jsonl(path: Path, max_score: float) -> list[ScoredEssay]:
    out = []
    for n, line in enumerate(_read(path).splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path.name} 第 {n} 行"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as exc:
            raise BadInputError(f"{where}：不是合法的 JSON（{exc.msg}） (malformed JSON)") from None
        if not isinstance(rec, dict) or "text" not in rec or "score" not in rec:
            raise BadInputError(f"{where}：需要 text 和 score 两项 (needs text and score)")
        text, query = rec.get("text"), rec.get("query", "")
        if not isinstance(text, str) or not isinstance(query, str):
            raise BadInputError(f"{where}：text 和 query 必须是文字 (text and query must be strings)")
        out.append(ScoredEssay(str(rec.get("id", n)), text, _score(rec["score"], where, max_score), query))
    return out


def _read_folder(folder: Path, max_score: float) -> list[ScoredEssay]:
    listing = next((folder / name for name in SCORE_FILES if (folder / name).is_file()), None)
    if listing is None:
        raise BadInputError(
            f"{folder} 里没有分数表 (no score list: put {SCORE_FILES[0]} beside the essays, one 'file,score' per line)"
        )
    text = _read(listing)
    dialect = "excel-tab" if "\t" in text.split("\n", 1)[0] else "excel"
    out = []
    for n, row in enumerate(csv.reader(io.StringIO(text), dialect=dialect), 1):
        row = [c.strip() for c in row]
        if not row or not any(row):
            continue
        where = f"{listing.name} 第 {n} 行"
        if len(row) < 2:
            raise BadInputError(f"{where}：需要「文件名,分数」 (needs 'file,score')")
        name, raw = row[0], row[1]
        if n == 1 and raw.lower() in ("score", "分数", "成绩", "得分"):
            continue  # a header row
        file = folder / name
        if file.suffix.lower() not in TEXT_SUFFIXES and (folder / f"{name}.txt").is_file():
            file = folder / f"{name}.txt"
        if not file.is_file() or file.resolve().parent != folder.resolve():
            raise BadInputError(f"{where}：找不到文章 {name} (essay file not found in the folder)")
        out.append(ScoredEssay(file.name, _read(file), _score(raw, where, max_score)))
    return out


# --------------------------------------------------------------------------------------------
# the run: cached model answers, then one fit
# --------------------------------------------------------------------------------------------
class AnswerCache:
    """The model's dimension scores per (model, essay text), one JSON line each, appended as they
    come: a cancelled or killed run keeps what it finished, and a torn last line is skipped."""

    def __init__(self, path: Path, model: str) -> None:
        self.path, self.model = path, model
        self.rows: dict[str, list[dict[str, Any]]] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    rec = json.loads(line)
                    if rec.get("model") == model:
                        self.rows[rec["key"]] = rec["dims"]
                except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
                    continue

    def get(self, key: str) -> list[dict[str, Any]] | None:
        return self.rows.get(key)

    def put(self, key: str, dims: list[dict[str, Any]]) -> None:
        self.rows[key] = dims
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"model": self.model, "key": key, "dims": dims}, ensure_ascii=False) + "\n")


def signals_for(
    essays: list[ScoredEssay],
    text_signals: Callable[[ScoredEssay], dict[str, float]],
    model_dims: Callable[[ScoredEssay], list[dict[str, Any]]] | None,
    cache: AnswerCache | None,
    on_progress: Callable[[int, int, str], None] | None = None,
) -> list[dict[str, float]]:
    """Each essay's signals: its text features, and the model's dimension scores (cached)."""
    from writer_app.writing.calibration import model_signals

    rows = []
    for i, e in enumerate(essays, 1):
        if on_progress:
            on_progress(i, len(essays), e.id)
        row = text_signals(e)
        if model_dims is not None:
            dims = cache.get(e.key) if cache is not None else None
            if dims is None:
                dims = model_dims(e)
                if cache is not None:
                    cache.put(e.key, dims)
            row |= model_signals(dims)
        rows.append(row)
    return rows
