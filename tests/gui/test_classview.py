"""The class view: the gradebook table under QAbstractItemModelTester, the batch critique from
the window with progress and resume, the teacher's own total, the charts' data, opening a
student's essay, and the table and feedback sheets exported (PDF rendered to PNG)."""

from __future__ import annotations

import subprocess

from PySide6.QtCore import Qt
from PySide6.QtTest import QAbstractItemModelTester

from writer_app.gui.classview import MAX_COLUMN_PX, SORT_ROLE, GradebookModel
from writer_app.storage.marking import Mark, MarkedProject
from writer_app.writing.gradebook import grade_rows

ESSAY = (
    "我的老师\n王老师每天早上七点就站在教室门口，笑着和我们打招呼。"
    "她讲课的时候声音不大，可是每一句话都说到我们心里。那年冬天我生病了，她骑车来家里给我补课。"
)


def _rows(n: int = 4):
    out = []
    for i in range(n):
        crit = {
            "total": 30 + 5 * i,
            "max_total": 60,
            "rubric": "gaokao",
            "source": "analysis",
            "dimensions": [
                {"key": "content", "name": "内容", "score": 10 + i, "max": 20},
                {"key": "expression", "name": "表达", "score": 10, "max": 20},
            ],
            "evidence": [
                {"kind": "repeat", "label": "近乎重复的句子", "amount": i, "message": f"重复 {i} 处"}
            ],
        }
        out.append(MarkedProject(i + 1, f"u{i}", f"学生{i}", "我的老师", "", "", ESSAY, crit, True, None, []))
    out.append(MarkedProject(9, "u9", "没交齐", "题", "", "", "正文", None, False, Mark(9, 20.0, "补交"), []))
    return grade_rows(out, lambda name: None)


def test_the_gradebook_model_passes_the_model_tester_and_sorts_by_number(qtbot):
    model = GradebookModel()
    QAbstractItemModelTester(model, QAbstractItemModelTester.FailureReportingMode.Fatal)
    model.set_rows(_rows())
    assert model.rowCount() == 5 and model.headerData(4, Qt.Orientation.Horizontal) == "内容"
    assert model.data(model.index(1, 2)) == "35" and model.data(model.index(1, 2), SORT_ROLE) == 35.0
    assert model.data(model.index(4, 2)) == "20✎"  # the teacher's total, marked as theirs
    assert model.data(model.index(4, 4)) == ""  # not critiqued: no dimension score
    edited = []
    model.mark_edited.connect(lambda *a: edited.append(a))
    col = model.teacher_column
    assert model.flags(model.index(0, col)) & Qt.ItemFlag.ItemIsEditable
    assert not model.flags(model.index(0, 2)) & Qt.ItemFlag.ItemIsEditable
    assert not model.setData(model.index(0, col), "七十")  # not a number
    assert not model.setData(model.index(0, col), "75")  # over the maximum
    assert model.setData(model.index(0, col), "48.5") and edited[-1] == (1, 48.5, "")
    model.update_mark(1, 48.5, "")
    assert model.data(model.index(0, 2)) == "48.5✎"
    changed = []
    model.dataChanged.connect(lambda a, b: changed.append((a.row(), b.row())))
    fresh = _rows()[2]
    fresh.total, fresh.teacher_total = 59, None
    model.update_rows([fresh])  # a batch stored one student's critique: only that row repaints
    assert changed == [(2, 2)] and model.data(model.index(2, 2)) == "59"
    model.set_rows(_rows(2))
    assert model.rowCount() == 3


def _import_class(w, tmp_path, n=3):
    folder = tmp_path / "class"
    folder.mkdir()
    for i in range(n):
        (folder / f"0{i}-学生{i}.txt").write_text(ESSAY + "我会永远记得她。" * i, encoding="utf-8")
    report = w.library.import_essays([folder], tag="高三2班", pattern="{学号}-{姓名}")
    assert len(report.added) == n
    return report.project_ids


