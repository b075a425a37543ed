"""Reading a teacher's scored essays, and a calibration run that resumes and never half-writes."""

import json
from pathlib import Path

import pytest

from writer_app.config import AppPaths, Settings
from writer_app.errors import BadInputError, CancelledError
from writer_app.llm.engine import CancelToken
from writer_app.resources import resources_dir
from writer_app.workbench import Workbench
from writer_app.writing.calibrate import AnswerCache, ScoredEssay, read_scored, signals_for

PARAS = [
    "外婆的菜园在老屋后面，篱笆上爬满了丝瓜藤。",
    "每年春天，她都会蹲在地里，一棵一棵地栽下辣椒苗。",
    "我常常提着小水壶跟在她身后，把水浇得到处都是。",
    "夏天的傍晚，菜园里飘着泥土和番茄叶子的气味。",
    "她教我分辨黄瓜的雌花和雄花，说只有雌花才会结瓜。",
    "后来我去城里读书，菜园只在电话里出现。",
]


def essay(i: int) -> str:
    n = 2 + i % 5
    return f"菜园{i}\n" + "\n".join(PARAS[(i + k) % len(PARAS)] * (1 + (i + k) % 3) for k in range(n))


def jsonl(tmp_path: Path, n: int, score=lambda i: 30 + i % 25, **extra) -> Path:
    path = tmp_path / "scored.jsonl"
    lines = [
        json.dumps({"id": f"s{i}", "text": essay(i), "score": score(i), **extra}, ensure_ascii=False)
        for i in range(n)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_twenty_nine_essays_are_refused_with_the_reason(tmp_path):
    with pytest.raises(BadInputError, match="只有 29 篇.*至少需要 30"):
        read_scored(jsonl(tmp_path, 29), 60)


@pytest.mark.parametrize(
    ("score", "message"),
    [
        (lambda i: 61 if i == 4 else 40, "第 5 行.*不在 0–60"),
        (lambda i: "优" if i == 2 else 40, "第 3 行.*不是数字"),
        (lambda i: -1 if i == 0 else 40, "不在"),
        (lambda i: "nan" if i == 0 else 40, "不在"),
    ],
)
def test_a_score_outside_the_rubric_or_not_a_number_names_its_line(tmp_path, score, message):
    with pytest.raises(BadInputError, match=message):
        read_scored(jsonl(tmp_path, 35, score), 60)


def test_duplicate_ids_and_malformed_lines_are_refused(tmp_path):
    path = jsonl(tmp_path, 35)
    path.write_text(path.read_text(encoding="utf-8").replace('"id": "s3"', '"id": "s2"'), encoding="utf-8")
    with pytest.raises(BadInputError, match="s2 出现了两次"):
        read_scored(path, 60)
    path.write_text(path.read_text(encoding="utf-8") + "{broken\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="第 36 行.*JSON"):
        read_scored(path, 60)


def test_a_folder_of_gbk_and_utf8_essays_with_a_bom_crlf_score_list(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    rows = ["文件名,分数"]
    for i in range(32):
        (folder / f"{i:02d}-学生.txt").write_bytes(essay(i).encode("gbk" if i % 2 else "utf-8"))
        rows.append(f"{i:02d}-学生.txt,{40 + i % 15}")
    (folder / "scores.csv").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(rows).encode("utf-8") + b"\r\n")
    got = read_scored(folder, 60)
    assert len(got) == 32 and got[1].text == essay(1) and got[0].score == 40
    (folder / "scores.csv").write_text("missing.txt,40\n", encoding="utf-8")
    with pytest.raises(BadInputError, match="找不到文章 missing.txt"):
        read_scored(folder, 60)
    (folder / "scores.csv").unlink()
    with pytest.raises(BadInputError, match="没有分数表"):
        read_scored(folder, 60)


def test_a_cancel_midway_keeps_the_finished_answers_and_resumes(tmp_path):
    essays = [ScoredEssay(f"s{i}", essay(i), 40) for i in range(5)]
    cache = AnswerCache(tmp_path / "answers.jsonl", "demo")
    asked = []

    def model_dims(e):
        asked.append(e.id)
        if len(asked) == 3:
            raise CancelledError()
        return [{"key": "content", "score": 12, "max": 20}]

    with pytest.raises(CancelledError):
        signals_for(essays, lambda e: {"length_ratio": 1.0}, model_dims, cache)
    assert asked == ["s0", "s1", "s2"] and len(cache.rows) == 2
    with (tmp_path / "answers.jsonl").open("a", encoding="utf-8") as fh:
        fh.write('{"model": "demo", "key": "torn')  # a killed run's last line
    again = AnswerCache(tmp_path / "answers.jsonl", "demo")
    asked.clear()
    rows = signals_for(essays, lambda e: {"length_ratio": 1.0}, lambda e: asked.append(e.id) or [], again)
    assert asked == ["s2", "s3", "s4"] and rows[0]["model_content"] == 0.6


def test_calibrating_without_a_model_is_kept_and_used_by_the_critique(tmp_path, monkeypatch):
    monkeypatch.setenv("WRITER_APP_HOME", str(tmp_path / "home"))
    wb = Workbench.create(AppPaths.from_env(), Settings(), resources_dir())
    source = jsonl(tmp_path, 40, score=lambda i: 20 + i)
    genre = wb.genre("议论文")
    steps = []
    cal = wb.calibrate(source, genre, CancelToken(), use_model=False, on_progress=lambda *a: steps.append(a))
    assert cal.n == 40 and cal.model == "" and "spearman_cv" in cal.agreement
    assert {"spearman_cv_text", "spearman_cv_lexical"} <= set(cal.agreement)
    assert [m for m, _ in cal.curve] == [32] and steps[-1][:2] == (43, 43)  # 40 essays, then 3 fitting steps
    assert (wb.paths.calibration_file.parent / "lexical" / f"{cal.lexical}.json").is_file()
    r = wb.critique(essay(3), "", genre, 800, CancelToken(), use_model=False)
    assert r.calibration is not None and "40 essays from scored.jsonl" in r.calibration["fitted_on"]
    assert r.calibration["lexical"]["version"] == cal.lexical
    assert r.total == sum(d["score"] for d in r.dimensions) + r.deductions.points
    before = wb.paths.calibration_file.read_bytes()
    with pytest.raises(BadInputError):
        wb.calibrate(jsonl(tmp_path, 40, score=lambda i: 99), genre, CancelToken(), use_model=False)
    assert wb.paths.calibration_file.read_bytes() == before  # a refused run writes nothing
