"""The files controller: import by drag-and-drop (COIG-Writer JSONL, project bundles, a broken
file reported on its own line) and exporting a bundle from the window."""

from __future__ import annotations

import json

from guihelp import type_chinese
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent


def drop(w, paths) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    event = QDropEvent(
        QPointF(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    w.dropEvent(event)


def test_dropping_coig_jsonl_and_a_bundle_imports_them(make_window, qtbot, tmp_path):
    w = make_window()
    type_chinese(w.prompt_tab.query, "题目：我的老师")
    w.prompt_tab.title.setText("我的老师")
    w.prompt_tab.title.editingFinished.emit()
    bundle = tmp_path / "class.wcbundle"
    w.export_to("bundle", bundle)
    qtbot.waitUntil(bundle.exists, timeout=10_000)
    pid = w.project.id
    w.trash_project(pid)
    w.delete_project(pid, confirm=False)

    records = tmp_path / "coig.jsonl"
    records.write_text(
        json.dumps(
            {"query_type": "诗歌", "query": "写秋天", "thought": "# 立意\n秋", "answer": "秋风起"},
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    broken = tmp_path / "broken.jsonl"
    broken.write_text("{not json", encoding="utf-8")
    drop(w, [records, bundle, broken])
    qtbot.waitUntil(lambda: not w.runner.busy("import"), timeout=30_000)
    lines = w.banner.text().splitlines()
    assert len(lines) == 3 and "Traceback" not in w.banner.text()
    assert "范例 新增 1" in lines[0] and "项目 新增 1" in lines[1] and lines[2].startswith("broken.jsonl")
    assert any(r.title == "我的老师" for r in w.library_panel.model.rows())


def test_dropping_students_essays_asks_the_class_and_imports_them(make_window, qtbot, tmp_path, monkeypatch):
    from writer_app.gui import dialogs

    folder = tmp_path / "高三2班"
    folder.mkdir()
    (folder / "20230105-张三.txt").write_text("坚持的意义\n清晨的操场上，我在奔跑。", encoding="utf-8")
    (folder / "20230106-李四.doc").write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    w = make_window()
    asked = []

    def accept(dialog) -> int:  # noqa: ANN001 - the teacher fills the dialog in
        asked.append(dialog)
        dialog.tag.setCurrentText("高三2班")
        dialog.pattern.setText("{学号}-{姓名}")
        dialog.query.setPlainText("以“坚持”为话题写作")
        return dialogs.EssayImportDialog.DialogCode.Accepted

    monkeypatch.setattr(dialogs.EssayImportDialog, "exec", accept)
    drop(w, [folder])
    qtbot.waitUntil(lambda: not w.runner.busy("import"), timeout=30_000)
    assert len(asked) == 1
    lines = w.banner.text().splitlines()
    assert "新增 1 篇" in lines[0] and lines[1].startswith("20230106-李四.doc") and ".docx" in lines[1]
    rows = [r for r in w.library.projects.list_projects(10) if r.student == "张三"]
    assert len(rows) == 1 and rows[0].tags == ["高三2班"] and rows[0].query == "以“坚持”为话题写作"
    assert w.library_panel.tag.findData("高三2班") >= 0
