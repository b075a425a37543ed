"""outline → draft → critique from the command line, with the tiny model and prompt limits it can fill."""

from __future__ import annotations

import json

import pytest
from test_cli import assert_one_line_error, run

QUERY = "以“坚持”为话题，写一篇议论文，自拟标题，不少于800字。"
ESSAY = (
    "坚持的意义\n" + "清晨的操场上，我一圈又一圈地奔跑。汗水湿透了衣背，可我知道，坚持才能看见远方。\n" * 12
)


def test_outline_then_draft_then_critique_keep_the_json_contract(tmp_path, tiny_model, small_resources):
    q = tmp_path / "q.txt"
    q.write_text(QUERY, encoding="utf-8")
    proc = run("outline", "-m", str(tiny_model), "--seed", "3", "--type", "议论文", "--json", str(q))
    assert proc.returncode == 0, proc.stderr
    outline = json.loads(proc.stdout)
    assert set(outline) == {"query_type", "query", "thought", "thought_markdown", "thinking"}
    assert outline["thinking"] == ""  # 先想后写 is off unless asked for
    assert outline["query"] == QUERY and outline["query_type"] == "议论文"
    assert set(outline["thought"]) >= {
        "requirements",
        "intent",
        "structure",
        "materials",
        "style",
        "self_check",
    }

    thought = tmp_path / "thought.json"
    thought.write_text(proc.stdout, encoding="utf-8")  # the whole outline answer is accepted as a thought
    proc = run(
        "draft",
        "-m",
        str(tiny_model),
        "--seed",
        "1",
        "--query",
        str(q),
        "--thought",
        str(thought),
        "--length",
        "40",
        "--type",
        "议论文",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    assert set(d) >= {"answer", "parts", "chars", "finish_reason"}
    assert d["finish_reason"] in ("stop", "loop", "short", "long")
    assert len(d["parts"]) == len(outline["thought"]["structure"])
    assert d["finish_reason"] == "stop" or d["warnings"]  # never a silent miss
    assert all(set(x) >= {"sentence", "reason"} for x in d["dropped"])
    assert "第1/" in proc.stderr

    essay = tmp_path / "essay.txt"
    essay.write_text(ESSAY, encoding="utf-8")
    proc = run("critique", "-m", str(tiny_model), "--seed", "1", "--query", str(q), "--json", str(essay))
    assert proc.returncode == 0, proc.stderr
    c = json.loads(proc.stdout)
    assert set(c) >= {
        "total",
        "max_total",
        "dimensions",
        "deductions",
        "suggestions",
        "metrics",
        "score_text",
    }
    assert [set(x) >= {"name", "score", "max", "reason"} for x in c["dimensions"]] == [True] * 3
    assert all(set(x) == {"rule", "points"} for x in c["deductions"])
    assert all(set(s) >= {"quote", "issue", "fix"} and s["quote"] in ESSAY for s in c["suggestions"])
    assert 0 <= c["total"] <= 60 and c["score_text"].startswith("总分")


def test_outline_markdown_regenerates_one_section_in_place(tmp_path, tiny_model, small_resources):
    md = "## 审题\n- 议论文\n\n## 立意\n坚持\n\n我的批注：别忘了举例\n\n## 风格\n朴实\n"
    f = tmp_path / "t.md"
    f.write_text(md, encoding="utf-8")
    proc = run(
        "outline", "-m", str(tiny_model), "--seed", "2", "--section", "style", "--thought", str(f), QUERY
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("## 审题\n- 议论文\n\n## 立意\n坚持\n\n我的批注：别忘了举例\n\n## 风格\n")


def test_critique_without_a_model_prints_scores_and_suggestions(tmp_path):
    essay = tmp_path / "e.txt"
    essay.write_text(
        ESSAY.replace("坚持才能看见远方。", "坚持才能看见远方。" + "我跑啊跑。" * 6, 1), encoding="gbk"
    )
    proc = run("critique", "--no-model", str(essay))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("总分：") and "内容" in proc.stdout and "同一内容接连重复" in proc.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["outline", ""], "题目为空"),
        (["outline", "--type", "不存在的文体", "写作"], "未知文体"),
        (["critique", "--no-model", "-"], "文章为空"),
        (["draft", "--query", "-", "--thought", "-"], "标准输入"),
    ],
)
def test_bad_writing_input_is_one_line(args, needle):
    line = assert_one_line_error(run(*args, input=""))
    assert needle in line


def test_huge_prompt_english_and_binary_essays_are_one_line(tmp_path):
    big = tmp_path / "big.txt"
    big.write_text("题" * 20000, encoding="utf-8")
    assert "题目太长" in assert_one_line_error(run("outline", str(big)))
    eng = tmp_path / "eng.txt"
    eng.write_text(
        "My Holiday\nI went to the beach with my family and we swam all day.\n" * 5, encoding="utf-8"
    )
    assert "中文" in assert_one_line_error(run("critique", "--no-model", str(eng)))
    binary = tmp_path / "essay.docx"
    binary.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 4)
    assert_one_line_error(run("critique", "--no-model", str(binary)))