def test_a_class_is_critiqued_marked_opened_and_exported(make_window, qtbot, tmp_path):
    from docx import Document
    from openpyxl import load_workbook

    w = make_window()
    ids = _import_class(w, tmp_path)
    dialog = w.open_class_view()
    assert dialog.tag_box.currentText() == "高三2班" and dialog.model.rowCount() == 3
    assert dialog.model.data(dialog.model.index(0, 2)) == ""  # not critiqued yet
    dialog.batch_button.click()  # no model configured: the analysis-only estimate
    qtbot.waitUntil(lambda: not w.runner.busy("model"), timeout=60_000)
    assert "批量点评完成：3 篇" in dialog.status.text()
    assert all(dialog.model.rows[i].total is not None for i in range(3))
    assert sum(n for *_, n in dialog.chart.bins) == 3
    dialog.batch_button.click()  # nothing new: said, nothing critiqued
    qtbot.waitUntil(lambda: not w.runner.busy("model"), timeout=60_000)
    assert "都已点评" in dialog.status.text()
    assert all(len(w.library.projects.critiques(i)) == 1 for i in ids)

    # the teacher's own total, through the table
    col = dialog.model.teacher_column
    proxy_index = dialog.proxy.mapFromSource(dialog.model.index(0, col))
    assert dialog.proxy.setData(proxy_index, "52")
    assert w.library.marking.mark(ids[0]).total == 52.0
    dialog.table.sortByColumn(2, Qt.SortOrder.DescendingOrder)
    top = dialog.proxy.mapToSource(dialog.proxy.index(0, 0)).row()
    assert dialog.model.rows[top].project_id == ids[0]

    # double-click opens the student's essay in the window
    dialog.table.doubleClicked.emit(dialog.proxy.mapFromSource(dialog.model.index(2, 0)))
    assert w.project.id == dialog.model.rows[2].project_id

    # the table as CSV and .xlsx, read back
    dialog.c.export_table(tmp_path / "class.csv")
    lines = (tmp_path / "class.csv").read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].startswith("学生,题目,字数,总分") and len(lines) == 4
    dialog.c.export_table(tmp_path / "class.xlsx")
    sheet = load_workbook(tmp_path / "class.xlsx").active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("学生", "题目", "字数", "总分") and len(values) == 4
    by_student = {v[0]: v for v in values[1:]}
    assert by_student["学生0"][3] == 52 and by_student["学生0"][values[0].index("教师分")] == 52

    # feedback sheets: PDF (rendered by pdftoppm) and Word with comments
    w.library.projects.annotate(ids[1], "answer", 5, 12, "这个开头很生动", author="王老师")
    dialog.c.refresh()
    out = tmp_path / "feedback"
    out.mkdir()
    dialog.c.export_feedback(out, "pdf")
    pdfs = sorted(out.glob("*.pdf"))
    assert len(pdfs) == 3 and "已导出 3 份反馈" in dialog.status.text()
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(pdfs[0]), str(out / "page")], check=True
    )
    page = next(out.glob("page*.png"))
    from PySide6.QtGui import QImage

    image = QImage(str(page))
    dark = sum(
        1
        for x in range(0, image.width(), 2)
        for y in range(0, image.height(), 2)
        if image.pixelColor(x, y).value() < 128
    )
    assert dark > 50  # text was drawn (a blank page has none)
    text = subprocess.run(["pdftotext", str(pdfs[0]), "-"], capture_output=True, text=True, check=True).stdout
    assert "王老师每天早上七点" in text and "总分" in text  # Chinese, as text, not boxes
    fonts = subprocess.run(["pdffonts", str(pdfs[0])], capture_output=True, text=True, check=True).stdout
    assert "yes" in fonts.splitlines()[-1].split()  # the CJK font is embedded
    dialog.c.export_feedback(out, "docx", [ids[1]])
    (docx,) = out.glob("*.docx")
    doc = Document(str(docx))
    assert any(c.text.endswith("这个开头很生动") for c in doc.comments)
    assert "王老师" in {c.author for c in doc.comments}
    dialog.close()


