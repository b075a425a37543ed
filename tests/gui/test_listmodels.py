"""The Qt item models pass QAbstractItemModelTester, and page through a big library."""

from __future__ import annotations

import pytest

from writer_app.analysis.metrics import Analyzer
from writer_app.config import AppPaths
from writer_app.gui.listmodels import PAGE, AnnotationListModel, ProjectListModel, RevisionListModel
from writer_app.resources import resources_dir
from writer_app.storage.library import Library


@pytest.fixture
def library():
    lib = Library.open(AppPaths.from_env(), Analyzer(resources_dir()))
    yield lib
    lib.close()


def test_the_project_list_pages_newest_first_and_passes_the_model_tester(qtmodeltester, library):
    store = library.projects
    with library.database.transaction() as conn:
        for i in range(PAGE * 2 + 50):
            conn.execute(
                "INSERT INTO projects (uid, title, query_type, query, tags, created, updated)"
                " VALUES (?, ?, '议论文', '题目', '[]', ?, ?)",
                (f"u{i}", f"项目{i}", float(i), float(i)),
            )
    model = ProjectListModel()
    model.set_source(lambda limit, offset: store.list_projects(limit, offset=offset))
    assert model.rowCount() == PAGE and model.canFetchMore()
    qtmodeltester.check(model, force_py=True)  # it keeps watching the inserts and the reset below
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == PAGE * 2 + 50
    assert model.row_at(0).title == f"项目{PAGE * 2 + 49}"  # newest first
    assert "项目" in model.data(model.index(0))
    model.set_rows([])
    assert model.rowCount() == 0 and not model.canFetchMore()


def test_revision_and_annotation_models_pass_the_model_tester(qtmodeltester, library):
    store = library.projects
    p = store.create("标题", "议论文", "题目")
    store.set_text(p.id, "answer", "第一版正文。")
    store.set_text(p.id, "answer", "第二版正文，改过了。")
    store.annotate(p.id, "answer", 0, 3, "好", "老师")
    revisions = RevisionListModel()
    revisions.set_rows(store.revisions(p.id))
    qtmodeltester.check(revisions, force_py=True)
    assert revisions.rowCount() == 2 and "正文" in revisions.data(revisions.index(0))
    notes = AnnotationListModel()
    notes.set_rows(store.annotations(p.id))
    qtmodeltester.check(notes, force_py=True)
    toggled = []
    notes.resolve_toggled.connect(lambda i, r: toggled.append((i, r)))
    from PySide6.QtCore import Qt

    assert notes.setData(notes.index(0), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert toggled == [(notes.row_at(0).id, True)] and notes.row_at(0).resolved