def test_a_malformed_thought_is_one_line_and_a_partial_one_still_drafts(tmp_path, tiny_model):
    q = tmp_path / "q.txt"
    q.write_text(QUERY, encoding="utf-8")
    bad = tmp_path / "t.json"
    bad.write_text('{"intent": "坚持", ', encoding="utf-8")
    line = assert_one_line_error(
        run("draft", "-m", str(tiny_model), "--query", str(q), "--thought", str(bad))
    )
    assert "JSON" in line
    partial = tmp_path / "t.md"  # sections out of order, structure missing: the genre's plan is used
    partial.write_text("## 风格\n朴实\n\n## 立意\n坚持\n", encoding="utf-8")
    proc = run(
        "draft",
        "-m",
        str(tiny_model),
        "--seed",
        "1",
        "--query",
        str(q),
        "--thought",
        str(partial),
        "--length",
        "30",
        "--type",
        "记叙文",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    assert "缺少「结构」" in proc.stderr and len(json.loads(proc.stdout)["parts"]) == 4


def test_exemplars_file_errors_are_one_line(tmp_path, tiny_model):
    f = tmp_path / "ex.jsonl"
    f.write_text("{not json\n", encoding="utf-8")
    line = assert_one_line_error(run("outline", "-m", str(tiny_model), "--exemplars", str(f), QUERY))
    assert "第 1 行" in line


def test_outline_retrieves_an_exemplar_from_the_imported_library(tmp_path, tiny_model, small_resources):
    f = tmp_path / "coig.jsonl"
    rec = {
        "id": "x1",
        "query_type": "议论文",
        "query": "以“坚持”为话题写议论文",
        "thought": "## 立意\n坚持",
        "answer": "略",
    }
    f.write_text(json.dumps(rec, ensure_ascii=False) + "\n", encoding="utf-8")
    assert run("import", str(f)).returncode == 0
    proc = run("outline", "-m", str(tiny_model), "--seed", "3", "--type", "议论文", QUERY)
    assert proc.returncode == 0, proc.stderr
    assert "参考范例 (exemplar from the library): 以“坚持”为话题写议论文" in proc.stderr
    proc = run("outline", "-m", str(tiny_model), "--seed", "3", "--no-exemplar", QUERY)
    assert proc.returncode == 0 and "参考范例" not in proc.stderr


def test_the_project_workflow_saves_each_step_with_its_generation_log(tiny_model, small_resources):
    proc = run("project", "new", "坚持", "--type", "议论文", "--query", QUERY, "--json")
    pid = str(json.loads(proc.stdout)["id"])
    proc = run("outline", "-m", str(tiny_model), "--seed", "3", "--project", pid)
    assert proc.returncode == 0, proc.stderr
    assert "已存入项目" in proc.stderr
    proc = run("draft", "-m", str(tiny_model), "--seed", "1", "--length", "40", "--project", pid, "--json")
    assert proc.returncode == 0, proc.stderr
    answer = json.loads(proc.stdout)["answer"]
    proc = run("critique", "--no-model", "--project", pid, "--json")
    assert proc.returncode == 0, proc.stderr
    shown = json.loads(run("project", "show", pid, "--json").stdout)
    assert shown["answer"] == answer and shown["thought"].strip()
    kinds = [(r["field"], r["kind"]) for r in shown["revisions"]]
    assert ("thought", "generation") in kinds and ("answer", "generation") in kinds
    assert proc.returncode == 0 and json.loads(proc.stdout)["source"] == "analysis"


def test_project_workflow_errors_are_one_line(tiny_model):
    assert "找不到项目" in assert_one_line_error(run("draft", "-m", str(tiny_model), "--project", "没有"), 1)
    assert "--project" in assert_one_line_error(run("draft", "-m", str(tiny_model)))
    run("project", "new", "空的")
    assert "题目" in assert_one_line_error(run("outline", "-m", str(tiny_model), "--project", "空的"))


def test_calibrate_refuses_29_essays_and_fits_35_without_a_model(tmp_path):
    rows = [
        json.dumps({"id": f"s{i}", "text": ESSAY * (1 + i % 3), "score": 40 + i % 10}, ensure_ascii=False)
        for i in range(35)
    ]
    few = tmp_path / "few.jsonl"
    few.write_text("\n".join(rows[:29]), encoding="utf-8")
    proc = run("calibrate", "--no-model", str(few))
    assert "至少需要 30" in assert_one_line_error(proc) and "篇 [" not in proc.stderr  # no empty bar
    enough = tmp_path / "enough.jsonl"
    enough.write_text("\n".join(rows), encoding="utf-8")
    proc = run("calibrate", "--no-model", "--json", str(enough))
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["essays"] == 35 and out["model"] == "" and out["saved_to"].endswith("calibration.toml")
    essay = tmp_path / "e.txt"
    essay.write_text(ESSAY, encoding="utf-8")
    critique = json.loads(run("critique", "--no-model", "--json", str(essay)).stdout)
    assert "35 essays from enough.jsonl" in critique["calibration"]["fitted_on"]  # the user's own is used


def test_calibrate_learns_from_the_totals_a_teacher_gave_a_class(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    for i in range(31):
        (folder / f"{i:02d}-学生{i}.txt").write_text(f"第{i}篇\n" + ESSAY * (1 + i % 3), encoding="utf-8")
    run("import", str(folder), "--tag", "高三2班", "--pattern", "{学号}-{姓名}")
    for i in range(29):
        run("mark", f"第{i}篇", str(30 + i % 20))
    assert "至少需要 30" in assert_one_line_error(run("calibrate", "--no-model", "--tag", "高三2班"))
    run("mark", "第29篇", "45")
    run("mark", "第30篇", "50")
    proc = run("calibrate", "--no-model", "--json", "--tag", "高三2班")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["essays"] == 31
    both = run("calibrate", "--no-model", str(folder), "--tag", "高三2班")
    assert "PATH" in assert_one_line_error(both)
