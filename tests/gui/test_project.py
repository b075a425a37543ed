"""The project controller: store operations announce one Change, and one handler refreshes the
views it names; a refused operation is one line and changes nothing. The settings are one copy."""

from __future__ import annotations

import dataclasses

from guihelp import type_chinese

from writer_app.config import load_settings
from writer_app.gui.project import Change
from writer_app.storage.db import StorageError


def _changes(w) -> list[Change]:
    seen: list[Change] = []
    w.projects.changed.connect(seen.append)
    return seen


def test_snapshot_announces_history_and_the_handler_shows_it(make_window):
    w = make_window()
    w.prompt_tab.query.setPlainText("写一篇关于秋天的散文")
    assert w.flush()
    before = w.history_tab.model.rowCount()
    seen = _changes(w)
    w.projects.snapshot()
    assert seen == [Change(history=True)]
    # refreshed by the handler, not by hand
    assert before < w.history_tab.model.rowCount() == len(w.library.projects.revisions(w.project.id))


def test_meta_edit_updates_the_title_row_and_tags_through_one_change(make_window):
    w = make_window()
    seen = _changes(w)
    w.prompt_tab.title.setText("秋夜")
    w.prompt_tab.tags.setText("高三2班")
    w.projects.meta_edited()
    assert seen[-1] == Change(project=True, tags=True)
    assert w.project.title == "秋夜" and w.project.tags == ["高三2班"]
    assert "秋夜" in w.windowTitle()
    assert w.library_panel.tag.findText("高三2班") >= 0


def test_a_refused_operation_is_one_line_and_announces_nothing(make_window, monkeypatch):
    w = make_window()
    pid = w.project.id
    seen = _changes(w)

    def refuse(*_a, **_k):
        raise StorageError("磁盘已满 (disk full)")

    monkeypatch.setattr(w.library.projects, "trash", refuse)
    w.trash_project(pid)
    assert seen == []
    assert w.banner.text() == "磁盘已满 (disk full)"
    assert w.project.id == pid  # still open: nothing was removed


def test_trashing_the_open_project_opens_another_and_the_list_follows(make_window):
    w = make_window()
    first = w.project.id
    w.new_project()
    second = w.project.id
    assert second != first
    w.trash_project(second)
    assert w.project is not None and w.project.id == first
    ids = [r.id for r in w.library_panel.model.rows()]
    assert second not in ids and first in ids


def test_the_window_and_the_workbench_hold_one_settings_value(make_window, app_home):
    w = make_window()
    assert w.settings is w.wb.settings is w.wb.models.settings
    changed = dataclasses.replace(w.settings, author="李老师")
    w.apply_settings(changed)
    assert w.settings is w.wb.models.settings and w.settings.author == "李老师"
    assert load_settings(w.wb.paths.settings_file)[0].author == "李老师"


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
