"""The project library in the window: new, duplicate, trash, filters, drag-and-drop import,
and the window's geometry coming back."""

from __future__ import annotations

import json

from guihelp import type_chinese
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDropEvent


def test_new_duplicate_trash_restore_and_delete(make_window, qtbot, monkeypatch):
    w = make_window()
    first = w.project.id
    type_chinese(w.prompt_tab.query, "写一首关于秋天的诗")
    w.prompt_tab.tags.setText("诗歌，练习")
    w.prompt_tab.tags.editingFinished.emit()
    w.duplicate_project(first)
    copy = w.project
    assert copy.id != first and copy.query == "写一首关于秋天的诗" and copy.tags == ["练习", "诗歌"]
    assert w.library_panel.model.rowCount() == 2
    assert w.library_panel.current_id() == copy.id

    # the tag filter
    w.library_panel.set_tags(w.library.projects.all_tags())
    w.library_panel.tag.setCurrentIndex(w.library_panel.tag.findData("练习"))
    assert w.library_panel.model.rowCount() == 2
    w.new_project()
    assert w.library_panel.tag.currentData() == "练习"
    w.library_panel.tag.setCurrentIndex(0)
    assert w.library_panel.model.rowCount() == 3

    # trash, restore, delete for good
    w.trash_project(copy.id)
    assert w.library_panel.model.row_of(copy.id) < 0
    w.library_panel.trash.setChecked(True)
    assert [r.id for r in w.library_panel.model.rows()] == [copy.id]
    w.untrash_project(copy.id)
    assert w.library_panel.model.rowCount() == 0
    w.library_panel.trash.setChecked(False)
    w.trash_project(copy.id)
    w.delete_project(copy.id, confirm=False)
    assert all(p.id != copy.id for p in w.library.projects.list_projects(10, trashed=True))


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


def test_window_geometry_and_tab_come_back(make_window, qtbot):
    w = make_window()
    w.resize(700, 520)  # inside the offscreen screen (800×600)
    w.tabs.setCurrentIndex(2)
    w.close()
    w2 = make_window()
    assert (w2.width(), w2.height()) == (700, 520)
    assert w2.tabs.currentIndex() == 2
