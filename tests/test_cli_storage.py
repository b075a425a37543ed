"""Projects, search and import from the command line, on a temporary data dir."""

from __future__ import annotations

import json

from test_cli import run


def test_project_new_list_show_trash_and_restore():
    proc = run(
        "project",
        "new",
        "围棋与人生",
        "--type",
        "议论文",
        "--query",
        "本手、妙手、俗手",
        "--tag",
        "高三",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    pid = json.loads(proc.stdout)["id"]
    rows = json.loads(run("project", "list", "--json").stdout)
    assert [r["title"] for r in rows] == ["围棋与人生"] and rows[0]["tags"] == ["高三"]
    shown = json.loads(run("project", "show", str(pid), "--json").stdout)
    assert shown["query"] == "本手、妙手、俗手" and shown["revisions"] == []
    assert run("project", "rm", "围棋与人生").returncode == 0
    assert json.loads(run("project", "list", "--json").stdout) == []
    assert run("project", "restore", str(pid)).returncode == 0
    assert len(json.loads(run("project", "list", "--json").stdout)) == 1


def test_import_keeps_good_records_reports_bad_lines_and_search_finds_them(tmp_path):
    f = tmp_path / "coig.jsonl"
    good = {"id": "a1", "query_type": "诗歌", "query": "写一首秋天的诗", "answer": "落叶飘零，雁字南归。"}
    f.write_text(
        json.dumps(good, ensure_ascii=False) + "\n{broken\n" + json.dumps({"query": "x"}) + "\n",
        encoding="utf-8",
    )
    proc = run("import", str(f))
    assert proc.returncode == 2
    assert "第 2 行" in proc.stderr and "第 3 行" in proc.stderr and "Traceback" not in proc.stderr
    again = run("import", str(f), "--json")
    assert json.loads(again.stdout)["duplicates"] == 1
    hits = json.loads(run("search", "秋天", "--json").stdout)
    assert [(h["doc_type"], h["title"]) for h in hits] == [("exemplar", "写一首秋天的诗")]
    assert "【秋天】" in hits[0]["snippet"]


def test_unknown_project_and_missing_import_file_are_one_line(tmp_path):
    for args in (("project", "show", "999"), ("import", str(tmp_path / "none.jsonl")), ("search", " ")):
        proc = run(*args)
        assert proc.returncode != 0 and "Traceback" not in proc.stderr
        assert len([ln for ln in proc.stderr.splitlines() if ln.strip()]) == 1, proc.stderr
