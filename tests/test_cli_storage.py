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


def _new_project(title="雨中的路", *extra):
    proc = run("project", "new", title, "--type", "记叙文", "--query", "以“路”为题", *extra, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["id"]


def test_export_every_format_with_safe_readable_names(tmp_path):
    essay = tmp_path / "essay.txt"
    essay.write_text("路在脚下。", encoding="utf-8")
    pid = _new_project("我的<路>/第一篇", "--answer", str(essay))
    out = tmp_path / "out"
    out.mkdir()
    for fmt in ("md", "html", "docx", "txt", "jsonl", "bundle"):
        proc = run("export", str(pid), "--format", fmt, "-o", str(out))
        assert proc.returncode == 0, proc.stderr
    names = sorted(p.name for p in out.iterdir())
    stem = "我的＜路＞／第一篇"
    assert names == sorted(f"{stem}.{s}" for s in ("md", "html", "docx", "txt", "jsonl", "wcbundle"))
    assert "## 题目" in (out / f"{stem}.md").read_text(encoding="utf-8")
    # a second export never overwrites the first unless -o names the file
    run("export", str(pid), "--format", "md", "-o", str(out))
    assert (out / f"{stem} (2).md").exists()
    named = tmp_path / "named.txt"
    assert run("export", str(pid), "-f", "txt", "-o", str(named)).returncode == 0 and named.exists()


def test_export_all_to_a_folder_and_jsonl_round_trips_through_import(tmp_path):
    essay = tmp_path / "essay.txt"
    essay.write_bytes("路在脚下。\n走下去。".encode("gbk"))
    essay2 = tmp_path / "essay2.txt"
    essay2.write_text("第二篇。", encoding="utf-8")
    _new_project("一", "--answer", str(essay))
    _new_project("二", "--answer", str(essay2))
    _new_project("三")  # no text yet: not a COIG record
    folder = tmp_path / "all"
    assert run("export", "--all", "-f", "html", "-o", str(folder)).returncode == 0
    assert sorted(p.name for p in folder.iterdir()) == ["一.html", "三.html", "二.html"]
    jl = tmp_path / "all.jsonl"
    proc = run("export", "--all", "-f", "jsonl", "-o", str(jl))
    assert proc.returncode == 0 and "跳过 (skipped)" in proc.stderr
    records = [json.loads(line) for line in jl.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 2 and {r["answer"] for r in records} == {"路在脚下。\n走下去。", "第二篇。"}
    report = json.loads(run("import", str(jl), "--json").stdout)
    assert report == {"added": 2, "duplicates": 0, "rejected": [], "stopped": None, "encoding": "utf-8"}


def test_bundle_exchange_between_two_data_dirs(tmp_path, monkeypatch):
    pid = _new_project()
    bundle = tmp_path / "b.wcbundle"
    assert run("export", str(pid), "-f", "bundle", "-o", str(bundle)).returncode == 0
    monkeypatch.setenv("WRITER_APP_HOME", str(tmp_path / "teacher"))
    proc = run("import", str(bundle), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["projects_added"] == 1
    assert [p["title"] for p in json.loads(run("project", "list", "--json").stdout)] == ["雨中的路"]
    evil = tmp_path / "evil.wcbundle"
    import zipfile

    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("../../etc/x", "x")
    assert "不安全的路径" in assert_one_line(run("import", str(evil)))


def test_backup_list_and_restore(tmp_path):
    _new_project("备份前")
    proc = run("backup", "--json")
    assert proc.returncode == 0, proc.stderr
    _new_project("备份后")
    listing = json.loads(run("restore-backup", "--json").stdout)
    manual = next(b["n"] for b in listing if "manual" in b["path"])
    proc = run("restore-backup", str(manual))
    assert proc.returncode == 0 and "恢复前的数据已另存为" in proc.stdout
    assert [p["title"] for p in json.loads(run("project", "list", "--json").stdout)] == ["备份前"]
    assert "没有第 99 个备份" in assert_one_line(run("restore-backup", "99"))


def test_export_errors_are_one_line(tmp_path):
    assert "没有要导出的项目" in assert_one_line(run("export", "--all", "-f", "md"))
    pid = _new_project()
    assert "找不到项目" in assert_one_line(run("export", "不存在", "-f", "md"))
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert assert_one_line(run("export", str(pid), "-f", "md", "-o", str(blocker / "sub" / "x.md")))


def assert_one_line(proc):
    assert proc.returncode != 0 and "Traceback" not in proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_the_data_folder_chosen_in_the_settings_is_used_by_every_command(app_home, tmp_path, monkeypatch):
    monkeypatch.delenv("WRITER_APP_HOME")  # the per-user folders, as a user has them
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    config = tmp_path / "config" / "writer-companion"
    config.mkdir(parents=True)
    elsewhere = tmp_path / "学生资料"
    (config / "settings.toml").write_text(f'data_dir = "{elsewhere.as_posix()}"\n', encoding="utf-8")
    proc = run("project", "new", "搬家后的项目")
    assert proc.returncode == 0, proc.stderr
    assert (elsewhere / "writer.db").exists() and not (
        tmp_path / "data" / "writer-companion" / "writer.db"
    ).exists()
    assert "搬家后的项目" in run("project", "list").stdout


def test_a_relative_data_dir_or_one_under_writer_app_home_is_ignored_with_a_warning(app_home, tmp_path):
    app_home.mkdir(parents=True, exist_ok=True)
    settings = app_home / "settings.toml"
    settings.write_text(f'data_dir = "{(tmp_path / "别处").as_posix()}"\n', encoding="utf-8")
    proc = run("project", "new", "留在原处")
    assert proc.returncode == 0 and "WRITER_APP_HOME" in proc.stderr
    assert (app_home / "writer.db").exists() and not (tmp_path / "别处").exists()
    from writer_app.config import AppPaths

    warnings: list[str] = []
    base = AppPaths(data_dir=tmp_path / "d", config_dir=tmp_path / "c")
    assert base.with_data_dir("相对/路径", warnings) == base and "绝对路径" in warnings[0]


def test_import_a_folder_of_essays_with_the_class_pattern_and_prompt(tmp_path):
    folder = tmp_path / "essays"
    folder.mkdir()
    (folder / "20230105-张三.txt").write_text("坚持的意义\n清晨的操场上，我在奔跑。", encoding="utf-8")
    (folder / "20230106-李四.md").write_text("# 秋天\n秋天来了。", encoding="gbk")
    (folder / "empty.txt").write_bytes(b"")
    args = (
        "import",
        str(folder),
        "--tag",
        "高三2班",
        "--pattern",
        "{学号}-{姓名}",
        "--prompt",
        "写坚持",
        "--json",
    )
    proc = run(*args)
    assert proc.returncode == 2, proc.stderr  # one file refused, the rest kept
    report = json.loads(proc.stdout)
    assert sorted(report["added"]) == ["20230105-张三.txt", "20230106-李四.md"]
    assert report["rejected"][0]["file"] == "empty.txt" and "empty.txt" in proc.stderr
    projects = json.loads(run("project", "list", "--json").stdout)
    assert {p["title"] for p in projects} >= {"坚持的意义", "秋天"}
    again = json.loads(run(*args).stdout)
    assert len(again["unchanged"]) == 2 and not again["added"]


def _import_class(tmp_path):
    """Two students' essays imported as the class 高三2班."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "01-张三.txt").write_text(
        "坚持\n清晨的操场上，我一圈又一圈地奔跑，汗水湿透了衣背。", encoding="utf-8"
    )
    (folder / "02-李四.txt").write_text(
        "读书\n读书使人明智，我从小就喜欢读书，书里有远方。", encoding="utf-8"
    )
    run("import", str(folder), "--tag", "高三2班", "--pattern", "{学号}-{姓名}")


def test_critique_a_class_by_tag_as_one_batch_then_nothing_new(tmp_path):
    _import_class(tmp_path)
    proc = run("critique", "--tag", "高三2班", "--no-model", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["batch"]["done"] == 2 and out["batch"]["finished"]
    assert [e["student"] for e in out["essays"]] == ["张三", "李四"]
    assert all(e["total"] is not None and e["max_total"] == 60 for e in out["essays"])
    again = run("critique", "--tag", "高三2班", "--no-model")
    assert again.returncode == 0 and "都已点评" in again.stderr and "张三" in again.stdout
    for args in (
        ("critique", "--tag", "无此班"),
        ("critique", "--tag", "高三2班", "x.txt"),
        ("critique", "--again"),
    ):
        assert_one_line(run(*args))


def test_class_table_exports_feedback_and_the_teacher_s_mark(tmp_path):
    from openpyxl import load_workbook

    _import_class(tmp_path)
    run("critique", "--tag", "高三2班", "--no-model")
    marked = json.loads(run("mark", "坚持", "48", "--comment", "立意清楚", "--json").stdout)
    assert marked["total"] == 48 and marked["student"] == "张三"
    out = tmp_path / "out"
    proc = run(
        "class",
        "高三2班",
        "--csv",
        str(tmp_path / "c.csv"),
        "--xlsx",
        str(tmp_path / "c.xlsx"),
        "--feedback",
        str(out),
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert (
        [r["学生"] for r in rows] == ["张三", "李四"]
        and rows[0]["总分"] == 48
        and rows[0]["评分来源"] == "教师"
    )
    assert rows[0]["教师评语"] == "立意清楚" and rows[1]["点评分"] is not None
    assert len(list(out.glob("*.pdf"))) == 2 and "已导出 2 份反馈" in proc.stderr
    sheet = load_workbook(tmp_path / "c.xlsx").active
    assert [c.value for c in sheet[2]][:4] == ["张三", "坚持", 25, 48]
    assert (tmp_path / "c.csv").read_text(encoding="utf-8-sig").splitlines()[1].startswith("张三,坚持")
    run("class", "高三2班", "--feedback", str(out), "--format", "docx")
    assert len(list(out.glob("*.docx"))) == 2
    cleared = json.loads(run("mark", "坚持", "--clear", "--json").stdout)
    assert cleared["total"] is None
    for args in (
        ("mark", "坚持", "很好"),
        ("class", "无此班"),
        ("class", "高三2班", "--feedback", str(tmp_path / "c.csv")),
    ):
        assert_one_line(run(*args))