def test_a_stopped_batch_resumes_from_the_window(make_window, qtbot, tmp_path, monkeypatch):
    w = make_window()
    _import_class(w, tmp_path, 4)
    dialog = w.open_class_view()
    real = w.wb.critique
    calls = []

    def slow(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            w.runner.cancel("model")  # the teacher presses Stop during the second essay
        return real(*args, **kwargs)

    monkeypatch.setattr(w.wb, "critique", slow)
    dialog.batch_button.click()
    qtbot.waitUntil(lambda: not w.runner.busy("model"), timeout=60_000)
    assert "已停止" in dialog.status.text()
    pending = w.library.marking.unfinished("critique", "高三2班")
    assert pending is not None and 0 < pending.pending < 4
    assert "继续批量点评" in dialog.batch_button.text()
    dialog.batch_button.click()
    qtbot.waitUntil(lambda: not w.runner.busy("model"), timeout=60_000)
    assert w.library.marking.unfinished("critique", "高三2班") is None
    assert all(len(w.library.projects.critiques(r.project_id)) == 1 for r in dialog.model.rows)


def test_a_batch_that_cannot_be_made_says_why_in_one_line(make_window, qtbot, tmp_path, monkeypatch):
    from writer_app.storage.db import StorageError

    w = make_window()
    ids = _import_class(w, tmp_path, 2)
    dialog = w.open_class_view()

    def refuse(*args, **kwargs):
        raise StorageError("没有标签为「高三2班」且有正文的作文 (no essays tagged 高三2班)")

    monkeypatch.setattr(w.wb, "start_batch", refuse)
    dialog.batch_button.click()
    qtbot.waitUntil(lambda: not w.runner.busy("model"), timeout=60_000)
    assert dialog.status.text() == "没有标签为「高三2班」且有正文的作文 (no essays tagged 高三2班)"
    assert dialog.batch_button.isEnabled() and not dialog.c.running
    assert all(not w.library.projects.critiques(i) for i in ids)


def test_the_teacher_s_totals_calibrate_the_critique_from_the_class_view(make_window, qtbot, tmp_path):
    from writer_app.gui.dialogs import CalibrateDialog

    w = make_window()
    ids = _import_class(w, tmp_path, 30)
    for i, pid in enumerate(ids):
        w.library.marking.set_mark(pid, 30 + i % 20)
    dialog = w.open_class_view()
    scored = dialog.c.scored()
    assert len(scored) == 30 and scored[0].score == 30.0
    cal = CalibrateDialog(w.wb, w.runner, dialog, marks=(dialog.c.tag, scored))
    qtbot.addWidget(cal)
    assert "高三2班" in cal.source.text() and not cal.source.isEnabled()
    cal.text_only.setChecked(True)
    cal.start()
    qtbot.waitUntil(lambda: not w.runner.busy("model"), timeout=60_000)
    assert "已校准：30 篇" in cal.status.text()
    assert "teacher's marks of 高三2班" in w.wb.paths.calibration_file.read_text(encoding="utf-8")


def test_the_columns_fit_their_contents_one_turn_of_the_event_loop_each(make_window, qtbot, tmp_path):
    """Fitting every column at once took 36–60 ms for a class of 45 (a stall as a batch ended):
    a refresh fits none itself, each column then gets its own turn, and all end up fitted, a
    long title no wider than the cap (its tooltip has it whole)."""
    w = make_window()
    ids = _import_class(w, tmp_path)
    w.library.projects.update(ids[0], title="一个很长的题目" * 30)
    dialog = w.open_class_view()
    qtbot.waitUntil(lambda: not dialog._unfitted)
    fitted: list[int] = []
    real = dialog.table.resizeColumnToContents
    dialog.table.resizeColumnToContents = lambda column: (fitted.append(column), real(column))[1]
    dialog.c.refresh()
    assert fitted == [] and dialog._unfitted  # queued, not done inside the refresh
    qtbot.waitUntil(lambda: not dialog._unfitted)
    columns = dialog.model.columnCount()
    assert fitted == list(range(columns))
    for column in range(columns - 1):  # the last one stretches
        wanted = min(MAX_COLUMN_PX, dialog.table.sizeHintForColumn(column))
        assert dialog.table.columnWidth(column) >= wanted, column
    assert dialog.table.columnWidth(1) == MAX_COLUMN_PX
    row = next(i for i, r in enumerate(dialog.model.rows) if r.project_id == ids[0])
    tip = dialog.model.data(dialog.model.index(row, 1), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("一个很长的题目" * 30)
